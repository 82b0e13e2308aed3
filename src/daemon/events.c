/*
 * Events: every state change a pool makes or sees is counted in the
 * core's metrics and handed to the operator's notify program.
 *
 * A notify program runs like a check: in its own child process and
 * process group, no shell, its environment telling what happened,
 * killed (with its group) at notify_timeout.  The round never waits for
 * it: the engine's loop reaps it through its pidfd.  A program that
 * fails, cannot be run or overruns is logged.  At most MAX_KIDS run at
 * once; events beyond that are logged and not run.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ops.h"

#define MAX_KIDS 64
#define MAX_ARGS 64

static const char *const names[EV_COUNT] = {
	[EV_JOINED] = "joined",	      [EV_REJOINED] = "rejoined",
	[EV_WITHDREW] = "withdrew",   [EV_EVICTED] = "evicted",
	[EV_REMOVED] = "removed",     [EV_PEER_DOWN] = "peer_down",
	[EV_PEER_UP] = "peer_up",     [EV_SELF_FAILING] = "self_failing",
	[EV_SELF_OK] = "self_ok",     [EV_DNS_ERROR] = "dns_error",
	[EV_DNS_OK] = "dns_ok",	      [EV_DRAINING] = "draining",
	[EV_UNDRAINED] = "undrained",
};

const char *events_name(enum event_type t)
{
	return t < EV_COUNT ? names[t] : "unknown";
}

struct kid {
	pid_t pid;	 /* 0: slot free */
	int pidfd;	 /* -1 if the kernel has none */
	double deadline; /* dfo_now() clock */
	bool killed;
	char what[128]; /* "PROGRAM (EVENT)" for the log */
};

/* The module's state, owned by the engine (struct agent). */
struct events {
	const struct dfo_config *conf; /* the engine's current; not owned */
	struct kid kids[MAX_KIDS];
};

struct events *events_new(void)
{
	struct events *ev = calloc(1, sizeof(*ev));
	for (size_t i = 0; ev && i < MAX_KIDS; i++)
		ev->kids[i].pidfd = -1;
	return ev;
}

void events_free(struct events *ev)
{
	if (!ev)
		return;
	events_finish(ev);
	free(ev);
}

/* ---- metrics ---- */

/* Append `v` to `out` as a label value (\\, \" and \n escaped). */
static void label_escape(char *out, size_t size, const char *v)
{
	size_t k = strlen(out);
	for (; v && *v && k + 3 < size; v++) {
		if (*v == '\\' || *v == '"') {
			out[k++] = '\\';
			out[k++] = *v;
		} else if (*v == '\n') {
			out[k++] = '\\';
			out[k++] = 'n';
		} else {
			out[k++] = *v;
		}
	}
	out[k] = '\0';
}

/* pool="P"[,KEY="VALUE"] */
static struct dfo_metric *metric(enum dfo_metric_type type, const char *name,
				 const char *help, const char *pool,
				 const char *key, const char *value)
{
	char labels[192] = "pool=\"";
	label_escape(labels, sizeof(labels), pool);
	strcat(labels, "\"");
	if (key) {
		size_t k = strlen(labels);
		snprintf(labels + k, sizeof(labels) - k, ",%s=\"", key);
		label_escape(labels, sizeof(labels) - 1, value);
		strcat(labels, "\"");
	}
	return dfo_metric_register(type, name, help, labels);
}

#define COUNTER DFO_METRIC_COUNTER
#define GAUGE	DFO_METRIC_GAUGE

static const char H_ROUNDS[] = "Rounds run, by pool.";
static const char H_DUR[] = "Duration of the last round, by pool.";
static const char H_DUR_SUM[] = "Time spent in rounds, by pool.";
static const char H_LAST[] =
	"When the last round started (seconds since the epoch).";
static const char H_CHECKS[] =
	"Health checks run (self and peers), by pool and result.";
static const char H_EVICT[] =
	"Dead peers removed from DNS by this agent, by pool and name.";
static const char H_JOIN[] = "Times this host added its own record (joined or "
			     "rejoined), by pool and name.";
static const char H_WDRAW[] =
	"Times this host removed its own record, by pool and name.";
static const char H_REMOVED[] =
	"Times another agent removed this host's record, by pool and name.";
static const char H_DNSERR[] =
	"Errors of the dns provider, by pool and operation.";
static const char H_IPERR[] = "Errors of the ipsource, by pool and operation.";
static const char H_CHKERR[] =
	"Checks that could not start or run, by pool and operation.";
