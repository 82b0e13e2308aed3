/*
 * What a responder's process gets from the core: the stop descriptor
 * (a pipe that the SIGTERM handler writes to; from then on dfo_stopping()
 * is true in the process), the readiness report (one byte on a pipe to
 * the agent), its state for --status (a slot of a table shared with the
 * agent) and the privilege drop.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <linux/capability.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "core.h"

/* The write end of this process's stop pipe, for the signal handler. */
static volatile sig_atomic_t stop_wr = -1;

static void on_stop_signal(int sig)
{
	(void)sig;
	int saved = errno;
	/* what waits in this process (AWS calls: dfo_stopping()) gives up */
	dfo_stop_at(0);
	if (stop_wr >= 0 && write(stop_wr, "x", 1) < 0) {
		/* full pipe: it is readable already */
	}
	errno = saved;
}

int dfo_responder_ctx_init(struct dfo_responder_ctx *ctx, int ready_fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -errno;
	ctx->stop_fd = p[0];
	ctx->stop_wr = p[1];
	ctx->ready_fd = ready_fd;
	ctx->report = NULL;
	stop_wr = p[1];
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

bool dfo_responder_replacing(const struct dfo_responder_ctx *ctx)
{
	return ctx && ctx->replacing;
}

int dfo_responder_stop_fd(const struct dfo_responder_ctx *ctx)
{
	return ctx ? ctx->stop_fd : -1;
}

void dfo_responder_ready(struct dfo_responder_ctx *ctx)
{
	if (!ctx)
		return;
	int fd = __atomic_exchange_n(&ctx->ready_fd, -1, __ATOMIC_SEQ_CST);
	if (fd < 0)
		return;
	if (write(fd, "R", 1) < 0) {
		/* the agent is gone: nothing to tell */
	}
	close(fd);
}

/* Set this thread's capability sets to `keep` (a mask of CAP_* bits of
 * the first word) for permitted and effective, none inheritable. */
static int caps_set(uint32_t keep)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	memset(d, 0, sizeof(d));
	d[0].permitted = d[0].effective = keep;
	return syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
}

static int drop_to(const char *user, bool keep_bind, struct dfo_err *err);

int dfo_drop_privileges(const char *user, struct dfo_err *err)
{
	return drop_to(user, false, err);
}

int dfo_drop_privileges_keep_bind(const char *user, struct dfo_err *err)
{
	return drop_to(user, true, err);
}

static int drop_to(const char *user, bool keep_bind, struct dfo_err *err)
{
	const uint32_t nbs = 1u << CAP_NET_BIND_SERVICE;
	if (!user || !*user)
		return dfo_err_set(err, -EINVAL, "no user to switch to");
	struct passwd pwbuf, *pw = NULL;
	char buf[4096];
	int rc = getpwnam_r(user, &pwbuf, buf, sizeof(buf), &pw);
	if (!pw)
		return dfo_err_set(err, rc ? -rc : -ENOENT, "user '%s': %s",
				   user, rc ? strerror(rc) : "no such user");
	if (geteuid() != 0) {
		if (pw->pw_uid == geteuid() && pw->pw_uid == getuid()) {
			/* what dfo_drop_privileges_keep_bind() kept */
			if (!keep_bind)
				caps_set(0);
			return 0;
		}
		return dfo_err_set(err, -EPERM,
				   "cannot switch to user '%s': "
				   "not running as root",
				   user);
	}
	/* To keep CAP_NET_BIND_SERVICE across setuid(), keep only it and
	 * what the switch needs, then only it. */
	if (keep_bind && pw->pw_uid != 0 &&
	    (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0 ||
	     caps_set(nbs | 1u << CAP_SETUID | 1u << CAP_SETGID) < 0))
		return dfo_err_set(err, -errno,
				   "cannot keep CAP_NET_BIND_SERVICE: %s",
				   strerror(errno));
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0)
		return dfo_err_set(err, -errno,
				   "cannot switch to user '%s': %s", user,
				   strerror(errno));
	if (keep_bind && pw->pw_uid != 0) {
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
		if (caps_set(nbs) < 0)
			return dfo_err_set(err, -errno,
					   "cannot keep "
					   "CAP_NET_BIND_SERVICE: %s",
					   strerror(errno));
	}
	/* For good: root must not be regained. */
	if (pw->pw_uid != 0 && (setuid(0) == 0 || seteuid(0) == 0))
		return dfo_err_set(err, -EPERM,
				   "user '%s': root could be "
				   "regained after the switch",
				   user);
	/* A change of credentials clears the parent-death signal. */
	prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0);
	return 0;
}

/* ---- the state responders report, shared with the agent ---- */

#define REPORTS_MAX 64

static struct dfo_report *reports; /* REPORTS_MAX slots, MAP_SHARED */

int dfo_reports_init(void)
{
	if (reports)
		return 0;
	void *p =
		mmap(NULL, REPORTS_MAX * sizeof(*reports),
		     PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	reports = p;
	return 0;
}

static struct dfo_report *report_find(const char *name)
{
	for (size_t i = 0; reports && i < REPORTS_MAX; i++)
		if (strcmp(reports[i].name, name) == 0)
			return &reports[i];
	return NULL;
}

struct dfo_report *dfo_report_slot(const char *name)
{
	if (!reports || strlen(name) >= sizeof(reports[0].name))
		return NULL;
	struct dfo_report *r = report_find(name);
	for (size_t i = 0; !r && i < REPORTS_MAX; i++)
		if (!reports[i].name[0])
			r = &reports[i];
	if (!r)
		return NULL;
	/* a fresh start: nothing known yet */
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_SEQ_CST);
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->items = 0;
	r->loaded_at = 0;
	r->reported = false;
	r->error[0] = '\0';
	__atomic_add_fetch(&r->seq, 1, __ATOMIC_SEQ_CST);
	return r;
}

bool dfo_report_get(const char *name, struct dfo_report *out)
{
	const struct dfo_report *r = report_find(name);
	if (!r)
		return false;
	for (int tries = 0; tries < 1000; tries++) {
		unsigned a = __atomic_load_n(&r->seq, __ATOMIC_SEQ_CST);
		memcpy(out, (const void *)r, sizeof(*out));
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		if (!(a & 1) &&
		    __atomic_load_n(&r->seq, __ATOMIC_SEQ_CST) == a) {
			out->error[sizeof(out->error) - 1] = '\0';
			return true;
		}
	}
	return false;
}

void dfo_responder_report(struct dfo_responder_ctx *ctx, size_t items,
			  double loaded_at, const char *error)
{
	struct dfo_report *r = ctx ? ctx->report : NULL;
	if (!r)
		return;
	/* one writer (the responder's threads take turns through seq) */
	unsigned s;
	do
		s = __atomic_load_n(&r->seq, __ATOMIC_SEQ_CST) & ~1u;
	while (!__atomic_compare_exchange_n(
		&r->seq, &s, s + 1, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
	r->items = items;
	r->loaded_at = loaded_at;
	r->reported = true;
	snprintf(r->error, sizeof(r->error), "%s", error ? error : "");
	__atomic_store_n(&r->seq, s + 2, __ATOMIC_SEQ_CST);
}
