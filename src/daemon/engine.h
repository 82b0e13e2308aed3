/*
 * The failover engine: runs the rounds of every pool of a config, and
 * supervises its responders.  Single-threaded.
 */
#ifndef DFO_ENGINE_H
#define DFO_ENGINE_H

#include "core.h"

struct dfo_engine;

enum dfo_engine_event {
	DFO_ENGINE_STOP = 0, /* SIGTERM/SIGINT, or on_self_failure = exit */
	DFO_ENGINE_RELOAD,   /* SIGHUP */
};

/* A new engine for `conf` (not owned: the caller frees it after the
 * engine).  `sigfd` is a signalfd for SIGTERM, SIGINT and SIGHUP. */
struct dfo_engine *dfo_engine_new(struct dfo_config *conf, int sigfd);

/* Run rounds until a signal arrives; returns what happened.  Sets
 * *exit_code to the program's exit status when returning STOP. */
enum dfo_engine_event dfo_engine_run(struct dfo_engine *e, int *exit_code);

/* Switch to a freshly loaded config, keeping the state of pools that
 * keep their name (who is up, hysteresis counters). */
void dfo_engine_set_config(struct dfo_engine *e, struct dfo_config *conf);

/* Clean shutdown: withdraw_on_exit, stop responders. */
void dfo_engine_shutdown(struct dfo_engine *e);

void dfo_engine_free(struct dfo_engine *e);

#endif
