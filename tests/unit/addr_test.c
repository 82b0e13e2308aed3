/* Addresses: parsing, numeric order, record sets; dfo_hostport_parse(),
 * the one reader of "HOST:PORT" that the core's listeners, awsdns's
 * listen/upstream and its ini converter share; dfo_name_wire(). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"

static void split_ok(const char *text, unsigned defport, const char *host,
		     unsigned port, bool bracketed)
{
	char h[DFO_ADDR_STRLEN] = "x";
	unsigned p = 7;
	bool b = !bracketed;
	int rc = dfo_hostport_parse(text, defport, h, sizeof(h), &p, &b);
	if (rc != 0)
		fail_msg("'%s': %d", text, rc);
	assert_string_equal(h, host);
	assert_int_equal(p, port);
	assert_int_equal(b, bracketed);
}

static void split_bad(const char *text, unsigned defport, int want)
{
	char h[DFO_ADDR_STRLEN] = "untouched";
	unsigned p = 7;
	int rc = dfo_hostport_parse(text, defport, h, sizeof(h), &p, NULL);
	if (rc != want)
		fail_msg("'%s': %d, not %d", text, rc, want);
	/* nothing is written on failure */
	assert_string_equal(h, "untouched");
	assert_int_equal(p, 7);
}

static void hostport_v6_bracketed(void **unused)
{
	split_ok("[2001:db8::1]:5353", 53, "2001:db8::1", 5353, true);
	split_ok("[::1]:1", 0, "::1", 1, true);
	split_ok("[::1]:65535", 0, "::1", 65535, true);
	split_ok("[2001:db8::1]", 53, "2001:db8::1", 53, true);
	split_bad("[2001:db8::1]", 0, -EINVAL);	  /* a port is required */
	split_bad("[2001:db8::1]:", 53, -EINVAL); /* nothing after ':' */
	split_bad("[2001:db8::1]x", 53, -EINVAL); /* text after ']' */
	split_bad("[2001:db8::1]53", 53, -EINVAL);
	split_bad("[2001:db8::1", 53, -EINVAL); /* no ']' */
	split_bad("[]:53", 53, -EINVAL);	/* no host */
}

static void hostport_v6_bare(void **unused)
{
	/* Two colons or more: the whole text is the address, no port. */
	split_ok("2001:db8::1", 53, "2001:db8::1", 53, false);
	split_ok("::1", 853, "::1", 853, false);
	split_ok("::", 53, "::", 53, false);
	split_ok("fe80::1:53", 53, "fe80::1:53", 53, false);
	split_bad("::1", 0, -EINVAL); /* a port required: write [::1]:PORT */
}

static void hostport_name_port(void **unused)
{
	split_ok("192.0.2.1:5353", 53, "192.0.2.1", 5353, false);
	split_ok("ns1.example.com:53", 0, "ns1.example.com", 53, false);
	split_ok("localhost:9472", 0, "localhost", 9472, false);
	split_bad(":53", 53, -EINVAL); /* no host */
	split_bad("", 53, -EINVAL);
}

static void hostport_default(void **unused)
{
	split_ok("192.0.2.1", 53, "192.0.2.1", 53, false);
	split_ok("ns1.example.com", 5300, "ns1.example.com", 5300, false);
	split_bad("192.0.2.1", 0, -EINVAL);
	split_bad("ns1.example.com", 0, -EINVAL);
}

