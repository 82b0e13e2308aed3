/* Test module: built for plugin ABI 1 (before tables stated their size). */
#include <dnsfailover/dnsfailover.h>

static int badabi_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return 0;
}

__attribute__((visibility("default")))
const struct dfo_module dfo_module = {1, "mod_badabi", badabi_init};
