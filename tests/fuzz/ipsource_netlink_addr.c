/*
 * Fuzz target for the address message parser of ipsource "netlink"
 * (addr_cb() and attr_cb() of plugins/ipsource/netlink.c, reached by
 * including its source): one message of an RTM_GETADDR dump.  The first
 * input byte picks the settings the message is judged by:
 *   bit 0     family asked for (0: IPv4, 1: IPv6)
 *   bits 1-2  scope: global, link, host, any
 *   bit 3     allow_secondary      bit 4  allow_deprecated
 *   bit 5     prefixes 10.0.0.0/8 and 2001:db8::/32
 *   bit 6     only interface index 2
 * The rest is the message's payload (struct ifaddrmsg and attributes),
 * to which an RTM_NEWADDR nlmsghdr is put in front, as the kernel does.
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipsource/netlink.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int scopes[] = {RT_SCOPE_UNIVERSE, RT_SCOPE_LINK,
				     RT_SCOPE_HOST, -1};
	if (size == 0 || size - 1 > 65536)
		return 0;
	uint8_t how = data[0];
	struct nl_src s = {
		.family = how & 1 ? AF_INET6 : AF_INET,
		.scope = scopes[how >> 1 & 3],
		.allow_secondary = how & 8,
		.allow_deprecated = how & 16,
	};
	if (how & 32) {
		if (prefix_parse(&s.prefix[0], "10.0.0.0/8") < 0 ||
		    prefix_parse(&s.prefix[1], "2001:db8::/32") < 0)
			abort();
		s.nprefix = 2;
	}
	struct nl_walk w = {
		.src = &s,
		.family = s.family,
		.ifindex = how & 64 ? 2 : 0,
	};

	/* The message, in an aligned buffer: as in nl_dump()'s receive
	 * buffer, a message's padding (libmnl reads up to the aligned end)
	 * lies inside it. */
	size_t len = MNL_NLMSG_HDRLEN + (size - 1);
	struct nlmsghdr *nlh = calloc(1, MNL_ALIGN(len));
	if (!nlh)
		return 0;
	nlh->nlmsg_len = (uint32_t)len;
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_MULTI;
	memcpy((char *)nlh + MNL_NLMSG_HDRLEN, data + 1, size - 1);

	int rc = addr_cb(nlh, &w);
	if (rc != MNL_CB_OK && rc != MNL_CB_ERROR)
		abort();
	unsigned turned =
		w.tentative + w.scope + w.prefix + w.deprecated + w.secondary;
	if (w.seen > 1 || turned + w.found != w.seen)
		abort();
	if (w.found) {
		const struct nl_cand *c = &w.best;
		if (c->addr.family != s.family ||
		    (s.scope >= 0 && c->scope != s.scope) ||
		    (w.ifindex && c->ifindex != w.ifindex) ||
		    (c->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) ||
		    (!s.allow_secondary && (c->flags & IFA_F_SECONDARY)) ||
		    (!s.allow_deprecated && (c->flags & IFA_F_DEPRECATED)))
			abort();
		if (s.nprefix && !prefix_contains(&s.prefix[0], &c->addr) &&
		    !prefix_contains(&s.prefix[1], &c->addr))
			abort();
	}
	free(nlh);
	return 0;
}

#define FUZZ_CORPUS "ipsource_netlink"
#include "replay.h"
