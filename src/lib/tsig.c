/*
 * TSIG (RFC 8945), see include/dnsfailover/tsig.h.
 *
 * The MAC is an HMAC (libcrypto) over the message and the TSIG
 * variables, made here rather than by ldns (linked by the rfc2136
 * provider) because ldns 1.8's TSIG (tsig.c, ldns_digest_function(),
 * which both signs and verifies) knows hmac-sha384 only as
 * "hmac-shac384." (a typo: no key named correctly matches it) and has
 * no hmac-sha224, both of which BIND's tsig-keygen offers; and because
 * the awsdns responder, which does not link ldns, signs its zone
 * transfers with the same code.  A message's TSIG record is found by a
 * bounds-checked walk of the whole message (tests/fuzz/tsig_verify.c), so that
 * a TSIG that is not the last record, or a record running past the end, is
 * refused.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <dnsfailover/tsig.h>
#include <dnsfailover/util.h>

#define TYPE_TSIG   250
#define CLASS_ANY   255
#define KEYFILE_MAX 65536

struct alg {
	const char *name; /* as configured, and the TSIG algorithm name */
	const EVP_MD *(*md)(void);
};

static const struct alg algs[] = {
	{"hmac-sha1", EVP_sha1},     {"hmac-sha224", EVP_sha224},
	{"hmac-sha256", EVP_sha256}, {"hmac-sha384", EVP_sha384},
	{"hmac-sha512", EVP_sha512},
};

struct dfo_tsig_key {
	char *name;	   /* as configured */
	uint8_t wire[256]; /* the name, canonical wire form */
	size_t wirelen;
	uint8_t algwire[256]; /* the algorithm's name, wire form */
	size_t algwirelen;
	const struct alg *alg;
	uint8_t *secret;
	size_t secret_len;
};

/* ------------------------------------------------------------------ */
/* Names                                                               */

/* Read the (possibly compressed) name at *off of a message of len bytes
 * into out, lower-cased, uncompressed; *off moves past it.  0 or
 * -EBADMSG. */
static int name_read(const uint8_t *m, size_t len, size_t *off,
		     uint8_t out[256], size_t *outlen)
{
	size_t p = *off, o = 0, end = 0;
	int jumps = 0;
	bool jumped = false;
	for (;;) {
		if (p >= len)
			return -EBADMSG;
		uint8_t l = m[p];
		if ((l & 0xc0) == 0xc0) {
			if (p + 1 >= len || ++jumps > 64)
				return -EBADMSG;
			size_t to = ((size_t)(l & 0x3f) << 8) | m[p + 1];
			if (!jumped)
				end = p + 2;
			jumped = true;
			if (to >= p) /* pointers go back only: no loops */
				return -EBADMSG;
			p = to;
			continue;
		}
		if (l & 0xc0)
			return -EBADMSG;
		if (o + 1 + l > 255 || p + 1 + l > len)
			return -EBADMSG;
		out[o++] = l;
		if (l == 0) {
			p++;
			break;
		}
		for (size_t k = 0; k < l; k++)
			out[o++] = (uint8_t)tolower(m[p + 1 + k]);
		p += 1 + (size_t)l;
	}
	*off = jumped ? end : p;
	*outlen = o;
	return 0;
}

/* Wire name to text for messages: "name.example" ("." for the root),
 * bytes other than letters, digits, '-' and '_' as \DDD. */
