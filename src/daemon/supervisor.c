/*
 * Responders: each instance runs in its own child process (and process
 * group), started at start-up and after each reload.  A responder that
 * exits or dies is started again after a back-off of 0.5 s, doubling
 * with each death that follows its start by less than STABLE seconds, up
 * to 30 s.  On stop: SIGTERM to its group, which the core turns into the
 * responder's stop descriptor (plugin.h), SIGKILL after GRACE seconds.
 * The children get SIGTERM if the agent itself dies (PR_SET_PDEATHSIG).
 * Each child reports readiness with one byte on a pipe.  On reload a
 * responder whose section text is unchanged keeps its process; one whose
 * section changed is made before it is broken: the new process starts
 * beside the old one (told so: dfo_responder_replacing()), and the old
 * one is stopped only once the new one reports ready.  A new one that
 * dies first leaves the old one serving (logged) and is tried again with
 * back-off; if the old one dies meanwhile, the new one is started again
 * as a plain start, serving at once.
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
#define STABLE	    10.0
#define GRACE	    3.0

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
		if (s->r[i].prev_pidfd >= 0)
			close(s->r[i].prev_pidfd);
	}
	struct dfo_err e;
	dfo_err_clear(&e);
	struct dfo_responder_ctx ctx;
	int rc = dfo_responder_ctx_init(&ctx, ready_wr);
	ctx.replacing = r->prev_pid > 0;
	if (rc < 0) {
		dfo_log(DFO_LOG_ERR, "responder %s: stop pipe: %s",
			r->inst->name, strerror(-rc));
		_exit(1);
	}
	ctx.report = dfo_report_slot(r->inst->name);
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
	if (r->prev_pid > 0)
		dfo_log(DFO_LOG_INFO,
			"responder %s (%s) started, pid %d, beside "
			"pid %d which serves until it is ready",
			r->inst->name, r->inst->entry->prov->name, (int)pid,
			(int)r->prev_pid);
	else
		dfo_log(DFO_LOG_INFO, "responder %s (%s) started, pid %d",
			r->inst->name, r->inst->entry->prov->name, (int)pid);
}

static void responder_init(struct responder *r, struct dfo_instance *inst)
{
	memset(r, 0, sizeof(*r));
	r->inst = inst;
	r->pidfd = -1;
	r->ready_rd = -1;
	r->prev_pidfd = -1;
	r->text = dfo_instance_text(inst);
}

/* The table responders report their state in (for --status), before
 * the first is forked; without it --status shows less, nothing more. */
static void reports_init(void)
{
	int rc = dfo_reports_init();
	if (rc < 0)
		dfo_log(DFO_LOG_WARNING, "responders' state: %s",
			strerror(-rc));
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
	reports_init();
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
	if (r->prev_pid > 0)
		dfo_log(DFO_LOG_WARNING,
			"responder %s: the process of the new "
			"section failed before it was ready; the previous one "
			"(pid %d) keeps serving",
			r->inst->name, (int)r->prev_pid);
	if (WIFSIGNALED(status))
		dfo_log(DFO_LOG_WARNING,
			"responder %s died of signal %d (%s); "
			"restarting in %.1f s",
			r->inst->name, WTERMSIG(status),
			strsignal(WTERMSIG(status)), delay);
	else
		dfo_log(DFO_LOG_WARNING,
			"responder %s exited with status %d; "
			"restarting in %.1f s",
			r->inst->name, WEXITSTATUS(status), delay);
}

/* Has the process exited?  Leaves it unreaped (a zombie keeps its
 * process group id ours, so the group can still be killed safely). */
static bool pid_exited(pid_t pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) ==
		       0 &&
	       si.si_pid == pid;
}

static bool exited(const struct responder *r)
{
	return pid_exited(r->pid);
}

/* SIGTERM to the group of pid (a responder), wait for it at most GRACE
 * seconds, then kill what is left and reap it; closes pidfd. */
static void stop_pid(const char *name, pid_t pid, int pidfd)
{
	kill(-pid, SIGTERM);
	double until = dfo_now() + GRACE;
	bool gone;
	while (!(gone = pid_exited(pid)) && dfo_now() < until) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		if (pidfd < 0 || poll(&p, 1, 50) < 0)
			usleep(20000);
	}
	if (!gone)
		dfo_log(DFO_LOG_WARNING,
			"responder %s (pid %d) did not stop "
			"within %.0f s: killing it",
			name, (int)pid, GRACE);
	dfo_child_kill_reap(pid);
	if (pidfd >= 0)
		close(pidfd);
}

/* The previous section's process is no longer needed (the new one is
 * ready) or is gone: stop or reap it. */
static void prev_clear(struct responder *r, bool stop)
{
	if (r->prev_pid <= 0)
		return;
	if (stop) {
		stop_pid(r->inst->name, r->prev_pid, r->prev_pidfd);
		dfo_log(DFO_LOG_NOTICE,
			"responder %s: the new process is "
			"ready; the previous one (pid %d) stopped",
			r->inst->name, (int)r->prev_pid);
	} else {
		dfo_child_kill_reap(r->prev_pid);
		if (r->prev_pidfd >= 0)
			close(r->prev_pidfd);
	}
	r->prev_pid = 0;
	r->prev_pidfd = -1;
	free(r->prev_text);
	r->prev_text = NULL;
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
		dfo_log(DFO_LOG_NOTICE,
			"responder %s ready (%.2f s after start)",
			r->inst->name, dfo_now() - r->started);
		prev_clear(r, true);
	}
	if (got == 1 || got == 0) { /* told, or it will never tell */
		close(r->ready_rd);
		r->ready_rd = -1;
	}
}

