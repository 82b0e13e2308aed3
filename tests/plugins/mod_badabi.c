/* Test module: built for another plugin ABI. */
#include <dnsfailover/dnsfailover.h>

static int badabi_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return 0;
}

__attribute__((visibility("default"))) const struct dfo_module dfo_module = {
	DFO_PLUGIN_ABI + 41, "mod_badabi", badabi_init};
