/*
 * dns "rfc2136": records at a DNS server that takes dynamic updates
 * (RFC 2136: BIND, Knot DNS, PowerDNS, Windows DNS), signed with TSIG
 * (RFC 8945) when a key is configured.
 *
 *  - list: a query straight to `server` (RD=0) for A or AAAA, answered
 *    authoritatively; the records and their TTL.
 *  - add/del: one UPDATE each, compare-and-set through prerequisites:
 *    "the RRset exists with exactly these records" (value-dependent,
 *    RFC 2136 2.4.2) or "the RRset does not exist" (2.4.3) when the set
 *    read was empty.  YXRRSET/NXRRSET mean another writer came first:
 *    DFO_ESTALE.  Only the one record of the one type is added or
 *    deleted (class NONE delete, 2.5.4), so the name's other types and
 *    the zone's other names are never touched, and a deleted record's
 *    set keeps its TTL; a record added to an existing set takes that
 *    set's TTL.  A delete that would remove the last record is refused
 *    here, and the prerequisite makes the server refuse it too if the
 *    set shrank meanwhile.
 *
 * ldns builds and reads the messages.  TSIG is done here (ldns 1.8 signs
 * only some of the algorithms): the MAC is an HMAC (libcrypto) over the
 * message and the TSIG variables; an answer's TSIG record is found by a
 * bounds-checked walk of the answer (tests/fuzz/dns_rfc2136_answer.c).
 *
 * Every request goes over UDP (TCP when asked, or when the request is
 * larger than 512 bytes), again over TCP when the answer is truncated,
 * and the whole exchange is bounded by `timeout`.  The secret never
 * appears in a message or a log line.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <dnsfailover/dnsfailover.h>

#define RFC_MAXMSG 65535
#define RFC_UDPMAX 512
#define RFC_FUDGE 300
#define RFC_ZCACHE 8
#define RFC_TRIES 3 /* reads + updates of an unconditional change */

/* DNS and TSIG codes this file names. */
enum {
	RC_NOERROR = 0,
	RC_FORMERR = 1,
	RC_SERVFAIL = 2,
	RC_NXDOMAIN = 3,
	RC_NOTIMP = 4,
	RC_REFUSED = 5,
	RC_YXDOMAIN = 6,
	RC_YXRRSET = 7,
	RC_NXRRSET = 8,
	RC_NOTAUTH = 9,
	RC_NOTZONE = 10,
	RC_BADSIG = 16,
	RC_BADKEY = 17,
	RC_BADTIME = 18,
	RC_BADTRUNC = 22,
};

#define TYPE_TSIG 250
#define CLASS_ANY 255

struct alg {
	const char *name; /* as configured, and the TSIG algorithm name */
	const EVP_MD *(*md)(void);
};

static const struct alg algs[] = {
	{"hmac-sha1", EVP_sha1},     {"hmac-sha224", EVP_sha224},
	{"hmac-sha256", EVP_sha256}, {"hmac-sha384", EVP_sha384},
	{"hmac-sha512", EVP_sha512},
};

struct zcache {
	char *fqdn; /* lower case, no final dot */
	char *zone;
};

struct rfc {
	char *instance;
	struct dfo_addr srv;
	unsigned port;
	char where[DFO_ADDR_STRLEN + 10]; /* "192.0.2.53:53", "[::1]:53" */
	char *zone;                       /* configured, or NULL */
	/* TSIG; keylen 0: unsigned */
	uint8_t key[256]; /* the key name, canonical wire form */
	size_t keylen;
	char *key_name;
	const struct alg *alg;
	uint8_t *secret;
	size_t secret_len;
	uint32_t ttl;
	double timeout;
	bool tcp;
	struct zcache zc[RFC_ZCACHE];
	unsigned zc_next;
};

static cfg_opt_t rfc_opts[] = {
	CFG_STR("server", NULL, CFGF_NODEFAULT),
	CFG_STR("zone", NULL, CFGF_NODEFAULT),
	CFG_STR("key_name", NULL, CFGF_NODEFAULT),
	CFG_STR("key_algorithm", NULL, CFGF_NODEFAULT),
	CFG_STR("key_secret", NULL, CFGF_NODEFAULT),
	CFG_STR("key_file", NULL, CFGF_NODEFAULT),
	CFG_INT("ttl", 60, CFGF_NONE),
	CFG_FLOAT("timeout", 3, CFGF_NONE),
	CFG_BOOL("tcp", cfg_false, CFGF_NONE),
	CFG_END()};

static void rfc_destroy(void *state)
{
	struct rfc *r = state;
	if (!r)
		return;
	free(r->instance);
	free(r->zone);
	free(r->key_name);
	if (r->secret) {
		OPENSSL_cleanse(r->secret, r->secret_len);
		free(r->secret);
	}
	for (unsigned i = 0; i < RFC_ZCACHE; i++) {
		free(r->zc[i].fqdn);
		free(r->zc[i].zone);
	}
	free(r);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

/* Text name ("www.Example.com" or with the final dot) to canonical
 * (lower case) wire form.  0, or -EINVAL. */
static int name_wire(const char *text, uint8_t out[256], size_t *outlen)
{
	size_t o = 0, n = strlen(text);
	if (n && text[n - 1] == '.')
		n--;
	if (n == 0) { /* the root */
		out[0] = 0;
		*outlen = 1;
		return 0;
	}
	size_t i = 0;
	while (i <= n) {
		size_t s = i;
		while (i < n && text[i] != '.')
			i++;
		size_t l = i - s;
		if (l == 0 || l > 63 || o + 1 + l + 1 > 255)
			return -EINVAL;
		out[o++] = (uint8_t)l;
		for (size_t k = s; k < i; k++) {
			unsigned char c = (unsigned char)text[k];
			if (c <= ' ' || c == '\\' || c >= 0x7f)
				return -EINVAL;
			out[o++] = (uint8_t)tolower(c);
		}
		i++; /* the dot */
	}
	out[o++] = 0;
	*outlen = o;
	return 0;
}

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

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ------------------------------------------------------------------ */
/* TSIG                                                                */

/* A TSIG record found in an answer. */
struct tsig_rr {
	size_t off; /* where the record starts: the MAC covers [0, off) */
	uint8_t owner[256], alg[256];
	size_t ownerlen, alglen;
	uint64_t time;
	uint16_t fudge, error, orig_id, otherlen;
	const uint8_t *mac, *other;
	uint16_t maclen;
};

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
		size_t end = p + rdlen;
		t->off = start;
		memcpy(t->owner, name, nl);
		t->ownerlen = nl;
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
		return 1;
	}
	return p == len ? 0 : -EBADMSG;
}

