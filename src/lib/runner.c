/*
 * The check runner.  Each attempt runs in a check process forked from
 * the agent that leads its own process group: a *worker*.  The parent
 * hands it the job (provider, state, target) and the worker answers on a
 * SOCK_SEQPACKET socketpair with one report {rc, when the check returned,
 * message, whether it left a process behind}.  The parent watches every
 * running worker's socket in one epoll set: a report before the deadline
 * is the verdict; a worker still running at its deadline is SIGKILLed
 * with its group and reaped when its pidfd says it is gone, while the
 * batch goes on (never waited for).  No zombie, no leaked fd.
 *
 * Workers are kept for reuse in a pool (struct dfo_check_pool, owned by
 * the engine, passed in the run options), since a fork costs more than a
 * check here (a PVM guest: 0.6 ms of page-table work per fork).  An idle
 * worker gets the next job (one is forked only when none is idle, up to
 * max_parallel); a worker that reported in time goes back to the pool; a
 * worker killed at its deadline, dead, or sending garbage is dropped; a
 * worker retires (killed, reaped) after `retire` checks or when its check
 * left a process behind; idle workers beyond what the last batches needed
 * at once are retired at the end of a batch.  The pool's workers hold the
 * job's pointers of the config they were forked under: the engine resets
 * the pool (dfo_check_pool_reset) when it swaps the config, before it
 * opens the new config's listeners (a worker holds copies of the agent's
 * descriptors), and when a check instance is started.  Without a pool
 * (--try, tests) each attempt forks a worker that runs one check and
 * exits, as it always did.
 *
 * The verdict is the report's, if the check returned before its
 * deadline by the report's own clock (CLOCK_MONOTONIC, shared by every
 * process): an agent busy with a thousand workers may read an answer
 * late without calling it a timeout.  A report written at or after the
 * deadline is a timeout.
 *
 * Whatever the check forked is in the worker's group and dies with it.
 * A pooled worker is a child subreaper, so what its check leaves behind
 * (orphans, even those that left the group with setsid) is re-parented
 * to it: a worker with any child left after its check reports so and is
 * retired, and what it leaves then is re-parented to the agent (also a
 * subreaper), found among its children and killed before the batch
 * returns (dfo_children_sweep: only children this process started and
 * their orphans; the pool's idle workers are the agent's own).  Each
 * worker asks for SIGTERM when the agent dies (PR_SET_PDEATHSIG), and
 * checks that the agent did not die before it asked; its handler
 * SIGKILLs the worker's whole group.  Checks run with RLIMIT_CORE 0.
 * (What escaped the group while the agent was SIGKILLed is out of reach:
 * under systemd the unit's cgroup is killed with it.)
 *
 * What a fork costs is kept low all the same: the signals reset in a new
 * worker are only those with a handler or ignored (found once per batch,
 * dfo_child_plan_init), and the programs are linked with -z now, so that
 * no worker resolves symbols (and dirties pages) anew.
 *
 * A check that could not run is not a verdict on its target: fork and
 * socketpair failures, and a check's own report of a local shortage
 * (EAGAIN, EMFILE, ENFILE, ENOMEM, ENOBUFS), give DFO_CHECK_UNKNOWN.
 * When fork or socketpair fail while other checks run, the batch instead
 * waits for those and goes on with fewer at once.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
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
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core.h"

#define MSG_LEN	 256
#define FQDN_LEN 256 /* a DNS name is at most 253 characters */
/* Idle workers kept: the most the last 16 batches had busy at once. */
#define TRIM_BATCHES 16
/* Seconds: a SIGKILLed worker not gone by then is dfo_children_sweep's. */
#define DYING_BOUND 1.0

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

/* The worker's parent-death signal: the whole group goes, not only the
 * worker, so that what the check's program started (an exec check's
 * shell and its children) does not outlive a SIGKILLed agent.  The
 * kernel's parent-death signal reaches only the process that asked. */
