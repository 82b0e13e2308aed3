/*
 * Fuzz target for what dns "rfc2136" does with an answer from the
 * network (reached by including the plugin's sources,
 * plugins/dns/rfc2136/): the TSIG verification (the core's
 * dfo_tsig_verify, through tsig_check), then ldns's parse and the
 * extraction of the records (transport_answer, query_records,
 * query_txt_records).  The core's walk alone is fuzzed by
 * tests/fuzz/tsig_verify.c, on the same corpus.
 *
 * Input: byte 0 bit 0 set: a key is configured (hmac-sha256, the secret
 * below); byte 1: the length N of the request's MAC, then N bytes of it;
 * the rest is the answer.  The clock is taken from the answer's own TSIG,
 * so that a well signed answer reaches the end.  The corpus
 * (tests/fuzz/corpus/dns_rfc2136) was written by
 * tests/fuzz/dns_rfc2136_corpus.py with dnspython.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/rfc2136/provider.c"
#include "dns/rfc2136/query.c"
#include "dns/rfc2136/transport.c"
#include "dns/rfc2136/tsig.c"
#include "dns/rfc2136/update.c"

#define FUZZ_SECRET "c2VjcmV0LW9mLXRoZS1mdXp6LXRhcmdldC0wMTIzNDU2Nzg5"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || (size_t)data[1] + 2 > size)
		return 0;
	bool keyed = data[0] & 1;
	const uint8_t *reqmac = data + 2;
	unsigned reqmaclen = data[1];
	const uint8_t *ans = reqmac + reqmaclen;
	size_t len = size - 2 - reqmaclen;

	struct rfc r;
	memset(&r, 0, sizeof(r));
	snprintf(r.where, sizeof(r.where), "127.0.0.1:53");
	static struct dfo_tsig_key *key;
	if (!key && dfo_tsig_key_new("dfo-key", "hmac-sha256", FUZZ_SECRET,
				     &key, NULL) < 0)
		abort();
	if (keyed)
		r.key = key;

	/* The clock of a signed answer: its own. */
	struct dfo_tsig_seen t;
	time_t now = 0;
	int found = dfo_tsig_verify(key, ans, len, reqmac, reqmaclen, 0, 0, &t);
	if (found == 1 || found == -EACCES)
		now = (time_t)t.time;

	struct dfo_err err;
	dfo_err_clear(&err);
	ldns_pkt *p = NULL;
	unsigned rcode = 0;
	int rc = transport_answer(&r, ans, len, reqmac, reqmaclen, now, &p,
				  &rcode, &err);
	if (rc == 0) {
		if (!p)
			abort();
		/* A keyed answer taken as success was signed. */
		if (keyed &&
		    (rcode == LDNS_RCODE_NOERROR ||
		     rcode == LDNS_RCODE_NXDOMAIN) &&
		    found != 1 &&
		    !(found == -EACCES && t.verdict == DFO_TSIG_BADTIME))
			abort();
		ldns_rdf *name = NULL;
		if (ldns_str2rdf_dname(&name, "www.example.test") !=
		    LDNS_STATUS_OK)
			abort();
		for (int f = 0; f < 2; f++) {
			struct dfo_rrset set;
			dfo_rrset_init(&set, f ? AF_INET6 : AF_INET);
			int n = query_records(p, name, &set);
			if (n == 0 && set.count > ldns_pkt_ancount(p))
				abort();
			dfo_rrset_clear(&set);
		}
		struct dfo_txtset txt;
		dfo_txtset_init(&txt);
		if (query_txt_records(p, name, &txt) == 0)
			for (size_t i = 0; i < txt.count; i++)
				if (!dfo_txt_valid(txt.texts[i]))
					abort();
		if (txt.count > ldns_pkt_ancount(p))
			abort();
		dfo_txtset_clear(&txt);
		ldns_rdf_deep_free(name);
		ldns_pkt_free(p);
	} else if (p) {
		abort();
	}
	/* No message ever quotes the secret. */
	if (memchr(err.msg, '\0', sizeof(err.msg)) == NULL ||
	    strstr(err.msg, FUZZ_SECRET))
		abort();
	return 0;
}

#define FUZZ_CORPUS "dns_rfc2136"
#include "replay.h"
