/* Unit tests of the core library: addresses, record sets, the registry,
 * the loader and configuration errors. */
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

/* ---- addresses ---- */

static void addr_parse_format(void **unused)
{
	struct dfo_addr a;
	char buf[DFO_ADDR_STRLEN];
	assert_int_equal(dfo_addr_parse(&a, "192.0.2.10"), 0);
	assert_int_equal(a.family, AF_INET);
	assert_string_equal(dfo_addr_format(&a, buf, sizeof(buf)), "192.0.2.10");
	assert_int_equal(dfo_addr_parse(&a, "2001:DB8::1"), 0);
	assert_int_equal(a.family, AF_INET6);
	assert_string_equal(dfo_addr_format(&a, buf, sizeof(buf)), "2001:db8::1");
	assert_int_equal(dfo_addr_parse(&a, "example.com"), -EINVAL);
	assert_int_equal(dfo_addr_parse(&a, " 192.0.2.1"), -EINVAL);
	assert_int_equal(dfo_addr_parse(&a, "192.0.2.1:80"), -EINVAL);
	assert_int_equal(dfo_addr_parse_family(&a, "::1", AF_INET), -EINVAL);
	assert_int_equal(dfo_addr_parse_family(&a, "::1", AF_INET6), 0);
}

/* Peers sort as numbers, not strings: 10.0.0.9 before 10.0.0.10. */
static void addr_numeric_order(void **unused)
{
	const char *in[] = {"10.0.0.10", "::1", "10.0.0.9", "9.255.255.255",
			    "10.0.0.100", "2001:db8::", "fe80::1"};
	const char *want[] = {"9.255.255.255", "10.0.0.9", "10.0.0.10",
			      "10.0.0.100", "::1", "2001:db8::", "fe80::1"};
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

/* ---- registry ---- */

static int t_create(const char *instance, cfg_t *sec, void **state,
		    struct dfo_err *err)
{
	/* "fail" instances fail with a message. */
	if (strcmp(instance, "fail") == 0)
		return dfo_err_set(err, -EINVAL, "refused by the provider");
	*state = NULL;
	return 0;
}

static int t_check(void *state, const struct dfo_check_target *t,
		   struct dfo_err *err)
{
	return 0;
}

static cfg_opt_t t_check_opts[] = {CFG_INT("port", 80, CFGF_NONE), CFG_END()};

static const struct dfo_check_provider check_a = {
	.size = sizeof(struct dfo_check_provider),
	.name = "probe", .options = t_check_opts, .create = t_create,
	.check = t_check};
static const struct dfo_check_provider check_b = {
	.size = sizeof(struct dfo_check_provider),
	.name = "other", .create = t_create, .check = t_check};
static const struct dfo_check_provider check_noop = {
	.size = sizeof(struct dfo_check_provider),
	.name = "broken", .create = t_create};
static const struct dfo_check_provider check_badname = {
	.size = sizeof(struct dfo_check_provider),
	.name = "Bad Name", .create = t_create, .check = t_check};

static double t_next(void *s, double last, double now) { return now + 1; }
static double t_timeout(void *s) { return 1; }
static unsigned t_retries(void *s) { return 1; }
static const struct dfo_timer_provider timer_a = {
	.size = sizeof(struct dfo_timer_provider),
	.name = "probe", .create = t_create, .next_round = t_next,
	.check_timeout = t_timeout, .retries = t_retries};

static void registry_rules(void **unused)
{
	struct dfo_registry *reg = dfo_registry_new();
	assert_non_null(reg);
	assert_int_equal(dfo_register_check(reg, &check_a), 0);
	assert_int_equal(dfo_register_check(reg, &check_b), 0);
	/* Same kind and name: refused, never overwritten. */
	assert_int_equal(dfo_register_check(reg, &check_a), -EEXIST);
	/* Same name, other kind: fine. */
	assert_int_equal(dfo_register_timer(reg, &timer_a), 0);
	assert_int_equal(dfo_register_check(reg, &check_noop), -EINVAL);
	assert_int_equal(dfo_register_check(reg, &check_badname), -EINVAL);
	assert_int_equal(dfo_register_check(reg, NULL), -EINVAL);
	assert_int_equal(dfo_registry_count(reg), 3);
	const struct dfo_entry *e = dfo_registry_find(reg, DFO_KIND_CHECK, "probe");
	assert_non_null(e);
	assert_ptr_equal(e->ops, &check_a);
	assert_null(dfo_registry_find(reg, DFO_KIND_DNS, "probe"));
	e = dfo_registry_find(reg, DFO_KIND_TIMER, "probe");
	assert_non_null(e);
	assert_ptr_equal(e->ops, &timer_a);
	dfo_registry_free(reg);
}

/* ---- loader ---- */

static char *tmpdir(void)
{
	char *d = strdup("/tmp/dfo-unit.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static void rmtree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A plugin dir holding links to the named test modules. */
static char *module_dir(const char *const *mods)
{
	const char *src = getenv("TEST_MODULES");
	if (!src)
		fail_msg("TEST_MODULES is not set (run through make check)");
	char *d = tmpdir();
	for (; *mods; mods++) {
		char from[512], to[512];
		snprintf(from, sizeof(from), "%s/%s.so", src, *mods);
		snprintf(to, sizeof(to), "%s/%s.so", d, *mods);
		assert_int_equal(symlink(from, to), 0);
	}
	return d;
}

static int load(const char *const *mods, struct dfo_err *err,
		struct dfo_registry **regp, struct dfo_loader **lp)
{
	char *d = module_dir(mods);
	*regp = dfo_registry_new();
	*lp = NULL;
	dfo_err_clear(err);
	int rc = dfo_loader_load_dir(lp, *regp, d, err);
	rmtree(d);
	free(d);
	return rc;
}

static void unload(struct dfo_registry *reg, struct dfo_loader *l)
{
	dfo_loader_free(l);
	dfo_registry_free(reg);
}

static void loader_good(void **unused)
{
	const char *mods[] = {"mod_good", NULL};
	struct dfo_err err;
	struct dfo_registry *reg;
	struct dfo_loader *l;
	assert_int_equal(load(mods, &err, &reg, &l), 0);
	const struct dfo_entry *e = dfo_registry_find(reg, DFO_KIND_CHECK, "good");
	assert_non_null(e);
	assert_non_null(strstr(e->module, "mod_good.so"));
	unload(reg, l);
}

static void loader_wrong_abi(void **unused)
{
	const char *mods[] = {"mod_badabi", NULL};
	struct dfo_err err;
	struct dfo_registry *reg;
	struct dfo_loader *l;
	assert_true(load(mods, &err, &reg, &l) < 0);
	assert_non_null(strstr(err.msg, "mod_badabi.so: plugin ABI 1, this dnsfailover speaks ABI 2: rebuild"));
	assert_non_null(strstr(err.msg, "rebuild"));
	unload(reg, l);
}

/* A table of an older, smaller size loads; what lies beyond its size is
 * absent.  A table that states no size is refused, naming the provider. */
static void loader_old_table_size(void **unused)
{
	const char *mods[] = {"mod_oldsize", NULL};
	struct dfo_err err;
	struct dfo_registry *reg;
	struct dfo_loader *l;
	assert_int_equal(load(mods, &err, &reg, &l), 0);
	const struct dfo_entry *e = dfo_registry_find(reg, DFO_KIND_DNS, "old");
	assert_non_null(e);
	const struct dfo_dns_provider *p = e->ops;
	assert_true(DFO_HAS(p, list));
	assert_true(DFO_HAS(p, del));
	assert_false(DFO_HAS(p, call_spacing));
	assert_null(dfo_registry_find(reg, DFO_KIND_DNS, "nosize"));
	assert_non_null(strstr(dfo_registry_why(reg), "\"nosize\": its table states no size"));
	unload(reg, l);
}

/* Metrics registered in a child are seen, with their values, by the
 * parent; the same name and labels give the same metric. */
static void metrics_shared(void **unused)
{
	assert_int_equal(dfo_metrics_init(), 0);
	struct dfo_metric *g = dfo_metric_register(DFO_METRIC_GAUGE,
		"dnsfailover_unit_gauge", "a gauge", "pool=\"www\"");
	assert_non_null(g);
	dfo_metric_set(g, 2.5);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct dfo_metric *c = dfo_metric_register(DFO_METRIC_COUNTER,
			"dnsfailover_unit_total", "a counter", NULL);
		dfo_metric_add(c, 3);
		dfo_metric_add(dfo_metric_register(DFO_METRIC_COUNTER,
			"dnsfailover_unit_total", "a counter", NULL), 4);
		_exit(c ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	assert_null(dfo_metric_register(DFO_METRIC_GAUGE, "dnsfailover_unit_total",
					"same name, other type", NULL));
	assert_null(dfo_metric_register(DFO_METRIC_GAUGE, "bad name", NULL, NULL));
	assert_null(dfo_metric_register(DFO_METRIC_GAUGE, "x", NULL, "a=\"b"));
	struct dfo_sbuf out = {0};
	assert_int_equal(dfo_metrics_write(&out), 0);
	assert_non_null(strstr(out.s, "# HELP dnsfailover_unit_gauge a gauge\n"
				      "# TYPE dnsfailover_unit_gauge gauge\n"
				      "dnsfailover_unit_gauge{pool=\"www\"} 2.5\n"));
	assert_non_null(strstr(out.s, "# TYPE dnsfailover_unit_total counter\n"
				      "dnsfailover_unit_total 7\n"));
	free(out.s);
}

static void loader_failing_init(void **unused)
{
	const char *mods[] = {"mod_failinit", NULL};
	struct dfo_err err;
	struct dfo_registry *reg;
	struct dfo_loader *l;
	assert_true(load(mods, &err, &reg, &l) < 0);
	assert_non_null(strstr(err.msg, "mod_failinit.so: module 'mod_failinit' "
					"failed to register: the frobnicator is "
					"missing"));
	unload(reg, l);
}

static void loader_duplicate(void **unused)
{
	const char *mods[] = {"mod_good", "mod_dup", NULL};
	struct dfo_err err;
	struct dfo_registry *reg;
	struct dfo_loader *l;
	assert_int_equal(load(mods, &err, &reg, &l), -EEXIST);
	/* Loaded in name order: mod_dup first, so mod_good is refused. */
	assert_non_null(strstr(err.msg, "mod_good.so: module 'mod_good' failed "
					"to register: check provider \"good\" is "
					"already registered by "));
	assert_non_null(strstr(err.msg, "mod_dup.so"));
	unload(reg, l);
}

static void loader_not_a_plugin(void **unused)
{
	const char *mods[] = {"mod_nosym", NULL};
	struct dfo_err err;
	struct dfo_registry *reg;
	struct dfo_loader *l;
	assert_true(load(mods, &err, &reg, &l) < 0);
	assert_non_null(strstr(err.msg, "mod_nosym.so: not a dnsfailover plugin"));
	unload(reg, l);
}

static void loader_missing_dir(void **unused)
{
	struct dfo_err err;
	struct dfo_registry *reg = dfo_registry_new();
	struct dfo_loader *l = NULL;
	dfo_err_clear(&err);
	assert_int_equal(dfo_loader_load_dir(&l, reg, "/nonexistent/dfo", &err),
			 -ENOENT);
	assert_string_equal(err.msg,
			    "plugin_dir /nonexistent/dfo: No such file or directory");
	unload(reg, l);
}

static void loader_empty_dir(void **unused)
{
	struct dfo_err err;
	struct dfo_registry *reg = dfo_registry_new();
	struct dfo_loader *l = NULL;
	char *d = tmpdir();
	dfo_err_clear(&err);
	assert_int_equal(dfo_loader_load_dir(&l, reg, d, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "no plugin (*.so) in it"));
	rmtree(d);
	free(d);
	unload(reg, l);
}

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
	expect_conf_error(s, "unknown_option",
			  "check \"web\" {\n\n  probe { port = 1 colour = 2 }\n}\n",
			  3, "no such option 'colour'");
}

static void conf_unknown_provider(void **s)
{
	expect_conf_error(s, "unknown_provider",
			  "check \"web\" {\n  prob { }\n}\n", 2,
			  "unknown check provider 'prob' (loaded: probe, other)");
}

static void conf_unknown_kind(void **s)
{
	expect_conf_error(s, "unknown_kind", "\n\nchek \"web\" { }\n", 3,
			  "no such option 'chek'");
}

static void conf_wrong_type(void **s)
{
	expect_conf_error(s, "wrong_type",
			  "check \"web\" {\n  probe {\n    port = \"eighty\"\n  }\n}\n",
			  3, "invalid integer value for option 'port'");
}

static void conf_no_provider(void **s)
{
	expect_conf_error(s, "no_provider", "# empty\ncheck \"web\" { }\n", 2,
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
	expect_conf_error(s, "duplicate_title",
			  "check \"web\" { probe { } }\ncheck \"web\" { other { } }\n",
			  2, "web");
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
	expect_conf_error(s, "bad_core_value",
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
		cmocka_unit_test(addr_parse_format),
		cmocka_unit_test(addr_numeric_order),
		cmocka_unit_test(rrset_ops),
		cmocka_unit_test(registry_rules),
		cmocka_unit_test(loader_good),
		cmocka_unit_test(loader_wrong_abi),
		cmocka_unit_test(loader_old_table_size),
		cmocka_unit_test(metrics_shared),
		cmocka_unit_test(loader_failing_init),
		cmocka_unit_test(loader_duplicate),
		cmocka_unit_test(loader_not_a_plugin),
		cmocka_unit_test(loader_missing_dir),
		cmocka_unit_test(loader_empty_dir),
		cmocka_unit_test_setup_teardown(conf_ok, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_unknown_option, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_unknown_provider, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_unknown_kind, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_wrong_type, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_no_provider, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_two_providers, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_duplicate_title, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_missing_instance, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_missing_reference, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_create_fails, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_bad_core_value, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(conf_syntax, conf_setup, conf_teardown),
		cmocka_unit_test_setup_teardown(plugin_dir_scan, conf_setup, conf_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
