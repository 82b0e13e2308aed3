/* dnsfailover: command line, start-up, signals, reload, shutdown. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/time.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "engine.h"
#include "ops.h"
#include "quorum.h"
#include "status_show.h"

static void usage(FILE *out)
{
	fprintf(out,
		"NAME\n"
		"    dnsfailover - keep a DNS name pointing only at healthy "
		"servers\n"
		"\n"
		"SYNOPSIS\n"
		"    dnsfailover [-C FILE] [-f] [-P PIDFILE] [-l LEVEL]\n"
		"    dnsfailover [-C FILE] -t\n"
		"    dnsfailover [-C FILE] --list-plugins\n"
		"    dnsfailover [-C FILE] --status [--json]\n"
		"    dnsfailover [-C FILE] --try KIND/NAME [ARG...] [--timeout "
		"S]\n"
		"    dnsfailover --awsdns-ini FILE\n"
		"    awsdns [-c FILE] [-l ADDRESS[:PORT]]... [-f]\n"
		"\n"
		"DESCRIPTION\n"
		"    Runs on every server of a pool.  Each round it finds its "
		"own address\n"
		"    (ipsource), checks itself (check), makes sure its address "
		"is in DNS\n"
		"    (dns), checks its peers, and removes at most one dead "
		"peer per name\n"
		"    and round, never the last record.  Rounds are paced by a "
		"timer.  Providers of\n"
		"    these kinds come from plugins loaded from plugin_dir at "
		"start-up.\n"
		"\n"
		"OPTIONS\n"
		"    -C, --config FILE   configuration file (default %s)\n"
		"    -f, --foreground    stay in the foreground, log to "
		"stderr\n"
		"                        (otherwise: detach and log to "
		"syslog)\n"
		"    -P, --pidfile FILE  write the process id to FILE\n"
		"    -l, --log-level L   error, warning, notice, info or "
		"debug\n"
		"                        (overrides log_level of the config)\n"
		"    -t, --test          check the configuration and the "
		"plugins, print\n"
		"                        every problem as FILE:LINE: message; "
		"exit 0 if\n"
		"                        all is well, 1 otherwise; warns of "
		"pools that\n"
		"                        are not partition-safe (quorum = "
		"false, or a dns\n"
		"                        provider without state operations)\n"
		"        --list-plugins  list the providers of each kind, the "
		"module each\n"
		"                        comes from and its options; needs no "
		"config (the\n"
		"                        plugin dirs are -C's plugin_dir, "
		"else\n"
		"                        $DNSFAILOVER_PLUGIN_DIR, else %s\n"
		"                        then %s)\n"
		"        --try KIND/NAME [ARG...]\n"
		"                        run one operation of one configured "
		"instance once\n"
		"                        and print the result:\n"
		"                          check/NAME ADDRESS [FQDN]   healthy "
		"or not, why,\n"
		"                                                      how "
		"long\n"
		"                          ipsource/NAME [ipv4|ipv6]   the "
		"address found\n"
		"                          dns/NAME list FQDN [ipv4|ipv6]\n"
		"                                (a name with no records "
		"prints nothing)\n"
		"                          dns/NAME add|del FQDN ADDRESS "
		"[--expect A,B]\n"
		"                                (--expect: compare-and-set "
		"against that set,\n"
		"                                \"\" for none; exit 2 if it "
		"no longer holds;\n"
		"                                del of the last record: "
		"refused, exit 3)\n"
		"                          dns/NAME txt-list STATE_NAME\n"
		"                          dns/NAME txt-change STATE_NAME "
		"DEL|- ADD|-\n"
		"                                [--expect [TEXT...]]  quorum "
		"state records\n"
		"                          timer/NAME                  the "
		"next round times\n"
		"                        exit 0 if it succeeded (a check: "
		"healthy), else 1\n"
		"        --timeout S     deadline of a --try check (default: "
		"the timer of a\n"
		"                        pool using the check, else 5 s); the "
		"check runs in\n"
		"                        a child killed at the deadline, as in "
		"the daemon\n"
		"        --awsdns-ini FILE\n"
		"                        (the awsdns plugin's) print the "
		"responder (and aws)\n"
		"                        sections that do what the original "
		"awsdns's\n"
		"                        awsdns.ini FILE did, notes as "
		"comments, for moving\n"
		"                        to this config; its keys are not "
		"printed: the\n"
		"                        daemon takes them from its "
		"environment\n"
		"        --status        show the state the agent last wrote "
		"to the\n"
		"                        config's status_file: per pool its "
		"state, own\n"
		"                        address, last round, each name's "
		"records with\n"
		"                        each peer's last result; exit 1 if a "
		"pool is\n"
		"                        failing or its last round is older "
		"than three\n"
		"                        intervals (for monitoring)\n"
		"        --json          with --status: print the status file "
		"as it is\n"
		"    -h, --help          this text\n"
		"    -V, --version       print the version\n"
		"\n"
		"SIGNALS\n"
		"    SIGTERM, SIGINT     stop at once, even during a round "
		"(its checks are\n"
		"                        killed), and exit (withdrawing this "
		"host's records\n"
		"                        where withdraw_on_exit is set)\n"
		"    SIGHUP              re-read the configuration, checked "
		"while rounds go\n"
		"                        on; a bad one is logged and the "
		"running one kept\n"
		"\n"
		"ENVIRONMENT\n"
		"    DNSFAILOVER_PLUGIN_DIR  plugin directories (DIR:DIR...) "
		"when the config\n"
		"                            sets none\n"
		"    AWS_*                   AWS credentials and region (see "
		"the README)\n"
		"\n"
		"PROVIDER COMMANDS\n"
		"    A responder plugin may bring a command of its own, run "
		"under its name\n"
		"    (a link to this program) or as dnsfailover --NAME[-WORD] "
		"ARGS.  The\n"
		"    awsdns plugin's: awsdns (also dnsfailover --awsdns ...), "
		"a drop-in for\n"
		"    the original awsdns: it reads awsdns.ini (-c FILE, else "
		"./awsdns.ini,\n"
		"    /etc/awsdns.ini, ~/awsdns.ini) and serves its responder, "
		"on port 53 of\n"
		"    every address unless -l says where (see awsdns(8)).\n"
		"\n"
		"EXIT STATUS\n"
		"    0 on a clean stop or success, 1 on a configuration or "
		"start-up error\n"
		"    or when a pool with on_self_failure = exit failed its "
		"self-check\n",
		SYSCONFDIR "/dnsfailover.conf", PLUGINDIR, DROPINDIR);
}

enum { OPT_LIST = 256, OPT_TRY, OPT_TIMEOUT, OPT_STATUS, OPT_JSON };

static const struct option long_opts[] = {
	{"config", required_argument, NULL, 'C'},
	{"foreground", no_argument, NULL, 'f'},
	{"pidfile", required_argument, NULL, 'P'},
	{"log-level", required_argument, NULL, 'l'},
	{"test", no_argument, NULL, 't'},
	{"list-plugins", no_argument, NULL, OPT_LIST},
	{"try", required_argument, NULL, OPT_TRY},
	{"timeout", required_argument, NULL, OPT_TIMEOUT},
	{"status", no_argument, NULL, OPT_STATUS},
	{"json", no_argument, NULL, OPT_JSON},
	{"help", no_argument, NULL, 'h'},
	{"version", no_argument, NULL, 'V'},
	{NULL, 0, NULL, 0},
};

struct options {
	const char *config;
	bool config_given;
	bool foreground;
	const char *pidfile;
	int log_level; /* -1: from config */
	bool test, list, status, json;
	const char *try_what;
	double timeout;
};

