/*
 * The check runner (src/lib/runner.c): results, deadlines, parallelism,
 * retries, and that nothing is left behind: no zombie, no process of a
 * check's group, no fd.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"

/* The behaviour is the state pointer, a mode string. */
static int pids_fd[2] = {-1, -1}; /* grandchildren report their pids here */

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int mode_check(void *state, const struct dfo_check_target *t,
		      struct dfo_err *err)
{
	const char *mode = state;
	if (strcmp(mode, "ok") == 0)
		return 0;
	if (strcmp(mode, "fail") == 0)
		return dfo_err_set(err, -ECONNREFUSED, "refused, as told");
	if (strcmp(mode, "hang") == 0)
		for (;;)
			pause();
	if (strcmp(mode, "crash") == 0) {
		volatile int *p = NULL;
		*p = 1;
	}
	if (strcmp(mode, "late") == 0) {
		sleep_s(t->timeout + 0.2);
		return 0;
	}
	if (strcmp(mode, "noresult") == 0)
		_exit(0);
	if (strcmp(mode, "local") == 0)
		return dfo_err_set(err, -EMFILE, "socket: out of descriptors");
	if (strncmp(mode, "pid", 3) == 0) {
		/* The check process says who it is (then hangs if told). */
		int v = (int)getpid();
		if (write(pids_fd[1], &v, sizeof(v)) != sizeof(v))
			return -EIO;
		if (strcmp(mode, "pidhang") == 0)
			for (;;)
				pause();
		return 0;
	}
	if (strncmp(mode, "who", 3) == 0) {
		/* The check says which job it is (the number after "who"). */
		int v = atoi(mode + 3);
		return write(pids_fd[1], &v, sizeof(v)) == sizeof(v) ? 0 : -EIO;
	}
	if (strcmp(mode, "setsid") == 0) {
		/* A grandchild that leaves the check's group and session. */
		pid_t pid = fork();
		if (pid == 0) {
			setsid();
			for (;;)
				pause();
		}
		int v = (int)pid;
		if (write(pids_fd[1], &v, sizeof(v)) != sizeof(v))
			return -EIO;
		return 0;
	}
	if (strncmp(mode, "fork", 4) == 0) {
		for (int i = 0; i < 2; i++) {
			pid_t pid = fork();
			if (pid == 0)
				for (;;)
					pause();
			int v = (int)pid;
			if (write(pids_fd[1], &v, sizeof(v)) != sizeof(v))
				return -EIO;
		}
		if (strcmp(mode, "forkhang") == 0)
			for (;;)
				pause();
		return 0;
	}
	return -EINVAL;
}

static const struct dfo_check_provider prov = {
	.size = sizeof(struct dfo_check_provider),
	.name = "mode",
	.check = mode_check,
};

static void job(struct dfo_check_job *j, const char *mode, double timeout,
		unsigned attempts)
{
	memset(j, 0, sizeof(*j));
	j->prov = &prov;
	j->state = (void *)mode;
	dfo_addr_parse(&j->target.addr, "127.0.0.1");
	j->target.timeout = timeout;
	j->attempts = attempts;
}

/* A job's mode, timeout and attempts, for JOBS. */
struct spec {
	const char *mode;
	double timeout;
	unsigned attempts;
};

/* Sets up j[i] as job(&j[i], spec[i]...) for the n specs. */
static void jobs_of(struct dfo_check_job *j, const struct spec *spec, size_t n)
{
	for (size_t i = 0; i < n; i++)
		job(&j[i], spec[i].mode, spec[i].timeout, spec[i].attempts);
}

/* JOBS(j, {MODE, TIMEOUT, ATTEMPTS}...): j[0], j[1]... as those jobs. */
#define JOBS(j, ...)                                                           \
	jobs_of(j, (const struct spec[]){__VA_ARGS__},                         \
		sizeof((const struct spec[]){__VA_ARGS__}) /                   \
			sizeof(struct spec))

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

/* No child of ours is left, zombie or not. */
static void assert_no_children(void)
{
	errno = 0;
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
	assert_int_equal(errno, ECHILD);
}