/* Append the TSIG variables (RFC 8945 4.3.3) to buf at *n. */
static void tsig_vars(uint8_t *buf, size_t *n, const uint8_t *owner,
		      size_t ownerlen, const uint8_t *alg, size_t alglen,
		      uint64_t time, unsigned fudge, unsigned error,
		      const uint8_t *other, unsigned otherlen)
{
	size_t p = *n;
	memcpy(buf + p, owner, ownerlen);
	p += ownerlen;
	put16(buf + p, CLASS_ANY);
	memset(buf + p + 2, 0, 4); /* TTL */
	p += 6;
	memcpy(buf + p, alg, alglen);
	p += alglen;
	put16(buf + p, (unsigned)(time >> 32));
	put16(buf + p + 2, (unsigned)(time >> 16));
	put16(buf + p + 4, (unsigned)time);
	put16(buf + p + 6, fudge);
	put16(buf + p + 8, error);
	put16(buf + p + 10, otherlen);
	p += 12;
	if (otherlen)
		memcpy(buf + p, other, otherlen);
	*n = p + otherlen;
}

static int tsig_hmac(const struct rfc *r, const uint8_t *data, size_t len,
		     uint8_t *mac, unsigned *maclen)
{
	if (!HMAC(r->alg->md(), r->secret, (int)r->secret_len, data, len, mac,
		  maclen))
		return -EIO;
	return 0;
}

static size_t alg_wire(const struct rfc *r, uint8_t out[256])
{
	size_t n = 0;
	name_wire(r->alg->name, out, &n); /* a constant that fits */
	return n;
}

/* Sign the request in *msg (len bytes, malloc'd): returns a new malloc'd
 * message in *msg with the TSIG record appended, its MAC in mac. */
static int tsig_sign(const struct rfc *r, uint8_t **msg, size_t *len,
		     uint8_t mac[EVP_MAX_MD_SIZE], unsigned *maclen)
{
	uint8_t aw[256];
	size_t awl = alg_wire(r, aw);
	uint64_t now = (uint64_t)time(NULL);
	size_t cap = *len + 2 * 256 + 64 + EVP_MAX_MD_SIZE;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	size_t n = *len;
	memcpy(buf, *msg, n);
	tsig_vars(buf, &n, r->key, r->keylen, aw, awl, now, RFC_FUDGE, 0, NULL, 0);
	int rc = tsig_hmac(r, buf, n, mac, maclen);
	if (rc < 0) {
		free(buf);
		return rc;
	}
	/* Now the record itself, after the message. */
	n = *len;
	memcpy(buf + n, r->key, r->keylen);
	n += r->keylen;
	put16(buf + n, TYPE_TSIG);
	put16(buf + n + 2, CLASS_ANY);
	memset(buf + n + 4, 0, 4);
	size_t rdl = n + 8;
	n += 10;
	memcpy(buf + n, aw, awl);
	n += awl;
	put16(buf + n, (unsigned)(now >> 32));
	put16(buf + n + 2, (unsigned)(now >> 16));
	put16(buf + n + 4, (unsigned)now);
	put16(buf + n + 6, RFC_FUDGE);
	put16(buf + n + 8, *maclen);
	n += 10;
	memcpy(buf + n, mac, *maclen);
	n += *maclen;
	memcpy(buf + n, buf, 2); /* original id */
	put16(buf + n + 2, 0);   /* error */
	put16(buf + n + 4, 0);   /* other length */
	n += 6;
	put16(buf + rdl, (unsigned)(n - rdl - 2));
	put16(buf + 10, get16(buf + 10) + 1u); /* ARCOUNT */
	free(*msg);
	*msg = buf;
	*len = n;
	return 0;
}

static const char *rcode_name(unsigned rc)
{
	static const char *names[] = {
		"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
		"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
		"NOTZONE"};
	if (rc < sizeof(names) / sizeof(names[0]))
		return names[rc];
	switch (rc) {
	case RC_BADSIG:
		return "BADSIG";
	case RC_BADKEY:
		return "BADKEY";
	case RC_BADTIME:
		return "BADTIME";
	case RC_BADTRUNC:
		return "BADTRUNC";
	default:
		return "an unknown rcode";
	}
}

/* The errno for an answer's error code. */
static int rcode_errno(unsigned rc)
{
	switch (rc) {
	case RC_NOTAUTH:
	case RC_REFUSED:
	case RC_BADSIG:
	case RC_BADKEY:
	case RC_BADTIME:
	case RC_BADTRUNC:
		return -EACCES;
	case RC_NOTZONE:
	case RC_NXDOMAIN:
		return -ENOENT;
	case RC_SERVFAIL:
		return -EIO;
	default:
		return -EPROTO;
	}
}

/*
 * Check the TSIG of an answer to a request whose MAC was reqmac.
 * 1: signed and verified; 0: not signed; negative with err: a TSIG
 * error from the server (BADKEY...), or a TSIG that does not verify.
 */
