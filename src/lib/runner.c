/*
 * The check runner.  Each attempt runs in a forked child that leads its
 * own process group; it writes {int rc; char msg[256]} to a pipe and
 * exits.  The parent waits on the pipe and a pidfd per child, kills the
 * group at the deadline, and always reaps: no zombie, no leaked fd.
 *
 * Whatever the check forked is in the child's group and dies with it.
 * The runner makes its process a child subreaper, so those orphans are
 * re-parented to it (not to an init that may never reap them) and are
 * reaped with the group leader.  What escaped the group (setsid) is
 * re-parented here too when the check ends, and is found among this
 * process's children and killed before the batch returns.  Each child
 * asks for SIGTERM when the agent dies (PR_SET_PDEATHSIG), and checks
 * that the agent did not die before it asked; its handler SIGKILLs the
 * child's whole group.  (What escaped the group while the agent was
 * SIGKILLed is out of reach: under systemd the unit's cgroup is killed
 * with it.)  An attempt observed to
 * end at or after its deadline is a timeout even if the child managed to
 * exit(0).
 *
 * A check that could not run is not a verdict on its target: fork and
 * pipe failures, and a check's own report of a local shortage (EAGAIN,
 * EMFILE, ENFILE, ENOMEM, ENOBUFS), give DFO_CHECK_UNKNOWN.  When fork or
 * pipe fail while other checks run, the batch instead waits for those and
 * goes on with fewer at once.
 */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

#define MSG_LEN 256

const char *dfo_check_result_name(enum dfo_check_result r)
{
	switch (r) {
	case DFO_CHECK_HEALTHY:
		return "healthy";
	case DFO_CHECK_FAILED:
		return "failed";
	case DFO_CHECK_TIMEOUT:
		return "timeout";
	case DFO_CHECK_CRASHED:
		return "crashed";
	case DFO_CHECK_UNKNOWN:
		return "unknown";
	default:
		return "pending";
	}
}

int dfo_pidfd_open(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0);
#else
	errno = ENOSYS;
	return -1;
#endif
}

/* The check process's parent-death signal: the whole group goes, not
 * only this process, so that what the check's program started (an exec
 * check's shell and its children) does not outlive a SIGKILLed agent.
 * The kernel's parent-death signal reaches only the process that asked. */
static void group_death(int sig)
{
	(void)sig;
	/* The group this process leads (dfo_child_setup): never 0, which
	 * would be the agent's own group if setpgid had failed. */
	kill(-getpid(), SIGKILL);
	_exit(128 + SIGKILL);
}

/* In the child: run the check, report, exit.  Never returns. */
static void child_main(struct dfo_check_job *j, int wfd, pid_t parent)
{
	/* Its own group, default signals, and death with the agent (at
	 * once if the agent died before it could ask), of the whole
	 * group. */
	dfo_child_setup(SIGTERM, parent);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = group_death;
	sigfillset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (getppid() != parent)
		group_death(SIGTERM);
	/* A check that crashes every round must not fill the disk. */
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);

	struct dfo_err e;
	dfo_err_clear(&e);
	int rc = j->prov->check(j->state, &j->target, &e);
	char out[sizeof(int) + MSG_LEN];
	memset(out, 0, sizeof(out));
	if (rc > 0)
		rc = -rc;
	memcpy(out, &rc, sizeof(rc));
	if (rc < 0 && !e.msg[0])
		snprintf(e.msg, sizeof(e.msg), "%s", strerror(-rc));
	memcpy(out + sizeof(int), e.msg, strnlen(e.msg, MSG_LEN - 1));
	ssize_t w = write(wfd, out, sizeof(out));
	(void)w;
	_exit(0);
}

/* A failure of this host, not of the target: the "could not run here"
 * values of the check contract in <dnsfailover/plugin.h>. */
static bool local_failure(int rc)
{
	return rc == -EAGAIN || rc == -EMFILE || rc == -ENFILE ||
	       rc == -ENOMEM || rc == -ENOBUFS;
}

/* One running attempt.  Kept apart from the jobs, so that memory for
 * the child's answer exists only for the max_parallel running ones. */
struct slot {
	struct dfo_check_job *job;
	pid_t pid;
	int pidfd, pipefd;
	bool eof;
	double deadline, started;
	size_t got;
	char buf[sizeof(int) + MSG_LEN];
};

static void finish(struct slot *s, enum dfo_check_result r, const char *fmt,
		   ...) __attribute__((format(printf, 3, 4)));

static void finish(struct slot *s, enum dfo_check_result r, const char *fmt,
		   ...)
{
	struct dfo_check_job *j = s->job;
	j->result = r;
	j->latency = dfo_now() - s->started;
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(j->reason, sizeof(j->reason), fmt, ap);
		va_end(ap);
	} else {
		j->reason[0] = '\0';
	}
}

/* Start an attempt: 0; -1 if it could not start (the job's result is
 * then UNKNOWN); -EAGAIN if it could not start for a lack of processes or
 * descriptors and `others` children are running (the job is left as it
 * was, to be started when one of them ends). */
