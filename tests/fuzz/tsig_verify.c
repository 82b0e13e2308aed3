/*
 * Fuzz target for the core's TSIG (src/lib/tsig.c, included so that its
 * static walk is reached): the walk that finds a message's TSIG record
 * (tsig_find, name_read) and its verification; and, for every message
 * that has no TSIG, a signature made by dfo_tsig_sign that
 * dfo_tsig_verify must accept (as a request, an answer to it, and a
 * later message of a transfer), and that fails once the message changes.
 *
 * Input: as tests/fuzz/dns_rfc2136_answer.c, whose corpus it replays:
 * byte 0 (flags, unused here), byte 1: the length N of a prior MAC, then
 * N bytes of it; the rest is the message.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tsig.c"

#define FUZZ_SECRET "c2VjcmV0LW9mLXRoZS1mdXp6LXRhcmdldC0wMTIzNDU2Nzg5"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Sign msg (no TSIG in it) and check that the signature verifies. */
static void roundtrip(const struct dfo_tsig_key *key, const uint8_t *msg,
		      size_t len, const uint8_t *prior, size_t priorlen,
		      unsigned flags)
{
	size_t cap = len + DFO_TSIG_MAXRR;
	uint8_t *buf = malloc(cap);
	if (!buf)
		abort();
	memcpy(buf, msg, len);
	size_t n = len, maclen = 0;
	uint8_t mac[DFO_TSIG_MAXMAC];
	if (dfo_tsig_sign(key, buf, &n, cap, prior, priorlen, 1700000000, flags,
			  mac, &maclen) < 0 ||
	    n <= len || n > cap || maclen != 32)
		abort();
	struct dfo_tsig_seen seen;
	/* An ARCOUNT that wrapped to 0 leaves the TSIG uncounted. */
	int want = get16(buf + 10) == 0 ? -EBADMSG : 1;
	int rc = dfo_tsig_verify(key, buf, n, prior, priorlen, 1700000100,
				 flags, &seen);
	if (rc != want && !(want == 1 && rc == -EBADMSG))
		abort();
	if (rc == 1) {
		if (seen.off != len || seen.maclen != maclen ||
		    memcmp(seen.mac, mac, maclen))
			abort();
		buf[2] ^= 0x01; /* a flag flipped: no longer verifies */
		if (dfo_tsig_verify(key, buf, n, prior, priorlen, 1700000100,
				    flags, &seen) != -EACCES ||
		    seen.verdict != DFO_TSIG_BADSIG)
			abort();
		buf[2] ^= 0x01;
		if (dfo_tsig_verify(key, buf, n, prior, priorlen, 1700001000,
				    flags, &seen) != -EACCES ||
		    seen.verdict != DFO_TSIG_BADTIME)
			abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || (size_t)data[1] + 2 > size)
		return 0;
	const uint8_t *prior = data + 2;
	size_t priorlen = data[1];
	const uint8_t *msg = prior + priorlen;
	size_t len = size - 2 - priorlen;

	static struct dfo_tsig_key *key;
	if (!key && dfo_tsig_key_new("dfo-key", "hmac-sha256", FUZZ_SECRET,
				     &key, NULL) < 0)
		abort();

	/* The walk alone: a found TSIG lies inside the message. */
	struct tsig_rr t;
	int found = tsig_find(msg, len, &t);
	if (found == 1) {
		if (t.off >= len || t.mac < msg ||
		    t.mac + t.maclen > msg + len ||
		    t.other + t.otherlen > msg + len || t.ownerlen > 255 ||
		    t.alglen > 255)
			abort();
	} else if (found != 0 && found != -EBADMSG) {
		abort();
	}
	struct dfo_tsig_seen seen;
	int rc = dfo_tsig_verify(key, msg, len, prior, priorlen,
				 found == 1 ? t.time : 0, 0, &seen);
	if (found <= 0 ? rc != found
		       : rc != 1 && !(rc == -EACCES && seen.verdict))
		abort();
	if (memchr(seen.key_name, '\0', sizeof(seen.key_name)) == NULL)
		abort();
	if (found == 0 && priorlen <= DFO_TSIG_MAXMAC) {
		roundtrip(key, msg, len, NULL, 0, 0);
		roundtrip(key, msg, len, prior, priorlen, 0);
		roundtrip(key, msg, len, prior, priorlen, DFO_TSIG_TIMERS_ONLY);
	}
	return 0;
}

#define FUZZ_CORPUS "dns_rfc2136"
#include "replay.h"
