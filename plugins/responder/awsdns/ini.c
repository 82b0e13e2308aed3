/*
 * The drop-in for the original awsdns (a Python/Twisted server configured
 * by awsdns.ini): read its ini file, the way Python's ConfigParser read it,
 * and turn it into this program's configuration.
 *
 * The ini syntax: "[section]" lines; "key = value" or "key: value" (keys
 * case-insensitive); a line starting with white space continues the value
 * above; lines starting with '#' or ';' are comments, and so is " ;..."
 * after a value.  Only the [awsdns] section counts ([DEFAULT] fills in).
 *
 * Keys and what they become:
 *   dns_server             upstream = {...}  (white-space separated list)
 *   aws_access_key_id,     not written: they go into the daemon's
 *   aws_secret_access_key  environment (AWS_ACCESS_KEY_ID and
 *                          AWS_SECRET_ACCESS_KEY), so the config holds
 *                          no secret and passes -t without them
 *   aws_region             aws { region }
 *   forward, reverse       forward, reverse (attribute names, checked)
 *   extra                  extra = {...}  (white-space separated list)
 *   ttl                    ttl (3600, the original's, when not given)
 *   txt_format, soa        txt_format, soa ("spaced" and "always", the
 *                          original's answers, when not given)
 *   loglevel               log_level
 *   autorefresh, logfile   accepted and ignored (always refreshed in the
 *                          background; logs go to stderr or syslog)
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <dnsfailover/addr.h>
#include <dnsfailover/aws.h>

#include "awsdns.h"

#define INI_MAX_KEYS 64

struct ini_kv {
	char *key;
	char *val;
	int line;
	bool deflt; /* from [DEFAULT] */
	/* The line of each line of the value (continuations). */
	int seg_line[32];
	int nseg;
};

struct ini {
	const char *path;
	FILE *notes; /* notes go there as comments; NULL: to stderr */
	struct ini_kv kv[INI_MAX_KEYS];
	size_t n;
	bool has_section;
	int errors;
};

