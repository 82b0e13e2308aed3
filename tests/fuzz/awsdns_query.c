/*
 * Fuzz target for awsdns's wire format: the query parser, the error
 * answers, the index lookup and answer writer (against a small index of
 * a few instances and a Route 53 record set), and the upstream-answer
 * scanner of the cache, all reached by including the module's sources.
 * The input is one packet as a client (or an upstream) would send it.
 *
 * Invariants (abort() when broken): an answer never exceeds its buffer
 * or the size limit it was given; an answer has QR set and echoes the
 * query's id; a parsed question lies within the packet; the cache
 * returns nothing longer than it was given.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "responder/awsdns/index.c"
#include "responder/awsdns/upstream.c"
#include "responder/awsdns/wire.c"

#include "awsdns_index.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct awsdns_index *ix;

static void build(void)
{
	static const char *extra[] = {"tag:Class", "id"};
	struct index_conf c = {.forward = "tag:Name",
			       .reverse = "private_ip_address",
			       .extra = extra,
			       .nextra = 2,
			       .domain = "ec2.example.com",
			       .ttl = 60};
	if (index_new(&ix, &c, NULL) < 0)
		abort();
	static char *v6[] = {"2001:db8::1", "2001:db8::2"};
	struct dfo_aws_tag tags[] = {{"Name", "web-1"}, {"Class", "w=`b"}};
	fuzz_add_instances(ix, &c, 70, 200, tags, v6, 2);
	/* a name with empty non-terminals above it (b.c, c) */
	struct dfo_aws_tag deep[] = {{"Name", "a.b.c"}, {"Class", "w=`b"}};
	struct dfo_ec2_instance di = {.id = "i-deep",
				      .private_ip = "10.1.0.1",
				      .tags = deep,
				      .ntags = 2};
	if (index_add(ix, &c, &di) < 0)
		abort();
	const char *vals[] = {"10.9.0.1", "10.9.0.2"};
	const char *txt[] = {"\"a b\" \"c\\\"d\" \\065"};
	const char *mx[] = {"10 mail.corp.internal."};
	index_add_rrset(ix, "app.corp.internal.", "A", 30, vals, 2);
	index_add_rrset(ix, "app.corp.internal.", "TXT", 30, txt, 1);
	index_add_rrset(ix, "app.corp.internal.", "MX", 30, mx, 1);
	if (index_seal(ix) < 0)
		abort();
}

static void check_answer(const uint8_t *ans, size_t n, size_t limit,
			 const uint8_t *pkt)
{
	if (n == 0)
		return;
	if (n > limit || n < WIRE_HDR || !(ans[2] & 0x80) || ans[0] != pkt[0] ||
	    ans[1] != pkt[1])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ix)
		build();
	static uint8_t buf[65536];
	struct wire_query q;
	enum wire_verdict v = wire_parse(data, size, &q);
	if (q.qend > size || q.name_len > WIRE_MAXNAME + 1)
		abort();
	if (v != WIRE_OK) {
		if (v == WIRE_DROP)
			return 0;
		size_t n = wire_error(buf, 512, data, size, &q, RC_FORMERR);
		check_answer(buf, n, 512, data);
		return 0;
	}
	/* answers under three limits: plain UDP, the client's, TCP */
	size_t limits[] = {512, q.udp_size, 65535};
	for (int i = 0; i < 3; i++) {
		struct wire_writer w;
		if (!wire_begin(&w, buf, sizeof(buf), limits[i], &q, data))
			continue;
		bool auth;
		enum idx_result r = index_answer(ix, &q, &w, &auth);
		size_t n =
			wire_finish(&w, &q, r == IDX_NXDOMAIN ? RC_NXDOMAIN : 0,
				    r != IDX_NONE);
		check_answer(buf, n, limits[i], data);
	}
	/* the same bytes as an upstream's answer to this query */
	struct wire_answer_info ai;
	uint8_t *copy = malloc(size);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[2] |= 0x80;
	if (wire_answer_scan(copy, size, &q, &ai) == 0) {
		if (ai.opt_off > size)
			abort();
		struct cache *c = cache_new(4, 1 << 20);
		cache_put(c, &q, copy, size, &ai, 1.0);
		int rcode;
		bool nodata;
		size_t n = cache_get(c, &q, data, buf, sizeof(buf), 2.0, &rcode,
				     &nodata);
		if (n > size)
			abort();
		if (n)
			upstream_relay_fit(buf, n, sizeof(buf), 512, &q);
		cache_free(c);
	}
	free(copy);
	return 0;
}

#define FUZZ_CORPUS "awsdns_query"
#include "replay.h"
