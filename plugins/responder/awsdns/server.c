/*
 * awsdns server: one worker thread per core (or `threads`), each with its
 * own UDP and TCP sockets on every listen address (SO_REUSEPORT: the
 * kernel spreads clients over the workers) and its own table of queries
 * waiting for upstream.  The workers share the index pointer (read once
 * per batch), the answer cache (locked by shard) and the quit descriptor.
 *
 * UDP: up to BATCH queries per recvmmsg(), answered in place (the answer
 * is written over the query) and sent with one sendmmsg(); a query that
 * waits for upstream is answered with sendmsg() when its answer comes.
 * On a wildcard address (0.0.0.0, ::) the address each query was sent to
 * comes with it (IP_PKTINFO, IPV6_RECVPKTINFO) and its answer leaves from
 * that address.
 *
 * Upstream (RFC 5452): every query to upstream goes out on a socket of
 * its own, opened for it (a fresh random source port from the kernel),
 * with a random id from getrandom(); only an answer from that upstream to
 * that port, with that id and that question, is taken.  Anything else
 * that reaches the socket is dropped and counted.  An answer with TC is
 * asked again over TCP (RFC 7766), whose answer is whole.
 *
 * TCP: length-prefixed messages, one query at a time per connection.  A
 * message must arrive whole within TCP_MSG_TIME of its first byte, and a
 * connection silent for TCP_IDLE between messages is closed; with every
 * slot taken, a new connection closes the one quiet the longest instead
 * of being refused (RFC 7766 section 6.2).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "awsdns.h"
#include "dnshdr.h"

#define BATCH	     32
#define UDP_BUF	     4096
#define MAX_PENDING  4096
#define MAX_CONNS    128
#define TCP_IDLE     10.0
#define TCP_MSG_TIME 2.0 /* seconds a message may take to arrive whole */
#define TCP_QMAX     4096
#define UP_DOWN_FOR  1.0 /* seconds an upstream that refused is skipped */
#define CMSG_SPACE_PKT                                                         \
	CMSG_SPACE(sizeof(struct in6_pktinfo) > sizeof(struct in_pktinfo)      \
			   ? sizeof(struct in6_pktinfo)                        \
			   : sizeof(struct in_pktinfo))

enum { EV_QUIT = 0, EV_UDP, EV_TCP_LISTEN, EV_TCP_CONN, EV_UP };

struct evtag {
	int kind;
	int fd;
	size_t i; /* listener, pending query or connection index */
};

struct tcpconn {
	int fd; /* -1: free */
	uint32_t gen;
	double last;	  /* last byte read or written */
	double msg_start; /* first byte of the message being read */
	bool waiting;	  /* a query of it is with upstream */
	uint8_t in[2 + TCP_QMAX];
	size_t inlen;
	uint8_t *out;
	size_t outlen, outoff, outcap;
	struct evtag tag;
};

/* The local address a UDP query came to, for its answer (wildcard
 * listeners only): the control message to send it with. */
struct local_addr {
	size_t len; /* 0: none */
	uint8_t cmsg[CMSG_SPACE_PKT];
};

struct pending {
	bool used;
	uint16_t up_id;
	uint8_t up_idx;
	uint8_t tries;
	bool up_tcp;  /* asked over TCP (after a TC answer) */
	bool up_sent; /* TCP: the query is written */
	int up_fd;    /* its own socket to upstream; -1: none */
	struct evtag up_tag;
	uint8_t *tbuf; /* TCP: the query out, then the answer in */
	size_t tlen, toff, tcap;
	double deadline;
	struct wire_query q;
	uint8_t qpkt[WIRE_HDR + WIRE_MAXNAME + 1 + 4];
	int fd; /* UDP socket to answer from; -1: TCP */
	struct sockaddr_storage peer;
	socklen_t peerlen;
	struct local_addr local;
	size_t conn;
	uint32_t conn_gen;
};

struct upstream_sock {
	double down_until;
};

struct worker {
	struct awsdns_shared *sh;
	unsigned n;
	pthread_t tid;
	bool started;
	_Atomic unsigned long qs; /* odd: in a batch */
	int ep;
	int *udp;
	int *tcp;
	bool *pktinfo; /* per listener: a wildcard address */
	size_t nl;
	struct evtag *ltag;
	struct upstream_sock *up;
	size_t nup;
	size_t up_next;
	struct pending *pend;
	size_t npend;
	size_t nused; /* pending entries in use: the loop's timeout and
		       * sweep() need not walk 4096 of them to know */
	size_t pend_hint;
	struct tcpconn *conns;
	struct evtag quit_tag;
	uint8_t rnd[256]; /* from getrandom(), used up two bytes at a time */
	size_t rnd_pos;
	uint64_t rng; /* fallback if getrandom() fails */
	uint64_t stat[QT_COUNT][QR_COUNT];
	uint64_t stat_up_err, stat_dropped, stat_mismatch;
	double next_flush, next_sweep;
	bool debug;
	bool handoff; /* handle(): the TCP connection goes to xfr.c */
	/* UDP batch */
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage peers[BATCH];
	uint8_t ctrl[BATCH][CMSG_SPACE_PKT];
	struct local_addr locals[BATCH];
	uint8_t (*bufs)[UDP_BUF];
	struct mmsghdr out[BATCH];
	struct iovec outiov[BATCH];
	uint8_t tmp[65536 + 2]; /* TCP queries and their answers */
	uint8_t scratch[65536]; /* cached and upstream answers */
	uint8_t probe[UDP_BUF]; /* index_knows() */
	uint8_t rx[UDP_BUF];	/* from upstream */
};

/* A random 16-bit id (RFC 5452 section 9.2): from getrandom(), read 256
 * bytes at a time. */