static const char H_UP[] = "Peers whose last check passed, by pool.";
static const char H_PEERS[] = "Peers seen in the pool's records, by pool.";
static const char H_SELF[] =
	"1 if this host's last self-check passed, by pool.";
static const char H_DRAIN[] = "1 while the pool's drain file exists, by pool.";
static const char H_EVENTS[] = "State changes, by pool and event (DFO_EVENT).";
static const char H_NOTIFY[] =
	"Notify programs that failed, could not run or overran their deadline.";

/* Each operation of enum round_op: its counter and the op label. */
static const struct {
	const char *metric, *help, *op;
} round_ops[ROUND_OP_N] = {
	[ROUND_OP_OWN_ADDR] = {"dnsfailover_ipsource_errors_total", H_IPERR,
			       "own_addr"},
	[ROUND_OP_IPSOURCE_START] = {"dnsfailover_ipsource_errors_total",
				     H_IPERR, "start"},
	[ROUND_OP_DNS_START] = {"dnsfailover_dns_errors_total", H_DNSERR,
				"start"},
	[ROUND_OP_CHECK_START] = {"dnsfailover_check_errors_total", H_CHKERR,
				  "start"},
	[ROUND_OP_DNS_LIST] = {"dnsfailover_dns_errors_total", H_DNSERR,
			       "list"},
	[ROUND_OP_DNS_ADD] = {"dnsfailover_dns_errors_total", H_DNSERR, "add"},
	[ROUND_OP_DNS_DEL] = {"dnsfailover_dns_errors_total", H_DNSERR, "del"},
	[ROUND_OP_CHECKS_RUN] = {"dnsfailover_check_errors_total", H_CHKERR,
				 "run"},
};

static void register_pool(const struct dfo_pool *p)
{
	metric(COUNTER, "dnsfailover_rounds_total", H_ROUNDS, p->name, NULL,
	       NULL);
	metric(GAUGE, "dnsfailover_round_duration_seconds", H_DUR, p->name,
	       NULL, NULL);
	metric(COUNTER, "dnsfailover_round_seconds_total", H_DUR_SUM, p->name,
	       NULL, NULL);
	metric(GAUGE, "dnsfailover_last_round_timestamp_seconds", H_LAST,
	       p->name, NULL, NULL);
	for (int r = DFO_CHECK_HEALTHY; r <= DFO_CHECK_UNKNOWN; r++)
		metric(COUNTER, "dnsfailover_checks_total", H_CHECKS, p->name,
		       "result", dfo_check_result_name(r));
	for (size_t f = 0; f < p->nfqdn; f++) {
		metric(COUNTER, "dnsfailover_evictions_total", H_EVICT, p->name,
		       "fqdn", p->fqdn[f]);
		metric(COUNTER, "dnsfailover_joins_total", H_JOIN, p->name,
		       "fqdn", p->fqdn[f]);
		metric(COUNTER, "dnsfailover_withdrawals_total", H_WDRAW,
		       p->name, "fqdn", p->fqdn[f]);
	}
	for (int i = 0; i < ROUND_OP_N; i++)
		metric(COUNTER, round_ops[i].metric, round_ops[i].help, p->name,
		       "op", round_ops[i].op);
	metric(GAUGE, "dnsfailover_peers_up", H_UP, p->name, NULL, NULL);
	metric(GAUGE, "dnsfailover_peers", H_PEERS, p->name, NULL, NULL);
	metric(GAUGE, "dnsfailover_self_healthy", H_SELF, p->name, NULL, NULL);
	metric(GAUGE, "dnsfailover_draining", H_DRAIN, p->name, NULL, NULL);
}

void events_configure(struct events *ev, const struct dfo_config *c)
{
	ev->conf = c;
	dfo_metric_register(COUNTER, "dnsfailover_notify_failures_total",
			    H_NOTIFY, NULL);
	for (size_t i = 0; i < c->npools; i++)
		register_pool(&c->pools[i]);
}

/* ---- notify programs ---- */

static void kid_run(const char *const *argv, size_t argc, enum event_type t,
		    const struct pool_state *ps, const char *fqdn,
		    const char *addr, const char *reason, pid_t parent)
{
	dfo_child_setup(NULL, SIGTERM, parent);
	int fd = open("/dev/null", O_RDONLY);
	if (fd >= 0 && fd != STDIN_FILENO) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	close_range(3, ~0U, 0);
	setenv("DFO_EVENT", events_name(t), 1);
	setenv("DFO_POOL", ps->name, 1);
	setenv("DFO_FQDN", fqdn ? fqdn : "", 1);
	setenv("DFO_ADDRESS", addr ? addr : "", 1);
	setenv("DFO_REASON", reason ? reason : "", 1);
	char *args[MAX_ARGS + 1];
	size_t n = argc < MAX_ARGS ? argc : MAX_ARGS;
	for (size_t i = 0; i < n; i++)
		args[i] = (char *)argv[i];
	args[n] = NULL;
	execv(args[0], args);
	dfo_log(DFO_LOG_WARNING, "notify: cannot run %s: %s", args[0],
		strerror(errno));
	_exit(127);
}

