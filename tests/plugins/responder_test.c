/*
 * Test-only module "test_responder": responder "sleeper", which appends
 * its pid to `pid_file` when it starts and then sleeps until SIGTERM, or
 * returns an error after `exit_after` seconds (> 0) so the supervisor
 * must restart it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

struct sleeper {
	char *pid_file;
	double exit_after;
};

static cfg_opt_t sleeper_opts[] = {
	CFG_STR("pid_file", NULL, CFGF_NODEFAULT),
	CFG_FLOAT("exit_after", 0, CFGF_NONE),
	CFG_END()};

static void sleeper_destroy(void *state)
{
	struct sleeper *s = state;
	if (s)
		free(s->pid_file);
	free(s);
}

static int sleeper_create(const char *instance, cfg_t *sec, void **state,
			  struct dfo_err *err)
{
	const char *pf = cfg_getstr(sec, "pid_file");
	if (!pf)
		return dfo_err_set(err, -EINVAL, "option 'pid_file' is required");
	struct sleeper *s = calloc(1, sizeof(*s));
	if (!s || !(s->pid_file = strdup(pf))) {
		free(s);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	s->exit_after = cfg_getfloat(sec, "exit_after");
	*state = s;
	return 0;
}

static int sleeper_run(void *state, struct dfo_err *err)
{
	struct sleeper *s = state;
	FILE *fp = fopen(s->pid_file, "ae");
	if (fp) {
		fprintf(fp, "%d\n", (int)getpid());
		fclose(fp);
	}
	if (s->exit_after > 0) {
		struct timespec ts = {(time_t)s->exit_after,
				      (long)((s->exit_after - (time_t)s->exit_after) * 1e9)};
		nanosleep(&ts, NULL);
		return dfo_err_set(err, -EIO, "exiting after %.2f s, as told",
				   s->exit_after);
	}
	for (;;)
		pause();
}

static const struct dfo_responder_provider sleeper_provider = {
	.name = "sleeper",
	.description = "test: sleeps, or exits after a while",
	.options = sleeper_opts,
	.create = sleeper_create,
	.destroy = sleeper_destroy,
	.run = sleeper_run,
};

static int sleeper_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_responder(reg, &sleeper_provider);
}

DFO_MODULE("test_responder", sleeper_init);
