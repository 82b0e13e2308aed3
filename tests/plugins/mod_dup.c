/* Test module: registers a second "good" check provider (a duplicate of
 * mod_good's). */
#include <dnsfailover/dnsfailover.h>

static int dup_create(const char *instance, cfg_t *sec, void **state,
		      struct dfo_err *err)
{
	return 0;
}

static int dup_check(void *state, const struct dfo_check_target *t,
		     struct dfo_err *err)
{
	return 0;
}

static const struct dfo_check_provider dup = {
	.size = sizeof(struct dfo_check_provider),
	.name = "good",
	.create = dup_create,
	.check = dup_check,
};

static int dup_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_check(reg, &dup);
}

DFO_MODULE("mod_dup", dup_init);
