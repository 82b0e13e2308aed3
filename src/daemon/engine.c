/*
 * The failover engine: a single-threaded loop that sleeps in poll() on
 * the signalfd, the responders' pidfds and a descriptor main asks it to
 * watch (the child checking a new config) until the next pool round or
 * responder restart is due, runs due rounds (round.c), writes the status
 * file after each, and hands signals back to main.
 *
 * A round's checks watch the signalfd too: SIGTERM or SIGINT ends them at
 * once (the round changes nothing), SIGHUP is kept for after the round.
 * Every pass of the loop also reaps children nobody tracks (orphans that
 * were re-parented to the agent, a child subreaper) and kills those still
 * running: what a check leaves behind never outlives its round.
 *
 * The engine owns the pool of idle check processes (agent.workers,
 * runner.c) that its rounds reuse; they are the agent's own children to
 * the sweep.  Between rounds it forks those that deadlines killed, as
 * many as recent rounds had busy at once.  They are retired when the
 * config is swapped, before anything of the new one is opened, and at
 * shutdown.
 *
 * Each pool keeps its own schedule (the due time of its last round), so
 * pools sharing a timer instance each run at its rate, and a reload keeps
 * the schedule of the pools it keeps.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "agent.h"
#include "engine.h"
#include "ops.h"

#define MAX_POLL       64
#define WITHDRAW_BOUND 10.0 /* seconds, see dnsfailover(8) SIGNALS */
/* Checks a check process runs before it is retired (what a check leaks
 * stays bounded). */
#define WORKER_CHECKS 1000
/* The first round waits for the check processes forked ahead of it at
 * most this long past its due time (seconds). */
#define WARM_LATE 2.0

struct engine {
	struct dfo_config *conf; /* not owned */
	int sigfd;
	struct pool_state *pools; /* one per pool of conf, same order */
	size_t npools;
	struct supervisor sup;
	size_t turn;		/* where the next scan for due pools starts */
	bool started;		/* responders started */
	bool stop;		/* on_self_failure = exit */
	bool warm_over;		/* no more forking ahead of the first round */
	size_t warm_n;		/* check processes forked ahead of it */
	double warm_s;		/* seconds spent forking them */
	int pending;		/* a signal seen during a round: event, or -1 */
	int watch_fd;		/* main's descriptor to watch; -1: none */
	pid_t watch_pid;	/* main's child; 0: none */
	struct dfo_run_opts ro; /* for the rounds' checks */
	unsigned status_fails;	/* status file writes failed running */
	double status_next_warn; /* no warning about it before then */
	double status_next;	 /* responders' state: next status write */
	struct agent agent;	 /* the modules' state across reloads */
};

/* With responders, the status file is rewritten this often, rounds or
 * not: --status reads their state (and the file's age) from it. */
#define STATUS_EVERY 2.0

/* Each check needs two fds in the agent: ask for the hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* Start the pools' check instances, as their first rounds would (a
 * failure is left for the round to report): check processes forked
 * before a check's start are retired at it.  True if all are started. */
static bool checks_started(struct engine *e)
{
	bool all = true;
	for (size_t i = 0; i < e->npools; i++) {
		struct dfo_err err;
		dfo_err_clear(&err);
		if (dfo_instance_start(e->pools[i].pool->check, &err) < 0)
			all = false;
	}
	return all;
}

/* The new state of pool `p`, moving what `prev` (may be NULL) knew:
 * counters, peers, and the FQDNs the pool keeps. */