static int tsig_check(const struct rfc *r, const uint8_t *ans, size_t len,
		      const uint8_t *reqmac, unsigned reqmaclen, time_t now,
		      struct dfo_err *err)
{
	struct tsig_rr t;
	int rc = tsig_find(ans, len, &t);
	if (rc < 0)
		return dfo_err_set(err, -EBADMSG, "malformed answer from %s",
				   r->where);
	if (rc == 0)
		return 0;
	if (t.error)
		return dfo_err_set(err, -EACCES,
				   "%s from %s (TSIG error: key '%s' %s)",
				   rcode_name(t.error), r->where, r->key_name,
				   t.error == RC_BADTIME ? "or clock refused"
							 : "refused");
	uint8_t aw[256];
	size_t awl = alg_wire(r, aw);
	if (t.ownerlen != r->keylen || memcmp(t.owner, r->key, r->keylen) ||
	    t.alglen != awl || memcmp(t.alg, aw, awl))
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s signed with another key",
				   r->where);
	size_t cap = 2 + reqmaclen + t.off + 2 * 256 + 16 + t.otherlen;
	uint8_t *buf = malloc(cap);
	if (!buf)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	size_t n = 0;
	put16(buf, reqmaclen);
	memcpy(buf + 2, reqmac, reqmaclen);
	n = 2 + reqmaclen;
	memcpy(buf + n, ans, t.off);
	put16(buf + n, t.orig_id);
	put16(buf + n + 10, get16(ans + 10) - 1u);
	n += t.off;
	tsig_vars(buf, &n, t.owner, t.ownerlen, t.alg, t.alglen, t.time,
		  t.fudge, t.error, t.other, t.otherlen);
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	rc = tsig_hmac(r, buf, n, mac, &maclen);
	free(buf);
	if (rc < 0)
		return dfo_err_set(err, rc, "HMAC failed");
	if (t.maclen != maclen || CRYPTO_memcmp(mac, t.mac, maclen) != 0)
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s fails TSIG verification "
				   "(wrong key_secret?)", r->where);
	uint64_t diff = (uint64_t)now > t.time ? (uint64_t)now - t.time
					       : t.time - (uint64_t)now;
	if (diff > t.fudge)
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s is signed %llu s away from "
				   "this host's clock", r->where,
				   (unsigned long long)diff);
	return 1;
}

/* ------------------------------------------------------------------ */
/* Talking to the server                                               */

/* Wait for `events` until `deadline`, in slices of 100 ms at most so a
 * stopping agent gives up at once (-EINTR). */
static int wait_fd(int fd, short events, double deadline)
{
	for (;;) {
		double left = deadline - dfo_now();
		if (left <= 0)
			return -ETIMEDOUT;
		if (dfo_stopping())
			return -EINTR;
		if (left > 0.1)
			left = 0.1;
		struct pollfd p = {.fd = fd, .events = events};
		int n = poll(&p, 1, (int)(left * 1000) + 1);
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
	}
}

static int tcp_exchange(const struct rfc *r, const uint8_t *req, size_t len,
			double deadline, uint8_t *ans, size_t *anslen,
			struct dfo_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl = dfo_addr_to_sockaddr(&r->srv, r->port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dfo_err_set(err, -errno, "socket: %s", strerror(errno));
	int rc = 0;
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto out;
		}
		if ((rc = wait_fd(fd, POLLOUT, deadline)) < 0)
			goto out;
		int soerr = 0;
		socklen_t el = sizeof(soerr);
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el);
		if (soerr) {
			rc = -soerr;
			goto out;
		}
	}
	uint8_t *out = malloc(len + 2);
	if (!out) {
		rc = -ENOMEM;
		goto out;
	}
	put16(out, (unsigned)len);
	memcpy(out + 2, req, len);
	size_t off = 0;
	while (off < len + 2 && rc == 0) {
		ssize_t w = send(fd, out + off, len + 2 - off, MSG_NOSIGNAL);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && (errno == EAGAIN || errno == EINTR))
			rc = wait_fd(fd, POLLOUT, deadline);
		else
			rc = w < 0 ? -errno : -EPIPE;
	}
	free(out);
	/* The length, then the message. */
	uint8_t lb[2];
	size_t want = 2, got = 0;
	uint8_t *dst = lb;
	while (rc == 0 && got < want) {
		ssize_t n = recv(fd, dst + got, want - got, 0);
		if (n > 0) {
			got += (size_t)n;
			if (dst == lb && got == 2) {
				want = get16(lb);
				if (want < 12) {
					rc = -EBADMSG;
					break;
				}
				dst = ans;
				got = 0;
			}
		} else if (n == 0) {
			rc = -ECONNRESET;
		} else if (errno == EAGAIN || errno == EINTR) {
			rc = wait_fd(fd, POLLIN, deadline);
		} else {
			rc = -errno;
		}
	}
	if (rc == 0)
		*anslen = want;
out:
	close(fd);
	if (rc < 0)
		dfo_err_set(err, rc, "%s (TCP): %s", r->where,
			    rc == -ETIMEDOUT ? "no answer in time"
			    : rc == -EINTR   ? "interrupted: stopping"
					     : strerror(-rc));
	return rc;
}

/* Send req, return the answer with the same id in ans (RFC_MAXMSG
 * bytes).  The whole exchange ends by `deadline`. */
