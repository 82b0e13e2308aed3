/*
 * check "icmp": send `count` echo requests (IPv4 or IPv6) and call the
 * target healthy as soon as `min_replies` of them are answered.
 *
 * It uses an unprivileged ping socket (SOCK_DGRAM, IPPROTO_ICMP) where
 * the kernel allows one, that is when the process's group is in the
 * sysctl net.ipv4.ping_group_range (which covers IPv6 too), and a raw
 * socket otherwise, which needs CAP_NET_RAW.  Requests leave 100 ms apart
 * (closer under a short deadline); replies are matched by source
 * address, sequence number, a random cookie in the payload and, on a
 * raw socket, the identifier.  The check gives up by itself at 90 % of
 * its deadline, to report how many replies came.
 */
#include <errno.h>
#include <netinet/icmp6.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

#define COUNT_MAX  100
#define COOKIE_LEN 8
#define ECHO_LEN   (8 + COOKIE_LEN) /* header and payload */

struct icmpcheck {
	unsigned count;
	unsigned min_replies;
};

static cfg_opt_t icmp_opts[] = {CFG_INT("count", 3, CFGF_NONE),
				CFG_INT("min_replies", 1, CFGF_NONE),
				CFG_END()};

static void icmp_destroy(void *state)
{
	free(state);
}

static int icmp_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	long count = cfg_getint(sec, "count");
	long min = cfg_getint(sec, "min_replies");
	if (count < 1 || count > COUNT_MAX)
		return dfo_err_set(err, -EINVAL, "count %ld is not 1..%d",
				   count, COUNT_MAX);
	if (min < 1 || min > count)
		return dfo_err_set(err, -EINVAL,
				   "min_replies %ld is not "
				   "1..count (%ld)",
				   min, count);
	struct icmpcheck *c = calloc(1, sizeof(*c));
	if (!c)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	c->count = (unsigned)count;
	c->min_replies = (unsigned)min;
	*state = c;
	return 0;
}

/* The Internet checksum (RFC 1071) of data. */
static uint16_t inet_csum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

/* One ping session: its socket and what it must match. */
struct ping {
	int fd;
	int family;
	bool raw;
	uint16_t id;
	uint8_t cookie[COOKIE_LEN];
};

/* "1 0" from /proc, for the error message; "?" if unreadable. */
static void read_group_range(char *buf, size_t len)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ping_group_range", "re");
	snprintf(buf, len, "?");
	if (!f)
		return;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\t')
			*p = ' ';
	fclose(f);
}

/* Open a ping socket, else a raw one. */
static int ping_open(struct ping *p, int family, struct dfo_err *err)
{
	int proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	p->family = family;
	p->raw = false;
	p->fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, proto);
	if (p->fd < 0) {
		int dgram_errno = errno;
		p->raw = true;
		p->fd = socket(family, SOCK_RAW | SOCK_CLOEXEC, proto);
		if (p->fd < 0) {
			int raw_errno = errno;
			char range[64];
			read_group_range(range, sizeof(range));
			return dfo_err_set(
				err, -raw_errno,
				"cannot open an ICMP socket: ping "
				"socket: %s (group %u, sysctl "
				"net.ipv4.ping_group_range = \"%s\"); "
				"raw socket: %s (needs CAP_NET_RAW)",
				strerror(dgram_errno), (unsigned)getgid(),
				range, strerror(raw_errno));
		}
	}
	if (p->raw && family == AF_INET6) {
		struct icmp6_filter f;
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(p->fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	p->id = (uint16_t)getpid();
	if (getrandom(p->cookie, sizeof(p->cookie), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(p->cookie)) {
		uint64_t v =
			(uint64_t)dfo_now() * 1000003u ^ (uint64_t)getpid();
		memcpy(p->cookie, &v, sizeof(p->cookie));
	}
	dfo_log(DFO_LOG_DEBUG, "icmp: using a %s socket",
		p->raw ? "raw" : "ping");
	return 0;
}

/* Send echo request number seq. */
static int ping_send(struct ping *p, const struct sockaddr_storage *to,
		     socklen_t tolen, unsigned seq)
{
	uint8_t pkt[ECHO_LEN] = {0};
	pkt[0] = p->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (uint8_t)(p->id >> 8);
	pkt[5] = (uint8_t)p->id;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	memcpy(pkt + 8, p->cookie, COOKIE_LEN);
	/* The kernel sums ICMPv6 and ping sockets itself. */
	if (p->family == AF_INET && p->raw) {
		uint16_t sum = inet_csum(pkt, sizeof(pkt));
		memcpy(pkt + 2, &sum, sizeof(sum));
	}
	ssize_t w = sendto(p->fd, pkt, sizeof(pkt), 0,
			   (const struct sockaddr *)to, tolen);
	return w < 0 ? -errno : 0;
}

/* If data (as read from the socket) is an echo reply of ours, return its
 * sequence number, else -1.  A raw IPv4 socket gives the IP header too. */
static int ping_parse(const struct ping *p, const uint8_t *data, size_t len)
{
	if (p->family == AF_INET && p->raw) {
		if (len < sizeof(struct iphdr) || (data[0] >> 4) != 4)
			return -1;
		size_t ihl = (size_t)(data[0] & 0x0f) * 4;
		if (ihl < sizeof(struct iphdr) || ihl > len)
			return -1;
		data += ihl;
		len -= ihl;
	}
	uint8_t reply =
		p->family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	if (len < ECHO_LEN || data[0] != reply || data[1] != 0)
		return -1;
	/* A ping socket's identifier is the kernel's, matched by it. */
	if (p->raw && ((uint16_t)(data[4] << 8 | data[5])) != p->id)
		return -1;
	if (memcmp(data + 8, p->cookie, COOKIE_LEN) != 0)
		return -1;
	return data[6] << 8 | data[7];
}

/* True if the sender `from` is the target. */
static bool from_target(const struct sockaddr_storage *from,
			const struct dfo_addr *target)
{
	if (from->ss_family != target->family)
		return false;
	if (target->family == AF_INET)
		return ((const struct sockaddr_in *)from)->sin_addr.s_addr ==
		       target->u.v4.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)from)->sin6_addr,
		       &target->u.v6, sizeof(target->u.v6));
}