static int pool_build(struct pool_state *s, const struct dfo_pool *p,
		      struct pool_state *prev, struct agent *agent)
{
	struct fqdn_state *fq = calloc(p->nfqdn, sizeof(*fq));
	if (!fq)
		return -ENOMEM;
	for (size_t f = 0; f < p->nfqdn; f++) {
		struct fqdn_state *from = NULL;
		for (size_t k = 0; prev && k < prev->nfq && !from; k++)
			if (prev->fq[k].name &&
			    strcmp(prev->fq[k].name, p->fqdn[f]) == 0)
				from = &prev->fq[k];
		if (from) {
			fq[f] = *from;
			memset(from, 0, sizeof(*from));
			continue;
		}
		dfo_rrset_init(&fq[f].records, p->family);
		if (!(fq[f].name = strdup(p->fqdn[f]))) {
			for (size_t k = 0; k < f; k++)
				free(fq[k].name);
			free(fq);
			return -ENOMEM;
		}
	}
	if (prev) {
		*s = *prev;
		s->fq = prev->fq; /* cleared below with what was not moved */
		s->nfq = prev->nfq;
		prev->name = NULL;
		prev->quorum = NULL;
		prev->peers = NULL;
		prev->npeers = 0;
		for (size_t k = 0; k < s->nfq; k++) {
			free(s->fq[k].name);
			dfo_rrset_clear(&s->fq[k].records);
		}
		free(s->fq);
		prev->fq = NULL;
		prev->nfq = 0;
	} else {
		memset(s, 0, sizeof(*s));
		if (!(s->name = strdup(p->name))) {
			for (size_t k = 0; k < p->nfqdn; k++)
				free(fq[k].name);
			free(fq);
			return -ENOMEM;
		}
	}
	s->fq = fq;
	s->nfq = p->nfqdn;
	s->pool = p;
	s->agent = agent;
	s->skip = 0;
	if (!prev) {
		s->scheduled = false;
		s->last_due = -1;
	} else if (s->scheduled && s->last_due >= 0) {
		/* The schedule goes on: the next round as the (new) timer
		 * puts it after the last one. */
		s->due = dfo_inst_timer(p->timer)->next_round(
			p->timer->state, s->last_due, dfo_now());
	}
	return 0;
}

/* Replace e->pools by the states of conf's pools. */
static int pools_build(struct engine *e, struct dfo_config *conf)
{
	struct pool_state *ps =
		calloc(conf->npools ? conf->npools : 1, sizeof(*ps));
	if (!ps)
		return -ENOMEM;
	for (size_t i = 0; i < conf->npools; i++) {
		struct pool_state *prev = NULL;
		for (size_t k = 0; k < e->npools && !prev; k++)
			if (e->pools[k].name &&
			    strcmp(e->pools[k].name, conf->pools[i].name) == 0)
				prev = &e->pools[k];
		if (pool_build(&ps[i], &conf->pools[i], prev, &e->agent) < 0) {
			for (size_t k = 0; k < i; k++)
				pool_state_clear(&ps[k]);
			free(ps);
			return -ENOMEM;
		}
	}
	for (size_t k = 0; k < e->npools; k++)
		pool_state_clear(&e->pools[k]);
	free(e->pools);
	e->pools = ps;
	e->npools = conf->npools;
	return 0;
}

static bool engine_interrupted(void *arg);
static bool engine_tracked(pid_t pid, void *arg);
static void status_temps_clean(const char *path);

struct engine *engine_new(struct dfo_config *conf, int sigfd)
{
	struct engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->conf = conf;
	e->sigfd = sigfd;
	e->pending = -1;
	e->watch_fd = -1;
	e->agent.workers = dfo_check_pool_new(WORKER_CHECKS);
	e->ro = (struct dfo_run_opts){.watch_fd = sigfd,
				      .interrupted = engine_interrupted,
				      .tracked = engine_tracked,
				      .arg = e,
				      .pool = e->agent.workers};
	e->agent.events = events_new();
	e->agent.ops = e->agent.events ? ops_new(e->agent.events) : NULL;
	if (!e->agent.workers || !e->agent.ops || pools_build(e, conf) < 0) {
		ops_free(e->agent.ops);
		events_free(e->agent.events);
		dfo_check_pool_free(e->agent.workers);
		free(e);
		return NULL;
	}
	raise_fd_limit();
	ops_configure(e->agent.ops, conf);
	if (conf->status_file)
		status_temps_clean(conf->status_file);
	return e;
}

/* Read pending signals: STOP or RELOAD, or -1 if none that matters. */
static int read_signals(struct engine *e)
{
	int ev = e->pending;
	e->pending = -1;
	struct signalfd_siginfo si;
	while (read(e->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			if (ev < 0)
				ev = ENGINE_RELOAD;
		} else if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
			dfo_log(DFO_LOG_NOTICE, "%s: stopping",
				strsignal((int)si.ssi_signo));
			ev = ENGINE_STOP;
			/* What runs of the round gives up now. */
			dfo_stop_at(dfo_now());
		}
	}
	return ev;
}

