/* Placeholder engine: waits for signals.  The round lives here. */
#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "engine.h"

struct dfo_engine {
	struct dfo_config *conf;
	int sigfd;
};

struct dfo_engine *dfo_engine_new(struct dfo_config *conf, int sigfd)
{
	struct dfo_engine *e = calloc(1, sizeof(*e));
	if (e) {
		e->conf = conf;
		e->sigfd = sigfd;
	}
	return e;
}

enum dfo_engine_event dfo_engine_run(struct dfo_engine *e, int *exit_code)
{
	*exit_code = 0;
	for (;;) {
		struct pollfd p = {.fd = e->sigfd, .events = POLLIN};
		if (poll(&p, 1, -1) <= 0)
			continue;
		struct signalfd_siginfo si;
		if (read(e->sigfd, &si, sizeof(si)) != sizeof(si))
			continue;
		if (si.ssi_signo == SIGHUP)
			return DFO_ENGINE_RELOAD;
		return DFO_ENGINE_STOP;
	}
}

void dfo_engine_set_config(struct dfo_engine *e, struct dfo_config *conf)
{
	e->conf = conf;
}

void dfo_engine_shutdown(struct dfo_engine *e)
{
	(void)e;
}

void dfo_engine_free(struct dfo_engine *e)
{
	free(e);
}
