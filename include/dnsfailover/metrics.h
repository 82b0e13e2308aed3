/*
 * Metrics that providers and responders register with the core, which
 * serves them with its own in the Prometheus text format.
 *
 * Values live in memory the agent shares with its children, so what a
 * responder counts in its own process is seen by the agent.  Every
 * function is thread-safe and lock-free on the update path.  Names
 * follow Prometheus conventions: dnsfailover_<plugin>_<what>_<unit>,
 * counters ending in _total, base units (seconds, bytes).
 */
#ifndef DNSFAILOVER_METRICS_H
#define DNSFAILOVER_METRICS_H

#ifdef __cplusplus
extern "C" {
#endif

enum dfo_metric_type { DFO_METRIC_COUNTER = 0, DFO_METRIC_GAUGE };

struct dfo_metric; /* owned by the core; valid for the process's life */

/* Register (or find again) the metric `name` with `labels`, which is
 * NULL or label pairs without braces, e.g. "pool=\"www\",op=\"list\"".
 * Registering the same name and labels again returns the same metric,
 * so a restarted responder goes on counting.  NULL when the name or
 * labels are malformed, the type differs from an earlier registration
 * of the name, or the table (512 metrics) is full; dfo_metric_add() and
 * dfo_metric_set() accept NULL and do nothing. */
struct dfo_metric *dfo_metric_register(enum dfo_metric_type type,
				       const char *name, const char *help,
				       const char *labels);

/* Add v (>= 0) to a counter. */
void dfo_metric_add(struct dfo_metric *m, double v);
/* Set a gauge. */
void dfo_metric_set(struct dfo_metric *m, double v);
/* The current value; 0 for NULL. */
double dfo_metric_get(const struct dfo_metric *m);

#ifdef __cplusplus
}
#endif
#endif
