/*
 * awsdns as the hidden primary of its zones: `domain` (the instances'
 * A, AAAA and TXT records) and each of `reverse_zones` (their PTR
 * records), each with a SOA and the `ns` records.
 *
 *   AXFR (RFC 5936) over TCP, built from the zone as of the last load;
 *   IXFR (RFC 1995) from a bounded history of the differences between
 *        loads, AXFR's records when the history does not reach back to
 *        the serial asked;
 *   NOTIFY (RFC 1996) to `notify` when a load changes a zone, retried
 *        (1, 2, 4, 8, 16 s) until answered, then given up;
 *   TSIG (RFC 8945, the core's dfo_tsig_*) on every message of a
 *        transfer, on NOTIFY, and on the secondaries' signed SOA
 *        queries, when `transfer_key` is set.
 *
 * A zone's version is immutable and reference-counted: the refresh
 * thread makes a new one (xfr_update) and a transfer holds the one it
 * sends.  A transfer runs on a thread of its own (at most transfer_max
 * at once) with a deadline (transfer_timeout), so that a slow secondary
 * never holds a worker, and stops when the responder does.
 *
 * The serial of a zone is the time (seconds since the epoch) of the
 * load that changed it, or the last serial + 1 when that is later: it
 * grows with every change, also across restarts (a load is at least a
 * second after the last, refresh >= 1), with no state on disk; a load
 * that changes nothing keeps it.
 *
 * The records are written by hand rather than with ldns: the index
 * already holds them as wire rdata, and a zone of 100,000 names is
 * built in one pass of memcpy.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <dnsfailover/util.h>

#include "awsdns.h"
#include "dnshdr.h"

#define XFR_MSG_MAX  65535
#define NOTIFY_TRIES 5

bool nets_match(const struct allow_net *nets, size_t n,
		const struct sockaddr *sa)
{
	uint8_t a[16];
	if (sa->sa_family == AF_INET) {
		memset(a, 0, 10);
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		memcpy(a, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	} else {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		const struct allow_net *m = &nets[i];
		unsigned bytes = m->prefix / 8, bits = m->prefix % 8;
		if (memcmp(a, m->addr, bytes) != 0)
			continue;
		if (bits) {
			uint8_t mask = (uint8_t)(0xff << (8 - bits));
			if ((a[bytes] & mask) != (m->addr[bytes] & mask))
				continue;
		}
		return true;
	}
	return false;
}

/* ---- records ---- */

/* Records, each as owner (uncompressed, lower case), type, class, TTL,
 * rdlength, rdata, at off[i] of data. */
struct rrs {
	uint8_t *data;
	size_t len, cap;
	uint32_t *off;
	size_t n, ncap;
};

static void rrs_free(struct rrs *r)
{
	free(r->data);
	free(r->off);
	memset(r, 0, sizeof(*r));
}

static size_t name_len(const uint8_t *p)
{
	size_t o = 0;
	while (p[o])
		o += (size_t)p[o] + 1;
	return o + 1;
}

static size_t rr_len(const uint8_t *p)
{
	size_t o = name_len(p);
	return o + 10 + dns_get16(p + o + 8);
}

static int rrs_add(struct rrs *r, const uint8_t *owner, size_t olen,
		   uint16_t type, uint32_t ttl, const uint8_t *rdata,
		   size_t rdlen)
{
	size_t need = olen + 10 + rdlen;
	if (r->len + need > UINT32_MAX)
		return -E2BIG;
	if (r->len + need > r->cap) {
		size_t c = r->cap ? r->cap : 4096;
		while (c < r->len + need)
			c *= 2;
		uint8_t *d = realloc(r->data, c);
		if (!d)
			return -ENOMEM;
		r->data = d;
		r->cap = c;
	}
	if (r->n == r->ncap) {
		size_t c = r->ncap ? r->ncap * 2 : 256;
		uint32_t *o = realloc(r->off, c * sizeof(*o));
		if (!o)
			return -ENOMEM;
		r->off = o;
		r->ncap = c;
	}
	uint8_t *p = r->data + r->len;
	memcpy(p, owner, olen);
	p += olen;
	dns_put16(p, type);
	dns_put16(p + 2, C_IN);
	dns_put32(p + 4, ttl);
	dns_put16(p + 8, (uint16_t)rdlen);
	if (rdlen)
		memcpy(p + 10, rdata, rdlen);
	r->off[r->n++] = (uint32_t)r->len;
	r->len += need;
	return 0;
}

static int rr_cmp(const uint8_t *a, const uint8_t *b)
{
	size_t la = rr_len(a), lb = rr_len(b);
	int c = memcmp(a, b, la < lb ? la : lb);
	return c ? c : (la > lb) - (la < lb);
}

static int off_cmp(const void *x, const void *y, void *arg)
{
	const uint8_t *d = arg;
	return rr_cmp(d + *(const uint32_t *)x, d + *(const uint32_t *)y);
}

/* Sort, duplicates out (two instances of one name and address). */
static void rrs_sort(struct rrs *r)
{
	if (r->n < 2)
		return;
	qsort_r(r->off, r->n, sizeof(*r->off), off_cmp, r->data);
	size_t k = 1;
	for (size_t i = 1; i < r->n; i++)
		if (rr_cmp(r->data + r->off[k - 1], r->data + r->off[i]) != 0)
			r->off[k++] = r->off[i];
	r->n = k;
}

/* ---- zones, their versions and changes ---- */

struct zver {
	atomic_int ref;
	uint32_t serial;
	struct rrs rrs; /* sorted, the SOA excluded */
	uint8_t soa[WIRE_MAXNAME * 2 + 20];
	size_t soa_len;
};

struct zdiff {
	atomic_int ref;
	uint32_t from, to;
	struct rrs del, add;
	size_t bytes;
};

struct zone {
	uint8_t name[WIRE_MAXNAME + 1];
	size_t len;
	int rz; /* -1: `domain`, else reverse_zones[rz] */
	struct zver *cur;
	struct zdiff **hist; /* oldest first, each from the one before */
	size_t nhist;
	char text[WIRE_MAXNAME * 4 + 2];
};

