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
 *   aws_access_key_id      aws { access_key_id }
 *   aws_secret_access_key  aws { secret_access_key = "${AWS_SECRET_ACCESS_KEY}" }
 *                          (the value itself goes into that variable)
 *   aws_region             aws { region }
 *   forward, reverse       forward, reverse (attribute names, checked)
 *   extra                  extra = {...}  (white-space separated list)
 *   ttl                    ttl
 *   loglevel               log_level
 *   autorefresh, logfile   accepted and ignored (always refreshed in the
 *                          background; logs go to stderr or syslog)
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dnsfailover/addr.h>
#include <dnsfailover/aws.h>

#include "awsdns_ini.h"

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
	struct ini_kv kv[INI_MAX_KEYS];
	size_t n;
	bool has_section;
	int errors;
};

static void ini_msg(struct ini *ini, bool error, int line, const char *fmt,
		    ...) __attribute__((format(printf, 4, 5)));

static void ini_msg(struct ini *ini, bool error, int line, const char *fmt,
		    ...)
{
	va_list ap;
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

static int ini_parse(struct ini *ini, FILE *f)
{
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	int line = 0;
	enum { NONE, OURS, DEFLT, OTHER } sect = NONE;
	struct ini_kv *cur = NULL; /* the option a continuation extends */
	while ((len = getline(&buf, &cap, f)) >= 0) {
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
		    (strncasecmp(t, "rem", 3) == 0 && isspace((unsigned char)t[3])))
			continue; /* blank lines do not end a value */
		if (isspace((unsigned char)buf[0]) && cur) {
			if (kv_append(cur, strip_comment(t)) < 0)
				goto nomem;
			if (cur->nseg < 32)
				cur->seg_line[cur->nseg++] = line;
			continue;
		}
		cur = NULL;
		if (*t == '[') {
			char *end = strchr(t, ']');
			if (!end || end == t + 1) {
				ini_msg(ini, true, line, "bad section header '%s'", t);
				sect = OTHER;
				continue;
			}
			*end = '\0';
			if (strcmp(t + 1, "awsdns") == 0) {
				sect = OURS;
				ini->has_section = true;
			} else if (strcmp(t + 1, "DEFAULT") == 0) {
				sect = DEFLT;
			} else {
				sect = OTHER;
			}
			continue;
		}
		size_t k = strcspn(t, ":=");
		if (!t[k] || k == 0) {
			ini_msg(ini, true, line,
				"not 'key = value' nor a [section] header");
			continue;
		}
		if (sect == NONE) {
			ini_msg(ini, true, line,
				"'key = value' before any [section] header");
			continue;
		}
		char *val = t + k + 1;
		t[k] = '\0';
		char *key = trim(t);
		val = strip_comment(val);
		if (strcmp(val, "\"\"") == 0)
			val[0] = '\0';
		if (sect == OTHER)
			continue;
		for (char *c = key; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		struct ini_kv *old = NULL;
		for (size_t i = 0; i < ini->n; i++)
			if (strcmp(ini->kv[i].key, key) == 0 &&
			    ini->kv[i].deflt == (sect == DEFLT))
				old = &ini->kv[i];
		if (old) {
			ini_msg(ini, true, line, "%s given twice (first on line %d)",
				key, old->line);
			continue;
		}
		if (ini->n == INI_MAX_KEYS) {
			ini_msg(ini, true, line, "too many keys");
			continue;
		}
		cur = &ini->kv[ini->n];
		cur->key = strdup(key);
		cur->val = strdup(val);
		cur->line = line;
		cur->seg_line[0] = line;
		cur->nseg = 1;
		cur->deflt = sect == DEFLT;
		ini->n++;
		if (!cur->key || !cur->val)
			goto nomem;
	}
	if (buf) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	if (ferror(f)) {
		ini_msg(ini, true, 0, "read error: %s", strerror(errno));
		return -1;
	}
	return 0;
nomem:
	if (buf) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	ini_msg(ini, true, line, "out of memory");
	return -1;
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
			"spaces or _ . : / = + - @)", key, name + 4);
		return NULL;
	}
	if (dfo_ec2_attr_valid(name))
		return name;
	for (size_t i = 0; aliases[i].boto; i++)
		if (strcmp(name, aliases[i].boto) == 0) {
			ini_msg(ini, false, line, "%s: boto's '%s' is '%s' here",
				key, name, aliases[i].here);
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

/* "ADDRESS", "ADDRESS:PORT" or "[V6]:PORT" into a canonical "ADDR:PORT"
 * ("[V6]:PORT"); port defaults to `defport`.  0 or -1. */
static int hostport_parse(const char *text, int defport, bool bare53,
			  char *out, size_t outlen)
{
	char host[DFO_ADDR_STRLEN + 2];
	const char *port = NULL;
	size_t n;
	if (text[0] == '[') {
		const char *end = strchr(text, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -1;
		n = (size_t)(end - text - 1);
		if (end[1] == ':')
			port = end + 2;
		text++;
	} else {
		const char *colon = strchr(text, ':');
		/* Two colons or more: a bare IPv6 address. */
		if (colon && !strchr(colon + 1, ':')) {
			n = (size_t)(colon - text);
			port = colon + 1;
		} else {
			n = strlen(text);
		}
	}
	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, text, n);
	host[n] = '\0';
	long p = defport;
	if (port) {
		char *end;
		errno = 0;
		p = strtol(port, &end, 10);
		if (!*port || *end || errno || p < 1 || p > 65535)
			return -1;
	}
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
			     a.family == AF_INET6 ? "[%s]:%ld" : "%s:%ld", canon, p);
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
	"dns_server", "aws_access_key_id", "aws_secret_access_key",
	"aws_region", "forward", "reverse", "extra", "ttl", "loglevel",
	"autorefresh", "logfile", NULL,
};