static uint16_t rnd16(struct worker *w)
{
	if (w->rnd_pos + 2 > sizeof(w->rnd)) {
		if (getrandom(w->rnd, sizeof(w->rnd), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(w->rnd)) {
			/* not seeded yet (early boot): xorshift64* */
			for (size_t i = 0; i < sizeof(w->rnd); i++) {
				w->rng ^= w->rng >> 12;
				w->rng ^= w->rng << 25;
				w->rng ^= w->rng >> 27;
				w->rnd[i] =
					(uint8_t)((w->rng *
						   2685821657736338717ull) >>
						  56);
			}
		}
		w->rnd_pos = 0;
	}
	uint16_t v =
		(uint16_t)(w->rnd[w->rnd_pos] << 8 | w->rnd[w->rnd_pos + 1]);
	w->rnd_pos += 2;
	return v;
}

static int qt_of(uint16_t t)
{
	switch (t) {
	case T_A:
		return QT_A;
	case T_AAAA:
		return QT_AAAA;
	case T_PTR:
		return QT_PTR;
	case T_TXT:
		return QT_TXT;
	default:
		return QT_OTHER;
	}
}

static const char *qr_names[QR_COUNT] = {"aws",	     "upstream", "cache",
					 "nxdomain", "servfail", "refused",
					 "formerr"};

static void flush_stats(struct worker *w)
{
	struct awsdns_metrics *m = w->sh->metrics;
	if (!m)
		return;
	for (int t = 0; t < QT_COUNT; t++)
		for (int r = 0; r < QR_COUNT; r++)
			if (w->stat[t][r]) {
				dfo_metric_add(m->queries[t][r],
					       (double)w->stat[t][r]);
				w->stat[t][r] = 0;
			}
	if (w->stat_up_err) {
		dfo_metric_add(m->upstream_errors, (double)w->stat_up_err);
		w->stat_up_err = 0;
	}
	if (w->stat_dropped) {
		dfo_metric_add(m->dropped, (double)w->stat_dropped);
		w->stat_dropped = 0;
	}
	if (w->stat_mismatch) {
		dfo_metric_add(m->upstream_mismatched,
			       (double)w->stat_mismatch);
		w->stat_mismatch = 0;
	}
}

/* The query log, at debug level. */
static void log_query(struct worker *w, const struct sockaddr *peer,
		      const struct wire_query *q, int result)
{
	char who[INET6_ADDRSTRLEN] = "?", name[WIRE_MAXNAME * 4 + 2];
	if (peer->sa_family == AF_INET)
		inet_ntop(AF_INET,
			  &((const struct sockaddr_in *)peer)->sin_addr, who,
			  sizeof(who));
	else if (peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6,
			  &((const struct sockaddr_in6 *)peer)->sin6_addr, who,
			  sizeof(who));
	size_t o = 0;
	if (q->name_len <= 1)
		name[o++] = '.';
	for (size_t i = 0; i + 1 < q->name_len;) {
		uint8_t l = q->name[i++];
		for (uint8_t k = 0; k < l; k++, i++) {
			uint8_t c = q->name[i];
			if (c > 32 && c < 127 && c != '\\')
				name[o++] = (char)c;
			else
				o += (size_t)sprintf(name + o, "\\%03u", c);
		}
		name[o++] = '.';
	}
	name[o] = '\0';
	dfo_log(DFO_LOG_DEBUG, "awsdns %s: query %s type %u from %s: %s",
		w->sh->conf->instance, name, q->qtype, who, qr_names[result]);
}

static void count(struct worker *w, const struct sockaddr *peer,
		  const struct wire_query *q, int result)
{
	w->stat[qt_of(q->qtype)][result]++;
	if (w->debug)
		log_query(w, peer, q, result);
}

/* ---- answering ---- */

/* Answer q from the index into buf; for IDX_NONE, `none_rcode`. */
static size_t answer_index(struct worker *w, const struct awsdns_index *ix,
			   const struct wire_query *q, const uint8_t *pkt,
			   uint8_t *buf, size_t cap, size_t max, int none_rcode,
			   int *result)
{
	struct wire_writer ww;
	if (!wire_begin(&ww, buf, cap, max, q, pkt))
		return 0;
	bool auth;
	enum idx_result r = index_answer(ix, q, &ww, &auth);
	switch (r) {
	case IDX_ANSWER:
	case IDX_NODATA:
		*result = QR_AWS;
		return wire_finish(&ww, q, RC_NOERROR, true);
	case IDX_NXDOMAIN:
		*result = QR_NXDOMAIN;
		return wire_finish(&ww, q, RC_NXDOMAIN, true);
	default:
		*result = none_rcode == RC_SERVFAIL ? QR_SERVFAIL : QR_NXDOMAIN;
		return wire_finish(&ww, q, none_rcode, false);
	}
}

/* Whether the index answers q (positively or NODATA), without writing. */
static bool index_knows(const struct awsdns_index *ix,
			const struct wire_query *q, const uint8_t *pkt,
			uint8_t *scratch, size_t cap)
{
	struct wire_writer ww;
	if (!wire_begin(&ww, scratch, cap, cap, q, pkt))
		return false;
	bool auth;
	enum idx_result r = index_answer(ix, q, &ww, &auth);
	return r == IDX_ANSWER || r == IDX_NODATA;
}

static int pending_new(struct worker *w)
{
	for (size_t k = 0; k < w->npend; k++) {
		size_t i = (w->pend_hint + k) % w->npend;
		if (!w->pend[i].used) {
			w->pend_hint = i + 1;
			return (int)i;
		}
	}
	return -1;
}

/* Close p's socket to upstream (and forget its TCP buffer). */
static void pending_close_up(struct worker *w, struct pending *p)
{
	if (p->up_fd >= 0) {
		epoll_ctl(w->ep, EPOLL_CTL_DEL, p->up_fd, NULL);
		close(p->up_fd);
		p->up_fd = -1;
	}
	free(p->tbuf);
	p->tbuf = NULL;
	p->tlen = p->toff = p->tcap = 0;
}

static void pending_free(struct worker *w, struct pending *p)
{
	pending_close_up(w, p);
	if (p->used)
		w->nused--;
	p->used = false;
}

/* A socket of p's own to upstream i, connected, in the epoll set: UDP, or
 * TCP (connecting).  The kernel gives it a random free source port. */
static int up_socket(struct worker *w, struct pending *p, size_t i, int type)
{
	const struct awsdns_conf *conf = w->sh->conf;
	const struct sockaddr_storage *ss = &conf->upstream[i];
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)ss, conf->upstream_len[i]) <
		    0 &&
	    errno != EINPROGRESS) {
		int e = -errno;
		close(fd);
		return e;
	}
	p->up_tag = (struct evtag){EV_UP, fd, (size_t)(p - w->pend)};
	struct epoll_event ev = {.events = EPOLLIN |
					   (type == SOCK_STREAM ? EPOLLOUT : 0),
				 .data.ptr = &p->up_tag};
	if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = -errno;
		close(fd);
		return e;
	}
	p->up_fd = fd;
	p->up_idx = (uint8_t)i;
	return 0;
}