static void hostport_bad_ports(void **unused)
{
	const char *bad[] = {
		"192.0.2.1:",	   "192.0.2.1:0",
		"192.0.2.1:65536", "192.0.2.1:99999999999999999999",
		"192.0.2.1:-1",	   "192.0.2.1:+53",
		"192.0.2.1: 53",   "192.0.2.1:53 ",
		"192.0.2.1:0x35",  "192.0.2.1:53a",
		"[::1]:0",	   "[::1]:65536",
		"[::1]:-53",	   "name:port",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		split_bad(bad[i], 53, -EINVAL);
	/* Leading zeros are still decimal. */
	split_ok("192.0.2.1:0053", 0, "192.0.2.1", 53, false);
}

static void hostport_sizes(void **unused)
{
	char h[10];
	unsigned p;
	assert_int_equal(
		dfo_hostport_parse("123456789:1", 0, h, sizeof(h), &p, NULL),
		0);
	assert_string_equal(h, "123456789");
	assert_int_equal(
		dfo_hostport_parse("1234567890:1", 0, h, sizeof(h), &p, NULL),
		-ENAMETOOLONG);
	assert_int_equal(
		dfo_hostport_parse("[1234567890]:1", 0, h, sizeof(h), &p, NULL),
		-ENAMETOOLONG);
	assert_int_equal(dfo_hostport_parse(NULL, 53, h, sizeof(h), &p, NULL),
			 -EINVAL);
	assert_int_equal(dfo_hostport_parse("a:1", 53, h, 0, &p, NULL),
			 -EINVAL);
}

/* The core's listeners: the port is required, brackets mean IPv6. */
static void hostport_listen(void **unused)
{
	struct sockaddr_storage ss;
	assert_int_equal(dfo_listen_parse("127.0.0.1:9472", &ss),
			 sizeof(struct sockaddr_in));
	assert_int_equal(dfo_listen_parse("[::1]:9472", &ss),
			 sizeof(struct sockaddr_in6));
	assert_int_equal(dfo_listen_parse("127.0.0.1", &ss), 0);
	assert_int_equal(dfo_listen_parse("::1", &ss), 0);
	assert_int_equal(dfo_listen_parse("[127.0.0.1]:1", &ss), 0);
	assert_int_equal(dfo_listen_parse("::1:9472", &ss), 0);
	assert_int_equal(dfo_listen_parse("localhost:9472", &ss), 0);
	assert_int_equal(dfo_listen_parse("127.0.0.1:0", &ss), 0);
}

/* dfo_name_wire(): the one text-to-wire name writer of TSIG and rfc2136. */
static void name_wire_forms(void **unused)
{
	uint8_t w[256];
	size_t n = 0;
	assert_int_equal(dfo_name_wire("WWW.Example.com.", w, &n), 0);
	assert_int_equal(n, 17);
	assert_memory_equal(w, "\3www\7example\3com", 17);
	assert_int_equal(dfo_name_wire("www.example.com", w, &n), 0);
	assert_int_equal(n, 17);
	assert_int_equal(dfo_name_wire(".", w, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(w[0], 0);
	assert_int_equal(dfo_name_wire("", w, &n), 0);
	assert_int_equal(n, 1);
	char label[70];
	memset(label, 'a', 63);
	label[63] = '\0';
	assert_int_equal(dfo_name_wire(label, w, &n), 0);
	assert_int_equal(n, 65);
	label[63] = 'a';
	label[64] = '\0';
	assert_int_equal(dfo_name_wire(label, w, &n), -EINVAL); /* 64 bytes */
	/* 255 bytes in all at the most: 4 labels of 63 take 256. */
	char big[300];
	snprintf(big, sizeof(big), "%.63s.%.63s.%.63s.%.61s", label, label,
		 label, label);
	assert_int_equal(dfo_name_wire(big, w, &n), 0);
	assert_int_equal(n, 255);
	snprintf(big, sizeof(big), "%.63s.%.63s.%.63s.%.62s", label, label,
		 label, label);
	assert_int_equal(dfo_name_wire(big, w, &n), -EINVAL);
	assert_int_equal(dfo_name_wire("a..b", w, &n), -EINVAL);
	assert_int_equal(dfo_name_wire("a b", w, &n), -EINVAL);
	assert_int_equal(dfo_name_wire("a\\.b", w, &n), -EINVAL);
	assert_int_equal(dfo_name_wire("caf\xc3\xa9", w, &n), -EINVAL);
}

/* ---- addresses and record sets ---- */

static void addr_parse_format(void **unused)
{
	struct dfo_addr a;
	char buf[DFO_ADDR_STRLEN];
	assert_int_equal(dfo_addr_parse(&a, "192.0.2.10"), 0);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(dfo_addr_format(&a, buf, sizeof(buf)),
			    "192.0.2.10");
	assert_int_equal(dfo_addr_parse(&a, "2001:DB8::1"), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(dfo_addr_format(&a, buf, sizeof(buf)),
			    "2001:db8::1");
	assert_int_equal(dfo_addr_parse(&a, "example.com"), -EINVAL);
	assert_int_equal(dfo_addr_parse(&a, " 192.0.2.1"), -EINVAL);
	assert_int_equal(dfo_addr_parse(&a, "192.0.2.1:80"), -EINVAL);
	assert_int_equal(dfo_addr_parse_family(&a, "::1", AF_INET), -EINVAL);
	assert_int_equal(dfo_addr_parse_family(&a, "::1", AF_INET6), 0);
}

/* Peers sort as numbers, not strings: 10.0.0.9 before 10.0.0.10. */
static void addr_numeric_order(void **unused)
{
	const char *in[] = {
		"10.0.0.10",  "::1",	    "10.0.0.9", "9.255.255.255",
		"10.0.0.100", "2001:db8::", "fe80::1"};
	const char *want[] = {
		"9.255.255.255", "10.0.0.9",   "10.0.0.10", "10.0.0.100",
		"::1",		 "2001:db8::", "fe80::1"};
	struct dfo_addr v[7];
	for (int i = 0; i < 7; i++)
		assert_int_equal(dfo_addr_parse(&v[i], in[i]), 0);
	dfo_addr_sort(v, 7);
	for (int i = 0; i < 7; i++) {
		char buf[DFO_ADDR_STRLEN];
		assert_string_equal(dfo_addr_format(&v[i], buf, sizeof(buf)),
				    want[i]);
	}
}

static void rrset_ops(void **unused)
{
	struct dfo_rrset a, b;
	struct dfo_addr x, y, z;
	dfo_addr_parse(&x, "192.0.2.1");
	dfo_addr_parse(&y, "192.0.2.2");
	dfo_addr_parse(&z, "192.0.2.3");
	dfo_rrset_init(&a, AF_INET);
	dfo_rrset_init(&b, AF_INET);
	assert_int_equal(dfo_rrset_add(&a, &x), 0);
	assert_int_equal(dfo_rrset_add(&a, &y), 0);
	assert_int_equal(dfo_rrset_add(&a, &x), 0); /* duplicate ignored */
	assert_int_equal(a.count, 2);
	assert_int_equal(dfo_rrset_add(&b, &y), 0);
	assert_int_equal(dfo_rrset_add(&b, &x), 0);
	assert_true(dfo_rrset_same(&a, &b));
	assert_int_equal(dfo_rrset_add(&b, &z), 0);
	assert_false(dfo_rrset_same(&a, &b));
	assert_true(dfo_rrset_remove(&b, &z));
	assert_false(dfo_rrset_remove(&b, &z));
	assert_true(dfo_rrset_same(&a, &b));
	struct dfo_rrset c;
	dfo_rrset_init(&c, AF_INET);
	a.ttl = 60;
	assert_int_equal(dfo_rrset_copy(&c, &a), 0);
	assert_int_equal(c.ttl, 60);
	assert_true(dfo_rrset_same(&a, &c));
	dfo_rrset_clear(&a);
	dfo_rrset_clear(&b);
	dfo_rrset_clear(&c);
	assert_int_equal(a.count, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(addr_parse_format),
		cmocka_unit_test(addr_numeric_order),
		cmocka_unit_test(rrset_ops),
		cmocka_unit_test(hostport_v6_bracketed),
		cmocka_unit_test(hostport_v6_bare),
		cmocka_unit_test(hostport_name_port),
		cmocka_unit_test(hostport_default),
		cmocka_unit_test(hostport_bad_ports),
		cmocka_unit_test(hostport_sizes),
		cmocka_unit_test(hostport_listen),
		cmocka_unit_test(name_wire_forms),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
