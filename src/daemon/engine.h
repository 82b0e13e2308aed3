/*
 * The failover engine: runs the rounds of every pool of a config, and
 * supervises its responders.  Single-threaded.  The round is described
 * in round.c, the status file in status.c, responders in supervisor.c.
 */
#ifndef DFO_ENGINE_H
#define DFO_ENGINE_H

#include "core.h"

struct engine;

enum engine_event {
	ENGINE_STOP = 0, /* SIGTERM/SIGINT, or on_self_failure = exit */
	ENGINE_RELOAD,	 /* SIGHUP */
	ENGINE_WATCHED,	 /* the descriptor given to engine_watch() is
			  * readable (or hung up) */
};

/* Watch `fd` (-1: stop watching) too: engine_run() returns
 * ENGINE_WATCHED between rounds once it is readable.  `pid` (0: none)
 * is a child of main's that the engine must not reap. */
void engine_watch(struct engine *e, int fd, pid_t pid);

/* A new engine for `conf` (not owned: the caller frees it after the
 * engine).  `sigfd` is a signalfd for SIGTERM, SIGINT and SIGHUP. */
struct engine *engine_new(struct dfo_config *conf, int sigfd);

/* Run rounds until a signal arrives; returns what happened.  SIGTERM and
 * SIGINT are seen within a moment even during a round (its checks are
 * killed and it changes nothing); SIGHUP once the round is over.  Sets
 * *exit_code to the program's exit status when returning STOP: 0 for a
 * signal, 1 when a pool with on_self_failure = exit failed its
 * self-check.  Responders are started on the first call. */
enum engine_event engine_run(struct engine *e, int *exit_code);

/* Switch to a freshly loaded config, keeping the state of pools that
 * keep their name (who is up, hysteresis counters, per FQDN of the same
 * name).  A responder whose section is unchanged keeps its process; the
 * others are stopped and started again from the new config.
 * The engine keeps pointers into `conf` from now on; the old config may
 * be freed after this returns. */
void engine_set_config(struct engine *e, struct dfo_config *conf);

/* Clean shutdown: withdraw_on_exit (never the last record), stop the
 * responders (SIGTERM, then SIGKILL after 3 s), a last status file. */
void engine_shutdown(struct engine *e);

/* Stops the /metrics server and waits for notify programs still running
 * (each up to its notify_timeout, then killed). */
void engine_free(struct engine *e);

#endif