static void group_death(int sig)
{
	(void)sig;
	/* The group this process leads (dfo_child_setup): never 0, which
	 * would be the agent's own group if setpgid had failed. */
	kill(-getpid(), SIGKILL);
	_exit(128 + SIGKILL);
}

/* A job, as the parent sends it to a worker (one datagram): pointers
 * into the memory the worker was forked with, the target inline. */
struct job_msg {
	const struct dfo_check_provider *prov;
	void *state;
	struct dfo_addr addr;
	double timeout;
	int has_fqdn;
	char fqdn[FQDN_LEN];
};

/* What a worker answers (one datagram).  `done` is when the check
 * returned, on the monotonic clock that every process shares: an answer
 * sent before the deadline counts even when a busy agent reads it later.
 * `clean`: the check left no process behind (the worker may go on). */
struct report {
	int rc;
	int clean;
	double done;
	char msg[MSG_LEN];
};

/* The job for a worker; false if its fqdn does not fit (then it is run
 * only by a worker forked for it, which has the whole job in memory). */
static bool job_msg_init(struct job_msg *m, const struct dfo_check_job *j)
{
	memset(m, 0, offsetof(struct job_msg, fqdn) + 1);
	m->prov = j->prov;
	m->state = j->state;
	m->addr = j->target.addr;
	m->timeout = j->target.timeout;
	m->has_fqdn = j->target.fqdn != NULL;
	if (!j->target.fqdn)
		return true;
	size_t len = strlen(j->target.fqdn);
	if (len >= FQDN_LEN)
		return false;
	memcpy(m->fqdn, j->target.fqdn, len + 1);
	return true;
}

/* Whether the check left a process behind: its zombies reaped, true if
 * none is left.  (A pooled worker is a subreaper: all it left is here.) */
static bool no_children(void)
{
	for (;;) {
		pid_t r = waitpid(-1, NULL, WNOHANG);
		if (r > 0 || (r < 0 && errno == EINTR))
			continue;
		return r < 0; /* ECHILD: none; 0: some still run */
	}
}

/* In the worker: run one check and send its report.  True if the
 * worker may take another (`stay`, and the check left no process). */
static bool run_one(int sock, const struct dfo_check_provider *prov,
		    void *state, const struct dfo_check_target *target,
		    bool stay)
{
	struct dfo_err e;
	dfo_err_clear(&e);
	int rc = prov->check(state, target, &e);
	struct report out;
	memset(&out, 0, sizeof(out));
	out.done = dfo_now();
	out.rc = rc > 0 ? -rc : rc;
	if (out.rc < 0 && !e.msg[0])
		snprintf(e.msg, sizeof(e.msg), "%s", strerror(-out.rc));
	memcpy(out.msg, e.msg, strnlen(e.msg, MSG_LEN - 1));
	out.clean = stay && no_children();
	return send(sock, &out, sizeof(out), MSG_NOSIGNAL) == sizeof(out) &&
	       out.clean;
}

/* In the worker: set up, run `first` (the job it was forked for; NULL:
 * none), report; then, when `stay`, run the jobs the parent sends until
 * it closes the socket or the check leaves a process behind.  Never
 * returns. */
static void worker_main(int sock, const struct dfo_check_job *first, bool stay,
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
	if (stay)
		prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

	/* A worker forked ahead of its first job (dfo_check_pool_refill)
	 * starts by waiting for one. */
	if (first &&
	    !run_one(sock, first->prov, first->state, &first->target, stay))
		_exit(0);
	for (;;) {
		struct job_msg m;
		ssize_t r;
		while ((r = recv(sock, &m, sizeof(m), 0)) < 0 && errno == EINTR)
			;
		if (r != (ssize_t)sizeof(m))
			_exit(0); /* the parent closed the socket, or garbage */
		m.fqdn[FQDN_LEN - 1] = '\0';
		struct dfo_check_target target = {0};
		target.addr = m.addr;
		target.timeout = m.timeout;
		target.fqdn = m.has_fqdn ? m.fqdn : NULL;
		if (!run_one(sock, m.prov, m.state, &target, stay))
			_exit(0);
	}
}

