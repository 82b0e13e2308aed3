/* What several unit suites share: providers registered by hand (the
 * registry's and the configuration's tests) and scratch directories.
 * Included after <cmocka.h> and "core.h". */
#ifndef DFO_TESTS_UNIT_H
#define DFO_TESTS_UNIT_H

static inline int t_create(const char *instance, cfg_t *sec, void **state,
			   struct dfo_err *err)
{
	/* "fail" instances fail with a message. */
	if (strcmp(instance, "fail") == 0)
		return dfo_err_set(err, -EINVAL, "refused by the provider");
	*state = NULL;
	return 0;
}

static inline int t_check(void *state, const struct dfo_check_target *t,
			  struct dfo_err *err)
{
	return 0;
}

static cfg_opt_t t_check_opts[] = {CFG_INT("port", 80, CFGF_NONE), CFG_END()};

static const struct dfo_check_provider check_a = {
	.size = sizeof(struct dfo_check_provider),
	.name = "probe",
	.options = t_check_opts,
	.create = t_create,
	.check = t_check};
static const struct dfo_check_provider check_b = {
	.size = sizeof(struct dfo_check_provider),
	.name = "other",
	.create = t_create,
	.check = t_check};
static inline double t_next(void *s, double last, double now)
{
	return now + 1;
}
static inline double t_timeout(void *s)
{
	return 1;
}
static inline unsigned t_retries(void *s)
{
	return 1;
}
static const struct dfo_timer_provider timer_a = {
	.size = sizeof(struct dfo_timer_provider),
	.name = "probe",
	.create = t_create,
	.next_round = t_next,
	.check_timeout = t_timeout,
	.retries = t_retries};

static inline char *tmpdir(void)
{
	char *d = strdup("/tmp/dfo-unit.XXXXXX");
	assert_non_null(mkdtemp(d));
	return d;
}

static inline void rmtree(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

#endif
