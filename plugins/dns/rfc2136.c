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
 *  - state_list/state_change (quorum eviction): the TXT records of the
 *    pool's state name, by a query and by one UPDATE that deletes one
 *    exact record and adds another (see "State records" below).
 *
 * ldns builds and reads the messages.  TSIG is the core's
 * (include/dnsfailover/tsig.h; ldns 1.8 signs only some of the
 * algorithms), shared with the awsdns responder's zone transfers.
 *
 * Every request goes over UDP (TCP when asked, or when the request is
 * larger than 512 bytes), again over TCP when the answer is truncated,
 * and the whole exchange is bounded by `timeout`.  The secret never
 * appears in a message or a log line.
 */
#include <arpa/inet.h>
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
#include <dnsfailover/dnsfailover.h>
#include <dnsfailover/tsig.h>

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

struct zcache {
	char *fqdn; /* lower case, no final dot */
	char *zone;
};

/* What a probe found about a name's answer (see own_check()). */
struct wcache {
	char *fqdn; /* lower case, no final dot */
	struct dfo_rrset set; /* the answer probed, sorted */
	bool synth;           /* a wildcard's: the name has none of its own */
};

struct rfc {
	char *instance;
	struct dfo_addr srv;
	unsigned port;
	char where[DFO_ADDR_STRLEN + 10]; /* "192.0.2.53:53", "[::1]:53" */
	char *zone;                       /* configured, or NULL */
	struct dfo_tsig_key *key; /* NULL: unsigned */
	uint32_t ttl;
	double timeout;
	bool tcp;
	struct zcache zc[RFC_ZCACHE];
	unsigned zc_next;
	struct wcache wc[RFC_ZCACHE];
	unsigned wc_next;
	bool key_ok;       /* the server has verified-answered with the key */
	char doing[96];    /* the update being sent ("AAAA add"), or "" */
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
	dfo_tsig_key_free(r->key);
	for (unsigned i = 0; i < RFC_ZCACHE; i++) {
		free(r->zc[i].fqdn);
		free(r->zc[i].zone);
		free(r->wc[i].fqdn);
		dfo_rrset_clear(&r->wc[i].set);
	}
	free(r);
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
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
	struct dfo_tsig_seen t;
	int rc = dfo_tsig_verify(r->key, ans, len, reqmac, reqmaclen,
				 (uint64_t)now, 0, &t);
	if (rc == -EBADMSG)
		return dfo_err_set(err, -EBADMSG, "malformed answer from %s",
				   r->where);
	/* A TSIG error, whether or not the server could sign the answer. */
	if (t.error == RC_BADTIME) {
		/* The server's clock: the other data (RFC 8945 5.2.3), else
		 * the time it signed with. */
		uint64_t srv = t.time;
		if (t.otherlen == 6 && t.other)
			srv = ((uint64_t)get16(t.other) << 32) |
			      ((uint64_t)get16(t.other + 2) << 16) |
			      get16(t.other + 4);
		bool ahead = srv > (uint64_t)now;
		uint64_t skew = ahead ? srv - (uint64_t)now : (uint64_t)now - srv;
		return dfo_err_set(err, -EACCES,
				   "BADTIME from %s (TSIG error): the server's "
				   "clock is %llu s %s this host's (%u s "
				   "allowed): set both clocks right (NTP)",
				   r->where, (unsigned long long)skew,
				   ahead ? "ahead of" : "behind",
				   t.fudge ? t.fudge : RFC_FUDGE);
	}
	if (t.error == RC_BADKEY && r->key_ok && r->doing[0])
		return dfo_err_set(err, -EACCES,
				   "BADKEY from %s (TSIG error) for the update "
				   "(%s): the server accepted key '%s' before, "
				   "so its policy refused this type of update "
				   "for the key (Knot: acl update-type; BIND: "
				   "update-policy)", r->where, r->doing,
				   dfo_tsig_key_name(r->key));
	if (t.error)
		return dfo_err_set(err, -EACCES,
				   "%s from %s (TSIG error: key '%s' refused)",
				   rcode_name(t.error), r->where,
				   dfo_tsig_key_name(r->key));
	if (rc >= 0)
		return rc;
	switch (rc == -EACCES ? t.verdict : 0) {
	case DFO_TSIG_BADKEY:
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s signed with another key",
				   r->where);
	case DFO_TSIG_BADSIG:
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s fails TSIG verification "
				   "(wrong key_secret?)", r->where);
	case DFO_TSIG_BADTIME: {
		uint64_t diff = (uint64_t)now > t.time ? (uint64_t)now - t.time
						       : t.time - (uint64_t)now;
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s is signed %llu s away from "
				   "this host's clock", r->where,
				   (unsigned long long)diff);
	}
	default:
		return dfo_err_set(err, rc, "TSIG: %s", strerror(-rc));
	}
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
	if (r->key) {
		signed_ok = tsig_check(r, ans, len, reqmac, reqmaclen, now, err);
		if (signed_ok < 0)
			return signed_ok;
	}
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, ans, len) != LDNS_STATUS_OK || !p)
		return dfo_err_set(err, -EBADMSG, "malformed answer from %s",
				   r->where);
	*rcode = ldns_pkt_get_rcode(p);
	if (r->key && !signed_ok) {
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
	uint8_t mac[DFO_TSIG_MAXMAC];
	size_t maclen = 0;
	int rc;
	if (r->key) {
		uint8_t *big = realloc(wire, len + DFO_TSIG_MAXRR);
		rc = big ? 0 : -ENOMEM;
		if (big) {
			wire = big;
			rc = dfo_tsig_sign(r->key, wire, &len,
					   len + DFO_TSIG_MAXRR, NULL, 0,
					   (uint64_t)time(NULL), 0, mac,
					   &maclen);
		}
		if (rc < 0) {
			free(wire);
			return dfo_err_set(err, rc, "cannot sign the request");
		}
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
	/* An answer that does not refuse is a signed one (answer_parse()):
	 * the server knows the key. */
	if (rc == 0 && r->key &&
	    (*rcode == RC_NOERROR || *rcode == RC_NXDOMAIN ||
	     *rcode == RC_YXRRSET || *rcode == RC_NXRRSET))
		r->key_ok = true;
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
	if (dfo_name_wire(fqdn, w, &wl) < 0 ||
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

/* A name as text without the final dot (caller frees), or NULL. */
static char *name_text(const ldns_rdf *name)
{
	char *t = ldns_rdf2str(name);
	size_t n = t ? strlen(t) : 0;
	if (n > 1 && t[n - 1] == '.')
		t[n - 1] = '\0';
	return t;
}

/*
 * The answer p (to a query for `name`) holds a CNAME owned by the name
 * (its own, or one a DNAME above it synthesized): the name is an alias
 * and can hold no other data (RFC 1034 3.6.2), so a server ignores an
 * A or AAAA added there (RFC 2136 3.4.2.2) and answers "done".  An
 * error, the same for every operation.  0 when it is no alias.
 */
static int alias_check(const struct rfc *r, const ldns_pkt *p,
		       const ldns_rdf *name, struct dfo_err *err)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
		    ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		char *n = name_text(name);
		char *to = ldns_rr_rd_count(rr) ? name_text(ldns_rr_rdf(rr, 0))
						: NULL;
		int rc = dfo_err_set(err, -EINVAL,
				     "%s is a CNAME (to %s) at %s: it cannot "
				     "hold addresses (the server would ignore "
				     "them); point the pool at a name of its "
				     "own or remove the CNAME",
				     n ? n : "?", to ? to : "?", r->where);
		free(n);
		free(to);
		return rc;
	}
	return 0;
}

static int rfc_list_name(struct rfc *r, const ldns_rdf *zone,
			 const ldns_rdf *name, struct dfo_rrset *out,
			 struct dfo_err *err);
static int zone_of(struct rfc *r, const ldns_rdf *name, ldns_rdf **zone,
		   struct dfo_err *err);

static int rfc_list(void *state, const char *fqdn, struct dfo_rrset *out,
		    struct dfo_err *err)
{
	ldns_rdf *name, *zone = NULL;
	int rc = name_rdf(fqdn, &name, err);
	if (rc < 0)
		return rc;
	/* The zone as add and del find it: a name they would refuse is
	 * refused here too, with the same message. */
	rc = zone_of(state, name, &zone, err);
	if (rc == 0)
		rc = rfc_list_name(state, zone, name, out, err);
	ldns_rdf_deep_free(zone);
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
	if ((rc = alias_check(r, p, name, err)) < 0) {
		ldns_pkt_free(p);
		goto out;
	}
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
		char *zt = name_text(*zone), *nt = name_text(name);
		rc = dfo_err_set(err, -EINVAL, "%s is not in zone %s",
				 nt ? nt : "?", zt ? zt : "?");
		free(zt);
		free(nt);
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
	char at[DFO_ADDR_STRLEN];
	dfo_addr_format(a, at, sizeof(at));
	snprintf(r->doing, sizeof(r->doing), "%s %s %s %s",
		 add ? "add" : "del", a->family == AF_INET ? "A" : "AAAA", fqdn,
		 at);
	rc = request(r, pkt, &ans, &rcode, err);
	r->doing[0] = '\0';
	if (rc < 0)
		goto out;
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

/*
 * Whether the records a query answered for `name` are its own or a
 * wildcard's (RFC 1034 4.3.3: "*.wild.example" answers for any name
 * below wild.example that does not exist, with the queried name as the
 * owner, so the answer alone cannot tell).  The server's own data can:
 * an UPDATE with the prerequisite "an RRset of this type exists"
 * (RFC 2136 2.4.1) and nothing to change is judged on the zone's
 * records, never on synthesized ones.  Asked once per answer: the
 * verdict is kept until the name answers something else.  A wildcard's
 * records are no records of this name: `out` is emptied, and said at
 * warning level, once.  A server that will not judge (REFUSED...) leaves
 * the answer believed, as before.
 */
static int own_check(struct rfc *r, const ldns_rdf *zone,
		     const ldns_rdf *name, struct dfo_rrset *out,
		     struct dfo_err *err)
{
	char *fqdn = name_text(name);
	if (!fqdn)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	dfo_rrset_sort(out);
	struct wcache *c = NULL;
	for (unsigned i = 0; i < RFC_ZCACHE && !c; i++)
		if (r->wc[i].fqdn && strcmp(r->wc[i].fqdn, fqdn) == 0 &&
		    r->wc[i].set.family == out->family)
			c = &r->wc[i];
	bool synth;
	if (c && dfo_rrset_same(&c->set, out)) {
		synth = c->synth;
		goto done;
	}
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_pkt *pkt = NULL, *ans = NULL;
	bool ok = pre && up &&
		  list_push(pre, rr_make(name, out->family, 0,
					 LDNS_RR_CLASS_ANY, NULL));
	ldns_rdf *zc = ok ? ldns_rdf_clone(zone) : NULL;
	pkt = zc ? ldns_update_pkt_new(zc, LDNS_RR_CLASS_IN, pre, up, NULL)
		 : NULL;
	if (!pkt)
		ldns_rdf_deep_free(zc);
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	if (!pkt) {
		free(fqdn);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	ldns_pkt_set_rd(pkt, false);
	unsigned rcode = 0;
	struct dfo_err e2;
	dfo_err_clear(&e2);
	int rc = request(r, pkt, &ans, &rcode, &e2);
	ldns_pkt_free(pkt);
	ldns_pkt_free(ans);
	if (rc < 0 && (rc == -EINTR || rc == -ETIMEDOUT || rc == -ENOMEM)) {
		free(fqdn);
		*err = e2;
		return rc;
	}
	if (rc < 0 || (rcode != RC_NOERROR && rcode != RC_NXRRSET)) {
		dfo_log(DFO_LOG_DEBUG, "dns/%s: cannot tell whether the %s "
			"records of %s are its own (%s); believed",
			r->instance, out->family == AF_INET ? "A" : "AAAA", fqdn,
			rc < 0 ? e2.msg : rcode_name(rcode));
		free(fqdn);
		return 0; /* asked again at the next answer */
	}
	synth = rcode == RC_NXRRSET;
	if (!c) {
		c = &r->wc[r->wc_next++ % RFC_ZCACHE];
		free(c->fqdn);
		c->fqdn = NULL;
	}
	if (!c->fqdn && !(c->fqdn = strdup(fqdn))) {
		free(fqdn);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	dfo_rrset_clear(&c->set);
	dfo_rrset_init(&c->set, out->family);
	if (dfo_rrset_copy(&c->set, out) < 0) {
		free(c->fqdn);
		c->fqdn = NULL;
		free(fqdn);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	c->synth = synth;
	if (synth) {
		char list[256] = "";
		size_t o = 0;
		for (size_t i = 0; i < out->count && o < sizeof(list) - 1; i++) {
			char a[DFO_ADDR_STRLEN];
			int n = snprintf(list + o, sizeof(list) - o, "%s%s",
					 i ? " " : "",
					 dfo_addr_format(&out->addrs[i], a,
							 sizeof(a)));
			o += n > 0 ? (size_t)n : 0;
		}
		dfo_log(DFO_LOG_WARNING, "dns/%s: %s has no %s records of its "
			"own: %s answers %s from a wildcard; taken as none",
			r->instance, fqdn, out->family == AF_INET ? "A" : "AAAA",
			r->where, list);
	}
done:
	free(fqdn);
	if (synth) {
		int family = out->family;
		dfo_rrset_clear(out);
		dfo_rrset_init(out, family);
	}
	return 0;
}

static int rfc_list_name(struct rfc *r, const ldns_rdf *zone,
			 const ldns_rdf *name, struct dfo_rrset *out,
			 struct dfo_err *err)
{
	ldns_pkt *p = NULL;
	int rc = query(r, name, out->family == AF_INET ? LDNS_RR_TYPE_A
						       : LDNS_RR_TYPE_AAAA,
		       &p, err);
	if (rc < 0)
		return rc;
	if ((rc = alias_check(r, p, name, err)) < 0) {
		ldns_pkt_free(p);
		return rc;
	}
	rc = answer_records(p, name, out);
	ldns_pkt_free(p);
	if (rc < 0)
		return dfo_err_set(err, rc, "bad answer from %s", r->where);
	return out->count ? own_check(r, zone, name, out, err) : 0;
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
			rc = rfc_list_name(r, zone, name, &cur, err);
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
			rc = dfo_err_set(err, DFO_ELAST,
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
/* State records (quorum eviction)                                     */

/*
 * The TXT records of a pool's state name, one per agent.  A state text
 * is one TXT character-string (RFC 1035 3.3.14: a length byte and up to
 * 255 bytes), and ldns carries it as those bytes in the wire form, in
 * both directions: no zone-file quoting or escaping is involved, so '"',
 * '\\', ';' and spaces go through as they are.  A longer text is refused
 * rather than split: a record of several strings is not a state text.
 *
 * Listing skips the TXT records at the name that are not state texts
 * (several strings, bytes outside printable ASCII: someone else's), so
 * that every record listed can be deleted exactly: state_change deletes
 * the one record whose single string is `del`, byte for byte (RFC 2136
 * 2.5.4, class NONE; TXT data compares as binary, case included).
 *
 * A change is one UPDATE without prerequisites: the delete of `del` and
 * the add of `add` happen together or not at all, and no other record is
 * touched, so `expected` is not needed (an agent changes only its own
 * record, or removes one it read exactly; a record written meanwhile has
 * another text and stays).  Deleting a record that is not there is no
 * error (the server skips it).
 */

/* The text of `rr` if it is a state text (one string, 1..DFO_TXT_MAX
 * printable bytes), NUL-terminated in out. */
static bool rr_state_text(const ldns_rr *rr, char out[DFO_TXT_MAX + 1])
{
	const ldns_rdf *d = ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0)
						       : NULL;
	if (!d || ldns_rdf_get_type(d) != LDNS_RDF_TYPE_STR)
		return false;
	size_t n = ldns_rdf_size(d);
	const uint8_t *p = ldns_rdf_data(d);
	if (n < 2 || !p || p[0] != n - 1)
		return false;
	for (size_t i = 1; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	memcpy(out, p + 1, n - 1);
	out[n - 1] = '\0';
	return true;
}

/* The state texts of `name` in the answer section of p.  0, -ENOMEM. */
static int txt_records(const ldns_pkt *p, const ldns_rdf *name,
		       struct dfo_txtset *out)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	bool first = true;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		char text[DFO_TXT_MAX + 1];
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_TXT ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_dname_compare(ldns_rr_owner(rr), name) != 0 ||
		    !rr_state_text(rr, text))
			continue;
		if (dfo_txtset_add(out, text) < 0)
			return -ENOMEM;
		uint32_t ttl = ldns_rr_ttl(rr);
		if (first || ttl < out->ttl)
			out->ttl = ttl;
		first = false;
	}
	return 0;
}

static int rfc_state_list(void *state, const char *name,
			  struct dfo_txtset *out, struct dfo_err *err)
{
	struct rfc *r = state;
	ldns_rdf *n;
	int rc = name_rdf(name, &n, err);
	if (rc < 0)
		return rc;
	ldns_pkt *p = NULL;
	rc = query(r, n, LDNS_RR_TYPE_TXT, &p, err);
	if (rc == 0 && txt_records(p, n, out) < 0)
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
	ldns_pkt_free(p);
	ldns_rdf_deep_free(n);
	return rc;
}

/* A text to write: a state text, else a clear refusal. */
static int state_text_ok(const char *what, const char *text,
			 struct dfo_err *err)
{
	size_t n = strlen(text);
	if (n == 0)
		return dfo_err_set(err, -EINVAL, "%s: empty state text", what);
	if (n > DFO_TXT_MAX)
		return dfo_err_set(err, -EINVAL,
				   "%s: state text of %zu bytes; one TXT "
				   "character-string holds at most %d (not "
				   "split)", what, n, DFO_TXT_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 || (unsigned char)text[i] > 0x7e)
			return dfo_err_set(err, -EINVAL,
					   "%s: byte %zu of the state text is "
					   "not printable ASCII", what, i + 1);
	return 0;
}

/* A TXT record of one character-string (text checked by the caller). */
static ldns_rr *rr_txt(const ldns_rdf *name, uint32_t ttl, ldns_rr_class cls,
		       const char *text)
{
	uint8_t buf[DFO_TXT_MAX + 1];
	size_t n = strlen(text);
	buf[0] = (uint8_t)n;
	memcpy(buf + 1, text, n);
	ldns_rr *rr = ldns_rr_new();
	if (!rr)
		return NULL;
	ldns_rdf *d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, buf);
	ldns_rdf *o = ldns_rdf_clone(name);
	if (!d || !o) {
		ldns_rdf_deep_free(d);
		ldns_rdf_deep_free(o);
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	if (!ldns_rr_push_rdf(rr, d)) {
		ldns_rdf_deep_free(d);
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

static int rfc_state_change(void *state, const char *name, const char *del,
			    const char *add, const struct dfo_txtset *expected,
			    uint32_t ttl, struct dfo_err *err)
{
	(void)expected; /* single records: see above */
	struct rfc *r = state;
	int rc = 0;
	if ((del && (rc = state_text_ok("del", del, err)) < 0) ||
	    (add && (rc = state_text_ok("add", add, err)) < 0))
		return rc;
	if (ttl > 2147483647u)
		return dfo_err_set(err, -EINVAL, "ttl %u: at most 2147483647",
				   (unsigned)ttl);
	if (!del && !add)
		return 0;
	ldns_rdf *n, *zone = NULL;
	if ((rc = name_rdf(name, &n, err)) < 0)
		return rc;
	/* The zone first: a name outside it is refused before any change. */
	if ((rc = zone_of(r, n, &zone, err)) < 0) {
		ldns_rdf_deep_free(n);
		return rc;
	}
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_pkt *pkt = NULL, *ans = NULL;
	bool ok = up != NULL;
	if (ok && del) /* delete an RR from an RRset (2.5.4) */
		ok = list_push(up, rr_txt(n, 0, LDNS_RR_CLASS_NONE, del));
	if (ok && add) /* add to an RRset (2.5.1) */
		ok = list_push(up, rr_txt(n, ttl, LDNS_RR_CLASS_IN, add));
	if (ok) {
		ldns_rdf *zc = ldns_rdf_clone(zone); /* taken by the packet */
		pkt = zc ? ldns_update_pkt_new(zc, LDNS_RR_CLASS_IN, NULL, up,
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
	const char *what = del && add ? "replace" : del ? "del" : "add";
	if ((rc = request(r, pkt, &ans, &rcode, err)) < 0) {
		/* Knot refuses an update its acl does not allow with NOTAUTH
		 * and the TSIG error BADKEY, as it would an unknown key. */
		if (rc == -EACCES && err && strncmp(err->msg, "BADKEY ", 7) == 0) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			dfo_err_set(err, rc, "state update (%s TXT at %s): %s; "
				    "Knot says so also when its acl does not "
				    "allow TXT at that name", what, name, why);
		}
		goto out;
	}
	if (rcode == RC_REFUSED || rcode == RC_NOTAUTH)
		rc = dfo_err_set(err, rcode_errno(rcode),
				 "state update (%s TXT at %s) refused: %s from "
				 "%s (its update policy must allow TXT at "
				 "that name)", what, name, rcode_name(rcode),
				 r->where);
	else if (rcode != RC_NOERROR)
		rc = dfo_err_set(err, rcode_errno(rcode),
				 "state update (%s TXT at %s) refused: %s from "
				 "%s", what, name, rcode_name(rcode), r->where);
	else
		dfo_log(DFO_LOG_DEBUG, "dns/%s: state %s at %s on %s",
			r->instance, what, name, r->where);
out:
	ldns_pkt_free(ans);
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(up);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(n);
	return rc;
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

static int key_setup(struct rfc *r, cfg_t *sec, struct dfo_err *err)
{
	const char *name = cfg_getstr(sec, "key_name");
	const char *alg = cfg_getstr(sec, "key_algorithm");
	const char *secret = cfg_getstr(sec, "key_secret");
	const char *file = cfg_getstr(sec, "key_file");
	int rc;
	if (secret && file)
		return dfo_err_set(err, -EINVAL,
				   "key_secret and key_file: give one of them");
	if (secret && !*secret)
		return dfo_err_set(err, -EINVAL,
				   "key_secret is empty (is its environment "
				   "variable set?)");
	if (file) {
		rc = dfo_tsig_key_file(file, name, alg, &r->key, err);
		if (rc < 0 && err) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			dfo_err_set(err, rc, "key_file: %s", why);
		}
		return rc;
	}
	if (!name && !secret)
		return 0; /* unsigned */
	if (!name || !*name)
		return dfo_err_set(err, -EINVAL, "key_secret needs key_name");
	if (!secret || !*secret)
		return dfo_err_set(err, -EINVAL,
				   "key_name needs key_secret or key_file");
	return dfo_tsig_key_new(name, alg, secret, &r->key, err);
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
		if (dfo_name_wire(zone, w, &wl) < 0) {
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
			r->zone, r->where, r->key ? ", key " : "",
			r->key ? dfo_tsig_key_name(r->key) : "");
	return rc;
}

static const char *rfc_zone(void *state)
{
	return ((struct rfc *)state)->zone; /* NULL: found by its SOA */
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
	.state_list = rfc_state_list,
	.state_change = rfc_state_change,
	.zone = rfc_zone,
};

static int rfc_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_dns(reg, &rfc_provider);
}

DFO_MODULE("dns_rfc2136", rfc_init);