/* A failure of this host, not of the target: the "could not run here"
 * values of the check contract in <dnsfailover/plugin.h>. */
static bool local_failure(int rc)
{
	return rc == -EAGAIN || rc == -EMFILE || rc == -ENFILE ||
	       rc == -ENOMEM || rc == -ENOBUFS;
}

/* ---- the pool ---- */

struct worker {
	pid_t pid;
	int pidfd;	 /* -1 where the kernel has no pidfds */
	int sock;	 /* the parent's end */
	unsigned served; /* checks given to it */
};

/* Fork a worker for job `j`, which it runs first (NULL: it waits for
 * one); it stays for more if `stay`: 0, or -errno. */
static int spawn(struct worker *w, const struct dfo_check_job *j, bool stay,
		 const struct dfo_child_plan *plan)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int e = errno;
		close(sv[0]);
		close(sv[1]);
		return -e;
	}
	if (pid == 0) {
		close(sv[0]);
		worker_main(sv[1], j, stay, plan);
	}
	setpgid(pid, pid); /* both sides, so no race with kill(-pid) */
	close(sv[1]);
	*w = (struct worker){.pid = pid,
			     .sock = sv[0],
			     .served = 1,
			     .pidfd = dfo_pidfd_open(pid)};
	return 0;
}

struct dfo_check_pool {
	struct worker *idle; /* a stack: the last returned is reused first */
	size_t nidle, cap;
	unsigned retire;	   /* checks a worker runs at most */
	size_t peak[TRIM_BATCHES]; /* workers busy at once, last batches */
	unsigned batches;
};

struct dfo_check_pool *dfo_check_pool_new(unsigned retire)
{
	struct dfo_check_pool *p = calloc(1, sizeof(*p));
	if (p)
		p->retire = retire ? retire : 1;
	return p;
}

bool dfo_check_pool_has(const struct dfo_check_pool *p, pid_t pid)
{
	for (size_t i = 0; p && i < p->nidle; i++)
		if (p->idle[i].pid == pid)
			return true;
	return false;
}

size_t dfo_check_pool_idle(const struct dfo_check_pool *p)
{
	return p ? p->nidle : 0;
}

static bool pool_push(struct dfo_check_pool *p, const struct worker *w)
{
	struct worker *v = dfo_grow(p->idle, &p->cap, p->nidle + 1, sizeof(*v));
	if (!v)
		return false;
	p->idle = v;
	if (w) /* NULL: only make room */
		p->idle[p->nidle++] = *w;
	return true;
}

/* Kill, then reap within `bound` seconds, the workers w[0..n-1] (their
 * sockets already closed); those not gone by then are left to
 * dfo_children_sweep. */
static void reap_bounded(struct worker *w, size_t n, double bound)
{
	double until = dfo_now() + bound;
	size_t left = n;
	for (size_t i = 0; i < n; i++) {
		kill(-w[i].pid, SIGKILL);
		if (w[i].pidfd < 0) { /* no pidfd: waitpid, as always */
			dfo_child_kill_reap(w[i].pid);
			w[i].pid = 0;
			left--;
		}
	}
	struct pollfd *pf = calloc(n ? n : 1, sizeof(*pf));
	while (left && pf) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			int status;
			if (w[i].pid && dfo_child_try_reap(w[i].pid, &status)) {
				w[i].pid = 0;
				left--;
			}
			if (w[i].pid)
				pf[k++] = (struct pollfd){.fd = w[i].pidfd,
							  .events = POLLIN};
		}
		double wait = until - dfo_now();
		if (!k || wait <= 0)
			break;
		if (poll(pf, k, (int)(wait * 1000) + 1) < 0 && errno != EINTR)
			break;
	}
	free(pf);
	for (size_t i = 0; i < n; i++)
		if (w[i].pidfd >= 0)
			close(w[i].pidfd);
}

