/*
 * Test-only module "test_fault": a check and an ipsource whose behaviour
 * a test sets through files, for fault injection.
 *
 * check "fault" { fault { state_dir = "DIR" default = "ok" } }
 *   create_delay = S: create() sleeps S seconds (a slow config load),
 *   after appending a line to `create_mark` (a file) if set.
 *   The mode for target ADDR is the first word of DIR/ADDR, else
 *   `default`:
 *     ok     healthy at once          fail   unhealthy at once
 *     slow   healthy after `delay` s  hang   sleeps forever
 *     crash  dereferences NULL        exit   _exit(0) with no result
 *     late   healthy after timeout + 0.3 s (past its deadline)
 *     slowfail  unhealthy after `delay` s
 *     local  a failure of this host, not of the target (-EMFILE)
 *     fork   forks two grandchildren that sleep, writes their pids to
 *            DIR/ADDR.pids, then reports healthy
 *     forkhang  the same, then hangs
 *     failfor N TAG  unhealthy for the first N checks of ADDR since this
 *            mode was written, healthy after; each check appends a line
 *            to DIR/ADDR.TAG, so a test reads how many checks ran (a new
 *            TAG starts a new count)
 * ipsource "fault" { fault { file = "FILE" } }
 *   The address written in FILE; an error if FILE is missing or says
 *   "fail".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

struct fault {
	char *dir;
	char *def;
	double delay;
};

static cfg_opt_t fault_opts[] = {CFG_STR("state_dir", NULL, CFGF_NONE),
				 CFG_STR("default", "ok", CFGF_NONE),
				 CFG_FLOAT("delay", 0.2, CFGF_NONE),
				 CFG_FLOAT("create_delay", 0, CFGF_NONE),
				 CFG_STR("create_mark", NULL, CFGF_NONE),
				 CFG_END()};

static void sleep_s(double s);

static void fault_destroy(void *state)
{
	struct fault *f = state;
	if (!f)
		return;
	free(f->dir);
	free(f->def);
	free(f);
}

static int fault_create(const char *instance, cfg_t *sec, void **state,
			struct dfo_err *err)
{
	struct fault *f = calloc(1, sizeof(*f));
	const char *dir = cfg_getstr(sec, "state_dir");
	if (!f || (dir && !(f->dir = strdup(dir))) ||
	    !(f->def = strdup(cfg_getstr(sec, "default")))) {
		fault_destroy(f);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	f->delay = cfg_getfloat(sec, "delay");
	const char *mark = cfg_getstr(sec, "create_mark");
	FILE *fp = mark ? fopen(mark, "ae") : NULL;
	if (fp) {
		fprintf(fp, "%d\n", (int)getpid());
		fclose(fp);
	}
	if (cfg_getfloat(sec, "create_delay") > 0)
		sleep_s(cfg_getfloat(sec, "create_delay"));
	*state = f;
	return 0;
}

/* The n-th check (from 1) of this mode: append a line to DIR/ADDR.TAG
 * and count the lines (checks run in their own processes). */
static long count_call(const char *dir, const char *addr, const char *tag)
{
	char path[4096], line[64];
	snprintf(path, sizeof(path), "%s/%s.%s", dir, addr, tag);
	FILE *fp = fopen(path, "a+e");
	if (!fp)
		return -1;
	fputs("check\n", fp);
	fflush(fp);
	rewind(fp);
	long n = 0;
	while (fgets(line, sizeof(line), fp))
		n++;
	fclose(fp);
	return n;
}

/* "failfor N TAG" from a state file: true and the fields if it says so. */
static bool read_failfor(const char *path, long *n, char *tag, size_t len)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return false;
	char word[64];
	bool ok = fscanf(fp, "%63s %ld %63s", word, n, tag) == 3 &&
		  strcmp(word, "failfor") == 0 && len >= 64 &&
		  !strchr(tag, '/');
	fclose(fp);
	return ok;
}

/* First word of a small file into buf; false if unreadable. */
static bool read_word(const char *path, char *buf, size_t len)
{
	FILE *fp = fopen(path, "re");
	if (!fp)
		return false;
	bool ok = fscanf(fp, "%63s", buf) == 1 && len >= 64;
	fclose(fp);
	return ok;
}

