/*
 * The check runner.  Each attempt runs in a forked child that leads its
 * own process group; it writes its report {rc, when the check returned,
 * message} to a pipe and exits.  The parent watches a pidfd per child
 * (one epoll set for the batch): when the child has exited, its report
 * is read, its group SIGKILLed and the leader reaped, without waiting.
 * A child still running at its deadline is SIGKILLed with its group and
 * reaped when its pidfd says it is gone, while the batch goes on.  No
 * zombie, no leaked fd.
 *
 * The verdict is the report's, if the check returned before its
 * deadline by the report's own clock (CLOCK_MONOTONIC, shared by every
 * process): an agent busy with a thousand children may read an answer
 * late without calling it a timeout.  A report written at or after the
 * deadline is a timeout, even if the child managed to exit(0).
 *
 * Whatever the check forked is in the child's group and dies with it.
 * The runner makes its process a child subreaper, so those orphans are
 * re-parented to it (not to an init that may never reap them) and are
 * reaped with the group leader.  What escaped the group (setsid) is
 * re-parented here too when the check ends, and is found among this
 * process's children and killed before the batch returns
 * (dfo_children_sweep: only children this process started and their
 * orphans).  Each child asks for SIGTERM when the agent dies
 * (PR_SET_PDEATHSIG), and checks that the agent did not die before it
 * asked; its handler SIGKILLs the child's whole group.  (What escaped
 * the group while the agent was SIGKILLed is out of reach: under systemd
 * the unit's cgroup is killed with it.)
 *
 * What a child costs is kept low, as a round forks one per peer: the
 * signals reset in it are only those with a handler or ignored (found
 * once per batch, dfo_child_plan_init), and the programs are linked with
 * -z now, so that no child resolves symbols (and dirties pages) anew.
 *
 * A check that could not run is not a verdict on its target: fork and
 * pipe failures, and a check's own report of a local shortage (EAGAIN,
 * EMFILE, ENFILE, ENOMEM, ENOBUFS), give DFO_CHECK_UNKNOWN.  When fork or
 * pipe fail while other checks run, the batch instead waits for those and
 * goes on with fewer at once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
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

/* What a check's child writes to its pipe, in one write (atomic: under
 * PIPE_BUF).  `done` is when the check returned, on the monotonic clock
 * that every process shares: an answer written before the deadline
 * counts even when a busy agent reads it later. */
struct report {
	int rc;
	double done;
	char msg[MSG_LEN];
};

