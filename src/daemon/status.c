/*
 * The status file: JSON, rewritten after every round through a temporary
 * file renamed over it, so a reader always sees a whole one.
 *
 * {"pid": 123, "updated": 1700000000.123,
 *  "pools": [{"name": "www", "own": "127.0.0.2", "self": {...},
 *             "state": "joined", "rounds": 7, "round_started": ...,
 *             "round_duration": 0.012, "error": "",
 *             "fqdns": [{"name": "www.example.test",
 *                        "records": ["127.0.0.2", "127.0.0.3"],
 *                        "last_eviction": {"addr": ..., "at": ...} | null}],
 *             "peers": [{"addr": "127.0.0.3", "result": "healthy",
 *                        "latency": 0.001, "fails": 0, "reason": ""}]}],
 *  "responders": [{"name": "vpc", "provider": "awsdns",
 *                  "state": "serving", "pid": 124, "items": 67,
 *                  "loaded_at": 1700000000.0, "error": ""}]}
 *
 * A responder's state is the supervisor's (starting, serving, restarting,
 * stopped); items, loaded_at and error are what it reported of itself,
 * absent until it did.
 * Times are seconds since the epoch, durations seconds.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "quorum.h"

/* A JSON string that is valid UTF-8 whatever `s` holds: control
 * characters (C0, DEL, C1) as \u escapes, each byte that is not part of
 * well-formed UTF-8 as U+FFFD. */
static void put_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s);
	fputc('"', f);
	while (left) {
		unsigned cp = 0;
		size_t n = dfo_utf8_len(p, left, &cp);
		if (n == 0) {
			fputs("\\ufffd", f);
			n = 1;
		} else if (cp == '"' || cp == '\\') {
			fprintf(f, "\\%c", (int)cp);
		} else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			fprintf(f, "\\u%04x", cp);
		} else {
			fwrite(p, 1, n, f);
		}
		p += n;
		left -= n;
	}
	fputc('"', f);
}

static void put_addr(FILE *f, const struct dfo_addr *a)
{
	char buf[DFO_ADDR_STRLEN];
	put_str(f, dfo_addr_format(a, buf, sizeof(buf)));
}

/* A check's outcome: "result", "latency", the count named `count_key`
 * (passes in a row, fails in a row), "reason". */
static void put_check(FILE *f, enum dfo_check_result result, double latency,
		      const char *count_key, unsigned count, const char *reason)
{
	fprintf(f,
		"\"result\": \"%s\", \"latency\": %.6f, \"%s\": %u, "
		"\"reason\": ",
		dfo_check_result_name(result), latency, count_key, count);
	put_str(f, reason);
}

static const char *pool_state_name(const struct pool_state *ps)
{
	if (ps->error[0])
		return "error";
	if (ps->failing)
		return "self-check failing";
	if (ps->draining)
		return "draining";
	for (size_t f = 0; f < ps->nfq; f++)
		if (!ps->fq[f].present)
			return ps->withdrawn ? "withdrawn" : "joining";
	return ps->nfq ? "joined" : "idle";
}

static void put_pool(FILE *f, const struct pool_state *ps)
{
	fputs("{\"name\": ", f);
	put_str(f, ps->name);
	fputs(", \"own\": ", f);
	if (ps->have_own)
		put_addr(f, &ps->own);
	else
		fputs("null", f);
	fprintf(f, ", \"state\": \"%s\", \"rounds\": %lu", pool_state_name(ps),
		ps->rounds);
	fprintf(f, ", \"draining\": %s", ps->draining ? "true" : "false");
	fprintf(f, ", \"round_started\": %.3f, \"round_duration\": %.6f",
		ps->round_wall, ps->round_duration);
	fputs(", \"error\": ", f);
	put_str(f, ps->error);
	fputs(",\n   \"self\": {", f);
	put_check(f, ps->self_last, ps->self_latency, "passes", ps->passes,
		  ps->self_reason);
	fputs("},\n   \"fqdns\": [", f);
	for (size_t i = 0; i < ps->nfq; i++) {
		const struct fqdn_state *fq = &ps->fq[i];
		fprintf(f, "%s\n    {\"name\": ", i ? "," : "");
		put_str(f, fq->name);
		fputs(", \"records\": [", f);
		for (size_t r = 0; r < fq->records.count; r++) {
			if (r)
				fputs(", ", f);
			put_addr(f, &fq->records.addrs[r]);
		}
		fputs("], \"last_eviction\": ", f);
		if (fq->evicted_at > 0) {
			fputs("{\"addr\": ", f);
			put_addr(f, &fq->evicted);
			fprintf(f, ", \"at\": %.3f}", fq->evicted_at);
		} else {
			fputs("null", f);
		}
		fputc('}', f);
	}
	fputs("],\n   \"peers\": [", f);
	for (size_t i = 0; i < ps->npeers; i++) {
		const struct peer_state *pe = &ps->peers[i];
		fprintf(f, "%s\n    {\"addr\": ", i ? "," : "");
		put_addr(f, &pe->addr);
		fputs(", ", f);
		put_check(f, pe->last, pe->latency, "fails", pe->fails,
			  pe->reason);
		if (pe->voters)
			fprintf(f, ", \"votes\": %u, \"voters\": %u", pe->votes,
				pe->voters);
		fputc('}', f);
	}
	fputs("],\n   \"quorum\": ", f);
	quorum_status(f, ps, put_str);
	fputc('}', f);
}

/* A responder: the supervisor's view (serving once it said it is ready)
 * and what it reported of itself. */
static void put_responder(FILE *f, const struct responder *r)
{
	const char *state =
		r->pid == 0 ? (r->restart_at > 0 ? "restarting" : "stopped")
		: r->ready  ? "serving"
			    : "starting";
	fputs("{\"name\": ", f);
	put_str(f, r->inst->name);
	fputs(", \"provider\": ", f);
	put_str(f, r->inst->entry->prov->name);
	fprintf(f, ", \"state\": \"%s\", \"pid\": %d", state, (int)r->pid);
	struct dfo_report rep;
	if (dfo_report_get(r->inst->name, &rep) && rep.reported) {
		fprintf(f, ", \"items\": %zu, \"loaded_at\": %.3f, \"error\": ",
			rep.items, rep.loaded_at);
		put_str(f, rep.error);
	}
	fputc('}', f);
}

int status_write(const char *path, const struct pool_state *ps, size_t n,
		 const struct supervisor *sup)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return -errno;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(f,
		"{\"schema_version\": %d, \"pid\": %d, \"updated\": %.3f,"
		"\n \"pools\": [",
		STATUS_SCHEMA_VERSION, (int)getpid(),
		(double)ts.tv_sec + ts.tv_nsec / 1e9);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		put_pool(f, &ps[i]);
	}
	fputs("],\n \"responders\": [", f);
	for (size_t i = 0; sup && i < sup->n; i++) {
		fputs(i ? ",\n  " : "\n  ", f);
		put_responder(f, &sup->r[i]);
	}
	fputs("]}\n", f);
	int rc = ferror(f) ? -EIO : 0;
	if (fclose(f) != 0 && rc == 0)
		rc = -ENOMEM;
	if (rc == 0)
		rc = dfo_file_replace(path, text, len, 0644, NULL);
	free(text);
	return rc;
}