int dfo_awsdns_ini_convert(const char *path, FILE *out,
			   const char *const *listen, size_t nlisten,
			   const char *user, char **secret)
{
	struct ini ini;
	char *extra_copy = NULL;
	memset(&ini, 0, sizeof(ini));
	ini.path = path;
	*secret = NULL;
	FILE *f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = ini_parse(&ini, f);
	fclose(f);
	if (rc < 0)
		goto out;
	if (!ini.has_section) {
		ini_msg(&ini, true, 0, "no [awsdns] section");
		goto out;
	}
	for (size_t i = 0; i < ini.n; i++) {
		bool known = false;
		for (size_t j = 0; known_keys[j]; j++)
			known = known || strcmp(ini.kv[i].key, known_keys[j]) == 0;
		if (!known && !ini.kv[i].deflt)
			ini_msg(&ini, false, ini.kv[i].line,
				"unknown key '%s' ignored", ini.kv[i].key);
	}

	/* dns_server: the upstream resolvers. */
	char upstream[8][DFO_ADDR_STRLEN + 8];
	size_t nup = 0;
	struct ini_kv *kv = ini_get(&ini, "dns_server");
	if (kv) {
		char *copy = strdup(kv->val), *w[16];
		int wl[16];
		size_t nw = copy ? kv_words(kv, copy, w, wl, 16) : 0;
		for (size_t i = 0; i < nw; i++) {
			if (nup == 8) {
				ini_msg(&ini, true, wl[i],
					"dns_server: more than 8 servers");
				break;
			}
			if (hostport_parse(w[i], 53, true, upstream[nup],
					   sizeof(upstream[nup])) < 0) {
				ini_msg(&ini, true, wl[i],
					"dns_server: '%s' is not an IPv4 or IPv6 "
					"address (with an optional :PORT)", w[i]);
				continue;
			}
			nup++;
		}
		free(copy);
		if (nup == 0 && !strpbrk(kv->val, "0123456789abcdefABCDEF:"))
			ini_msg(&ini, false, kv->line,
				"dns_server is empty: answering from AWS only");
	} else {
		ini_msg(&ini, false, 0,
			"no dns_server: answering from AWS only (no upstream)");
	}

	/* forward, reverse, extra. */
	const char *fwd = "tag:Name", *rev = "private_ip_address";
	if ((kv = ini_get(&ini, "forward")) != NULL && kv->val[0])
		fwd = attr_check(&ini, kv->line, "forward", kv->val);
	if ((kv = ini_get(&ini, "reverse")) != NULL && kv->val[0])
		rev = attr_check(&ini, kv->line, "reverse", kv->val);
	const char *extra[32];
	size_t nextra = 0;
	if ((kv = ini_get(&ini, "extra")) != NULL &&
	    (extra_copy = strdup(kv->val)) != NULL) {
		char *w[40];
		int wl[40];
		size_t nw = kv_words(kv, extra_copy, w, wl, 40);
		for (size_t i = 0; i < nw; i++) {
			const char *a = attr_check(&ini, wl[i], "extra", w[i]);
			if (!a)
				continue;
			if (nextra == 32) {
				ini_msg(&ini, true, wl[i],
					"extra: more than 32 attributes");
				break;
			}
			extra[nextra++] = a;
		}
	}

	/* ttl, loglevel. */
	long ttl = -1;
	if ((kv = ini_get(&ini, "ttl")) != NULL) {
		char *end;
		errno = 0;
		ttl = strtol(kv->val, &end, 10);
		if (!kv->val[0] || *end || errno || ttl < 0 || ttl > 604800) {
			ini_msg(&ini, true, kv->line,
				"ttl: '%s' is not a number of seconds (0 to "
				"604800)", kv->val);
			ttl = -1;
		}
	}
	const char *level = NULL;
	if ((kv = ini_get(&ini, "loglevel")) != NULL) {
		static const char *const map[][2] = {
			{"critical", "error"}, {"error", "error"},
			{"warning", "warning"}, {"warn", "warning"},
			{"info", "info"}, {"debug", "debug"},
			{"notset", "debug"}, {NULL, NULL},
		};
		for (size_t i = 0; map[i][0] && !level; i++)
			if (strcasecmp(kv->val, map[i][0]) == 0)
				level = map[i][1];
		if (!level)
			ini_msg(&ini, true, kv->line,
				"loglevel: '%s' is not one of CRITICAL, ERROR, "
				"WARNING, INFO, DEBUG", kv->val);
	}
	if ((kv = ini_get(&ini, "autorefresh")) != NULL)
		ini_msg(&ini, false, kv->line,
			"autorefresh ignored: the index is always refreshed in "
			"the background (every 60 s)");
	if ((kv = ini_get(&ini, "logfile")) != NULL)
		ini_msg(&ini, false, kv->line,
			"logfile ignored: logs go to stderr with -f, else to "
			"syslog");

	/* The AWS account. */
	struct ini_kv *akid = ini_get(&ini, "aws_access_key_id");
	struct ini_kv *sec = ini_get(&ini, "aws_secret_access_key");
	struct ini_kv *reg = ini_get(&ini, "aws_region");
	if (akid && !akid->val[0])
		akid = NULL;
	if (sec && !sec->val[0])
		sec = NULL;
	if (reg && !reg->val[0])
		reg = NULL;
	if (akid && !chars_ok(akid->val, ""))
		ini_msg(&ini, true, akid->line,
			"aws_access_key_id: not an access key id (letters and "
			"digits)");
	if (sec && (strlen(sec->val) > 256 || !chars_ok(sec->val, "/+=")))
		ini_msg(&ini, true, sec->line,
			"aws_secret_access_key: not a secret access key "
			"(letters, digits, / + =; value not shown)");
	if (akid && !sec)
		ini_msg(&ini, true, akid->line,
			"aws_access_key_id without aws_secret_access_key");
	if (sec && !akid)
		ini_msg(&ini, true, sec->line,
			"aws_secret_access_key without aws_access_key_id");
	if (reg && !chars_ok(reg->val, "-"))
		ini_msg(&ini, true, reg->line,
			"aws_region: '%s' is not a region name", reg->val);

	if (ini.errors)
		goto out;

	fprintf(out, "# From %s (the original awsdns's configuration).\n", path);
	if (level)
		fprintf(out, "log_level = \"%s\"\n", level);
	if (akid || reg) {
		fprintf(out, "aws {\n");
		if (reg) {
			fprintf(out, "\tregion = ");
			put_str(out, reg->val);
			fputc('\n', out);
		}
		if (akid) {
			fprintf(out, "\taccess_key_id = ");
			put_str(out, akid->val);
			fprintf(out, "\n\t# the secret key is read from the "
				     "environment, never written here\n"
				     "\tsecret_access_key = \"${%s}\"\n",
				DFO_AWSDNS_SECRET_VAR);
		}
		fprintf(out, "}\n");
	}
	fprintf(out, "responder \"awsdns\" {\n\tawsdns {\n\t\tlisten = {");
	for (size_t i = 0; i < nlisten; i++) {
		fprintf(out, i ? ", " : "");
		put_str(out, listen[i]);
	}
	fprintf(out, "}\n\t\tupstream = {");
	for (size_t i = 0; i < nup; i++) {
		fprintf(out, i ? ", " : "");
		put_str(out, upstream[i]);
	}
	fprintf(out, "}\n\t\tforward = ");
	put_str(out, fwd);
	fprintf(out, "\n\t\treverse = ");
	put_str(out, rev);
	fprintf(out, "\n\t\textra = {");
	for (size_t i = 0; i < nextra; i++) {
		fprintf(out, i ? ", " : "");
		put_str(out, extra[i]);
	}
	fprintf(out, "}\n");
	if (ttl >= 0)
		fprintf(out, "\t\tttl = %ld\n", ttl);
	if (user) {
		fprintf(out, "\t\t# drop root once port 53 is bound\n"
			     "\t\tuser = ");
		put_str(out, user);
		fputc('\n', out);
	}
	fprintf(out, "\t\t# allow: the default (loopback and private "
		     "networks only)\n\t}\n}\n");
	if (sec && !(*secret = strdup(sec->val))) {
		ini_msg(&ini, true, 0, "out of memory");
		goto out;
	}
	if (fflush(out) != 0 || ferror(out)) {
		ini_msg(&ini, true, 0, "cannot write the configuration: %s",
			strerror(errno));
		goto out;
	}
out:
	free(extra_copy);
	ini_free(&ini);
	if (ini.errors && *secret) {
		explicit_bzero(*secret, strlen(*secret));
		free(*secret);
		*secret = NULL;
	}
	return ini.errors ? -1 : 0;
}

