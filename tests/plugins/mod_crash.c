/* Test module: crashes (SIGSEGV) in its init, as a broken plugin would. */
#include <signal.h>

#include <dnsfailover/dnsfailover.h>

static int crash_init(struct dfo_registry *reg, struct dfo_err *err)
{
	(void)reg;
	(void)err;
	raise(SIGSEGV);
	return -1;
}

DFO_MODULE("mod_crash", crash_init);
