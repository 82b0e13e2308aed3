/*
 * Responders: each instance runs in its own child process (and process
 * group), started at start-up and after each reload.  A responder that
 * exits or dies is started again after a back-off of 0.5 s, doubling
 * with each death that follows its start by less than STABLE seconds, up
 * to 30 s.  On stop: SIGTERM to its group, which the core turns into the
 * responder's stop descriptor (plugin.h), SIGKILL after GRACE seconds.
 * The children get SIGTERM if the agent itself dies (PR_SET_PDEATHSIG).
 * Each child reports readiness with one byte on a pipe.  On reload a
 * responder whose section text is unchanged keeps its process.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#define BACKOFF_MIN 0.5
#define BACKOFF_MAX 30.0
#define STABLE 10.0
#define GRACE 3.0

/* In the child: start, serve, never return. */
static void child_run(struct supervisor *s, struct responder *r, int ready_wr,
		      pid_t parent)
{
	dfo_child_setup(NULL, SIGTERM, parent);
	if (s->sigfd >= 0)
		close(s->sigfd);
	for (size_t i = 0; i < s->n; i++) {
		if (s->r[i].pidfd >= 0)
			close(s->r[i].pidfd);
		if (s->r[i].ready_rd >= 0)
			close(s->r[i].ready_rd);
	}
	struct dfo_err e;
	dfo_err_clear(&e);
	struct dfo_responder_ctx ctx;
	int rc = dfo_responder_ctx_init(&ctx, ready_wr);
	if (rc < 0) {
		dfo_log(DFO_LOG_ERR, "responder %s: stop pipe: %s", r->inst->name,
			strerror(-rc));
		_exit(1);
	}
	rc = dfo_instance_start(r->inst, &e);
	if (rc == 0) {
		rc = dfo_inst_responder(r->inst)->run(r->inst->state, &ctx, &e);
		dfo_instance_stop(r->inst);
	}
	if (rc < 0)
		dfo_log(DFO_LOG_ERR, "responder %s: %s", r->inst->name,
			e.msg[0] ? e.msg : strerror(-rc));
	_exit(rc < 0 ? 1 : 0);
}

static void start_one(struct supervisor *s, struct responder *r)
{
	r->restart_at = 0;
	r->started = dfo_now();
	r->ready = false;
	int rp[2] = {-1, -1};
	if (pipe2(rp, O_CLOEXEC) < 0) {
		dfo_log(DFO_LOG_ERR, "responder %s: pipe: %s", r->inst->name,
			strerror(errno));
		r->quick_deaths++;
		r->restart_at = dfo_now() + BACKOFF_MAX;
		return;
	}
	pid_t parent = getpid(), pid = fork();
	if (pid < 0) {
		dfo_log(DFO_LOG_ERR, "responder %s: fork: %s", r->inst->name,
			strerror(errno));
		close(rp[0]);
		close(rp[1]);
		r->quick_deaths++;
		r->restart_at = dfo_now() + BACKOFF_MAX;
		return;
	}
	if (pid == 0) {
		close(rp[0]);
		child_run(s, r, rp[1], parent);
	}
	close(rp[1]);
	fcntl(rp[0], F_SETFL, O_NONBLOCK);
	r->ready_rd = rp[0];
	setpgid(pid, pid);
	r->pid = pid;
	r->pidfd = dfo_pidfd_open(pid);
	dfo_log(DFO_LOG_INFO, "responder %s (%s) started, pid %d", r->inst->name,
		r->inst->entry->prov->name, (int)pid);
}

static void responder_init(struct responder *r, struct dfo_instance *inst)
{
	memset(r, 0, sizeof(*r));
	r->inst = inst;
	r->pidfd = -1;
	r->ready_rd = -1;
	r->text = dfo_instance_text(inst);
}