static int write_pidfile(const char *path)
{
	char text[32];
	int n = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	return dfo_file_replace(path, text, (size_t)n, 0644, NULL);
}

static int daemonize(void)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (setsid() < 0)
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0)
		_exit(0);
	if (chdir("/") != 0)
		return -errno;
	int fd = open("/dev/null", O_RDWR);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/* Load plugins: from the config's plugin_dir if it names one, else from
 * the default path (the stock directory, then the drop-in one). */
static int load_plugins(const struct options *o, struct dfo_loader **loader,
			struct dfo_registry *reg)
{
	struct dfo_err e;
	dfo_err_clear(&e);
	char **dirs = NULL;
	if (o->config_given || access(o->config, R_OK) == 0) {
		dirs = dfo_config_plugin_dir(o->config, &e);
		if (!dirs && e.code < 0) {
			dfo_log(DFO_LOG_ERR, "%s", e.msg);
			return -1;
		}
	}
	int rc = dfo_loader_load_path(loader, reg, dirs, &e);
	if (rc < 0)
		dfo_log(DFO_LOG_ERR, "%s", e.msg);
	dfo_strv_free(dirs);
	return rc;
}

/*
 * The daemon maps only the modules its config uses: every module is still
 * loaded and the config checked against all of them, but in a child, which
 * reports errors itself and sends back the paths of the modules that the
 * instances come from (each once).  An agent whose config names no HTTP
 * provider thus never maps libcurl and its TLS stack.  On SIGHUP the child
 * runs while the agent goes on with its rounds; the main loop reads it as
 * it writes.  A reload's child has `reload_timeout` seconds (SIGALRM ends
 * it); a later SIGHUP replaces it, so the newest config is the one
 * checked.  It also sends the hash of the text it checked: the agent then
 * parses that very text, in a thread of its own (see struct loading).
 */
