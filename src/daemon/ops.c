/*
 * The agent's /metrics server and its systemd notifications.
 *
 * /metrics: libmicrohttpd in external-poll mode (MHD_USE_EPOLL, no
 * thread of its own): the engine polls its one epoll descriptor with
 * everything else and ops_tick() calls MHD_run(), which never blocks.
 * Connections are few (16), idle ones closed after 10 s; a scrape is
 * answered between rounds, never by delaying one.  libmicrohttpd is
 * loaded on first use (dlopen of its soname), so an agent without
 * metrics_listen never maps it.
 *
 * systemd: the notify protocol (sd_notify(3)) spoken directly: one
 * datagram per state to $NOTIFY_SOCKET.  READY=1 once the first config
 * is loaded and the responders are up, RELOADING=1 / READY=1 around a
 * reload, STOPPING=1, WATCHDOG=1 every half of $WATCHDOG_USEC.  The
 * variables are taken and removed from the environment at start, so no
 * check or notify program sees them.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "ops.h"

#define MHD_SONAME "libmicrohttpd.so.12"

/* ---- libmicrohttpd, loaded on first use ---- */

static struct {
	void *h;
	__typeof__(MHD_start_daemon) *start_daemon;
	__typeof__(MHD_stop_daemon) *stop_daemon;
	__typeof__(MHD_run) *run;
	__typeof__(MHD_get_timeout) *get_timeout;
	__typeof__(MHD_get_daemon_info) *get_daemon_info;
	__typeof__(MHD_create_response_from_buffer) *create_response;
	__typeof__(MHD_add_response_header) *add_header;
	__typeof__(MHD_queue_response) *queue_response;
	__typeof__(MHD_destroy_response) *destroy_response;
} mhd;

static int mhd_load(void)
{
	if (mhd.h)
		return 0;
	void *h = dlopen(MHD_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		dfo_log(DFO_LOG_ERR,
			"metrics: cannot load %s: %s (apt-get install "
			"libmicrohttpd12)",
			MHD_SONAME, dlerror());
		return -1;
	}
	struct {
		const char *name;
		void **fn;
	} syms[] = {
		{"MHD_start_daemon", (void **)&mhd.start_daemon},
		{"MHD_stop_daemon", (void **)&mhd.stop_daemon},
		{"MHD_run", (void **)&mhd.run},
		{"MHD_get_timeout", (void **)&mhd.get_timeout},
		{"MHD_get_daemon_info", (void **)&mhd.get_daemon_info},
		{"MHD_create_response_from_buffer",
		 (void **)&mhd.create_response},
		{"MHD_add_response_header", (void **)&mhd.add_header},
		{"MHD_queue_response", (void **)&mhd.queue_response},
		{"MHD_destroy_response", (void **)&mhd.destroy_response},
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++)
		if (!(*syms[i].fn = dlsym(h, syms[i].name))) {
			dfo_log(DFO_LOG_ERR, "metrics: %s has no %s",
				MHD_SONAME, syms[i].name);
			dlclose(h);
			return -1;
		}
	mhd.h = h;
	return 0;
}

/* ---- the server ---- */

/* The module's state, owned by the engine (struct agent). */
struct ops {
	struct events *events; /* not owned */
	struct MHD_Daemon *daemon;
	char *listening; /* the metrics_listen it serves; owned */
	int epoll_fd;
};

struct ops *ops_new(struct events *ev)
{
	struct ops *o = calloc(1, sizeof(*o));
	if (o) {
		o->events = ev;
		o->epoll_fd = -1;
	}
	return o;
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	dfo_log(DFO_LOG_WARNING, "metrics: %s", msg);
}

static enum MHD_Result reply(struct MHD_Connection *c, unsigned code,
			     const char *type, char *body, size_t len,
			     enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = mhd.create_response(len, body, mode);
	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	mhd.add_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (code == MHD_HTTP_METHOD_NOT_ALLOWED)
		mhd.add_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	enum MHD_Result rc = mhd.queue_response(c, code, r);
	mhd.destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
				  const char *url, const char *method,
				  const char *version, const char *upload,
				  size_t *upload_size, void **con_cls)
{
	static const char text[] = "text/plain; charset=utf-8";
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		static char msg[] = "only GET and HEAD\n";
		return reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text, msg,
			     sizeof(msg) - 1, MHD_RESPMEM_PERSISTENT);
	}
	if (strcmp(url, "/metrics") == 0) {
		struct dfo_sbuf b = {0};
		if (dfo_sbuf_addf(&b,
				  "# HELP dnsfailover_build_info The version "
				  "of this build (always 1).\n"
				  "# TYPE dnsfailover_build_info gauge\n"
				  "dnsfailover_build_info{version=\"%s\","
				  "plugin_abi=\"%d\"} 1\n",
				  PACKAGE_VERSION, DFO_PLUGIN_ABI) < 0 ||
		    dfo_metrics_write(&b) < 0 || events_metrics_write(&b) < 0 ||
		    dfo_sbuf_add(&b, "", 0) < 0) {
			free(b.s);
			static char msg[] = "out of memory\n";
			return reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text,
				     msg, sizeof(msg) - 1,
				     MHD_RESPMEM_PERSISTENT);
		}
		return reply(c, MHD_HTTP_OK,
			     "text/plain; version=0.0.4; charset=utf-8", b.s,
			     b.len, MHD_RESPMEM_MUST_FREE);
	}
	if (strcmp(url, "/") == 0) {
		static char msg[] = "dnsfailover: metrics at /metrics\n";
		return reply(c, MHD_HTTP_OK, text, msg, sizeof(msg) - 1,
			     MHD_RESPMEM_PERSISTENT);
	}
	static char msg[] = "not found: see /metrics\n";
	return reply(c, MHD_HTTP_NOT_FOUND, text, msg, sizeof(msg) - 1,
		     MHD_RESPMEM_PERSISTENT);
}