static void ini_msg(struct ini *ini, bool error, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void ini_msg(struct ini *ini, bool error, int line, const char *fmt, ...)
{
	va_list ap;
	if (!error && ini->notes) {
		/* a note of the printed config: a comment in it */
		if (line > 0)
			fprintf(ini->notes, "# %s:%d: note: ", ini->path, line);
		else
			fprintf(ini->notes, "# %s: note: ", ini->path);
		va_start(ap, fmt);
		vfprintf(ini->notes, fmt, ap);
		va_end(ap);
		fputc('\n', ini->notes);
		return;
	}
	if (line > 0)
		fprintf(stderr, "%s:%d: %s", ini->path, line,
			error ? "" : "note: ");
	else
		fprintf(stderr, "%s: %s", ini->path, error ? "" : "note: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (error)
		ini->errors++;
}

static void ini_free(struct ini *ini)
{
	for (size_t i = 0; i < ini->n; i++) {
		free(ini->kv[i].key);
		if (ini->kv[i].val) {
			/* A value may be the secret key. */
			explicit_bzero(ini->kv[i].val, strlen(ini->kv[i].val));
			free(ini->kv[i].val);
		}
	}
	ini->n = 0;
}

static char *trim(char *s)
{
	while (*s && isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

static struct ini_kv *ini_get(struct ini *ini, const char *key)
{
	struct ini_kv *d = NULL;
	for (size_t i = 0; i < ini->n; i++) {
		if (strcmp(ini->kv[i].key, key) != 0)
			continue;
		if (!ini->kv[i].deflt)
			return &ini->kv[i];
		d = &ini->kv[i];
	}
	return d;
}

/* Append a continuation line to the value of `kv`. */
static int kv_append(struct ini_kv *kv, const char *more)
{
	size_t a = strlen(kv->val), b = strlen(more);
	char *v = malloc(a + b + 2);
	if (!v)
		return -ENOMEM;
	memcpy(v, kv->val, a);
	v[a] = '\n';
	memcpy(v + a + 1, more, b + 1);
	explicit_bzero(kv->val, a);
	free(kv->val);
	kv->val = v;
	return 0;
}

/* The words of a value, split at white space, each with its line:
 * returns the count (at most max), words pointing into `copy`. */
static size_t kv_words(const struct ini_kv *kv, char *copy, char **words,
		       int *lines, size_t max)
{
	size_t n = 0;
	int seg = 0;
	char *p = copy;
	while (*p && n < max) {
		if (*p == '\n') {
			seg++;
			p++;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		words[n] = p;
		lines[n] = seg < kv->nseg ? kv->seg_line[seg] : kv->line;
		n++;
		while (*p && !isspace((unsigned char)*p))
			p++;
		if (*p == '\n') {
			*p++ = '\0';
			seg++;
		} else if (*p) {
			*p++ = '\0';
		}
	}
	return n;
}

/* ConfigParser: " ;" starts an inline comment (also, here, on a
 * continuation line). */
static char *strip_comment(char *val)
{
	for (char *c = val; *c; c++)
		if (*c == ';' && c > val && isspace((unsigned char)c[-1])) {
			*c = '\0';
			break;
		}
	return trim(val);
}

enum ini_sect { SECT_NONE, SECT_OURS, SECT_DEFAULT, SECT_OTHER };

/* A "[section]" line (t trimmed, starting with '['). */
static enum ini_sect ini_section(struct ini *ini, char *t, int line)
{
	char *end = strchr(t, ']');
	if (!end || end == t + 1) {
		ini_msg(ini, true, line, "bad section header '%s'", t);
		return SECT_OTHER;
	}
	*end = '\0';
	if (strcmp(t + 1, "awsdns") == 0) {
		ini->has_section = true;
		return SECT_OURS;
	}
	return strcmp(t + 1, "DEFAULT") == 0 ? SECT_DEFAULT : SECT_OTHER;
}

/* A "key = value" line (t trimmed) of section `sect`: the new key, or
 * NULL (reported, or of a section that does not count).  -ENOMEM in
 * *rc when out of memory. */
static struct ini_kv *ini_key(struct ini *ini, char *t, int line,
			      enum ini_sect sect, int *rc)
{
	size_t k = strcspn(t, ":=");
	if (!t[k] || k == 0) {
		ini_msg(ini, true, line,
			"not 'key = value' nor a [section] header");
		return NULL;
	}
	if (sect == SECT_NONE) {
		ini_msg(ini, true, line,
			"'key = value' before any [section] header");
		return NULL;
	}
	char *val = t + k + 1;
	t[k] = '\0';
	char *key = trim(t);
	val = strip_comment(val);
	if (strcmp(val, "\"\"") == 0)
		val[0] = '\0';
	if (sect == SECT_OTHER)
		return NULL;
	for (char *c = key; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	bool deflt = sect == SECT_DEFAULT;
	for (size_t i = 0; i < ini->n; i++)
		if (strcmp(ini->kv[i].key, key) == 0 &&
		    ini->kv[i].deflt == deflt) {
			ini_msg(ini, true, line,
				"%s given twice (first on line %d)", key,
				ini->kv[i].line);
			return NULL;
		}
	if (ini->n == INI_MAX_KEYS) {
		ini_msg(ini, true, line, "too many keys");
		return NULL;
	}
	struct ini_kv *cur = &ini->kv[ini->n++];
	cur->key = strdup(key);
	cur->val = strdup(val);
	cur->line = line;
	cur->seg_line[0] = line;
	cur->nseg = 1;
	cur->deflt = deflt;
	if (!cur->key || !cur->val)
		*rc = -ENOMEM;
	return cur;
}

static int ini_parse(struct ini *ini, FILE *f)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int line = 0, rc = 0;
	enum ini_sect sect = SECT_NONE;
	struct ini_kv *cur = NULL; /* the option a continuation extends */
	while (rc == 0 && (len = getline(&buf, &cap, f)) >= 0) {
		line++;
		if (len > 0 && buf[len - 1] == '\n')
			buf[--len] = '\0';
		if (len > 0 && buf[len - 1] == '\r')
			buf[--len] = '\0';
		if (memchr(buf, '\0', (size_t)len)) {
			ini_msg(ini, true, line, "NUL byte in the file");
			cur = NULL;
			continue;
		}
		char *t = trim(buf);
		if (!*t || *t == '#' || *t == ';' ||
		    (strncasecmp(t, "rem", 3) == 0 &&
		     isspace((unsigned char)t[3])))
			continue; /* blank lines do not end a value */
		if (isspace((unsigned char)buf[0]) && cur) {
			rc = kv_append(cur, strip_comment(t));
			if (cur->nseg < 32)
				cur->seg_line[cur->nseg++] = line;
		} else if (*t == '[') {
			cur = NULL;
			sect = ini_section(ini, t, line);
		} else {
			cur = ini_key(ini, t, line, sect, &rc);
		}
	}
	if (buf) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	if (rc < 0) {
		ini_msg(ini, true, line, "out of memory");
		return -1;
	}
	if (ferror(f)) {
		ini_msg(ini, true, 0, "read error: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* ---- value checks ------------------------------------------------- */

/* boto's names (the original's) for what is named otherwise here: the
 * original's own example asks for key_pair. */
static const struct {
	const char *boto, *here;
} aliases[] = {
	{"key_pair", "key_name"},
	{"public_ip_address", "ip_address"},
	{NULL, NULL},
};

/* A tag key: AWS allows letters (UTF-8 too), digits, spaces and
 * _ . : / = + - @ (1..128 bytes).  Nothing else reaches the generated
 * config. */
static bool tag_key_ok(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > 128)
		return false;
	for (const unsigned char *c = (const unsigned char *)k; *c; c++)
		if (!isalnum(*c) && *c < 0x80 && !strchr(" _.:/=+-@", *c))
			return false;
	return true;
}

/* Check one attribute name; returns the name to write (static or `name`)
 * or NULL after reporting the error. */
static const char *attr_check(struct ini *ini, int line, const char *key,
			      const char *name)
{
	if (strncmp(name, "tag:", 4) == 0) {
		if (tag_key_ok(name + 4))
			return name;
		ini_msg(ini, true, line,
			"%s: '%s' is not a tag key (1 to 128 letters, digits, "
			"spaces or _ . : / = + - @)",
			key, name + 4);
		return NULL;
	}
	if (dfo_ec2_attr_valid(name))
		return name;
	for (size_t i = 0; aliases[i].boto; i++)
		if (strcmp(name, aliases[i].boto) == 0) {
			ini_msg(ini, false, line,
				"%s: boto's '%s' is '%s' here", key, name,
				aliases[i].here);
			return aliases[i].here;
		}
	char list[1024] = "";
	const char *const *names = dfo_ec2_attr_names();
	for (size_t i = 0, l = 0; names[i] && l < sizeof(list); i++)
		l += (size_t)snprintf(list + l, sizeof(list) - l, "%s%s",
				      i ? ", " : "", names[i]);
	ini_msg(ini, true, line, "%s: unknown attribute '%s' (one of %s)", key,
		name, list);
	return NULL;
}

int awsdns_hostport_canon(const char *text, int defport, bool bare53, char *out,
			  size_t outlen)
{
	char host[DFO_ADDR_STRLEN];
	unsigned p;
	if (dfo_hostport_parse(text, (unsigned)defport, host, sizeof(host), &p,
			       NULL) < 0)
		return -1;
	struct dfo_addr a;
	char canon[DFO_ADDR_STRLEN];
	if (dfo_addr_parse(&a, host) < 0)
		return -1;
	dfo_addr_format(&a, canon, sizeof(canon));
	int w;
	if (bare53 && p == 53)
		w = snprintf(out, outlen, "%s", canon);
	else
		w = snprintf(out, outlen,
			     a.family == AF_INET6 ? "[%s]:%u" : "%s:%u", canon,
			     p);
	return w > 0 && (size_t)w < outlen ? 0 : -1;
}

static bool chars_ok(const char *s, const char *extra)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr(extra, *s))
			return false;
	return true;
}

/* ---- conversion ------------------------------------------------------ */

static void put_str(FILE *out, const char *s)
{
	/* Every value written was checked to hold no quote, backslash or
	 * '$'; escape anyway. */
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static const char *const known_keys[] = {
	"dns_server",
	"aws_access_key_id",
	"aws_secret_access_key",
	"aws_region",
	"forward",
	"reverse",
	"extra",
	"ttl",
	"loglevel",
	"autorefresh",
	"logfile",
	"txt_format",
	"soa",
	NULL,
};

/* What the ini file says, checked, ready to print. */
struct conv {
	struct ini ini;
	char upstream[8][DFO_ADDR_STRLEN + 8];
	size_t nup;
	const char *fwd, *rev;
	const char *extra[32];
	size_t nextra;
	char *extra_copy; /* the words of extra point into it */
	long ttl;
	const char *level, *txt_format, *soa;
	struct ini_kv *akid, *secret, *region;
};

/* Read and parse the file; 0 or -1 (reported). */
static int conv_read(struct conv *cv, const char *path)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		cv->ini.errors++;
		return -1;
	}
	int rc = ini_parse(&cv->ini, f);
	fclose(f);
	if (rc < 0)
		return -1;
	if (!cv->ini.has_section) {
		ini_msg(&cv->ini, true, 0, "no [awsdns] section");
		return -1;
	}
	for (size_t i = 0; i < cv->ini.n; i++) {
		bool known = false;
		for (size_t j = 0; known_keys[j]; j++)
			known = known ||
				strcmp(cv->ini.kv[i].key, known_keys[j]) == 0;
		if (!known && !cv->ini.kv[i].deflt)
			ini_msg(&cv->ini, false, cv->ini.kv[i].line,
				"unknown key '%s' ignored", cv->ini.kv[i].key);
	}
	return 0;
}

/* dns_server: the upstream resolvers. */
static void conv_upstream(struct conv *cv)
{
	struct ini *ini = &cv->ini;
	struct ini_kv *kv = ini_get(ini, "dns_server");
	if (!kv) {
		ini_msg(ini, false, 0,
			"no dns_server: answering from AWS only (no upstream)");
		return;
	}
	char *copy = strdup(kv->val), *w[16];
	int wl[16];
	size_t nw = copy ? kv_words(kv, copy, w, wl, 16) : 0;
	for (size_t i = 0; i < nw; i++) {
		if (cv->nup == 8) {
			ini_msg(ini, true, wl[i],
				"dns_server: more than 8 servers");
			break;
		}
		if (awsdns_hostport_canon(w[i], 53, true, cv->upstream[cv->nup],
					  sizeof(cv->upstream[0])) < 0) {
			ini_msg(ini, true, wl[i],
				"dns_server: '%s' is not an IPv4 or IPv6 "
				"address (with an optional :PORT)",
				w[i]);
			continue;
		}
		cv->nup++;
	}
	free(copy);
	if (cv->nup == 0 && !strpbrk(kv->val, "0123456789abcdefABCDEF:"))
		ini_msg(ini, false, kv->line,
			"dns_server is empty: answering from AWS only");
}

/* forward, reverse, extra. */
static void conv_attrs(struct conv *cv)
{
	struct ini *ini = &cv->ini;
	struct ini_kv *kv;
	cv->fwd = "tag:Name";
	cv->rev = "private_ip_address";
	if ((kv = ini_get(ini, "forward")) != NULL && kv->val[0])
		cv->fwd = attr_check(ini, kv->line, "forward", kv->val);
	if ((kv = ini_get(ini, "reverse")) != NULL && kv->val[0])
		cv->rev = attr_check(ini, kv->line, "reverse", kv->val);
	if ((kv = ini_get(ini, "extra")) == NULL ||
	    (cv->extra_copy = strdup(kv->val)) == NULL)
		return;
	char *w[40];
	int wl[40];
	size_t nw = kv_words(kv, cv->extra_copy, w, wl, 40);
	for (size_t i = 0; i < nw; i++) {
		const char *a = attr_check(ini, wl[i], "extra", w[i]);
		if (!a)
			continue;
		if (cv->nextra == 32) {
			ini_msg(ini, true, wl[i],
				"extra: more than 32 attributes");
			break;
		}
		cv->extra[cv->nextra++] = a;
	}
}

/* The value of `key` if it is one of `choices` (NULL-terminated), else
 * `deflt`; a wrong value is reported. */
static const char *conv_choice(struct conv *cv, const char *key,
			       const char *const *choices, const char *deflt)
{
	struct ini_kv *kv = ini_get(&cv->ini, key);
	if (!kv)
		return deflt;
	for (size_t i = 0; choices[i]; i++)
		if (strcmp(kv->val, choices[i]) == 0)
			return choices[i];
	ini_msg(&cv->ini, true, kv->line, "%s: '%s' is not %s or %s", key,
		kv->val, choices[0], choices[1]);
	return deflt;
}

/* ttl, loglevel, txt_format, soa; notes on what is ignored. */
static void conv_scalars(struct conv *cv)
{
	struct ini *ini = &cv->ini;
	struct ini_kv *kv;
	cv->ttl = 3600; /* the original's default */
	if ((kv = ini_get(ini, "ttl")) != NULL) {
		char *end;
		errno = 0;
		cv->ttl = strtol(kv->val, &end, 10);
		if (!kv->val[0] || *end || errno || cv->ttl < 0 ||
		    cv->ttl > 604800)
			ini_msg(ini, true, kv->line,
				"ttl: '%s' is not a number of seconds (0 to "
				"604800)",
				kv->val);
	}
	if ((kv = ini_get(ini, "loglevel")) != NULL) {
		static const char *const map[][2] = {
			{"critical", "error"},	{"error", "error"},
			{"warning", "warning"}, {"warn", "warning"},
			{"info", "info"},	{"debug", "debug"},
			{"notset", "debug"},	{NULL, NULL},
		};
		for (size_t i = 0; map[i][0] && !cv->level; i++)
			if (strcasecmp(kv->val, map[i][0]) == 0)
				cv->level = map[i][1];
		if (!cv->level)
			ini_msg(ini, true, kv->line,
				"loglevel: '%s' is not one of CRITICAL, ERROR, "
				"WARNING, INFO, DEBUG",
				kv->val);
	}
	static const char *const txt[] = {"spaced", "rfc1464", NULL};
	static const char *const soa[] = {"always", "negative", NULL};
	cv->txt_format = conv_choice(cv, "txt_format", txt, "spaced");
	cv->soa = conv_choice(cv, "soa", soa, "always");
	if ((kv = ini_get(ini, "autorefresh")) != NULL)
		ini_msg(ini, false, kv->line,
			"autorefresh ignored: the index is always refreshed in "
			"the background (every 60 s)");
	if ((kv = ini_get(ini, "logfile")) != NULL)
		ini_msg(ini, false, kv->line,
			"logfile ignored: logs go to stderr with -f, else to "
			"syslog");
}

/* The AWS account: keys (both or neither) and region. */
static void conv_account(struct conv *cv)
{
	struct ini *ini = &cv->ini;
	struct ini_kv *akid = ini_get(ini, "aws_access_key_id");
	struct ini_kv *sec = ini_get(ini, "aws_secret_access_key");
	struct ini_kv *reg = ini_get(ini, "aws_region");
	cv->akid = akid && akid->val[0] ? akid : NULL;
	cv->secret = sec && sec->val[0] ? sec : NULL;
	cv->region = reg && reg->val[0] ? reg : NULL;
	if (cv->akid && !chars_ok(cv->akid->val, ""))
		ini_msg(ini, true, cv->akid->line,
			"aws_access_key_id: not an access key id (letters and "
			"digits)");
	if (cv->secret && (strlen(cv->secret->val) > 256 ||
			   !chars_ok(cv->secret->val, "/+=")))
		ini_msg(ini, true, cv->secret->line,
			"aws_secret_access_key: not a secret access key "
			"(letters, digits, / + =; value not shown)");
	if (cv->akid && !cv->secret)
		ini_msg(ini, true, cv->akid->line,
			"aws_access_key_id without aws_secret_access_key");
	if (cv->secret && !cv->akid)
		ini_msg(ini, true, cv->secret->line,
			"aws_secret_access_key without aws_access_key_id");
	if (cv->region && !chars_ok(cv->region->val, "-"))
		ini_msg(ini, true, cv->region->line,
			"aws_region: '%s' is not a region name",
			cv->region->val);
}

static void put_list(FILE *out, const char *opt, const char *const *v, size_t n)
{
	fprintf(out, "\t\t%s = {", opt);
	for (size_t i = 0; i < n; i++) {
		fprintf(out, i ? ", " : "");
		put_str(out, v[i]);
	}
	fprintf(out, "}\n");
}

/* The config itself. */
static void conv_write(const struct conv *cv, FILE *out, const char *path,
		       const char *const *listen, size_t nlisten,
		       const char *user)
{
	fprintf(out, "# From %s (the original awsdns's configuration).\n",
		path);
	if (cv->level)
		fprintf(out, "log_level = \"%s\"\n", cv->level);
	if (cv->akid)
		fprintf(out,
			"# Its keys are not written here: the daemon takes "
			"them from its\n# environment, AWS_ACCESS_KEY_ID "
			"(%s) and %s.\n",
			cv->akid->val, DFO_AWSDNS_SECRET_VAR);
	if (cv->region) {
		fprintf(out, "aws {\n\tregion = ");
		put_str(out, cv->region->val);
		fprintf(out, "\n}\n");
	}
	fprintf(out, "responder \"awsdns\" {\n\tawsdns {\n");
	put_list(out, "listen", listen, nlisten);
	const char *up[8];
	for (size_t i = 0; i < cv->nup; i++)
		up[i] = cv->upstream[i];
	put_list(out, "upstream", up, cv->nup);
	fprintf(out, "\t\tforward = ");
	put_str(out, cv->fwd);
	fprintf(out, "\n\t\treverse = ");
	put_str(out, cv->rev);
	fputc('\n', out);
	put_list(out, "extra", cv->extra, cv->nextra);
	fprintf(out,
		"\t\t# the original's answers unless the file said "
		"otherwise: TTL 3600,\n\t\t# TXT \"attribute = "
		"value\", the SOA in every answer (native\n\t\t# "
		"defaults: 60, \"rfc1464\", \"negative\")\n"
		"\t\tttl = %ld\n\t\ttxt_format = \"%s\"\n\t\tsoa = \"%s\"\n",
		cv->ttl, cv->txt_format, cv->soa);
	if (user) {
		fprintf(out, "\t\t# drop root once port 53 is bound\n"
			     "\t\tuser = ");
		put_str(out, user);
		fputc('\n', out);
	}
	fprintf(out, "\t\t# allow: the default (loopback and private "
		     "networks only)\n\t}\n}\n");
}

static char *copy_value(const struct ini_kv *kv)
{
	return kv ? strdup(kv->val) : NULL;
}

int awsdns_ini_convert(const char *path, FILE *out, FILE *notes,
		       const char *const *listen, size_t nlisten,
		       const char *user, struct awsdns_ini_keys *keys)
{
	struct conv cv;
	memset(&cv, 0, sizeof(cv));
	memset(keys, 0, sizeof(*keys));
	cv.ini.path = path;
	cv.ini.notes = notes;
	if (conv_read(&cv, path) == 0) {
		conv_upstream(&cv);
		conv_attrs(&cv);
		conv_scalars(&cv);
		conv_account(&cv);
	}
	if (!cv.ini.errors) {
		conv_write(&cv, out, path, listen, nlisten, user);
		if (fflush(out) != 0 || ferror(out))
			ini_msg(&cv.ini, true, 0,
				"cannot write the configuration: %s",
				strerror(errno));
	}
	if (!cv.ini.errors && cv.akid &&
	    (!(keys->access_key_id = copy_value(cv.akid)) ||
	     !(keys->secret = copy_value(cv.secret))))
		ini_msg(&cv.ini, true, 0, "out of memory");
	free(cv.extra_copy);
	ini_free(&cv.ini);
	if (cv.ini.errors)
		awsdns_ini_keys_wipe(keys);
	return cv.ini.errors ? -1 : 0;
}

void awsdns_ini_keys_wipe(struct awsdns_ini_keys *keys)
{
	free(keys->access_key_id);
	if (keys->secret) {
		explicit_bzero(keys->secret, strlen(keys->secret));
		free(keys->secret);
	}
	keys->access_key_id = keys->secret = NULL;
}