static int exchange(const struct rfc *r, const uint8_t *req, size_t len,
		    double deadline, uint8_t *ans, size_t *anslen,
		    struct dfo_err *err)
{
	int rc;
	if (r->tcp || len > RFC_UDPMAX) {
		rc = tcp_exchange(r, req, len, deadline, ans, anslen, err);
		goto check;
	}
	struct sockaddr_storage ss;
	socklen_t sl = dfo_addr_to_sockaddr(&r->srv, r->port, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dfo_err_set(err, -errno, "socket: %s", strerror(errno));
	/* Connected: only the server's datagrams reach this socket. */
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0 ||
	    send(fd, req, len, 0) != (ssize_t)len) {
		rc = -errno;
		close(fd);
		return dfo_err_set(err, rc, "%s: %s", r->where, strerror(-rc));
	}
	for (;;) {
		rc = wait_fd(fd, POLLIN, deadline);
		if (rc < 0)
			break;
		ssize_t n = recv(fd, ans, RFC_MAXMSG, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		/* Not an answer to this request: keep waiting. */
		if (n < 12 || memcmp(ans, req, 2) != 0 || !(ans[2] & 0x80))
			continue;
		*anslen = (size_t)n;
		break;
	}
	close(fd);
	if (rc < 0)
		return dfo_err_set(err, rc, "%s: %s", r->where,
				   rc == -ETIMEDOUT ? "no answer in time"
				   : rc == -EINTR ? "interrupted: stopping"
				   : rc == -ECONNREFUSED
					   ? "connection refused (no server)"
					   : strerror(-rc));
	if (ans[2] & 0x02) { /* TC: again over TCP */
		rc = tcp_exchange(r, req, len, deadline, ans, anslen, err);
		goto check;
	}
	return 0;
check:
	if (rc == 0 && (memcmp(ans, req, 2) != 0 || !(ans[2] & 0x80)))
		rc = dfo_err_set(err, -EBADMSG, "%s: answer does not match the "
				 "request", r->where);
	return rc;
}

/*
 * One request: sign pkt (when a key is set), send it, check the answer's
 * TSIG and parse it.  *out: the answer (caller frees); *rcode: its rcode
 * (or the TSIG error).  Returns 0 when an answer came whose rcode the
 * caller must judge; negative with err otherwise.
 */
static int request(struct rfc *r, ldns_pkt *pkt, ldns_pkt **out,
		   unsigned *rcode, struct dfo_err *err);

/* Judge an answer (the part of request() after the exchange, apart so
 * that the fuzz target reaches it). */
static int answer_parse(const struct rfc *r, const uint8_t *ans, size_t len,
			const uint8_t *reqmac, unsigned reqmaclen, time_t now,
			ldns_pkt **out, unsigned *rcode, struct dfo_err *err)
{
	int signed_ok = 0;
	*out = NULL;
	if (r->keylen) {
		signed_ok = tsig_check(r, ans, len, reqmac, reqmaclen, now, err);
		if (signed_ok < 0)
			return signed_ok;
	}
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, ans, len) != LDNS_STATUS_OK || !p)
		return dfo_err_set(err, -EBADMSG, "malformed answer from %s",
				   r->where);
	*rcode = ldns_pkt_get_rcode(p);
	if (r->keylen && !signed_ok) {
		/* An unsigned answer is believed only when it refuses. */
		bool refusal = *rcode != RC_NOERROR && *rcode != RC_NXDOMAIN &&
			       *rcode != RC_YXRRSET && *rcode != RC_NXRRSET;
		if (!refusal) {
			ldns_pkt_free(p);
			return dfo_err_set(err, -EBADMSG,
					   "unsigned answer from %s (a key is "
					   "configured)", r->where);
		}
	}
	*out = p;
	return 0;
}

static int request(struct rfc *r, ldns_pkt *pkt, ldns_pkt **out,
		   unsigned *rcode, struct dfo_err *err)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)rand();
	ldns_pkt_set_id(pkt, id);
	uint8_t *wire = NULL;
	size_t len = 0;
	if (ldns_pkt2wire(&wire, pkt, &len) != LDNS_STATUS_OK || !wire)
		return dfo_err_set(err, -ENOMEM, "cannot build the request");
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;
	int rc;
	if (r->keylen && (rc = tsig_sign(r, &wire, &len, mac, &maclen)) < 0) {
		free(wire);
		return dfo_err_set(err, rc, "cannot sign the request");
	}
	uint8_t *ans = malloc(RFC_MAXMSG);
	if (!ans) {
		free(wire);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	size_t anslen = 0;
	rc = exchange(r, wire, len, dfo_now() + r->timeout, ans, &anslen, err);
	if (rc == 0)
		rc = answer_parse(r, ans, anslen, mac, maclen, time(NULL), out,
				  rcode, err);
	free(ans);
	free(wire);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Queries                                                             */

static int rr_addr(const ldns_rr *rr, int family, struct dfo_addr *a)
{
	const ldns_rdf *d = ldns_rr_rdf(rr, 0);
	size_t want = family == AF_INET ? 4 : 16;
	if (ldns_rr_rd_count(rr) != 1 || !d || ldns_rdf_size(d) != want)
		return -EBADMSG;
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET)
		memcpy(&a->u.v4, ldns_rdf_data(d), 4);
	else
		memcpy(&a->u.v6, ldns_rdf_data(d), 16);
	return 0;
}

/* The records of `name` and `family` in the answer section of p. */
static int answer_records(const ldns_pkt *p, const ldns_rdf *name,
			  struct dfo_rrset *out)
{
	ldns_rr_type type = out->family == AF_INET ? LDNS_RR_TYPE_A
						   : LDNS_RR_TYPE_AAAA;
	ldns_rr_list *an = ldns_pkt_answer(p);
	bool first = true;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		struct dfo_addr a;
		if (rr_addr(rr, out->family, &a) < 0)
			return -EBADMSG;
		if (dfo_rrset_add(out, &a) < 0)
			return -ENOMEM;
		uint32_t ttl = ldns_rr_ttl(rr);
		if (first || ttl < out->ttl)
			out->ttl = ttl;
		first = false;
	}
	return 0;
}