struct notice {
	bool pending;
	uint32_t serial;
	unsigned tries;
	double next;
	uint16_t id;
	uint8_t mac[DFO_TSIG_MAXMAC];
	size_t maclen;
};

struct xfr {
	const struct awsdns_conf *c;
	int quit_fd;
	int wake_fd; /* eventfd: a notice is due */
	pthread_mutex_t mu;
	pthread_cond_t idle;
	unsigned active; /* transfers running (mu) */
	struct zone *zones;
	size_t nzones;
	struct notice *nt; /* nzones x nnotify (mu) */
	int sock[2];	   /* NOTIFY: IPv4, IPv6 */
	pthread_t notifier;
	bool notifier_started;
	bool hold; /* (mu) changes not yet served by queries: no NOTIFY,
		    * or a secondary's SOA check would see the old serial */
};

static void zver_unref(struct zver *v)
{
	if (v && atomic_fetch_sub(&v->ref, 1) == 1) {
		rrs_free(&v->rrs);
		free(v);
	}
}

static void zdiff_unref(struct zdiff *d)
{
	if (d && atomic_fetch_sub(&d->ref, 1) == 1) {
		rrs_free(&d->del);
		rrs_free(&d->add);
		free(d);
	}
}

/* RFC 1982: a < b. */
static bool serial_lt(uint32_t a, uint32_t b)
{
	return a != b && (int32_t)(b - a) > 0;
}

/* The reverse name of a 16-byte address (IPv4 mapped: in-addr.arpa). */
static size_t rev_name(const uint8_t a[16], uint8_t *out)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0,    0,
					   0, 0, 0, 0, 0xff, 0xff};
	size_t o = 0;
	if (memcmp(a, mapped, 12) == 0) {
		for (int i = 15; i >= 12; i--) {
			char t[4];
			int n = snprintf(t, sizeof(t), "%u", a[i]);
			out[o++] = (uint8_t)n;
			memcpy(out + o, t, (size_t)n);
			o += (size_t)n;
		}
		memcpy(out + o,
		       "\x07in-addr\x04"
		       "arpa",
		       14);
		return o + 14;
	}
	static const char hex[] = "0123456789abcdef";
	for (int i = 15; i >= 0; i--) {
		out[o++] = 1;
		out[o++] = (uint8_t)hex[a[i] & 0xf];
		out[o++] = 1;
		out[o++] = (uint8_t)hex[a[i] >> 4];
	}
	memcpy(out + o,
	       "\x03ip6\x04"
	       "arpa",
	       10);
	return o + 10;
}

/* Whether the wire name n (len bytes) is z or under it. */
static bool in_zone(const uint8_t *n, size_t len, const struct zone *z)
{
	if (len < z->len || memcmp(n + len - z->len, z->name, z->len) != 0)
		return false;
	for (size_t o = 0; o < len; o += (size_t)n[o] + 1)
		if (o == len - z->len)
			return true;
	return false;
}

/* The records of zone z in index ix, sorted. */
static int zone_build(const struct awsdns_index *ix, const struct zone *z,
		      struct rrs *out)
{
	int rc = 0;
	memset(out, 0, sizeof(*out));
	for (size_t o = 0; o + 2 <= ix->ns_len && rc == 0;) {
		size_t l = dns_get16(ix->ns_rdata + o);
		rc = rrs_add(out, z->name, z->len, T_NS, ix->ttl,
			     ix->ns_rdata + o + 2, l);
		o += 2 + l;
	}
	uint8_t owner[WIRE_MAXNAME + 1];
	if (z->rz < 0) {
		for (size_t i = 0; i < ix->nnames && rc == 0; i++) {
			const struct idx_name *nm = &ix->names[i];
			if ((size_t)nm->key_len + z->len > WIRE_MAXNAME)
				continue;
			memcpy(owner, ix->arena + nm->key_off, nm->key_len);
			memcpy(owner + nm->key_len, z->name, z->len);
			size_t ol = nm->key_len + z->len;
			for (uint32_t k = nm->first; k && rc == 0;
			     k = ix->inst[k - 1].next) {
				const struct idx_inst *it = &ix->inst[k - 1];
				if (it->has_v4)
					rc = rrs_add(out, owner, ol, T_A,
						     ix->ttl, it->v4, 4);
				for (unsigned v = 0; v < it->v6_n && rc == 0;
				     v++)
					rc = rrs_add(
						out, owner, ol, T_AAAA, ix->ttl,
						ix->arena + it->v6_off + 16 * v,
						16);
				const uint8_t *p = ix->arena + it->txt_off;
				const uint8_t *e = p + it->txt_len;
				while (p + 2 <= e && rc == 0) {
					size_t l = dns_get16(p);
					rc = rrs_add(out, owner, ol, T_TXT,
						     ix->ttl, p + 2, l);
					p += 2 + l;
				}
			}
		}
	} else {
		for (size_t i = 0; i < ix->nrevs && rc == 0; i++) {
			const struct idx_rev *r = &ix->revs[i];
			size_t ol = rev_name(r->addr, owner);
			if (!in_zone(owner, ol, z))
				continue;
			const struct idx_inst *it = &ix->inst[r->inst - 1];
			rc = rrs_add(out, owner, ol, T_PTR, ix->ttl,
				     ix->arena + it->ptr_off, it->ptr_len);
		}
	}
	if (rc < 0) {
		rrs_free(out);
		return rc;
	}
	rrs_sort(out);
	return 0;
}

/* The records of a in b's order that b lacks, into out. */
static int rrs_minus(const struct rrs *a, const struct rrs *b, struct rrs *out)
{
	size_t i = 0, j = 0;
	while (i < a->n) {
		const uint8_t *x = a->data + a->off[i];
		int c = j < b->n ? rr_cmp(x, b->data + b->off[j]) : -1;
		if (c > 0) {
			j++;
			continue;
		}
		if (c < 0) {
			size_t ol = name_len(x);
			size_t l = rr_len(x);
			int rc = rrs_add(out, x, ol, dns_get16(x + ol),
					 dns_get32(x + ol + 4), x + ol + 10,
					 l - ol - 10);
			if (rc < 0)
				return rc;
		} else {
			j++;
		}
		i++;
	}
	return 0;
}