void dfo_check_pool_reset(struct dfo_check_pool *p)
{
	if (!p || !p->nidle)
		return;
	for (size_t i = 0; i < p->nidle; i++)
		close(p->idle[i].sock);
	reap_bounded(p->idle, p->nidle, DYING_BOUND);
	p->nidle = 0;
}

void dfo_check_pool_free(struct dfo_check_pool *p)
{
	if (!p)
		return;
	dfo_check_pool_reset(p);
	free(p->idle);
	free(p);
}

/* The most workers the last TRIM_BATCHES batches had busy at once. */
static size_t pool_need(const struct dfo_check_pool *p)
{
	size_t keep = 0;
	for (size_t i = 0; i < TRIM_BATCHES; i++)
		if (p->peak[i] > keep)
			keep = p->peak[i];
	return keep;
}

/* Fork idle workers until there are `want`, for `budget` s at most. */
static size_t pool_fill(struct dfo_check_pool *p, size_t want, double budget)
{
	if (p->nidle >= want)
		return 0;
	struct dfo_child_plan plan;
	dfo_child_plan_init(&plan);
	double until = dfo_now() + budget;
	size_t forked = 0;
	while (p->nidle < want && dfo_now() < until) {
		struct worker w;
		if (p->nidle == p->cap && !pool_push(p, NULL))
			break;
		if (spawn(&w, NULL, true, &plan) < 0)
			break;
		w.served = 0;
		/* At the bottom: the workers used last time are used first. */
		memmove(p->idle + 1, p->idle, p->nidle * sizeof(*p->idle));
		p->idle[0] = w;
		p->nidle++;
		forked++;
	}
	return forked;
}

size_t dfo_check_pool_refill(struct dfo_check_pool *p, double budget)
{
	/* The fd limit allows no more than a batch could run at once. */
	return p ? pool_fill(p, pool_need(p), budget) : 0;
}

static unsigned fd_budget(unsigned want);

size_t dfo_check_pool_warm(struct dfo_check_pool *p, size_t want, double budget)
{
	if (!p || p->batches || budget <= 0)
		return 0;
	if (want > UINT_MAX)
		want = UINT_MAX;
	return pool_fill(p, fd_budget((unsigned)want), budget);
}

bool dfo_check_pool_short(const struct dfo_check_pool *p)
{
	return p && p->nidle < pool_need(p);
}

/* ---- one batch ---- */

/* One running attempt, kept apart from the jobs, so that memory for it
 * exists only for the max_parallel running ones. */
struct slot {
	struct dfo_check_job *job; /* NULL: free */
	struct worker w;
	bool eof; /* the socket closed with no report: wait for the
		   * worker's end through its pidfd */
	double deadline, started;
};

/* A killed worker the batch waits for (through its pidfd, in the epoll
 * set), until DYING_BOUND has passed. */
struct dying {
	pid_t pid; /* 0: reaped, or given up */
	int pidfd;
	double until;
};

struct batch {
	struct dfo_check_job *jobs;
	size_t n, next; /* jobs; the next one not started */
	size_t *order;	/* jobs' indices, the early ones first */
	struct slot *slot;
	size_t nslot, used, peak;    /* slots; those busy now; most at once */
	size_t *free, nfree;	     /* free slots (a stack) */
	size_t *queue, qhead, qtail; /* jobs to retry */
	struct dying *dying;	     /* appended to, never moved within */
	size_t ndying, capdying, dying_left;
	int ep;
	const struct dfo_run_opts *opts;
	struct dfo_check_pool *pool; /* NULL: one check per worker */
	struct dfo_child_plan plan;
};

/* epoll keys: a slot's index, a dying worker's (with DYING), the
 * options' watched fd. */