static int name_rdf(const char *fqdn, ldns_rdf **out, struct dfo_err *err)
{
	uint8_t w[256];
	size_t wl;
	if (name_wire(fqdn, w, &wl) < 0 ||
	    ldns_str2rdf_dname(out, fqdn) != LDNS_STATUS_OK)
		return dfo_err_set(err, -EINVAL, "'%s' is not a domain name", fqdn);
	ldns_dname2canonical(*out);
	return 0;
}

/* Ask the server for name/type, RD=0.  An answer must be authoritative
 * (NOERROR or NXDOMAIN); *out: the answer. */
static int query(struct rfc *r, const ldns_rdf *name, ldns_rr_type type,
		 ldns_pkt **out, struct dfo_err *err)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_rdf_clone(name), type,
					 LDNS_RR_CLASS_IN, 0);
	if (!q)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	unsigned rcode = 0;
	int rc = request(r, q, out, &rcode, err);
	ldns_pkt_free(q);
	if (rc < 0)
		return rc;
	char *text = ldns_rdf2str(name);
	if (rcode != RC_NOERROR && rcode != RC_NXDOMAIN)
		rc = dfo_err_set(err, rcode_errno(rcode),
				 "query for %s: %s from %s", text ? text : "?",
				 rcode_name(rcode), r->where);
	else if (!ldns_pkt_aa(*out))
		rc = dfo_err_set(err, -EACCES,
				 "query for %s: %s is not authoritative for it",
				 text ? text : "?", r->where);
	free(text);
	if (rc < 0) {
		ldns_pkt_free(*out);
		*out = NULL;
	}
	return rc;
}

static int rfc_list_name(struct rfc *r, const ldns_rdf *name,
			 struct dfo_rrset *out, struct dfo_err *err)
{
	ldns_pkt *p = NULL;
	int rc = query(r, name, out->family == AF_INET ? LDNS_RR_TYPE_A
						       : LDNS_RR_TYPE_AAAA,
		       &p, err);
	if (rc < 0)
		return rc;
	rc = answer_records(p, name, out);
	ldns_pkt_free(p);
	if (rc < 0)
		return dfo_err_set(err, rc, "bad answer from %s", r->where);
	return 0;
}

static int rfc_list(void *state, const char *fqdn, struct dfo_rrset *out,
		    struct dfo_err *err)
{
	ldns_rdf *name;
	int rc = name_rdf(fqdn, &name, err);
	if (rc < 0)
		return rc;
	rc = rfc_list_name(state, name, out, err);
	ldns_rdf_deep_free(name);
	return rc;
}

/* The zone of a name: configured, cached, or the owner of the SOA the
 * server answers with. */
static int zone_of(struct rfc *r, const ldns_rdf *name, ldns_rdf **zone,
		   struct dfo_err *err)
{
	char *text = ldns_rdf2str(name);
	if (!text)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	int rc = 0;
	const char *z = r->zone;
	for (unsigned i = 0; !z && i < RFC_ZCACHE; i++)
		if (r->zc[i].fqdn && strcmp(r->zc[i].fqdn, text) == 0)
			z = r->zc[i].zone;
	if (z) {
		if (ldns_str2rdf_dname(zone, z) != LDNS_STATUS_OK)
			rc = dfo_err_set(err, -EINVAL, "bad zone '%s'", z);
		goto check;
	}
	ldns_pkt *p = NULL;
	rc = query(r, name, LDNS_RR_TYPE_SOA, &p, err);
	if (rc < 0)
		goto out;
	*zone = NULL;
	ldns_rr_list *secs[2] = {ldns_pkt_answer(p), ldns_pkt_authority(p)};
	for (int s = 0; s < 2 && !*zone; s++)
		for (size_t i = 0; secs[s] && i < ldns_rr_list_rr_count(secs[s]); i++) {
			ldns_rr *rr = ldns_rr_list_rr(secs[s], i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
				*zone = ldns_rdf_clone(ldns_rr_owner(rr));
				break;
			}
		}
	ldns_pkt_free(p);
	if (!*zone) {
		rc = dfo_err_set(err, -ENOENT, "%s: no SOA for %s (set 'zone')",
				 r->where, text);
		goto out;
	}
	ldns_dname2canonical(*zone);
	struct zcache *c = &r->zc[r->zc_next++ % RFC_ZCACHE];
	free(c->fqdn);
	free(c->zone);
	c->fqdn = strdup(text);
	c->zone = ldns_rdf2str(*zone);
	if (!c->fqdn || !c->zone) {
		free(c->fqdn);
		free(c->zone);
		c->fqdn = c->zone = NULL;
	}
check:
	if (rc == 0 && ldns_dname_compare(name, *zone) != 0 &&
	    !ldns_dname_is_subdomain(name, *zone)) {
		char *zt = ldns_rdf2str(*zone);
		rc = dfo_err_set(err, -EINVAL, "%s is not in zone %s", text,
				 zt ? zt : "?");
		free(zt);
		ldns_rdf_deep_free(*zone);
		*zone = NULL;
	}
out:
	free(text);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Updates                                                             */

static ldns_rr *rr_make(const ldns_rdf *name, int family, uint32_t ttl,
			ldns_rr_class cls, const struct dfo_addr *a)
{
	ldns_rr *rr = ldns_rr_new();
	if (!rr)
		return NULL;
	ldns_rr_set_owner(rr, ldns_rdf_clone(name));
	ldns_rr_set_type(rr, family == AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	if (a) {
		ldns_rdf *d = family == AF_INET
				      ? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, &a->u.v4)
				      : ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, &a->u.v6);
		if (!d || !ldns_rr_push_rdf(rr, d)) {
			ldns_rdf_deep_free(d);
			ldns_rr_free(rr);
			return NULL;
		}
	}
	return rr;
}