static int start(struct slot *s, struct dfo_check_job *j, size_t others)
{
	int p[2];
	memset(s, 0, sizeof(*s));
	s->job = j;
	s->pidfd = s->pipefd = -1;
	s->started = dfo_now();
	s->deadline = s->started + (j->target.timeout > 0 ? j->target.timeout : 5);
	if (pipe2(p, O_CLOEXEC) < 0) {
		int e = errno;
		if (others && local_failure(-e))
			return -EAGAIN;
		j->tries++;
		finish(s, DFO_CHECK_UNKNOWN, "could not run the check: pipe: %s",
		       strerror(e));
		return -1;
	}
	/* Non-blocking: a grandchild may hold the write end open. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		if (others && local_failure(-e))
			return -EAGAIN;
		j->tries++;
		finish(s, DFO_CHECK_UNKNOWN, "could not run the check: fork: %s",
		       strerror(e));
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		close(p[0]);
		child_main(j, p[1], parent);
	}
	j->tries++;
	setpgid(pid, pid); /* both sides, so no race with kill(-pid) */
	close(p[1]);
	s->pid = pid;
	s->pipefd = p[0];
	s->pidfd = dfo_pidfd_open(pid);
	j->result = DFO_CHECK_PENDING;
	return 0;
}

/* Kill the group (the leader is not reaped yet, so its pgid is still
 * ours) and reap the leader. */
static void reap(struct slot *s, int *status)
{
	*status = dfo_child_kill_reap(s->pid);
	if (s->pidfd >= 0)
		close(s->pidfd);
	close(s->pipefd);
	s->pid = 0;
	s->pidfd = s->pipefd = -1;
}