/* In the child: run the check, report, exit.  Never returns. */
static void child_main(struct dfo_check_job *j, int wfd,
		       const struct dfo_child_plan *plan)
{
	/* Its own group, default signals, and death with the agent (at
	 * once if the agent died before it could ask), of the whole
	 * group. */
	dfo_child_setup(plan, SIGTERM, plan->parent);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = group_death;
	sigfillset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (getppid() != plan->parent)
		group_death(SIGTERM);
	/* A check that crashes every round must not fill the disk. */
	struct rlimit nocore = {0, 0};
	setrlimit(RLIMIT_CORE, &nocore);

	struct dfo_err e;
	dfo_err_clear(&e);
	int rc = j->prov->check(j->state, &j->target, &e);
	struct report out;
	memset(&out, 0, sizeof(out));
	out.done = dfo_now();
	out.rc = rc > 0 ? -rc : rc;
	if (out.rc < 0 && !e.msg[0])
		snprintf(e.msg, sizeof(e.msg), "%s", strerror(-out.rc));
	memcpy(out.msg, e.msg, strnlen(e.msg, MSG_LEN - 1));
	ssize_t w = write(wfd, &out, sizeof(out));
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

/* One child of the batch.  Kept apart from the jobs, so that memory for
 * the child's answer exists only for the max_parallel running ones.  A
 * slot whose attempt has its result but whose child has not been reaped
 * yet (killed, dying) has no job: the loop reaps it when its pidfd says
 * so, instead of waiting for it while other answers queue up. */
struct slot {
	struct dfo_check_job *job; /* NULL: free, or dying (pid > 0) */
	pid_t pid;
	int pidfd, pipefd;
	bool eof;
	double deadline, started;
	size_t got;
	union {
		struct report r;
		char b[sizeof(struct report)];
	} buf;
};

static void finish(struct dfo_check_job *j, double latency,
		   enum dfo_check_result r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void finish(struct dfo_check_job *j, double latency,
		   enum dfo_check_result r, const char *fmt, ...)
{
	j->result = r;
	j->latency = latency;
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
static int start(struct slot *s, struct dfo_check_job *j, size_t others,
		 const struct dfo_child_plan *plan)
{
	int p[2];
	memset(s, 0, offsetof(struct slot, buf));
	s->job = j;
	s->pidfd = s->pipefd = -1;
	s->started = dfo_now();
	s->deadline = s->started + (j->target.timeout > 0 ? j->target.timeout : 5);
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
		int e = errno;
		if (others && local_failure(-e))
			return -EAGAIN;
		j->tries++;
		finish(j, 0, DFO_CHECK_UNKNOWN,
		       "could not run the check: pipe: %s", strerror(e));
		return -1;
	}
	/* Non-blocking (both ends: the child writes less than PIPE_BUF into
	 * an empty pipe): a grandchild may hold the write end open. */
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(p[0]);
		close(p[1]);
		if (others && local_failure(-e))
			return -EAGAIN;
		j->tries++;
		finish(j, 0, DFO_CHECK_UNKNOWN,
		       "could not run the check: fork: %s", strerror(e));
		return -1;
	}
	if (pid == 0)
		child_main(j, p[1], plan);
	j->tries++;
	setpgid(pid, pid); /* both sides, so no race with kill(-pid) */
	close(p[1]);
	s->pid = pid;
	s->pipefd = p[0];
	s->pidfd = dfo_pidfd_open(pid);
	j->result = DFO_CHECK_PENDING;
	return 0;
}

/* Read what the child wrote so far. */
static void drain(struct slot *s)
{
	while (!s->eof && s->got < sizeof(s->buf)) {
		ssize_t r = read(s->pipefd, s->buf.b + s->got,
				 sizeof(s->buf) - s->got);
		if (r > 0)
			s->got += (size_t)r;
		else if (r == 0)
			s->eof = true;
		else if (errno != EINTR)
			break;
	}
}

/* The attempt's result from the child's report, if it sent one in time:
 * true.  False: there is none, or it came too late. */
static bool verdict(struct slot *s)
{
	if (s->got < sizeof(s->buf))
		return false;
	struct report *r = &s->buf.r;
	if (!(r->done >= s->started && r->done < s->deadline))
		return false;
	r->msg[MSG_LEN - 1] = '\0';
	double lat = r->done - s->started;
	if (r->rc == 0)
		finish(s->job, lat, DFO_CHECK_HEALTHY, NULL);
	else if (local_failure(r->rc))
		finish(s->job, lat, DFO_CHECK_UNKNOWN,
		       "could not run the check here: %s", r->msg);
	else
		finish(s->job, lat, DFO_CHECK_FAILED, "%s", r->msg);
	return true;
}

/* No report: the child died without one (its wait status). */
static void died(struct slot *s, int status)
{
	double lat = dfo_now() - s->started;
	if (WIFSIGNALED(status))
		finish(s->job, lat, DFO_CHECK_CRASHED,
		       "check crashed: signal %d (%s)", WTERMSIG(status),
		       strsignal(WTERMSIG(status)));
	else
		finish(s->job, lat, DFO_CHECK_CRASHED,
		       "check exited with status %d without a result",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
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

/* ---- the batch ---- */

/* The batch's state.  Children are watched through an epoll set: a
 * check's pidfd (readable once it exits, its report then in the pipe),
 * or its pipe where the kernel has no pidfds; the watched fd of the
 * options under the key WATCH. */
struct batch {
	struct dfo_check_job *jobs;
	size_t n, next;            /* jobs; the next one not started */
	struct slot *slot;
	size_t nslot, used;        /* slots; those holding a child */
	size_t *free, nfree;       /* free slots (a stack) */
	size_t *queue, qhead, qtail; /* jobs to retry */
	int ep;
	const struct dfo_run_opts *opts;
	struct dfo_child_plan plan;
};

#define WATCH UINT64_MAX

static int fd_of(const struct slot *s)
{
	return s->pidfd >= 0 ? s->pidfd : s->pipefd;
}

/* The slot holds no child any more. */
static void slot_free(struct batch *b, struct slot *s)
{
	int fd = fd_of(s);
	if (fd >= 0) /* children forked since share it: take it out first */
		epoll_ctl(b->ep, EPOLL_CTL_DEL, fd, NULL);
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->pipefd >= 0)
		close(s->pipefd);
	s->pidfd = s->pipefd = -1;
	s->pid = 0;
	s->job = NULL;
	b->free[b->nfree++] = (size_t)(s - b->slot);
	b->used--;
}

/* Kill the group (its leader not reaped yet, so the pgid is still the
 * leader's) and reap the leader, without waiting; 1 if reaped. */
static int kill_try_reap(struct slot *s, int *status)
{
	kill(-s->pid, SIGKILL);
	return dfo_child_try_reap(s->pid, status);
}

/* The attempt is over; retry it if it may be. */
static void ended(struct batch *b, struct dfo_check_job *j)
{
	if (j->result != DFO_CHECK_HEALTHY && j->tries < j->attempts)
		b->queue[b->qtail++ % b->n] = (size_t)(j - b->jobs);
}

/* The slot's fd is readable: the child exited (pidfd), or wrote or
 * closed its pipe (no pidfd). */
static void on_event(struct batch *b, struct slot *s)
{
	int status = 0;
	if (!s->job) { /* dying: killed at its deadline */
		if (kill_try_reap(s, &status) != 0)
			slot_free(b, s);
		return;
	}
	drain(s);
	if (s->pidfd < 0) {
		/* Only the pipe: a report or EOF is the end; wait for it. */
		if (s->got < sizeof(s->buf) && !s->eof)
			return;
		status = dfo_child_kill_reap(s->pid);
	} else if (kill_try_reap(s, &status) == 0) {
		return; /* not gone after all */
	}
	struct dfo_check_job *j = s->job;
	if (!verdict(s)) {
		if (s->got == sizeof(s->buf)) /* reported too late */
			finish(j, dfo_now() - s->started, DFO_CHECK_TIMEOUT,
			       "timed out after %.3g s", j->target.timeout);
		else
			died(s, status);
	}
	slot_free(b, s);
	ended(b, j);
}

/* Past its deadline: the report if it came in time, else a timeout;
 * the group is killed and the slot stays until the leader is reaped. */
static void on_deadline(struct batch *b, struct slot *s, double now)
{
	struct dfo_check_job *j = s->job;
	drain(s);
	if (!verdict(s))
		finish(j, now - s->started, DFO_CHECK_TIMEOUT,
		       "timed out after %.3g s", j->target.timeout);
	s->job = NULL;
	int status;
	if (s->pidfd < 0) {
		status = dfo_child_kill_reap(s->pid);
		slot_free(b, s);
	} else if (kill_try_reap(s, &status) != 0) {
		slot_free(b, s);
	} else {
		s->deadline = now + 1; /* a SIGKILLed child not gone in 1 s:
					* dfo_children_sweep's */
	}
	ended(b, j);
}

/* Start attempts while slots are free: retries first, then new jobs. */
static void fill(struct batch *b)
{
	while (b->nfree && (b->qhead != b->qtail || b->next < b->n)) {
		bool retry = b->qhead != b->qtail;
		struct dfo_check_job *j =
			retry ? &b->jobs[b->queue[b->qhead % b->n]]
			      : &b->jobs[b->next];
		struct slot *s = &b->slot[b->free[b->nfree - 1]];
		int rc = start(s, j, b->used, &b->plan);
		if (rc == -EAGAIN) {
			/* Out of processes or fds: on with fewer. */
			dfo_log(DFO_LOG_INFO, "checks: at most %zu at once for "
					      "now (no more processes or "
					      "descriptors)", b->used);
			b->nfree = 0;
			break;
		}
		if (retry)
			b->qhead++;
		else
			b->next++;
		if (rc < 0)
			continue;
		b->nfree--;
		b->used++;
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = (uint64_t)(s - b->slot)};
		if (epoll_ctl(b->ep, EPOLL_CTL_ADD, fd_of(s), &ev) < 0)
			s->deadline = 0; /* cannot watch it: ends at once */
	}
}

/* End every attempt now (interrupted, or cannot wait any more). */
static void end_all(struct batch *b, const char *why)
{
	for (size_t i = 0; i < b->nslot; i++) {
		struct slot *s = &b->slot[i];
		if (!s->pid)
			continue;
		struct dfo_check_job *j = s->job;
		dfo_child_kill_reap(s->pid);
		slot_free(b, s);
		if (j)
			finish(j, 0, DFO_CHECK_UNKNOWN, "%s", why);
	}
}

/* Wait for the next events and handle them: 0, -EINTR if the options'
 * watched fd ended the batch, -errno if it cannot wait. */
static int step(struct batch *b)
{
	double now = dfo_now(), wait = 3600;
	for (size_t i = 0; i < b->nslot; i++)
		if (b->slot[i].pid && b->slot[i].deadline - now < wait)
			wait = b->slot[i].deadline - now;
	int ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
	struct epoll_event ev[64];
	int k = epoll_wait(b->ep, ev, 64, ms);
	if (k < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < k; i++) {
		if (ev[i].data.u64 == WATCH) {
			if (b->opts->interrupted(b->opts->arg))
				return -EINTR;
			continue;
		}
		struct slot *s = &b->slot[ev[i].data.u64];
		if (s->pid)
			on_event(b, s);
	}
	now = dfo_now();
	for (size_t i = 0; i < b->nslot; i++) {
		struct slot *s = &b->slot[i];
		if (!s->pid || now < s->deadline)
			continue;
		if (s->job) {
			on_deadline(b, s, now);
		} else { /* still dying after 1 s: the sweep's now */
			slot_free(b, s);
		}
	}
	return 0;
}

struct sweep_arg {
	const struct dfo_run_opts *opts;
};

/* A child the sweep must leave alone: the caller's. */
static bool sweep_tracked(pid_t pid, void *arg)
{
	const struct sweep_arg *a = arg;
	return a->opts && a->opts->tracked &&
	       a->opts->tracked(pid, a->opts->arg);
}

static int batch_init(struct batch *b, struct dfo_check_job *jobs, size_t n,
		      unsigned max_parallel, const struct dfo_run_opts *opts)
{
	memset(b, 0, sizeof(*b));
	b->jobs = jobs;
	b->n = n;
	b->opts = opts;
	if (max_parallel == 0)
		max_parallel = 1;
	max_parallel = fd_budget(max_parallel);
	if (n && max_parallel > n)
		max_parallel = (unsigned)n;
	b->nslot = max_parallel;
	b->slot = calloc(b->nslot, sizeof(*b->slot));
	b->free = calloc(b->nslot, sizeof(*b->free));
	b->queue = calloc(n ? n : 1, sizeof(*b->queue));
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!b->slot || !b->free || !b->queue || b->ep < 0)
		return b->ep < 0 ? -errno : -ENOMEM;
	for (size_t i = 0; i < b->nslot; i++) {
		b->slot[i].pidfd = b->slot[i].pipefd = -1;
		b->free[b->nfree++] = b->nslot - 1 - i;
	}
	if (opts && opts->interrupted && opts->watch_fd >= 0) {
		struct epoll_event ev = {.events = EPOLLIN, .data.u64 = WATCH};
		if (epoll_ctl(b->ep, EPOLL_CTL_ADD, opts->watch_fd, &ev) < 0)
			return -errno;
	}
	dfo_child_plan_init(&b->plan);
	return 0;
}

static void batch_free(struct batch *b)
{
	if (b->ep >= 0)
		close(b->ep);
	free(b->slot);
	free(b->free);
	free(b->queue);
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
		dfo_children_mine_init();
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
		subreaper = true;
	}
	for (size_t i = 0; i < n; i++) {
		jobs[i].result = DFO_CHECK_PENDING;
		jobs[i].tries = 0;
		jobs[i].latency = 0;
		jobs[i].reason[0] = '\0';
		if (jobs[i].attempts == 0)
			jobs[i].attempts = 1;
	}
	struct batch b;
	int ret = batch_init(&b, jobs, n, max_parallel, opts);
	if (ret < 0) {
		batch_free(&b);
		return ret;
	}
	for (;;) {
		fill(&b);
		if (b.used == 0)
			break;
		ret = step(&b);
		if (ret < 0) {
			end_all(&b, ret == -EINTR ? "interrupted"
						  : "cannot wait for checks");
			if (ret != -EINTR)
				ret = 0;
			break;
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
	struct sweep_arg sa = {opts};
	dfo_children_sweep(sweep_tracked, &sa);
	batch_free(&b);
	return ret;
}
