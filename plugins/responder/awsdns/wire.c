/*
 * awsdns wire format: a bounds-checked query parser and answer writer
 * (RFC 1035, EDNS0 of RFC 6891).  Every read of the packet is preceded
 * by a length check; names in the question must not be compressed (a
 * query has nothing to point back to), names elsewhere are skipped
 * without following pointers, so no input can loop.
 */
#include <string.h>

#include "awsdns.h"
#include "dnshdr.h"

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Skip a possibly compressed name at *off; never follows a pointer.
 * 0 or -1. */
static int name_skip(const uint8_t *pkt, size_t len, size_t *off)
{
	size_t o = *off, total = 0;
	for (;;) {
		if (o >= len)
			return -1;
		uint8_t l = pkt[o];
		if ((l & 0xc0) == 0xc0) {
			if (o + 2 > len)
				return -1;
			*off = o + 2;
			return 0;
		}
		if (l & 0xc0)
			return -1;
		o += 1 + (size_t)l;
		total += 1 + (size_t)l;
		if (total > WIRE_MAXNAME)
			return -1;
		if (l == 0) {
			*off = o;
			return 0;
		}
	}
}

enum wire_verdict wire_parse(const uint8_t *pkt, size_t len,
			     struct wire_query *q)
{
	q->qend = 0;
	q->edns = false;
	q->tsig = false;
	q->nscount = 0;
	q->do_bit = false;
	q->udp_size = WIRE_UDP_MIN;
	q->ra = false;
	q->name_len = 0;
	q->nlabels = 0;
	if (len < WIRE_HDR)
		return WIRE_DROP;
	q->id = dns_id(pkt);
	q->flags1 = pkt[2];
	if (dns_qr(pkt)) /* a response, never answered */
		return WIRE_DROP;
	if (dns_opcode(pkt) != DNS_OPCODE_QUERY)
		return WIRE_NOTIMP;
	uint16_t qd = dns_qdcount(pkt), an = dns_ancount(pkt),
		 ns = dns_nscount(pkt), ar = dns_arcount(pkt);
	if (qd != 1 || an != 0 || ns > 1)
		return WIRE_FORMERR;
	/* The question: an uncompressed name, type, class. */
	size_t o = WIRE_HDR, n = 0;
	for (;;) {
		if (o >= len)
			return WIRE_FORMERR;
		uint8_t l = pkt[o];
		if (l & 0xc0)
			return WIRE_FORMERR;
		if (n + 1 + l > WIRE_MAXNAME || o + 1 + l > len)
			return WIRE_FORMERR;
		if (l == 0) {
			q->name[n++] = 0;
			o++;
			break;
		}
		q->label_off[q->nlabels++] = (uint8_t)n;
		q->name[n++] = l;
		for (size_t i = 0; i < l; i++)
			q->name[n++] = lower(pkt[o + 1 + i]);
		o += 1 + (size_t)l;
	}
	q->name_len = n;
	if (o + 4 > len)
		return WIRE_FORMERR;
	q->qtype = dns_get16(pkt + o);
	q->qclass = dns_get16(pkt + o + 2);
	q->qend = o + 4;
	/* An authority record only in IXFR (its SOA, RFC 1995). */
	if (ns && q->qtype != T_IXFR)
		return WIRE_FORMERR;
	q->nscount = ns;
	/* The additional section: an OPT RR at most, a TSIG last; others
	 * are skipped. */
	o = q->qend;
	bool opt = false;
	for (unsigned i = 0; i < (unsigned)ns + ar; i++) {
		size_t name_at = o;
		if (name_skip(pkt, len, &o) < 0 || o + 10 > len)
			return WIRE_FORMERR;
		uint16_t type = dns_get16(pkt + o);
		uint16_t rdlen = dns_get16(pkt + o + 8);
		if (o + 10 + rdlen > len)
			return WIRE_FORMERR;
		if (i < ns) {
			o += 10 + (size_t)rdlen;
			continue;
		}
		if (type == T_TSIG)
			q->tsig = true;
		if (type == T_OPT) {
			/* one OPT, owned by the root */
			if (opt || pkt[name_at] != 0)
				return WIRE_FORMERR;
			opt = true;
			q->edns = true;
			const uint8_t *rr = pkt + name_at;
			uint16_t size = dns_opt_size(rr);
			/* at least 512 (RFC 6891 6.2.3), at most what our
			 * own OPT advertises */
			q->udp_size = size < WIRE_UDP_MIN   ? WIRE_UDP_MIN
				      : size > WIRE_UDP_MAX ? WIRE_UDP_MAX
							    : size;
			q->do_bit = dns_opt_do(rr);
			if (dns_opt_version(rr) != 0)
				return WIRE_BADVERS;
		}
		o += 10 + (size_t)rdlen;
	}
	return WIRE_OK;
}