static void test_results(void **unused)
{
	int fds = count_fds();
	struct dfo_check_job j[4];
	JOBS(j, {"ok", 2, 1}, {"fail", 2, 1}, {"crash", 2, 1},
	     {"noresult", 2, 1});
	assert_int_equal(dfo_run_checks(j, 4, 64), 0);
	assert_int_equal(j[0].result, DFO_CHECK_HEALTHY);
	assert_string_equal(j[0].reason, "");
	assert_int_equal(j[1].result, DFO_CHECK_FAILED);
	assert_string_equal(j[1].reason, "refused, as told");
	assert_int_equal(j[2].result, DFO_CHECK_CRASHED);
	/* Under AddressSanitizer its SEGV handler exits instead. */
	assert_true(strstr(j[2].reason, "signal 11") ||
		    strstr(j[2].reason, "without a result"));
	assert_int_equal(j[3].result, DFO_CHECK_CRASHED);
	assert_non_null(strstr(j[3].reason, "without a result"));
	assert_no_children();
	assert_int_equal(count_fds(), fds);
}

/* A hanging check is killed at its deadline; the batch ends on time. */
static void test_hang_deadline(void **unused)
{
	int fds = count_fds();
	struct dfo_check_job j[3];
	JOBS(j, {"hang", 0.3, 1}, {"ok", 0.3, 1}, {"late", 0.3, 1});
	double t0 = dfo_now();
	assert_int_equal(dfo_run_checks(j, 3, 64), 0);
	double took = dfo_now() - t0;
	assert_true(took >= 0.29);
	assert_true(took < 0.6);
	assert_int_equal(j[0].result, DFO_CHECK_TIMEOUT);
	assert_true(j[0].latency >= 0.29 && j[0].latency < 0.6);
	assert_int_equal(j[1].result, DFO_CHECK_HEALTHY);
	/* exit(0) after the deadline does not make it healthy */
	assert_int_equal(j[2].result, DFO_CHECK_TIMEOUT);
	assert_no_children();
	assert_int_equal(count_fds(), fds);
}

/* Grandchildren die with the check and are reaped. */
static void run_fork(const char *mode, enum dfo_check_result want)
{
	assert_int_equal(pipe(pids_fd), 0);
	int fds = count_fds();
	struct dfo_check_job j;
	job(&j, mode, 0.3, 1);
	assert_int_equal(dfo_run_checks(&j, 1, 4), 0);
	assert_int_equal(j.result, want);
	assert_int_equal(count_fds(), fds);
	close(pids_fd[1]);
	int pid, n = 0;
	while (read(pids_fd[0], &pid, sizeof(pid)) == sizeof(pid)) {
		n++;
		/* gone: not even a zombie */
		assert_int_equal(kill(pid, 0), -1);
		assert_int_equal(errno, ESRCH);
	}
	close(pids_fd[0]);
	assert_int_equal(n, 2);
	assert_no_children();
}

static void test_fork_healthy(void **unused)
{
	run_fork("fork", DFO_CHECK_HEALTHY);
}

static void test_fork_hang(void **unused)
{
	run_fork("forkhang", DFO_CHECK_TIMEOUT);
}

/* All at once up to max_parallel: 20 hangs of 0.3 s take one timeout
 * with room, four waves with 5 at a time. */
