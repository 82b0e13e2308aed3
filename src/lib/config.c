/*
 * Configuration: the schema is the core's options plus, for each kind, a
 * titled multi-section whose body offers one sub-section per registered
 * provider of that kind.  Errors are logged as "file:line: message".
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aws/internal.h"
#include "core.h"

/* Parse context: where errors go while libconfuse runs. */
/* Where things start in the file: "kind\x1ftitle" for a section,
 * "pool\x1ftitle\x1foption" for an option of a pool. */
struct mark {
	char *key;
	int line;
	size_t seq; /* order of marking, for line_of() */
};

/* The sections of one titled top-level option (pool, check, ...) parked
 * out of libconfuse's sight while it parses; see park_cb(). */
struct parked {
	cfg_opt_t *opt;
	cfg_value_t **values;
	size_t n, cap;
	bool stuck; /* out of memory: the rest stay in libconfuse's array,
		     * which keeps file order (only slower) */
};

#define NPARKED (DFO_KIND_COUNT + 1)

struct parse_ctx {
	struct dfo_err *err;
	const char *file; /* the config's name, for messages */
	const char *text; /* what libconfuse parses */
	size_t *lines;	  /* offset of each line's start */
	size_t nlines;
	const struct dfo_registry *reg; /* for better messages; may be NULL */
	int nerr;
	struct mark *marks;
	size_t nmarks, cap;
	bool sorted; /* marks sorted for line_of() */
	struct parked parked[NPARKED];
};

static struct parse_ctx *current_ctx; /* set during cfg_parse only */