static void server_stop(struct ops *o)
{
	if (o->daemon)
		mhd.stop_daemon(o->daemon);
	o->daemon = NULL;
	o->epoll_fd = -1;
	free(o->listening);
	o->listening = NULL;
}

void ops_free(struct ops *o)
{
	if (!o)
		return;
	server_stop(o);
	free(o);
}

static void server_start(struct ops *o, const char *addr)
{
	struct sockaddr_storage ss;
	socklen_t len = dfo_listen_parse(addr, &ss);
	if (!len || mhd_load() < 0)
		return;
	unsigned flags = MHD_USE_EPOLL;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	o->daemon = mhd.start_daemon(
		flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
		(struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)16, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned)1,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_END);
	if (!o->daemon) {
		dfo_log(DFO_LOG_ERR,
			"metrics: cannot serve on %s (address in "
			"use, or not this host's?)",
			addr);
		return;
	}
	const union MHD_DaemonInfo *info =
		mhd.get_daemon_info(o->daemon, MHD_DAEMON_INFO_EPOLL_FD);
	o->epoll_fd = info ? info->epoll_fd : -1;
	o->listening = strdup(addr);
	dfo_log(DFO_LOG_NOTICE, "metrics: serving http://%s/metrics", addr);
}

void ops_configure(struct ops *o, const struct dfo_config *conf)
{
	events_configure(o->events, conf);
	const char *want = conf->metrics_listen;
	if (o->daemon && want && o->listening &&
	    strcmp(want, o->listening) == 0)
		return;
	server_stop(o);
	if (want)
		server_start(o, want);
}

/* ---- systemd ---- */

static struct {
	bool init;
	struct sockaddr_un sa;
	socklen_t salen; /* 0: no NOTIFY_SOCKET */
	double watchdog; /* seconds between pings; 0: none */
	double last_ping;
	bool ready; /* READY=1 sent once */
} sd;

static void sd_init(void)
{
	if (sd.init)
		return;
	sd.init = true;
	const char *path = getenv("NOTIFY_SOCKET");
	size_t len = path ? strlen(path) : 0;
	if (len > 1 && len < sizeof(sd.sa.sun_path) &&
	    (path[0] == '/' || path[0] == '@')) {
		sd.sa.sun_family = AF_UNIX;
		memcpy(sd.sa.sun_path, path, len);
		if (path[0] == '@')
			sd.sa.sun_path[0] = '\0'; /* abstract namespace */
		sd.salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
				       len);
	} else if (path) {
		dfo_log(DFO_LOG_WARNING,
			"NOTIFY_SOCKET=%s: not a unix socket "
			"path; not notifying systemd",
			path);
	}
	const char *usec = getenv("WATCHDOG_USEC");
	const char *wpid = getenv("WATCHDOG_PID");
	if (usec && (!wpid || atol(wpid) == (long)getpid())) {
		double us = strtod(usec, NULL);
		if (us > 0)
			sd.watchdog = us / 1e6 / 2;
	}
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

void ops_sd_notify(const char *state)
{
	sd_init();
	if (!sd.salen)
		return;
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL,
		   (struct sockaddr *)&sd.sa, sd.salen) < 0)
		dfo_log(DFO_LOG_DEBUG, "sd_notify %s: %s", state,
			strerror(errno));
	close(fd);
	if (strstr(state, "WATCHDOG=1") || strstr(state, "READY=1"))
		sd.last_ping = dfo_now();
}

void ops_reloaded(void)
{
	sd.ready = false;
}

void ops_watchdog(void)
{
	sd_init();
	if (sd.watchdog > 0 && dfo_now() - sd.last_ping >= sd.watchdog)
		ops_sd_notify("WATCHDOG=1");
}

/* ---- the engine's hooks ---- */

void ops_tick(struct ops *o, bool ready)
{
	sd_init();
	if (ready && !sd.ready) {
		sd.ready = true;
		ops_sd_notify("READY=1\nSTATUS=running");
	}
	ops_watchdog();
	events_reap(o->events);
	if (o->daemon)
		mhd.run(o->daemon);
}

size_t ops_pollfds(const struct ops *o, struct pollfd *p, size_t max)
{
	size_t n = 0;
	if (o->daemon && o->epoll_fd >= 0 && n < max)
		p[n++] = (struct pollfd){.fd = o->epoll_fd, .events = POLLIN};
	return n + events_pollfds(o->events, p + n, max - n);
}

double ops_next(const struct ops *o)
{
	double next = events_next(o->events);
	if (sd.watchdog > 0 && sd.last_ping + sd.watchdog < next)
		next = sd.last_ping + sd.watchdog;
	MHD_UNSIGNED_LONG_LONG ms;
	if (o->daemon && mhd.get_timeout(o->daemon, &ms) == MHD_YES) {
		double t = dfo_now() + ms / 1000.0;
		if (t < next)
			next = t;
	}
	return next;
}