static void name_text(const uint8_t *w, size_t wl, char *out, size_t outlen)
{
	size_t o = 0, p = 0;
	out[0] = '\0';
	while (p < wl && w[p] && o + 6 < outlen) {
		uint8_t l = w[p++];
		for (uint8_t k = 0; k < l && p < wl && o + 6 < outlen;
		     k++, p++) {
			unsigned char c = w[p];
			if (isalnum(c) || c == '-' || c == '_')
				out[o++] = (char)c;
			else
				o += (size_t)snprintf(out + o, outlen - o,
						      "\\%03u", c);
		}
		if (o + 1 < outlen)
			out[o++] = '.';
	}
	if (o == 0 && outlen > 1)
		out[o++] = '.';
	else if (o > 1)
		o--; /* no final dot */
	out[o] = '\0';
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put48(uint8_t *p, uint64_t v)
{
	put16(p, (unsigned)(v >> 32) & 0xffff);
	put16(p + 2, (unsigned)(v >> 16) & 0xffff);
	put16(p + 4, (unsigned)v & 0xffff);
}

/* ------------------------------------------------------------------ */
/* Keys                                                                */

void dfo_tsig_key_free(struct dfo_tsig_key *k)
{
	if (!k)
		return;
	if (k->secret) {
		OPENSSL_cleanse(k->secret, k->secret_len);
		free(k->secret);
	}
	free(k->name);
	free(k);
}

const char *dfo_tsig_key_name(const struct dfo_tsig_key *k)
{
	return k->name;
}

const char *dfo_tsig_key_algorithm(const struct dfo_tsig_key *k)
{
	return k->alg->name;
}

static const struct alg *alg_find(const char *name)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		size_t n = strlen(algs[i].name);
		if (strcasecmp(name, algs[i].name) == 0 ||
		    (strncasecmp(name, algs[i].name, n) == 0 &&
		     !strcmp(name + n, ".")))
			return &algs[i];
	}
	return NULL;
}

/* Base64 to bytes: *out malloc'd (wiped by the caller), or -EINVAL. */
static int b64_decode(const char *text, uint8_t **out, size_t *outlen)
{
	size_t n = strlen(text);
	uint8_t *buf = malloc(n / 4 * 3 + 4);
	EVP_ENCODE_CTX *ctx = EVP_ENCODE_CTX_new();
	int l1 = 0, l2 = 0, rc = -ENOMEM;
	if (!buf || !ctx)
		goto out;
	rc = -EINVAL;
	EVP_DecodeInit(ctx);
	if (n > (size_t)0x7fffffff ||
	    EVP_DecodeUpdate(ctx, buf, &l1, (const unsigned char *)text,
			     (int)n) < 0 ||
	    EVP_DecodeFinal(ctx, buf + l1, &l2) < 0 || l1 + l2 == 0)
		goto out;
	*out = buf;
	*outlen = (size_t)(l1 + l2);
	buf = NULL;
	rc = 0;
out:
	if (buf) {
		OPENSSL_cleanse(buf, n / 4 * 3 + 4);
		free(buf);
	}
	EVP_ENCODE_CTX_free(ctx);
	return rc;
}