static void report(struct parse_ctx *ctx, const char *file, int line,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report(struct parse_ctx *ctx, const char *file, int line,
		   const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		dfo_log(DFO_LOG_ERR, "%s:%d: %s", file, line, msg);
	else
		dfo_log(DFO_LOG_ERR, "%s: %s", file, msg);
	if (ctx->nerr++ == 0 && ctx->err) {
		if (line > 0)
			dfo_err_set(ctx->err, -EINVAL, "%s:%d: %s", file, line,
				    msg);
		else
			dfo_err_set(ctx->err, -EINVAL, "%s: %s", file, msg);
	}
}

static void mark(struct parse_ctx *ctx, const char *a, const char *b,
		 const char *c, int line)
{
	if (ctx->nmarks == ctx->cap) {
		size_t cap = ctx->cap ? ctx->cap * 2 : 32;
		struct mark *m = realloc(ctx->marks, cap * sizeof(*m));
		if (!m)
			return; /* only line numbers are lost */
		ctx->marks = m;
		ctx->cap = cap;
	}
	char *key;
	if (asprintf(&key, "%s\x1f%s%s%s", a, b, c ? "\x1f" : "", c ? c : "") <
	    0)
		return;
	ctx->marks[ctx->nmarks++] = (struct mark){key, line, 0};
	ctx->sorted = false;
}

/* By key, then in the order marked (the first of equal keys wins). */
static int mark_cmp(const void *a, const void *b)
{
	const struct mark *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

/* The line recorded for the nth (from 0) mark of a key, or `def`. */
static int line_of_nth(struct parse_ctx *ctx, const char *a, const char *b,
		       const char *c, size_t nth, int def)
{
	char key[512];
	snprintf(key, sizeof(key), "%s\x1f%s%s%s", a, b, c ? "\x1f" : "",
		 c ? c : "");
	/* Sorted once, then searched: a config of n instances costs
	 * n log n here, not n squared. */
	if (!ctx->sorted) {
		for (size_t i = 0; i < ctx->nmarks; i++)
			ctx->marks[i].seq = i;
		qsort(ctx->marks, ctx->nmarks, sizeof(*ctx->marks), mark_cmp);
		ctx->sorted = true;
	}
	size_t lo = 0, hi = ctx->nmarks;
	while (lo < hi) { /* the first key >= key */
		size_t mid = (lo + hi) / 2;
		if (strcmp(ctx->marks[mid].key, key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	lo += nth;
	if (lo < ctx->nmarks && strcmp(ctx->marks[lo].key, key) == 0)
		return ctx->marks[lo].line;
	return def;
}

/* The line recorded for a key, or `def`. */
static int line_of(struct parse_ctx *ctx, const char *a, const char *b,
		   const char *c, int def)
{
	return line_of_nth(ctx, a, b, c, 0, def);
}

static void ctx_free(struct parse_ctx *ctx)
{
	for (size_t i = 0; i < ctx->nmarks; i++)
		free(ctx->marks[i].key);
	free(ctx->marks);
}

static void append_name(char *buf, size_t size, const char *name)
{
	size_t len = strlen(buf);
	snprintf(buf + len, size - len, "%s%s", len ? ", " : "", name);
}

/* Inside a kind's section, an unknown option is an unknown provider:
 * say so and list the loaded ones. */
static void explain_unknown(const struct parse_ctx *ctx, cfg_t *cfg, char *msg,
			    size_t size)
{
	char name[128];
	int k = cfg && cfg->name ? dfo_kind_parse(cfg->name) : -1;
	if (k < 0 || !ctx->reg ||
	    sscanf(msg, "no such option '%127[^']'", name) != 1)
		return;
	char all[256] = "";
	for (size_t i = 0; i < dfo_registry_count(ctx->reg); i++) {
		const struct dfo_entry *e = dfo_registry_at(ctx->reg, i);
		if ((int)e->kind == k)
			append_name(all, sizeof(all), e->prov->name);
	}
	snprintf(msg, size, "unknown %s provider '%s' (loaded: %s)", cfg->name,
		 name, all[0] ? all : "none");
}

static void cfg_errfn(cfg_t *cfg, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (current_ctx)
		explain_unknown(current_ctx, cfg, msg, sizeof(msg));
	if (current_ctx)
		report(current_ctx,
		       current_ctx->file ? current_ctx->file : "config",
		       cfg ? cfg->line : 0, "%s", msg);
}

/* ---- the line of each option ----
 * libconfuse keeps a line per section only.  Every option that is not a
 * section gets a validate callback, run right after its value is parsed,
 * that records "\x1e<section>\x1f<option>" -> line; a check of an
 * option, the core's or a provider's, then names the line of the option
 * it is about (the last setting of it, which libconfuse keeps). */

/* Does line `l` (from 1) set option `name`: the name as a word, then
 * blanks and '=', '+=' or '{'? */
static bool line_sets(const struct parse_ctx *ctx, int l, const char *name)
{
	const char *p = ctx->text + ctx->lines[l - 1];
	const char *end = (size_t)l < ctx->nlines ? ctx->text + ctx->lines[l]
						  : p + strlen(p);
	size_t len = strlen(name);
	for (const char *m = p; m + len <= end; m++) {
		if (memcmp(m, name, len) != 0 ||
		    (m > p && (isalnum((unsigned char)m[-1]) || m[-1] == '_')))
			continue;
		const char *q = m + len;
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && (*q == '=' || *q == '{' ||
				(*q == '+' && q + 1 < end && q[1] == '=')))
			return true;
	}
	return false;
}

/* Does line `l` (from 1) hold `value` (a value of a list)? */
static bool line_holds(const struct parse_ctx *ctx, int l, const char *value)
{
	const char *p = ctx->text + ctx->lines[l - 1];
	const char *end = (size_t)l < ctx->nlines ? ctx->text + ctx->lines[l]
						  : p + strlen(p);
	size_t len = strlen(value);
	for (const char *m = p; len && m + len <= end; m++)
		if (memcmp(m, value, len) == 0)
			return true;
	return false;
}

/* libconfuse calls a validate or parse callback after reading one token
 * past the value, so cfg->line may be the line of the next option: the
 * own line of an option (`name`) is the nearest one at or before it that
 * sets the option, of a list's value (`value`) the nearest that holds
 * it. */
static int own_line(struct parse_ctx *ctx, cfg_t *cfg, const char *name,
		    const char *value)
{
	int line = cfg->line;
	if (ctx->lines && line > 0 && (size_t)line <= ctx->nlines)
		for (int l = line; l > 0 && l > cfg->line - 100; l--)
			if (name ? line_sets(ctx, l, name)
				 : line_holds(ctx, l, value))
				return l;
	return line;
}

static int optline_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	struct parse_ctx *ctx = current_ctx;
	if (!ctx)
		return 0;
	int line = own_line(ctx, cfg, cfg_opt_name(opt), NULL);
	char sec[32];
	snprintf(sec, sizeof(sec), "\x1e%p", (void *)cfg);
	mark(ctx, sec, cfg_opt_name(opt), NULL, line);
	return 0;
}

/* Parse callback of the pool's references: remembers their line. */
static int ref_cb(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	if (current_ctx)
		mark(current_ctx, "pool", cfg_title(cfg), cfg_opt_name(opt),
		     own_line(current_ctx, cfg, cfg_opt_name(opt), NULL));
	*(const char **)result = value;
	return 0;
}

/* Parse callback of a pool's fqdn list: remembers each name's line (of
 * a list over several lines, the line of that name). */
static int fqdn_cb(cfg_t *cfg, cfg_opt_t *opt, const char *value, void *result)
{
	if (current_ctx) {
		char key[300];
		snprintf(key, sizeof(key), "%s\x1f%s", cfg_opt_name(opt),
			 value);
		mark(current_ctx, "pool", cfg_title(cfg), key,
		     own_line(current_ctx, cfg, NULL, value));
	}
	*(const char **)result = value;
	return 0;
}

/* The offsets of the lines of text, for optline_cb (none: no memory,
 * then the lines are libconfuse's). */
static void lines_index(struct parse_ctx *ctx, const char *text, size_t len)
{
	size_t n = 1;
	for (size_t i = 0; i < len; i++)
		n += text[i] == '\n';
	ctx->text = text;
	ctx->lines = malloc(n * sizeof(*ctx->lines));
	if (!ctx->lines)
		return;
	ctx->lines[0] = 0;
	ctx->nlines = 1;
	for (size_t i = 0; i < len; i++)
		if (text[i] == '\n')
			ctx->lines[ctx->nlines++] = i + 1;
}

static void optline_setup(cfg_opt_t *opts)
{
	for (cfg_opt_t *o = opts; o && o->name; o++) {
		if (o->type == CFGT_SEC) {
			optline_setup(o->subopts);
			/* made by cfg_init already (a section that is not
			 * CFGF_MULTI), from a copy of subopts */
			for (unsigned i = 0; i < o->nvalues; i++)
				optline_setup(o->values[i]->section->opts);
		} else if (!o->validcb)
			o->validcb = optline_cb;
	}
}

/* Where option `name` of section `sec` was last set, or `def`. */
static int opt_line(struct parse_ctx *ctx, cfg_t *sec, const char *name,
		    int def)
{
	char key[32];
	snprintf(key, sizeof(key), "\x1e%p", (void *)sec);
	int line = def;
	for (size_t n = 0;; n++) {
		int l = line_of_nth(ctx, key, name, NULL, n, 0);
		if (!l)
			return line;
		line = l;
	}
}

/* The line of the option of `sec` that `msg` names first (its name as a
 * word), or `def`: a provider's "server: ... is not an address" points
 * at `server = ...`, not at the start of its section. */
static int msg_line(struct parse_ctx *ctx, cfg_t *sec, const char *msg, int def)
{
	const char *best = NULL;
	int line = def;
	for (cfg_opt_t *o = sec ? sec->opts : NULL; o && o->name; o++) {
		if (o->type == CFGT_SEC)
			continue;
		size_t len = strlen(o->name);
		for (const char *m = strstr(msg, o->name); m;
		     m = strstr(m + 1, o->name)) {
			bool word =
				(m == msg || !(isalnum((unsigned char)m[-1]) ||
					       m[-1] == '_')) &&
				!(isalnum((unsigned char)m[len]) ||
				  m[len] == '_');
			if (!word || (best && m >= best))
				continue;
			int l = opt_line(ctx, sec, o->name, 0);
			if (l) {
				best = m;
				line = l;
			}
			break;
		}
	}
	return line;
}

/* ---- titled sections in linear time ----
 * For each new titled section libconfuse compares its title with every
 * section of that name parsed so far (cfg_setopt), duplicates allowed or
 * not: n instances cost n^2/2 strcmp, 2.3 s of CPU for 20,000 of them.
 * So each section is moved out of the option as soon as it is parsed
 * (the option's validate callback runs right after the closing brace),
 * and libconfuse always sees at most one.  After the parse the sections
 * go back, in file order, into the same malloc'd array layout libconfuse
 * frees; duplicate titles are then found by sorting. */

static int park_cb(cfg_t *cfg, cfg_opt_t *opt)
{
	(void)cfg;
	struct parse_ctx *ctx = current_ctx;
	if (!ctx || opt->nvalues == 0)
		return 0;
	struct parked *pk = NULL;
	for (size_t i = 0; i < NPARKED && !pk; i++)
		if (ctx->parked[i].opt == opt)
			pk = &ctx->parked[i];
	if (!pk || pk->stuck)
		return 0;
	if (pk->n == pk->cap) {
		size_t cap = pk->cap ? pk->cap * 2 : 16;
		cfg_value_t **v = realloc(pk->values, cap * sizeof(*v));
		if (!v) {
			pk->stuck = true;
			return 0;
		}
		pk->values = v;
		pk->cap = cap;
	}
	pk->values[pk->n++] = opt->values[--opt->nvalues];
	return 0;
}

static void park_setup(struct parse_ctx *ctx, cfg_t *root)
{
	size_t j = 0;
	for (int k = -1; k < DFO_KIND_COUNT; k++) {
		const char *name = k < 0 ? "pool" : dfo_kind_name(k);
		cfg_opt_t *opt = cfg_getopt(root, name);
		if (!opt)
			continue;
		ctx->parked[j++].opt = opt;
		cfg_set_validate_func(root, name, park_cb);
	}
}

/* Order of indexes into a section array: by title, then file order. */
static int title_cmp(const void *a, const void *b, void *arg)
{
	cfg_value_t **v = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;
	int c = strcmp(v[x]->section->title, v[y]->section->title);
	return c ? c : (x > y) - (x < y);
}

/* Put every parked section back into its option (before any libconfuse
 * still holds: a section whose parse failed), and report duplicate
 * titles when `check`. */
static int park_restore(struct parse_ctx *ctx, const char *file, bool check)
{
	int rc = 0;
	for (size_t i = 0; i < NPARKED; i++) {
		struct parked *pk = &ctx->parked[i];
		cfg_opt_t *opt = pk->opt;
		if (!opt)
			continue;
		size_t n = pk->n + opt->nvalues;
		cfg_value_t **all = NULL;
		if (n) {
			all = malloc(n * sizeof(*all));
			if (!all) {
				/* cannot merge: free the parked ones here */
				for (size_t j = 0; j < pk->n; j++) {
					pk->values[j]->section->path = NULL;
					cfg_free(pk->values[j]->section);
					free(pk->values[j]);
				}
				rc = -ENOMEM;
				goto next;
			}
			if (pk->n)
				memcpy(all, pk->values, pk->n * sizeof(*all));
			if (opt->nvalues)
				memcpy(all + pk->n, opt->values,
				       opt->nvalues * sizeof(*all));
		}
		free(opt->values);
		opt->values = all;
		opt->nvalues = (unsigned)n;
		if (check && n > 1) {
			size_t *ix = malloc(n * sizeof(*ix));
			if (!ix) {
				rc = -ENOMEM;
				goto next;
			}
			for (size_t j = 0; j < n; j++)
				ix[j] = j;
			qsort_r(ix, n, sizeof(*ix), title_cmp, all);
			size_t nth = 0; /* occurrences of this title so far */
			for (size_t j = 1; j < n; j++) {
				const char *t = all[ix[j]]->section->title;
				if (strcmp(t, all[ix[j - 1]]->section->title)) {
					nth = 0;
					continue;
				}
				nth++;
				report(ctx, file,
				       line_of_nth(ctx, opt->name, t, NULL, nth,
						   all[ix[j]]->section->line),
				       "%s \"%s\" is defined twice (first on "
				       "line %d)",
				       opt->name, t,
				       line_of_nth(ctx, opt->name, t, NULL, 0,
						   0));
			}
			free(ix);
		}
	next:
		free(pk->values);
		*pk = (struct parked){0};
	}
	return rc;
}

/* ---- schema ---- */

static cfg_opt_t empty_opts[] = {CFG_END()};

static cfg_opt_t aws_opts[] = {CFG_STR("region", NULL, CFGF_NONE),
			       CFG_STR("access_key_id", NULL, CFGF_NONE),
			       CFG_STR("secret_access_key", NULL, CFGF_NONE),
			       CFG_STR("session_token", NULL, CFGF_NONE),
			       CFG_STR("profile", NULL, CFGF_NONE),
			       CFG_STR("ec2_endpoint", NULL, CFGF_NONE),
			       CFG_STR("route53_endpoint", NULL, CFGF_NONE),
			       CFG_STR("sts_endpoint", NULL, CFGF_NONE),
			       CFG_STR("imds_endpoint", NULL, CFGF_NONE),
			       CFG_FLOAT("timeout", 10, CFGF_NONE),
			       CFG_INT("max_retries", 5, CFGF_NONE),
			       CFG_FLOAT("retry_time", 30, CFGF_NONE),
			       CFG_END()};

static cfg_opt_t pool_opts[] = {
	CFG_STR_LIST_CB("fqdn", NULL, CFGF_NONE, fqdn_cb),
	CFG_STR_CB("dns", NULL, CFGF_NONE, ref_cb),
	CFG_STR_CB("ipsource", NULL, CFGF_NONE, ref_cb),
	CFG_STR_CB("check", NULL, CFGF_NONE, ref_cb),
	CFG_STR_CB("timer", NULL, CFGF_NONE, ref_cb),
	CFG_STR("family", "ipv4", CFGF_NONE),
	CFG_STR("on_self_failure", "withdraw", CFGF_NONE),
	CFG_BOOL("withdraw_on_exit", cfg_false, CFGF_NONE),
	CFG_INT("rise", 2, CFGF_NONE),
	CFG_INT("fall", 1, CFGF_NONE),
	CFG_STR_LIST("notify", NULL, CFGF_NONE),
	CFG_STR("drain_file", NULL, CFGF_NONE),
	CFG_BOOL("quorum", cfg_true, CFGF_NONE),
	CFG_FLOAT("heartbeat", 2, CFGF_NONE),
	CFG_STR("state_name", NULL, CFGF_NONE),
	CFG_INT("state_ttl", 10, CFGF_NONE),
	CFG_END()};

struct schema {
	cfg_opt_t *root;
	cfg_opt_t *kind[DFO_KIND_COUNT];
};

static void schema_free(struct schema *s)
{
	free(s->root);
	for (int k = 0; k < DFO_KIND_COUNT; k++)
		free(s->kind[k]);
	memset(s, 0, sizeof(*s));
}

static int schema_build(struct schema *s, const struct dfo_registry *reg)
{
	size_t n = dfo_registry_count(reg);
	memset(s, 0, sizeof(*s));
	for (int k = 0; k < DFO_KIND_COUNT; k++) {
		s->kind[k] = calloc(n + 1, sizeof(cfg_opt_t));
		if (!s->kind[k])
			goto oom;
		size_t j = 0;
		for (size_t i = 0; i < n; i++) {
			const struct dfo_entry *e = dfo_registry_at(reg, i);
			if ((int)e->kind != k)
				continue;
			cfg_opt_t *o = e->prov->options ? e->prov->options
							: empty_opts;
			s->kind[k][j++] = (cfg_opt_t)CFG_SEC(e->prov->name, o,
							     CFGF_MULTI);
		}
		s->kind[k][j] = (cfg_opt_t)CFG_END();
	}
	const size_t ncore = 10;
	s->root = calloc(ncore + DFO_KIND_COUNT + 1, sizeof(cfg_opt_t));
	if (!s->root)
		goto oom;
	cfg_opt_t *r = s->root;
	*r++ = (cfg_opt_t)CFG_STR_LIST("plugin_dir", NULL, CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_STR("status_file", NULL, CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_STR("log_level", "notice", CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_INT("max_parallel", 64, CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_STR("metrics_listen", NULL, CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_STR_LIST("notify", NULL, CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_FLOAT("notify_timeout", 10, CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_FLOAT("reload_timeout", 10, CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_SEC("aws", aws_opts, CFGF_NONE);
	*r++ = (cfg_opt_t)CFG_SEC("pool", pool_opts,
				  CFGF_MULTI | CFGF_TITLE |
					  CFGF_NO_TITLE_DUPES);
	for (int k = 0; k < DFO_KIND_COUNT; k++)
		*r++ = (cfg_opt_t)CFG_SEC(dfo_kind_name(k), s->kind[k],
					  CFGF_MULTI | CFGF_TITLE |
						  CFGF_NO_TITLE_DUPES);
	*r = (cfg_opt_t)CFG_END();
	return 0;
oom:
	schema_free(s);
	return -ENOMEM;
}

/* ---- the first pass: plugin_dir only ----
 * Plugins must be loaded before the file can be parsed against their
 * options, so plugin_dir is read first by a small scanner that knows
 * libconfuse's lexical rules (comments, quoted strings, nesting) and looks
 * only at the top level.  Any syntax problem is left to the real parse.
 *
 * Why not a first libconfuse pass with CFGF_IGNORE_UNKNOWN (issue 20),
 * measured with libconfuse 3.3: it cannot skip an unknown titled section
 * (`dns "d" { ... }`: "premature end of file"), so the pass would have to
 * declare every kind and pool; inside such a section it then fails on an
 * option named like a top-level section (a pool's `dns = "d"`:
 * "unexpected token"); it takes 1.4 s for 20,000 instances (titles
 * compared pairwise) against this scanner's linear time; and it accepts a
 * file ending inside a comment, which this scanner reports. */

struct scan {
	const char *p;
	int line;
	int open_comment; /* line of a '/' '*' comment never closed; 0: none */
};

static void skip_space(struct scan *sc)
{
	for (;;) {
		char ch = *sc->p;
		if (ch == '\n') {
			sc->line++;
			sc->p++;
		} else if (ch == ' ' || ch == '\t' || ch == '\r' || ch == ',') {
			sc->p++;
		} else if (ch == '#' || (ch == '/' && sc->p[1] == '/')) {
			while (*sc->p && *sc->p != '\n')
				sc->p++;
		} else if (ch == '/' && sc->p[1] == '*') {
			int start = sc->line;
			for (sc->p += 2;
			     *sc->p && !(sc->p[0] == '*' && sc->p[1] == '/');
			     sc->p++)
				sc->line += *sc->p == '\n';
			if (*sc->p)
				sc->p += 2;
			else if (!sc->open_comment)
				sc->open_comment = start;
		} else {
			return;
		}
	}
}

struct strbuf {
	char *out;
	size_t size, n;
};

static void strbuf_put(struct strbuf *b, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (b->n + 1 < b->size)
			b->out[b->n++] = s[i];
	b->out[b->n] = '\0';
}

/* "${NAME}" or "${NAME:-DEFAULT}" at sc->p (at the '$'), as libconfuse
 * expands it: the variable's value, or DEFAULT when it is unset or
 * empty.  Returns false (nothing consumed) if sc->p is no such thing. */
static bool scan_env(struct scan *sc, struct strbuf *b)
{
	if (sc->p[0] != '$' || sc->p[1] != '{')
		return false;
	const char *close = strchr(sc->p + 2, '}');
	if (!close)
		return false;
	char name[256];
	const char *start = sc->p + 2, *def = NULL;
	const char *sep = strstr(start, ":-");
	size_t nlen = (size_t)(close - start);
	if (sep && sep < close) {
		nlen = (size_t)(sep - start);
		def = sep + 2;
	}
	if (nlen >= sizeof(name))
		return false;
	memcpy(name, start, nlen);
	name[nlen] = '\0';
	const char *v = getenv(name);
	if (v && *v)
		strbuf_put(b, v, strlen(v));
	else if (def)
		strbuf_put(b, def, (size_t)(close - def));
	sc->p = close + 1;
	return true;
}

/* A quoted string (sc->p at the quote): copied unescaped to out, with
 * ${NAME} expanded in a double-quoted one. */
static void scan_string(struct scan *sc, char *out, size_t size)
{
	char q = *sc->p++;
	struct strbuf b = {out, size, 0};
	out[0] = '\0';
	while (*sc->p && *sc->p != q) {
		if (q == '"' && scan_env(sc, &b))
			continue;
		char ch = *sc->p++;
		if (ch == '\\' && q == '"' && *sc->p)
			ch = *sc->p++;
		sc->line += ch == '\n';
		strbuf_put(&b, &ch, 1);
	}
	if (*sc->p)
		sc->p++;
}

/* An unquoted value (a path, a number, ${NAME}): copied to out. */
static void scan_bare(struct scan *sc, char *out, size_t size)
{
	struct strbuf b = {out, size, 0};
	out[0] = '\0';
	while (*sc->p && !strchr(" \t\r\n,{}()=\"'#", *sc->p)) {
		if (scan_env(sc, &b))
			continue;
		strbuf_put(&b, sc->p++, 1);
	}
}

static bool is_word(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '-';
}

/* libconfuse's lexer takes time in the square of a line's length (1 MB:
 * 0.5 s, 3 MB: 4 s, 10 MB: over 30 s): longer lines, and files larger
 * than this (a device, a log), are refused before it sees them. */
#define CONFIG_MAX	(16u << 20)
#define CONFIG_LINE_MAX 65536

static char *read_text_len(const char *file, size_t *len, struct dfo_err *err)
{
	char *text;
	int rc = dfo_file_read(file, CONFIG_MAX, &text, len, err);
	if (rc == -EFBIG)
		dfo_err_set(err, rc,
			    "%s: larger than 16 MiB, the most a config "
			    "file may be",
			    file);
	return rc < 0 ? NULL : text;
}

static char *read_text(const char *file, struct dfo_err *err)
{
	size_t len;
	return read_text_len(file, &len, err);
}

static void mark(struct parse_ctx *ctx, const char *a, const char *b,
		 const char *c, int line);

/* plugin_dir's value at sc->p (after the '='): a string, or a list of
 * them in braces.  Returns a NULL-terminated vector, NULL if no memory. */
static char **scan_dirs(struct scan *sc, char *value, size_t size)
{
	size_t n = 0;
	char **v = calloc(1, sizeof(*v));
	bool list = *sc->p == '{';
	sc->p += list;
	while (v && (skip_space(sc), *sc->p) && *sc->p != '}') {
		const char *start = sc->p;
		if (*sc->p == '"' || *sc->p == '\'')
			scan_string(sc, value, size);
		else
			scan_bare(sc, value, size);
		if (sc->p == start)
			break; /* not a list of strings: left to libconfuse */
		char **w = realloc(v, (n + 2) * sizeof(*v));
		if (!w || !(w[n] = strdup(value))) {
			dfo_strv_free(w ? w : v);
			return NULL;
		}
		v = w;
		v[++n] = NULL;
		if (!list)
			return v;
	}
	if (list && *sc->p == '}')
		sc->p++;
	return v;
}

/* libconfuse would take the last plugin_dir: a second one is an error. */
static void dup_dir(struct parse_ctx *ctx, const char *file, int line,
		    int first, struct dfo_err *err)
{
	dfo_err_set(err, -EINVAL,
		    "%s:%d: plugin_dir set a second time (first on line %d)",
		    file, line, first);
	if (ctx)
		report(ctx, file, line,
		       "plugin_dir set a second time (first on line %d)",
		       first);
}

static char **scan_top(const char *text, const char *file,
		       struct parse_ctx *ctx, struct dfo_err *dup_err)
{
	struct scan sc = {text, 1, 0};
	char word[64], value[4096], **dirs = NULL;
	int depth = 0, open_line = 0, dir_line = 0;
	while ((skip_space(&sc), *sc.p)) {
		char ch = *sc.p;
		if (ch == '{' || ch == '(') {
			if (depth == 0)
				open_line = sc.line;
			depth++, sc.p++;
		} else if (ch == '}' || ch == ')') {
			depth--, sc.p++;
		} else if (ch == '"' || ch == '\'') {
			scan_string(&sc, value, sizeof(value));
		} else if (depth == 0 && is_word(ch)) {
			size_t n = 0;
			int line = sc.line;
			while (is_word(*sc.p)) {
				if (n + 1 < sizeof(word))
					word[n++] = *sc.p;
				sc.p++;
			}
			word[n] = '\0';
			skip_space(&sc);
			if (*sc.p == '=') {
				sc.p++;
				skip_space(&sc);
			}
			if (strcmp(word, "plugin_dir") == 0 &&
			    (*sc.p == '{' || *sc.p == '"' || *sc.p == '\'')) {
				char **v = scan_dirs(&sc, value, sizeof(value));
				if (dirs) {
					dfo_strv_free(v);
					dup_dir(ctx, file, line, dir_line,
						dup_err);
					continue;
				}
				if (!(dirs = v))
					dfo_err_set(dup_err, -ENOMEM,
						    "out of memory");
				dir_line = line;
				continue;
			}
			bool has_value = true;
			if (*sc.p == '"' || *sc.p == '\'')
				scan_string(&sc, value, sizeof(value));
			else if (*sc.p && !strchr("{}(),", *sc.p))
				scan_bare(&sc, value, sizeof(value));
			else
				has_value = false;
			if (has_value && strcmp(word, "plugin_dir") == 0) {
				if (dirs) {
					dup_dir(ctx, file, line, dir_line,
						dup_err);
					continue;
				}
				if ((dirs = calloc(2, sizeof(*dirs))) &&
				    !(dirs[0] = strdup(value))) {
					free(dirs);
					dirs = NULL;
				}
				if (!dirs)
					dfo_err_set(dup_err, -ENOMEM,
						    "out of memory");
				dir_line = line;
			} else if (has_value && ctx) {
				mark(ctx, word, value, NULL, line);
			}
		} else {
			sc.p++;
		}
	}
	/* libconfuse accepts a file that ends inside a comment or a
	 * section. */
	if (ctx && sc.open_comment)
		report(ctx, file, sc.open_comment,
		       "this comment is not closed: '*/' missing before the "
		       "end "
		       "of the file");
	if (ctx && depth > 0)
		report(ctx, file, open_line,
		       "this section is not closed: '}' missing before the end "
		       "of the file");
	return dirs;
}

/* What libconfuse must not see: a NUL byte (its lexer stops there, or
 * reads on past a string's end), a line longer than CONFIG_LINE_MAX.  A
 * UTF-8 byte order mark is skipped, as CRLF is accepted: returns its
 * length (0 or 3), or -EINVAL after reporting. */
static int text_check(struct parse_ctx *ctx, const char *file, const char *text,
		      size_t len)
{
	size_t bom = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0;
	int line = 1, bad = 0;
	for (size_t i = bom, start = bom; i <= len; i++) {
		if (i < len && text[i] == '\0') {
			report(ctx, file, line,
			       "a NUL byte (column %zu): a "
			       "config file is text",
			       i - start + 1);
			return -EINVAL;
		}
		if (i < len && text[i] != '\n')
			continue;
		if (i - start > CONFIG_LINE_MAX && !bad++)
			report(ctx, file, line,
			       "line longer than %d bytes (%zu): "
			       "refused before it is parsed",
			       CONFIG_LINE_MAX, i - start);
		line++;
		start = i + 1;
	}
	return bad ? -EINVAL : (int)bom;
}

char **dfo_config_plugin_dir(const char *file, struct dfo_err *err)
{
	char *text = read_text(file, err);
	if (!text)
		return NULL;
	dfo_err_clear(err);
	char **dirs = scan_top(text, file, NULL, err);
	free(text);
	if (err && err->code < 0) {
		dfo_strv_free(dirs);
		return NULL;
	}
	return dirs;
}

/* ---- the config proper ---- */

struct config_priv {
	struct dfo_config pub;
	struct schema schema;
	struct dfo_aws *aws; /* of its `aws {}`; the default once committed */
};

static void instances_destroy(struct dfo_config *c)
{
	for (size_t i = c->ninst; i > 0; i--) {
		struct dfo_instance *in = &c->inst[i - 1];
		dfo_instance_stop(in);
		if (in->state && in->entry->prov->destroy)
			in->entry->prov->destroy(in->state);
		in->state = NULL;
	}
}

void dfo_config_free(struct dfo_config *c)
{
	if (!c)
		return;
	struct config_priv *p = (struct config_priv *)c;
	instances_destroy(c);
	for (size_t i = 0; i < c->ninst; i++)
		free(c->inst[i].name);
	free(c->inst);
	for (size_t i = 0; i < c->npools; i++) {
		free(c->pools[i].name);
		free(c->pools[i].fqdn);
		free(c->pools[i].notify);
		free(c->pools[i].state_name);
	}
	free(c->pools);
	free(c->file);
	free(c->plugin_dir);
	free(c->status_file);
	free(c->metrics_listen);
	free(c->notify);
	if (c->cfg)
		cfg_free(c->cfg);
	schema_free(&p->schema);
	dfo_aws_release(p->aws);
	free(p);
}

int dfo_instance_start(struct dfo_instance *in, struct dfo_err *err)
{
	const struct dfo_provider *prov = in->entry->prov;
	if (in->started || !prov->start)
		return 0;
	struct dfo_err e;
	dfo_err_clear(&e);
	int rc = prov->start(in->state, &e);
	if (rc < 0)
		return dfo_err_set(err, rc, "%s \"%s\" (%s): cannot start: %s",
				   dfo_kind_name(in->kind), in->name,
				   prov->name,
				   e.msg[0] ? e.msg : strerror(-rc));
	in->started = true;
	return 0;
}

void dfo_instance_stop(struct dfo_instance *in)
{
	if (in->started && in->entry->prov->stop)
		in->entry->prov->stop(in->state);
	in->started = false;
}

char *dfo_instance_text(const struct dfo_instance *in)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	fprintf(f, "%s %s\n", in->entry->prov->name,
		in->entry->module ? in->entry->module : "");
	cfg_print(in->sec, f);
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

struct dfo_instance *dfo_config_find(struct dfo_config *c, enum dfo_kind kind,
				     const char *name)
{
	for (size_t i = 0; i < c->ninst; i++)
		if (c->inst[i].kind == kind &&
		    strcmp(c->inst[i].name, name) == 0)
			return &c->inst[i];
	return NULL;
}

/* Collect each instance and its one provider section. */
static int collect_instances(struct dfo_config *c, struct dfo_registry *reg,
			     struct parse_ctx *ctx)
{
	size_t total = 0;
	for (int k = 0; k < DFO_KIND_COUNT; k++)
		total += cfg_size(c->cfg, dfo_kind_name(k));
	c->inst = calloc(total ? total : 1, sizeof(*c->inst));
	if (!c->inst)
		return -ENOMEM;
	size_t nreg = dfo_registry_count(reg);
	for (int k = 0; k < DFO_KIND_COUNT; k++) {
		const char *kname = dfo_kind_name(k);
		unsigned n = cfg_size(c->cfg, kname);
		for (unsigned i = 0; i < n; i++) {
			cfg_t *isec = cfg_getnsec(c->cfg, kname, i);
			int line = line_of(ctx, kname, cfg_title(isec), NULL,
					   isec->line);
			const struct dfo_entry *found = NULL;
			unsigned count = 0;
			char all[256] = "", used[256] = "";
			for (size_t r = 0; r < nreg; r++) {
				const struct dfo_entry *e =
					dfo_registry_at(reg, r);
				if ((int)e->kind != k)
					continue;
				append_name(all, sizeof(all), e->prov->name);
				unsigned m = cfg_size(isec, e->prov->name);
				for (unsigned j = 0; j < m; j++)
					append_name(used, sizeof(used),
						    e->prov->name);
				if (m && !found)
					found = e;
				count += m;
			}
			if (count != 1) {
				if (count == 0)
					report(ctx, c->file, line,
					       "%s \"%s\" names no provider "
					       "(one of: %s)",
					       kname, cfg_title(isec),
					       all[0] ? all : "none loaded");
				else
					report(ctx, c->file, line,
					       "%s \"%s\" has %u providers "
					       "(%s): an "
					       "instance has exactly one",
					       kname, cfg_title(isec), count,
					       used);
				continue;
			}
			cfg_t *psec = cfg_getnsec(isec, found->prov->name, 0);
			struct dfo_instance *in = &c->inst[c->ninst++];
			in->kind = k;
			in->name = strdup(cfg_title(isec));
			in->entry = found;
			in->sec = psec;
			in->line = line;
			if (!in->name)
				return -ENOMEM;
		}
	}
	return 0;
}

static struct dfo_instance *pool_ref(struct dfo_config *c, cfg_t *psec,
				     enum dfo_kind kind, struct parse_ctx *ctx)
{
	const char *kname = dfo_kind_name(kind);
	const char *name = cfg_getstr(psec, kname);
	int pline = line_of(ctx, "pool", cfg_title(psec), NULL, psec->line);
	if (!name) {
		report(ctx, c->file, pline,
		       "pool \"%s\": option '%s' is required", cfg_title(psec),
		       kname);
		return NULL;
	}
	struct dfo_instance *in = dfo_config_find(c, kind, name);
	if (!in)
		report(ctx, c->file,
		       line_of(ctx, "pool", cfg_title(psec), kname, pline),
		       "pool \"%s\": %s \"%s\" does not exist", cfg_title(psec),
		       kname, name);
	return in;
}

/* A string list option as an array of pointers into cfg (NULL, 0 when
 * empty).  0 or -ENOMEM. */
static int get_list(cfg_t *sec, const char *name, const char ***out, size_t *n)
{
	*out = NULL;
	*n = cfg_size(sec, name);
	if (*n == 0)
		return 0;
	if (!(*out = calloc(*n, sizeof(char *))))
		return -ENOMEM;
	for (size_t i = 0; i < *n; i++)
		(*out)[i] = cfg_getnstr(sec, name, (unsigned)i);
	return 0;
}

/* A notify program must be named by an absolute path: no shell, no
 * search of PATH. */
static void check_notify(struct parse_ctx *ctx, const char *file, int line,
			 const char *where, cfg_t *sec)
{
	if (cfg_size(sec, "notify") == 0)
		return;
	const char *prog = cfg_getnstr(sec, "notify", 0);
	if (!prog || prog[0] != '/')
		report(ctx, file, line,
		       "%snotify: the program must be an absolute path, not "
		       "'%s'",
		       where, prog ? prog : "");
}

/* The quorum options of a pool (pool_opts). */
static void check_quorum(struct parse_ctx *ctx, const char *file,
			 struct dfo_pool *p, const char *title, cfg_t *ps)
{
	p->quorum = cfg_getbool(ps, "quorum");
	p->heartbeat = cfg_getfloat(ps, "heartbeat");
	if (!(p->heartbeat >= 0.1 && p->heartbeat <= 3600))
		report(ctx, file, p->line,
		       "pool \"%s\": heartbeat must be 0.1 to 3600 seconds, "
		       "not %g",
		       title, p->heartbeat);
	long ttl = cfg_getint(ps, "state_ttl");
	if (ttl < 1 || ttl > 86400)
		report(ctx, file, p->line,
		       "pool \"%s\": state_ttl must be 1 to 86400 seconds, "
		       "not %ld",
		       title, ttl);
	p->state_ttl = (unsigned)ttl;
	const char *sn = cfg_getstr(ps, "state_name");
	char why[160];
	if (sn && !dfo_fqdn_valid(sn, why, sizeof(why)))
		report(ctx, file, p->line,
		       "pool \"%s\": state_name \"%s\" is not a valid name: %s",
		       title, sn, why);
}

static int collect_pools(struct dfo_config *c, struct parse_ctx *ctx)
{
	unsigned n = cfg_size(c->cfg, "pool");
	c->pools = calloc(n ? n : 1, sizeof(*c->pools));
	if (!c->pools)
		return -ENOMEM;
	for (unsigned i = 0; i < n; i++) {
		cfg_t *ps = cfg_getnsec(c->cfg, "pool", i);
		struct dfo_pool *p = &c->pools[c->npools];
		const char *title = cfg_title(ps);
		int bad = ctx->nerr;
		p->line = line_of(ctx, "pool", title, NULL, ps->line);
		p->nfqdn = cfg_size(ps, "fqdn");
		if (p->nfqdn == 0)
			report(ctx, c->file, p->line,
			       "pool \"%s\": option 'fqdn' is required", title);
		int fam = dfo_family_parse(cfg_getstr(ps, "family"));
		if (fam != AF_INET && fam != AF_INET6)
			report(ctx, c->file, p->line,
			       "pool \"%s\": family must be ipv4 or ipv6, not "
			       "'%s'",
			       title, cfg_getstr(ps, "family"));
		p->family = fam;
		p->dns = pool_ref(c, ps, DFO_KIND_DNS, ctx);
		p->ipsource = pool_ref(c, ps, DFO_KIND_IPSOURCE, ctx);
		p->check = pool_ref(c, ps, DFO_KIND_CHECK, ctx);
		p->timer = pool_ref(c, ps, DFO_KIND_TIMER, ctx);
		const char *osf = cfg_getstr(ps, "on_self_failure");
		if (strcmp(osf, "withdraw") == 0)
			p->on_self_failure = DFO_SELF_WITHDRAW;
		else if (strcmp(osf, "exit") == 0)
			p->on_self_failure = DFO_SELF_EXIT;
		else
			report(ctx, c->file, p->line,
			       "pool \"%s\": on_self_failure must be withdraw "
			       "or "
			       "exit, not '%s'",
			       title, osf);
		p->withdraw_on_exit = cfg_getbool(ps, "withdraw_on_exit");
		long rise = cfg_getint(ps, "rise"),
		     fall = cfg_getint(ps, "fall");
		if (rise < 1 || rise > 1000 || fall < 1 || fall > 1000)
			report(ctx, c->file, p->line,
			       "pool \"%s\": rise and fall must be 1..1000",
			       title);
		p->rise = (unsigned)rise;
		p->fall = (unsigned)fall;
		for (unsigned f = 0; f < p->nfqdn; f++) {
			const char *name = cfg_getnstr(ps, "fqdn", f);
			char why[160], key[300];
			if (dfo_fqdn_valid(name, why, sizeof(why)))
				continue;
			snprintf(key, sizeof(key), "fqdn\x1f%s", name);
			report(ctx, c->file,
			       line_of(ctx, "pool", title, key, p->line),
			       "pool \"%s\": fqdn \"%s\" is not a valid name: "
			       "%s",
			       title, name, why);
		}
		char where[300];
		snprintf(where, sizeof(where), "pool \"%s\": ", title);
		check_notify(ctx, c->file, p->line, where, ps);
		const char *df = cfg_getstr(ps, "drain_file");
		if (df && df[0] != '/')
			report(ctx, c->file, p->line,
			       "pool \"%s\": drain_file must be an absolute "
			       "path, "
			       "not '%s'",
			       title, df);
		check_quorum(ctx, c->file, p, title, ps);
		if (ctx->nerr != bad)
			continue;
		p->name = strdup(title);
		p->fqdn = calloc(p->nfqdn, sizeof(char *));
		if (!p->name || !p->fqdn) {
			free(p->name);
			free(p->fqdn);
			return -ENOMEM;
		}
		for (size_t f = 0; f < p->nfqdn; f++)
			p->fqdn[f] = cfg_getnstr(ps, "fqdn", (unsigned)f);
		p->drain_file = cfg_getstr(ps, "drain_file");
		const char *sn = cfg_getstr(ps, "state_name");
		if (sn ? !(p->state_name = strdup(sn))
		       : asprintf(&p->state_name, "_dfo.%s", p->fqdn[0]) < 0) {
			p->state_name = NULL;
			free(p->name);
			free(p->fqdn);
			return -ENOMEM;
		}
		if (get_list(ps, "notify", &p->notify, &p->nnotify) < 0) {
			free(p->name);
			free(p->fqdn);
			return -ENOMEM;
		}
		c->npools++;
	}
	return 0;
}

static int create_instances(struct dfo_config *c, struct parse_ctx *ctx)
{
	for (size_t i = 0; i < c->ninst; i++) {
		struct dfo_instance *in = &c->inst[i];
		struct dfo_err e;
		dfo_err_clear(&e);
		int rc = in->entry->prov->create(in->name, in->sec, &in->state,
						 &e);
		if (rc < 0) {
			in->state = NULL;
			const char *msg = e.msg[0] ? e.msg : strerror(-rc);
			report(ctx, c->file,
			       msg_line(ctx, in->sec, msg, in->line),
			       "%s \"%s\" (%s): %s", dfo_kind_name(in->kind),
			       in->name, in->entry->prov->name,
			       e.msg[0] ? e.msg : strerror(-rc));
		}
	}
	return 0;
}

/* A pool of a family its ipsource says it can never give cannot work. */
static void check_families(struct dfo_config *c, struct parse_ctx *ctx)
{
	for (size_t i = 0; i < c->npools; i++) {
		const struct dfo_pool *p = &c->pools[i];
		const struct dfo_ipsource_provider *ip =
			dfo_inst_ipsource(p->ipsource);
		if (!DFO_HAS(ip, families))
			continue;
		unsigned want = p->family == AF_INET6 ? DFO_FAMILY_IPV6
						      : DFO_FAMILY_IPV4;
		if (!(ip->families(p->ipsource->state) & want))
			report(ctx, c->file, p->line,
			       "pool \"%s\": family %s, but ipsource \"%s\" "
			       "(%s) has no %s address",
			       p->name, dfo_family_name(p->family),
			       p->ipsource->name,
			       p->ipsource->entry->prov->name,
			       dfo_family_name(p->family));
	}
}

/* Is `name` the zone `zone` or under it, as DNS names (any case, the
 * final dot optional)?  Names that are not names are left to their own
 * checks: true. */
static bool name_in_zone(const char *name, const char *zone)
{
	uint8_t n[256], z[256];
	size_t nl, zl;
	if (dfo_name_wire(name, n, &nl) < 0 || dfo_name_wire(zone, z, &zl) < 0)
		return true;
	for (size_t at = 0; at < nl && n[at]; at += 1 + n[at])
		if (nl - at == zl && memcmp(n + at, z, zl) == 0)
			return true;
	return zl == 1; /* the root holds every name */
}

/* A pool's names outside its dns instance's zone fail every round: its
 * fqdn at the line of that name, its state_name (quorum) at its own. */
static void check_zones(struct dfo_config *c, struct parse_ctx *ctx)
{
	for (size_t i = 0; i < c->npools; i++) {
		const struct dfo_pool *p = &c->pools[i];
		const struct dfo_dns_provider *dp = dfo_inst_dns(p->dns);
		const char *zone =
			DFO_HAS(dp, zone) ? dp->zone(p->dns->state) : NULL;
		if (!zone)
			continue;
		for (size_t f = 0; f < p->nfqdn; f++) {
			char key[300];
			if (name_in_zone(p->fqdn[f], zone))
				continue;
			snprintf(key, sizeof(key), "fqdn\x1f%s", p->fqdn[f]);
			report(ctx, c->file,
			       line_of(ctx, "pool", p->name, key, p->line),
			       "pool \"%s\": fqdn \"%s\" is not in zone %s of "
			       "dns \"%s\" (%s)",
			       p->name, p->fqdn[f], zone, p->dns->name,
			       p->dns->entry->prov->name);
		}
		cfg_t *ps = cfg_gettsec(c->cfg, "pool", p->name);
		if (p->quorum && ps && cfg_getstr(ps, "state_name") &&
		    !name_in_zone(p->state_name, zone))
			report(ctx, c->file,
			       opt_line(ctx, ps, "state_name", p->line),
			       "pool \"%s\": state_name \"%s\" is not in zone "
			       "%s of dns \"%s\" (%s)",
			       p->name, p->state_name, zone, p->dns->name,
			       p->dns->entry->prov->name);
	}
}

char *dfo_config_read(const char *file, size_t *len, struct dfo_err *err)
{
	return read_text_len(file, len, err);
}

int dfo_config_load(struct dfo_config **out, struct dfo_registry *reg,
		    const char *file, bool create, struct dfo_err *err)
{
	size_t len;
	struct dfo_err te = {0};
	*out = NULL;
	char *text = read_text_len(file, &len, &te);
	if (!text) {
		dfo_log(DFO_LOG_ERR, "%s", te.msg);
		return dfo_err_set(err, te.code < 0 ? te.code : -EIO, "%s",
				   te.msg);
	}
	int rc = dfo_config_load_text(out, reg, file, text, len, create, err);
	free(text);
	return rc;
}

/* libconfuse parses `text` (checked first: size, NUL bytes, BOM) into
 * c->cfg with the schema of reg's providers.  0, or negative (errors
 * reported in ctx, or err set). */
static int parse_text(struct config_priv *p, struct parse_ctx *ctx,
		      struct dfo_registry *reg, const char *file,
		      const char *text, size_t len)
{
	struct dfo_config *c = &p->pub;
	struct dfo_err *err = ctx->err;
	if (!(c->file = strdup(file)) || schema_build(&p->schema, reg) < 0 ||
	    !(c->cfg = cfg_init(p->schema.root, CFGF_NONE)))
		return -ENOMEM;
	/* libconfuse parses the very text checked here. */
	int bom = text_check(ctx, file, text, len);
	FILE *fp = bom < 0 ? NULL
			   : fmemopen((void *)(uintptr_t)(text + bom),
				      len - (size_t)bom, "r");
	if (!fp)
		return bom < 0 ? -EINVAL : -ENOMEM;
	dfo_strv_free(scan_top(text + bom, file, ctx, NULL));
	lines_index(ctx, text + bom, len - (size_t)bom);
	cfg_set_error_function(c->cfg, cfg_errfn);
	park_setup(ctx, c->cfg);
	optline_setup(c->cfg->opts);
	current_ctx = ctx;
	int rc = cfg_parse_fp(c->cfg, fp);
	current_ctx = NULL;
	fclose(fp);
	free(ctx->lines);
	ctx->lines = NULL;
	ctx->text = NULL;
	int nerr = ctx->nerr;
	if (park_restore(ctx, file, rc == CFG_SUCCESS) < 0)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	if (rc == CFG_SUCCESS && ctx->nerr > nerr)
		return -EINVAL; /* duplicate titles: what follows would be moot
				 */
	if (rc == CFG_FILE_ERROR) {
		rc = dfo_err_set(err, -ENOENT, "%s: %s", file, strerror(errno));
		dfo_log(DFO_LOG_ERR, "%s", err ? err->msg : file);
		return rc;
	}
	if (rc != CFG_SUCCESS) {
		if (ctx->nerr == 0)
			report(ctx, file, 0, "cannot be parsed");
		return -EINVAL;
	}
	return 0;
}

/* The status file is written through a temporary file in its
 * directory: that must exist, and be writable.  Errors reported. */
static int status_file_check(struct parse_ctx *ctx, cfg_t *cfg, const char *sf)
{
	char *copy = strdup(sf);
	struct stat st;
	if (!copy)
		return -ENOMEM;
	const char *file = ctx->file, *dir = dirname(copy);
	int sline = opt_line(ctx, cfg, "status_file", 0);
	if (!*sf)
		report(ctx, file, sline, "status_file is empty");
	else if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		report(ctx, file, sline,
		       "status_file %s: directory %s does not exist", sf, dir);
	else if (stat(sf, &st) == 0 && !S_ISREG(st.st_mode))
		report(ctx, file, sline, "status_file %s is a %s, not a file",
		       sf, S_ISDIR(st.st_mode) ? "directory" : "special file");
	else if (access(dir, W_OK) < 0) /* e.g. under the unit */
		report(ctx, file, sline,
		       "status_file %s: directory %s is not writable by uid "
		       "%u: "
		       "%s",
		       sf, dir, (unsigned)getuid(), strerror(errno));
	free(copy);
	return 0;
}

/* The core's own options into c, each bad value reported with its line.
 * 0, or -ENOMEM. */
static int core_options(struct parse_ctx *ctx, struct dfo_config *c)
{
	const char *file = ctx->file;
	const char *pd = cfg_size(c->cfg, "plugin_dir")
				 ? cfg_getnstr(c->cfg, "plugin_dir", 0)
				 : NULL;
	c->plugin_dir = strdup(pd ? pd : dfo_default_plugin_dir());
	const char *sf = cfg_getstr(c->cfg, "status_file");
	c->status_file = sf ? strdup(sf) : NULL;
	if (!c->plugin_dir || (sf && !c->status_file) ||
	    (sf && status_file_check(ctx, c->cfg, sf) < 0))
		return -ENOMEM;
	c->log_level = dfo_log_level_parse(cfg_getstr(c->cfg, "log_level"));
	if (c->log_level < 0)
		report(ctx, file, opt_line(ctx, c->cfg, "log_level", 0),
		       "log_level must be one of error, warning, notice, info, "
		       "debug; not '%s'",
		       cfg_getstr(c->cfg, "log_level"));
	long mp = cfg_getint(c->cfg, "max_parallel");
	if (mp < 1 || mp > 4096)
		report(ctx, file, opt_line(ctx, c->cfg, "max_parallel", 0),
		       "max_parallel must be 1..4096, not %ld", mp);
	c->max_parallel = (unsigned)mp;
	const char *ml = cfg_getstr(c->cfg, "metrics_listen");
	struct sockaddr_storage ss;
	if (ml && ml[0] && !dfo_listen_parse(ml, &ss))
		report(ctx, file, opt_line(ctx, c->cfg, "metrics_listen", 0),
		       "metrics_listen must be ADDRESS:PORT or [IPV6]:PORT, "
		       "not "
		       "'%s'",
		       ml);
	if (ml && ml[0] && !(c->metrics_listen = strdup(ml)))
		return -ENOMEM;
	check_notify(ctx, file, opt_line(ctx, c->cfg, "notify", 0), "", c->cfg);
	if (get_list(c->cfg, "notify", &c->notify, &c->nnotify) < 0)
		return -ENOMEM;
	c->notify_timeout = cfg_getfloat(c->cfg, "notify_timeout");
	if (!(c->notify_timeout > 0 && c->notify_timeout <= 3600))
		report(ctx, file, opt_line(ctx, c->cfg, "notify_timeout", 0),
		       "notify_timeout must be more than 0 and at most 3600 "
		       "seconds, "
		       "not %g",
		       c->notify_timeout);
	c->reload_timeout = cfg_getfloat(c->cfg, "reload_timeout");
	if (!(c->reload_timeout >= 1 && c->reload_timeout <= 3600))
		report(ctx, file, opt_line(ctx, c->cfg, "reload_timeout", 0),
		       "reload_timeout must be 1 to 3600 seconds, not %g",
		       c->reload_timeout);
	return 0;
}

int dfo_config_load_text(struct dfo_config **out, struct dfo_registry *reg,
			 const char *file, const char *text, size_t len,
			 bool create, struct dfo_err *err)
{
	struct parse_ctx ctx = {.err = err, .reg = reg, .file = file};
	struct config_priv *p = calloc(1, sizeof(*p));
	*out = NULL;
	if (!p)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	struct dfo_config *c = &p->pub;
	int rc;
	if ((rc = parse_text(p, &ctx, reg, file, text, len)) < 0)
		goto fail;
	if ((rc = core_options(&ctx, c)) < 0) {
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	struct dfo_err ae = {0};
	/* Staged in this config; the running one's stays the default
	 * until this one is whole. */
	cfg_t *aws = cfg_getsec(c->cfg, "aws");
	if (dfo_aws_from_config(aws, &p->aws, &ae) < 0)
		report(&ctx, file,
		       msg_line(&ctx, aws, ae.msg, aws ? aws->line : 0), "%s",
		       ae.msg);

	if ((rc = collect_instances(c, reg, &ctx)) < 0 ||
	    (rc = collect_pools(c, &ctx)) < 0)
		goto fail;
	if (ctx.nerr == 0 && create) {
		create_instances(c, &ctx);
		if (ctx.nerr == 0) {
			check_families(c, &ctx);
			check_zones(c, &ctx);
		}
	}
	if (ctx.nerr) {
		rc = -EINVAL;
		goto fail;
	}
	dfo_aws_commit(p->aws);
	*out = c;
	ctx_free(&ctx);
	return 0;
fail:
	ctx_free(&ctx);
	if (rc == -ENOMEM && ctx.nerr == 0)
		dfo_err_set(err, -ENOMEM, "out of memory");
	dfo_config_free(c);
	return rc < 0 ? rc : -EINVAL;
}