bool supervisor_all_ready(const struct supervisor *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (!s->r[i].ready && s->r[i].prev_pid <= 0)
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
		if (r->prev_pid > 0 && pid_exited(r->prev_pid)) {
			/* nothing serves: the new one starts over, plainly */
			dfo_log(DFO_LOG_WARNING,
				"responder %s: the previous "
				"process (pid %d) died before the new one was "
				"ready; starting the new one at once",
				r->inst->name, (int)r->prev_pid);
			prev_clear(r, false);
			if (r->pid > 0) {
				collect(r);
				if (r->pidfd >= 0)
					close(r->pidfd);
				if (r->ready_rd >= 0)
					close(r->ready_rd);
				r->pid = 0;
				r->pidfd = r->ready_rd = -1;
			}
			r->restart_at = dfo_now();
		}
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
		if (s->r[i].prev_pidfd >= 0 && k < max)
			p[k++] = (struct pollfd){.fd = s->r[i].prev_pidfd,
						 .events = POLLIN};
	}
	return k;
}

/* Stop the responders of r[0..n) whose `stop` is set: SIGTERM to each
 * group, then wait for them together, at most GRACE seconds. */
static void stop_some(struct responder *r, size_t n, const bool *stop)
{
	for (size_t i = 0; i < n; i++) {
		if (stop[i] && r[i].pid > 0)
			kill(-r[i].pid, SIGTERM);
		if (stop[i] && r[i].prev_pid > 0)
			kill(-r[i].prev_pid, SIGTERM);
	}
	double until = dfo_now() + GRACE;
	for (size_t i = 0; i < n; i++) {
		if (!stop[i])
			continue;
		struct responder *x = &r[i];
		if (x->pid > 0) {
			bool gone;
			while (!(gone = exited(x)) && dfo_now() < until) {
				struct pollfd p = {.fd = x->pidfd,
						   .events = POLLIN};
				if (x->pidfd < 0 || poll(&p, 1, 50) < 0)
					usleep(20000);
			}
			if (!gone)
				dfo_log(DFO_LOG_WARNING,
					"responder %s did not "
					"stop within %.0f s: killing it",
					x->inst->name, GRACE);
			collect(x);
			dfo_log(DFO_LOG_INFO, "responder %s stopped",
				x->inst->name);
		}
		if (x->prev_pid > 0) {
			stop_pid(x->inst->name, x->prev_pid, x->prev_pidfd);
			x->prev_pidfd = -1;
		}
		if (x->prev_pidfd >= 0)
			close(x->prev_pidfd);
		if (x->pidfd >= 0)
			close(x->pidfd);
		if (x->ready_rd >= 0)
			close(x->ready_rd);
		free(x->text);
		free(x->prev_text);
		memset(x, 0, sizeof(*x));
		x->pidfd = x->ready_rd = x->prev_pidfd = -1;
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

/* A responder whose new process is still loading beside the previous
 * one: drop the new one, the previous one is again the responder. */
static void standby_drop(struct responder *old)
{
	if (old->prev_pid <= 0)
		return;
	if (old->pid > 0)
		stop_pid(old->inst->name, old->pid, old->pidfd);
	else if (old->pidfd >= 0)
		close(old->pidfd);
	if (old->ready_rd >= 0)
		close(old->ready_rd);
	free(old->text);
	old->text = old->prev_text;
	old->pid = old->prev_pid;
	old->pidfd = old->prev_pidfd;
	old->ready_rd = -1;
	old->ready = true;
	old->restart_at = 0;
	old->prev_pid = 0;
	old->prev_pidfd = -1;
	old->prev_text = NULL;
}

int supervisor_reload(struct supervisor *s, struct dfo_config *conf)
{
	size_t n = 0;
	for (size_t i = 0; i < conf->ninst; i++)
		n += conf->inst[i].kind == DFO_KIND_RESPONDER;
	if (n)
		reports_init();
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
	for (size_t j = 0; j < s->n; j++) {
		struct responder *old = &s->r[j];
		/* a new process still loading: the one serving counts */
		standby_drop(old);
		struct responder *keep = NULL, *same = NULL;
		for (size_t i = 0; i < n && !keep; i++) {
			if (nr[i].pid || nr[i].prev_pid || nr[i].restart_at ||
			    strcmp(nr[i].inst->name, old->inst->name) != 0)
				continue;
			same = &nr[i];
			if (nr[i].text && old->text &&
			    strcmp(nr[i].text, old->text) == 0)
				keep = &nr[i];
		}
		if (!keep && same && old->pid > 0 && old->ready) {
			/* changed: the new process starts beside it */
			dfo_log(DFO_LOG_NOTICE,
				"responder %s: section changed; "
				"the new process starts beside the running "
				"one, "
				"which serves until the new one is ready",
				old->inst->name);
			same->prev_pid = old->pid;
			same->prev_pidfd = old->pidfd;
			same->prev_text = old->text;
			if (old->ready_rd >= 0)
				close(old->ready_rd);
			memset(old, 0, sizeof(*old));
			old->pidfd = old->ready_rd = old->prev_pidfd = -1;
			continue;
		}
		if (!keep || (old->pid == 0 && old->restart_at == 0)) {
			stop[j] = true;
			if (!keep && old->pid)
				dfo_log(DFO_LOG_NOTICE,
					"responder %s: section "
					"changed or removed, stopping it",
					old->inst->name);
			continue;
		}
		struct dfo_instance *inst = keep->inst;
		free(keep->text);
		*keep = *old;
		keep->inst = inst;
		memset(old, 0, sizeof(*old));
		old->pidfd = old->ready_rd = old->prev_pidfd = -1;
		dfo_log(DFO_LOG_INFO,
			"responder %s: configuration unchanged, "
			"kept running",
			inst->name);
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