int supervisor_start(struct supervisor *s, struct dfo_config *conf, int sigfd)
{
	memset(s, 0, sizeof(*s));
	s->sigfd = sigfd;
	size_t n = 0;
	for (size_t i = 0; i < conf->ninst; i++)
		n += conf->inst[i].kind == DFO_KIND_RESPONDER;
	if (!n)
		return 0;
	s->r = calloc(n, sizeof(*s->r));
	if (!s->r)
		return -ENOMEM;
	for (size_t i = 0; i < conf->ninst; i++)
		if (conf->inst[i].kind == DFO_KIND_RESPONDER)
			responder_init(&s->r[s->n++], &conf->inst[i]);
	for (size_t i = 0; i < s->n; i++)
		start_one(s, &s->r[i]);
	return 0;
}

/* The responder is gone (status from waitpid): log and schedule. */
static void died(struct responder *r, int status)
{
	double now = dfo_now();
	if (r->pidfd >= 0)
		close(r->pidfd);
	if (r->ready_rd >= 0)
		close(r->ready_rd);
	r->pidfd = -1;
	r->ready_rd = -1;
	r->ready = false;
	r->pid = 0;
	if (now - r->started >= STABLE)
		r->quick_deaths = 0;
	double delay = BACKOFF_MIN;
	for (unsigned i = 0; i < r->quick_deaths && delay < BACKOFF_MAX; i++)
		delay *= 2;
	if (delay > BACKOFF_MAX)
		delay = BACKOFF_MAX;
	r->quick_deaths++;
	r->restart_at = now + delay;
	if (WIFSIGNALED(status))
		dfo_log(DFO_LOG_WARNING, "responder %s died of signal %d (%s); "
					 "restarting in %.1f s",
			r->inst->name, WTERMSIG(status),
			strsignal(WTERMSIG(status)), delay);
	else
		dfo_log(DFO_LOG_WARNING, "responder %s exited with status %d; "
					 "restarting in %.1f s",
			r->inst->name, WEXITSTATUS(status), delay);
}

/* Has the responder exited?  Leaves it unreaped (a zombie keeps its
 * process group id ours, so the group can still be killed safely). */
static bool exited(const struct responder *r)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)r->pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == r->pid;
}

/* Kill what is left of its group, then reap the leader. */
static int collect(struct responder *r)
{
	return dfo_child_kill_reap(r->pid);
}

/* Read the child's readiness byte, if it came. */
static void check_ready(struct responder *r)
{
	char c;
	if (r->ready_rd < 0 || r->ready)
		return;
	ssize_t got = read(r->ready_rd, &c, 1);
	if (got == 1) {
		r->ready = true;
		dfo_log(DFO_LOG_NOTICE, "responder %s ready (%.2f s after start)",
			r->inst->name, dfo_now() - r->started);
	}
	if (got == 1 || got == 0) { /* told, or it will never tell */
		close(r->ready_rd);
		r->ready_rd = -1;
	}
}

bool supervisor_all_ready(const struct supervisor *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->r[i].ready)
			return false;
	return true;
}

void supervisor_tick(struct supervisor *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct responder *r = &s->r[i];
		check_ready(r);
		if (r->pid > 0 && exited(r))
			died(r, collect(r));
	}
	double now = dfo_now();
	for (size_t i = 0; i < s->n; i++) {
		struct responder *r = &s->r[i];
		if (r->pid == 0 && r->restart_at > 0 && r->restart_at <= now)
			start_one(s, r);
	}
}

double supervisor_next(const struct supervisor *s)
{
	double next = 1e300;
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].pid == 0 && s->r[i].restart_at > 0 &&
		    s->r[i].restart_at < next)
			next = s->r[i].restart_at;
	return next;
}

size_t supervisor_pollfds(const struct supervisor *s, struct pollfd *p,
			  size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < s->n && k < max; i++) {
		if (s->r[i].pid > 0 && s->r[i].pidfd >= 0)
			p[k++] = (struct pollfd){.fd = s->r[i].pidfd,
						 .events = POLLIN};
		if (s->r[i].ready_rd >= 0 && k < max)
			p[k++] = (struct pollfd){.fd = s->r[i].ready_rd,
						 .events = POLLIN};
	}
	return k;
}