static void test_parallel(void **unused)
{
	struct dfo_check_job j[20];
	for (int i = 0; i < 20; i++)
		job(&j[i], "hang", 0.3, 1);
	double t0 = dfo_now();
	assert_int_equal(dfo_run_checks(j, 20, 64), 0);
	double one = dfo_now() - t0;
	assert_true(one < 0.7);
	t0 = dfo_now();
	assert_int_equal(dfo_run_checks(j, 20, 5), 0);
	double four = dfo_now() - t0;
	assert_true(four >= 1.19 && four < 2.0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(j[i].result, DFO_CHECK_TIMEOUT);
	assert_no_children();
}

/* Retries: a failing job is tried `attempts` times, a healthy one once,
 * a hanging one `attempts` timeouts long. */
static void test_retries(void **unused)
{
	struct dfo_check_job j[3];
	JOBS(j, {"fail", 1, 3}, {"ok", 1, 3}, {"hang", 0.2, 2});
	double t0 = dfo_now();
	assert_int_equal(dfo_run_checks(j, 3, 64), 0);
	double took = dfo_now() - t0;
	assert_int_equal(j[0].tries, 3);
	assert_int_equal(j[0].result, DFO_CHECK_FAILED);
	assert_int_equal(j[1].tries, 1);
	assert_int_equal(j[2].tries, 2);
	assert_int_equal(j[2].result, DFO_CHECK_TIMEOUT);
	assert_true(took >= 0.39 && took < 0.8);
	assert_no_children();
}

/* A check reporting a shortage of this host is unknown, not failed. */
static void test_local_failure(void **unused)
{
	struct dfo_check_job j;
	job(&j, "local", 2, 3);
	assert_int_equal(dfo_run_checks(&j, 1, 4), 0);
	assert_int_equal(j.result, DFO_CHECK_UNKNOWN);
	assert_string_equal(dfo_check_result_name(j.result), "unknown");
	assert_non_null(strstr(j.reason, "out of descriptors"));
	assert_no_children();
}

/* A grandchild that escaped with setsid is killed and reaped before the
 * batch returns. */
static void test_setsid_escape(void **unused)
{
	assert_int_equal(pipe(pids_fd), 0);
	struct dfo_check_job j;
	job(&j, "setsid", 1, 1);
	assert_int_equal(dfo_run_checks(&j, 1, 4), 0);
	assert_int_equal(j.result, DFO_CHECK_HEALTHY);
	close(pids_fd[1]);
	int pid;
	assert_int_equal(read(pids_fd[0], &pid, sizeof(pid)), sizeof(pid));
	close(pids_fd[0]);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(errno, ESRCH);
	assert_no_children();
}

static int stop_pipe[2];
static int interrupted_calls;

static bool stop_now(void *arg)
{
	char c;
	interrupted_calls++;
	if (read(stop_pipe[0], &c, 1) != 1)
		return false;
	return c == 'T';
}

/* The watched fd: 'T' ends the batch at once, other bytes do not. */
static void test_interrupt(void **unused)
{
	assert_int_equal(pipe(stop_pipe), 0);
	struct dfo_run_opts o = {.watch_fd = stop_pipe[0],
				 .interrupted = stop_now};
	struct dfo_check_job j[3];
	JOBS(j, {"ok", 0.4, 1}, {"hang", 0.4, 1}, {"hang", 0.4, 1});
	assert_int_equal(write(stop_pipe[1], "H", 1), 1);
	double t0 = dfo_now();
	assert_int_equal(dfo_run_checks_opts(j, 3, 2, &o), 0);
	assert_true(dfo_now() - t0 >= 0.39); /* 'H' did not stop it */
	assert_true(interrupted_calls >= 1);
	assert_int_equal(j[1].result, DFO_CHECK_TIMEOUT);

	JOBS(j, {"hang", 30, 1}, {"hang", 30, 1}, {"hang", 30, 1});
	assert_int_equal(write(stop_pipe[1], "T", 1), 1);
	t0 = dfo_now();
	assert_int_equal(dfo_run_checks_opts(j, 3, 2, &o), -EINTR);
	assert_true(dfo_now() - t0 < 1.0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(j[i].result, DFO_CHECK_UNKNOWN);
		assert_string_equal(j[i].reason, "interrupted");
	}
	close(stop_pipe[0]);
	close(stop_pipe[1]);
	assert_no_children();
}

/* ---- with a pool of workers ---- */

static struct dfo_check_pool *pool;
static struct dfo_run_opts pool_opts;

static int pool_setup(void **unused)
{
	pool = dfo_check_pool_new(1000);
	pool_opts = (struct dfo_run_opts){.watch_fd = -1, .pool = pool};
	return pipe(pids_fd) == 0 && pool ? 0 : -1;
}

static int pool_teardown(void **unused)
{
	dfo_check_pool_free(pool);
	pool = NULL;
	close(pids_fd[0]);
	close(pids_fd[1]);
	assert_no_children();
	return 0;
}

/* Runs the n jobs j[] with the pool, at most 8 at once. */
static void pooled(struct dfo_check_job *j, size_t n)
{
	assert_int_equal(dfo_run_checks_opts(j, n, 8, &pool_opts), 0);
}

/* The pids the checks wrote (sorted), n of them. */
static void read_pids(int *v, int n)
{
	for (int i = 0; i < n; i++)
		assert_int_equal(read(pids_fd[0], &v[i], sizeof(v[i])),
				 sizeof(v[i]));
	for (int i = 1; i < n; i++)
		for (int k = i; k > 0 && v[k - 1] > v[k]; k--) {
			int t = v[k];
			v[k] = v[k - 1];
			v[k - 1] = t;
		}
}

static bool alive(int pid)
{
	return kill(pid, 0) == 0 || errno != ESRCH;
}

/* The same three workers answer three batches; a reset retires them:
 * gone, not even zombies, no fd left. */
static void test_pool_reuse(void **unused)
{
	int fds = count_fds();
	struct dfo_check_job j[3];
	int first[3], again[3];
	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 3; i++)
			job(&j[i], "pid", 2, 1);
		pooled(j, 3);
		for (int i = 0; i < 3; i++)
			assert_int_equal(j[i].result, DFO_CHECK_HEALTHY);
		read_pids(round ? again : first, 3);
		if (round)
			assert_memory_equal(first, again, sizeof(first));
	}
	assert_int_equal(dfo_check_pool_idle(pool), 3);
	for (int i = 0; i < 3; i++) {
		assert_true(dfo_check_pool_has(pool, first[i]));
		assert_true(alive(first[i]));
		assert_int_equal(getpgid(first[i]), first[i]);
	}
	dfo_check_pool_reset(pool);
	assert_int_equal(dfo_check_pool_idle(pool), 0);
	for (int i = 0; i < 3; i++) {
		assert_false(alive(first[i]));
		assert_false(dfo_check_pool_has(pool, first[i]));
	}
	assert_no_children();
	assert_int_equal(count_fds(), fds);
}

