/*
 * Fuzz target for what secondaries send to awsdns as a primary
 * (plugins/responder/awsdns/xfr.c, included with the index and the wire
 * code): an IXFR request's SOA (xfr_ixfr_serial), the answer to a NOTIFY
 * (xfr_notify_answer), and a query signed with the transfer key, answered
 * from a small index with two served zones and signed
 * (xfr_signed_query).  An input without a TSIG is signed here first, so
 * that the answering path is reached with every query.
 *
 * Invariants (abort() when broken): a serial is read only from an IXFR
 * with one authority record; a NOTIFY answer is only ever NOERROR when it
 * says 1; a signed answer fits its limit, has QR set, echoes the id, and
 * verifies with the key against the request's MAC.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "responder/awsdns/index.c"
#include "responder/awsdns/wire.c"
#include "responder/awsdns/xfr.c"

#include "awsdns_index.h"

#define FUZZ_SECRET "c2VjcmV0LW9mLXRoZS1mdXp6LXRhcmdldC0wMTIzNDU2Nzg5"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct awsdns_index *ix;
static struct awsdns_conf conf;
static struct xfr xx;

static void build(void)
{
	static const char *extra[] = {"tag:Class"};
	static const char *ns[] = {"ns1.example.net"};
	static const char *rz[] = {"10.in-addr.arpa",
				   "8.b.d.0.1.0.0.2.ip6.arpa"};
	struct index_conf c = {.forward = "tag:Name",
			       .reverse = "private_ip_address",
			       .extra = extra,
			       .nextra = 1,
			       .domain = "ec2.example.com",
			       .ttl = 60,
			       .soa = {.minimum = -1},
			       .ns = ns,
			       .nns = 1,
			       .rzones = rz,
			       .nrzones = 2};
	if (index_new(&ix, &c, NULL) < 0)
		abort();
	static char *v6[] = {"2001:db8::1"};
	struct dfo_aws_tag tags[] = {{"Name", "web-1"}, {"Class", "web"}};
	fuzz_add_instances(ix, &c, 40, 20, tags, v6, 1);
	if (index_seal(ix) < 0)
		abort();
	conf.instance = "fuzz";
	conf.ttl = 60;
	if (dfo_tsig_key_new("fuzz-key", "hmac-sha256", FUZZ_SECRET, &conf.xkey,
			     NULL) < 0)
		abort();
	xx.c = &conf;
}

static void signed_answer(uint8_t *buf, size_t len, size_t cap, size_t max,
			  const uint8_t *reqmac, size_t reqmaclen)
{
	struct wire_query q;
	if (wire_parse(buf, len, &q) != WIRE_OK || !q.tsig)
		return;
	uint16_t id = dns_id(buf);
	size_t n = xfr_signed_query(&xx, ix, buf, len, cap, max, &q);
	if (n == 0)
		return;
	if (n > max || n < WIRE_HDR || !(buf[2] & 0x80) || dns_id(buf) != id)
		abort();
	if (reqmac && (buf[3] & 0x0f) != RC_NOTAUTH) {
		struct dfo_tsig_seen seen;
		if (dfo_tsig_verify(conf.xkey, buf, n, reqmac, reqmaclen,
				    (uint64_t)time(NULL), 0, &seen) != 1)
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ix)
		build();
	/* as the answer to a NOTIFY of ec2.example.com */
	static const uint8_t zone[] = "\x03"
				      "ec2\x07"
				      "example\x03"
				      "com";
	int rcode = 0;
	int r = xfr_notify_answer(data, size, size >= 2 ? dns_get16(data) : 0,
				  zone, sizeof(zone), &rcode);
	if (r == 1 && rcode != 0)
		abort();
	/* as a request */
	struct wire_query q;
	if (wire_parse(data, size, &q) != WIRE_OK)
		return 0;
	uint32_t serial;
	if (xfr_ixfr_serial(data, size, &q, &serial) == 0 &&
	    (q.nscount != 1 || q.qtype != T_IXFR))
		abort();
	static uint8_t buf[65536 + DFO_TSIG_MAXRR];
	if (size > 65535)
		return 0;
	memcpy(buf, data, size);
	size_t len = size;
	if (q.tsig) { /* as it came: most do not verify */
		signed_answer(buf, len, sizeof(buf), 65535, NULL, 0);
		return 0;
	}
	uint8_t mac[DFO_TSIG_MAXMAC];
	size_t maclen;
	if (dfo_tsig_sign(conf.xkey, buf, &len, sizeof(buf), NULL, 0,
			  (uint64_t)time(NULL), 0, mac, &maclen) < 0)
		return 0;
	uint8_t *copy = malloc(len);
	if (!copy)
		abort();
	memcpy(copy, buf, len);
	size_t limits[] = {512, 1232, 65535};
	for (int i = 0; i < 3; i++) {
		memcpy(buf, copy, len);
		signed_answer(buf, len, sizeof(buf), limits[i], mac, maclen);
	}
	free(copy);
	return 0;
}

#define FUZZ_CORPUS "awsdns_xfr"
#include "replay.h"