int dfo_tsig_key_new(const char *name, const char *algorithm,
		     const char *secret, struct dfo_tsig_key **out,
		     struct dfo_err *err)
{
	*out = NULL;
	if (!algorithm)
		algorithm = "hmac-sha256";
	const struct alg *alg = alg_find(algorithm);
	if (!alg)
		return dfo_err_set(err, -EINVAL,
				   "TSIG algorithm '%s': one of hmac-sha1, "
				   "hmac-sha224, hmac-sha256, hmac-sha384, "
				   "hmac-sha512",
				   algorithm);
	struct dfo_tsig_key *k = calloc(1, sizeof(*k));
	if (!k || !(k->name = strdup(name))) {
		free(k);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	k->alg = alg;
	dfo_name_wire(alg->name, k->algwire, &k->algwirelen); /* fits */
	int rc;
	if (dfo_name_wire(name, k->wire, &k->wirelen) < 0) {
		rc = dfo_err_set(err, -EINVAL,
				 "key name '%s' is not a domain "
				 "name",
				 name);
		goto fail;
	}
	rc = b64_decode(secret, &k->secret, &k->secret_len);
	if (rc < 0) {
		rc = dfo_err_set(
			err, rc,
			rc == -ENOMEM ? "out of memory"
				      : "the secret of key '%s' is not base64",
			name);
		goto fail;
	}
	*out = k;
	return 0;
fail:
	dfo_tsig_key_free(k);
	return rc;
}

/* A token of a key file: a word, a "string", or one of { } ; */
struct ktok {
	const char *p;
	int line;
};

/* Past blanks and comments (#, //, / * * /); -1 on an open comment. */
static int ktok_skip(struct ktok *k)
{
	for (;;) {
		while (isspace((unsigned char)*k->p)) {
			if (*k->p == '\n')
				k->line++;
			k->p++;
		}
		if (*k->p == '#' || (k->p[0] == '/' && k->p[1] == '/')) {
			while (*k->p && *k->p != '\n')
				k->p++;
		} else if (k->p[0] == '/' && k->p[1] == '*') {
			const char *e = strstr(k->p + 2, "*/");
			if (!e)
				return -1;
			for (; k->p < e; k->p++)
				if (*k->p == '\n')
					k->line++;
			k->p = e + 2;
		} else {
			return 0;
		}
	}
}

/* Next token into buf; 0 at the end, 1 a token, -1 an error. */
static int ktok_next(struct ktok *k, char *buf, size_t len)
{
	if (ktok_skip(k) < 0)
		return -1;
	if (!*k->p)
		return 0;
	size_t n = 0;
	if (*k->p == '{' || *k->p == '}' || *k->p == ';') {
		buf[n++] = *k->p++;
	} else if (*k->p == '"') {
		k->p++;
		while (*k->p && *k->p != '"' && *k->p != '\n') {
			if (n + 1 >= len)
				return -1;
			buf[n++] = *k->p++;
		}
		if (*k->p != '"')
			return -1;
		k->p++;
	} else {
		while (*k->p && !isspace((unsigned char)*k->p) &&
		       !strchr("{};\"", *k->p)) {
			if (n + 1 >= len)
				return -1;
			buf[n++] = *k->p++;
		}
	}
	buf[n] = '\0';
	return 1;
}

/* Skip a statement other than key, with its block: 1, or <= 0. */
static int ktok_skip_statement(struct ktok *k, char *tok, size_t len)
{
	int depth = 0, t;
	while ((t = ktok_next(k, tok, len)) == 1) {
		if (tok[0] == '{' && !tok[1])
			depth++;
		else if (tok[0] == '}' && !tok[1])
			depth--;
		else if (tok[0] == ';' && !tok[1] && depth == 0)
			return 1;
	}
	return t;
}

/* The body of a key statement, after its name: { algorithm A; secret
 * "S"; }; into alg and sec.  0, or -1 on a syntax error. */
static int ktok_key_body(struct ktok *k, char *alg, size_t alglen, char *sec,
			 size_t seclen)
{
	char tok[1024];
	if (ktok_next(k, tok, sizeof(tok)) != 1 || strcmp(tok, "{"))
		return -1;
	alg[0] = sec[0] = '\0';
	for (;;) {
		if (ktok_next(k, tok, sizeof(tok)) != 1)
			return -1;
		if (!strcmp(tok, "}"))
			break;
		char *dst = !strcmp(tok, "algorithm") ? alg
			    : !strcmp(tok, "secret")  ? sec
						      : NULL;
		size_t dl = dst == alg ? alglen : seclen;
		if (!dst || ktok_next(k, dst, dl) != 1 ||
		    ktok_next(k, tok, sizeof(tok)) != 1 || strcmp(tok, ";"))
			return -1;
	}
	if (ktok_next(k, tok, sizeof(tok)) != 1 || strcmp(tok, ";"))
		return -1;
	return 0;
}

/* Read the file into a buffer of KEYFILE_MAX bytes (wiped and freed by
 * the caller). */
static int keyfile_load(const char *path, char **data, struct dfo_err *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return dfo_err_set(err, -errno, "%s: %s", path,
				   strerror(errno));
	*data = calloc(1, KEYFILE_MAX);
	size_t n = *data ? fread(*data, 1, KEYFILE_MAX - 1, f) : 0;
	bool big = *data && !feof(f);
	fclose(f);
	if (!*data)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	if (big)
		return dfo_err_set(err, -EFBIG, "%s: too large", path);
	(*data)[n] = '\0';
	return 0;
}

/* Key names compare as DNS names: case aside, "dfo-key." is "dfo-key". */
static bool key_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	la -= la > 1 && a[la - 1] == '.';
	lb -= lb > 1 && b[lb - 1] == '.';
	return la == lb && strncasecmp(a, b, la) == 0;
}