bool wire_begin(struct wire_writer *w, uint8_t *buf, size_t cap, size_t max,
		const struct wire_query *q, const uint8_t *pkt)
{
	w->buf = buf;
	w->tc = false;
	w->edns = q->edns;
	memset(w->count, 0, sizeof(w->count));
	memset(w->sec_off, 0, sizeof(w->sec_off));
	size_t limit = max < cap ? max : cap;
	if (q->edns) {
		if (limit < WIRE_OPT_LEN)
			return false;
		limit -= WIRE_OPT_LEN;
	}
	w->limit = limit;
	if (q->qend == 0 || q->qend > limit)
		return false;
	if (buf != pkt)
		memcpy(buf, pkt, q->qend);
	w->len = q->qend;
	return true;
}

bool wire_put(struct wire_writer *w, int sec, const uint8_t *rrs, size_t len,
	      unsigned n)
{
	if (len > w->limit - w->len || w->count[sec] + n > 0xffff)
		return false;
	if (w->count[sec] == 0)
		w->sec_off[sec] = w->len;
	memcpy(w->buf + w->len, rrs, len);
	w->len += len;
	w->count[sec] = (uint16_t)(w->count[sec] + n);
	return true;
}

/* Whether section `sec` already holds the record (owner pointer, type,
 * class IN, rdata): every record the writer writes has a pointer for
 * its owner, so the records are walked from the section's start. */
static bool wire_has_rr(const struct wire_writer *w, int sec,
			const uint8_t head[6], const uint8_t *rdata,
			size_t rdlen)
{
	size_t o = w->sec_off[sec];
	for (unsigned i = 0; i < w->count[sec] && o + 12 <= w->len; i++) {
		const uint8_t *p = w->buf + o;
		size_t l = dns_get16(p + 10);
		if (l == rdlen && memcmp(p, head, 6) == 0 &&
		    memcmp(p + 12, rdata, rdlen) == 0)
			return true;
		o += 12 + l;
	}
	return false;
}

bool wire_put_rr(struct wire_writer *w, int sec, uint16_t owner_off,
		 uint16_t type, uint32_t ttl, const uint8_t *rdata,
		 size_t rdlen)
{
	if (rdlen > 0xffff)
		return false;
	uint8_t head[6];
	dns_put16(head, (uint16_t)(0xc000 | owner_off));
	dns_put16(head + 2, type);
	dns_put16(head + 4, 1); /* IN */
	if (w->count[sec] == 0)
		w->sec_off[sec] = w->len;
	else if (wire_has_rr(w, sec, head, rdata, rdlen))
		return true; /* RFC 2181 5: a set holds no duplicates */
	if (12 + rdlen > w->limit - w->len || w->count[sec] == 0xffff)
		return false;
	uint8_t *p = w->buf + w->len;
	dns_put16(p, (uint16_t)(0xc000 | owner_off));
	dns_put16(p + 2, type);
	dns_put16(p + 4, 1); /* IN */
	dns_put32(p + 6, ttl);
	dns_put16(p + 10, (uint16_t)rdlen);
	memcpy(p + 12, rdata, rdlen);
	w->len += 12 + rdlen;
	w->count[sec]++;
	return true;
}

void wire_mark(const struct wire_writer *w, struct wire_mark *m)
{
	m->len = w->len;
	memcpy(m->count, w->count, sizeof(m->count));
}

