/*
 * Child processes of the agent (checks, responders, notify programs):
 * how a child is set up after fork(), how its whole process group is
 * killed and reaped, and which of this process's children are its own.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

void dfo_child_plan_init(struct dfo_child_plan *p)
{
	sigemptyset(&p->reset);
	p->parent = getpid();
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction old;
		if (sigaction(sig, NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			continue;
		/* a handler, SIG_IGN, or not known: reset it in the child */
		sigaddset(&p->reset, sig);
	}
}

void dfo_child_setup(const struct dfo_child_plan *plan, int deathsig,
		     pid_t parent)
{
	setpgid(0, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	/* Each sigaction is a system call, which costs microseconds in a
	 * virtual machine: with a plan, only the signals that need it. */
	for (int sig = 1; sig < NSIG; sig++)
		if (!plan || sigismember(&plan->reset, sig) == 1)
			sigaction(sig, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	prctl(PR_SET_PDEATHSIG, deathsig, 0, 0, 0);
	/* The parent may have died before the prctl: then nobody will
	 * send the signal. */
	if (getppid() != parent)
		raise(deathsig);
}

/* Reap what is left of the group `pid` led (orphans re-parented here,
 * SIGKILLed with it), waiting at most `bound` seconds for them. */
static void reap_orphans(pid_t pid, double bound)
{
	double until = dfo_now() + bound;
	for (;;) {
		pid_t r = waitpid(-pid, NULL, WNOHANG);
		if (r > 0 || (r < 0 && errno == EINTR))
			continue;
		if (r < 0 || bound <= 0 || dfo_now() > until)
			break; /* ECHILD: none left */
		usleep(200);
	}
}

int dfo_child_kill_reap(pid_t pid)
{
	int status = 0;
	kill(-pid, SIGKILL);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	/* Orphans of the group were re-parented to us (subreaper): reap
	 * them too.  They were SIGKILLed, so this takes microseconds; the
	 * wait is bounded all the same (a process stuck in D state). */
	reap_orphans(pid, 0.05);
	return status;
}

int dfo_child_try_reap(pid_t pid, int *status)
{
	pid_t r;
	while ((r = waitpid(pid, status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return 0;
	/* Gone (or not ours any more): its group's orphans that died
	 * already; the others are left to dfo_children_sweep. */
	reap_orphans(pid, 0);
	return r == pid ? 1 : -ECHILD;
}

/* ---- this process's children ---- */

struct pids {
	pid_t *v;
	size_t n, cap;
};

static void pids_add(struct pids *p, pid_t pid)
{
	pid_t *v = dfo_grow(p->v, &p->cap, p->n + 1, sizeof(*v));
	if (!v)
		return;
	p->v = v;
	p->v[p->n++] = pid;
}

/* From /proc/self/task/TID/children, where the kernel has it. */
static bool children_from_tasks(struct pids *out)
{
	DIR *d = opendir("/proc/self/task");
	if (!d)
		return false;
	bool ok = true;
	struct dirent *de;
	while (ok && (de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/task/%.20s/children",
			 de->d_name);
		FILE *f = fopen(path, "re");
		if (!f) {
			ok = false;
			break;
		}
		long pid;
		while (fscanf(f, "%ld", &pid) == 1)
			pids_add(out, (pid_t)pid);
		fclose(f);
	}
	closedir(d);
	return ok;
}

/* Else: every process whose parent is this one. */
static void children_from_proc(struct pids *out)
{
	DIR *d = opendir("/proc");
	if (!d)
		return;
	pid_t self = getpid();
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!isdigit((unsigned char)de->d_name[0]))
			continue;
		char path[64], buf[512];
		snprintf(path, sizeof(path), "/proc/%.20s/stat", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t r = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (r <= 0)
			continue;
		buf[r] = '\0';
		/* "pid (comm) S ppid ...": comm may hold anything */
		char *q = strrchr(buf, ')');
		char st;
		long ppid;
		if (q && sscanf(q + 1, " %c %ld", &st, &ppid) == 2 &&
		    ppid == self)
			pids_add(out, (pid_t)atol(de->d_name));
	}
	closedir(d);
}

static void children_list(struct pids *out)
{
	out->n = 0;
	if (!children_from_tasks(out)) {
		out->n = 0;
		children_from_proc(out);
	}
}

/* Children that are not this process's to kill: those it had before it
 * started any (a shell's process substitution, `2> >(sed ...)`, is a
 * child of the program it runs), and any in its own process group (what
 * those start, re-parented here when they die: every child the agent
 * starts leads a group of its own, and so do its orphans' groups). */
static struct {
	bool init;
	pid_t pgrp;
	struct pids before;
} mine;

void dfo_children_mine_init(void)
{
	if (mine.init)
		return;
	mine.init = true;
	mine.pgrp = getpgrp();
	children_list(&mine.before);
}

static bool foreign(pid_t pid)
{
	for (size_t i = 0; i < mine.before.n; i++)
		if (mine.before.v[i] == pid)
			return true;
	return getpgid(pid) == mine.pgrp;
}

size_t dfo_children_sweep(bool (*tracked)(pid_t pid, void *arg), void *arg)
{
	dfo_children_mine_init();
	struct pids c = {0};
	children_list(&c);
	size_t k = 0;
	for (size_t i = 0; i < c.n; i++) {
		pid_t pid = c.v[i];
		/* tracked() first: it costs no system call, and a pool of
		 * idle check workers can be most of the children */
		if ((tracked && tracked(pid, arg)) || foreign(pid))
			continue;
		/* It left the check's group (setsid): its own group goes. */
		if (getpgid(pid) == pid)
			kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		c.v[k++] = pid;
	}
	size_t reaped = 0;
	double until = dfo_now() + 0.05;
	for (size_t i = 0; i < k; i++) {
		for (;;) {
			pid_t r = waitpid(c.v[i], NULL, WNOHANG);
			if (r == c.v[i] || (r < 0 && errno != EINTR)) {
				reaped += r > 0;
				break;
			}
			if (r == 0 && dfo_now() > until)
				break; /* a later sweep reaps it */
			if (r == 0)
				usleep(500);
		}
	}
	free(c.v);
	return reaped;
}
