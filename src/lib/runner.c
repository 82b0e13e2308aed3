/*
 * The check runner.  Each attempt runs in a forked child that leads its
 * own process group; it writes {int rc; char msg[256]} to a pipe and
 * exits.  The parent waits on the pipe and a pidfd per child, kills the
 * group at the deadline, and always reaps: no zombie, no leaked fd.
 *
 * Whatever the check forked is in the child's group and dies with it.
 * The runner makes its process a child subreaper, so those orphans are
 * re-parented to it (not to an init that may never reap them) and are
 * reaped with the group leader.  An attempt observed to end at or after
 * its deadline is a timeout even if the child managed to exit(0).
 */
#include "config.h"

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
	case DFO_CHECK_ERROR:
		return "error";
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

/* In the child: run the check, report, exit.  Never returns. */
static void child_main(struct dfo_check_job *j, int wfd)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < NSIG; s++)
		sigaction(s, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
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

static int start(struct slot *s, struct dfo_check_job *j)
{
	int p[2];
	memset(s, 0, sizeof(*s));
	s->job = j;
	s->pidfd = s->pipefd = -1;
	s->started = dfo_now();
	s->deadline = s->started + (j->target.timeout > 0 ? j->target.timeout : 5);
	j->tries++;
	if (pipe2(p, O_CLOEXEC) < 0) {
		finish(s, DFO_CHECK_ERROR, "pipe: %s", strerror(errno));
		return -1;
	}
	/* Non-blocking: a grandchild may hold the write end open. */
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	pid_t pid = fork();
	if (pid < 0) {
		finish(s, DFO_CHECK_ERROR, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		close(p[0]);
		child_main(j, p[1]);
	}
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
	kill(-s->pid, SIGKILL);
	while (waitpid(s->pid, status, 0) < 0 && errno == EINTR)
		;
	/* Orphans of the group were re-parented to us (subreaper): reap
	 * them too.  They were SIGKILLed, so this takes microseconds; the
	 * wait is bounded all the same (a process stuck in D state). */
	double until = dfo_now() + 0.05;
	for (;;) {
		pid_t r = waitpid(-s->pid, NULL, WNOHANG);
		if (r > 0)
			continue;
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 || dfo_now() > until)
			break; /* ECHILD: none left */
		usleep(200);
	}
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

int dfo_run_checks(struct dfo_check_job *jobs, size_t n, unsigned max_parallel)
{
	static bool subreaper;
	if (!subreaper) {
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		subreaper = true;
	}
	if (max_parallel == 0)
		max_parallel = 1;
	max_parallel = fd_budget(max_parallel);
	if (n && max_parallel > n)
		max_parallel = (unsigned)n;
	size_t next = 0, running = 0;
	struct slot *run = calloc(max_parallel, sizeof(*run));
	struct pollfd *pfd = calloc(2 * (size_t)max_parallel, sizeof(*pfd));
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
		jobs[i].reason[0] = '\0';
		if (jobs[i].attempts == 0)
			jobs[i].attempts = 1;
	}

	for (;;) {
		/* Fill free slots: retries first, then new jobs. */
		while (running < max_parallel && (qhead != qtail || next < n)) {
			struct dfo_check_job *j =
				qhead != qtail ? &jobs[queue[qhead++ % n]] : &jobs[next++];
			if (start(&run[running], j) == 0)
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
		int ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
		/* Without pidfds a dead child is only seen on its pipe (EOF). */
		int r = poll(pfd, 2 * running, ms);
		if (r < 0 && errno != EINTR) {
			/* Cannot wait any more: end every running attempt. */
			int e = errno;
			for (size_t i = 0; i < running; i++) {
				int status;
				reap(&run[i], &status);
				finish(&run[i], DFO_CHECK_ERROR, "poll: %s", strerror(e));
			}
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
	free(run);
	free(pfd);
	free(queue);
	return 0;
}