int dfo_tsig_key_file(const char *path, const char *want, const char *algorithm,
		      struct dfo_tsig_key **out, struct dfo_err *err)
{
	*out = NULL;
	char *data = NULL;
	int rc = keyfile_load(path, &data, err);
	if (rc < 0)
		goto out;
	/* A UTF-8 byte order mark (an editor's) is no part of the text. */
	bool bom = strncmp(data, "\xef\xbb\xbf", 3) == 0;
	struct ktok k = {data + (bom ? 3 : 0), 1};
	char tok[1024], kname[300], kalg[64], ksec[1024];
	int t;
	ksec[0] = '\0';
	while ((t = ktok_next(&k, tok, sizeof(tok))) == 1) {
		if (strcmp(tok, "key") != 0) {
			if ((t = ktok_skip_statement(&k, tok, sizeof(tok))) !=
			    1)
				break;
			continue;
		}
		if (ktok_next(&k, kname, sizeof(kname)) != 1 ||
		    ktok_key_body(&k, kalg, sizeof(kalg), ksec, sizeof(ksec)) <
			    0)
			goto syntax;
		if (want && !key_name_eq(want, kname))
			continue;
		if (!kalg[0] || !ksec[0]) {
			rc = dfo_err_set(err, -EINVAL,
					 "%s: key '%s' lacks an "
					 "algorithm or a secret",
					 path, kname);
			goto out;
		}
		if (algorithm && alg_find(algorithm) != alg_find(kalg)) {
			rc = dfo_err_set(err, -EINVAL,
					 "algorithm %s, but %s "
					 "says %s",
					 algorithm, path, kalg);
			goto out;
		}
		rc = dfo_tsig_key_new(kname, kalg, ksec, out, err);
		goto out;
	}
	if (t < 0)
		goto syntax;
	rc = dfo_err_set(err, -ENOENT, "%s: no key%s%s%s", path,
			 want ? " '" : "", want ? want : "", want ? "'" : "");
	goto out;
syntax:
	rc = dfo_err_set(err, -EINVAL,
			 "%s:%d: not a key file (key \"NAME\" { algorithm ALG; "
			 "secret \"BASE64\"; };)",
			 path, k.line);
out:
	if (data) {
		OPENSSL_cleanse(data, KEYFILE_MAX);
		free(data);
	}
	OPENSSL_cleanse(ksec, sizeof(ksec));
	return rc;
}

/* ------------------------------------------------------------------ */
/* Signing and verifying                                               */

/* A TSIG record found in a message. */
struct tsig_rr {
	size_t off; /* where the record starts: the MAC covers [0, off) */
	uint8_t owner[256], alg[256];
	size_t ownerlen, alglen;
	uint64_t time;
	uint16_t fudge, error, orig_id, otherlen;
	const uint8_t *mac, *other;
	uint16_t maclen;
};

/* The TSIG RDATA at m[p, end) into t.  0 or -EBADMSG. */
static int tsig_rdata(const uint8_t *m, size_t p, size_t end, struct tsig_rr *t)
{
	if (name_read(m, end, &p, t->alg, &t->alglen) < 0 || p + 10 > end)
		return -EBADMSG;
	t->time = ((uint64_t)get16(m + p) << 32) |
		  ((uint64_t)get16(m + p + 2) << 16) | get16(m + p + 4);
	t->fudge = get16(m + p + 6);
	t->maclen = get16(m + p + 8);
	p += 10;
	if (p + t->maclen + 6 > end)
		return -EBADMSG;
	t->mac = m + p;
	p += t->maclen;
	t->orig_id = get16(m + p);
	t->error = get16(m + p + 2);
	t->otherlen = get16(m + p + 4);
	p += 6;
	if (p + t->otherlen != end)
		return -EBADMSG;
	t->other = m + p;
	return 0;
}