/* Push rr (NULL when it could not be made) onto list. */
static bool list_push(ldns_rr_list *list, ldns_rr *rr)
{
	if (rr && ldns_rr_list_push_rr(list, rr))
		return true;
	ldns_rr_free(rr);
	return false;
}

/*
 * One UPDATE of `name`: add (or delete) `a`, with the prerequisite that
 * the RRset is exactly `expected` (or absent when it is empty).
 */
static int update(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
		  const char *fqdn, bool add, const struct dfo_addr *a,
		  const struct dfo_rrset *expected, struct dfo_err *err)
{
	int rc;
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_pkt *pkt = NULL, *ans = NULL;
	bool ok = pre && up;
	if (ok && expected->count == 0) /* RRset does not exist (2.4.3) */
		ok = list_push(pre, rr_make(name, a->family, 0,
					    LDNS_RR_CLASS_NONE, NULL));
	for (size_t i = 0; ok && i < expected->count; i++) /* 2.4.2 */
		ok = list_push(pre, rr_make(name, a->family, 0, LDNS_RR_CLASS_IN,
					    &expected->addrs[i]));
	uint32_t ttl = expected->count ? expected->ttl : r->ttl;
	if (ok)
		ok = list_push(up, add ? rr_make(name, a->family, ttl,
						 LDNS_RR_CLASS_IN, a)
				       : rr_make(name, a->family, 0,
						 LDNS_RR_CLASS_NONE, a));
	if (ok) {
		/* Takes the zone, copies the lists. */
		ldns_rdf *zc = ldns_rdf_clone(zone);
		pkt = zc ? ldns_update_pkt_new(zc, LDNS_RR_CLASS_IN, pre, up,
					       NULL)
			 : NULL;
		if (!pkt)
			ldns_rdf_deep_free(zc);
		ok = pkt != NULL;
	}
	if (!ok) {
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	ldns_pkt_set_rd(pkt, false);
	unsigned rcode = 0;
	rc = request(r, pkt, &ans, &rcode, err);
	if (rc < 0)
		goto out;
	char at[DFO_ADDR_STRLEN];
	dfo_addr_format(a, at, sizeof(at));
	if (rcode == RC_YXRRSET || rcode == RC_NXRRSET)
		rc = dfo_err_set(err, DFO_ESTALE,
				 "%s changed since it was read (%s from %s)", fqdn,
				 rcode_name(rcode), r->where);
	else if (rcode != RC_NOERROR)
		rc = dfo_err_set(err, rcode_errno(rcode),
				 "update (%s %s %s) refused: %s from %s",
				 add ? "add" : "del", fqdn, at, rcode_name(rcode),
				 r->where);
	else
		dfo_log(DFO_LOG_DEBUG, "dns/%s: %s %s %s at %s", r->instance,
			add ? "added" : "deleted", at, fqdn, r->where);
out:
	ldns_pkt_free(ans);
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return rc;
}

static int change(struct rfc *r, bool add, const char *fqdn,
		  const struct dfo_addr *a, const struct dfo_rrset *expected,
		  struct dfo_err *err)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return dfo_err_set(err, -EAFNOSUPPORT, "not an IPv4 or IPv6 address");
	if (expected && expected->count && expected->family != a->family)
		return dfo_err_set(err, -EINVAL, "expected set of another family");
	ldns_rdf *name, *zone = NULL;
	int rc = name_rdf(fqdn, &name, err);
	if (rc < 0)
		return rc;
	/* The zone first: a name outside it is refused before any change. */
	rc = zone_of(r, name, &zone, err);
	if (rc < 0) {
		ldns_rdf_deep_free(name);
		return rc;
	}
	/* Unconditional: read, then compare-and-set against what was read,
	 * a few times if others keep changing the set meanwhile. */
	for (int attempt = 0; attempt < (expected ? 1 : RFC_TRIES); attempt++) {
		struct dfo_rrset cur;
		const struct dfo_rrset *exp = expected;
		dfo_rrset_init(&cur, a->family);
		if (!exp) {
			rc = rfc_list_name(r, name, &cur, err);
			if (rc < 0)
				break;
			exp = &cur;
			if (dfo_rrset_contains(exp, a) == add) {
				dfo_rrset_clear(&cur);
				break; /* already so */
			}
		}
		if (!add && exp->count == 1 && dfo_rrset_contains(exp, a)) {
			char at[DFO_ADDR_STRLEN];
			rc = dfo_err_set(err, -EBUSY,
					 "not deleting %s: it is the last %s "
					 "record of %s",
					 dfo_addr_format(a, at, sizeof(at)),
					 a->family == AF_INET ? "A" : "AAAA", fqdn);
		} else {
			rc = update(r, zone, name, fqdn, add, a, exp, err);
		}
		dfo_rrset_clear(&cur);
		if (rc != DFO_ESTALE)
			break;
	}
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(name);
	return rc;
}

static int rfc_add(void *state, const char *fqdn, const struct dfo_addr *addr,
		   const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, true, fqdn, addr, expected, err);
}

static int rfc_del(void *state, const char *fqdn, const struct dfo_addr *addr,
		   const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, false, fqdn, addr, expected, err);
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