/* p's question as we ask it upstream, with a fresh random id, into out
 * (room for the question and our OPT); returns its length. */
static size_t up_query(struct worker *w, struct pending *p, uint8_t *out)
{
	size_t len = p->q.qend;
	p->up_id = rnd16(w);
	memcpy(out, p->qpkt, len);
	memset(out, 0, WIRE_HDR);
	dns_set_id(out, p->up_id);
	dns_flag2(out, DNS_FLAG_RD, true);
	dns_set_qdcount(out, 1);
	dns_set_arcount(out, 1); /* our own OPT: 1232 bytes, no DO */
	dns_opt_write(out + len, WIRE_UDP_MAX, 0, false);
	return len + WIRE_OPT_LEN;
}

/* Send p's question over UDP to the next upstream that is not known
 * down, on a new socket; 0, or -1 if none is usable. */
static int pending_send(struct worker *w, struct pending *p, double now)
{
	pending_close_up(w, p);
	p->up_tcp = false;
	for (size_t k = 0; k < w->nup; k++) {
		size_t i = (w->up_next + k) % w->nup;
		if (w->up[i].down_until > now)
			continue;
		w->up_next = i + 1;
		uint8_t pkt[WIRE_HDR + WIRE_MAXNAME + 1 + 4 + WIRE_OPT_LEN];
		size_t len = up_query(w, p, pkt);
		if (up_socket(w, p, i, SOCK_DGRAM) < 0) {
			w->stat_up_err++;
			return -1; /* out of descriptors: no upstream now */
		}
		if (send(p->up_fd, pkt, len, MSG_DONTWAIT) < 0) {
			w->stat_up_err++;
			w->up[i].down_until = now + UP_DOWN_FOR;
			pending_close_up(w, p);
			continue;
		}
		p->tries++;
		return 0;
	}
	return -1;
}

/* Ask p's question again over TCP, to the upstream that answered with TC
 * (RFC 7766 section 5); 0, or negative. */
static int pending_send_tcp(struct worker *w, struct pending *p, double now)
{
	size_t i = p->up_idx;
	pending_close_up(w, p);
	p->tcap = 2 + 65535;
	if (!(p->tbuf = malloc(p->tcap)))
		return -ENOMEM;
	size_t len = up_query(w, p, p->tbuf + 2);
	p->tbuf[0] = (uint8_t)(len >> 8);
	p->tbuf[1] = (uint8_t)len;
	p->tlen = 2 + len;
	p->toff = 0;
	p->up_sent = false;
	p->up_tcp = true;
	int rc = up_socket(w, p, i, SOCK_STREAM);
	if (rc < 0)
		return rc;
	p->deadline = now + w->sh->conf->upstream_timeout;
	return 0;
}

static void tcp_queue(struct worker *w, size_t ci, const uint8_t *msg,
		      size_t len);
static void tcp_close(struct worker *w, size_t ci);

/* Deliver an answer of `len` bytes in buf to p's client. */
static void pending_reply(struct worker *w, struct pending *p, uint8_t *buf,
			  size_t len)
{
	if (len == 0)
		return;
	if (p->fd >= 0) {
		struct iovec iov = {buf, len};
		struct msghdr mh = {.msg_name = &p->peer,
				    .msg_namelen = p->peerlen,
				    .msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control =
					    p->local.len ? p->local.cmsg : NULL,
				    .msg_controllen = p->local.len};
		sendmsg(p->fd, &mh, MSG_DONTWAIT);
		return;
	}
	struct tcpconn *c = &w->conns[p->conn];
	if (c->fd < 0 || c->gen != p->conn_gen)
		return;
	c->waiting = false;
	tcp_queue(w, p->conn, buf, len);
}

static size_t client_max(const struct pending *p)
{
	if (p->fd < 0)
		return 65535;
	return p->q.udp_size < UDP_BUF ? p->q.udp_size : UDP_BUF;
}

/* Upstream gave nothing usable in time: AWS's answer, else SERVFAIL. */
static void pending_fail(struct worker *w, struct pending *p)
{
	struct awsdns_index *ix = atomic_load(&w->sh->index);
	int result;
	size_t n = answer_index(w, ix, &p->q, p->qpkt, w->scratch,
				sizeof(w->scratch), client_max(p), RC_SERVFAIL,
				&result);
	count(w, (struct sockaddr *)&p->peer, &p->q, result);
	pending_reply(w, p, w->scratch, n);
	pending_free(w, p);
}

/* Relay the upstream answer pkt (scanned into ai) to p's client. */
static void upstream_relay(struct worker *w, struct pending *p,
			   const uint8_t *pkt, size_t len,
			   const struct wire_answer_info *ai)
{
	struct awsdns_index *ix = atomic_load(&w->sh->index);
	bool negative = ai->rcode == RC_NXDOMAIN || !ai->has_answer_of_qtype;
	uint8_t *out = w->scratch;
	size_t cap = sizeof(w->scratch);
	if (negative &&
	    index_knows(ix, &p->q, p->qpkt, w->probe, sizeof(w->probe))) {
		int result;
		size_t n = answer_index(w, ix, &p->q, p->qpkt, out, cap,
					client_max(p), RC_SERVFAIL, &result);
		count(w, (struct sockaddr *)&p->peer, &p->q, result);
		pending_reply(w, p, out, n);
		return;
	}
	/* without upstream's OPT, with the client's id and question */
	size_t keep = ai->opt_off ? ai->opt_off : len;
	if (keep > cap - WIRE_OPT_LEN)
		keep = p->q.qend; /* bigger than anything we can relay */
	memcpy(out, pkt, keep);
	if (ai->opt_off) {
		dns_set_arcount(out, (uint16_t)(dns_arcount(out) - 1));
	}
	dns_set_id(out, p->q.id);
	dns_flag2(out, DNS_FLAG_RD, p->q.flags1 & DNS_FLAG_RD);
	memcpy(out + WIRE_HDR, p->qpkt + WIRE_HDR, p->q.qend - WIRE_HDR);
	size_t n = upstream_relay_fit(out, keep, cap, client_max(p), &p->q);
	count(w, (struct sockaddr *)&p->peer, &p->q,
	      negative ? QR_NXDOMAIN : QR_UPSTREAM);
	pending_reply(w, p, out, n);
}