static void notify_spawn(struct events *ev, const struct pool_state *ps,
			 enum event_type t, const char *fqdn, const char *addr,
			 const char *reason)
{
	if (!ev)
		return;
	const struct dfo_config *conf = ev->conf;
	struct kid *kids = ev->kids;
	const char *const *argv = NULL;
	size_t argc = 0;
	if (ps->pool && ps->pool->nnotify) {
		argv = ps->pool->notify;
		argc = ps->pool->nnotify;
	} else if (conf && conf->nnotify) {
		argv = conf->notify;
		argc = conf->nnotify;
	}
	if (!argc)
		return;
	struct kid *k = NULL;
	for (size_t i = 0; i < MAX_KIDS && !k; i++)
		if (!kids[i].pid)
			k = &kids[i];
	if (!k) {
		dfo_log(DFO_LOG_WARNING,
			"pool %s: notify: %d programs still "
			"running; %s not notified",
			ps->name, MAX_KIDS, events_name(t));
		dfo_metric_add(
			dfo_metric_register(COUNTER,
					    "dnsfailover_notify_failures_total",
					    H_NOTIFY, NULL),
			1);
		return;
	}
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		dfo_log(DFO_LOG_WARNING, "pool %s: notify: fork: %s", ps->name,
			strerror(errno));
		return;
	}
	if (pid == 0)
		kid_run(argv, argc, t, ps, fqdn, addr, reason, parent);
	setpgid(pid, pid);
	k->pid = pid;
	k->pidfd = dfo_pidfd_open(pid);
	k->killed = false;
	k->deadline = dfo_now() + (conf ? conf->notify_timeout : 10);
	snprintf(k->what, sizeof(k->what), "%s (%s)", argv[0], events_name(t));
	dfo_log(DFO_LOG_DEBUG, "pool %s: notify %s started, pid %d", ps->name,
		k->what, (int)pid);
}

static void kid_done(const struct events *ev, struct kid *k, int status)
{
	const struct dfo_config *conf = ev->conf;
	bool bad = true;
	if (k->killed)
		dfo_log(DFO_LOG_WARNING,
			"notify %s killed at its deadline "
			"(notify_timeout %g s)",
			k->what, conf ? conf->notify_timeout : 10);
	else if (WIFSIGNALED(status))
		dfo_log(DFO_LOG_WARNING, "notify %s died of signal %d (%s)",
			k->what, WTERMSIG(status), strsignal(WTERMSIG(status)));
	else if (WEXITSTATUS(status) != 0)
		dfo_log(DFO_LOG_WARNING, "notify %s exited with status %d",
			k->what, WEXITSTATUS(status));
	else
		bad = false;
	if (bad)
		dfo_metric_add(
			dfo_metric_register(COUNTER,
					    "dnsfailover_notify_failures_total",
					    H_NOTIFY, NULL),
			1);
	if (k->pidfd >= 0)
		close(k->pidfd);
	memset(k, 0, sizeof(*k));
	k->pidfd = -1;
}

bool events_tracked(const struct events *ev, pid_t pid)
{
	const struct kid *kids = ev->kids;
	for (size_t i = 0; i < MAX_KIDS; i++)
		if (kids[i].pid == pid)
			return true;
	return false;
}

void events_reap(struct events *ev)
{
	struct kid *kids = ev->kids;
	double now = dfo_now();
	for (size_t i = 0; i < MAX_KIDS; i++) {
		struct kid *k = &kids[i];
		if (!k->pid)
			continue;
		int status;
		pid_t r = waitpid(k->pid, &status, WNOHANG);
		if (r == k->pid) {
			/* What it left in its group goes too. */
			kill(-k->pid, SIGKILL);
			kid_done(ev, k, status);
			continue;
		}
		if (r < 0 && errno == ECHILD) {
			kid_done(ev, k, 0);
			continue;
		}
		if (!k->killed && now >= k->deadline) {
			kill(-k->pid, SIGKILL);
			kill(k->pid, SIGKILL);
			k->killed = true;
		}
	}
}