static void sleep_s(double s)
{
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void spawn_grandchildren(const char *dir, const char *addr)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s.pids", dir ? dir : "/tmp", addr);
	for (int i = 0; i < 2; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			for (;;)
				pause();
		}
		FILE *fp = fopen(path, "ae");
		if (fp) {
			fprintf(fp, "%d\n", (int)pid);
			fclose(fp);
		}
	}
}

static int fault_check(void *state, const struct dfo_check_target *t,
		       struct dfo_err *err)
{
	struct fault *f = state;
	char addr[DFO_ADDR_STRLEN], mode[64], path[4096];
	dfo_addr_format(&t->addr, addr, sizeof(addr));
	snprintf(mode, sizeof(mode), "%s", f->def);
	if (f->dir) {
		snprintf(path, sizeof(path), "%s/%s", f->dir, addr);
		read_word(path, mode, sizeof(mode));
	}
	if (strcmp(mode, "ok") == 0)
		return 0;
	long n;
	char tag[64];
	if (f->dir && strcmp(mode, "failfor") == 0 &&
	    read_failfor(path, &n, tag, sizeof(tag))) {
		long call = count_call(f->dir, addr, tag);
		if (call < 0)
			return dfo_err_set(err, -EMFILE, "cannot count checks");
		if (call <= n)
			return dfo_err_set(err, -ECONNREFUSED,
					   "told to fail (%ld of %ld)", call,
					   n);
		return 0;
	}
	if (strcmp(mode, "fail") == 0)
		return dfo_err_set(err, -ECONNREFUSED, "told to fail");
	if (strcmp(mode, "slow") == 0) {
		sleep_s(f->delay);
		return 0;
	}
	if (strcmp(mode, "slowfail") == 0) {
		sleep_s(f->delay);
		return dfo_err_set(err, -ECONNREFUSED, "told to fail, slowly");
	}
	if (strcmp(mode, "local") == 0)
		return dfo_err_set(err, -EMFILE, "socket: %s",
				   strerror(EMFILE));
	if (strcmp(mode, "late") == 0) {
		sleep_s(t->timeout + 0.3);
		return 0;
	}
	if (strcmp(mode, "crash") == 0) {
		volatile int *p = NULL;
		*p = 1;
	}
	if (strcmp(mode, "exit") == 0)
		_exit(0);
	if (strcmp(mode, "fork") == 0 || strcmp(mode, "forkhang") == 0) {
		spawn_grandchildren(f->dir, addr);
		if (strcmp(mode, "fork") == 0)
			return 0;
	}
	for (;;) /* hang */
		pause();
}

static const struct dfo_check_provider fault_check_provider = {
	.size = sizeof(struct dfo_check_provider),
	.name = "fault",
	.description = "test: behaves as files tell it",
	.options = fault_opts,
	.create = fault_create,
	.destroy = fault_destroy,
	.check = fault_check,
};

static cfg_opt_t src_opts[] = {CFG_STR("file", NULL, CFGF_NODEFAULT),
			       CFG_END()};

static int src_create(const char *instance, cfg_t *sec, void **state,
		      struct dfo_err *err)
{
	const char *file = cfg_getstr(sec, "file");
	if (!file)
		return dfo_err_set(err, -EINVAL, "option 'file' is required");
	if (!(*state = strdup(file)))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

static void src_destroy(void *state)
{
	free(state);
}

static int src_own_addr(void *state, int family, struct dfo_addr *out,
			struct dfo_err *err)
{
	char word[64];
	if (!read_word(state, word, sizeof(word)))
		return dfo_err_set(err, -ENOENT, "%s: cannot read",
				   (const char *)state);
	if (dfo_addr_parse_family(out, word, family) < 0)
		return dfo_err_set(err, -EIO, "told to fail (%s)", word);
	return 0;
}

static const struct dfo_ipsource_provider fault_src_provider = {
	.size = sizeof(struct dfo_ipsource_provider),
	.name = "fault",
	.description = "test: the address in a file, or an error",
	.options = src_opts,
	.create = src_create,
	.destroy = src_destroy,
	.own_addr = src_own_addr,
};

static int fault_init(struct dfo_registry *reg, struct dfo_err *err)
{
	int rc = dfo_register_check(reg, &fault_check_provider);
	if (rc == 0)
		rc = dfo_register_ipsource(reg, &fault_src_provider);
	return rc;
}

DFO_MODULE("test_fault", fault_init);
