/* Test module: its init fails with a message. */
#include <dnsfailover/dnsfailover.h>

static int failinit_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_err_set(err, -EPROTO, "the frobnicator is missing");
}

DFO_MODULE("mod_failinit", failinit_init);