/* An answer came for p from its upstream socket.  One that is not the
 * answer to p (id, question) is dropped and counted: p waits on. */
static void upstream_answer(struct worker *w, struct pending *p,
			    const uint8_t *pkt, size_t len, double now)
{
	struct wire_answer_info ai;
	uint16_t client_id = p->q.id;
	p->q.id = p->up_id; /* upstream answers our id */
	int rc = len >= WIRE_HDR ? wire_answer_scan(pkt, len, &p->q, &ai)
				 : -EINVAL;
	p->q.id = client_id;
	if (rc < 0) {
		w->stat_mismatch++;
		return;
	}
	if (ai.tc && !p->up_tcp) {
		if (pending_send_tcp(w, p, now) < 0) {
			w->stat_up_err++;
			pending_fail(w, p);
		}
		return;
	}
	if (ai.rcode != RC_NOERROR && ai.rcode != RC_NXDOMAIN) {
		w->stat_up_err++;
		pending_fail(w, p);
		return;
	}
	cache_put(w->sh->cache, &p->q, pkt, len, &ai, now);
	upstream_relay(w, p, pkt, len, &ai);
	pending_free(w, p);
}

/* p's upstream refused (ICMP port unreachable): it is skipped for a
 * while, and p goes to the next upstream, or fails. */
static void upstream_down(struct worker *w, struct pending *p, double now)
{
	w->up[p->up_idx].down_until = now + UP_DOWN_FOR;
	w->stat_up_err++;
	if (p->tries >= w->nup || pending_send(w, p, now) < 0)
		pending_fail(w, p);
}

/* p's UDP socket is readable: its answer, or something to drop. */
static void upstream_udp(struct worker *w, struct pending *p, double now)
{
	for (int b = 0; b < BATCH && p->used && !p->up_tcp; b++) {
		ssize_t k = recv(p->up_fd, w->rx, sizeof(w->rx), MSG_DONTWAIT);
		if (k < 0) {
			if (errno == ECONNREFUSED)
				upstream_down(w, p, now);
			return;
		}
		upstream_answer(w, p, w->rx, (size_t)k, now);
	}
}

