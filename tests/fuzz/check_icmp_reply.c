/*
 * Fuzz target for the echo reply matcher of check "icmp" (ping_parse()
 * of plugins/check/icmp.c, reached by including its source): what a
 * read from the ICMP socket gave.  The first input byte picks the
 * session: bit 0 the family (IPv4, IPv6), bit 1 the socket (ping, raw;
 * a raw IPv4 socket gives the IP header too); the rest is the datagram.
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check/icmp.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t cookie[COOKIE_LEN] = {0xc0, 0x0c, 0x1e, 0x5e,
						   0xed, 0x01, 0x02, 0x03};
	if (size == 0)
		return 0;
	struct ping p = {
		.fd = -1,
		.family = data[0] & 1 ? AF_INET6 : AF_INET,
		.raw = data[0] & 2,
		.id = 0x1234,
	};
	memcpy(p.cookie, cookie, COOKIE_LEN);
	const uint8_t *pkt = data + 1;
	size_t len = size - 1;

	int seq = ping_parse(&p, pkt, len);
	if (seq < -1 || seq > 0xffff)
		abort();
	if (seq >= 0) {
		/* A match is an echo reply of ours, whole, after the IP
		 * header if the socket gives one. */
		size_t off = 0;
		if (p.family == AF_INET && p.raw)
			off = (size_t)(pkt[0] & 0x0f) * 4;
		if (off + ECHO_LEN > len ||
		    pkt[off] != (p.family == AF_INET ? ICMP_ECHOREPLY
						     : ICMP6_ECHO_REPLY) ||
		    memcmp(pkt + off + 8, cookie, COOKIE_LEN) != 0 ||
		    (pkt[off + 6] << 8 | pkt[off + 7]) != seq)
			abort();
		if (p.raw && (pkt[off + 4] << 8 | pkt[off + 5]) != p.id)
			abort();
	}
	/* The checksum reads exactly len bytes. */
	(void)inet_csum(pkt, len);
	return 0;
}

#define FUZZ_CORPUS "check_icmp"
#include "replay.h"