/* Walk a message: 1 if its last record is a TSIG (filled in t), 0 if it
 * has none, -EBADMSG if it is malformed or has a TSIG elsewhere. */
static int tsig_find(const uint8_t *m, size_t len, struct tsig_rr *t)
{
	if (len < 12)
		return -EBADMSG;
	unsigned qd = get16(m + 4);
	unsigned rrs = (unsigned)get16(m + 6) + get16(m + 8) + get16(m + 10);
	size_t p = 12;
	uint8_t name[256];
	size_t nl;
	for (unsigned i = 0; i < qd; i++) {
		if (name_read(m, len, &p, name, &nl) < 0 || p + 4 > len)
			return -EBADMSG;
		p += 4;
	}
	for (unsigned i = 0; i < rrs; i++) {
		size_t start = p;
		if (name_read(m, len, &p, name, &nl) < 0 || p + 10 > len)
			return -EBADMSG;
		unsigned type = get16(m + p), cls = get16(m + p + 2);
		size_t rdlen = get16(m + p + 8);
		p += 10;
		if (p + rdlen > len)
			return -EBADMSG;
		if (type != TYPE_TSIG) {
			p += rdlen;
			continue;
		}
		/* The TSIG is the last record, in the additional section. */
		if (i != rrs - 1 || get16(m + 10) == 0 || cls != CLASS_ANY)
			return -EBADMSG;
		t->off = start;
		memcpy(t->owner, name, nl);
		t->ownerlen = nl;
		if (tsig_rdata(m, p, p + rdlen, t) < 0)
			return -EBADMSG;
		return 1;
	}
	return p == len ? 0 : -EBADMSG;
}

/* The TSIG variables (RFC 8945 4.3.3), or with DFO_TSIG_TIMERS_ONLY only
 * the timers (5.3.1), appended to buf at *n. */
static void tsig_vars(uint8_t *buf, size_t *n, const struct tsig_rr *t,
		      unsigned flags)
{
	size_t p = *n;
	if (!(flags & DFO_TSIG_TIMERS_ONLY)) {
		memcpy(buf + p, t->owner, t->ownerlen);
		p += t->ownerlen;
		put16(buf + p, CLASS_ANY);
		memset(buf + p + 2, 0, 4); /* TTL */
		p += 6;
		memcpy(buf + p, t->alg, t->alglen);
		p += t->alglen;
	}
	put48(buf + p, t->time);
	put16(buf + p + 6, t->fudge);
	p += 8;
	if (!(flags & DFO_TSIG_TIMERS_ONLY)) {
		put16(buf + p, t->error);
		put16(buf + p + 2, t->otherlen);
		p += 4;
		if (t->otherlen)
			memcpy(buf + p, t->other, t->otherlen);
		p += t->otherlen;
	}
	*n = p;
}

/*
 * The MAC of msg[0, len) (whose id is taken as orig_id and ARCOUNT as
 * arcount), after the prior MAC, with the variables of t: into mac.
 */
static int tsig_mac(const struct dfo_tsig_key *k, const uint8_t *prior,
		    size_t priorlen, const uint8_t *msg, size_t len,
		    unsigned orig_id, unsigned arcount, const struct tsig_rr *t,
		    unsigned flags, uint8_t *mac, unsigned *maclen)
{
	size_t cap = 2 + priorlen + len + 2 * 256 + 32 + t->otherlen;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	size_t n = 0;
	if (prior) {
		put16(buf, (unsigned)priorlen);
		memcpy(buf + 2, prior, priorlen);
		n = 2 + priorlen;
	}
	memcpy(buf + n, msg, len);
	put16(buf + n, orig_id);
	put16(buf + n + 10, arcount);
	n += len;
	tsig_vars(buf, &n, t, flags);
	int rc = HMAC(k->alg->md(), k->secret, (int)k->secret_len, buf, n, mac,
		      maclen)
			 ? 0
			 : -EIO;
	OPENSSL_cleanse(buf, n);
	free(buf);
	return rc;
}