static uint8_t *zone_soa(struct awsdns_index *ix, const struct zone *z,
			 size_t *len)
{
	if (z->rz < 0) {
		*len = ix->soa_len;
		return ix->soa_rdata;
	}
	*len = ix->rzones[z->rz].soa_len;
	return ix->rzones[z->rz].soa_rdata;
}

/* ---- setup ---- */

static void *notify_main(void *arg);

int xfr_new(struct xfr **out, const struct awsdns_conf *c, int quit_fd,
	    struct dfo_err *err)
{
	*out = NULL;
	if (c->nxallow == 0 && c->nnotify == 0)
		return 0;
	struct xfr *x = calloc(1, sizeof(*x));
	if (!x)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	x->c = c;
	x->quit_fd = quit_fd;
	x->sock[0] = x->sock[1] = -1;
	x->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_mutex_init(&x->mu, NULL);
	pthread_cond_init(&x->idle, NULL);
	x->zones = calloc(c->nrzones + 1, sizeof(*x->zones));
	x->nt = calloc((c->nrzones + 1) * (c->nnotify + 1), sizeof(*x->nt));
	if (!x->zones || !x->nt || x->wake_fd < 0) {
		xfr_free(x);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < c->nrzones + 1; i++) {
		const char *t = i == 0 ? c->domain : c->rzones[i - 1];
		if (!t)
			continue;
		struct zone *z = &x->zones[x->nzones];
		int n = wire_name_from_text(t, z->name, sizeof(z->name));
		if (n < 0) {
			xfr_free(x);
			return dfo_err_set(err, -EINVAL, "'%s' is not a zone",
					   t);
		}
		z->len = (size_t)n;
		z->rz = i == 0 ? -1 : (int)(i - 1);
		snprintf(z->text, sizeof(z->text), "%s", t);
		x->nzones++;
	}
	for (size_t i = 0; i < c->nnotify; i++) {
		int fam = c->notify[i].ss_family, k = fam == AF_INET6;
		if (x->sock[k] >= 0)
			continue;
		x->sock[k] = socket(
			fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (x->sock[k] < 0) {
			int e = errno;
			xfr_free(x);
			return dfo_err_set(err, -e, "notify: socket: %s",
					   strerror(e));
		}
	}
	if (c->nnotify) {
		int rc = pthread_create(&x->notifier, NULL, notify_main, x);
		if (rc != 0) {
			xfr_free(x);
			return dfo_err_set(err, -rc, "pthread_create: %s",
					   strerror(rc));
		}
		x->notifier_started = true;
	}
	*out = x;
	return 0;
}

void xfr_free(struct xfr *x)
{
	if (!x)
		return;
	/* quit_fd is readable by now: the notifier and the transfers end */
	if (x->notifier_started)
		pthread_join(x->notifier, NULL);
	pthread_mutex_lock(&x->mu);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 3;
	while (x->active > 0)
		if (pthread_cond_timedwait(&x->idle, &x->mu, &ts) != 0)
			break;
	unsigned left = x->active;
	pthread_mutex_unlock(&x->mu);
	if (left > 0)
		return; /* a transfer still holds it: left to the exit */
	for (size_t i = 0; i < x->nzones; i++) {
		zver_unref(x->zones[i].cur);
		for (size_t k = 0; k < x->zones[i].nhist; k++)
			zdiff_unref(x->zones[i].hist[k]);
		free(x->zones[i].hist);
	}
	free(x->zones);
	free(x->nt);
	for (int k = 0; k < 2; k++)
		if (x->sock[k] >= 0)
			close(x->sock[k]);
	if (x->wake_fd >= 0)
		close(x->wake_fd);
	pthread_mutex_destroy(&x->mu);
	pthread_cond_destroy(&x->idle);
	free(x);
}

/* ---- a new load ---- */

/* Whether two sorted record sets hold the same records. */
static bool rrs_equal(const struct rrs *a, const struct rrs *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (rr_cmp(a->data + a->off[i], b->data + b->off[i]) != 0)
			return false;
	return true;
}

/* The changes from old to v (a new reference), or NULL when out of
 * memory: IXFR then falls back to AXFR. */
static struct zdiff *zdiff_new(const struct zver *old, const struct zver *v)
{
	struct zdiff *d = calloc(1, sizeof(*d));
	if (!d || rrs_minus(&old->rrs, &v->rrs, &d->del) < 0 ||
	    rrs_minus(&v->rrs, &old->rrs, &d->add) < 0) {
		if (d) {
			rrs_free(&d->del);
			rrs_free(&d->add);
		}
		free(d);
		return NULL; /* IXFR falls back to AXFR */
	}
	atomic_init(&d->ref, 1);
	d->from = old->serial;
	d->to = v->serial;
	d->bytes = d->del.len + d->add.len;
	return d;
}

/* Under x->mu: the zone's history takes *d (NULL: a change not kept,
 * which clears it), then keeps at most `history` changes. */
static void zone_hist_add(struct zone *z, struct zdiff **d, unsigned history,
			  size_t zone_bytes)
{
	if (!*d) {
		for (size_t k = 0; k < z->nhist; k++)
			zdiff_unref(z->hist[k]);
		z->nhist = 0;
	} else {
		struct zdiff **h =
			realloc(z->hist, (z->nhist + 1) * sizeof(*h));
		if (h) {
			z->hist = h;
			h[z->nhist++] = *d;
			*d = NULL;
		} else {
			for (size_t k = 0; k < z->nhist; k++)
				zdiff_unref(z->hist[k]);
			z->nhist = 0;
		}
		/* at most ixfr_history changes, and no more bytes
		 * than the zone: beyond that AXFR is cheaper */
		size_t bytes = 0, keep = 0;
		for (size_t k = z->nhist; k > 0; k--) {
			bytes += z->hist[k - 1]->bytes;
			if (keep >= history || bytes > zone_bytes + 4096)
				break;
			keep++;
		}
		size_t drop = z->nhist - keep;
		for (size_t k = 0; k < drop; k++)
			zdiff_unref(z->hist[k]);
		memmove(z->hist, z->hist + drop, keep * sizeof(*z->hist));
		z->nhist = keep;
	}
}

int xfr_update(struct xfr *x, struct awsdns_index *nix)
{
	if (!x)
		return 0;
	uint32_t now = (uint32_t)time(NULL);
	pthread_mutex_lock(&x->mu);
	x->hold = true; /* until xfr_release */
	pthread_mutex_unlock(&x->mu);
	for (size_t zi = 0; zi < x->nzones; zi++) {
		struct zone *z = &x->zones[zi];
		size_t soa_len;
		uint8_t *soa = zone_soa(nix, z, &soa_len);
		struct zver *old = z->cur; /* only this thread writes it */
		struct zver *v = calloc(1, sizeof(*v));
		if (!v)
			return -ENOMEM;
		int rc = zone_build(nix, z, &v->rrs);
		if (rc < 0) {
			free(v);
			return rc;
		}
		if (old && rrs_equal(&old->rrs, &v->rrs)) {
			rrs_free(&v->rrs);
			free(v);
			soa_set_serial(soa, soa_len, old->serial);
			if (z->rz < 0)
				nix->serial = old->serial;
			continue;
		}
		v->serial = old && !serial_lt(old->serial, now)
				    ? old->serial + 1
				    : now;
		soa_set_serial(soa, soa_len, v->serial);
		if (z->rz < 0)
			nix->serial = v->serial;
		memcpy(v->soa, soa, soa_len);
		v->soa_len = soa_len;
		atomic_init(&v->ref, 1);
		struct zdiff *d = old && x->c->ixfr_history > 0
					  ? zdiff_new(old, v)
					  : NULL;
		dfo_log(DFO_LOG_INFO,
			"awsdns %s: zone %s serial %u (%zu records%s)",
			x->c->instance, z->text, v->serial, v->rrs.n,
			d ? "" : ", no change kept");
		if (d)
			dfo_log(DFO_LOG_INFO,
				"awsdns %s: zone %s %u -> %u: %zu records "
				"removed, %zu added",
				x->c->instance, z->text, d->from, d->to,
				d->del.n, d->add.n);
		pthread_mutex_lock(&x->mu);
		z->cur = v;
		zone_hist_add(z, &d, x->c->ixfr_history, v->rrs.len);
		for (size_t t = 0; t < x->c->nnotify; t++) {
			struct notice *n = &x->nt[zi * x->c->nnotify + t];
			n->pending = true;
			n->serial = v->serial;
			n->tries = 0;
			n->next = 0;
		}
		pthread_mutex_unlock(&x->mu);
		zdiff_unref(d);
		zver_unref(old);
	}
	return 0;
}

void xfr_release(struct xfr *x)
{
	if (!x)
		return;
	pthread_mutex_lock(&x->mu);
	x->hold = false;
	pthread_mutex_unlock(&x->mu);
	uint64_t one = 1;
	if (write(x->wake_fd, &one, sizeof(one)) < 0)
		dfo_log(DFO_LOG_DEBUG, "awsdns: eventfd: %s", strerror(errno));
}

/* ---- parsers of what secondaries send ---- */

/* Skip a name (compressed or not) in pkt[0, len) at *o. */
static int skip_name(const uint8_t *pkt, size_t len, size_t *o)
{
	for (unsigned n = 0; n < 128; n++) {
		if (*o >= len)
			return -EINVAL;
		uint8_t l = pkt[*o];
		if ((l & 0xc0) == 0xc0) {
			if (*o + 2 > len)
				return -EINVAL;
			*o += 2;
			return 0;
		}
		if (l & 0xc0)
			return -EINVAL;
		*o += 1 + (size_t)l;
		if (l == 0)
			return *o <= len ? 0 : -EINVAL;
	}
	return -EINVAL;
}

int xfr_ixfr_serial(const uint8_t *pkt, size_t len, const struct wire_query *q,
		    uint32_t *serial)
{
	if (q->nscount != 1 || q->qend == 0 || q->qend > len)
		return -EINVAL;
	size_t o = q->qend;
	if (skip_name(pkt, len, &o) < 0 || o + 10 > len)
		return -EINVAL;
	uint16_t type = dns_get16(pkt + o);
	size_t rdlen = dns_get16(pkt + o + 8);
	o += 10;
	if (type != T_SOA || o + rdlen > len)
		return -EINVAL;
	size_t end = o + rdlen;
	if (skip_name(pkt, end, &o) < 0 || skip_name(pkt, end, &o) < 0 ||
	    end - o != 20)
		return -EINVAL;
	*serial = dns_get32(pkt + o);
	return 0;
}

int xfr_notify_answer(const uint8_t *pkt, size_t len, uint16_t id,
		      const uint8_t *zone, size_t zlen, int *rcode)
{
	if (len < WIRE_HDR + zlen + 4 || dns_id(pkt) != id || !dns_qr(pkt) ||
	    dns_opcode(pkt) != 4 || dns_qdcount(pkt) != 1)
		return -EINVAL;
	for (size_t i = 0; i < zlen; i++) {
		uint8_t c = pkt[WIRE_HDR + i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != zone[i])
			return -EINVAL;
	}
	if (dns_get16(pkt + WIRE_HDR + zlen) != T_SOA ||
	    dns_get16(pkt + WIRE_HDR + zlen + 2) != C_IN)
		return -EINVAL;
	*rcode = pkt[3] & 0x0f;
	return *rcode == 0 ? 1 : 0;
}

/* ---- signed queries ---- */

/* The room the key's TSIG record takes. */
static size_t tsig_room(const struct dfo_tsig_key *k)
{
	return strlen(dfo_tsig_key_name(k)) + 2 +
	       strlen(dfo_tsig_key_algorithm(k)) + 2 + 10 + 16 +
	       DFO_TSIG_MAXMAC + 6;
}

size_t xfr_signed_query(struct xfr *x, const struct awsdns_index *ix,
			uint8_t *buf, size_t len, size_t cap, size_t max,
			const struct wire_query *q)
{
	const struct dfo_tsig_key *key = x->c->xkey;
	struct dfo_tsig_seen seen;
	uint64_t now = (uint64_t)time(NULL);
	int rc = key ? dfo_tsig_verify(key, buf, len, NULL, 0, now, 0, &seen)
		     : -EACCES;
	if (rc != 1 || seen.off < q->qend) {
		dfo_log(DFO_LOG_DEBUG,
			"awsdns %s: a signed query that does "
			"not verify: NOTAUTH",
			x->c->instance);
		return wire_error(buf, cap, buf, len, q, RC_NOTAUTH);
	}
	uint8_t reqmac[DFO_TSIG_MAXMAC];
	size_t reqmaclen = seen.maclen <= sizeof(reqmac) ? seen.maclen : 0;
	memcpy(reqmac, seen.mac, reqmaclen);
	size_t room = tsig_room(key);
	if (max < room + q->qend + WIRE_OPT_LEN ||
	    cap < q->qend + DFO_TSIG_MAXRR)
		return 0;
	/* room for the TSIG in the answer's limit, and the room
	 * dfo_tsig_sign wants in the buffer */
	size_t limit = max - room;
	if (limit > cap - DFO_TSIG_MAXRR)
		limit = cap - DFO_TSIG_MAXRR;
	struct wire_writer ww;
	if (!wire_begin(&ww, buf, cap, limit, q, buf))
		return 0;
	bool auth = false;
	enum idx_result r = index_answer(ix, q, &ww, &auth);
	int rcode = r == IDX_NXDOMAIN ? RC_NXDOMAIN
		    : r == IDX_NONE   ? RC_REFUSED
				      : RC_NOERROR;
	if (r == IDX_NONE) {
		ww.len = q->qend;
		memset(ww.count, 0, sizeof(ww.count));
	}
	size_t n = wire_finish(&ww, q, rcode, auth);
	uint8_t mac[DFO_TSIG_MAXMAC];
	size_t maclen;
	if (dfo_tsig_sign(key, buf, &n, cap, reqmac, reqmaclen, now, 0, mac,
			  &maclen) < 0)
		return 0;
	return n;
}

/* ---- transfers ---- */

struct xfer {
	struct xfr *x;
	int fd;
	double deadline;
	uint8_t q[WIRE_HDR + WIRE_MAXNAME + 1 + 4 + 512 + DFO_TSIG_MAXRR];
	size_t qlen;
	struct sockaddr_storage peer;
	struct wire_query wq;
	const struct zone *z;
	size_t len; /* of the message in buf */
	uint16_t an;
	size_t limit;
	bool sign;
	uint8_t mac[DFO_TSIG_MAXMAC]; /* the request's, then each message's */
	size_t maclen;
	unsigned msgs;
	size_t bytes, records;
	bool failed;
	/* the message being written, after its 2-byte length (last: not
	 * cleared) */
	uint8_t buf[2 + XFR_MSG_MAX];
};

/* Wait for fd to be writable (POLLOUT) or readable; 1, 0 on timeout or
 * quit, -1 on error. */
static int xwait(struct xfer *t, short ev)
{
	double left = t->deadline - dfo_now();
	if (left <= 0)
		return 0;
	struct pollfd p[2] = {{.fd = t->fd, .events = ev},
			      {.fd = t->x->quit_fd, .events = POLLIN}};
	int r = poll(p, 2, (int)(left * 1000) + 1);
	if (r < 0)
		return errno == EINTR ? 1 : -1;
	if (p[1].revents)
		return 0;
	return r > 0 ? 1 : 1;
}

static bool send_all(struct xfer *t, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = send(t->fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (k > 0) {
			p += k;
			n -= (size_t)k;
			continue;
		}
		if (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != EINTR)
			return false;
		if (xwait(t, POLLOUT) <= 0)
			return false;
	}
	return true;
}

static void msg_begin(struct xfer *t, int rcode)
{
	uint8_t *m = t->buf + 2;
	memcpy(m, t->q, t->wq.qend);
	m[2] = (uint8_t)(0x80 | 0x04 | (t->q[2] & 0x01)); /* QR AA RD */
	m[3] = (uint8_t)rcode;
	dns_put16(m + 4, 1);
	dns_put16(m + 6, 0);
	dns_put16(m + 8, 0);
	dns_put16(m + 10, 0);
	t->len = t->wq.qend;
	t->an = 0;
}

/* Sign (when signed) and send the message written. */
static bool msg_send(struct xfer *t)
{
	uint8_t *m = t->buf + 2;
	dns_put16(m + 6, t->an);
	size_t n = t->len;
	if (t->sign) {
		uint8_t mac[DFO_TSIG_MAXMAC];
		size_t maclen;
		if (dfo_tsig_sign(t->x->c->xkey, m, &n, XFR_MSG_MAX, t->mac,
				  t->maclen, (uint64_t)time(NULL),
				  t->msgs ? DFO_TSIG_TIMERS_ONLY : 0, mac,
				  &maclen) < 0)
			return false;
		memcpy(t->mac, mac, maclen);
		t->maclen = maclen;
	}
	dns_put16(t->buf, (uint16_t)n);
	t->msgs++;
	t->bytes += n;
	return send_all(t, t->buf, n + 2);
}

/* One record (owner under the zone, compressed against the question).
 * A message that is full goes first. */
static bool put(struct xfer *t, const uint8_t *owner, size_t olen,
		uint16_t type, uint32_t ttl, const uint8_t *rdata, size_t rdlen)
{
	if (t->failed)
		return false;
	size_t rel = olen - t->z->len; /* labels before the zone's */
	size_t need = rel + 2 + 10 + rdlen;
	if (t->len + need > t->limit || t->an == 0xffff) {
		if (t->an == 0 || !msg_send(t)) {
			t->failed = true;
			return false;
		}
		msg_begin(t, 0);
	}
	uint8_t *p = t->buf + 2 + t->len;
	memcpy(p, owner, rel);
	p += rel;
	dns_put16(p, 0xc000 | WIRE_HDR);
	dns_put16(p + 2, type);
	dns_put16(p + 4, C_IN);
	dns_put32(p + 6, ttl);
	dns_put16(p + 10, (uint16_t)rdlen);
	if (rdlen)
		memcpy(p + 12, rdata, rdlen);
	t->len += need;
	t->an++;
	t->records++;
	return true;
}

static bool put_soa_serial(struct xfer *t, const struct zver *v,
			   uint32_t serial)
{
	uint8_t soa[sizeof(v->soa)];
	memcpy(soa, v->soa, v->soa_len);
	soa_set_serial(soa, v->soa_len, serial);
	return put(t, t->z->name, t->z->len, T_SOA, t->x->c->ttl, soa,
		   v->soa_len);
}

static bool put_rrs(struct xfer *t, const struct rrs *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const uint8_t *p = r->data + r->off[i];
		size_t ol = name_len(p);
		if (!put(t, p, ol, dns_get16(p + ol), dns_get32(p + ol + 4),
			 p + ol + 10, dns_get16(p + ol + 8)))
			return false;
	}
	return true;
}