#define WATCH UINT64_MAX
#define DYING (UINT64_C(1) << 62)

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

/* Drop a worker: SIGKILL its group and reap it, or wait for it through
 * its pidfd (never in this call).  Its socket must be out of the epoll
 * set. */
static void drop(struct batch *b, struct worker *w)
{
	close(w->sock);
	w->sock = -1;
	int status;
	kill(-w->pid, SIGKILL);
	if (w->pidfd < 0) {
		dfo_child_kill_reap(w->pid);
		return;
	}
	if (dfo_child_try_reap(w->pid, &status) != 0)
		goto done;
	struct dying *v =
		dfo_grow(b->dying, &b->capdying, b->ndying + 1, sizeof(*v));
	if (!v) /* reaped by dfo_children_sweep */
		goto done;
	b->dying = v;
	struct epoll_event ev = {.events = EPOLLIN,
				 .data.u64 = DYING | (uint64_t)b->ndying};
	if (epoll_ctl(b->ep, EPOLL_CTL_ADD, w->pidfd, &ev) < 0)
		goto done;
	b->dying[b->ndying++] =
		(struct dying){w->pid, w->pidfd, dfo_now() + DYING_BOUND};
	b->dying_left++;
	return;
done:
	close(w->pidfd);
}

static void dying_end(struct batch *b, struct dying *d)
{
	epoll_ctl(b->ep, EPOLL_CTL_DEL, d->pidfd, NULL);
	close(d->pidfd);
	d->pid = 0;
	b->dying_left--;
}

static int fd_of(const struct slot *s)
{
	return s->eof ? s->w.pidfd : s->w.sock;
}

/* The slot's attempt is over: its worker goes back to the pool if it
 * may (`reuse`), else it is dropped. */
static void slot_free(struct batch *b, struct slot *s, bool reuse)
{
	/* Workers forked since share the fd: take it out first. */
	epoll_ctl(b->ep, EPOLL_CTL_DEL, fd_of(s), NULL);
	if (!(reuse && b->pool && !s->eof && s->w.served < b->pool->retire &&
	      pool_push(b->pool, &s->w)))
		drop(b, &s->w);
	s->job = NULL;
	b->free[b->nfree++] = (size_t)(s - b->slot);
	b->used--;
}

/* The least recently used idle worker, for an early job (one that timed
 * out last time, whose worker a deadline will likely kill): a spare one,
 * forked between batches, if it is one (served 0); the recently used
 * stay for the quick checks. */
static struct worker pool_take_oldest(struct dfo_check_pool *p)
{
	struct worker w = p->idle[0];
	memmove(p->idle, p->idle + 1, --p->nidle * sizeof(*p->idle));
	return w;
}

/* Start an attempt: 0; -1 if it could not start (the job's result is
 * then UNKNOWN); -EAGAIN if it could not start for a lack of processes or
 * descriptors and other workers are running (the job is left as it
 * was, to be started when one of them ends). */
static int start(struct batch *b, struct slot *s, struct dfo_check_job *j)
{
	memset(s, 0, sizeof(*s));
	s->job = j;
	s->started = dfo_now();
	s->deadline =
		s->started + (j->target.timeout > 0 ? j->target.timeout : 5);
	struct job_msg m;
	bool fits = job_msg_init(&m, j);
	while (b->pool && fits && b->pool->nidle) {
		/* An early job runs in a spare worker, or a new one: never in
		 * one that the quick checks would reuse. */
		if (j->early && b->pool->idle[0].served)
			break;
		s->w = j->early ? pool_take_oldest(b->pool)
				: b->pool->idle[--b->pool->nidle];
		if (send(s->w.sock, &m, sizeof(m),
			 MSG_DONTWAIT | MSG_NOSIGNAL) == (ssize_t)sizeof(m)) {
			s->w.served++;
			goto started;
		}
		drop(b, &s->w); /* it died idle */
	}
	int rc = spawn(&s->w, j, b->pool != NULL, &b->plan);
	if (rc < 0) {
		s->job = NULL;
		if (b->used && local_failure(rc))
			return -EAGAIN;
		j->tries++;
		finish(j, 0, DFO_CHECK_UNKNOWN, "could not run the check: %s",
		       strerror(-rc));
		return -1;
	}
started:
	j->tries++;
	j->result = DFO_CHECK_PENDING;
	return 0;
}