/* Stop the responders of r[0..n) whose `stop` is set: SIGTERM to each
 * group, then wait for them together, at most GRACE seconds. */
static void stop_some(struct responder *r, size_t n, const bool *stop)
{
	for (size_t i = 0; i < n; i++)
		if (stop[i] && r[i].pid > 0)
			kill(-r[i].pid, SIGTERM);
	double until = dfo_now() + GRACE;
	for (size_t i = 0; i < n; i++) {
		if (!stop[i])
			continue;
		struct responder *x = &r[i];
		if (x->pid > 0) {
			bool gone;
			while (!(gone = exited(x)) && dfo_now() < until) {
				struct pollfd p = {.fd = x->pidfd, .events = POLLIN};
				if (x->pidfd < 0 || poll(&p, 1, 50) < 0)
					usleep(20000);
			}
			if (!gone)
				dfo_log(DFO_LOG_WARNING, "responder %s did not "
					"stop within %.0f s: killing it",
					x->inst->name, GRACE);
			collect(x);
			dfo_log(DFO_LOG_INFO, "responder %s stopped", x->inst->name);
		}
		if (x->pidfd >= 0)
			close(x->pidfd);
		if (x->ready_rd >= 0)
			close(x->ready_rd);
		free(x->text);
		memset(x, 0, sizeof(*x));
		x->pidfd = x->ready_rd = -1;
	}
}

void supervisor_stop(struct supervisor *s)
{
	bool *all = malloc((s->n ? s->n : 1) * sizeof(*all));
	if (all) {
		for (size_t i = 0; i < s->n; i++)
			all[i] = true;
		stop_some(s->r, s->n, all);
	} else { /* no memory even for that: no grace */
		for (size_t i = 0; i < s->n; i++)
			if (s->r[i].pid > 0)
				collect(&s->r[i]);
	}
	free(all);
	free(s->r);
	s->r = NULL;
	s->n = 0;
}

int supervisor_reload(struct supervisor *s, struct dfo_config *conf)
{
	size_t n = 0;
	for (size_t i = 0; i < conf->ninst; i++)
		n += conf->inst[i].kind == DFO_KIND_RESPONDER;
	struct responder *nr = calloc(n ? n : 1, sizeof(*nr));
	bool *stop = calloc(s->n ? s->n : 1, sizeof(*stop));
	if (!nr || !stop) {
		free(nr);
		free(stop);
		return -ENOMEM;
	}
	size_t k = 0;
	for (size_t i = 0; i < conf->ninst; i++)
		if (conf->inst[i].kind == DFO_KIND_RESPONDER)
			responder_init(&nr[k++], &conf->inst[i]);
	/* Keep what is unchanged: same title, same provider, same text. */
	for (size_t j = 0; j < s->n; j++) {
		struct responder *old = &s->r[j];
		struct responder *keep = NULL;
		for (size_t i = 0; i < n && !keep; i++)
			if (!nr[i].pid && !nr[i].restart_at && nr[i].text &&
			    old->text && strcmp(nr[i].inst->name, old->inst->name) == 0 &&
			    strcmp(nr[i].text, old->text) == 0)
				keep = &nr[i];
		if (!keep || (old->pid == 0 && old->restart_at == 0)) {
			stop[j] = true;
			if (!keep && old->pid)
				dfo_log(DFO_LOG_NOTICE, "responder %s: section "
					"changed or removed, stopping it",
					old->inst->name);
			continue;
		}
		struct dfo_instance *inst = keep->inst;
		free(keep->text);
		*keep = *old;
		keep->inst = inst;
		memset(old, 0, sizeof(*old));
		old->pidfd = old->ready_rd = -1;
		dfo_log(DFO_LOG_INFO, "responder %s: configuration unchanged, "
			"kept running", inst->name);
	}
	stop_some(s->r, s->n, stop);
	free(stop);
	free(s->r);
	s->r = nr;
	s->n = n;
	for (size_t i = 0; i < n; i++)
		if (nr[i].pid == 0 && nr[i].restart_at == 0)
			start_one(s, &nr[i]);
	return 0;
}