/* During a round's checks: stop them for SIGTERM/SIGINT; a SIGHUP waits
 * for the end of the round. */
static bool engine_interrupted(void *arg)
{
	struct engine *e = arg;
	int ev = read_signals(e);
	e->pending = ev;
	return ev == ENGINE_STOP;
}

/* Children that are not the engine's to reap. */
static bool engine_tracked(pid_t pid, void *arg)
{
	const struct engine *e = arg;
	if (e->watch_pid > 0 && pid == e->watch_pid)
		return true;
	if (dfo_check_pool_has(e->agent.workers, pid))
		return true;
	for (size_t i = 0; i < e->sup.n; i++)
		if (e->sup.r[i].pid == pid ||
		    (e->sup.r[i].prev_pid > 0 && e->sup.r[i].prev_pid == pid))
			return true;
	return events_tracked(e->agent.events, pid);
}

void engine_watch(struct engine *e, int fd, pid_t pid)
{
	e->watch_fd = fd;
	e->watch_pid = pid;
}

/* A status file that cannot be written is said so at once, then at
 * most once in 1, 2, 4 ... 300 s while it lasts (each round tries), and
 * when it is written again. */
static void write_status(struct engine *e)
{
	if (!e->conf->status_file)
		return;
	int rc = status_write(e->conf->status_file, e->pools, e->npools,
			      &e->sup);
	double now = dfo_now();
	if (rc >= 0) {
		if (e->status_fails)
			dfo_log(DFO_LOG_NOTICE,
				"status file %s written again "
				"(after %u failed writes)",
				e->conf->status_file, e->status_fails);
		e->status_fails = 0;
		return;
	}
	unsigned n = e->status_fails++;
	if (n && now < e->status_next_warn)
		return;
	double gap = n >= 9 ? 300 : (double)(1u << n);
	e->status_next_warn = now + (gap > 300 ? 300 : gap);
	dfo_log(DFO_LOG_WARNING,
		"status file %s: %s (%u failed writes; "
		"next warning in %g s at the earliest)",
		e->conf->status_file, strerror(-rc), n + 1,
		gap > 300 ? 300 : gap);
}

/* FILE.tmp.XXXXXX files beside the status file are what a writer killed
 * between its write and its rename left (dfo_file_replace): one agent
 * writes one status file, so at start they are all stale. */
static void status_temps_clean(const char *path)
{
	char *dcopy = strdup(path), *bcopy = strdup(path);
	DIR *d = dcopy && bcopy ? opendir(dirname(dcopy)) : NULL;
	const char *base = bcopy ? basename(bcopy) : "";
	size_t blen = strlen(base);
	for (struct dirent *de; d && (de = readdir(d));) {
		const char *n = de->d_name;
		if (strncmp(n, base, blen) != 0 ||
		    strncmp(n + blen, ".tmp.", 5) || strlen(n + blen + 5) != 6)
			continue;
		if (unlinkat(dirfd(d), n, 0) == 0)
			dfo_log(DFO_LOG_NOTICE,
				"removed %s, left by an agent "
				"that died while writing its status",
				n);
	}
	if (d)
		closedir(d);
	free(dcopy);
	free(bcopy);
}

/* Pool `ps`'s round is due: run it (or skip it, backing off) and
 * schedule the next. */
static void pool_round(struct engine *e, struct pool_state *ps)
{
	const struct dfo_timer_provider *tm = dfo_inst_timer(ps->pool->timer);
	if (ps->skip > 0) {
		ps->skip--;
		dfo_log(DFO_LOG_DEBUG, "pool %s: backing off, round skipped",
			ps->name);
	} else {
		if (e->warm_n) /* the first round */
			dfo_log(DFO_LOG_INFO,
				"checks: %zu check processes forked ahead of "
				"the first round in %.3f s (%.3f ms each)",
				e->warm_n, e->warm_s,
				e->warm_s * 1000 / e->warm_n);
		e->warm_n = 0;
		e->warm_over = true;
		int rc = round_run(ps, &e->ro, e->conf->max_parallel);
		if (rc == ROUND_EXIT)
			e->stop = true;
		if (rc == ROUND_INTERRUPTED)
			dfo_log(DFO_LOG_INFO, "pool %s: round cut short",
				ps->name);
	}
	ps->last_due = ps->due;
	ps->due =
		tm->next_round(ps->pool->timer->state, ps->last_due, dfo_now());
	write_status(e);
}

