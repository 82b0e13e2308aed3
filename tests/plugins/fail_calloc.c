/*
 * LD_PRELOAD fault injection for the engine tests: calloc(N, size) with
 * N = $DFO_FAIL_CALLOC_N fails (ENOMEM) once, while the file
 * $DFO_FAIL_CALLOC_FILE exists, after $DFO_FAIL_CALLOC_SKIP such calls
 * that succeed (the config's own table of N pools comes first); the
 * file is removed when it fires.  A
 * config with an unusual number of pools makes the engine's pool table
 * that allocation.  Only in the process that loaded it, not in the
 * children it forks (the agent's config checker).
 */
#include "config.h" /* _GNU_SOURCE, for RTLD_NEXT */

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static pid_t self;

__attribute__((constructor)) static void init(void)
{
	self = getpid();
}

void *calloc(size_t n, size_t size)
{
	static void *(*real)(size_t, size_t);
	if (!real)
		real = (void *(*)(size_t, size_t))dlsym(RTLD_NEXT, "calloc");
	/* dlsym may itself call calloc: fail that one softly */
	if (!real)
		return NULL;
	const char *want = getenv("DFO_FAIL_CALLOC_N");
	const char *file = getenv("DFO_FAIL_CALLOC_FILE");
	if (want && file && n == (size_t)atol(want) && size > 64 && self &&
	    getpid() == self && access(file, F_OK) == 0) {
		static long skipped;
		const char *skip = getenv("DFO_FAIL_CALLOC_SKIP");
		if (skip && skipped++ < atol(skip))
			return real(n, size);
		unlink(file);
		errno = ENOMEM;
		return NULL;
	}
	return real(n, size);
}
