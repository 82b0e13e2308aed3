/*
 * awsdns upstream answers: the cache (one per thread, so never locked)
 * and the relaying of an answer to the client that asked.
 *
 * The cache is shared by the workers (a client's queries may reach any
 * of them), in shards of their own lock.  It keeps what upstream said for
 * (name, type, class): positive answers for their smallest TTL, NXDOMAIN and
 * NODATA for min(SOA TTL, SOA MINIMUM) as RFC 2308 asks (not at all without a
 * SOA), never SERVFAIL, truncated or malformed answers.  Answers are stored
 * without their OPT RR; on a hit the TTLs are aged by the time spent in the
 * cache.  It is bounded in entries and in bytes: a slot taken by another
 * name is overwritten (direct mapped, two ways), an answer that would
 * pass the byte bound is not kept.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "awsdns.h"
#include "dnshdr.h"

#define CACHE_MAX_TTL 86400u
#define CACHE_WAYS    2
#define CACHE_SHARDS  16

struct centry {
	uint32_t hash;
	uint16_t qtype, qclass;
	uint8_t name[WIRE_MAXNAME + 1];
	uint16_t name_len;
	double stored, expires;
	int rcode;
	bool nodata;
	uint8_t *pkt;
	uint16_t len;
	uint16_t nttl;
	uint16_t ttl_off[WIRE_MAX_TTLS];
	uint32_t ttl[WIRE_MAX_TTLS];
};

struct shard {
	pthread_mutex_t lock;
	struct centry *e;
	size_t nslots; /* power of two, a multiple of CACHE_WAYS */
	size_t count;
	size_t bytes, max_bytes;
};

struct cache {
	struct shard s[CACHE_SHARDS];
};

static uint32_t key_hash(const struct wire_query *q)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < q->name_len; i++) {
		h ^= q->name[i];
		h *= 16777619u;
	}
	h ^= q->qtype;
	h *= 16777619u;
	h ^= q->qclass;
	h *= 16777619u;
	return h;
}

struct cache *cache_new(size_t max_entries, size_t max_bytes)
{
	struct cache *cc = calloc(1, sizeof(*cc));
	if (!cc)
		return NULL;
	size_t n = CACHE_WAYS;
	while (n * CACHE_SHARDS < max_entries)
		n *= 2;
	for (int i = 0; i < CACHE_SHARDS; i++) {
		struct shard *c = &cc->s[i];
		pthread_mutex_init(&c->lock, NULL);
		c->e = calloc(n, sizeof(*c->e));
		c->nslots = n;
		c->max_bytes = max_bytes / CACHE_SHARDS;
		if (!c->e) {
			cache_free(cc);
			return NULL;
		}
	}
	return cc;
}

static void entry_drop(struct shard *c, struct centry *e)
{
	if (!e->pkt)
		return;
	c->bytes -= e->len;
	c->count--;
	free(e->pkt);
	e->pkt = NULL;
}

void cache_free(struct cache *cc)
{
	if (!cc)
		return;
	for (int k = 0; k < CACHE_SHARDS; k++) {
		struct shard *c = &cc->s[k];
		for (size_t i = 0; c->e && i < c->nslots; i++)
			free(c->e[i].pkt);
		free(c->e);
		pthread_mutex_destroy(&c->lock);
	}
	free(cc);
}

size_t cache_count(struct cache *cc)
{
	size_t n = 0;
	for (int k = 0; cc && k < CACHE_SHARDS; k++) {
		pthread_mutex_lock(&cc->s[k].lock);
		n += cc->s[k].count;
		pthread_mutex_unlock(&cc->s[k].lock);
	}
	return n;
}

static bool entry_is(const struct centry *e, uint32_t h,
		     const struct wire_query *q)
{
	return e->pkt && e->hash == h && e->qtype == q->qtype &&
	       e->qclass == q->qclass && e->name_len == q->name_len &&
	       memcmp(e->name, q->name, q->name_len) == 0;
}

static void shard_put(struct shard *c, uint32_t h, const struct wire_query *q,
		      const uint8_t *pkt, size_t keep,
		      const struct wire_answer_info *ai, uint32_t ttl,
		      bool nodata, double now);

void cache_put(struct cache *cc, const struct wire_query *q, const uint8_t *pkt,
	       size_t len, const struct wire_answer_info *ai, double now)
{
	if (ai->tc || ai->nttl > WIRE_MAX_TTLS)
		return;
	bool nodata = false;
	if (ai->rcode == RC_NXDOMAIN ||
	    (ai->rcode == RC_NOERROR && !ai->has_answer_of_qtype)) {
		if (!ai->has_soa) /* RFC 2308 section 5: no SOA, no cache */
			return;
		nodata = ai->rcode == RC_NOERROR;
	} else if (ai->rcode != RC_NOERROR) {
		return;
	}
	uint32_t ttl =
		ai->min_ttl > CACHE_MAX_TTL ? CACHE_MAX_TTL : ai->min_ttl;
	if (ttl == 0)
		return;
	size_t keep = ai->opt_off ? ai->opt_off : len;
	if (keep > 0xffff)
		return;
	uint32_t h = key_hash(q);
	struct shard *c = &cc->s[h >> 28];
	pthread_mutex_lock(&c->lock);
	shard_put(c, h, q, pkt, keep, ai, ttl, nodata, now);
	pthread_mutex_unlock(&c->lock);
}