/* Run the first pool whose round is due, taking turns so that a pool
 * whose rounds overrun cannot starve the others: true if one ran.
 * Else *next is lowered to the earliest due time, and *first_due is
 * the earliest pool's round. */
static bool run_due(struct engine *e, double now, double *next,
		    double *first_due)
{
	*first_due = HUGE_VAL;
	for (size_t k = 0; k < e->npools; k++) {
		size_t i = (e->turn + k) % e->npools;
		struct pool_state *ps = &e->pools[i];
		if (!ps->scheduled) {
			struct dfo_err te;
			dfo_err_clear(&te);
			if (dfo_instance_start(ps->pool->timer, &te) < 0)
				dfo_log(DFO_LOG_ERR, "pool %s: %s", ps->name,
					te.msg);
			ps->due = dfo_inst_timer(ps->pool->timer)
					  ->next_round(ps->pool->timer->state,
						       -1, now);
			ps->scheduled = true;
		}
		if (ps->due < *first_due)
			*first_due = ps->due;
		if (ps->due > now) {
			if (ps->due < *next)
				*next = ps->due;
			continue;
		}
		if (!e->warm_over && now < ps->due + WARM_LATE) {
			/* Forking ahead of it: engine_between. */
			if (ps->due + WARM_LATE < *next)
				*next = ps->due + WARM_LATE;
			continue;
		}
		pool_round(e, ps);
		e->turn = i + 1;
		return true;
	}
	return false;
}

/* Nothing due: fork check processes, a tenth of a second a pass (then
 * signals again); *next is brought forward while there is more to fork.
 * Between rounds, those that deadlines killed are replaced, so that the
 * next round need not fork them.  Before the first round, those it will
 * run are forked, up to max_parallel, while the agent waits for it (the
 * tick timer's first round is 1 s after the start).  The round waits for
 * them, WARM_LATE s at most: forked in it instead, they would hold back
 * its last checks as long and end it no sooner.  Those it does not use
 * are retired once its last check has started. */
static void engine_between(struct engine *e, double first_due, double *next)
{
	if (dfo_check_pool_refill(e->agent.workers, 0.1) &&
	    dfo_check_pool_short(e->agent.workers))
		*next = dfo_now();
	if (e->warm_over)
		return;
	/* No pool, no round: nothing to fork for (first_due infinite). */
	double t = dfo_now(), left = first_due + WARM_LATE - t;
	size_t warm = left > 0.01 && first_due < HUGE_VAL && checks_started(e)
			      ? dfo_check_pool_warm(e->agent.workers,
						    e->conf->max_parallel,
						    left < 0.1 ? left : 0.1)
			      : 0;
	if (warm) {
		e->warm_n += warm;
		e->warm_s += dfo_now() - t;
	} else {
		e->warm_over = true; /* filled, or cannot: a round may wait */
	}
	*next = dfo_now();
}

/* Wait for signals, main's descriptor, the responders' and the ops
 * listeners' events, until `next` at most. */
static void engine_wait(struct engine *e, double next)
{
	struct pollfd p[2 + 3 * MAX_POLL];
	p[0] = (struct pollfd){.fd = e->sigfd, .events = POLLIN};
	p[1] = (struct pollfd){.fd = e->watch_fd, .events = POLLIN};
	size_t np = 2 + supervisor_pollfds(&e->sup, p + 2, MAX_POLL);
	np += ops_pollfds(e->agent.ops, p + np, 2 + 3 * MAX_POLL - np);
	double opsnext = ops_next(e->agent.ops);
	if (opsnext < next)
		next = opsnext;
	double wait = next - dfo_now();
	int ms = wait <= 0     ? 0
		 : wait > 3600 ? 3600 * 1000
			       : (int)(wait * 1000) + 1;
	if (poll(p, np, ms) < 0 && errno != EINTR) {
		dfo_log(DFO_LOG_ERR, "poll: %s", strerror(errno));
		usleep(100000);
	}
}

