/* The registry (duplicates refused, never overwritten) and the loader
 * (ABI, table sizes, failing and broken modules, plugin directories). */
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

static const struct dfo_check_provider check_noop = {
	.size = sizeof(struct dfo_check_provider),
	.name = "broken",
	.create = t_create};
static const struct dfo_check_provider check_badname = {
	.size = sizeof(struct dfo_check_provider),
	.name = "Bad Name",
	.create = t_create,
	.check = t_check};

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
	const struct dfo_entry *e =
		dfo_registry_find(reg, DFO_KIND_CHECK, "probe");
	assert_non_null(e);
	assert_ptr_equal(e->ops, &check_a);
	assert_null(dfo_registry_find(reg, DFO_KIND_DNS, "probe"));
	e = dfo_registry_find(reg, DFO_KIND_TIMER, "probe");
	assert_non_null(e);
	assert_ptr_equal(e->ops, &timer_a);
	dfo_registry_free(reg);
}

/* ---- loader ---- */

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

/* Loading MODS fails (with RC, or with any error when RC is 0), and the
 * error says WANT, and ALSO unless it is NULL. */
static void refused(const char *const *mods, int rc, const char *want,
		    const char *also)
{
	struct dfo_err err;
	struct dfo_registry *reg;
	struct dfo_loader *l;
	int got = load(mods, &err, &reg, &l);
	if (rc)
		assert_int_equal(got, rc);
	else
		assert_true(got < 0);
	assert_non_null(strstr(err.msg, want));
	if (also)
		assert_non_null(strstr(err.msg, also));
	unload(reg, l);
}

static void loader_good(void **unused)
{
	const char *mods[] = {"mod_good", NULL};
	struct dfo_err err;
	struct dfo_registry *reg;
	struct dfo_loader *l;
	assert_int_equal(load(mods, &err, &reg, &l), 0);
	const struct dfo_entry *e =
		dfo_registry_find(reg, DFO_KIND_CHECK, "good");
	assert_non_null(e);
	assert_non_null(strstr(e->module, "mod_good.so"));
	unload(reg, l);
}

static void loader_wrong_abi(void **unused)
{
	const char *mods[] = {"mod_badabi", NULL};
	refused(mods, 0,
		"mod_badabi.so: plugin ABI 1, this dnsfailover speaks ABI 2: "
		"rebuild",
		"rebuild");
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
	assert_non_null(strstr(dfo_registry_why(reg),
			       "\"nosize\": its table states no size"));
	unload(reg, l);
}

static void loader_failing_init(void **unused)
{
	const char *mods[] = {"mod_failinit", NULL};
	refused(mods, 0,
		"mod_failinit.so: module 'mod_failinit' failed to register: "
		"the frobnicator is missing",
		NULL);
}

static void loader_duplicate(void **unused)
{
	const char *mods[] = {"mod_good", "mod_dup", NULL};
	/* Loaded in name order: mod_dup first, so mod_good is refused. */
	refused(mods, -EEXIST,
		"mod_good.so: module 'mod_good' failed to register: check "
		"provider \"good\" is already registered by ",
		"mod_dup.so");
}

static void loader_not_a_plugin(void **unused)
{
	const char *mods[] = {"mod_nosym", NULL};
	refused(mods, 0, "mod_nosym.so: not a dnsfailover plugin", NULL);
}

static void loader_missing_dir(void **unused)
{
	struct dfo_err err;
	struct dfo_registry *reg = dfo_registry_new();
	struct dfo_loader *l = NULL;
	dfo_err_clear(&err);
	assert_int_equal(dfo_loader_load_dir(&l, reg, "/nonexistent/dfo", &err),
			 -ENOENT);
	assert_string_equal(
		err.msg,
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(registry_rules),
		cmocka_unit_test(loader_good),
		cmocka_unit_test(loader_wrong_abi),
		cmocka_unit_test(loader_old_table_size),
		cmocka_unit_test(loader_failing_init),
		cmocka_unit_test(loader_duplicate),
		cmocka_unit_test(loader_not_a_plugin),
		cmocka_unit_test(loader_missing_dir),
		cmocka_unit_test(loader_empty_dir),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