/* "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]:5353" */
static int server_parse(struct rfc *r, const char *text, struct dfo_err *err)
{
	char host[DFO_ADDR_STRLEN + 2];
	const char *port = NULL;
	size_t n = strlen(text);
	if (text[0] == '[') {
		const char *close = strchr(text, ']');
		if (!close || (size_t)(close - text - 1) >= sizeof(host))
			goto bad;
		memcpy(host, text + 1, (size_t)(close - text - 1));
		host[close - text - 1] = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1])
			goto bad;
	} else {
		const char *c = strchr(text, ':');
		if (c && strchr(c + 1, ':'))
			c = NULL; /* a bare IPv6 address */
		size_t hl = c ? (size_t)(c - text) : n;
		if (hl >= sizeof(host))
			goto bad;
		memcpy(host, text, hl);
		host[hl] = '\0';
		if (c)
			port = c + 1;
	}
	if (dfo_addr_parse(&r->srv, host) < 0)
		goto bad;
	r->port = 53;
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);
		if (!*port || *end || p < 1 || p > 65535)
			goto bad;
		r->port = (unsigned)p;
	}
	char a[DFO_ADDR_STRLEN];
	dfo_addr_format(&r->srv, a, sizeof(a));
	snprintf(r->where, sizeof(r->where),
		 r->srv.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, r->port);
	return 0;
bad:
	return dfo_err_set(err, -EINVAL,
			   "server: '%s' is not ADDRESS, ADDRESS:PORT or "
			   "[IPV6]:PORT", text);
}

/* A token of a key file: a word, a "string", or one of { } ; */
struct ktok {
	const char *p;
	int line;
};

/* Next token into buf; 0 at the end, 1 a token, -1 an error. */
static int ktok_next(struct ktok *k, char *buf, size_t len)
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
			break;
		}
	}
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

/*
 * Read a key file as tsig-keygen writes it:
 *     key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 * and take the key named `want` (or the first one when want is NULL).
 * Messages name the file and a line, never the secret.
 */
static int keyfile_read(const char *path, const char *want, char **name,
			char **alg, char **secret, struct dfo_err *err)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return dfo_err_set(err, -errno, "key_file %s: %s", path,
				   strerror(errno));
	char *data = calloc(1, 65536);
	size_t n = data ? fread(data, 1, 65535, f) : 0;
	bool big = data && !feof(f);
	fclose(f);
	if (!data)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	int rc = 0;
	if (big) {
		rc = dfo_err_set(err, -EFBIG, "key_file %s: too large", path);
		goto out;
	}
	data[n] = '\0';
	struct ktok k = {data, 1};
	char tok[1024], kname[300], kalg[64], ksec[1024];
	int t;
	while ((t = ktok_next(&k, tok, sizeof(tok))) == 1) {
		if (strcmp(tok, "key") != 0) {
			/* Another statement: skip it, with its block. */
			int depth = 0;
			while ((t = ktok_next(&k, tok, sizeof(tok))) == 1) {
				if (tok[0] == '{' && !tok[1])
					depth++;
				else if (tok[0] == '}' && !tok[1])
					depth--;
				else if (tok[0] == ';' && !tok[1] && depth == 0)
					break;
			}
			if (t != 1)
				break;
			continue;
		}
		if (ktok_next(&k, kname, sizeof(kname)) != 1 ||
		    ktok_next(&k, tok, sizeof(tok)) != 1 || strcmp(tok, "{"))
			goto syntax;
		kalg[0] = ksec[0] = '\0';
		for (;;) {
			if (ktok_next(&k, tok, sizeof(tok)) != 1)
				goto syntax;
			if (!strcmp(tok, "}"))
				break;
			char *dst = !strcmp(tok, "algorithm") ? kalg
				    : !strcmp(tok, "secret")  ? ksec
							      : NULL;
			size_t dl = dst == kalg ? sizeof(kalg) : sizeof(ksec);
			if (!dst || ktok_next(&k, dst, dl) != 1 ||
			    ktok_next(&k, tok, sizeof(tok)) != 1 || strcmp(tok, ";"))
				goto syntax;
		}
		if (ktok_next(&k, tok, sizeof(tok)) != 1 || strcmp(tok, ";"))
			goto syntax;
		if (want && strcasecmp(want, kname) != 0)
			continue;
		if (!kalg[0] || !ksec[0]) {
			rc = dfo_err_set(err, -EINVAL,
					 "key_file %s: key '%s' lacks an "
					 "algorithm or a secret", path, kname);
			goto out;
		}
		*name = strdup(kname);
		*alg = strdup(kalg);
		*secret = strdup(ksec);
		if (!*name || !*alg || !*secret)
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	if (t < 0)
		goto syntax;
	rc = dfo_err_set(err, -ENOENT, "key_file %s: no key%s%s%s", path,
			 want ? " '" : "", want ? want : "", want ? "'" : "");
	goto out;
syntax:
	rc = dfo_err_set(err, -EINVAL,
			 "key_file %s:%d: not a key file (key \"NAME\" { "
			 "algorithm ALG; secret \"BASE64\"; };)", path, k.line);
out:
	OPENSSL_cleanse(data, 65536);
	free(data);
	OPENSSL_cleanse(ksec, sizeof(ksec));
	return rc;
}

