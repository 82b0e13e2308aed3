/*
 * What the agent offers operators beside the rounds: events (notify
 * programs, the core's metrics, drain files; events.c), the /metrics
 * server and systemd's notification protocol (ops.c).  The engine and
 * the round call in at a few places only:
 *
 *   engine loop:  ops_tick() each turn, ops_pollfds()/ops_next() around
 *                 its poll();
 *   round:        events_emit() on each state change, events_error() in
 *                 round_error(), events_checks() after the checks,
 *                 events_round() at its end, events_draining() before
 *                 joining.
 *
 * Private to the dnsfailover program; single-threaded like the engine.
 */
#ifndef DFO_OPS_H
#define DFO_OPS_H

#include <poll.h>
#include <stdbool.h>

#include "agent.h"

/* ---- events (events.c) ---- */

enum event_type {
	EV_JOINED = 0, /* this host added its record */
	EV_REJOINED,   /* added again after withdrawing or eviction */
	EV_WITHDREW,   /* removed its own record */
	EV_EVICTED,    /* removed a dead peer's record */
	EV_REMOVED,    /* its own record was removed by another agent */
	EV_PEER_DOWN,
	EV_PEER_UP,
	EV_SELF_FAILING, /* own check failed */
	EV_SELF_OK,	 /* own check passes again */
	EV_DNS_ERROR,	 /* dns or ipsource errors begin */
	EV_DNS_OK,	 /* and end */
	EV_DRAINING,	 /* the drain file appeared */
	EV_UNDRAINED,	 /* and went away */
	EV_COUNT
};

/* DFO_EVENT's value of an event ("joined", "peer_down", ...). */
const char *events_name(enum event_type t);

/* The module's state (notify programs running, the config they read),
 * one per engine (struct agent); NULL if out of memory.  events_free
 * waits for the programs still running (events_finish). */
struct events *events_new(void);
void events_free(struct events *ev);

/* Take the notify programs and the pools of `conf` (kept, not owned:
 * call again after a reload); registers the core's metrics of each
 * pool, at 0. */
void events_configure(struct events *ev, const struct dfo_config *conf);

/* A state change of pool `ps`: counted, and the pool's notify program
 * (else the core's; none when ps->agent has no events) started with DFO_EVENT,
 * DFO_POOL, DFO_FQDN, DFO_ADDRESS and DFO_REASON in its environment.  fqdn,
 * addr and reason may be NULL.  Never waits for the program. */
void events_emit(const struct pool_state *ps, enum event_type t,
		 const char *fqdn, const struct dfo_addr *addr,
		 const char *reason);

/* The operation whose failure stopped a round. */
enum round_op {
	ROUND_OP_OWN_ADDR,	 /* the ipsource's own_addr() */
	ROUND_OP_IPSOURCE_START, /* start() of the pool's instances */
	ROUND_OP_DNS_START,
	ROUND_OP_CHECK_START,
	ROUND_OP_DNS_LIST, /* the dns provider's list(), add(), del() */
	ROUND_OP_DNS_ADD,
	ROUND_OP_DNS_DEL,    /* a dead peer's eviction, or withdrawing */
	ROUND_OP_CHECKS_RUN, /* checks that could not run (unknown) */
	ROUND_OP_N
};

/* An error of the round, by the operation that failed: counted in
 * dnsfailover_{ipsource,dns,check}_errors_total by op (its name as the
 * code calls it: own_addr, start, list, add, del, run); the first of a
 * run is an EV_DNS_ERROR. */
void events_error(const struct pool_state *ps, enum round_op op);

/* The checks of a round (self first, then each peer): counted by result. */
void events_checks(const struct pool_state *ps,
		   const struct dfo_check_job *jobs, size_t n);

/* The round is over: rounds, duration, peers up. */
void events_round(const struct pool_state *ps);

/* Append the round-duration histogram (Prometheus text) to out. */
struct dfo_sbuf;
int events_metrics_write(struct dfo_sbuf *out);

/* Does the pool's drain_file exist?  Updates ps->draining and emits
 * EV_DRAINING / EV_UNDRAINED when that changes. */
bool events_draining(struct pool_state *ps);

/* Notify programs still running: their pidfds, the next deadline, reap
 * what ended and kill what is overdue (never blocks). */
size_t events_pollfds(const struct events *ev, struct pollfd *p, size_t max);
double events_next(const struct events *ev);
void events_reap(struct events *ev);
/* Is `pid` a notify program of ours (not an orphan to sweep)? */
bool events_tracked(const struct events *ev, pid_t pid);
/* At exit: wait for running programs up to their deadline, then kill. */
void events_finish(struct events *ev);

/* ---- metrics server and systemd (ops.c) ---- */

/* The metrics server's state (its listener and epoll descriptor), one
 * per engine (struct agent), serving beside `ev` (not owned); NULL if
 * out of memory.  ops_free stops the server. */
struct ops *ops_new(struct events *ev);
void ops_free(struct ops *o);

/* Start (or, after a reload, restart if the address changed) the
 * metrics server of conf->metrics_listen and configure events. */
void ops_configure(struct ops *o, const struct dfo_config *conf);

/* Once per engine loop turn: reap notify programs, serve HTTP, ping the
 * watchdog; `ready` (the responders are up): READY=1 the first time. */
void ops_tick(struct ops *o, bool ready);
/* Descriptors for the engine's poll() (up to max) and when ops_tick()
 * is next due (dfo_now() clock; a large value if never). */
size_t ops_pollfds(const struct ops *o, struct pollfd *p, size_t max);
double ops_next(const struct ops *o);

/* Send a state to systemd ("RELOADING=1", "STOPPING=1", ...) if
 * NOTIFY_SOCKET was set at start; READY=1 after a reload too. */
void ops_sd_notify(const char *state);
/* A new config runs: READY=1 again once its responders are all up. */
void ops_reloaded(void);
/* Ping the watchdog if half its interval has passed (cheap; also
 * called from inside long rounds). */
void ops_watchdog(void);

#endif