void wire_rollback(struct wire_writer *w, const struct wire_mark *m)
{
	w->len = m->len;
	memcpy(w->count, m->count, sizeof(w->count));
}

void wire_truncate(struct wire_writer *w)
{
	/* Keep the question only: the client asks again over TCP. */
	size_t qend = w->len;
	for (int s = 0; s < 3; s++)
		w->count[s] = 0;
	(void)qend;
	w->tc = true;
}

size_t wire_finish(struct wire_writer *w, const struct wire_query *q, int rcode,
		   bool aa)
{
	uint8_t *b = w->buf;
	if (w->tc)
		w->len = q->qend;
	/* QR, opcode 0, AA, TC, RD copied; RA if recursion is offered;
	 * rcode (low 4 bits). */
	b[2] = (uint8_t)(DNS_FLAG_QR | (q->flags1 & DNS_FLAG_RD));
	dns_flag2(b, DNS_FLAG_AA, aa);
	dns_flag2(b, DNS_FLAG_TC, w->tc);
	b[3] = 0;
	dns_flag3(b, DNS_FLAG_RA, q->ra);
	dns_set_rcode(b, (unsigned)rcode);
	dns_set_qdcount(b, 1);
	dns_set_ancount(b, w->count[SEC_AN]);
	dns_set_nscount(b, w->count[SEC_NS]);
	uint16_t ar = w->count[SEC_AR];
	if (w->edns) {
		/* DO echoed (RFC 3225 3) */
		dns_opt_write(b + w->len, WIRE_UDP_MAX, (unsigned)rcode,
			      q->do_bit);
		w->len += WIRE_OPT_LEN;
		ar++;
	}
	dns_set_arcount(b, ar);
	return w->len;
}

size_t wire_error(uint8_t *buf, size_t cap, const uint8_t *pkt, size_t len,
		  const struct wire_query *q, int rcode)
{
	if (len < WIRE_HDR || cap < WIRE_HDR + WIRE_OPT_LEN)
		return 0;
	/* read before buf (which may be pkt) is written: RFC 1035 4.1.1
	 * has the opcode copied into the answer */
	unsigned opcode = dns_opcode(pkt);
	struct wire_writer w;
	struct wire_query copy = *q;
	if (rcode == RC_BADVERS && !copy.edns)
		rcode = RC_FORMERR;
	if (copy.qend == 0 || copy.qend > cap - WIRE_OPT_LEN) {
		/* the header alone, no question */
		copy.qend = WIRE_HDR;
		if (buf != pkt)
			memcpy(buf, pkt, WIRE_HDR);
		w.buf = buf;
		w.len = WIRE_HDR;
		w.limit = cap - WIRE_OPT_LEN;
		w.tc = false;
		w.edns = copy.edns;
		memset(w.count, 0, sizeof(w.count));
		memset(w.sec_off, 0, sizeof(w.sec_off));
		size_t n = wire_finish(&w, &copy, rcode, false);
		dns_set_qdcount(buf, 0);
		dns_set_opcode(buf, opcode);
		return n;
	}
	if (!wire_begin(&w, buf, cap, cap, &copy, pkt))
		return 0;
	size_t n = wire_finish(&w, &copy, rcode, false);
	dns_set_opcode(buf, opcode);
	return n;
}

int wire_name_from_text(const char *text, uint8_t *out, size_t cap)
{
	size_t n = 0, tl = strlen(text);
	if (tl > 0 && text[tl - 1] == '.')
		tl--;
	size_t i = 0;
	while (i < tl) {
		size_t j = i;
		while (j < tl && text[j] != '.')
			j++;
		size_t l = j - i;
		if (l == 0 || l > 63 || n + 1 + l + 1 > WIRE_MAXNAME ||
		    n + 1 + l + 1 > cap)
			return -EINVAL;
		out[n++] = (uint8_t)l;
		for (size_t k = 0; k < l; k++)
			out[n++] = lower((uint8_t)text[i + k]);
		i = j + 1;
		if (j < tl && i == tl) /* "a..": empty last label */
			return -EINVAL;
	}
	if (n + 1 > cap)
		return -EINVAL;
	out[n++] = 0;
	return (int)n;
}