/* The attempt's result from the worker's report, if it sent one in
 * time: true.  False: it came too late. */
static bool verdict(struct slot *s, struct report *r)
{
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

/* No report: the worker died without one (its wait status). */
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

/* How many workers the fd limit allows at once: each holds a socket
 * and a pidfd in the parent, and some fds are in use already. */
static unsigned fd_budget(unsigned want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
		return want;
	rlim_t spare = rl.rlim_cur > 64 ? (rl.rlim_cur - 64) / 2 : 1;
	return spare < want ? (unsigned)(spare ? spare : 1) : want;
}

/* The attempt is over; retry it if it may be. */
static void ended(struct batch *b, struct dfo_check_job *j)
{
	if (j->result != DFO_CHECK_HEALTHY && j->tries < j->attempts)
		b->queue[b->qtail++ % b->n] = (size_t)(j - b->jobs);
}

/* The worker closed its socket with no report: its end is near.  Its
 * wait status says how it ended once it has exited: watch its pidfd
 * until then (the deadline still holds).  On the pidfd's event (or at
 * once where there are no pidfds), its group is killed and it is reaped:
 * the attempt crashed. */
static void gone(struct batch *b, struct slot *s)
{
	int status = 0;
	if (s->w.pidfd < 0) {
		epoll_ctl(b->ep, EPOLL_CTL_DEL, s->w.sock, NULL);
		status = dfo_child_kill_reap(s->w.pid);
	} else if (!s->eof) {
		epoll_ctl(b->ep, EPOLL_CTL_DEL, s->w.sock, NULL);
		s->eof = true;
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = (uint64_t)(s - b->slot)};
		if (epoll_ctl(b->ep, EPOLL_CTL_ADD, s->w.pidfd, &ev) < 0)
			s->deadline = 0; /* cannot watch it: ends at once */
		return;
	} else {
		kill(-s->w.pid, SIGKILL); /* what is left of its group */
		if (dfo_child_try_reap(s->w.pid, &status) == 0)
			return; /* not gone after all */
		epoll_ctl(b->ep, EPOLL_CTL_DEL, s->w.pidfd, NULL);
		close(s->w.pidfd);
	}
	close(s->w.sock);
	struct dfo_check_job *j = s->job;
	died(s, status);
	s->job = NULL;
	b->free[b->nfree++] = (size_t)(s - b->slot);
	b->used--;
	ended(b, j);
}

/* The slot's fd is readable: the worker's report, or its end. */
static void on_event(struct batch *b, struct slot *s)
{
	if (s->eof) {
		gone(b, s);
		return;
	}
	union {
		struct report r;
		char b[sizeof(struct report) + 1];
	} u;
	ssize_t r = recv(s->w.sock, u.b, sizeof(u.b), MSG_DONTWAIT);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r <= 0) {
		gone(b, s);
		return;
	}
	struct dfo_check_job *j = s->job;
	bool ok = r == (ssize_t)sizeof(struct report);
	if (!ok)
		finish(j, dfo_now() - s->started, DFO_CHECK_CRASHED,
		       "the check process sent a malformed report (%zd bytes)",
		       r);
	else if (!verdict(s, &u.r))
		finish(j, dfo_now() - s->started, DFO_CHECK_TIMEOUT,
		       "timed out after %.3g s", j->target.timeout);
	slot_free(b, s, ok && u.r.clean);
	ended(b, j);
}

/* Past its deadline: the report if it came in time, else a timeout and
 * the worker's group is killed (it is reaped later, never waited for). */
