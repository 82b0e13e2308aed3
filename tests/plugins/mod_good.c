/* Test module: registers one check provider "good" (always healthy). */
#include <dnsfailover/dnsfailover.h>

static int good_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	*state = NULL;
	return 0;
}

static int good_check(void *state, const struct dfo_check_target *t,
		      struct dfo_err *err)
{
	return 0;
}

static const struct dfo_check_provider good = {
	.size = sizeof(struct dfo_check_provider),
	.name = "good",
	.description = "test: always healthy",
	.create = good_create,
	.check = good_check,
};

static int good_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_check(reg, &good);
}

DFO_MODULE("mod_good", good_init);
