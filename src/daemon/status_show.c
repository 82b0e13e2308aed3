/*
 * dnsfailover --status: the status file the agent writes after every
 * round (status.c), read back and shown to an operator, or printed as it
 * is with --json.  A small JSON reader suffices: the file is ours, but
 * it is read as untrusted input all the same (bounded depth and size).
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "status_show.h"

#define MAX_DEPTH 32
/* With responders the agent rewrites the file every 2 s: older than
 * this, it is stuck. */
#define STATUS_STALE 20.0

/* ---- JSON ---- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jval {
	enum jtype t;
	double num;	    /* J_NUM, J_BOOL */
	char *str;	    /* J_STR */
	struct jval *items; /* J_ARR, J_OBJ (values) */
	char **keys;	    /* J_OBJ */
	size_t n;
};

struct jparse {
	const char *p, *end;
	int depth;
};

static void jfree(struct jval *v)
{
	free(v->str);
	for (size_t i = 0; i < v->n; i++) {
		jfree(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

static void jspace(struct jparse *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' ||
				 *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static void utf8_put(char *out, size_t *k, unsigned cp)
{
	if (cp < 0x80) {
		out[(*k)++] = (char)cp;
	} else if (cp < 0x800) {
		out[(*k)++] = (char)(0xc0 | cp >> 6);
		out[(*k)++] = (char)(0x80 | (cp & 0x3f));
	} else {
		out[(*k)++] = (char)(0xe0 | cp >> 12);
		out[(*k)++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[(*k)++] = (char)(0x80 | (cp & 0x3f));
	}
}

static int jstring(struct jparse *j, char **out)
{
	if (j->p >= j->end || *j->p != '"')
		return -1;
	j->p++;
	/* The unescaped text is never longer than the escaped one. */
	const char *q = j->p;
	while (q < j->end && *q != '"')
		q += (*q == '\\' && q + 1 < j->end) ? 2 : 1;
	if (q >= j->end)
		return -1;
	char *s = malloc((size_t)(q - j->p) + 1);
	if (!s)
		return -1;
	size_t k = 0;
	while (j->p < q) {
		char c = *j->p++;
		if (c != '\\') {
			s[k++] = c;
			continue;
		}
		c = *j->p++;
		switch (c) {
		case 'n':
			s[k++] = '\n';
			break;
		case 't':
			s[k++] = '\t';
			break;
		case 'r':
			s[k++] = '\r';
			break;
		case 'b':
			s[k++] = '\b';
			break;
		case 'f':
			s[k++] = '\f';
			break;
		case 'u': {
			unsigned cp = 0;
			if (q - j->p < 4) {
				free(s);
				return -1;
			}
			for (int i = 0; i < 4; i++) {
				char h = *j->p++;
				cp = cp * 16 + (unsigned)(h >= '0' && h <= '9'
								  ? h - '0'
							  : h >= 'a' && h <= 'f'
								  ? h - 'a' + 10
							  : h >= 'A' && h <= 'F'
								  ? h - 'A' + 10
								  : 0);
			}
			/* \uXXXX takes 6 bytes, its UTF-8 at most 3. */
			utf8_put(s, &k, cp ? cp : '?');
			break;
		}
		default:
			s[k++] = c;
			break;
		}
	}
	s[k] = '\0';
	j->p = q + 1;
	*out = s;
	return 0;
}

static int jvalue(struct jparse *j, struct jval *v);

static int jlist(struct jparse *j, struct jval *v, bool obj)
{
	char close = obj ? '}' : ']';
	j->p++;
	jspace(j);
	if (j->p < j->end && *j->p == close) {
		j->p++;
		return 0;
	}
	size_t cap = 0;
	for (;;) {
		if (v->n == cap) {
			cap = cap ? cap * 2 : 8;
			struct jval *it = realloc(v->items, cap * sizeof(*it));
			if (!it)
				return -1;
			v->items = it;
			if (obj) {
				char **ks = realloc(v->keys, cap * sizeof(*ks));
				if (!ks)
					return -1;
				v->keys = ks;
			}
		}
		jspace(j);
		char *key = NULL;
		if (obj) {
			if (jstring(j, &key) < 0)
				return -1;
			jspace(j);
			if (j->p >= j->end || *j->p != ':') {
				free(key);
				return -1;
			}
			j->p++;
		}
		memset(&v->items[v->n], 0, sizeof(v->items[0]));
		if (obj)
			v->keys[v->n] = key;
		v->n++;
		if (jvalue(j, &v->items[v->n - 1]) < 0)
			return -1;
		jspace(j);
		if (j->p < j->end && *j->p == ',') {
			j->p++;
			continue;
		}
		if (j->p < j->end && *j->p == close) {
			j->p++;
			return 0;
		}
		return -1;
	}
}

static int jvalue(struct jparse *j, struct jval *v)
{
	jspace(j);
	if (j->p >= j->end || ++j->depth > MAX_DEPTH)
		return -1;
	int rc = 0;
	char c = *j->p;
	if (c == '{') {
		v->t = J_OBJ;
		rc = jlist(j, v, true);
	} else if (c == '[') {
		v->t = J_ARR;
		rc = jlist(j, v, false);
	} else if (c == '"') {
		v->t = J_STR;
		rc = jstring(j, &v->str);
	} else if (j->end - j->p >= 4 && !strncmp(j->p, "null", 4)) {
		v->t = J_NULL;
		j->p += 4;
	} else if (j->end - j->p >= 4 && !strncmp(j->p, "true", 4)) {
		v->t = J_BOOL;
		v->num = 1;
		j->p += 4;
	} else if (j->end - j->p >= 5 && !strncmp(j->p, "false", 5)) {
		v->t = J_BOOL;
		j->p += 5;
	} else if (c == '-' || (c >= '0' && c <= '9')) {
		char buf[64];
		size_t k = 0;
		while (j->p < j->end && k + 1 < sizeof(buf) &&
		       strchr("+-.eE0123456789", *j->p))
			buf[k++] = *j->p++;
		buf[k] = '\0';
		char *e;
		v->t = J_NUM;
		v->num = strtod(buf, &e);
		rc = *e ? -1 : 0;
	} else {
		rc = -1;
	}
	j->depth--;
	return rc;
}

int status_parse_check(const char *text, size_t len)
{
	struct jparse j = {text, text + len, 0};
	struct jval v = {0};
	int rc = jvalue(&j, &v);
	jspace(&j);
	if (rc == 0 && j.p != j.end)
		rc = -1;
	jfree(&v);
	return rc;
}

static const struct jval *jget(const struct jval *o, const char *key)
{
	if (!o || o->t != J_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (strcmp(o->keys[i], key) == 0)
			return &o->items[i];
	return NULL;
}

static const char *jstr(const struct jval *o, const char *key)
{
	const struct jval *v = jget(o, key);
	return v && v->t == J_STR ? v->str : "";
}

static double jnum(const struct jval *o, const char *key)
{
	const struct jval *v = jget(o, key);
	return v && (v->t == J_NUM || v->t == J_BOOL) ? v->num : NAN;
}

/* ---- the report ---- */

static void put_time(FILE *out, double t)
{
	if (!(t > 0)) {
		fputs("never", out);
		return;
	}
	time_t s = (time_t)t;
	struct tm tm;
	char buf[64];
	gmtime_r(&s, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
	fputs(buf, out);
}

/* The peer entry of `addr`, or NULL. */
static const struct jval *peer_of(const struct jval *pool, const char *addr)
{
	const struct jval *peers = jget(pool, "peers");
	for (size_t i = 0; peers && peers->t == J_ARR && i < peers->n; i++)
		if (strcmp(jstr(&peers->items[i], "addr"), addr) == 0)
			return &peers->items[i];
	return NULL;
}

/* The quorum: its live agents, each agent's liveness and view. */
static void show_quorum(FILE *out, const struct jval *q)
{
	if (!q || q->t != J_OBJ) {
		fputs("  quorum:       off (not partition-safe)\n", out);
		return;
	}
	fprintf(out,
		"  quorum:       %.0f live agent(s) voting, state at %s, "
		"heartbeat %g s%s\n",
		jnum(q, "live"), jstr(q, "state_name"), jnum(q, "heartbeat"),
		jnum(q, "outvoted") > 0 ? ", outvoted" : "");
	const char *err = jstr(q, "error");
	if (err[0])
		fprintf(out, "    state error: %s\n", err);
	const struct jval *ags = jget(q, "agents");
	for (size_t i = 0; ags && ags->t == J_ARR && i < ags->n; i++) {
		const struct jval *ag = &ags->items[i];
		fprintf(out,
			"    agent %-34s %s, self-check %s, record %.1f s "
			"old",
			jstr(ag, "addr"),
			jnum(ag, "live") > 0 ? "live" : "NOT live",
			jstr(ag, "self"), jnum(ag, "age"));
		const struct jval *d = jget(ag, "downs");
		for (size_t k = 0; d && d->t == J_ARR && k < d->n; k++)
			fprintf(out, "%s%s", k ? ", " : ", sees failing: ",
				d->items[k].t == J_STR ? d->items[k].str : "?");
		fputc('\n', out);
	}
}

/* One pool; returns true if it is in trouble (why in `why`). */
static bool show_pool(FILE *out, const struct jval *pool,
		      const struct status_pool_info *info, size_t ninfo,
		      double now, char *why, size_t whylen)
{
	const char *name = jstr(pool, "name");
	const char *state = jstr(pool, "state");
	const char *own = jstr(pool, "own");
	double started = jnum(pool, "round_started");
	double dur = jnum(pool, "round_duration");
	double interval = NAN;
	for (size_t i = 0; i < ninfo; i++)
		if (strcmp(info[i].name, name) == 0)
			interval = info[i].interval;

	why[0] = '\0';
	const struct jval *self0 = jget(pool, "self");
	const char *self_reason = self0 ? jstr(self0, "reason") : "";
	if (!strcmp(state, "error"))
		snprintf(why, whylen, "%s",
			 jstr(pool, "error")[0] ? jstr(pool, "error") : state);
	else if (!strcmp(state, "self-check failing"))
		snprintf(why, whylen, "%s",
			 self_reason[0] ? self_reason : state);
	else if (!(started > 0))
		snprintf(why, whylen, "no round yet");
	else if (interval > 0 && now - started > 3 * interval)
		snprintf(why, whylen, "last round %.1f s ago (interval %g s)",
			 now - started, interval);

	fprintf(out, "pool %s: %s%s%s\n", name, state, why[0] ? "  <- " : "",
		why[0] ? why : "");
	fprintf(out, "  own address:  %s\n", own[0] ? own : "(unknown)");
	fputs("  last round:   ", out);
	put_time(out, started);
	if (started > 0)
		fprintf(out, " (%.1f s ago), took %.3f s", now - started, dur);
	fprintf(out, ", %.0f round(s)\n", jnum(pool, "rounds"));
	const struct jval *self = jget(pool, "self");
	if (self) {
		const char *reason = jstr(self, "reason");
		fprintf(out, "  self-check:   %s, %.3f s%s%s\n",
			jstr(self, "result"), jnum(self, "latency"),
			reason[0] ? ": " : "", reason);
	}
	const char *err = jstr(pool, "error");
	if (err[0])
		fprintf(out, "  last error:   %s\n", err);
	show_quorum(out, jget(pool, "quorum"));
	const struct jval *fqdns = jget(pool, "fqdns");
	for (size_t f = 0; fqdns && fqdns->t == J_ARR && f < fqdns->n; f++) {
		const struct jval *fq = &fqdns->items[f];
		fprintf(out, "  %s\n", jstr(fq, "name"));
		const struct jval *recs = jget(fq, "records");
		if (!recs || recs->t != J_ARR || recs->n == 0)
			fputs("    (no records)\n", out);
		for (size_t r = 0; recs && recs->t == J_ARR && r < recs->n;
		     r++) {
			const char *a = recs->items[r].t == J_STR
						? recs->items[r].str
						: "?";
			if (strcmp(a, own) == 0) {
				fprintf(out, "    %-40s this host\n", a);
				continue;
			}
			const struct jval *pe = peer_of(pool, a);
			if (!pe) {
				fprintf(out, "    %-40s not checked yet\n", a);
				continue;
			}
			const char *reason = jstr(pe, "reason");
			fprintf(out, "    %-40s %s, %.3f s", a,
				jstr(pe, "result"), jnum(pe, "latency"));
			double fails = jnum(pe, "fails");
			if (fails > 0)
				fprintf(out, ", failed %.0f round(s)", fails);
			double voters = jnum(pe, "voters");
			if (voters > 0 && jnum(pe, "votes") > 0)
				fprintf(out,
					", %.0f of %.0f live agents see it "
					"failing",
					jnum(pe, "votes"), voters);
			fprintf(out, "%s%s\n", reason[0] ? ": " : "", reason);
		}
		const struct jval *ev = jget(fq, "last_eviction");
		if (ev && ev->t == J_OBJ) {
			fprintf(out, "    last eviction: %s at ",
				jstr(ev, "addr"));
			put_time(out, jnum(ev, "at"));
			fputc('\n', out);
		}
	}
	return why[0] != '\0';
}

/* One responder; returns true if it does not serve (why in `why`). */
static bool show_responder(FILE *out, const struct jval *r, double now,
			   char *why, size_t whylen)
{
	const char *state = jstr(r, "state");
	why[0] = '\0';
	if (strcmp(state, "serving") != 0)
		snprintf(why, whylen, "not serving");
	fprintf(out, "responder %s (%s): %s%s%s\n", jstr(r, "name"),
		jstr(r, "provider"), state, why[0] ? "  <- " : "", why);
	double pid = jnum(r, "pid");
	if (pid > 0)
		fprintf(out, "  pid:          %.0f\n", pid);
	double items = jnum(r, "items"), loaded = jnum(r, "loaded_at");
	if (!isnan(items)) {
		fprintf(out, "  index:        %.0f item(s), loaded ", items);
		put_time(out, loaded);
		if (loaded > 0)
			fprintf(out, " (%.0f s ago)", now - loaded);
		fputc('\n', out);
		const char *err = jstr(r, "error");
		fprintf(out, "  last refresh: %s\n", err[0] ? err : "ok");
	}
	return why[0] != '\0';
}

/* The responders of the file; true if one does not serve, or the agent
 * that should rewrite the file is gone or silent. */
static bool show_responders(FILE *out, const struct jval *root,
			    const struct jval *rs, double now)
{
	bool bad = false;
	char why[256];
	for (size_t i = 0; i < rs->n; i++)
		bad |= show_responder(out, &rs->items[i], now, why,
				      sizeof(why));
	double pid = jnum(root, "pid"), updated = jnum(root, "updated");
	if (pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH) {
		fprintf(out, "agent pid %.0f is not running  <- not serving\n",
			pid);
		bad = true;
	} else if (now - updated > STATUS_STALE) {
		fprintf(out,
			"status file not rewritten for %.0f s  <- the "
			"agent is stuck\n",
			now - updated);
		bad = true;
	}
	return bad;
}

int status_show(FILE *out, const char *path, const char *text, size_t len,
		const struct status_pool_info *info, size_t ninfo, double now)
{
	struct jparse j = {text, text + len, 0};
	struct jval root = {0};
	if (jvalue(&j, &root) < 0 || root.t != J_OBJ) {
		jfree(&root);
		fprintf(out, "%s: not a status file (bad JSON)\n", path);
		return 1;
	}
	int bad = 0;
	const struct jval *pools = jget(&root, "pools");
	fprintf(out, "agent pid %.0f, status written ", jnum(&root, "pid"));
	put_time(out, jnum(&root, "updated"));
	fputc('\n', out);
	const struct jval *rs = jget(&root, "responders");
	bool have_rs = rs && rs->t == J_ARR && rs->n > 0;
	if ((!pools || pools->t != J_ARR || pools->n == 0) && !have_rs)
		fputs("no pools\n", out);
	if (have_rs)
		bad |= show_responders(out, &root, rs, now);
	for (size_t i = 0; pools && pools->t == J_ARR && i < pools->n; i++) {
		char why[256];
		bad |= show_pool(out, &pools->items[i], info, ninfo, now, why,
				 sizeof(why));
	}
	/* A pool of the config the agent does not report on is stale too. */
	for (size_t k = 0; k < ninfo; k++) {
		bool found = false;
		for (size_t i = 0; pools && pools->t == J_ARR && i < pools->n;
		     i++)
			found |= !strcmp(jstr(&pools->items[i], "name"),
					 info[k].name);
		if (!found) {
			fprintf(out,
				"pool %s: not in the status file  <- not run "
				"by the agent\n",
				info[k].name);
			bad = 1;
		}
	}
	jfree(&root);
	return bad;
}