static int icmp_check(void *state, const struct dfo_check_target *target,
		      struct dfo_err *err)
{
	struct icmpcheck *c = state;
	struct ping p;
	struct sockaddr_storage to;
	char addr[DFO_ADDR_STRLEN];
	bool seen[COUNT_MAX] = {false};
	unsigned sent = 0, replies = 0;
	int rc;

	dfo_addr_format(&target->addr, addr, sizeof(addr));
	if ((rc = ping_open(&p, target->addr.family, err)) < 0)
		return rc;
	socklen_t tolen = dfo_addr_to_sockaddr(&target->addr, 0, &to);

	double limit = (target->timeout > 0 ? target->timeout : 5) * 0.9;
	double start = dfo_now(), end = start + limit;
	double gap = limit / (c->count + 1);
	if (gap > 0.1)
		gap = 0.1;
	double next = start;
	for (;;) {
		double now = dfo_now();
		if (sent < c->count && now >= next) {
			if ((rc = ping_send(&p, &to, tolen, sent)) < 0) {
				dfo_err_set(err, rc, "echo request to %s: %s",
					    addr, strerror(-rc));
				break;
			}
			sent++;
			next = start + sent * gap;
			continue;
		}
		double until = sent < c->count && next < end ? next : end;
		if (now >= end) {
			rc = dfo_err_set(err, -ETIMEDOUT,
					 "%u of %u echo "
					 "replies from %s in %.3g s, need %u",
					 replies, c->count, addr, limit,
					 c->min_replies);
			break;
		}
		struct pollfd pfd = {.fd = p.fd, .events = POLLIN};
		int n = poll(&pfd, 1, (int)((until - now) * 1000) + 1);
		if (n < 0 && errno != EINTR) {
			rc = dfo_err_set(err, -errno, "poll: %s",
					 strerror(errno));
			break;
		}
		if (n <= 0)
			continue;
		uint8_t buf[1500];
		struct sockaddr_storage from;
		socklen_t fromlen = sizeof(from);
		ssize_t r = recvfrom(p.fd, buf, sizeof(buf), MSG_DONTWAIT,
				     (struct sockaddr *)&from, &fromlen);
		if (r < 0)
			continue;
		int seq = ping_parse(&p, buf, (size_t)r);
		if (seq < 0 || (unsigned)seq >= sent || seen[seq] ||
		    !from_target(&from, &target->addr))
			continue;
		seen[seq] = true;
		if (++replies >= c->min_replies) {
			rc = 0;
			break;
		}
	}
	close(p.fd);
	return rc;
}

static const struct dfo_check_provider icmp_provider = {
	.size = sizeof(struct dfo_check_provider),
	.name = "icmp",
	.description = "ICMP echo (ping socket or raw socket), IPv4 and IPv6",
	.options = icmp_opts,
	.create = icmp_create,
	.destroy = icmp_destroy,
	.check = icmp_check,
};

static int icmp_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_check(reg, &icmp_provider);
}

DFO_MODULE("check_icmp", icmp_init);