/* The child is gone (or must go): decide the attempt's result. */
static void conclude(struct slot *s, bool timed_out)
{
	int status = 0;
	/* Drain what the child wrote before it exited. */
	while (!timed_out && s->got < sizeof(s->buf)) {
		ssize_t r = read(s->pipefd, s->buf + s->got, sizeof(s->buf) - s->got);
		if (r <= 0)
			break;
		s->got += (size_t)r;
	}
	reap(s, &status);
	if (timed_out) {
		finish(s, DFO_CHECK_TIMEOUT, "timed out after %.3g s",
		       s->job->target.timeout);
	} else if (s->got == sizeof(s->buf)) {
		int rc;
		memcpy(&rc, s->buf, sizeof(rc));
		s->buf[sizeof(s->buf) - 1] = '\0';
		if (rc == 0)
			finish(s, DFO_CHECK_HEALTHY, NULL);
		else if (local_failure(rc))
			finish(s, DFO_CHECK_UNKNOWN,
			       "could not run the check here: %s",
			       s->buf + sizeof(int));
		else
			finish(s, DFO_CHECK_FAILED, "%s", s->buf + sizeof(int));
	} else if (WIFSIGNALED(status)) {
		finish(s, DFO_CHECK_CRASHED, "check crashed: signal %d (%s)",
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else {
		finish(s, DFO_CHECK_CRASHED,
		       "check exited with status %d without a result",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
}

/* How many children the fd limit allows at once: each holds a pipe end
 * and a pidfd in the parent, and some fds are in use already. */
static unsigned fd_budget(unsigned want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return want;
	rlim_t spare = rl.rlim_cur > 64 ? (rl.rlim_cur - 64) / 2 : 1;
	return spare < want ? (unsigned)(spare ? spare : 1) : want;
}

/* ---- children ---- */

struct pids {
	pid_t *v;
	size_t n, cap;
};

static void pids_add(struct pids *p, pid_t pid)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 16;
		pid_t *v = realloc(p->v, cap * sizeof(*v));
		if (!v)
			return;
		p->v = v;
		p->cap = cap;
	}
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
		if (q && sscanf(q + 1, " %c %ld", &st, &ppid) == 2 && ppid == self)
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

size_t dfo_children_sweep(bool (*tracked)(pid_t pid, void *arg), void *arg)
{
	struct pids c = {0};
	children_list(&c);
	size_t k = 0;
	for (size_t i = 0; i < c.n; i++) {
		pid_t pid = c.v[i];
		if (tracked && tracked(pid, arg))
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

/* ---- the batch ---- */

struct sweep_arg {
	const struct dfo_run_opts *opts;
	const struct slot *run;
	size_t running;
};

/* A child the sweep must leave alone: a running check, or the caller's. */
static bool sweep_tracked(pid_t pid, void *arg)
{
	const struct sweep_arg *a = arg;
	for (size_t i = 0; i < a->running; i++)
		if (a->run[i].pid == pid)
			return true;
	return a->opts && a->opts->tracked &&
	       a->opts->tracked(pid, a->opts->arg);
}

int dfo_run_checks(struct dfo_check_job *jobs, size_t n, unsigned max_parallel)
{
	return dfo_run_checks_opts(jobs, n, max_parallel, NULL);
}

int dfo_run_checks_opts(struct dfo_check_job *jobs, size_t n,
			unsigned max_parallel, const struct dfo_run_opts *opts)
{
	static bool subreaper;
	if (!subreaper) {
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		subreaper = true;
	}
	int watch = opts && opts->interrupted ? opts->watch_fd : -1;
	if (max_parallel == 0)
		max_parallel = 1;
	max_parallel = fd_budget(max_parallel);
	if (n && max_parallel > n)
		max_parallel = (unsigned)n;
	size_t next = 0, running = 0;
	struct slot *run = calloc(max_parallel, sizeof(*run));
	/* two per slot, and the watched fd last */
	struct pollfd *pfd = calloc(2 * (size_t)max_parallel + 1, sizeof(*pfd));
	size_t *queue = calloc(n ? n : 1, sizeof(*queue)); /* retry queue */
	size_t qhead = 0, qtail = 0;
	if (!run || !pfd || !queue) {
		free(run);
		free(pfd);
		free(queue);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		jobs[i].result = DFO_CHECK_PENDING;
		jobs[i].tries = 0;
		jobs[i].latency = 0;
		jobs[i].reason[0] = '\0';
		if (jobs[i].attempts == 0)
			jobs[i].attempts = 1;
	}
	int ret = 0;

	for (;;) {
		/* Fill free slots: retries first, then new jobs. */
		while (running < max_parallel && (qhead != qtail || next < n)) {
			bool retry = qhead != qtail;
			struct dfo_check_job *j =
				retry ? &jobs[queue[qhead % n]] : &jobs[next];
			int rc = start(&run[running], j, running);
			if (rc == -EAGAIN) {
				/* Out of processes or fds: on with fewer. */
				dfo_log(DFO_LOG_INFO, "checks: at most %zu at once "
						      "for now (no more processes "
						      "or descriptors)", running);
				max_parallel = (unsigned)running;
				break;
			}
			if (retry)
				qhead++;
			else
				next++;
			if (rc == 0)
				running++;
		}
		if (running == 0)
			break;

		double now = dfo_now(), wait = 3600;
		for (size_t i = 0; i < running; i++) {
			pfd[2 * i] = (struct pollfd){
				.fd = run[i].eof ? -1 : run[i].pipefd, .events = POLLIN};
			pfd[2 * i + 1] = (struct pollfd){.fd = run[i].pidfd, .events = POLLIN};
			if (run[i].deadline - now < wait)
				wait = run[i].deadline - now;
		}
		pfd[2 * running] = (struct pollfd){.fd = watch, .events = POLLIN};
		int ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
		/* Without pidfds a dead child is only seen on its pipe (EOF). */
		int r = poll(pfd, 2 * running + 1, ms);
		if (r < 0 && errno != EINTR) {
			/* Cannot wait any more: end every running attempt. */
			int e = errno;
			for (size_t i = 0; i < running; i++) {
				int status;
				reap(&run[i], &status);
				finish(&run[i], DFO_CHECK_UNKNOWN, "poll: %s",
				       strerror(e));
			}
			running = 0;
			break;
		}
		if (r > 0 && (pfd[2 * running].revents & POLLIN) &&
		    opts->interrupted(opts->arg)) {
			for (size_t i = 0; i < running; i++) {
				int status;
				reap(&run[i], &status);
				finish(&run[i], DFO_CHECK_UNKNOWN, "interrupted");
			}
			running = 0;
			ret = -EINTR;
			break;
		}
		now = dfo_now();
		for (size_t i = 0; i < running;) {
			struct slot *s = &run[i];
			bool done = false, timed_out = false;
			if (pfd[2 * i].revents & (POLLIN | POLLHUP | POLLERR)) {
				ssize_t k = read(s->pipefd, s->buf + s->got,
						 sizeof(s->buf) - s->got);
				if (k > 0)
					s->got += (size_t)k;
				if (k == 0)
					s->eof = true;
				/* Without a pidfd, EOF is how a child's end is seen. */
				if (s->got == sizeof(s->buf) || (s->eof && s->pidfd < 0))
					done = true;
			}
			if (pfd[2 * i + 1].revents & POLLIN)
				done = true;
			/* Past the deadline nothing counts, not even exit(0). */
			if (now >= s->deadline)
				done = timed_out = true;
			if (!done) {
				i++;
				continue;
			}
			conclude(s, timed_out);
			struct dfo_check_job *j = s->job;
			if (j->result != DFO_CHECK_HEALTHY && j->tries < j->attempts)
				queue[qtail++ % n] = (size_t)(j - jobs);
			run[i] = run[--running];
			pfd[2 * i] = pfd[2 * running];
			pfd[2 * i + 1] = pfd[2 * running + 1];
		}
	}
	/* Jobs never started (interrupted): unknown. */
	for (size_t i = 0; i < n; i++)
		if (jobs[i].result == DFO_CHECK_PENDING) {
			jobs[i].result = DFO_CHECK_UNKNOWN;
			snprintf(jobs[i].reason, sizeof(jobs[i].reason), "%s",
				 ret == -EINTR ? "interrupted" : "not run");
		}
	/* What the checks left behind, re-parented here: kill, reap. */
	struct sweep_arg sa = {opts, run, 0};
	dfo_children_sweep(sweep_tracked, &sa);
	free(run);
	free(pfd);
	free(queue);
	return ret;
}
