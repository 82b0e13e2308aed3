/* dfo_fqdn_valid(): what a DNS name may be (issue 10, defect 15). */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core.h"

static void valid(const char *name)
{
	char why[200] = "x";
	if (!dfo_fqdn_valid(name, why, sizeof(why)))
		fail_msg("'%s' refused: %s", name, why);
	assert_string_equal(why, "");
}

static void invalid(const char *name, const char *because)
{
	char why[200] = "";
	if (dfo_fqdn_valid(name, why, sizeof(why)))
		fail_msg("'%s' accepted", name);
	if (!strstr(why, because))
		fail_msg("'%s': '%s' not in '%s'", name, because, why);
}

static void fqdn_accepts(void **unused)
{
	(void)unused;
	valid("www.example.test");
	valid("www.example.test.");
	valid("WWW.Example.TEST");
	valid("localhost");
	valid("_acme-challenge.example.test");
	valid("a-b.c_d.e1");
	valid("0.example.test");
	valid("x");
	char label[64];
	memset(label, 'a', 63);
	label[63] = '\0';
	valid(label);
	/* 253 bytes: 63+1+63+1+63+1+61 */
	char name[260];
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", label, label, label,
		 label);
	assert_int_equal(strlen(name), 253);
	valid(name);
	strcat(name, ".");
	valid(name); /* the final dot does not count */
	/* NULL why is allowed */
	assert_true(dfo_fqdn_valid("a.test", NULL, 0));
}

static void fqdn_refuses(void **unused)
{
	(void)unused;
	invalid("", "empty name");
	invalid(NULL, "empty name");
	invalid(".", "root");
	invalid("www demo.test", "a space (\\x20) at offset 3");
	invalid("evil.test\n10.6.6.6 bank.example.com",
		"a control byte (\\x0a) at offset 9");
	invalid("a\rb.test", "a control byte (\\x0d)");
	invalid("a\tb.test", "a control byte (\\x09)");
	invalid("caf\xc3\xa9.test", "a non-ASCII byte (\\xc3) at offset 3");
	invalid("a#b.test", "the character '#' at offset 1");
	invalid("*.example.test", "the character '*'");
	invalid("a..b", "empty label");
	invalid(".a.b", "empty label");
	invalid("a.b..", "empty label");
	invalid("-a.test", "begins or ends with '-'");
	invalid("a-.test", "begins or ends with '-'");
	invalid("192.0.2.1", "all digits");
	invalid("a.123", "all digits");
	char label[65];
	memset(label, 'a', 64);
	label[64] = '\0';
	invalid(label, "longer than 63");
	char name[300];
	snprintf(name, sizeof(name), "%.63s.%.63s.%.63s.%.62s", label, label,
		 label, label);
	assert_int_equal(strlen(name), 254);
	invalid(name, "254 bytes, longer than 253");
	/* a short buffer is filled and terminated */
	char why[8];
	assert_false(dfo_fqdn_valid("a b", why, sizeof(why)));
	assert_int_equal(strlen(why), 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fqdn_accepts),
		cmocka_unit_test(fqdn_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