/* A hung check's worker is killed at its deadline and replaced; one that
 * crashes, and one that answers after its deadline, are dropped too;
 * the others are kept. */
static void test_pool_hang_replaced(void **unused)
{
	struct dfo_check_job j[4];
	JOBS(j, {"pid", 2, 1}, {"pidhang", 0.3, 1}, {"crash", 2, 1},
	     {"late", 0.3, 1});
	pooled(j, 4);
	assert_int_equal(j[0].result, DFO_CHECK_HEALTHY);
	assert_int_equal(j[1].result, DFO_CHECK_TIMEOUT);
	assert_int_equal(j[2].result, DFO_CHECK_CRASHED);
	assert_int_equal(j[3].result, DFO_CHECK_TIMEOUT);
	int v[2];
	read_pids(v, 2);
	int hung = alive(v[0]) ? v[1] : v[0], kept = hung == v[0] ? v[1] : v[0];
	assert_false(alive(hung)); /* killed and reaped */
	assert_false(dfo_check_pool_has(pool, hung));
	assert_true(dfo_check_pool_has(pool, kept));
	assert_int_equal(dfo_check_pool_idle(pool), 1);

	/* Two checks now: the kept worker and a new one. */
	JOBS(j, {"pid", 2, 1}, {"pid", 2, 1});
	pooled(j, 2);
	read_pids(v, 2);
	assert_true(v[0] == kept || v[1] == kept);
	assert_true(v[0] != hung && v[1] != hung && v[0] != v[1]);
	assert_int_equal(dfo_check_pool_idle(pool), 2);
	dfo_check_pool_reset(pool);
	assert_no_children();
}

/* Between batches, the workers that deadlines killed are forked again
 * (as many as the last batches had busy at once), ready for a job. */