static void on_deadline(struct batch *b, struct slot *s, double now)
{
	struct dfo_check_job *j = s->job;
	if (!s->eof) {
		on_event(b, s); /* a report sent just in time */
		if (s->job != j)
			return;
	}
	finish(j, now - s->started, DFO_CHECK_TIMEOUT, "timed out after %.3g s",
	       j->target.timeout);
	slot_free(b, s, false);
	ended(b, j);
}

/* Start attempts while slots are free: retries first, then new jobs. */
/* The first batch has started its last job: the workers forked ahead of
 * it (dfo_check_pool_warm) that it did not use are retired now, not at
 * its end, which a hanging check may put off by its whole timeout. */
static void retire_unused(struct batch *b)
{
	struct dfo_check_pool *p = b->pool;
	if (!p || p->batches || b->next < b->n || b->qhead != b->qtail)
		return;
	size_t k = 0;
	for (size_t i = 0; i < p->nidle; i++) {
		if (p->idle[i].served == 0)
			drop(b, &p->idle[i]);
		else
			p->idle[k++] = p->idle[i];
	}
	p->nidle = k;
}

static void fill(struct batch *b)
{
	while (b->nfree && (b->qhead != b->qtail || b->next < b->n)) {
		bool retry = b->qhead != b->qtail;
		struct dfo_check_job *j =
			retry ? &b->jobs[b->queue[b->qhead % b->n]]
			      : &b->jobs[b->order[b->next]];
		struct slot *s = &b->slot[b->free[b->nfree - 1]];
		int rc = start(b, s, j);
		if (rc == -EAGAIN) {
			/* Out of processes or fds: on with fewer. */
			dfo_log(DFO_LOG_INFO,
				"checks: at most %zu at once for "
				"now (no more processes or "
				"descriptors)",
				b->used);
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
		if (++b->used > b->peak)
			b->peak = b->used;
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.u64 = (uint64_t)(s - b->slot)};
		if (epoll_ctl(b->ep, EPOLL_CTL_ADD, s->w.sock, &ev) < 0)
			s->deadline = 0; /* cannot watch it: ends at once */
	}
	retire_unused(b);
}

/* End every attempt now (interrupted, or cannot wait any more). */
static void end_all(struct batch *b, const char *why)
{
	for (size_t i = 0; i < b->nslot; i++) {
		struct slot *s = &b->slot[i];
		if (!s->job)
			continue;
		finish(s->job, 0, DFO_CHECK_UNKNOWN, "%s", why);
		epoll_ctl(b->ep, EPOLL_CTL_DEL, fd_of(s), NULL);
		close(s->w.sock);
		if (s->w.pidfd >= 0)
			close(s->w.pidfd);
		dfo_child_kill_reap(s->w.pid);
		s->job = NULL;
		b->used--;
	}
	for (size_t i = 0; i < b->ndying; i++)
		if (b->dying[i].pid) {
			dfo_child_kill_reap(b->dying[i].pid);
			dying_end(b, &b->dying[i]);
		}
}

/* Wait for the next events and handle them: 0, -EINTR if the options'
 * watched fd ended the batch, -errno if it cannot wait. */
