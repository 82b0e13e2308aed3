/*
 * Test-only module "test_responder": responder "sleeper".  start()
 * binds a UDP socket when `port` is set (on `address`) and switches to
 * `user` when one is set; run() appends "PID UID" to `pid_file`, reports
 * readiness and waits for the stop descriptor, then appends "stop PID".
 * With `exit_after` > 0 it returns an error after that many seconds so
 * the supervisor must restart it; with `ignore_stop` it never looks at
 * the stop descriptor (the supervisor must kill it).  It counts its
 * starts in a counter and sets a gauge, for the metrics tests.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

struct sleeper {
	char *pid_file, *user, *address;
	double exit_after;
	long port;
	bool ignore_stop;
	int sock;
};

static cfg_opt_t sleeper_opts[] = {
	CFG_STR("pid_file", NULL, CFGF_NODEFAULT),
	CFG_FLOAT("exit_after", 0, CFGF_NONE),
	CFG_INT("port", 0, CFGF_NONE),
	CFG_STR("address", "127.0.0.1", CFGF_NONE),
	CFG_STR("user", "", CFGF_NONE),
	CFG_BOOL("ignore_stop", cfg_false, CFGF_NONE),
	CFG_END()};

static void sleeper_destroy(void *state)
{
	struct sleeper *s = state;
	if (s) {
		free(s->pid_file);
		free(s->user);
		free(s->address);
	}
	free(s);
}

static int sleeper_create(const char *instance, cfg_t *sec, void **state,
			  struct dfo_err *err)
{
	const char *pf = cfg_getstr(sec, "pid_file");
	if (!pf)
		return dfo_err_set(err, -EINVAL,
				   "option 'pid_file' is required");
	struct sleeper *s = calloc(1, sizeof(*s));
	if (!s)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	s->pid_file = strdup(pf);
	s->user = strdup(cfg_getstr(sec, "user"));
	s->address = strdup(cfg_getstr(sec, "address"));
	s->sock = -1;
	if (!s->pid_file || !s->user || !s->address) {
		sleeper_destroy(s);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	s->exit_after = cfg_getfloat(sec, "exit_after");
	s->port = cfg_getint(sec, "port");
	s->ignore_stop = cfg_getbool(sec, "ignore_stop");
	*state = s;
	return 0;
}

static int sleeper_start(void *state, struct dfo_err *err)
{
	struct sleeper *s = state;
	dfo_metric_add(dfo_metric_register(DFO_METRIC_COUNTER,
					   "dnsfailover_test_starts_total",
					   "starts of the test responder",
					   NULL),
		       1);
	if (s->port > 0) {
		struct sockaddr_in sin = {.sin_family = AF_INET,
					  .sin_port = htons((uint16_t)s->port)};
		inet_pton(AF_INET, s->address, &sin.sin_addr);
		s->sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (s->sock < 0 ||
		    bind(s->sock, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			return dfo_err_set(err, -errno, "bind %s:%ld: %s",
					   s->address, s->port,
					   strerror(errno));
	}
	if (s->user[0])
		return dfo_drop_privileges(s->user, err);
	return 0;
}

static void sleeper_stop(void *state)
{
	struct sleeper *s = state;
	if (s->sock >= 0)
		close(s->sock);
	s->sock = -1;
}

static void note(const struct sleeper *s, const char *what)
{
	FILE *fp = fopen(s->pid_file, "ae");
	if (fp) {
		fprintf(fp, "%s%d %d\n", what, (int)getpid(), (int)getuid());
		fclose(fp);
	}
}

static int sleeper_run(void *state, struct dfo_responder_ctx *ctx,
		       struct dfo_err *err)
{
	struct sleeper *s = state;
	note(s, "");
	dfo_metric_set(dfo_metric_register(DFO_METRIC_GAUGE,
					   "dnsfailover_test_pid",
					   "pid of the test responder", NULL),
		       (double)getpid());
	dfo_responder_ready(ctx);
	if (s->ignore_stop)
		for (;;)
			pause();
	struct pollfd p = {.fd = dfo_responder_stop_fd(ctx), .events = POLLIN};
	int ms = s->exit_after > 0 ? (int)(s->exit_after * 1000) : -1;
	int n;
	while ((n = poll(&p, 1, ms)) < 0 && errno == EINTR)
		;
	if (n == 0)
		return dfo_err_set(err, -EIO, "exiting after %.2f s, as told",
				   s->exit_after);
	note(s, "stop ");
	return 0;
}

static const struct dfo_responder_provider sleeper_provider = {
	.size = sizeof(struct dfo_responder_provider),
	.name = "sleeper",
	.description =
		"test: sleeps until told to stop, or exits after a while",
	.options = sleeper_opts,
	.create = sleeper_create,
	.destroy = sleeper_destroy,
	.start = sleeper_start,
	.stop = sleeper_stop,
	.run = sleeper_run,
};

static int sleeper_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_responder(reg, &sleeper_provider);
}

DFO_MODULE("test_responder", sleeper_init);