enum engine_event engine_run(struct engine *e, int *exit_code)
{
	*exit_code = 0;
	if (!e->started) {
		if (supervisor_start(&e->sup, e->conf, e->sigfd) < 0)
			dfo_log(DFO_LOG_ERR, "cannot start responders: out of "
					     "memory");
		e->started = true;
	}
	for (;;) {
		int ev = read_signals(e);
		if (ev >= 0)
			return ev;
		if (e->stop) {
			*exit_code = 1;
			return ENGINE_STOP;
		}
		/* Main's descriptor (a reload going on) before any round:
		 * when rounds overrun their interval one is always due, and
		 * the reload must still move on between them. */
		if (e->watch_fd >= 0) {
			struct pollfd w = {.fd = e->watch_fd, .events = POLLIN};
			if (poll(&w, 1, 0) > 0)
				return ENGINE_WATCHED;
		}
		supervisor_tick(&e->sup);
		ops_tick(e->agent.ops,
			 e->started && supervisor_all_ready(&e->sup));
		dfo_children_sweep(engine_tracked, e);

		double now = dfo_now(), next = supervisor_next(&e->sup);
		if (e->sup.n && e->conf->status_file) {
			if (now >= e->status_next) {
				write_status(e);
				e->status_next = now + STATUS_EVERY;
			}
			if (e->status_next < next)
				next = e->status_next;
		}
		double first_due;
		if (run_due(e, now, &next, &first_due))
			continue; /* signals first, then the next pool */
		engine_between(e, first_due, &next);
		engine_wait(e, next);
	}
}

void engine_set_config(struct engine *e, struct dfo_config *conf)
{
	/* The check processes hold the old config's pointers, and copies of
	 * the agent's descriptors (the metrics listener): they go first,
	 * before anything of the new config is opened. */
	dfo_check_pool_reset(e->agent.workers);
	/* Responders whose section is unchanged keep running; the others
	 * are restarted from the new config. */
	if (e->started && supervisor_reload(&e->sup, conf) < 0) {
		dfo_log(DFO_LOG_ERR, "reload: out of memory; restarting every "
				     "responder");
		supervisor_stop(&e->sup);
		e->started = false;
	}
	if (pools_build(e, conf) < 0) {
		dfo_log(DFO_LOG_ERR,
			"reload: out of memory; pool states reset");
		for (size_t k = 0; k < e->npools; k++)
			pool_state_clear(&e->pools[k]);
		free(e->pools);
		e->pools = NULL;
		e->npools = 0;
		if (pools_build(e, conf) < 0)
			e->stop = true;
	}
	/* Whatever became of the pools, the caller frees the old config
	 * now: nothing may keep pointing at it (notify programs read the
	 * new one from here on). */
	e->conf = conf;
	ops_configure(e->agent.ops, conf);
	agent_paces_prune(&e->agent, conf);
}

void engine_shutdown(struct engine *e)
{
	/* withdraw_on_exit gets WITHDRAW_BOUND seconds in all; a provider
	 * still waiting then (or at another SIGTERM) gives up. */
	dfo_stop_at(dfo_now() + WITHDRAW_BOUND);
	dfo_check_pool_reset(e->agent.workers);
	for (size_t i = 0; i < e->npools; i++)
		round_withdraw_on_exit(&e->pools[i]);
	if (e->started) {
		supervisor_stop(&e->sup);
		e->started = false;
	}
	write_status(e);
}

void engine_free(struct engine *e)
{
	if (!e)
		return;
	for (size_t k = 0; k < e->npools; k++)
		pool_state_clear(&e->pools[k]);
	free(e->pools);
	/* The metrics server stops; notify programs get their deadline. */
	ops_free(e->agent.ops);
	events_free(e->agent.events);
	free(e->agent.paces);
	dfo_check_pool_free(e->agent.workers);
	free(e);
}