/* p's TCP socket is ready: write the query, then read the answer. */
static void upstream_tcp(struct worker *w, struct pending *p, uint32_t events,
			 double now)
{
	if (!p->up_sent && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
		ssize_t k = send(p->up_fd, p->tbuf + p->toff, p->tlen - p->toff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			goto failed;
		if (k > 0)
			p->toff += (size_t)k;
		if (p->toff < p->tlen)
			return;
		p->up_sent = true;
		p->toff = 0;
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.ptr = &p->up_tag};
		epoll_ctl(w->ep, EPOLL_CTL_MOD, p->up_fd, &ev);
		return;
	}
	if (!p->up_sent || !(events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
		return;
	size_t want =
		p->toff < 2 ? 2 : 2 + (size_t)(p->tbuf[0] << 8 | p->tbuf[1]);
	ssize_t k =
		recv(p->up_fd, p->tbuf + p->toff, want - p->toff, MSG_DONTWAIT);
	if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (k <= 0)
		goto failed;
	p->toff += (size_t)k;
	if (p->toff < 2)
		return;
	want = 2 + (size_t)(p->tbuf[0] << 8 | p->tbuf[1]);
	if (p->toff < want)
		return;
	/* the whole message: a TC here is passed on as it is */
	upstream_answer(w, p, p->tbuf + 2, want - 2, now);
	if (p->used) /* not the answer: nothing else comes on it */
		goto failed;
	return;
failed:
	w->stat_up_err++;
	pending_fail(w, p);
}

static void sweep(struct worker *w, double now)
{
	for (size_t k = 0; w->nused && k < w->npend; k++) {
		struct pending *p = &w->pend[k];
		if (p->used && now >= p->deadline) {
			w->stat_up_err++;
			pending_fail(w, p);
		}
	}
	for (size_t i = 0; i < MAX_CONNS; i++) {
		struct tcpconn *c = &w->conns[i];
		if (c->fd < 0 || c->waiting)
			continue;
		if (c->inlen > 0 ? now - c->msg_start > TCP_MSG_TIME
				 : now - c->last > TCP_IDLE)
			tcp_close(w, i);
	}
}

/*
 * Handle one query of `len` bytes in buf (of `cap` bytes), from `peer`;
 * `fd` is its UDP socket (-1 for TCP connection `conn`), `local` what to
 * answer it from (NULL: the socket's address).  Returns the
 * length of the answer written into buf, 0 for none now (dropped, or
 * waiting for upstream).
 */
static size_t handle(struct worker *w, const struct awsdns_index *ix,
		     uint8_t *buf, size_t len, size_t cap,
		     const struct sockaddr_storage *peer, socklen_t peerlen,
		     const struct local_addr *local, int fd, size_t conn,
		     double now)
{
	struct wire_query q;
	enum wire_verdict v = wire_parse(buf, len, &q);
	const struct sockaddr *sa = (const struct sockaddr *)peer;
	q.ra = w->nup > 0; /* recursion offered: through upstream */
	if (v == WIRE_DROP) {
		w->stat_dropped++;
		return 0;
	}
	if (v != WIRE_OK) {
		w->stat[QT_OTHER][QR_FORMERR]++;
		int rc = v == WIRE_NOTIMP    ? RC_NOTIMP
			 : v == WIRE_BADVERS ? RC_BADVERS
					     : RC_FORMERR;
		return wire_error(buf, cap, buf, len, &q, rc);
	}
	if (!conf_allowed(w->sh->conf, sa)) {
		count(w, sa, &q, QR_REFUSED);
		return wire_error(buf, cap, buf, len, &q, RC_REFUSED);
	}
	if (q.qclass == C_CH || q.qclass == C_HS) {
		/* never upstream (version.bind would tell the upstream's
		 * version), never ours: refused, as Knot does */
		count(w, sa, &q, QR_REFUSED);
		return wire_error(buf, cap, buf, len, &q, RC_REFUSED);
	}
	if ((q.qtype == T_AXFR || q.qtype == T_IXFR) && fd < 0 && w->sh->xfr) {
		/* a zone transfer: on a thread of its own (xfr.c) */
		count(w, sa, &q, QR_AWS);
		w->handoff = true;
		return 0;
	}
	if (q.qtype == T_AXFR || q.qtype == T_IXFR || q.qtype == T_OPT) {
		count(w, sa, &q, QR_FORMERR);
		return wire_error(buf, cap, buf, len, &q, RC_NOTIMP);
	}
	if (q.tsig && w->sh->xfr) {
		/* a secondary's signed SOA query: answered signed */
		size_t max =
			fd >= 0 ? (q.udp_size < UDP_BUF ? q.udp_size : UDP_BUF)
				: 65535;
		count(w, sa, &q, QR_AWS);
		return xfr_signed_query(w->sh->xfr, ix, buf, len, cap, max, &q);
	}
	size_t max =
		fd >= 0 ? (q.udp_size < UDP_BUF ? q.udp_size : UDP_BUF) : 65535;
	int result;
	if (w->nup == 0 || index_is_local(ix, &q)) {
		if (!atomic_load_explicit(&w->sh->loaded,
					  memory_order_relaxed)) {
			/* no index yet (AWS not reached): no answer to cache */
			count(w, sa, &q, QR_SERVFAIL);
			return wire_error(buf, cap, buf, len, &q, RC_SERVFAIL);
		}
		size_t n = answer_index(w, ix, &q, buf, buf, cap, max,
					RC_NXDOMAIN, &result);
		count(w, sa, &q, result);
		return n;
	}
	/* upstream first: from the cache */
	int rcode;
	bool nodata;
	size_t n = cache_get(w->sh->cache, &q, buf, w->scratch,
			     sizeof(w->scratch), now, &rcode, &nodata);
	if (n > 0) {
		bool negative = rcode == RC_NXDOMAIN || nodata;
		if (negative &&
		    index_knows(ix, &q, buf, w->probe, sizeof(w->probe))) {
			n = answer_index(w, ix, &q, buf, buf, cap, max,
					 RC_SERVFAIL, &result);
			count(w, sa, &q, result);
			return n;
		}
		if (n > cap - WIRE_OPT_LEN)
			n = q.qend;
		memcpy(buf, w->scratch, n);
		count(w, sa, &q, negative ? QR_NXDOMAIN : QR_CACHE);
		return upstream_relay_fit(buf, n, cap, max, &q);
	}
	/* ...else ask upstream, answered later */
	int i = pending_new(w);
	if (i < 0) {
		n = answer_index(w, ix, &q, buf, buf, cap, max, RC_SERVFAIL,
				 &result);
		count(w, sa, &q, result);
		return n;
	}
	struct pending *p = &w->pend[i];
	memset(p, 0, offsetof(struct pending, q));
	p->up_fd = -1;
	p->q = q;
	memcpy(p->qpkt, buf, q.qend);
	p->fd = fd;
	memcpy(&p->peer, peer, peerlen);
	p->peerlen = peerlen;
	p->local.len = 0;
	if (local && local->len)
		p->local = *local;
	p->conn = conn;
	p->conn_gen = fd < 0 ? w->conns[conn].gen : 0;
	p->deadline = now + w->sh->conf->upstream_timeout;
	p->used = true;
	w->nused++;
	if (pending_send(w, p, now) < 0) {
		/* every upstream is down: answer now */
		pending_free(w, p);
		n = answer_index(w, ix, &q, buf, buf, cap, max, RC_SERVFAIL,
				 &result);
		w->stat_up_err++;
		count(w, sa, &q, result);
		return n;
	}
	if (fd < 0)
		w->conns[conn].waiting = true;
	return 0;
}

/* ---- UDP ---- */

/* The control message to answer from the address a query came to, made
 * from the one it came with (IP_PKTINFO, IPV6_PKTINFO). */
static void local_from(struct local_addr *l, const struct msghdr *mh)
{
	l->len = 0;
	for (struct cmsghdr *c = CMSG_FIRSTHDR((struct msghdr *)mh); c;
	     c = CMSG_NXTHDR((struct msghdr *)mh, c)) {
		struct msghdr out = {.msg_control = l->cmsg,
				     .msg_controllen = sizeof(l->cmsg)};
		struct cmsghdr *o = CMSG_FIRSTHDR(&out);
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo in, pi;
			memcpy(&in, CMSG_DATA(c), sizeof(in));
			memset(&pi, 0, sizeof(pi));
			pi.ipi_spec_dst = in.ipi_addr;
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(CMSG_DATA(o), &pi, sizeof(pi));
			l->len = CMSG_SPACE(sizeof(pi));
			return;
		}
		if (c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
			memcpy(CMSG_DATA(o), CMSG_DATA(c),
			       sizeof(struct in6_pktinfo));
			l->len = CMSG_SPACE(sizeof(struct in6_pktinfo));
			return;
		}
	}
}

static void udp_batch(struct worker *w, size_t li,
		      const struct awsdns_index *ix, double now)
{
	int fd = w->udp[li];
	bool pi = w->pktinfo[li];
	for (int i = 0; i < BATCH; i++) {
		w->iov[i].iov_base = w->bufs[i];
		w->iov[i].iov_len = UDP_BUF;
		memset(&w->msgs[i].msg_hdr, 0, sizeof(w->msgs[i].msg_hdr));
		w->msgs[i].msg_hdr.msg_iov = &w->iov[i];
		w->msgs[i].msg_hdr.msg_iovlen = 1;
		w->msgs[i].msg_hdr.msg_name = &w->peers[i];
		w->msgs[i].msg_hdr.msg_namelen = sizeof(w->peers[i]);
		if (pi) {
			w->msgs[i].msg_hdr.msg_control = w->ctrl[i];
			w->msgs[i].msg_hdr.msg_controllen = sizeof(w->ctrl[i]);
		}
	}
	int n = recvmmsg(fd, w->msgs, BATCH, MSG_DONTWAIT, NULL);
	if (n <= 0)
		return;
	int nout = 0;
	for (int i = 0; i < n; i++) {
		size_t len = w->msgs[i].msg_len;
		if (w->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
			w->stat_dropped++;
			continue;
		}
		struct local_addr *l = NULL;
		if (pi) {
			l = &w->locals[i];
			local_from(l, &w->msgs[i].msg_hdr);
		}
		size_t alen =
			handle(w, ix, w->bufs[i], len, UDP_BUF, &w->peers[i],
			       w->msgs[i].msg_hdr.msg_namelen, l, fd, 0, now);
		if (alen == 0)
			continue;
		w->outiov[nout].iov_base = w->bufs[i];
		w->outiov[nout].iov_len = alen;
		memset(&w->out[nout].msg_hdr, 0, sizeof(w->out[nout].msg_hdr));
		w->out[nout].msg_hdr.msg_iov = &w->outiov[nout];
		w->out[nout].msg_hdr.msg_iovlen = 1;
		w->out[nout].msg_hdr.msg_name = &w->peers[i];
		w->out[nout].msg_hdr.msg_namelen =
			w->msgs[i].msg_hdr.msg_namelen;
		if (l && l->len) {
			w->out[nout].msg_hdr.msg_control = l->cmsg;
			w->out[nout].msg_hdr.msg_controllen = l->len;
		}
		nout++;
	}
	for (int sent = 0; sent < nout;) {
		int k = sendmmsg(fd, w->out + sent, (unsigned)(nout - sent),
				 MSG_DONTWAIT);
		if (k <= 0) {
			/* a send failed (client gone): skip that one */
			sent++;
			continue;
		}
		sent += k;
	}
}

/* ---- TCP ---- */

static void tcp_close(struct worker *w, size_t ci)
{
	struct tcpconn *c = &w->conns[ci];
	if (c->fd < 0)
		return;
	epoll_ctl(w->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	c->fd = -1;
	c->gen++;
	c->waiting = false;
	free(c->out);
	c->out = NULL;
	c->outcap = c->outlen = c->outoff = 0;
}

static void tcp_flush(struct worker *w, size_t ci)
{
	struct tcpconn *c = &w->conns[ci];
	while (c->outoff < c->outlen) {
		ssize_t k =
			send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
			     MSG_DONTWAIT | MSG_NOSIGNAL);
		if (k < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			tcp_close(w, ci);
			return;
		}
		c->outoff += (size_t)k;
		c->last = dfo_now();
	}
	if (c->outoff == c->outlen)
		c->outoff = c->outlen = 0;
	struct epoll_event ev = {.events = EPOLLIN | (c->outlen ? EPOLLOUT : 0),
				 .data.ptr = &c->tag};
	epoll_ctl(w->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void tcp_queue(struct worker *w, size_t ci, const uint8_t *msg,
		      size_t len)
{
	struct tcpconn *c = &w->conns[ci];
	if (c->outlen + 2 + len > c->outcap) {
		size_t cap = c->outlen + 2 + len + 1024;
		uint8_t *o = realloc(c->out, cap);
		if (!o) {
			tcp_close(w, ci);
			return;
		}
		c->out = o;
		c->outcap = cap;
	}
	dns_put16(c->out + c->outlen, (uint16_t)len);
	memcpy(c->out + c->outlen + 2, msg, len);
	c->outlen += 2 + len;
	tcp_flush(w, ci);
}

/* Answer the complete messages read so far, one at a time. */
static void tcp_process(struct worker *w, size_t ci, double now)
{
	struct tcpconn *c = &w->conns[ci];
	while (c->fd >= 0 && !c->waiting && c->inlen >= 2) {
		size_t mlen = dns_get16(c->in); /* RFC 1035 4.2.2 length */
		if (mlen > TCP_QMAX) {
			tcp_close(w, ci);
			return;
		}
		if (c->inlen < 2 + mlen)
			return;
		struct sockaddr_storage peer;
		socklen_t pl = sizeof(peer);
		if (getpeername(c->fd, (struct sockaddr *)&peer, &pl) < 0) {
			tcp_close(w, ci);
			return;
		}
		uint8_t *buf = w->tmp + 2;
		memcpy(buf, c->in + 2, mlen);
		memmove(c->in, c->in + 2 + mlen, c->inlen - 2 - mlen);
		c->inlen -= 2 + mlen;
		c->msg_start = now; /* of the next one, if it began */
		struct awsdns_index *ix = atomic_load(&w->sh->index);
		w->handoff = false;
		size_t n = handle(w, ix, buf, mlen, sizeof(w->tmp) - 2, &peer,
				  pl, NULL, -1, ci, now);
		if (w->handoff) {
			/* the connection is the transfer's from now on */
			int fd = c->fd;
			epoll_ctl(w->ep, EPOLL_CTL_DEL, fd, NULL);
			c->fd = -1;
			c->gen++;
			c->waiting = false;
			c->inlen = 0;
			free(c->out);
			c->out = NULL;
			c->outcap = c->outlen = c->outoff = 0;
			xfr_take(w->sh->xfr, fd, buf, mlen, &peer);
			return;
		}
		if (n > 0) {
			tcp_queue(w, ci, buf, n);
		} else if (!c->waiting) {
			tcp_close(w, ci); /* dropped: nothing to say */
			return;
		}
	}
}

static void tcp_read(struct worker *w, size_t ci, double now)
{
	struct tcpconn *c = &w->conns[ci];
	ssize_t k = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen,
			 MSG_DONTWAIT);
	if (k == 0 || (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
		tcp_close(w, ci);
		return;
	}
	if (k < 0)
		return;
	if (c->inlen == 0)
		c->msg_start = now;
	c->inlen += (size_t)k;
	c->last = now;
	tcp_process(w, ci, now);
}

/* A free connection slot; with none, the slot of the connection quiet
 * the longest that waits for nothing (closed), else none (-1). */
static long tcp_slot(struct worker *w)
{
	long victim = -1;
	for (size_t ci = 0; ci < MAX_CONNS; ci++) {
		struct tcpconn *c = &w->conns[ci];
		if (c->fd < 0)
			return (long)ci;
		if (c->waiting)
			continue;
		if (victim < 0 || c->last < w->conns[victim].last)
			victim = (long)ci;
	}
	if (victim >= 0) {
		tcp_close(w, (size_t)victim);
		w->stat_dropped++;
	}
	return victim;
}

static void tcp_accept(struct worker *w, int lfd, double now)
{
	for (int k = 0; k < 16; k++) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		long slot = tcp_slot(w);
		if (slot < 0) {
			close(fd);
			w->stat_dropped++;
			continue;
		}
		size_t ci = (size_t)slot;
		struct tcpconn *c = &w->conns[ci];
		c->fd = fd;
		c->inlen = 0;
		c->outlen = c->outoff = 0;
		c->waiting = false;
		c->last = c->msg_start = now;
		c->tag = (struct evtag){EV_TCP_CONN, fd, ci};
		struct epoll_event ev = {.events = EPOLLIN,
					 .data.ptr = &c->tag};
		if (epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
			tcp_close(w, ci);
	}
}

/* ---- the worker ---- */

/* A TCP client's socket is ready: write what waits, then read. */
static void conn_event(struct worker *w, size_t ci, uint32_t events, double now)
{
	if (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN)) {
		tcp_close(w, ci);
		return;
	}
	if (events & EPOLLOUT)
		tcp_flush(w, ci);
	if (w->conns[ci].fd >= 0 && events & EPOLLIN)
		tcp_read(w, ci, now);
}

/* An upstream socket is ready: its answer goes to its client, and the
 * TCP clients that waited for an answer may go on. */
static void up_event(struct worker *w, const struct evtag *t, uint32_t events,
		     double now)
{
	struct pending *p = &w->pend[t->i];
	if (!p->used || p->up_fd != t->fd)
		return;
	if (p->up_tcp)
		upstream_tcp(w, p, events, now);
	else
		upstream_udp(w, p, now);
	for (size_t c = 0; c < MAX_CONNS; c++)
		if (w->conns[c].fd >= 0 && !w->conns[c].waiting &&
		    w->conns[c].inlen >= 2)
			tcp_process(w, c, now);
}

/* One event of epoll_wait(); false for EV_QUIT. */
static bool worker_event(struct worker *w, const struct epoll_event *ev,
			 const struct awsdns_index *ix, double now)
{
	struct evtag *t = ev->data.ptr;
	switch (t->kind) {
	case EV_QUIT:
		return false;
	case EV_UDP:
		udp_batch(w, t->i, ix, now);
		break;
	case EV_TCP_LISTEN:
		tcp_accept(w, t->fd, now);
		break;
	case EV_TCP_CONN:
		conn_event(w, t->i, ev->events, now);
		break;
	case EV_UP:
		up_event(w, t, ev->events, now);
		break;
	}
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	bool quit = false;
	while (!quit) {
		int timeout = w->nused ? 20 : 1000;
		atomic_fetch_add(&w->qs, 1); /* even: idle */
		int n = epoll_wait(w->ep, evs, 64, timeout);
		atomic_fetch_add(&w->qs, 1); /* odd: may hold the index */
		double now = dfo_now();
		struct awsdns_index *ix = atomic_load(&w->sh->index);
		for (int i = 0; i < n; i++)
			if (!worker_event(w, &evs[i], ix, now))
				quit = true;
		if (now >= w->next_sweep) {
			sweep(w, now);
			w->next_sweep = now + 0.01;
		}
		if (now >= w->next_flush) {
			flush_stats(w);
			w->next_flush = now + 1;
		}
	}
	flush_stats(w);
	atomic_fetch_add(&w->qs, 1); /* even: done */
	return NULL;
}

/* A listening socket of `type` for ss, its options set, not bound yet.
 * (Its owner is who opens it: SO_REUSEPORT lets a later process of the
 * same owner bind beside it.) */
static int sock_open(int type, const struct sockaddr_storage *ss,
		     struct dfo_err *err)
{
	int fd = socket(ss->ss_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dfo_err_set(err, -errno, "socket: %s", strerror(errno));
	int one = 1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
		int e = errno;
		close(fd);
		return dfo_err_set(err, -e, "SO_REUSEPORT: %s", strerror(e));
	}
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	return fd;
}

/* Bind (and listen) the socket of sock_open(); closes it on failure. */
static int sock_bind(int fd, int type, const struct sockaddr_storage *ss,
		     socklen_t len, struct dfo_err *err)
{
	char text[INET6_ADDRSTRLEN + 8] = "?";
	if (bind(fd, (const struct sockaddr *)ss, len) < 0) {
		int e = errno;
		if (ss->ss_family == AF_INET) {
			const struct sockaddr_in *s4 = (const void *)ss;
			inet_ntop(AF_INET, &s4->sin_addr, text, sizeof(text));
			snprintf(text + strlen(text), 8, ":%u",
				 ntohs(s4->sin_port));
		} else {
			const struct sockaddr_in6 *s6 = (const void *)ss;
			text[0] = '[';
			inet_ntop(AF_INET6, &s6->sin6_addr, text + 1,
				  sizeof(text) - 8);
			snprintf(text + strlen(text), 8, "]:%u",
				 ntohs(s6->sin6_port));
		}
		close(fd);
		return dfo_err_set(err, -e, "bind %s/%s: %s", text,
				   type == SOCK_DGRAM ? "udp" : "tcp",
				   strerror(e));
	}
	if (type == SOCK_STREAM && listen(fd, 128) < 0) {
		int e = errno;
		close(fd);
		return dfo_err_set(err, -e, "listen: %s", strerror(e));
	}
	return fd;
}

/* On a wildcard address, ask for the address each query is sent to
 * (answers leave from it); true if asked. */
static bool udp_pktinfo(int fd, const struct sockaddr_storage *ss)
{
	int one = 1;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;
		return s4->sin_addr.s_addr == htonl(INADDR_ANY) &&
		       setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one,
				  sizeof(one)) == 0;
	}
	const struct sockaddr_in6 *s6 = (const void *)ss;
	return IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr) &&
	       setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
			  sizeof(one)) == 0;
}

