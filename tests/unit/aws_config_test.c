/* A config owns the AWS client of its `aws {}` section: loading a config
 * (even one that is then rejected) never replaces or frees the running
 * one's; a config loaded whole makes its client the default; freeing it
 * gives the default back to the one committed before (issue 10, #3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "aws/internal.h" /* dfo_aws_unconfigure */
#include "core.h"
#include <dnsfailover/aws.h>

static char dir[] = "/tmp/dfo-awscfg.XXXXXX";

static const char *conf(const char *name, const char *body)
{
	static char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(body, f);
	fclose(f);
	return path;
}

/* Loads the config NAME of BODY into *cf: 0 or -errno. */
static int load(struct dfo_config **cf, struct dfo_registry *reg,
		const char *name, const char *body)
{
	struct dfo_err err = {0};
	return dfo_config_load(cf, reg, conf(name, body), true, &err);
}

/* Loads X.conf, whose aws {} sets region "r-X": 0 or -errno. */
static int load_region(struct dfo_config **cf, struct dfo_registry *reg,
		       const char *x)
{
	char name[32], body[64];
	snprintf(name, sizeof(name), "%s.conf", x);
	snprintf(body, sizeof(body), "aws { region = \"r-%s\" }\n", x);
	return load(cf, reg, name, body);
}

static const char *region(void)
{
	struct dfo_err err = {0};
	struct dfo_aws *a = dfo_aws_default(&err);
	assert_non_null(a);
	const char *r = dfo_aws_region(a, &err);
	return r ? r : "(none)";
}

static void test_staged(void **state)
{
	(void)state;
	struct dfo_registry *reg = dfo_registry_new();
	struct dfo_config *a = NULL, *b = NULL, *c = NULL;
	struct dfo_err err = {0};
	setenv("AWS_REGION", "r-env", 1);
	assert_string_equal(region(), "r-env");

	assert_int_equal(load_region(&a, reg, "a"), 0);
	struct dfo_aws *live = dfo_aws_default(&err);
	assert_string_equal(region(), "r-a");

	/* Rejected after its aws {} was read: the live client stays, the
	 * same object, not freed (ASan would see a use after free). */
	assert_true(load(&b, reg, "b.conf",
			 "aws { region = \"r-b\" }\npool \"p\" { }\n") < 0);
	assert_null(b);
	assert_ptr_equal(dfo_aws_default(&err), live);
	assert_string_equal(region(), "r-a");
	/* Rejected by the aws section itself. */
	assert_true(load(&b, reg, "b2.conf",
			 "aws { region = \"r-b\" max_retries = 99 }\n") < 0);
	assert_ptr_equal(dfo_aws_default(&err), live);
	assert_string_equal(region(), "r-a");

	/* A config loaded whole: its client is the default... */
	assert_int_equal(load_region(&c, reg, "c"), 0);
	assert_string_equal(region(), "r-c");
	/* ...and stays so when the old config is freed (a reload). */
	dfo_config_free(a);
	assert_string_equal(region(), "r-c");
	/* Freed itself: the environment's again, never a dangling one. */
	dfo_config_free(c);
	assert_string_equal(region(), "r-env");

	/* Freeing the newest first hands the default back to the older. */
	assert_int_equal(load_region(&a, reg, "a"), 0);
	assert_int_equal(load_region(&c, reg, "c"), 0);
	assert_string_equal(region(), "r-c");
	dfo_config_free(c);
	assert_string_equal(region(), "r-a");
	dfo_config_free(a);
	assert_string_equal(region(), "r-env");
	dfo_registry_free(reg);
}

static void test_clone_settings(void **state)
{
	(void)state;
	struct dfo_aws_settings s = {.region = "eu-west-3",
				     .access_key_id = "AKIDX",
				     .secret_access_key = "sx",
				     .max_retries = -1};
	struct dfo_aws *a, *b;
	struct dfo_err err = {0};
	const struct dfo_aws_creds *ca, *cb;
	assert_int_equal(dfo_aws_new(&a, &s, &err), 0);
	assert_int_equal(dfo_aws_credentials(a, &ca, &err), 0);
	assert_int_equal(dfo_aws_clone(a, &b, &err), 0);
	assert_ptr_not_equal(a, b);
	assert_string_equal(dfo_aws_region(b, &err), "eu-west-3");
	assert_int_equal(dfo_aws_credentials(b, &cb, &err), 0);
	assert_ptr_not_equal(ca, cb);
	assert_string_equal(cb->access_key_id, "AKIDX");
	assert_string_equal(cb->source, ca->source);
	dfo_aws_free(a); /* the clone owns all it holds */
	assert_string_equal(cb->secret_access_key, "sx");
	dfo_aws_free(b);
}

int main(void)
{
	if (!mkdtemp(dir))
		return 1;
	unsetenv("AWS_ENDPOINT_URL");
	dfo_log_setup(DFO_LOG_ERR, 0, "aws_config_test");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_staged),
		cmocka_unit_test(test_clone_settings),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		rc = 1;
	dfo_aws_unconfigure();
	return rc;
}
