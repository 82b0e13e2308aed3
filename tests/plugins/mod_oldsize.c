/*
 * Test module: a dns provider whose table was built before
 * `call_spacing` was appended (its size ends before that field), and one
 * whose table states no size at all.  The first must load with
 * call_spacing taken as absent, although the bytes after its end hold a
 * pointer; the second must be refused.
 */
#include <stddef.h>

#include <dnsfailover/dnsfailover.h>

static int old_create(const char *instance, cfg_t *sec, void **state,
		      struct dfo_err *err)
{
	*state = NULL;
	return 0;
}

static int old_list(void *state, const char *fqdn, struct dfo_rrset *out,
		    struct dfo_err *err)
{
	return 0;
}

static int old_change(void *state, const char *fqdn,
		      const struct dfo_addr *addr,
		      const struct dfo_rrset *expected, struct dfo_err *err)
{
	return 0;
}

/* Never to be called: it lies beyond the table's stated size. */
static double poison(void *state)
{
	__builtin_trap();
}

static const struct dfo_dns_provider old = {
	.size = offsetof(struct dfo_dns_provider, call_spacing),
	.name = "old",
	.description = "test: a table of an older minor version",
	.create = old_create,
	.list = old_list,
	.add = old_change,
	.del = old_change,
	.call_spacing = poison,
};

static const struct dfo_dns_provider nosize = {
	.name = "nosize",
	.create = old_create,
	.list = old_list,
	.add = old_change,
	.del = old_change,
};

static int oldsize_init(struct dfo_registry *reg, struct dfo_err *err)
{
	int rc = dfo_register_dns(reg, &old);
	if (rc < 0)
		return rc;
	/* Refused: record why, and go on. */
	if (dfo_register_dns(reg, &nosize) != -EINVAL)
		return dfo_err_set(err, -EINVAL,
				   "a table without size was taken");
	return 0;
}

DFO_MODULE("mod_oldsize", oldsize_init);
