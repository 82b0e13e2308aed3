/* Unit tests of the answer parsing of ipsource "http" (its static
 * functions, reached by including the plugin's source). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ipsource/http.c"

/* Parse a NUL-terminated body; the result code. */
static int parse(const char *body, int family, struct dfo_addr *out)
{
	return http_answer_parse(body, strlen(body), family, out);
}

static void expect_addr(const char *body, int family, const char *want)
{
	struct dfo_addr a, w;
	char buf[DFO_ADDR_STRLEN];
	assert_int_equal(parse(body, family, &a), 0);
	assert_int_equal(dfo_addr_parse(&w, want), 0);
	assert_true(dfo_addr_equal(&a, &w));
	assert_string_equal(dfo_addr_format(&a, buf, sizeof(buf)), want);
}

static void test_good(void **st)
{
	expect_addr("192.0.2.1", AF_INET, "192.0.2.1");
	expect_addr("192.0.2.1\n", AF_INET, "192.0.2.1");
	expect_addr(" \t192.0.2.1\r\n\r\n", AF_INET, "192.0.2.1");
	expect_addr("2001:db8::1\n", AF_INET6, "2001:db8::1");
	expect_addr("\v\f::ffff:192.0.2.1 ", AF_INET6, "::ffff:192.0.2.1");
	expect_addr("255.255.255.255", AF_INET, "255.255.255.255");
}

static void test_blank(void **st)
{
	struct dfo_addr a;
	assert_int_equal(parse("", AF_INET, &a), -ENODATA);
	assert_int_equal(parse(" \r\n\t", AF_INET6, &a), -ENODATA);
	assert_int_equal(http_answer_parse("192.0.2.1", 0, AF_INET, &a),
			 -ENODATA);
}

static void test_wrong_family(void **st)
{
	struct dfo_addr a;
	assert_int_equal(parse("2001:db8::1", AF_INET, &a), -EAFNOSUPPORT);
	assert_int_equal(parse("192.0.2.1\n", AF_INET6, &a), -EAFNOSUPPORT);
}

static void test_malformed(void **st)
{
	static const char *const bad[] = {
		"192.0.2.256",
		"192.0.2",
		"192.0.2.1.5",
		"192.0.2.1 192.0.2.2",
		"192.0.2.1\n192.0.2.2",
		"192.0.2.1:80",
		"[2001:db8::1]",
		"fe80::1%eth0",
		"2001:db8:::1",
		"myip.example.com",
		"<html>192.0.2.1</html>",
		"0x7f.1",
		"192.0.2.1/24",
		"ip=192.0.2.1",
		"\"192.0.2.1\"",
	};
	struct dfo_addr a;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(bad[i], AF_INET, &a);
		if (rc != -EINVAL)
			fail_msg("'%s' gave %d, wanted -EINVAL", bad[i], rc);
	}
}

static void test_nul_and_length(void **st)
{
	struct dfo_addr a;
	static const char nul[] = "192.0.2.1\0junk";
	assert_int_equal(http_answer_parse(nul, sizeof(nul) - 1, AF_INET, &a),
			 -EINVAL);
	static const char nul_end[] = "192.0.2.1\0";
	assert_int_equal(
		http_answer_parse(nul_end, sizeof(nul_end) - 1, AF_INET, &a),
		-EINVAL);
	/* Only `len` bytes count: the rest of the buffer is not read. */
	assert_int_equal(
		http_answer_parse("192.0.2.1 trailing", 9, AF_INET, &a), 0);
	/* Longer than any address, even if it would trim to one. */
	char big[200];
	memset(big, '1', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(parse(big, AF_INET, &a), -EINVAL);
	/* The longest IPv6 text (45 bytes) fits. */
	expect_addr("0000:0000:0000:0000:0000:ffff:255.255.255.255", AF_INET6,
		    "::ffff:255.255.255.255");
}

static void test_trim(void **st)
{
	const char *p = "  a b \n";
	size_t n = strlen(p);
	http_trim(&p, &n);
	assert_int_equal(n, 3);
	assert_memory_equal(p, "a b", 3);
	p = "\r\n";
	n = 2;
	http_trim(&p, &n);
	assert_int_equal(n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_blank),
		cmocka_unit_test(test_wrong_family),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_nul_and_length),
		cmocka_unit_test(test_trim),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