size_t events_pollfds(const struct events *ev, struct pollfd *p, size_t max)
{
	const struct kid *kids = ev->kids;
	size_t n = 0;
	for (size_t i = 0; i < MAX_KIDS && n < max; i++)
		if (kids[i].pid && kids[i].pidfd >= 0)
			p[n++] = (struct pollfd){.fd = kids[i].pidfd,
						 .events = POLLIN};
	return n;
}

double events_next(const struct events *ev)
{
	const struct kid *kids = ev->kids;
	double next = 1e300;
	for (size_t i = 0; i < MAX_KIDS; i++) {
		if (!kids[i].pid)
			continue;
		/* Without a pidfd, look every 100 ms. */
		double t = kids[i].pidfd < 0 ? dfo_now() + 0.1
			   : kids[i].killed  ? dfo_now() + 0.05
					     : kids[i].deadline;
		if (t < next)
			next = t;
	}
	return next;
}

void events_finish(struct events *ev)
{
	const struct kid *kids = ev->kids;
	for (;;) {
		events_reap(ev);
		bool any = false;
		for (size_t i = 0; i < MAX_KIDS; i++)
			any |= kids[i].pid != 0;
		if (!any)
			return;
		usleep(20000);
	}
}

/* ---- the round's hooks ---- */

static void count_fqdn(const struct pool_state *ps, const char *name,
		       const char *help, const char *fqdn)
{
	if (fqdn)
		dfo_metric_add(
			metric(COUNTER, name, help, ps->name, "fqdn", fqdn), 1);
}

void events_emit(const struct pool_state *ps, enum event_type t,
		 const char *fqdn, const struct dfo_addr *addr,
		 const char *reason)
{
	char a[DFO_ADDR_STRLEN] = "";
	if (addr && addr->family)
		dfo_addr_format(addr, a, sizeof(a));
	switch (t) {
	case EV_JOINED:
	case EV_REJOINED:
		count_fqdn(ps, "dnsfailover_joins_total", H_JOIN, fqdn);
		break;
	case EV_WITHDREW:
		count_fqdn(ps, "dnsfailover_withdrawals_total", H_WDRAW, fqdn);
		break;
	case EV_EVICTED:
		count_fqdn(ps, "dnsfailover_evictions_total", H_EVICT, fqdn);
		break;
	case EV_REMOVED:
		count_fqdn(ps, "dnsfailover_removals_total", H_REMOVED, fqdn);
		break;
	default:
		break;
	}
	dfo_metric_add(metric(COUNTER, "dnsfailover_events_total", H_EVENTS,
			      ps->name, "event", events_name(t)),
		       1);
	dfo_log(DFO_LOG_DEBUG, "pool %s: event %s%s%s%s%s", ps->name,
		events_name(t), fqdn ? " " : "", fqdn ? fqdn : "",
		a[0] ? " " : "", a);
	notify_spawn(ps->agent ? ps->agent->events : NULL, ps, t, fqdn, a,
		     reason);
	ops_watchdog();
}

void events_error(const struct pool_state *ps, enum round_op op)
{
	if (op >= 0 && op < ROUND_OP_N)
		dfo_metric_add(metric(COUNTER, round_ops[op].metric,
				      round_ops[op].help, ps->name, "op",
				      round_ops[op].op),
			       1);
	if (ps->errors == 1)
		events_emit(ps, EV_DNS_ERROR, NULL, NULL, ps->error);
}

void events_checks(const struct pool_state *ps,
		   const struct dfo_check_job *jobs, size_t n)
{
	unsigned count[DFO_CHECK_UNKNOWN + 1] = {0};
	for (size_t i = 0; i < n; i++)
		if (jobs[i].result >= DFO_CHECK_HEALTHY &&
		    jobs[i].result <= DFO_CHECK_UNKNOWN)
			count[jobs[i].result]++;
	for (int r = DFO_CHECK_HEALTHY; r <= DFO_CHECK_UNKNOWN; r++)
		if (count[r])
			dfo_metric_add(metric(COUNTER,
					      "dnsfailover_checks_total",
					      H_CHECKS, ps->name, "result",
					      dfo_check_result_name(r)),
				       count[r]);
	ops_watchdog();
}

/* The round-duration histogram, by pool: kept here (rounds run in the
 * agent), written after the core's metrics. */
static const double hist_le[] = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
				 2.5,  5,     10,   30,	 60,   120};
#define HIST_N	   (sizeof(hist_le) / sizeof(hist_le[0]))
#define HIST_POOLS 256
static struct hist {
	char pool[128];
	unsigned long
		bucket[HIST_N]; /* cumulative counts are summed at write */
	unsigned long count;
	double sum;
} hists[HIST_POOLS];
static size_t nhists;