static void test_pool_refill(void **unused)
{
	struct dfo_check_job j[3];
	JOBS(j, {"pid", 2, 1}, {"pid", 2, 1}, {"pidhang", 0.3, 1});
	pooled(j, 3);
	assert_int_equal(j[2].result, DFO_CHECK_TIMEOUT);
	int v[3], w[3];
	read_pids(v, 3);
	assert_int_equal(dfo_check_pool_idle(pool), 2);
	assert_true(dfo_check_pool_short(pool));
	assert_int_equal(dfo_check_pool_refill(pool, 5), 1);
	assert_false(dfo_check_pool_short(pool));
	assert_int_equal(dfo_check_pool_refill(pool, 5), 0);
	assert_int_equal(dfo_check_pool_idle(pool), 3);
	for (int i = 0; i < 3; i++)
		job(&j[i], "pid", 2, 1);
	pooled(j, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(j[i].result, DFO_CHECK_HEALTHY);
	read_pids(w, 3);
	/* the three idle ones answered: none forked in the batch */
	int kept = 0;
	for (int i = 0; i < 3; i++) {
		assert_true(dfo_check_pool_has(pool, w[i]));
		for (int k = 0; k < 3; k++)
			kept += w[i] == v[k];
	}
	assert_int_equal(kept, 2);
	dfo_check_pool_reset(pool);
	assert_no_children();
}

/* A worker whose check left a process behind (in its group, or escaped
 * with setsid) is retired, and what it left is killed before the batch
 * returns. */
static void test_pool_leftovers(void **unused)
{
	const char *modes[] = {"fork", "setsid"};
	for (int m = 0; m < 2; m++) {
		struct dfo_check_job j;
		job(&j, modes[m], 2, 1);
		assert_int_equal(dfo_run_checks_opts(&j, 1, 4, &pool_opts), 0);
		assert_int_equal(j.result, DFO_CHECK_HEALTHY);
		assert_int_equal(dfo_check_pool_idle(pool), 0);
		int v[2];
		read_pids(v, m == 0 ? 2 : 1);
		for (int i = 0; i < (m == 0 ? 2 : 1); i++)
			assert_false(alive(v[i]));
		assert_no_children();
	}
}

/* A worker retires after `retire` checks; idle workers beyond what the
 * last batches needed at once are retired; results as without a pool. */
static void test_pool_retire_trim(void **unused)
{
	struct dfo_check_pool *two = dfo_check_pool_new(2);
	struct dfo_run_opts o = {.watch_fd = -1, .pool = two};
	int v[3];
	for (int i = 0; i < 3; i++) {
		struct dfo_check_job j;
		job(&j, "pid", 2, 1);
		assert_int_equal(dfo_run_checks_opts(&j, 1, 4, &o), 0);
		read_pids(&v[i], 1);
	}
	assert_int_equal(v[0], v[1]);
	assert_true(v[2] != v[1]);
	assert_false(alive(v[0]));
	dfo_check_pool_free(two);

	struct dfo_check_job j[6];
	JOBS(j, {"ok", 2, 1}, {"fail", 2, 3}, {"local", 2, 1},
	     {"noresult", 2, 1}, {"ok", 2, 1}, {"ok", 2, 1});
	pooled(j, 6);
	assert_int_equal(j[0].result, DFO_CHECK_HEALTHY);
	assert_int_equal(j[1].result, DFO_CHECK_FAILED);
	assert_int_equal(j[1].tries, 3);
	assert_string_equal(j[1].reason, "refused, as told");
	assert_int_equal(j[2].result, DFO_CHECK_UNKNOWN);
	assert_int_equal(j[3].result, DFO_CHECK_CRASHED);
	assert_non_null(strstr(j[3].reason, "without a result"));
	assert_int_equal(dfo_check_pool_idle(pool), 5);
	/* 16 batches of one: one worker is enough. */
	for (int i = 0; i < 16; i++) {
		job(&j[0], "ok", 2, 1);
		pooled(j, 1);
	}
	assert_int_equal(dfo_check_pool_idle(pool), 1);
	dfo_check_pool_reset(pool);
	assert_no_children();
}

/* Early jobs (targets that timed out last time: the batch waits for
 * their deadlines, which count from their start) are started first, in
 * their order, then the others in theirs. */
static void test_pool_early_first(void **unused)
{
	static const char *who[] = {"who0", "who1", "who2", "who3", "who4"};
	struct dfo_check_job j[5];
	for (int i = 0; i < 5; i++)
		job(&j[i], who[i], 2, 1);
	j[3].early = true;
	j[4].early = true;
	assert_int_equal(dfo_run_checks_opts(j, 5, 1, &pool_opts), 0);
	int order[5];
	for (int i = 0; i < 5; i++) {
		assert_int_equal(j[i].result, DFO_CHECK_HEALTHY);
		assert_int_equal(read(pids_fd[0], &order[i], sizeof(order[i])),
				 sizeof(order[i]));
	}
	static const int want[5] = {3, 4, 0, 1, 2};
	assert_memory_equal(order, want, sizeof(want));
	assert_int_equal(dfo_check_pool_idle(pool), 1);
	dfo_check_pool_reset(pool);
	assert_no_children();
}

/* An early job runs in a spare worker (forked between batches, never
 * used) if there is one, else in a new one: never in a worker that the
 * quick checks used, which would be killed with it at its deadline. */
static void test_pool_early_spare(void **unused)
{
	struct dfo_check_job j[3];
	job(&j[0], "pid", 2, 1);
	job(&j[1], "pid", 2, 1);
	job(&j[2], "pidhang", 0.3, 1);
	assert_int_equal(dfo_run_checks_opts(j, 3, 8, &pool_opts), 0);
	int v[3], used[2] = {0, 0};
	read_pids(v, 3);
	for (int i = 0, k = 0; i < 3; i++)
		if (alive(v[i]) && k < 2)
			used[k++] = v[i]; /* the quick checks' workers */
	assert_true(used[1] > 0);
	assert_int_equal(dfo_check_pool_refill(pool, 5), 1); /* the spare */
	int spare = 0;
	for (int round = 0; round < 2; round++) {
		/* One at a time: the early one first. */
		job(&j[0], "who1", 2, 1);
		job(&j[1], "pid", 2, 1);
		job(&j[2], "who2", 2, 1);
		j[1].early = true;
		assert_int_equal(dfo_run_checks_opts(j, 3, 1, &pool_opts), 0);
		int w[3];
		for (int i = 0; i < 3; i++)
			assert_int_equal(read(pids_fd[0], &w[i], sizeof(w[i])),
					 sizeof(w[i]));
		assert_int_equal(w[1], 1);
		assert_int_equal(w[2], 2);
		assert_true(w[0] != used[0] && w[0] != used[1]);
		/* The spare, once used, is no spare: a new one the second
		 * time. */
		if (round)
			assert_true(w[0] != spare);
		spare = w[0];
	}
	dfo_check_pool_reset(pool);
	assert_no_children();
}

/* The children of this process, sorted; n of them (at most max). */
static size_t children(int *v, size_t max)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/task/%d/children",
		 (int)getpid());
	FILE *f = fopen(path, "re");
	size_t n = 0;
	int pid;
	while (f && n < max && fscanf(f, "%d", &pid) == 1)
		v[n++] = pid;
	if (f)
		fclose(f);
	return n;
}