static int key_setup(struct rfc *r, cfg_t *sec, struct dfo_err *err)
{
	const char *name = cfg_getstr(sec, "key_name");
	const char *alg = cfg_getstr(sec, "key_algorithm");
	const char *secret = cfg_getstr(sec, "key_secret");
	const char *file = cfg_getstr(sec, "key_file");
	char *fname = NULL, *falg = NULL, *fsecret = NULL;
	int rc = 0;
	if (secret && file)
		return dfo_err_set(err, -EINVAL,
				   "key_secret and key_file: give one of them");
	if (file) {
		rc = keyfile_read(file, name, &fname, &falg, &fsecret, err);
		if (rc < 0)
			goto out;
		if (alg && strcasecmp(alg, falg) != 0) {
			rc = dfo_err_set(err, -EINVAL,
					 "key_algorithm %s, but key_file %s "
					 "says %s", alg, file, falg);
			goto out;
		}
		name = fname;
		alg = falg;
		secret = fsecret;
	}
	if (!name && !secret)
		goto out; /* unsigned */
	if (!name || !*name) {
		rc = dfo_err_set(err, -EINVAL, "key_secret needs key_name");
		goto out;
	}
	if (!secret || !*secret) {
		rc = dfo_err_set(err, -EINVAL,
				 "key_name needs key_secret or key_file");
		goto out;
	}
	if (!alg)
		alg = "hmac-sha256";
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcasecmp(alg, algs[i].name) == 0 ||
		    (strncasecmp(alg, algs[i].name, strlen(algs[i].name)) == 0 &&
		     !strcmp(alg + strlen(algs[i].name), ".")))
			r->alg = &algs[i];
	if (!r->alg) {
		rc = dfo_err_set(err, -EINVAL,
				 "key_algorithm '%s': one of hmac-sha1, "
				 "hmac-sha224, hmac-sha256, hmac-sha384, "
				 "hmac-sha512", alg);
		goto out;
	}
	if (name_wire(name, r->key, &r->keylen) < 0) {
		rc = dfo_err_set(err, -EINVAL, "key_name '%s' is not a domain name",
				 name);
		goto out;
	}
	ldns_rdf *b = NULL;
	if (ldns_str2rdf_b64(&b, secret) != LDNS_STATUS_OK || !b ||
	    ldns_rdf_size(b) == 0) {
		ldns_rdf_deep_free(b);
		r->keylen = 0;
		rc = dfo_err_set(err, -EINVAL, "the secret of key '%s' is not "
				 "base64", name);
		goto out;
	}
	r->secret_len = ldns_rdf_size(b);
	r->secret = malloc(r->secret_len);
	if (r->secret)
		memcpy(r->secret, ldns_rdf_data(b), r->secret_len);
	OPENSSL_cleanse(ldns_rdf_data(b), ldns_rdf_size(b));
	ldns_rdf_deep_free(b);
	r->key_name = strdup(name);
	if (!r->secret || !r->key_name)
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
out:
	free(fname);
	free(falg);
	if (fsecret) {
		OPENSSL_cleanse(fsecret, strlen(fsecret));
		free(fsecret);
	}
	return rc;
}

static int rfc_create(const char *instance, cfg_t *sec, void **state,
		      struct dfo_err *err)
{
	struct rfc *r = calloc(1, sizeof(*r));
	if (!r || !(r->instance = strdup(instance))) {
		free(r);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	int rc;
	const char *server = cfg_getstr(sec, "server");
	const char *zone = cfg_getstr(sec, "zone");
	long ttl = cfg_getint(sec, "ttl");
	r->timeout = cfg_getfloat(sec, "timeout");
	r->tcp = cfg_getbool(sec, "tcp");
	if (!server || !*server) {
		rc = dfo_err_set(err, -EINVAL, "option 'server' is required");
		goto fail;
	}
	if ((rc = server_parse(r, server, err)) < 0)
		goto fail;
	if (zone) {
		uint8_t w[256];
		size_t wl;
		if (name_wire(zone, w, &wl) < 0) {
			rc = dfo_err_set(err, -EINVAL, "zone '%s' is not a domain "
					 "name", zone);
			goto fail;
		}
		if (!(r->zone = strdup(zone))) {
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (ttl < 0 || ttl > 2147483647) {
		rc = dfo_err_set(err, -EINVAL, "ttl %ld: 0 to 2147483647", ttl);
		goto fail;
	}
	r->ttl = (uint32_t)ttl;
	if (!(r->timeout > 0) || r->timeout > 3600) {
		rc = dfo_err_set(err, -EINVAL, "timeout: more than 0, at most "
				 "3600 seconds");
		goto fail;
	}
	if ((rc = key_setup(r, sec, err)) < 0)
		goto fail;
	*state = r;
	return 0;
fail:
	rfc_destroy(r);
	return rc;
}

/*
 * In the process that uses the instance: with a configured zone, ask the
 * server for its SOA, so that a wrong server, zone or key shows at once
 * ("cannot start: ... BADSIG from ...") rather than at the first change.
 * Without one there is nothing to ask yet (the zone is found per name).
 */
static int rfc_start(void *state, struct dfo_err *err)
{
	struct rfc *r = state;
	if (!r->zone)
		return 0;
	ldns_rdf *zone;
	int rc = name_rdf(r->zone, &zone, err);
	if (rc < 0)
		return rc;
	ldns_pkt *p = NULL;
	rc = query(r, zone, LDNS_RR_TYPE_SOA, &p, err);
	bool soa = false;
	ldns_rr_list *an = p ? ldns_pkt_answer(p) : NULL;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++)
		soa = soa || (ldns_rr_get_type(ldns_rr_list_rr(an, i)) ==
				      LDNS_RR_TYPE_SOA &&
			      ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(an, i)),
						 zone) == 0);
	if (rc == 0 && !soa)
		rc = dfo_err_set(err, -ENOENT, "%s has no zone %s (no SOA)",
				 r->where, r->zone);
	ldns_pkt_free(p);
	ldns_rdf_deep_free(zone);
	if (rc == 0)
		dfo_log(DFO_LOG_INFO, "dns/%s: zone %s at %s%s%s", r->instance,
			r->zone, r->where, r->keylen ? ", key " : "",
			r->keylen ? r->key_name : "");
	return rc;
}

static const struct dfo_dns_provider rfc_provider = {
	.size = sizeof(struct dfo_dns_provider),
	.name = "rfc2136",
	.description = "RFC 2136 dynamic updates with TSIG (BIND, Knot, ...); "
		       "compare-and-set through prerequisites",
	.options = rfc_opts,
	.create = rfc_create,
	.destroy = rfc_destroy,
	.start = rfc_start,
	.flags = DFO_DNS_CAS,
	.list = rfc_list,
	.add = rfc_add,
	.del = rfc_del,
};

static int rfc_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_dns(reg, &rfc_provider);
}

DFO_MODULE("dns_rfc2136", rfc_init);
