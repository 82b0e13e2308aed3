/* Unit tests of the pure parts of ipsource "netlink": prefixes and the
 * order of candidates (its static functions, reached by including the
 * plugin's source). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ipsource/netlink.c"

static bool in_prefix(const char *prefix, const char *addr)
{
	struct nl_prefix p;
	struct dfo_addr a;
	assert_int_equal(prefix_parse(&p, prefix), 0);
	assert_int_equal(dfo_addr_parse(&a, addr), 0);
	return prefix_contains(&p, &a);
}

static void test_prefix_parse(void **st)
{
	struct nl_prefix p;
	char buf[DFO_ADDR_STRLEN];
	assert_int_equal(prefix_parse(&p, "10.1.2.3/8"), 0);
	assert_int_equal(p.len, 8);
	assert_string_equal(dfo_addr_format(&p.addr, buf, sizeof(buf)),
			    "10.0.0.0");
	assert_int_equal(prefix_parse(&p, "2001:db8:ffff::1/33"), 0);
	assert_int_equal(p.len, 33);
	assert_string_equal(dfo_addr_format(&p.addr, buf, sizeof(buf)),
			    "2001:db8:8000::");
	assert_int_equal(prefix_parse(&p, "192.0.2.7"), 0);
	assert_int_equal(p.len, 32);
	assert_int_equal(prefix_parse(&p, "::/0"), 0);
	assert_int_equal(p.len, 0);

	static const char *const bad[] = {
		"",
		"/8",
		"10.0.0.0/",
		"10.0.0.0/33",
		"10.0.0.0/-1",
		"10.0.0.0/+8",
		"10.0.0.0/8x",
		"10.0.0.0/8/8",
		"::/129",
		"10.0.0.0 /8",
		"eth0",
		"10.0.0.0/99999999999999999999",
		"0000:0000:0000:0000:0000:0000:0000:0000:0000/64",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (prefix_parse(&p, bad[i]) != -EINVAL)
			fail_msg("'%s' accepted", bad[i]);
}

static void test_prefix_contains(void **st)
{
	assert_true(in_prefix("10.0.0.0/8", "10.255.0.1"));
	assert_false(in_prefix("10.0.0.0/8", "11.0.0.1"));
	assert_true(in_prefix("192.0.2.0/25", "192.0.2.127"));
	assert_false(in_prefix("192.0.2.0/25", "192.0.2.128"));
	assert_true(in_prefix("0.0.0.0/0", "203.0.113.9"));
	assert_false(in_prefix("0.0.0.0/0", "2001:db8::1")); /* family */
	assert_false(in_prefix("::/0", "192.0.2.1"));
	assert_true(in_prefix("2001:db8::/32", "2001:db8:ffff::1"));
	assert_false(in_prefix("2001:db8::/33", "2001:db8:8000::1"));
	assert_true(in_prefix("192.0.2.7", "192.0.2.7"));
	assert_false(in_prefix("192.0.2.7", "192.0.2.6"));
}

static struct nl_cand cand(const char *addr, unsigned ifindex, int scope,
			   uint32_t flags)
{
	struct nl_cand c = {.ifindex = ifindex, .scope = scope, .flags = flags};
	assert_int_equal(dfo_addr_parse(&c.addr, addr), 0);
	return c;
}

static void test_order(void **st)
{
	struct nl_cand g = cand("10.0.0.9", 3, RT_SCOPE_UNIVERSE, 0);
	struct nl_cand link = cand("10.0.0.1", 1, RT_SCOPE_LINK, 0);
	struct nl_cand dep =
		cand("10.0.0.1", 1, RT_SCOPE_UNIVERSE, IFA_F_DEPRECATED);
	struct nl_cand sec =
		cand("10.0.0.1", 1, RT_SCOPE_UNIVERSE, IFA_F_SECONDARY);
	struct nl_cand lowif = cand("10.0.0.200", 2, RT_SCOPE_UNIVERSE, 0);
	struct nl_cand lowaddr = cand("10.0.0.8", 3, RT_SCOPE_UNIVERSE, 0);

	assert_true(cand_cmp(&g, &link) < 0);	 /* scope first */
	assert_true(cand_cmp(&g, &dep) < 0);	 /* then preferred */
	assert_true(cand_cmp(&g, &sec) < 0);	 /* then primary */
	assert_true(cand_cmp(&sec, &dep) < 0);	 /* preferred beats primary */
	assert_true(cand_cmp(&lowif, &g) < 0);	 /* then interface index */
	assert_true(cand_cmp(&lowaddr, &g) < 0); /* then address */
	assert_int_equal(cand_cmp(&g, &g), 0);
	assert_true(cand_cmp(&link, &g) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_prefix_contains),
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