/* Before the first batch, the pool can be filled ahead (bounded by the
 * count asked for): the first batch then forks nothing, and retires the
 * workers it did not use; once a batch has run, warming does nothing. */
static void test_pool_warm(void **unused)
{
	assert_int_equal(dfo_check_pool_warm(pool, 4, 0), 0); /* no time */
	assert_int_equal(dfo_check_pool_warm(pool, 4, 5), 4);
	assert_int_equal(dfo_check_pool_warm(pool, 4, 5), 0); /* full */
	assert_int_equal(dfo_check_pool_idle(pool), 4);
	int before[8], after[8];
	assert_int_equal(children(before, 8), 4);
	struct dfo_check_job j[2];
	JOBS(j, {"pid", 2, 1}, {"pid", 2, 1});
	pooled(j, 2);
	int v[2];
	read_pids(v, 2);
	for (int i = 0; i < 2; i++) {
		bool warmed = false;
		for (int k = 0; k < 4; k++)
			warmed |= v[i] == before[k];
		assert_true(warmed);
	}
	assert_int_equal(dfo_check_pool_idle(pool), 2); /* 2 retired */
	assert_int_equal(children(after, 8), 2);
	assert_int_equal(dfo_check_pool_warm(pool, 4, 5), 0);
	assert_int_equal(dfo_check_pool_idle(pool), 2);
	dfo_check_pool_reset(pool);
	assert_no_children();
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_hang_deadline),
		cmocka_unit_test(test_fork_healthy),
		cmocka_unit_test(test_fork_hang),
		cmocka_unit_test(test_parallel),
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_local_failure),
		cmocka_unit_test(test_setsid_escape),
		cmocka_unit_test(test_interrupt),
		cmocka_unit_test_setup_teardown(test_pool_reuse, pool_setup,
						pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_hang_replaced,
						pool_setup, pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_refill, pool_setup,
						pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_leftovers, pool_setup,
						pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_retire_trim,
						pool_setup, pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_early_first,
						pool_setup, pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_warm, pool_setup,
						pool_teardown),
		cmocka_unit_test_setup_teardown(test_pool_early_spare,
						pool_setup, pool_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