/* ---- the file, the command ----------------------------------------- */

char *dfo_awsdns_ini_find(char *tried, size_t triedlen)
{
	const char *home = getenv("HOME");
	char paths[3][PATH_MAX];
	size_t n = 0;
	snprintf(paths[n++], PATH_MAX, "./awsdns.ini");
	snprintf(paths[n++], PATH_MAX, "/etc/awsdns.ini");
	if (home && *home)
		snprintf(paths[n++], PATH_MAX, "%s/awsdns.ini", home);
	if (tried && triedlen)
		tried[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (access(paths[i], F_OK) == 0)
			return strdup(paths[i]);
		if (tried) {
			size_t l = strlen(tried);
			snprintf(tried + l, triedlen - l, "%s%s", l ? ", " : "",
				 paths[i]);
		}
	}
	return NULL;
}

/* The default listen addresses: port 53 of every address, IPv6 too where
 * the kernel has it. */
static size_t default_listen(const char **listen)
{
	size_t n = 0;
	listen[n++] = "0.0.0.0:53";
	int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		close(fd);
		listen[n++] = "[::]:53";
	}
	return n;
}

int dfo_awsdns_ini_print(const char *path)
{
	const char *listen[2];
	size_t nl = default_listen(listen);
	char *secret = NULL;
	if (dfo_awsdns_ini_convert(path, stdout, listen, nl, "nobody",
				   &secret) < 0)
		return 1;
	if (secret) {
		fprintf(stderr,
			"%s: note: aws_secret_access_key is not printed; the "
			"aws section reads it from $%s: set that in the "
			"daemon's environment (e.g. a systemd EnvironmentFile "
			"of mode 0600), or drop both keys and use an instance "
			"role\n", path, DFO_AWSDNS_SECRET_VAR);
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
	return 0;
}

int dfo_awsdns_is_front(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	const char *base = slash ? slash + 1 : argv0;
	return base && strcmp(base, "awsdns") == 0;
}

static void front_usage(FILE *out)
{
	fprintf(out,
"usage: awsdns [-c FILE] [-l ADDRESS[:PORT]]... [-f]\n"
"\n"
"A DNS server naming the EC2 instances of an AWS account, configured by\n"
"the original awsdns's awsdns.ini (./awsdns.ini, /etc/awsdns.ini, then\n"
"~/awsdns.ini; or -c FILE).  It is dnsfailover's awsdns responder: for\n"
"every option, use a dnsfailover config (dnsfailover --awsdns-ini FILE\n"
"prints the equivalent one).\n"
"\n"
"  -c FILE              the ini file\n"
"  -l ADDRESS[:PORT]    listen there (UDP and TCP), repeatable; default:\n"
"                       port 53 of every address (0.0.0.0:53 and [::]:53)\n"
"  -f                   stay in the foreground, log to stderr\n"
"                       (otherwise: detach and log to syslog)\n"
"  -h                   this text\n"
"\n"
"Clients outside loopback and the private networks are refused.\n");
}

int dfo_awsdns_main(int argc, char **argv)
{
	const char *ini = NULL;
	char *found = NULL;
	char listen_buf[16][DFO_ADDR_STRLEN + 8];
	const char *listen[16];
	size_t nl = 0;
	bool fg = false;
	int c;
	optind = 1;
	while ((c = getopt(argc, argv, "+c:l:fh")) != -1) {
		switch (c) {
		case 'c':
			ini = optarg;
			break;
		case 'l':
			if (nl == 16) {
				fprintf(stderr, "awsdns: -l: at most 16 "
						"addresses\n");
				return 1;
			}
			if (hostport_parse(optarg, 53, false, listen_buf[nl],
					   sizeof(listen_buf[nl])) < 0) {
				fprintf(stderr,
					"awsdns: -l: '%s' is not ADDRESS, "
					"ADDRESS:PORT or [IPV6]:PORT\n", optarg);
				return 1;
			}
			listen[nl] = listen_buf[nl];
			nl++;
			break;
		case 'f':
			fg = true;
			break;
		case 'h':
			front_usage(stdout);
			return 0;
		default:
			front_usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "awsdns: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	if (nl == 0)
		nl = default_listen(listen);
	if (!ini) {
		char tried[3 * PATH_MAX + 8];
		found = dfo_awsdns_ini_find(tried, sizeof(tried));
		if (!found) {
			fprintf(stderr, "awsdns: no awsdns.ini (looked for %s); "
					"give one with -c FILE\n", tried);
			return 1;
		}
		ini = found;
	}

	/* The config lives in an anonymous file that the daemon, exec'd
	 * below, reads as /proc/self/fd/N (also on SIGHUP). */
	int fd = memfd_create("awsdns.conf", 0);
	FILE *out = fd >= 0 ? fdopen(dup(fd), "w") : NULL;
	if (!out) {
		fprintf(stderr, "awsdns: memfd: %s\n", strerror(errno));
		free(found);
		return 1;
	}
	char *secret = NULL;
	/* Like the original, it is started as root to bind port 53; unlike
	 * it, the server then runs as nobody. */
	const char *user = geteuid() == 0 && getpwnam("nobody") ? "nobody" : NULL;
	int rc = dfo_awsdns_ini_convert(ini, out, listen, nl, user, &secret);
	fclose(out);
	free(found);
	if (rc < 0)
		return 1;
	if (secret) {
		rc = setenv(DFO_AWSDNS_SECRET_VAR, secret, 1);
		explicit_bzero(secret, strlen(secret));
		free(secret);
		if (rc < 0) {
			fprintf(stderr, "awsdns: setenv: %s\n", strerror(errno));
			return 1;
		}
	}
	char conf[64];
	snprintf(conf, sizeof(conf), "/proc/self/fd/%d", fd);
	char name[] = "dnsfailover", copt[] = "-C", fopt[] = "-f";
	char *args[] = {name, copt, conf, fg ? fopt : NULL, NULL};
	execv("/proc/self/exe", args);
	fprintf(stderr, "awsdns: cannot run dnsfailover (/proc/self/exe): %s\n",
		strerror(errno));
	return 1;
}
