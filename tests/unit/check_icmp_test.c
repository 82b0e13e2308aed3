/*
 * Unit tests of the icmp check's packet code: the checksum and the
 * matching of replies read from the network (which must never read past
 * what arrived).  The plugin's source is included to reach its statics.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "../../plugins/check/icmp.c"

static const uint8_t cookie[COOKIE_LEN] = {1, 2, 3, 4, 5, 6, 7, 8};

static void set_session(struct ping *p, int family, bool raw)
{
	memset(p, 0, sizeof(*p));
	p->family = family;
	p->raw = raw;
	p->id = 0x1234;
	memcpy(p->cookie, cookie, COOKIE_LEN);
}

/* An echo reply of `type`, id, seq and cookie, after `pre` bytes of a
 * minimal IPv4 header (pre = 0 or 20); returns its length. */
static size_t make_reply(uint8_t *buf, size_t pre, uint8_t type, uint16_t id,
			 uint16_t seq)
{
	memset(buf, 0, pre + ECHO_LEN);
	if (pre)
		buf[0] = 0x45; /* version 4, IHL 5 */
	uint8_t *m = buf + pre;
	m[0] = type;
	m[4] = (uint8_t)(id >> 8);
	m[5] = (uint8_t)id;
	m[6] = (uint8_t)(seq >> 8);
	m[7] = (uint8_t)seq;
	memcpy(m + 8, cookie, COOKIE_LEN);
	return pre + ECHO_LEN;
}

/* What ping_parse makes of a reply made by make_reply(PRE, TYPE, ID, SEQ). */
static int parse_reply(struct ping *p, size_t pre, uint8_t type, uint16_t id,
		       uint16_t seq)
{
	uint8_t buf[64];
	return ping_parse(p, buf, make_reply(buf, pre, type, id, seq));
}

static void test_checksum(void **unused)
{
	/* RFC 1071's example: the sum is 0xddf2, the checksum its
	 * complement, in network order. */
	const uint8_t data[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	assert_int_equal(ntohs(inet_csum(data, sizeof(data))), 0x220d);
	/* A packet carrying its checksum sums to zero; odd lengths pad. */
	uint8_t pkt[9] = {8, 0, 0, 0, 0x12, 0x34, 0, 1, 0xab};
	uint16_t sum = inet_csum(pkt, sizeof(pkt));
	memcpy(pkt + 2, &sum, 2);
	assert_int_equal(inet_csum(pkt, sizeof(pkt)), 0);
}

static void test_raw_v4(void **unused)
{
	struct ping p;
	uint8_t buf[64];
	set_session(&p, AF_INET, true);
	size_t n = make_reply(buf, 20, ICMP_ECHOREPLY, 0x1234, 7);
	assert_int_equal(ping_parse(&p, buf, n), 7);
	/* Short by one byte, or only the IP header. */
	assert_int_equal(ping_parse(&p, buf, n - 1), -1);
	assert_int_equal(ping_parse(&p, buf, 20), -1);
	assert_int_equal(ping_parse(&p, buf, 3), -1);
	/* An IHL pointing past the data, or below the minimum. */
	buf[0] = 0x4f;
	assert_int_equal(ping_parse(&p, buf, n), -1);
	buf[0] = 0x44;
	assert_int_equal(ping_parse(&p, buf, n), -1);
	/* Not IPv4. */
	buf[0] = 0x65;
	assert_int_equal(ping_parse(&p, buf, n), -1);
	/* Another process's identifier, our own request, another cookie. */
	assert_int_equal(parse_reply(&p, 20, ICMP_ECHOREPLY, 0x4321, 7), -1);
	assert_int_equal(parse_reply(&p, 20, ICMP_ECHO, 0x1234, 7), -1);
	n = make_reply(buf, 20, ICMP_ECHOREPLY, 0x1234, 7);
	buf[20 + 8] ^= 0xff;
	assert_int_equal(ping_parse(&p, buf, n), -1);
	/* A non-zero code. */
	n = make_reply(buf, 20, ICMP_ECHOREPLY, 0x1234, 7);
	buf[21] = 1;
	assert_int_equal(ping_parse(&p, buf, n), -1);
}

static void test_ping_socket(void **unused)
{
	struct ping p;
	/* No IP header; the kernel chose the identifier, so any goes. */
	set_session(&p, AF_INET, false);
	assert_int_equal(parse_reply(&p, 0, ICMP_ECHOREPLY, 0x9999, 300), 300);
	set_session(&p, AF_INET6, false);
	assert_int_equal(parse_reply(&p, 0, ICMP6_ECHO_REPLY, 0x9999, 2), 2);
	/* An ICMPv4 reply type means nothing on IPv6. */
	assert_int_equal(parse_reply(&p, 0, ICMP_ECHOREPLY, 0x9999, 2), -1);
}

static void test_raw_v6(void **unused)
{
	struct ping p;
	set_session(&p, AF_INET6, true);
	assert_int_equal(parse_reply(&p, 0, ICMP6_ECHO_REPLY, 0x1234, 1), 1);
	assert_int_equal(parse_reply(&p, 0, ICMP6_ECHO_REPLY, 0x1235, 1), -1);
	assert_int_equal(parse_reply(&p, 0, ICMP6_ECHO_REQUEST, 0x1234, 1), -1);
}

static void test_from_target(void **unused)
{
	struct dfo_addr a;
	struct sockaddr_storage ss;
	assert_int_equal(dfo_addr_parse(&a, "192.0.2.1"), 0);
	dfo_addr_to_sockaddr(&a, 0, &ss);
	assert_true(from_target(&ss, &a));
	struct dfo_addr b;
	assert_int_equal(dfo_addr_parse(&b, "192.0.2.2"), 0);
	assert_false(from_target(&ss, &b));
	assert_int_equal(dfo_addr_parse(&b, "::ffff:192.0.2.1"), 0);
	assert_false(from_target(&ss, &b));
	dfo_addr_to_sockaddr(&b, 0, &ss);
	assert_true(from_target(&ss, &b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_checksum),
		cmocka_unit_test(test_raw_v4),
		cmocka_unit_test(test_ping_socket),
		cmocka_unit_test(test_raw_v6),
		cmocka_unit_test(test_from_target),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