unsigned wire_name_labels(const uint8_t *name)
{
	unsigned n = 0;
	while (*name) {
		n++;
		name += 1 + *name;
	}
	return n;
}

/* Compare the uncompressed name at pkt+off with the lower-cased wire name
 * `name`, case-insensitively; 0 if equal. */
static int name_eq_at(const uint8_t *pkt, size_t len, size_t off,
		      const uint8_t *name, size_t name_len)
{
	if (off + name_len > len)
		return -1;
	for (size_t i = 0; i < name_len; i++)
		if (lower(pkt[off + i]) != name[i])
			return -1;
	return 0;
}

int wire_answer_scan(const uint8_t *pkt, size_t len, const struct wire_query *q,
		     struct wire_answer_info *ai)
{
	memset(ai, 0, sizeof(*ai));
	if (len < WIRE_HDR || dns_id(pkt) != q->id || !dns_qr(pkt))
		return -EINVAL;
	if (dns_qdcount(pkt) != 1)
		return -EINVAL;
	ai->rcode = (int)dns_rcode(pkt);
	ai->tc = dns_tc(pkt);
	/* The question must be ours (as sent: same case-folded name). */
	if (name_eq_at(pkt, len, WIRE_HDR, q->name, q->name_len) < 0)
		return -EINVAL;
	size_t o = WIRE_HDR + q->name_len;
	if (o + 4 > len || dns_get16(pkt + o) != q->qtype ||
	    dns_get16(pkt + o + 2) != q->qclass)
		return -EINVAL;
	o += 4;
	uint16_t an = dns_ancount(pkt), ns = dns_nscount(pkt),
		 ar = dns_arcount(pkt);
	ai->ancount = an;
	uint32_t min = UINT32_MAX;
	unsigned total = (unsigned)an + ns + ar;
	for (unsigned i = 0; i < total; i++) {
		size_t rr = o;
		if (name_skip(pkt, len, &o) < 0 || o + 10 > len)
			return -EINVAL;
		uint16_t type = dns_get16(pkt + o);
		uint32_t ttl = dns_get32(pkt + o + 4);
		uint16_t rdlen = dns_get16(pkt + o + 8);
		if (o + 10 + rdlen > len)
			return -EINVAL;
		if (type == T_OPT) {
			/* must be the last record: dropped by the cache */
			if (i + 1 != total || i < (unsigned)an + ns)
				return -EINVAL;
			ai->opt_off = rr;
			/* an extended rcode from upstream: not ours to cache */
			/* (o is past the owner: the accessors count from a
			 * one-byte root owner) */
			if (dns_opt_ercode(pkt + o - 1) != 0)
				ai->rcode = RC_SERVFAIL;
			o += 10 + (size_t)rdlen;
			break;
		}
		if (ttl > 0x7fffffff)
			ttl = 0;
		if (i < an) {
			if (type == q->qtype || type == T_CNAME ||
			    q->qtype == T_ANY)
				ai->has_answer_of_qtype = true;
			if (ttl < min)
				min = ttl;
		} else if (i < (unsigned)an + ns && type == T_SOA) {
			ai->has_soa = true;
			/* RFC 2308: min(SOA TTL, SOA MINIMUM) */
			if (rdlen >= 22 && o + 10 + rdlen <= len) {
				uint32_t minimum =
					dns_get32(pkt + o + 10 + rdlen - 4);
				uint32_t neg = ttl < minimum ? ttl : minimum;
				if (an == 0 && neg < min)
					min = neg;
			}
			if (an != 0 && ttl < min)
				min = ttl;
		} else if (ttl < min) {
			min = ttl;
		}
		if (ai->nttl < WIRE_MAX_TTLS)
			ai->ttl_off[ai->nttl] = (uint16_t)(o + 4);
		ai->nttl++;
		o += 10 + (size_t)rdlen;
	}
	ai->min_ttl = min == UINT32_MAX ? 0 : min;
	return 0;
}
