/*
 * check "tcp": healthy when a connection to `port` is accepted; with
 * `send`, that text is written first; with `expect`, the answer must
 * contain it (a banner such as "SSH-2.0").  Runs in a child that the
 * core kills at the deadline, so it blocks freely.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

struct tcp {
	unsigned port;
	char *send;
	char *expect;
};

static cfg_opt_t tcp_opts[] = {CFG_INT("port", 0, CFGF_NODEFAULT),
			       CFG_STR("send", NULL, CFGF_NONE),
			       CFG_STR("expect", NULL, CFGF_NONE), CFG_END()};

static void tcp_destroy(void *state)
{
	struct tcp *t = state;
	if (!t)
		return;
	free(t->send);
	free(t->expect);
	free(t);
}

static int tcp_create(const char *instance, cfg_t *sec, void **state,
		      struct dfo_err *err)
{
	if (cfg_size(sec, "port") == 0)
		return dfo_err_set(err, -EINVAL, "option 'port' is required");
	long port = cfg_getint(sec, "port");
	if (port < 1 || port > 65535)
		return dfo_err_set(err, -EINVAL, "port %ld is not 1..65535",
				   port);
	struct tcp *t = calloc(1, sizeof(*t));
	if (!t)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	t->port = (unsigned)port;
	const char *s = cfg_getstr(sec, "send"), *x = cfg_getstr(sec, "expect");
	if ((s && !(t->send = strdup(s))) || (x && !(t->expect = strdup(x)))) {
		tcp_destroy(t);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	if (t->expect && !*t->expect) {
		tcp_destroy(t);
		return dfo_err_set(err, -EINVAL, "expect must not be empty");
	}
	*state = t;
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t w = send(fd, data, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		data += w;
		len -= (size_t)w;
	}
	return 0;
}

static int tcp_check(void *state, const struct dfo_check_target *target,
		     struct dfo_err *err)
{
	struct tcp *t = state;
	struct sockaddr_storage ss;
	socklen_t sl = dfo_addr_to_sockaddr(&target->addr, t->port, &ss);
	int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return dfo_err_set(err, -errno, "socket: %s", strerror(errno));
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		int e = errno;
		close(fd);
		return dfo_err_set(err, -e, "connect to port %u: %s", t->port,
				   strerror(e));
	}
	int rc = 0;
	if (t->send && (rc = write_all(fd, t->send, strlen(t->send))) < 0) {
		close(fd);
		return dfo_err_set(err, rc, "send: %s", strerror(-rc));
	}
	if (t->expect) {
		char buf[4096];
		size_t got = 0;
		for (;;) {
			ssize_t r =
				recv(fd, buf + got, sizeof(buf) - 1 - got, 0);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0) {
				rc = dfo_err_set(err, -errno, "receive: %s",
						 strerror(errno));
				break;
			}
			got += (size_t)r;
			buf[got] = '\0';
			if (memmem(buf, got, t->expect, strlen(t->expect)))
				break;
			if (r == 0 || got == sizeof(buf) - 1) {
				char shown[64];
				rc = dfo_err_set(
					err, -EPROTO,
					"expected \"%s\", got \"%s\"%s",
					t->expect,
					dfo_sanitize(buf, got, shown,
						     sizeof(shown)),
					r == 0 ? " then EOF" : "");
				break;
			}
		}
	}
	close(fd);
	return rc;
}

static const struct dfo_check_provider tcp_provider = {
	.size = sizeof(struct dfo_check_provider),
	.name = "tcp",
	.description = "TCP connect, with optional send and expected banner",
	.options = tcp_opts,
	.create = tcp_create,
	.destroy = tcp_destroy,
	.check = tcp_check,
};

static int tcp_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_check(reg, &tcp_provider);
}

DFO_MODULE("check_tcp", tcp_init);