static void hist_observe(const char *pool, double v)
{
	size_t i = 0;
	while (i < nhists && strcmp(hists[i].pool, pool) != 0)
		i++;
	if (i == nhists) {
		if (nhists == HIST_POOLS ||
		    strlen(pool) >= sizeof(hists[0].pool))
			return;
		snprintf(hists[nhists++].pool, sizeof(hists[0].pool), "%s",
			 pool);
	}
	struct hist *h = &hists[i];
	for (size_t b = 0; b < HIST_N; b++)
		if (v <= hist_le[b]) {
			h->bucket[b]++;
			break;
		}
	h->count++;
	h->sum += v;
}

int events_metrics_write(struct dfo_sbuf *out)
{
	int rc = 0;
	if (nhists)
		rc = dfo_sbuf_addf(
			out, "# HELP dnsfailover_round_length_seconds "
			     "Duration of rounds, by pool.\n# TYPE "
			     "dnsfailover_round_length_seconds histogram\n");
	for (size_t i = 0; i < nhists && rc == 0; i++) {
		const struct hist *h = &hists[i];
		char pool[160] = "";
		label_escape(pool, sizeof(pool), h->pool);
		unsigned long cum = 0;
		for (size_t b = 0; b < HIST_N && rc == 0; b++) {
			cum += h->bucket[b];
			rc = dfo_sbuf_addf(
				out,
				"dnsfailover_round_length_seconds_"
				"bucket{pool=\"%s\",le=\"%g\"} %lu\n",
				pool, hist_le[b], cum);
		}
		if (rc == 0)
			rc = dfo_sbuf_addf(
				out,
				"dnsfailover_round_length_seconds_"
				"bucket{pool=\"%s\",le=\"+Inf\"} %lu\n"
				"dnsfailover_round_length_seconds_sum"
				"{pool=\"%s\"} %.9g\n"
				"dnsfailover_round_length_seconds_count"
				"{pool=\"%s\"} %lu\n",
				pool, h->count, pool, h->sum, pool, h->count);
	}
	return rc;
}

void events_round(const struct pool_state *ps)
{
	const char *p = ps->name;
	hist_observe(p, ps->round_duration);
	dfo_metric_add(metric(COUNTER, "dnsfailover_rounds_total", H_ROUNDS, p,
			      NULL, NULL),
		       1);
	dfo_metric_set(metric(GAUGE, "dnsfailover_round_duration_seconds",
			      H_DUR, p, NULL, NULL),
		       ps->round_duration);
	dfo_metric_add(metric(COUNTER, "dnsfailover_round_seconds_total",
			      H_DUR_SUM, p, NULL, NULL),
		       ps->round_duration);
	dfo_metric_set(metric(GAUGE, "dnsfailover_last_round_timestamp_seconds",
			      H_LAST, p, NULL, NULL),
		       ps->round_wall);
	unsigned up = 0, seen = 0;
	for (size_t i = 0; i < ps->npeers; i++) {
		if (!ps->peers[i].seen)
			continue;
		seen++;
		up += ps->peers[i].last == DFO_CHECK_HEALTHY;
	}
	dfo_metric_set(
		metric(GAUGE, "dnsfailover_peers_up", H_UP, p, NULL, NULL), up);
	dfo_metric_set(
		metric(GAUGE, "dnsfailover_peers", H_PEERS, p, NULL, NULL),
		seen);
	dfo_metric_set(metric(GAUGE, "dnsfailover_self_healthy", H_SELF, p,
			      NULL, NULL),
		       ps->self_last == DFO_CHECK_HEALTHY);
	dfo_metric_set(
		metric(GAUGE, "dnsfailover_draining", H_DRAIN, p, NULL, NULL),
		ps->draining);
}

bool events_draining(struct pool_state *ps)
{
	const char *df = ps->pool ? ps->pool->drain_file : NULL;
	struct stat st;
	bool now = df && stat(df, &st) == 0;
	if (now != ps->draining) {
		ps->draining = now;
		if (now)
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: %s exists: draining "
				"(withdrawing, not rejoining)",
				ps->name, df);
		else
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: drain file gone: "
				"rejoining after %u passing "
				"check(s)",
				ps->name, ps->pool ? ps->pool->rise : 0);
		events_emit(ps, now ? EV_DRAINING : EV_UNDRAINED, NULL, NULL,
			    df ? df : "");
	}
	return now;
}
