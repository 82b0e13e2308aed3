/* Configuration errors, each as FILE:LINE: message, and the first
 * pass that reads plugin_dir. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"
#include "unit.h"

/* ---- configuration ---- */

struct conf_fixture {
	struct dfo_registry *reg;
	char *dir;
};

static int conf_setup(void **state)
{
	struct conf_fixture *f = calloc(1, sizeof(*f));
	f->reg = dfo_registry_new();
	assert_int_equal(dfo_register_check(f->reg, &check_a), 0);
	assert_int_equal(dfo_register_check(f->reg, &check_b), 0);
	assert_int_equal(dfo_register_timer(f->reg, &timer_a), 0);
	f->dir = tmpdir();
	dfo_log_setup(DFO_LOG_ERR + 10, 0, "test"); /* keep stderr quiet... */
	dfo_log_setup(-1, 0, "test");
	*state = f;
	return 0;
}

static int conf_teardown(void **state)
{
	struct conf_fixture *f = *state;
	rmtree(f->dir);
	free(f->dir);
	dfo_registry_free(f->reg);
	free(f);
	return 0;
}

/* Load `text` as DIR/NAME.conf; returns rc, message in err. */
static int conf_load(struct conf_fixture *f, const char *name, const char *text,
		     struct dfo_err *err, char *path, size_t plen)
{
	snprintf(path, plen, "%s/%s.conf", f->dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
	struct dfo_config *c = NULL;
	dfo_err_clear(err);
	int rc = dfo_config_load(&c, f->reg, path, true, err);
	dfo_config_free(c);
	return rc;
}

/* The error must be "PATH:LINE: <msg...>". */
static void expect_conf_error(void **state, const char *name, const char *text,
			      int line, const char *msg)
{
	struct conf_fixture *f = *state;
	struct dfo_err err;
	char path[512], want[768];
	assert_true(conf_load(f, name, text, &err, path, sizeof(path)) < 0);
	snprintf(want, sizeof(want), "%s:%d: ", path, line);
	if (strncmp(err.msg, want, strlen(want)) != 0)
		fail_msg("want prefix '%s', got '%s'", want, err.msg);
	if (!strstr(err.msg, msg))
		fail_msg("want '%s' in '%s'", msg, err.msg);
}

static void conf_ok(void **state)
{
	struct conf_fixture *f = *state;
	struct dfo_err err;
	char path[512];
	assert_int_equal(conf_load(f, "ok",
				   "check \"web\" { probe { port = 8080 } }\n"
				   "timer \"t\" { probe {} }\n",
				   &err, path, sizeof(path)),
			 0);
}

static void conf_unknown_option(void **s)
{
	expect_conf_error(
		s, "unknown_option",
		"check \"web\" {\n\n  probe { port = 1 colour = 2 }\n}\n", 3,
		"no such option 'colour'");
}

static void conf_unknown_provider(void **s)
{
	expect_conf_error(
		s, "unknown_provider", "check \"web\" {\n  prob { }\n}\n", 2,
		"unknown check provider 'prob' (loaded: probe, other)");
}

static void conf_unknown_kind(void **s)
{
	expect_conf_error(s, "unknown_kind", "\n\nchek \"web\" { }\n", 3,
			  "no such option 'chek'");
}

static void conf_wrong_type(void **s)
{
	expect_conf_error(
		s, "wrong_type",
		"check \"web\" {\n  probe {\n    port = \"eighty\"\n  }\n}\n",
		3, "invalid integer value for option 'port'");
}

static void conf_no_provider(void **s)
{
	expect_conf_error(
		s, "no_provider", "# empty\ncheck \"web\" { }\n", 2,
		"check \"web\" names no provider (one of: probe, other)");
}

static void conf_two_providers(void **s)
{
	expect_conf_error(s, "two_providers",
			  "\ncheck \"web\" {\n probe { }\n other { }\n}\n", 2,
			  "check \"web\" has 2 providers (probe, other)");
}

static void conf_duplicate_title(void **s)
{
	expect_conf_error(
		s, "duplicate_title",
		"check \"web\" { probe { } }\ncheck \"web\" { other { } }\n", 2,
		"web");
}

static void conf_missing_instance(void **s)
{
	expect_conf_error(s, "missing_instance",
			  "check \"web\" { probe { } }\n"
			  "timer \"t\" { probe { } }\n"
			  "pool \"www\" {\n"
			  "  fqdn = {\"www.example.test\"}\n"
			  "  check = \"web\" timer = \"t\"\n"
			  "  dns = \"nowhere\"\n"
			  "  ipsource = \"me\"\n"
			  "}\n",
			  6, "pool \"www\": dns \"nowhere\" does not exist");
}

static void conf_missing_reference(void **s)
{
	expect_conf_error(s, "missing_reference",
			  "\npool \"www\" {\n  fqdn = {\"a.test\"}\n}\n", 2,
			  "pool \"www\": option 'dns' is required");
}

static void conf_create_fails(void **s)
{
	expect_conf_error(s, "create_fails",
			  "\n\ncheck \"fail\" {\n  probe { }\n}\n", 3,
			  "check \"fail\" (probe): refused by the provider");
}

static void conf_bad_core_value(void **s)
{
	expect_conf_error(
		s, "bad_core_value",
		"check \"a\" { probe { } }\n"
		"timer \"t\" { probe { } }\n"
		"pool \"p\" { fqdn = {\"a.test\"} check = \"a\" timer = \"t\"\n"
		"  dns = \"x\" ipsource = \"y\" family = \"ipv5\" }\n",
		3, "family must be ipv4 or ipv6");
}

static void conf_syntax(void **s)
{
	expect_conf_error(s, "syntax", "\ncheck \"a\" {\n probe {\n}\n", 2,
			  "this section is not closed");
}

static void plugin_dir_scan(void **state)
{
	struct conf_fixture *f = *state;
	char path[512];
	snprintf(path, sizeof(path), "%s/scan.conf", f->dir);
	FILE *fp = fopen(path, "w");
	fputs("# plugin_dir = \"/commented\"\n"
	      "check \"x\" { probe { plugin_dir = \"/nested\" } }\n"
	      "/* plugin_dir = \"/block\" */\n"
	      "plugin_dir = \"/opt/dfo/plugins\"\n",
	      fp);
	fclose(fp);
	struct dfo_err err;
	dfo_err_clear(&err);
	char **dir = dfo_config_plugin_dir(path, &err);
	assert_non_null(dir);
	assert_string_equal(dir[0], "/opt/dfo/plugins");
	assert_null(dir[1]);
	dfo_strv_free(dir);

	/* A list, searched in order. */
	fp = fopen(path, "w");
	fputs("plugin_dir = {\"/usr/lib/dfo\", # stock\n"
	      "  '/etc/dfo/plugins.d'\n  \"/opt/x\"}\nlog_level = info\n",
	      fp);
	fclose(fp);
	dir = dfo_config_plugin_dir(path, &err);
	assert_non_null(dir);
	assert_string_equal(dir[0], "/usr/lib/dfo");
	assert_string_equal(dir[1], "/etc/dfo/plugins.d");
	assert_string_equal(dir[2], "/opt/x");
	assert_null(dir[3]);
	dfo_strv_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(conf_ok, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(conf_unknown_option, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(conf_unknown_provider,
						conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_unknown_kind, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(conf_wrong_type, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(conf_no_provider, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(conf_two_providers, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(conf_duplicate_title,
						conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_missing_instance,
						conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_missing_reference,
						conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_create_fails, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(conf_bad_core_value, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(conf_syntax, conf_setup,
						conf_teardown),
		cmocka_unit_test_setup_teardown(plugin_dir_scan, conf_setup,
						conf_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
