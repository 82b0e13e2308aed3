/*
 * timer "tick": a fixed interval, a fixed check timeout, retries.  The
 * first round of a pool runs one second after start, plus a random delay
 * in [0, splay) when `splay` is set (so a fleet restarted together does
 * not call a rate-limited API in the same second).  Rounds are due every
 * `interval` seconds after the previous due time; when a round ends late
 * (past the next due time), the next one runs at once and the schedule
 * restarts from then, so missed rounds are never run in a burst.  The
 * schedule is each pool's own (the core passes the last due time), so
 * pools sharing an instance each run at its rate.
 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/random.h>

#include <dnsfailover/dnsfailover.h>

struct tick {
	double interval, timeout, splay;
	unsigned retries;
};

static cfg_opt_t tick_opts[] = {CFG_FLOAT("interval", 10, CFGF_NONE),
				CFG_FLOAT("timeout", 3, CFGF_NONE),
				CFG_INT("retries", 3, CFGF_NONE),
				CFG_FLOAT("splay", 0, CFGF_NONE), CFG_END()};

static int tick_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	struct tick *t = calloc(1, sizeof(*t));
	if (!t)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	t->interval = cfg_getfloat(sec, "interval");
	t->timeout = cfg_getfloat(sec, "timeout");
	t->splay = cfg_getfloat(sec, "splay");
	long retries = cfg_getint(sec, "retries");
	int rc = 0;
	/* Lower bounds: below them every round is a fork storm and every
	 * check "times out" before it could have answered. */
	if (!(t->interval >= 0.1) || t->interval > 86400)
		rc = dfo_err_set(err, -EINVAL,
				 "interval must be 0.1 to 86400 s, not %g",
				 t->interval);
	else if (!(t->timeout >= 0.05) || t->timeout > 3600)
		rc = dfo_err_set(err, -EINVAL,
				 "timeout must be 0.05 to 3600 s, not %g",
				 t->timeout);
	else if (retries < 1 || retries > 100)
		rc = dfo_err_set(err, -EINVAL, "retries must be 1..100");
	else if (!(t->splay >= 0) || t->splay > 86400)
		rc = dfo_err_set(err, -EINVAL, "splay must be 0..86400 s");
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

/* Uniform in [0, 1). */
static double uniform(void)
{
	uint32_t r;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r))
		r = (uint32_t)random();
	return r / 4294967296.0;
}

static double tick_next_round(void *state, double last, double now)
{
	const struct tick *t = state;
	if (last < 0)
		return now + 1.0 + (t->splay > 0 ? t->splay * uniform() : 0);
	if (last + t->interval >= now)
		return last + t->interval;
	return now; /* late: run now, the schedule restarts here */
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
