/*
 * timer "tick": a fixed interval, a fixed check timeout, retries.  The
 * first round runs one second after start.  Rounds are due every
 * `interval` seconds after the previous due time; when a round ends late
 * (past the next due time), the next one runs at once and the schedule
 * restarts from then, so missed rounds are never run in a burst.
 */
#include <stdlib.h>

#include <dnsfailover/dnsfailover.h>

struct tick {
	double interval, timeout;
	unsigned retries;
	double due; /* last due time; < 0 before the first */
};


static cfg_opt_t tick_opts[] = {
	CFG_FLOAT("interval", 10, CFGF_NONE),
	CFG_FLOAT("timeout", 3, CFGF_NONE),
	CFG_INT("retries", 3, CFGF_NONE),
	CFG_END()};

static int tick_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	struct tick *t = calloc(1, sizeof(*t));
	if (!t)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	t->interval = cfg_getfloat(sec, "interval");
	t->timeout = cfg_getfloat(sec, "timeout");
	long retries = cfg_getint(sec, "retries");
	t->due = -1;
	int rc = 0;
	if (!(t->interval > 0) || t->interval > 86400)
		rc = dfo_err_set(err, -EINVAL,
				 "interval must be more than 0 and at most 86400 s");
	else if (!(t->timeout > 0) || t->timeout > 3600)
		rc = dfo_err_set(err, -EINVAL,
				 "timeout must be more than 0 and at most 3600 s");
	else if (retries < 1 || retries > 100)
		rc = dfo_err_set(err, -EINVAL, "retries must be 1..100");
	if (rc < 0) {
		free(t);
		return rc;
	}
	t->retries = (unsigned)retries;
	*state = t;
	return 0;
}

static void tick_destroy(void *state)
{
	free(state);
}

static double tick_next_round(void *state, double now)
{
	struct tick *t = state;
	if (t->due < 0)
		t->due = now + 1.0;
	else if (t->due + t->interval >= now)
		t->due += t->interval;
	else
		t->due = now; /* late: run now, the schedule restarts here */
	return t->due;
}

static double tick_check_timeout(void *state)
{
	return ((struct tick *)state)->timeout;
}

static unsigned tick_retries(void *state)
{
	return ((struct tick *)state)->retries;
}

static const struct dfo_timer_provider tick_provider = {
	.size = sizeof(struct dfo_timer_provider),
	.name = "tick",
	.description = "fixed interval, check timeout and retries",
	.options = tick_opts,
	.create = tick_create,
	.destroy = tick_destroy,
	.next_round = tick_next_round,
	.check_timeout = tick_check_timeout,
	.retries = tick_retries,
};

static int tick_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_timer(reg, &tick_provider);
}

DFO_MODULE("timer_tick", tick_init);