static void shard_put(struct shard *c, uint32_t h, const struct wire_query *q,
		      const uint8_t *pkt, size_t keep,
		      const struct wire_answer_info *ai, uint32_t ttl,
		      bool nodata, double now)
{
	size_t base = (h & (c->nslots - 1)) & ~(size_t)(CACHE_WAYS - 1);
	/* the same key, else a free way, else the one expiring first */
	struct centry *e = NULL;
	for (size_t i = 0; i < CACHE_WAYS && !e; i++)
		if (entry_is(&c->e[base + i], h, q))
			e = &c->e[base + i];
	for (size_t i = 0; i < CACHE_WAYS && !e; i++)
		if (!c->e[base + i].pkt)
			e = &c->e[base + i];
	if (!e) {
		e = &c->e[base];
		for (size_t i = 1; i < CACHE_WAYS; i++)
			if (c->e[base + i].expires < e->expires)
				e = &c->e[base + i];
	}
	entry_drop(c, e);
	if (c->bytes + keep > c->max_bytes)
		return;
	e->pkt = malloc(keep);
	if (!e->pkt)
		return;
	memcpy(e->pkt, pkt, keep);
	if (ai->opt_off) { /* the OPT RR was the last additional record */
		dns_set_arcount(e->pkt, (uint16_t)(dns_arcount(e->pkt) - 1));
	}
	e->len = (uint16_t)keep;
	e->hash = h;
	e->qtype = q->qtype;
	e->qclass = q->qclass;
	memcpy(e->name, q->name, q->name_len);
	e->name_len = (uint16_t)q->name_len;
	e->stored = now;
	e->expires = now + ttl;
	e->rcode = ai->rcode;
	e->nodata = nodata;
	e->nttl = 0;
	for (unsigned i = 0; i < ai->nttl; i++) {
		uint16_t o = ai->ttl_off[i];
		if (o + 4u > keep)
			continue;
		e->ttl_off[e->nttl] = o;
		e->ttl[e->nttl++] = dns_get32(e->pkt + o);
	}
	c->bytes += keep;
	c->count++;
}

static size_t shard_get(struct shard *c, uint32_t h, const struct wire_query *q,
			const uint8_t *qpkt, uint8_t *buf, size_t cap,
			double now, int *rcode, bool *nodata);

size_t cache_get(struct cache *cc, const struct wire_query *q,
		 const uint8_t *qpkt, uint8_t *buf, size_t cap, double now,
		 int *rcode, bool *nodata)
{
	uint32_t h = key_hash(q);
	struct shard *c = &cc->s[h >> 28];
	pthread_mutex_lock(&c->lock);
	size_t n = shard_get(c, h, q, qpkt, buf, cap, now, rcode, nodata);
	pthread_mutex_unlock(&c->lock);
	return n;
}

static size_t shard_get(struct shard *c, uint32_t h, const struct wire_query *q,
			const uint8_t *qpkt, uint8_t *buf, size_t cap,
			double now, int *rcode, bool *nodata)
{
	size_t base = (h & (c->nslots - 1)) & ~(size_t)(CACHE_WAYS - 1);
	for (size_t i = 0; i < CACHE_WAYS; i++) {
		struct centry *e = &c->e[base + i];
		if (!entry_is(e, h, q))
			continue;
		if (now >= e->expires) {
			entry_drop(c, e);
			return 0;
		}
		if (e->len > cap || q->qend > e->len)
			return 0;
		memcpy(buf, e->pkt, e->len);
		/* the client's id and question (its case) */
		dns_set_id(buf, q->id);
		memcpy(buf + WIRE_HDR, qpkt + WIRE_HDR, q->qend - WIRE_HDR);
		dns_flag2(buf, DNS_FLAG_RD, q->flags1 & DNS_FLAG_RD);
		uint32_t age = (uint32_t)(now - e->stored);
		for (unsigned k = 0; k < e->nttl; k++) {
			uint32_t t = e->ttl[k] > age ? e->ttl[k] - age : 0;
			dns_put32(buf + e->ttl_off[k], t);
		}
		*rcode = e->rcode;
		*nodata = e->nodata;
		return e->len;
	}
	return 0;
}

size_t upstream_relay_fit(uint8_t *buf, size_t len, size_t cap, size_t max,
			  const struct wire_query *q)
{
	size_t room = (max < cap ? max : cap);
	if (q->edns)
		room -= WIRE_OPT_LEN;
	/* not ours: never authoritative; recursion is what we offer */
	dns_flag2(buf, DNS_FLAG_AA, false);
	dns_flag3(buf, DNS_FLAG_RA, true);
	if (len > room) {
		/* TC, the question only */
		len = q->qend;
		dns_flag2(buf, DNS_FLAG_TC, true);
		dns_set_ancount(buf, 0);
		dns_set_nscount(buf, 0);
		dns_set_arcount(buf, 0);
	}
	if (q->edns) {
		dns_opt_write(buf + len, WIRE_UDP_MAX, 0, q->do_bit);
		len += WIRE_OPT_LEN;
		dns_set_arcount(buf, (uint16_t)(dns_arcount(buf) + 1));
	}
	return len;
}
