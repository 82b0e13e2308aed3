/*
 * Wire-format micro-benchmark behind awsdns's choice of a hand-written
 * parser and writer: parse one query (A, with EDNS) and write its answer
 * (one A, two TXT in the additional section, OPT), 5 million times, with
 * plugins/responder/awsdns/wire.c and with libknot.  Not built by make:
 *
 *   cc -O2 -D_GNU_SOURCE -Iplugins/responder/awsdns -Iinclude \
 *      $(pkg-config --cflags libconfuse) bench/awsdns_wire.c \
 *      plugins/responder/awsdns/wire.c -o /tmp/wb \
 *      $(pkg-config --libs libknot) -Lb/.libs -ldnsfailover
 *   LD_LIBRARY_PATH=b/.libs /tmp/wb
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <libknot/libknot.h>
#include "awsdns.h"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void)
{
	uint8_t query[512];
	size_t qlen;
	{
		uint8_t *p = query;
		memcpy(p, "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01",
		       12);
		p += 12;
		memcpy(p,
		       "\x05web-1\x03"
		       "ec2\x04test\x00",
		       16);
		p += 16;
		memcpy(p, "\x00\x01\x00\x01", 4);
		p += 4;
		memcpy(p, "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00", 11);
		p += 11;
		qlen = p - query;
	}
	const long N = 5000000;
	uint8_t buf[4096];
	static const uint8_t a[4] = {10, 0, 1, 1};
	static const uint8_t t1[] = "\x0dtag:Class=web", t2[] = "\x08id=i-001";
	size_t total = 0;
	double t0 = now();
	for (long i = 0; i < N; i++) {
		memcpy(buf, query, qlen);
		struct wire_query q;
		if (wire_parse(buf, qlen, &q) != WIRE_OK)
			return 1;
		struct wire_writer w;
		wire_begin(&w, buf, sizeof(buf), q.udp_size, &q, buf);
		wire_put_rr(&w, SEC_AN, 12, T_A, 60, a, 4);
		wire_put_rr(&w, SEC_AR, 12, T_TXT, 60, t1, sizeof(t1) - 1);
		wire_put_rr(&w, SEC_AR, 12, T_TXT, 60, t2, sizeof(t2) - 1);
		total += wire_finish(&w, &q, 0, true);
	}
	double t_own = now() - t0;
	size_t own_len = total / N;

	knot_pkt_t *qp = knot_pkt_new(NULL, 4096, NULL);
	knot_pkt_t *rp = knot_pkt_new(NULL, 4096, NULL);
	knot_rrset_t ra, rt;
	knot_dname_t owner[32];
	memcpy(owner,
	       "\x05web-1\x03"
	       "ec2\x04test\x00",
	       16);
	knot_rrset_init(&ra, owner, KNOT_RRTYPE_A, KNOT_CLASS_IN, 60);
	knot_rrset_add_rdata(&ra, a, 4, NULL);
	knot_rrset_init(&rt, owner, KNOT_RRTYPE_TXT, KNOT_CLASS_IN, 60);
	knot_rrset_add_rdata(&rt, t1, sizeof(t1) - 1, NULL);
	knot_rrset_add_rdata(&rt, t2, sizeof(t2) - 1, NULL);
	knot_rrset_t opt;
	knot_edns_init(&opt, 1232, 0, 0, NULL);
	total = 0;
	t0 = now();
	for (long i = 0; i < N; i++) {
		memcpy(qp->wire, query, qlen);
		qp->size = qlen;
		if (knot_pkt_parse(qp, 0) != KNOT_EOK)
			return 2;
		knot_pkt_clear(rp);
		if (knot_pkt_init_response(rp, qp) != KNOT_EOK)
			return 3;
		knot_wire_set_aa(rp->wire);
		knot_pkt_begin(rp, KNOT_ANSWER);
		knot_pkt_put(rp, KNOT_COMPR_HINT_QNAME, &ra, 0);
		knot_pkt_begin(rp, KNOT_ADDITIONAL);
		knot_pkt_put(rp, KNOT_COMPR_HINT_QNAME, &rt, 0);
		knot_pkt_put(rp, KNOT_COMPR_HINT_NONE, &opt, 0);
		total += rp->size;
		knot_pkt_clear(qp);
	}
	double t_knot = now() - t0;
	printf("own wire.c: %.0f ns/query (%zu bytes)\nlibknot %s: %.0f "
	       "ns/query (%zu bytes)\n",
	       t_own / N * 1e9, own_len, "3.2", t_knot / N * 1e9, total / N);
	return 0;
}
