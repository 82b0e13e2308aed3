/* dnsfailover --status: the status file shown to an operator. */
#ifndef DFO_STATUS_SHOW_H
#define DFO_STATUS_SHOW_H

#include <stddef.h>
#include <stdio.h>

/* What the config says of a pool. */
struct status_pool_info {
	const char *name;
	double interval; /* seconds between rounds; <= 0: unknown */
};

/* Print the status text `text` (read from `path`) per pool: state, own
 * address, the last round's time and duration, each FQDN's records with
 * each peer's last result, latency and reason; per responder: its state,
 * index size and age, last refresh error.  `now` is the wall clock.
 * Returns 1 if a pool is failing (error, self-check failing), has not
 * run, or its last round is older than three intervals, if a responder
 * does not serve or (with responders) the agent is gone or has not
 * rewritten the file for 20 s, or the text is not a status file; else
 * 0. */
int status_show(FILE *out, const char *path, const char *text, size_t len,
		const struct status_pool_info *info, size_t ninfo, double now);

/* 0 if `text` is one well-formed JSON value, else -1 (for the fuzzer). */
int status_parse_check(const char *text, size_t len);

#endif