static int ep_add(struct worker *w, int fd, struct evtag *tag)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = tag};
	return epoll_ctl(w->ep, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int server_worker_bind(struct worker *w, struct dfo_err *err)
{
	const struct awsdns_conf *conf = w->sh->conf;
	int rc;
	for (size_t i = 0; i < w->nl; i++) {
		rc = sock_bind(w->udp[i], SOCK_DGRAM, &conf->listen[i],
			       conf->listen_len[i], err);
		if (rc < 0) {
			w->udp[i] = -1;
			return rc;
		}
		rc = sock_bind(w->tcp[i], SOCK_STREAM, &conf->listen[i],
			       conf->listen_len[i], err);
		if (rc < 0) {
			w->tcp[i] = -1;
			return rc;
		}
		w->ltag[2 * i] = (struct evtag){EV_UDP, w->udp[i], i};
		w->ltag[2 * i + 1] =
			(struct evtag){EV_TCP_LISTEN, w->tcp[i], i};
		if ((rc = ep_add(w, w->udp[i], &w->ltag[2 * i])) < 0 ||
		    (rc = ep_add(w, w->tcp[i], &w->ltag[2 * i + 1])) < 0)
			return dfo_err_set(err, rc, "epoll: %s", strerror(-rc));
	}
	return 0;
}

int server_worker_new(struct awsdns_shared *sh, unsigned n, bool bind_now,
		      struct worker **out, struct dfo_err *err)
{
	const struct awsdns_conf *conf = sh->conf;
	struct worker *w = calloc(1, sizeof(*w));
	if (!w)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	w->sh = sh;
	w->n = n;
	w->ep = -1;
	w->nl = conf->nlisten;
	w->udp = malloc(w->nl * sizeof(int));
	w->tcp = malloc(w->nl * sizeof(int));
	w->ltag = calloc(2 * w->nl, sizeof(*w->ltag));
	w->nup = conf->nupstream;
	w->up = calloc(w->nup ? w->nup : 1, sizeof(*w->up));
	w->npend = MAX_PENDING;
	w->pend = calloc(w->npend, sizeof(*w->pend));
	w->pktinfo = calloc(w->nl ? w->nl : 1, sizeof(bool));
	w->conns = calloc(MAX_CONNS, sizeof(*w->conns));
	w->bufs = malloc(BATCH * sizeof(*w->bufs));
	int rc = 0;
	if (!w->udp || !w->tcp || !w->ltag || !w->up || !w->pend ||
	    !w->pktinfo || !w->conns || !w->bufs) {
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	for (size_t i = 0; i < w->nl; i++)
		w->udp[i] = w->tcp[i] = -1;
	for (size_t i = 0; i < w->npend; i++)
		w->pend[i].up_fd = -1;
	for (size_t i = 0; i < MAX_CONNS; i++)
		w->conns[i].fd = -1;
	w->rnd_pos = sizeof(w->rnd); /* read on first use */
	if (getrandom(&w->rng, sizeof(w->rng), GRND_NONBLOCK) !=
		    sizeof(w->rng) ||
	    !w->rng)
		w->rng = (uint64_t)dfo_now() * 1000003u + n + 1;
	w->ep = epoll_create1(EPOLL_CLOEXEC);
	if (w->ep < 0) {
		rc = dfo_err_set(err, -errno, "epoll: %s", strerror(errno));
		goto fail;
	}
	w->quit_tag = (struct evtag){EV_QUIT, sh->quit_fd, 0};
	if ((rc = ep_add(w, sh->quit_fd, &w->quit_tag)) < 0) {
		dfo_err_set(err, rc, "epoll: %s", strerror(-rc));
		goto fail;
	}
	for (size_t i = 0; i < w->nl; i++) {
		if ((rc = sock_open(SOCK_DGRAM, &conf->listen[i], err)) < 0)
			goto fail;
		w->udp[i] = rc;
		w->pktinfo[i] = udp_pktinfo(rc, &conf->listen[i]);
		int big = 1 << 20;
		setsockopt(rc, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		if ((rc = sock_open(SOCK_STREAM, &conf->listen[i], err)) < 0)
			goto fail;
		w->tcp[i] = rc;
	}
	if (bind_now && (rc = server_worker_bind(w, err)) < 0)
		goto fail;
	*out = w;
	return 0;
fail:
	server_worker_free(w);
	return rc < 0 ? rc : -EIO;
}

int server_worker_start(struct worker *w, struct dfo_err *err)
{
	w->debug = dfo_log_enabled(DFO_LOG_DEBUG) != 0;
	int rc = pthread_create(&w->tid, NULL, worker_main, w);
	if (rc != 0)
		return dfo_err_set(err, -rc, "pthread_create: %s",
				   strerror(rc));
	w->started = true;
	return 0;
}

void server_worker_free(struct worker *w)
{
	if (!w)
		return;
	if (w->started)
		pthread_join(w->tid, NULL);
	for (size_t i = 0; i < w->nl; i++) {
		if (w->udp && w->udp[i] >= 0)
			close(w->udp[i]);
		if (w->tcp && w->tcp[i] >= 0)
			close(w->tcp[i]);
	}
	for (size_t i = 0; w->pend && i < w->npend; i++) {
		if (w->pend[i].up_fd >= 0)
			close(w->pend[i].up_fd);
		free(w->pend[i].tbuf);
	}
	if (w->conns)
		for (size_t i = 0; i < MAX_CONNS; i++)
			if (w->conns[i].fd >= 0) {
				close(w->conns[i].fd);
				free(w->conns[i].out);
			}
	if (w->ep >= 0)
		close(w->ep);
	free(w->udp);
	free(w->tcp);
	free(w->ltag);
	free(w->up);
	free(w->pend);
	free(w->pktinfo);
	free(w->conns);
	free(w->bufs);
	free(w);
}

void server_quiesce(struct awsdns_shared *sh)
{
	unsigned long seen[256];
	size_t n = sh->nworkers < 256 ? sh->nworkers : 256;
	for (size_t i = 0; i < n; i++)
		seen[i] = atomic_load(&sh->workers[i]->qs);
	for (size_t i = 0; i < n; i++) {
		if (!(seen[i] & 1))
			continue; /* idle: it will read the new pointer */
		while (atomic_load(&sh->workers[i]->qs) == seen[i]) {
			struct timespec ts = {0, 1000000};
			nanosleep(&ts, NULL);
		}
	}
}