static int step(struct batch *b)
{
	double now = dfo_now(), wait = 3600;
	for (size_t i = 0; i < b->nslot; i++)
		if (b->slot[i].job && b->slot[i].deadline - now < wait)
			wait = b->slot[i].deadline - now;
	for (size_t i = 0; i < b->ndying; i++)
		if (b->dying[i].pid && b->dying[i].until - now < wait)
			wait = b->dying[i].until - now;
	int ms = wait <= 0 ? 0 : (int)(wait * 1000) + 1;
	struct epoll_event ev[64];
	int k = epoll_wait(b->ep, ev, 64, ms);
	if (k < 0 && errno != EINTR)
		return -errno;
	for (int i = 0; i < k; i++) {
		uint64_t key = ev[i].data.u64;
		if (key == WATCH) {
			if (b->opts->interrupted(b->opts->arg))
				return -EINTR;
		} else if (key & DYING) {
			struct dying *d = &b->dying[key & ~DYING];
			int status;
			if (d->pid && (kill(-d->pid, SIGKILL),
				       dfo_child_try_reap(d->pid, &status)))
				dying_end(b, d);
		} else if (b->slot[key].job) {
			on_event(b, &b->slot[key]);
		}
	}
	now = dfo_now();
	for (size_t i = 0; i < b->nslot; i++)
		if (b->slot[i].job && now >= b->slot[i].deadline)
			on_deadline(b, &b->slot[i], now);
	for (size_t i = 0; i < b->ndying; i++)
		if (b->dying[i].pid && now >= b->dying[i].until)
			dying_end(b, &b->dying[i]); /* the sweep's now */
	return 0;
}

/* The batch is done: idle workers beyond the most that the last
 * TRIM_BATCHES batches had busy at once are retired. */
static void trim(struct batch *b)
{
	struct dfo_check_pool *p = b->pool;
	if (!p)
		return;
	p->peak[p->batches++ % TRIM_BATCHES] = b->peak;
	size_t keep = pool_need(p);
	if (p->nidle <= keep)
		return;
	/* The least recently used, at the bottom of the stack. */
	size_t extra = p->nidle - keep;
	for (size_t i = 0; i < extra; i++)
		drop(b, &p->idle[i]);
	memmove(p->idle, p->idle + extra, keep * sizeof(*p->idle));
	p->nidle = keep;
}

struct sweep_arg {
	const struct dfo_run_opts *opts;
};

/* A child the sweep must leave alone: the caller's, or an idle worker. */
static bool sweep_tracked(pid_t pid, void *arg)
{
	const struct sweep_arg *a = arg;
	if (!a->opts)
		return false;
	return dfo_check_pool_has(a->opts->pool, pid) ||
	       (a->opts->tracked && a->opts->tracked(pid, a->opts->arg));
}

static int batch_init(struct batch *b, struct dfo_check_job *jobs, size_t n,
		      unsigned max_parallel, const struct dfo_run_opts *opts)
{
	memset(b, 0, sizeof(*b));
	b->jobs = jobs;
	b->n = n;
	b->opts = opts;
	b->pool = opts ? opts->pool : NULL;
	if (max_parallel == 0)
		max_parallel = 1;
	max_parallel = fd_budget(max_parallel);
	if (n && max_parallel > n)
		max_parallel = (unsigned)n;
	b->nslot = max_parallel;
	b->slot = calloc(b->nslot, sizeof(*b->slot));
	b->free = calloc(b->nslot, sizeof(*b->free));
	b->queue = calloc(n ? n : 1, sizeof(*b->queue));
	b->order = calloc(n ? n : 1, sizeof(*b->order));
	b->ep = epoll_create1(EPOLL_CLOEXEC);
	if (!b->slot || !b->free || !b->queue || !b->order || b->ep < 0)
		return b->ep < 0 ? -errno : -ENOMEM;
	/* The early jobs first: each deadline counts from its own start, so
	 * the batch lasts until the last slow check's start plus its
	 * timeout; started last, behind a thousand quick ones, a blackholed
	 * target's check would add their dispatch to the batch. */
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].early)
			b->order[k++] = i;
	for (size_t i = 0; i < n; i++)
		if (!jobs[i].early)
			b->order[k++] = i;
	for (size_t i = 0; i < b->nslot; i++)
		b->free[b->nfree++] = b->nslot - 1 - i;
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
	free(b->order);
	free(b->dying);
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
	bool trimmed = false;
	for (;;) {
		fill(&b);
		if (b.used == 0 && !trimmed) {
			trim(&b);
			trimmed = true;
		}
		if (b.used == 0 && b.dying_left == 0)
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