struct checker {
	pid_t pid;	     /* 0: none running */
	int fd;		     /* read end of its pipe, non-blocking; -1 */
	struct dfo_sbuf out; /* what it sent so far */
	double timeout;	     /* seconds it was given; 0: none */
	uint64_t hash;	     /* of the text it checked, once it ended well */
};

/* FNV-1a: which text the checking child approved. */
static uint64_t text_hash(const char *t, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)t[i]) * 0x100000001b3ULL;
	return h;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int checker_start(const struct options *o, struct checker *c,
			 double timeout)
{
	int p[2];
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout = timeout;
	if (pipe2(p, O_CLOEXEC) < 0) {
		dfo_log(DFO_LOG_ERR, "pipe: %s", strerror(errno));
		return -1;
	}
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		dfo_log(DFO_LOG_ERR, "fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(1);
		close(p[0]);
		if (timeout > 0) {
			struct itimerval it = {
				.it_value = {(time_t)timeout,
					     (suseconds_t)((timeout -
							    (time_t)timeout) *
							   1e6)}};
			signal(SIGALRM, SIG_DFL);
			setitimer(ITIMER_REAL, &it, NULL);
		}
		dfo_loader_crash_fd(p[1]); /* a module's crash names it */
		struct dfo_registry *all = dfo_registry_new();
		struct dfo_loader *l = NULL;
		struct dfo_config *conf = NULL;
		struct dfo_err e;
		dfo_err_clear(&e);
		size_t len = 0;
		char *text = NULL;
		if (!all || load_plugins(o, &l, all) < 0)
			_exit(1);
		if (!(text = dfo_config_read(o->config, &len, &e))) {
			dfo_log(DFO_LOG_ERR, "%s", e.msg);
			_exit(1);
		}
		if (dfo_config_load_text(&conf, all, o->config, text, len, true,
					 &e) < 0)
			_exit(1);
		char rec[32];
		int rl = snprintf(rec, sizeof(rec), "\2%016llx",
				  (unsigned long long)text_hash(text, len));
		if (write(p[1], rec, (size_t)rl + 1) != rl + 1)
			_exit(1);
		/* Each module once, however many instances. */
		const char **m = calloc(conf->ninst + 1, sizeof(*m));
		size_t n = 0;
		for (size_t i = 0; m && i < conf->ninst; i++)
			if (conf->inst[i].entry->module)
				m[n++] = conf->inst[i].entry->module;
		if (m)
			qsort(m, n, sizeof(*m), str_cmp);
		FILE *f = m ? fdopen(p[1], "w") : NULL;
		for (size_t i = 0; f && i < n; i++)
			if (i == 0 || strcmp(m[i], m[i - 1]) != 0)
				fprintf(f, "%s%c", m[i], '\0');
		_exit(f && fclose(f) == 0 ? 0 : 1);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	c->pid = pid;
	c->fd = p[0];
	return 0;
}

/* Read what the child wrote: 1 at its end (EOF), 0 if more may come. */
static int checker_read(struct checker *c)
{
	char buf[65536];
	for (;;) {
		ssize_t r = read(c->fd, buf, sizeof(buf));
		if (r > 0) {
			if (dfo_sbuf_add(&c->out, buf, (size_t)r) < 0)
				return 1; /* out of memory: the end */
			continue;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return 0;
		return 1;
	}
}

/* Reap the child and load the modules it named.  0, or -1 if the config
 * or a module is bad (already reported). */
static int checker_finish(struct checker *c, struct dfo_loader **loader,
			  struct dfo_registry *reg)
{
	close(c->fd);
	c->fd = -1;
	int status = 0;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->pid = 0;
	int rc = -1;
	if (WIFSIGNALED(status)) {
		/* The child reported nothing itself: say who crashed. */
		const char *mod = NULL;
		for (size_t k = 0; k < c->out.len;
		     k += strlen(c->out.s + k) + 1)
			if (c->out.s[k] == '\1')
				mod = c->out.s + k + 1;
		if (WTERMSIG(status) == SIGALRM && c->timeout > 0)
			dfo_log(DFO_LOG_ERR,
				"the check of the new configuration "
				"took more than %g s (reload_timeout): stopped",
				c->timeout);
		else if (mod)
			dfo_log(DFO_LOG_ERR,
				"%s: module crashed while loading "
				"(signal %d, %s): not loaded",
				mod, WTERMSIG(status),
				strsignal(WTERMSIG(status)));
		else
			dfo_log(DFO_LOG_ERR,
				"the configuration check died of "
				"signal %d (%s)",
				WTERMSIG(status), strsignal(WTERMSIG(status)));
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		/* One path per module, no bound on how many. */
		size_t n = 0;
		for (size_t k = 0; k < c->out.len; k++)
			n += c->out.s[k] == '\0';
		char **paths = calloc(n ? n : 1, sizeof(*paths));
		n = 0;
		for (size_t k = 0; paths && k < c->out.len;
		     k += strlen(c->out.s + k) + 1)
			if (c->out.s[k] == '\2')
				c->hash = strtoull(c->out.s + k + 1, NULL, 16);
			else if (c->out.s[k] != '\1')
				paths[n++] = c->out.s + k;
		struct dfo_err e;
		dfo_err_clear(&e);
		rc = paths ? dfo_loader_load_files(loader, reg, paths, n, &e)
			   : dfo_err_set(&e, -ENOMEM, "out of memory");
		if (rc < 0)
			dfo_log(DFO_LOG_ERR, "%s", e.msg);
		free(paths);
	}
	free(c->out.s);
	memset(&c->out, 0, sizeof(c->out));
	return rc < 0 ? -1 : 0;
}

/* Stop a checking child that is no longer wanted. */
static void checker_cancel(struct checker *c)
{
	if (c->pid <= 0)
		return;
	kill(c->pid, SIGKILL);
	while (waitpid(c->pid, NULL, 0) < 0 && errno == EINTR)
		;
	close(c->fd);
	free(c->out.s);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int load_used_plugins(const struct options *o,
			     struct dfo_loader **loader,
			     struct dfo_registry *reg)
{
	struct checker c;
	if (checker_start(o, &c, 0) < 0)
		return -1;
	while (!checker_read(&c)) {
		struct pollfd p = {.fd = c.fd, .events = POLLIN};
		poll(&p, 1, -1);
	}
	return checker_finish(&c, loader, reg);
}

/*
 * A checked config is parsed again in the agent (its instances must live
 * here), but never in the main thread: a large file would stop rounds
 * and signals for as long.  A thread parses the text the checker
 * approved and writes one byte to a pipe when done; the main loop watches
 * the pipe as it watched the checker.  The registry is not changed while
 * it runs (modules are loaded before it starts, and no other reload step
 * runs until it ends).
 */
struct loading {
	bool running;
	pthread_t th;
	int fd[2];
	const char *file;
	struct dfo_registry *reg;
	char *text;
	size_t len;
	struct dfo_config *next;
	struct dfo_err e;
	int rc;
};

static void *loading_main(void *arg)
{
	struct loading *l = arg;
	l->rc = dfo_config_load_text(&l->next, l->reg, l->file, l->text, l->len,
				     true, &l->e);
	ssize_t w = write(l->fd[1], "", 1);
	(void)w;
	return NULL;
}

/* After the checker approved: parse the same text in a thread.  0, or -1
 * (reported) with nothing running; 1 if the file changed meanwhile (then
 * it is checked again). */
static int loading_start(struct loading *l, const char *file,
			 struct dfo_registry *reg, uint64_t hash)
{
	struct dfo_err e;
	dfo_err_clear(&e);
	memset(l, 0, sizeof(*l));
	l->fd[0] = l->fd[1] = -1;
	if (!(l->text = dfo_config_read(file, &l->len, &e))) {
		dfo_log(DFO_LOG_ERR, "%s", e.msg);
		return -1;
	}
	if (text_hash(l->text, l->len) != hash) {
		free(l->text);
		l->text = NULL;
		return 1;
	}
	l->file = file;
	l->reg = reg;
	dfo_err_clear(&l->e);
	int rc = pipe2(l->fd, O_CLOEXEC | O_NONBLOCK);
	if (rc == 0 && (rc = pthread_create(&l->th, NULL, loading_main, l))) {
		close(l->fd[0]);
		close(l->fd[1]);
	}
	if (rc) {
		dfo_log(DFO_LOG_ERR, "cannot load the new configuration: %s",
			strerror(rc < 0 ? errno : rc));
		free(l->text);
		l->text = NULL;
		return -1;
	}
	l->running = true;
	return 0;
}

/* The thread ended (its pipe is readable): its config, or NULL. */
static struct dfo_config *loading_finish(struct loading *l)
{
	pthread_join(l->th, NULL);
	close(l->fd[0]);
	close(l->fd[1]);
	free(l->text);
	l->text = NULL;
	l->running = false;
	if (l->rc < 0) {
		dfo_log(DFO_LOG_ERR,
			"new configuration rejected, keeping the running "
			"one%s%s",
			l->e.msg[0] ? ": " : " (errors above)", l->e.msg);
		ops_sd_notify("READY=1\nSTATUS=new configuration rejected, "
			      "running the previous one");
		return NULL;
	}
	return l->next;
}

/* Check the config file (again): a check already running is stale. */
static void reload_check(const struct options *o, struct checker *chk,
			 struct engine *eng, double timeout)
{
	if (chk->pid > 0) {
		engine_watch(eng, -1, 0);
		checker_cancel(chk);
		dfo_log(DFO_LOG_NOTICE, "the check of the previous version is "
					"dropped");
	}
	if (checker_start(o, chk, timeout) == 0) {
		ops_sd_notify("RELOADING=1");
		engine_watch(eng, chk->fd, chk->pid);
	} else {
		dfo_log(DFO_LOG_ERR, "new configuration not checked, keeping "
				     "the running one");
	}
}

/* ENGINE_WATCHED: the loading thread ended, or the checking child
 * wrote or ended.  Returns the config to switch to, or NULL; *settled
 * is false while the reload goes on (a check or a load still running). */
static struct dfo_config *
reload_watched(const struct options *o, struct checker *chk, struct loading *ld,
	       struct engine *eng, struct dfo_loader **loader,
	       struct dfo_registry *reg, double timeout, bool *settled)
{
	*settled = false;
	if (ld->running) {
		engine_watch(eng, -1, 0);
		*settled = true;
		return loading_finish(ld);
	}
	if (!checker_read(chk))
		return NULL;
	engine_watch(eng, -1, 0);
	int rc = checker_finish(chk, loader, reg);
	if (rc == 0)
		rc = loading_start(ld, o->config, reg, chk->hash);
	if (rc == 0) {
		dfo_log(DFO_LOG_INFO, "new configuration checked; loading it");
		engine_watch(eng, ld->fd[0], 0);
		return NULL;
	}
	if (rc > 0) {
		dfo_log(DFO_LOG_NOTICE,
			"%s changed while it was checked: "
			"checking it again",
			o->config);
		reload_check(o, chk, eng, timeout);
		return NULL;
	}
	dfo_log(DFO_LOG_ERR, "new configuration rejected, keeping the running "
			     "one (errors above)");
	ops_sd_notify("READY=1\nSTATUS=new configuration rejected, running "
		      "the previous one");
	*settled = true;
	return NULL;
}

/* SIGTERM, SIGINT and SIGHUP blocked and read from a signalfd (SIGPIPE
 * ignored); the signalfd, or -1 (logged). */
static int signals_take(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	int sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sigfd < 0)
		dfo_log(DFO_LOG_ERR, "signalfd: %s", strerror(errno));
	return sigfd;
}

static int run_daemon(const struct options *o, struct dfo_registry *reg,
		      struct dfo_loader **loader, struct dfo_config *conf)
{
	int sigfd = signals_take();
	if (sigfd < 0)
		return 1;
	if (o->pidfile) {
		int rc = write_pidfile(o->pidfile);
		if (rc < 0) {
			dfo_log(DFO_LOG_ERR, "pidfile %s: %s", o->pidfile,
				strerror(-rc));
			close(sigfd);
			return 1;
		}
	}
	struct engine *eng = engine_new(conf, sigfd);
	if (!eng) {
		dfo_log(DFO_LOG_ERR, "out of memory");
		close(sigfd);
		return 1;
	}
	dfo_log(DFO_LOG_NOTICE,
		"dnsfailover %s started: %zu pool(s), config %s",
		PACKAGE_VERSION, conf->npools, conf->file);
	int code = 0;
	struct checker chk = {.fd = -1};
	struct loading ld = {.running = false};
	bool again = false; /* SIGHUP while a config was being loaded */
	for (;;) {
		enum engine_event ev = engine_run(eng, &code);
		if (ev == ENGINE_STOP) {
			ops_sd_notify("STOPPING=1");
			break;
		}
		if (ev == ENGINE_RELOAD) {
			/* Check the new config in a child; rounds go on. */
			dfo_log(DFO_LOG_NOTICE, "SIGHUP: re-reading %s",
				o->config);
			if (ld.running)
				again = true;
			else
				reload_check(o, &chk, eng,
					     conf->reload_timeout);
			continue;
		}
		bool settled;
		struct dfo_config *next =
			reload_watched(o, &chk, &ld, eng, loader, reg,
				       conf->reload_timeout, &settled);
		if (!settled)
			continue;
		if (next) {
			if (o->log_level < 0)
				dfo_log_setup(next->log_level, !o->foreground,
					      "dnsfailover");
			engine_set_config(eng, next);
			dfo_config_free(conf);
			conf = next;
			dfo_log(DFO_LOG_NOTICE,
				"configuration reloaded: %zu "
				"pool(s)",
				conf->npools);
			ops_reloaded(); /* READY=1 once its responders are up */
		}
		if (again) {
			again = false;
			dfo_log(DFO_LOG_NOTICE,
				"SIGHUP meanwhile: re-reading %s", o->config);
			reload_check(o, &chk, eng, conf->reload_timeout);
		}
	}
	engine_watch(eng, -1, 0);
	checker_cancel(&chk);
	engine_shutdown(eng);
	engine_free(eng); /* stops /metrics, waits for notify programs */
	dfo_config_free(conf);
	if (o->pidfile)
		unlink(o->pidfile);
	close(sigfd);
	if (ld.running) {
		/* Never wait for a parse, nor free what it reads. */
		dfo_log(DFO_LOG_NOTICE, "exiting; the configuration being "
					"loaded is dropped");
		_exit(code);
	}
	dfo_log(DFO_LOG_NOTICE, "dnsfailover stopped");
	return code;
}

/* --status [--json]: 0 if every pool is well, else 1. */
static int show_status(struct dfo_config *conf, bool json)
{
	if (!conf->status_file) {
		fprintf(stderr,
			"dnsfailover: %s sets no status_file: no status "
			"to show\n",
			conf->file);
		return 1;
	}
	/* Opened without waiting (a FIFO is refused, as a device is), read
	 * up to a bound: --status is a monitoring check. */
	char *text = NULL;
	size_t len = 0;
	struct dfo_err e;
	dfo_err_clear(&e);
	int frc = dfo_file_read(conf->status_file, 64u << 20, &text, &len, &e);
	if (frc == -ENOENT) {
		fprintf(stderr, "dnsfailover: %s (is the agent running?)\n",
			e.msg);
		return 1;
	}
	if (frc < 0) {
		fprintf(stderr, "dnsfailover: %s\n", e.msg);
		return 1;
	}
	if (len == 0) {
		fprintf(stderr, "dnsfailover: %s: empty\n", conf->status_file);
		free(text);
		return 1;
	}
	struct status_pool_info *info =
		calloc(conf->npools ? conf->npools : 1, sizeof(*info));
	if (!info) {
		free(text);
		return 1;
	}
	for (size_t i = 0; i < conf->npools; i++) {
		const struct dfo_pool *p = &conf->pools[i];
		const struct dfo_timer_provider *tm = dfo_inst_timer(p->timer);
		/* The interval: the round after one due at t1. */
		double t1 = dfo_now();
		info[i].name = p->name;
		info[i].interval = tm->next_round(p->timer->state, t1, t1) - t1;
	}
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	double now = (double)ts.tv_sec + ts.tv_nsec / 1e9;
	FILE *out = json ? fopen("/dev/null", "we") : stdout;
	int rc = out ? status_show(out, conf->status_file, text, (size_t)len,
				   info, conf->npools, now)
		     : 1;
	if (json) {
		fwrite(text, 1, (size_t)len, stdout);
		if (out)
			fclose(out);
	}
	free(info);
	free(text);
	return rc;
}

/* "--timeout S": a positive number of seconds into *out.  0, or -1
 * with the error said. */
static int timeout_arg(const char *text, double *out)
{
	char *end;
	*out = strtod(text, &end);
	if (*end || !(*out > 0)) {
		fprintf(stderr,
			"dnsfailover: --timeout: '%s' is not a positive "
			"number of seconds\n",
			text);
		return -1;
	}
	return 0;
}

/* The options into *o; --try's arguments (a trailing "--timeout S"
 * taken off) into *args and *nargs.  -1 to go on, else the exit status
 * (-h, -V, or 1 after a usage error said). */
static int parse_args(int argc, char **argv, struct options *o, int *nargs,
		      char ***args)
{
	int c;
	/* '+': stop at the first non-option, so --try's arguments stay. */
	while ((c = getopt_long(argc, argv, "+C:fP:l:thV", long_opts, NULL)) !=
	       -1) {
		switch (c) {
		case 'C':
			o->config = optarg;
			o->config_given = true;
			break;
		case 'f':
			o->foreground = true;
			break;
		case 'P':
			o->pidfile = optarg;
			break;
		case 'l':
			o->log_level = dfo_log_level_parse(optarg);
			if (o->log_level < 0) {
				fprintf(stderr,
					"dnsfailover: -l: unknown level "
					"'%s' (error, warning, notice, "
					"info, debug)\n",
					optarg);
				return 1;
			}
			break;
		case 't':
			o->test = true;
			break;
		case OPT_LIST:
			o->list = true;
			break;
		case OPT_TRY:
			o->try_what = optarg;
			break;
		case OPT_STATUS:
			o->status = true;
			break;
		case OPT_JSON:
			o->json = true;
			break;
		case OPT_TIMEOUT:
			if (timeout_arg(optarg, &o->timeout) < 0)
				return 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("dnsfailover %s (plugin ABI %d)\n",
			       PACKAGE_VERSION, DFO_PLUGIN_ABI);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	/* --try ARG... [--timeout S]: take a trailing --timeout too. */
	*nargs = argc - optind;
	*args = argv + optind;
	int n = *nargs;
	if (o->try_what && n >= 2 && strcmp((*args)[n - 2], "--timeout") == 0) {
		if (timeout_arg((*args)[n - 1], &o->timeout) < 0)
			return 1;
		*nargs -= 2;
	} else if (o->try_what && n >= 1 &&
		   strcmp((*args)[n - 1], "--timeout") == 0) {
		fprintf(stderr, "dnsfailover: --timeout wants a number of "
				"seconds\n");
		return 1;
	}
	if (*nargs > 0 && !o->try_what) {
		fprintf(stderr,
			"dnsfailover: unexpected argument '%s' (see --help)\n",
			(*args)[0]);
		return 1;
	}
	if (o->json && !o->status) {
		fprintf(stderr, "dnsfailover: --json goes with --status\n");
		return 1;
	}
	return -1;
}

/* What the command line asked, with the plugins and the config loaded:
 * one of -t, --list-plugins, --try, --status, or the daemon.  The exit
 * status. */
static int run_command(const struct options *o, int nargs, char **args)
{
	bool interactive =
		o->test || o->list || o->try_what || o->foreground || o->status;
	/* Before anything forks: responders' metrics are shared with us. */
	dfo_metrics_init();
	struct dfo_registry *reg = dfo_registry_new();
	struct dfo_loader *loader = NULL;
	struct dfo_config *conf = NULL;
	int status = 1;
	if (!reg) {
		fprintf(stderr, "dnsfailover: out of memory\n");
		return 1;
	}
	if ((o->list || o->test || o->try_what || o->status)
		    ? load_plugins(o, &loader, reg) < 0
		    : load_used_plugins(o, &loader, reg) < 0)
		goto out;
	if (o->list) {
		cli_list_plugins(reg);
		status = 0;
		goto out;
	}

	struct dfo_err e;
	dfo_err_clear(&e);
	if (o->status) /* works without the AWS secret in the environment */
		dfo_aws_keys_unchecked(true);
	if (dfo_config_load(&conf, reg, o->config, true, &e) < 0) {
		if (o->test)
			printf("%s: configuration has errors\n", o->config);
		goto out;
	}
	if (o->test) {
		printf("%s: configuration ok: %zu plugin provider(s), %zu "
		       "instance(s), %zu pool(s)\n",
		       o->config, dfo_registry_count(reg), conf->ninst,
		       conf->npools);
		quorum_warnings(conf);
		status = 0;
		goto out;
	}
	if (o->try_what) {
		status = cli_try(conf, o->try_what, nargs, args, o->timeout);
		goto out;
	}
	if (o->status) {
		status = show_status(conf, o->json);
		goto out;
	}

	if (o->log_level < 0)
		dfo_log_setup(conf->log_level, 0, "dnsfailover");
	if (!interactive) {
		int rc = daemonize();
		if (rc < 0) {
			dfo_log(DFO_LOG_ERR, "cannot detach: %s",
				strerror(-rc));
			goto out;
		}
		dfo_log_setup(o->log_level >= 0 ? o->log_level
						: conf->log_level,
			      1, "dnsfailover");
	}
	quorum_warnings(conf);
	status = run_daemon(o, reg, &loader, conf);
	conf = NULL; /* run_daemon owns and frees it */
out:
	dfo_config_free(conf);
	dfo_loader_free(loader);
	dfo_registry_free(reg);
	return status;
}

int main(int argc, char **argv)
{
	struct options o = {.config = SYSCONFDIR "/dnsfailover.conf",
			    .log_level = -1,
			    .timeout = -1};
	/* Children it has from the start (a shell's process substitution)
	 * are not its own to kill. */
	dfo_children_mine_init();
	/* A responder's own command (the awsdns command, --awsdns-ini):
	 * the same program under a provider's name or option. */
	int status;
	if (cli_provider_command(argc, argv, long_opts, &status))
		return status;
	int nargs;
	char **args;
	if ((status = parse_args(argc, argv, &o, &nargs, &args)) >= 0)
		return status;
	dfo_log_setup(o.log_level >= 0
			      ? o.log_level
			      : (o.try_what ? DFO_LOG_WARNING : DFO_LOG_NOTICE),
		      0, "dnsfailover");
	return run_command(&o, nargs, args);
}