/* An answer without records (REFUSED, NOTAUTH, SERVFAIL), unsigned. */
static void refuse(struct xfer *t, int rcode)
{
	t->sign = false;
	msg_begin(t, rcode);
	t->buf[2 + 2] &= (uint8_t)~0x04; /* not AA */
	msg_send(t);
}

/* After the last message: no more writing; read what the secondary
 * still sends until it closes (bounded), so that closing does not reset
 * the connection before the last message is read. */
static void linger_close(struct xfer *t)
{
	shutdown(t->fd, SHUT_WR);
	double end = dfo_now() + 2;
	if (end < t->deadline)
		t->deadline = end;
	uint8_t junk[512];
	for (int i = 0; i < 64; i++) {
		ssize_t k = recv(t->fd, junk, sizeof(junk), MSG_DONTWAIT);
		if (k == 0 ||
		    (k < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
			break;
		if (k < 0 && xwait(t, POLLIN) <= 0)
			break;
	}
	close(t->fd);
}

static void peer_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	const void *a =
		ss->ss_family == AF_INET
			? (const void *)&((const struct sockaddr_in *)ss)
				  ->sin_addr
			: (const void *)&((const struct sockaddr_in6 *)ss)
				  ->sin6_addr;
	if (!inet_ntop(ss->ss_family, a, out, (socklen_t)n))
		snprintf(out, n, "?");
}

/* Whether the peer may have the zone (transfer_allow, then transfer_key);
 * if not, said in the log and refused. */
static bool transfer_allowed(struct xfer *t, const char *kind, const char *who)
{
	const struct awsdns_conf *c = t->x->c;
	if (!nets_match(c->xallow, c->nxallow, (struct sockaddr *)&t->peer)) {
		dfo_log(DFO_LOG_NOTICE,
			"awsdns %s: %s of %s from %s refused "
			"(not in transfer_allow)",
			c->instance, kind, t->z->text, who);
		refuse(t, RC_REFUSED);
		return false;
	}
	if (c->xkey || t->wq.tsig) {
		struct dfo_tsig_seen seen;
		int rc = c->xkey && t->wq.tsig
				 ? dfo_tsig_verify(c->xkey, t->q, t->qlen, NULL,
						   0, (uint64_t)time(NULL), 0,
						   &seen)
				 : 0;
		if (rc != 1) {
			dfo_log(DFO_LOG_NOTICE,
				"awsdns %s: %s of %s from %s "
				"refused (%s)",
				c->instance, kind, t->z->text, who,
				!t->wq.tsig ? "not signed with transfer_key"
				: !c->xkey  ? "signed, and no transfer_key"
					    : "its TSIG does not verify");
			refuse(t, t->wq.tsig ? RC_NOTAUTH : RC_REFUSED);
			return false;
		}
		memcpy(t->mac, seen.mac, seen.maclen);
		t->maclen = seen.maclen;
		t->sign = true;
	}
	return true;
}

/* The zone's current version (a reference, NULL before the first load)
 * and, for an IXFR from `asked`, the changes since then in *dsp (*nd of
 * them, each referenced; none when the history does not reach back). */
static struct zver *transfer_version(struct xfer *t, bool ixfr, uint32_t asked,
				     struct zdiff ***dsp, size_t *nd)
{
	struct xfr *x = t->x;
	pthread_mutex_lock(&x->mu);
	struct zver *v = t->z->cur;
	if (v)
		atomic_fetch_add(&v->ref, 1);
	if (v && ixfr && serial_lt(asked, v->serial)) {
		size_t from = t->z->nhist;
		for (size_t k = 0; k < t->z->nhist; k++)
			if (t->z->hist[k]->from == asked)
				from = k;
		if (from < t->z->nhist &&
		    t->z->hist[t->z->nhist - 1]->to == v->serial &&
		    (*dsp = malloc((t->z->nhist - from) * sizeof(**dsp)))) {
			for (size_t k = from; k < t->z->nhist; k++) {
				(*dsp)[*nd] = t->z->hist[k];
				atomic_fetch_add(&(*dsp)[*nd]->ref, 1);
				(*nd)++;
			}
		}
	}
	pthread_mutex_unlock(&x->mu);
	return v;
}

/* The answer's records: SOA only when up to date, the changes, or the
 * whole zone; what was sent, for the log. */
static const char *transfer_put(struct xfer *t, const struct zver *v,
				struct zdiff **ds, size_t nd, bool ixfr,
				uint32_t asked)
{
	const char *how;
	if (ixfr && !serial_lt(asked, v->serial)) {
		how = "up to date";
		put_soa_serial(t, v, v->serial);
	} else if (nd > 0) {
		how = "incremental";
		put_soa_serial(t, v, v->serial);
		for (size_t k = 0; k < nd; k++) {
			put_soa_serial(t, v, ds[k]->from);
			put_rrs(t, &ds[k]->del);
			put_soa_serial(t, v, ds[k]->to);
			put_rrs(t, &ds[k]->add);
		}
		put_soa_serial(t, v, v->serial);
	} else {
		how = ixfr ? "whole (no history from that serial)" : "whole";
		put_soa_serial(t, v, v->serial);
		put_rrs(t, &v->rrs);
		put_soa_serial(t, v, v->serial);
	}
	return how;
}

/* One AXFR or IXFR request on t: parsed, allowed, answered, logged. */
static void transfer(struct xfer *t)
{
	struct xfr *x = t->x;
	const struct awsdns_conf *c = x->c;
	char who[INET6_ADDRSTRLEN];
	peer_text(&t->peer, who, sizeof(who));
	/* dfo_tsig_sign wants DFO_TSIG_MAXRR free after the message */
	t->limit = XFR_MSG_MAX - (c->xkey ? DFO_TSIG_MAXRR : 0);
	if (wire_parse(t->q, t->qlen, &t->wq) != WIRE_OK)
		return;
	const char *kind = t->wq.qtype == T_AXFR ? "AXFR" : "IXFR";
	t->z = NULL;
	for (size_t i = 0; i < x->nzones; i++)
		if (x->zones[i].len == t->wq.name_len &&
		    memcmp(x->zones[i].name, t->wq.name, t->wq.name_len) == 0)
			t->z = &x->zones[i];
	if (!t->z || t->wq.qclass != C_IN) {
		refuse(t, RC_NOTAUTH);
		return;
	}
	if (!transfer_allowed(t, kind, who))
		return;
	uint32_t asked = 0;
	bool ixfr = t->wq.qtype == T_IXFR;
	if (ixfr && xfr_ixfr_serial(t->q, t->qlen, &t->wq, &asked) < 0) {
		refuse(t, RC_FORMERR);
		return;
	}
	struct zdiff **ds = NULL;
	size_t nd = 0;
	struct zver *v = transfer_version(t, ixfr, asked, &ds, &nd);
	if (!v) {
		refuse(t, RC_SERVFAIL); /* not loaded yet */
		return;
	}
	double t0 = dfo_now();
	msg_begin(t, 0);
	const char *how = transfer_put(t, v, ds, nd, ixfr, asked);
	bool ok = !t->failed && msg_send(t);
	dfo_log(ok ? DFO_LOG_INFO : DFO_LOG_WARNING,
		"awsdns %s: %s of %s serial %u to %s%s: %s, %zu records, %u "
		"messages, %zu bytes, %.3f s%s",
		c->instance, kind, t->z->text, v->serial, who,
		t->sign ? " (TSIG)" : "", how, t->records, t->msgs, t->bytes,
		dfo_now() - t0,
		ok ? ""
		   : ": not finished (the secondary stalled or left, or "
		     "transfer_timeout)");
	for (size_t k = 0; k < nd; k++)
		zdiff_unref(ds[k]);
	free(ds);
	zver_unref(v);
}

static void *xfer_main(void *arg)
{
	struct xfer *t = arg;
	struct xfr *x = t->x;
	transfer(t);
	linger_close(t);
	free(t);
	pthread_mutex_lock(&x->mu);
	if (--x->active == 0)
		pthread_cond_broadcast(&x->idle);
	pthread_mutex_unlock(&x->mu);
	return NULL;
}

void xfr_take(struct xfr *x, int fd, const uint8_t *pkt, size_t len,
	      const struct sockaddr_storage *peer)
{
	struct xfer *t = NULL;
	pthread_mutex_lock(&x->mu);
	bool room = x->active < x->c->xfr_max;
	if (room)
		x->active++;
	pthread_mutex_unlock(&x->mu);
	if (room && len <= sizeof(((struct xfer *)0)->q))
		t = malloc(sizeof(*t));
	if (t) {
		memset(t, 0, offsetof(struct xfer, buf));
		t->x = x;
		t->fd = fd;
		t->deadline = dfo_now() + x->c->xfr_timeout;
		memcpy(t->q, pkt, len);
		t->qlen = len;
		t->peer = *peer;
		pthread_attr_t at;
		pthread_t tid;
		pthread_attr_init(&at);
		pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&tid, &at, xfer_main, t);
		pthread_attr_destroy(&at);
		if (rc == 0)
			return;
		free(t);
	}
	if (room) {
		pthread_mutex_lock(&x->mu);
		if (--x->active == 0)
			pthread_cond_broadcast(&x->idle);
		pthread_mutex_unlock(&x->mu);
	}
	/* too many at once: REFUSED, best effort, and closed */
	dfo_log(DFO_LOG_NOTICE,
		"awsdns %s: a transfer refused: %u running "
		"(transfer_max)",
		x->c->instance, x->c->xfr_max);
	uint8_t m[2 + WIRE_HDR];
	if (len >= WIRE_HDR) {
		dns_put16(m, WIRE_HDR);
		memcpy(m + 2, pkt, 4);
		m[4] = 0x80;
		m[5] = RC_REFUSED;
		memset(m + 6, 0, 8);
		if (send(fd, m, sizeof(m), MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
			dfo_log(DFO_LOG_DEBUG, "awsdns: send: %s",
				strerror(errno));
	}
	close(fd);
}

/* ---- NOTIFY ---- */

static uint16_t random_id(void)
{
	uint16_t id;
	if (getrandom(&id, sizeof(id), 0) != sizeof(id))
		id = (uint16_t)(dfo_now() * 1e6);
	return id;
}

static void target_text(const struct sockaddr_storage *ss, char *out, size_t n)
{
	char a[INET6_ADDRSTRLEN];
	peer_text(ss, a, sizeof(a));
	unsigned port =
		ntohs(ss->ss_family == AF_INET
			      ? ((const struct sockaddr_in *)ss)->sin_port
			      : ((const struct sockaddr_in6 *)ss)->sin6_port);
	snprintf(out, n, ss->ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u", a,
		 port);
}

/* Send notice n (zone zi, target ti); called with mu held. */
static void notify_send(struct xfr *x, size_t zi, size_t ti, struct notice *n,
			double now)
{
	const struct awsdns_conf *c = x->c;
	const struct zone *z = &x->zones[zi];
	const struct zver *v = z->cur;
	uint8_t m[512 + DFO_TSIG_MAXRR];
	size_t len = 0;
	n->id = random_id();
	dns_put16(m, n->id);
	m[2] = (uint8_t)(4 << 3) | 0x04; /* NOTIFY, AA */
	m[3] = 0;
	dns_put16(m + 4, 1);
	dns_put16(m + 6, v ? 1 : 0);
	dns_put16(m + 8, 0);
	dns_put16(m + 10, 0);
	len = WIRE_HDR;
	memcpy(m + len, z->name, z->len);
	len += z->len;
	dns_put16(m + len, T_SOA);
	dns_put16(m + len + 2, C_IN);
	len += 4;
	if (v && len + 12 + v->soa_len <= 512) { /* the SOA: a hint */
		dns_put16(m + len, 0xc000 | WIRE_HDR);
		dns_put16(m + len + 2, T_SOA);
		dns_put16(m + len + 4, C_IN);
		dns_put32(m + len + 6, c->ttl);
		dns_put16(m + len + 10, (uint16_t)v->soa_len);
		memcpy(m + len + 12, v->soa, v->soa_len);
		soa_set_serial(m + len + 12, v->soa_len, n->serial);
		len += 12 + v->soa_len;
	} else {
		dns_put16(m + 6, 0);
	}
	n->maclen = 0;
	if (c->xkey &&
	    dfo_tsig_sign(c->xkey, m, &len, sizeof(m), NULL, 0,
			  (uint64_t)time(NULL), 0, n->mac, &n->maclen) < 0)
		return;
	const struct sockaddr_storage *to = &c->notify[ti];
	int s = x->sock[to->ss_family == AF_INET6];
	if (sendto(s, m, len, MSG_DONTWAIT, (const struct sockaddr *)to,
		   c->notify_len[ti]) < 0)
		dfo_log(DFO_LOG_DEBUG, "awsdns %s: NOTIFY: sendto: %s",
			c->instance, strerror(errno));
	n->tries++;
	n->next = now + (double)(1u << (n->tries - 1));
}

static bool same_addr(const struct sockaddr_storage *a,
		      const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a,
					 *y = (const void *)b;
		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return x->sin6_port == y->sin6_port &&
	       memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0;
}

/* An answer on socket s: which notice, and is it good. */
static void notify_read(struct xfr *x, int s)
{
	const struct awsdns_conf *c = x->c;
	for (int k = 0; k < 64; k++) {
		uint8_t m[4096];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t len = recvfrom(s, m, sizeof(m), MSG_DONTWAIT,
				       (struct sockaddr *)&from, &fl);
		if (len < 0)
			return;
		pthread_mutex_lock(&x->mu);
		for (size_t zi = 0; zi < x->nzones; zi++)
			for (size_t ti = 0; ti < c->nnotify; ti++) {
				struct notice *n = &x->nt[zi * c->nnotify + ti];
				int rcode;
				if (!n->pending || n->tries == 0 ||
				    !same_addr(&from, &c->notify[ti]) ||
				    xfr_notify_answer(m, (size_t)len, n->id,
						      x->zones[zi].name,
						      x->zones[zi].len,
						      &rcode) < 0)
					continue;
				char to[INET6_ADDRSTRLEN + 10];
				target_text(&c->notify[ti], to, sizeof(to));
				if (c->xkey) {
					struct dfo_tsig_seen seen;
					if (dfo_tsig_verify(
						    c->xkey, m, (size_t)len,
						    n->mac, n->maclen,
						    (uint64_t)time(NULL), 0,
						    &seen) != 1) {
						dfo_log(DFO_LOG_WARNING,
							"awsdns %s: NOTIFY of "
							"%s "
							"to %s: the answer is "
							"not "
							"signed with "
							"transfer_key "
							"(ignored)",
							c->instance,
							x->zones[zi].text, to);
						continue;
					}
				}
				n->pending = false;
				dfo_log(rcode ? DFO_LOG_WARNING : DFO_LOG_INFO,
					"awsdns %s: NOTIFY of %s serial %u to "
					"%s: %s",
					c->instance, x->zones[zi].text,
					n->serial, to,
					rcode == 0	      ? "acknowledged"
					: rcode == RC_NOTAUTH ? "NOTAUTH (key?)"
					: rcode == RC_REFUSED ? "REFUSED"
							      : "an error");
			}
		pthread_mutex_unlock(&x->mu);
	}
}

static void *notify_main(void *arg)
{
	struct xfr *x = arg;
	const struct awsdns_conf *c = x->c;
	for (;;) {
		double now = dfo_now(), next = -1;
		pthread_mutex_lock(&x->mu);
		for (size_t zi = 0; zi < x->nzones; zi++)
			for (size_t ti = 0; ti < c->nnotify; ti++) {
				struct notice *n = &x->nt[zi * c->nnotify + ti];
				if (!n->pending || x->hold)
					continue;
				if (n->next <= now) {
					if (n->tries >= NOTIFY_TRIES) {
						char to[INET6_ADDRSTRLEN + 10];
						target_text(&c->notify[ti], to,
							    sizeof(to));
						dfo_log(DFO_LOG_WARNING,
							"awsdns %s: NOTIFY of "
							"%s "
							"serial %u to %s: no "
							"answer after %d "
							"tries, "
							"given up",
							c->instance,
							x->zones[zi].text,
							n->serial, to,
							NOTIFY_TRIES);
						n->pending = false;
						continue;
					}
					notify_send(x, zi, ti, n, now);
				}
				if (next < 0 || n->next < next)
					next = n->next;
			}
		pthread_mutex_unlock(&x->mu);
		struct pollfd p[4] = {{.fd = x->quit_fd, .events = POLLIN},
				      {.fd = x->wake_fd, .events = POLLIN},
				      {.fd = x->sock[0], .events = POLLIN},
				      {.fd = x->sock[1], .events = POLLIN}};
		int ms = next < 0 ? 1000 : (int)((next - now) * 1000) + 1;
		if (ms > 1000)
			ms = 1000;
		int r = poll(p, 4, ms < 0 ? 0 : ms);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && p[0].revents)
			break;
		if (r > 0 && p[1].revents) {
			uint64_t v;
			if (read(x->wake_fd, &v, sizeof(v)) < 0)
				dfo_log(DFO_LOG_DEBUG, "awsdns: eventfd: %s",
					strerror(errno));
		}
		for (int k = 0; k < 2; k++)
			if (r > 0 && p[2 + k].revents)
				notify_read(x, x->sock[k]);
	}
	return NULL;
}
