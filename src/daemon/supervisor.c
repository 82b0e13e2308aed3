/*
 * Responders: each instance runs in its own child process (and process
 * group), started at start-up and after each reload.  A responder that
 * exits or dies is started again after a back-off of 0.5 s, doubling
 * with each death that follows its start by less than STABLE seconds, up
 * to 30 s.  On stop: SIGTERM to its group, SIGKILL after GRACE seconds.
 * The children get SIGTERM if the agent itself dies (PR_SET_PDEATHSIG).
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

#define BACKOFF_MIN 0.5
#define BACKOFF_MAX 30.0
#define STABLE 10.0
#define GRACE 3.0

/* In the child: serve, never return. */
static void child_run(struct supervisor *s, struct responder *r)
{
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (s->sigfd >= 0)
		close(s->sigfd);
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].pidfd >= 0)
			close(s->r[i].pidfd);
	struct dfo_err e;
	dfo_err_clear(&e);
	int rc = dfo_inst_responder(r->inst)->run(r->inst->state, &e);
	if (rc < 0)
		dfo_log(DFO_LOG_ERR, "responder %s: %s", r->inst->name,
			e.msg[0] ? e.msg : strerror(-rc));
	_exit(rc < 0 ? 1 : 0);
}

static void start_one(struct supervisor *s, struct responder *r)
{
	r->restart_at = 0;
	r->started = dfo_now();
	pid_t pid = fork();
	if (pid < 0) {
		dfo_log(DFO_LOG_ERR, "responder %s: fork: %s", r->inst->name,
			strerror(errno));
		r->quick_deaths++;
		r->restart_at = dfo_now() + BACKOFF_MAX;
		return;
	}
	if (pid == 0)
		child_run(s, r);
	setpgid(pid, pid);
	r->pid = pid;
	r->pidfd = dfo_pidfd_open(pid);
	dfo_log(DFO_LOG_INFO, "responder %s (%s) started, pid %d", r->inst->name,
		r->inst->entry->prov->name, (int)pid);
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
		if (conf->inst[i].kind == DFO_KIND_RESPONDER) {
			struct responder *r = &s->r[s->n++];
			r->inst = &conf->inst[i];
			r->pidfd = -1;
		}
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
	r->pidfd = -1;
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
	int status = 0;
	kill(-r->pid, SIGKILL);
	while (waitpid(r->pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

void supervisor_tick(struct supervisor *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct responder *r = &s->r[i];
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
	for (size_t i = 0; i < s->n && k < max; i++)
		if (s->r[i].pid > 0 && s->r[i].pidfd >= 0)
			p[k++] = (struct pollfd){.fd = s->r[i].pidfd,
						 .events = POLLIN};
	return k;
}

void supervisor_stop(struct supervisor *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->r[i].pid > 0)
			kill(-s->r[i].pid, SIGTERM);
	double until = dfo_now() + GRACE;
	for (size_t i = 0; i < s->n; i++) {
		struct responder *r = &s->r[i];
		if (r->pid <= 0)
			continue;
		bool gone;
		while (!(gone = exited(r)) && dfo_now() < until) {
			struct pollfd p = {.fd = r->pidfd, .events = POLLIN};
			if (r->pidfd < 0 || poll(&p, 1, 50) < 0)
				usleep(20000);
		}
		if (!gone)
			dfo_log(DFO_LOG_WARNING, "responder %s ignored SIGTERM: "
						 "killing it", r->inst->name);
		collect(r);
		dfo_log(DFO_LOG_INFO, "responder %s stopped", r->inst->name);
		if (r->pidfd >= 0)
			close(r->pidfd);
		r->pid = 0;
		r->pidfd = -1;
	}
	free(s->r);
	s->r = NULL;
	s->n = 0;
}
