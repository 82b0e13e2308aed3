/*
 * dns "rfc2136": one request to the server.  Every request goes over UDP
 * (TCP when asked, or when the request is larger than 512 bytes), again
 * over TCP when the answer is truncated, and the whole exchange is
 * bounded by `timeout`.  The header is read through ldns's accessors
 * (LDNS_ID_WIRE, LDNS_QR_WIRE, LDNS_TC_WIRE); the answer is parsed by
 * ldns after its TSIG is checked (tsig.c).
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rfc2136.h"

/* TSIG errors (RFC 8945 3): names ldns does not know. */
const char *rcode_name(unsigned rc)
{
	switch (rc) {
	case DFO_TSIG_BADSIG:
		return "BADSIG";
	case DFO_TSIG_BADKEY:
		return "BADKEY";
	case DFO_TSIG_BADTIME:
		return "BADTIME";
	case DFO_TSIG_BADTRUNC:
		return "BADTRUNC";
	default: {
		ldns_lookup_table *t = ldns_lookup_by_id(ldns_rcodes, (int)rc);
		return t && t->name ? t->name : "an unknown rcode";
	}
	}
}

int rcode_errno(unsigned rc)
{
	switch (rc) {
	case LDNS_RCODE_NOTAUTH:
	case LDNS_RCODE_REFUSED:
	case DFO_TSIG_BADSIG:
	case DFO_TSIG_BADKEY:
	case DFO_TSIG_BADTIME:
	case DFO_TSIG_BADTRUNC:
		return -EACCES;
	case LDNS_RCODE_NOTZONE:
	case LDNS_RCODE_NXDOMAIN:
		return -ENOENT;
	case LDNS_RCODE_SERVFAIL:
		return -EIO;
	default:
		return -EPROTO;
	}
}

bool rcode_judged(unsigned rc)
{
	return rc == LDNS_RCODE_NOERROR || rc == LDNS_RCODE_NXDOMAIN ||
	       rc == LDNS_RCODE_YXRRSET || rc == LDNS_RCODE_NXRRSET;
}

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

/* Is ans (at least LDNS_HEADER_SIZE bytes) an answer to req? */
static bool answers(const uint8_t *ans, const uint8_t *req)
{
	return LDNS_ID_WIRE(ans) == LDNS_ID_WIRE(req) && LDNS_QR_WIRE(ans);
}

static int tcp_exchange(const struct rfc *r, const uint8_t *req, size_t len,
			double deadline, uint8_t *ans, size_t *anslen,
			struct dfo_err *err)
{
	struct sockaddr_storage ss;
	socklen_t sl = dfo_addr_to_sockaddr(&r->srv, r->port, &ss);
	int fd = socket(ss.ss_family,
			SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
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
	ldns_write_uint16(out, (uint16_t)len); /* RFC 1035 4.2.2 */
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
				want = ldns_read_uint16(lb);
				if (want < LDNS_HEADER_SIZE) {
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
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
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
		if (n < LDNS_HEADER_SIZE || !answers(ans, req))
			continue;
		*anslen = (size_t)n;
		break;
	}
	close(fd);
	if (rc < 0)
		return dfo_err_set(err, rc, "%s: %s", r->where,
				   rc == -ETIMEDOUT ? "no answer in time"
				   : rc == -EINTR   ? "interrupted: stopping"
				   : rc == -ECONNREFUSED
					   ? "connection refused (no server)"
					   : strerror(-rc));
	if (LDNS_TC_WIRE(ans)) { /* truncated: again over TCP */
		rc = tcp_exchange(r, req, len, deadline, ans, anslen, err);
		goto check;
	}
	return 0;
check:
	if (rc == 0 && !answers(ans, req))
		rc = dfo_err_set(err, -EBADMSG,
				 "%s: answer does not match the "
				 "request",
				 r->where);
	return rc;
}

int transport_answer(const struct rfc *r, const uint8_t *ans, size_t len,
		     const uint8_t *reqmac, unsigned reqmaclen, time_t now,
		     ldns_pkt **out, unsigned *rcode, struct dfo_err *err)
{
	int signed_ok = 0;
	*out = NULL;
	if (r->key) {
		signed_ok =
			tsig_check(r, ans, len, reqmac, reqmaclen, now, err);
		if (signed_ok < 0)
			return signed_ok;
	}
	ldns_pkt *p = NULL;
	if (ldns_wire2pkt(&p, ans, len) != LDNS_STATUS_OK || !p)
		return dfo_err_set(err, -EBADMSG, "malformed answer from %s",
				   r->where);
	*rcode = ldns_pkt_get_rcode(p);
	/* An unsigned answer is believed only when it refuses. */
	if (r->key && !signed_ok && rcode_judged(*rcode)) {
		ldns_pkt_free(p);
		return dfo_err_set(err, -EBADMSG,
				   "unsigned answer from %s (a key is "
				   "configured)",
				   r->where);
	}
	*out = p;
	return 0;
}

int transport_request(struct rfc *r, ldns_pkt *pkt, ldns_pkt **out,
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
			rc = dfo_tsig_sign(
				r->key, wire, &len, len + DFO_TSIG_MAXRR, NULL,
				0, (uint64_t)time(NULL), 0, mac, &maclen);
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
		rc = transport_answer(r, ans, anslen, mac, maclen, time(NULL),
				      out, rcode, err);
	/* An answer that does not refuse is a signed one (see above): the
	 * server knows the key. */
	if (rc == 0 && r->key && rcode_judged(*rcode))
		r->key_ok = true;
	free(ans);
	free(wire);
	return rc;
}