int dfo_tsig_sign(const struct dfo_tsig_key *k, uint8_t *msg, size_t *len,
		  size_t cap, const uint8_t *prior, size_t priorlen,
		  uint64_t now, unsigned flags, uint8_t *mac, size_t *maclen)
{
	size_t n = *len;
	if (n < 12 || cap < n + DFO_TSIG_MAXRR || priorlen > DFO_TSIG_MAXMAC)
		return -ENOSPC;
	struct tsig_rr t = {.time = now, .fudge = 300};
	memcpy(t.owner, k->wire, k->wirelen);
	t.ownerlen = k->wirelen;
	memcpy(t.alg, k->algwire, k->algwirelen);
	t.alglen = k->algwirelen;
	unsigned ml = 0;
	int rc = tsig_mac(k, prior, priorlen, msg, n, get16(msg),
			  get16(msg + 10), &t, flags, mac, &ml);
	if (rc < 0)
		return rc;
	*maclen = ml;
	/* The record, after the message. */
	memcpy(msg + n, k->wire, k->wirelen);
	n += k->wirelen;
	put16(msg + n, TYPE_TSIG);
	put16(msg + n + 2, CLASS_ANY);
	memset(msg + n + 4, 0, 4);
	size_t rdl = n + 8;
	n += 10;
	memcpy(msg + n, k->algwire, k->algwirelen);
	n += k->algwirelen;
	put48(msg + n, now);
	put16(msg + n + 6, t.fudge);
	put16(msg + n + 8, ml);
	n += 10;
	memcpy(msg + n, mac, ml);
	n += ml;
	memcpy(msg + n, msg, 2); /* original id */
	put16(msg + n + 2, 0);	 /* error */
	put16(msg + n + 4, 0);	 /* other length */
	n += 6;
	put16(msg + rdl, (unsigned)(n - rdl - 2));
	put16(msg + 10, get16(msg + 10) + 1u); /* ARCOUNT */
	*len = n;
	return 0;
}

int dfo_tsig_verify(const struct dfo_tsig_key *k, const uint8_t *msg,
		    size_t len, const uint8_t *prior, size_t priorlen,
		    uint64_t now, unsigned flags, struct dfo_tsig_seen *seen)
{
	struct tsig_rr t;
	memset(seen, 0, sizeof(*seen));
	int rc = tsig_find(msg, len, &t);
	if (rc <= 0)
		return rc;
	seen->off = t.off;
	seen->orig_id = t.orig_id;
	seen->error = t.error;
	seen->fudge = t.fudge;
	seen->time = t.time;
	seen->mac = t.mac;
	seen->maclen = t.maclen;
	seen->other = t.other;
	seen->otherlen = t.otherlen;
	name_text(t.owner, t.ownerlen, seen->key_name, sizeof(seen->key_name));
	if (t.ownerlen != k->wirelen || memcmp(t.owner, k->wire, k->wirelen) ||
	    t.alglen != k->algwirelen || memcmp(t.alg, k->algwire, t.alglen)) {
		seen->verdict = DFO_TSIG_BADKEY;
		return -EACCES;
	}
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	rc = tsig_mac(k, prior, priorlen, msg, t.off, t.orig_id,
		      get16(msg + 10) - 1u, &t, flags, mac, &maclen);
	if (rc < 0)
		return rc;
	if (t.maclen != maclen || CRYPTO_memcmp(mac, t.mac, maclen) != 0) {
		seen->verdict = DFO_TSIG_BADSIG;
		return -EACCES;
	}
	uint64_t diff = now > t.time ? now - t.time : t.time - now;
	if (diff > t.fudge) {
		seen->verdict = DFO_TSIG_BADTIME;
		return -EACCES;
	}
	return 1;
}
