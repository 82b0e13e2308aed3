/*
 * ipsource "netlink": pick one of this host's addresses from the kernel's
 * own list (an RTM_GETADDR dump over rtnetlink, with libmnl).
 *
 *     ipsource "lan" { netlink { interface = "eth0" prefix = "10.0.0.0/8" } }
 *
 * Options, all optional:
 *   interface         only addresses of this interface (by name)
 *   family            "ipv4" or "ipv6": the only family this instance
 *                     answers for (default: whatever the pool asks)
 *   scope             "global" (default), "site", "link", "host" or "any"
 *   prefix            only addresses inside one of these prefixes
 *                     ("10.0.0.0/8", "2001:db8::/32"; a list)
 *   allow_secondary   also IPv4 secondary addresses and IPv6 temporary
 *                     (privacy) ones, which the kernel flags alike
 *   allow_deprecated  also addresses whose preferred lifetime is over
 * Tentative addresses (IPv6 duplicate address detection not finished) and
 * those that failed it are never chosen.
 *
 * The choice is deterministic.  Of the addresses that pass the filters,
 * the first in this order wins:
 *   1. wider scope first (global, site, link, host: only with scope any);
 *   2. preferred before deprecated;
 *   3. primary before secondary (temporary);
 *   4. lower interface index first (the kernel's interface order: the
 *      ones present at boot before those created later, e.g. eth0 before
 *      docker0);
 *   5. lower address first (numerically).
 * The kernel's listing order (which changes as addresses come and go)
 * plays no part.
 */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

/* A dump must not take longer than this (the kernel answers at once). */
#define NL_TIMEOUT_MS 2000
/* A dump that raced with an address change is retried this many times. */
#define NL_TRIES	3
#define NL_MAX_PREFIXES 32
/* Receive buffer: the kernel may fill up to 32 KiB per dump read. */
#ifdef MNL_SOCKET_DUMP_SIZE
#define NL_BUF MNL_SOCKET_DUMP_SIZE
#else
#define NL_BUF 32768
#endif

struct nl_prefix {
	struct dfo_addr addr; /* network, host bits cleared */
	unsigned len;	      /* bits */
};

struct nl_src {
	char ifname[IF_NAMESIZE]; /* "" for any */
	int family;		  /* AF_UNSPEC: as asked */
	int scope;		  /* RT_SCOPE_*; -1 for any */
	bool allow_secondary;
	bool allow_deprecated;
	unsigned nprefix;
	struct nl_prefix prefix[NL_MAX_PREFIXES];
};

static cfg_opt_t nl_opts[] = {
	CFG_STR("interface", NULL, CFGF_NONE),
	CFG_STR("family", NULL, CFGF_NONE),
	CFG_STR("scope", "global", CFGF_NONE),
	CFG_STR_LIST("prefix", NULL, CFGF_NONE),
	CFG_BOOL("allow_secondary", cfg_false, CFGF_NONE),
	CFG_BOOL("allow_deprecated", cfg_false, CFGF_NONE),
	CFG_END()};

static const struct {
	const char *name;
	int scope;
} nl_scopes[] = {
	{"global", RT_SCOPE_UNIVERSE},
	{"site", RT_SCOPE_SITE},
	{"link", RT_SCOPE_LINK},
	{"host", RT_SCOPE_HOST},
	{"any", -1},
};

static const char *nl_scope_name(int scope)
{
	for (size_t i = 0; i < sizeof(nl_scopes) / sizeof(nl_scopes[0]); i++)
		if (nl_scopes[i].scope == scope)
			return nl_scopes[i].name;
	return "other";
}

/* Address bytes and their count. */
static const unsigned char *addr_bytes(const struct dfo_addr *a, size_t *n)
{
	*n = a->family == AF_INET ? 4 : 16;
	return (const unsigned char *)&a->u;
}

/* Clear the bits of `a` after the first `len`. */
static void addr_mask(struct dfo_addr *a, unsigned len)
{
	size_t n;
	unsigned char *b = (unsigned char *)addr_bytes(a, &n);
	for (size_t i = 0; i < n; i++) {
		unsigned keep = len >= 8 ? 8 : len;
		b[i] &= (unsigned char)(0xff00u >> keep);
		len -= keep;
	}
}

/* "10.0.0.0/8" or a bare address (a host prefix).  0 or -EINVAL. */
static int prefix_parse(struct nl_prefix *p, const char *text)
{
	char buf[DFO_ADDR_STRLEN + 5];
	if (strlen(text) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, text);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (dfo_addr_parse(&p->addr, buf) < 0)
		return -EINVAL;
	unsigned max = p->addr.family == AF_INET ? 32 : 128;
	p->len = max;
	if (slash) {
		char *end;
		unsigned long l = strtoul(slash + 1, &end, 10);
		if (!slash[1] || *end || slash[1] == '-' || slash[1] == '+' ||
		    l > max)
			return -EINVAL;
		p->len = (unsigned)l;
	}
	addr_mask(&p->addr, p->len);
	return 0;
}

static bool prefix_contains(const struct nl_prefix *p, const struct dfo_addr *a)
{
	if (p->addr.family != a->family)
		return false;
	struct dfo_addr net = *a;
	addr_mask(&net, p->len);
	return dfo_addr_equal(&net, &p->addr);
}

static void nl_destroy(void *state)
{
	free(state);
}

static int nl_create(const char *instance, cfg_t *sec, void **state,
		     struct dfo_err *err)
{
	struct nl_src *s = calloc(1, sizeof(*s));
	if (!s)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	const char *ifname = cfg_getstr(sec, "interface");
	const char *family = cfg_getstr(sec, "family");
	const char *scope = cfg_getstr(sec, "scope");
	int rc;

	if (ifname) {
		if (!*ifname || strlen(ifname) >= sizeof(s->ifname) ||
		    strchr(ifname, '/')) {
			rc = dfo_err_set(
				err, -EINVAL,
				"interface '%s' is not an interface name",
				ifname);
			goto fail;
		}
		strcpy(s->ifname, ifname);
	}
	s->family = AF_UNSPEC;
	if (family) {
		s->family = dfo_family_parse(family);
		if (s->family != AF_INET && s->family != AF_INET6) {
			rc = dfo_err_set(err, -EINVAL,
					 "family '%s' is not ipv4 or ipv6",
					 family);
			goto fail;
		}
	}
	size_t i, nscopes = sizeof(nl_scopes) / sizeof(nl_scopes[0]);
	for (i = 0; i < nscopes; i++)
		if (strcmp(scope, nl_scopes[i].name) == 0)
			break;
	if (i == nscopes) {
		rc = dfo_err_set(
			err, -EINVAL,
			"scope '%s' is not global, site, link, host or "
			"any",
			scope);
		goto fail;
	}
	s->scope = nl_scopes[i].scope;
	unsigned n = cfg_size(sec, "prefix");
	if (n > NL_MAX_PREFIXES) {
		rc = dfo_err_set(err, -EINVAL, "prefix: at most %d prefixes",
				 NL_MAX_PREFIXES);
		goto fail;
	}
	for (unsigned k = 0; k < n; k++) {
		const char *text = cfg_getnstr(sec, "prefix", k);
		if (prefix_parse(&s->prefix[k], text) < 0) {
			rc = dfo_err_set(err, -EINVAL,
					 "prefix '%s' is not ADDRESS/LENGTH",
					 text);
			goto fail;
		}
		if (s->family && s->prefix[k].addr.family != s->family) {
			rc = dfo_err_set(err, -EINVAL,
					 "prefix '%s' is not of family %s",
					 text, dfo_family_name(s->family));
			goto fail;
		}
	}
	s->nprefix = n;
	s->allow_secondary = cfg_getbool(sec, "allow_secondary");
	s->allow_deprecated = cfg_getbool(sec, "allow_deprecated");
	*state = s;
	return 0;
fail:
	free(s);
	return rc;
}

/* One address of the dump, as far as the choice goes. */
struct nl_cand {
	struct dfo_addr addr;
	unsigned ifindex;
	int scope;
	uint32_t flags; /* IFA_F_* */
};

/* What a dump found: the best candidate so far, and counts of what the
 * filters turned away, for a useful error. */
struct nl_walk {
	const struct nl_src *src;
	int family;
	unsigned ifindex; /* 0: any */
	bool found;
	struct nl_cand best;
	unsigned seen, tentative, deprecated, secondary, scope, prefix;
};

/* Negative if a should be chosen before b (the order of the header). */
static int cand_cmp(const struct nl_cand *a, const struct nl_cand *b)
{
	if (a->scope != b->scope)
		return a->scope < b->scope ? -1 : 1;
	bool da = a->flags & IFA_F_DEPRECATED, db = b->flags & IFA_F_DEPRECATED;
	if (da != db)
		return da ? 1 : -1;
	bool sa = a->flags & IFA_F_SECONDARY, sb = b->flags & IFA_F_SECONDARY;
	if (sa != sb)
		return sa ? 1 : -1;
	if (a->ifindex != b->ifindex)
		return a->ifindex < b->ifindex ? -1 : 1;
	return dfo_addr_cmp(&a->addr, &b->addr);
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (mnl_attr_type_valid(attr, IFA_MAX) < 0)
		return MNL_CB_OK; /* newer than we know: ignore */
	switch (type) {
	case IFA_ADDRESS:
	case IFA_LOCAL:
		if (mnl_attr_validate(attr, MNL_TYPE_BINARY) < 0)
			return MNL_CB_ERROR;
		break;
	case IFA_FLAGS:
		if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		break;
	default:
		break;
	}
	tb[type] = attr;
	return MNL_CB_OK;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_walk *w = data;
	const struct nlattr *tb[IFA_MAX + 1] = {NULL};
	if (nlh->nlmsg_type != RTM_NEWADDR ||
	    nlh->nlmsg_len < mnl_nlmsg_size(sizeof(struct ifaddrmsg)))
		return MNL_CB_OK;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	if (ifa->ifa_family != w->family)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, tb) < 0)
		return MNL_CB_ERROR;

	/* IFA_LOCAL is the local end of a point-to-point link (IFA_ADDRESS
	 * being the peer); otherwise IFA_ADDRESS is ours. */
	const struct nlattr *at =
		tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	size_t alen = w->family == AF_INET ? 4 : 16;
	if (!at || mnl_attr_get_payload_len(at) != alen)
		return MNL_CB_OK;
	struct nl_cand c = {
		.ifindex = ifa->ifa_index,
		.scope = ifa->ifa_scope,
		.flags = tb[IFA_FLAGS] ? mnl_attr_get_u32(tb[IFA_FLAGS])
				       : ifa->ifa_flags,
	};
	c.addr.family = w->family;
	memcpy(&c.addr.u, mnl_attr_get_payload(at), alen);

	if (w->ifindex && c.ifindex != w->ifindex)
		return MNL_CB_OK;
	w->seen++;
	const struct nl_src *s = w->src;
	if (c.flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED)) {
		w->tentative++;
		return MNL_CB_OK;
	}
	if (s->scope >= 0 && c.scope != s->scope) {
		w->scope++;
		return MNL_CB_OK;
	}
	if (s->nprefix) {
		unsigned k;
		for (k = 0; k < s->nprefix; k++)
			if (prefix_contains(&s->prefix[k], &c.addr))
				break;
		if (k == s->nprefix) {
			w->prefix++;
			return MNL_CB_OK;
		}
	}
	if ((c.flags & IFA_F_DEPRECATED) && !s->allow_deprecated) {
		w->deprecated++;
		return MNL_CB_OK;
	}
	if ((c.flags & IFA_F_SECONDARY) && !s->allow_secondary) {
		w->secondary++;
		return MNL_CB_OK;
	}
	if (!w->found || cand_cmp(&c, &w->best) < 0) {
		w->best = c;
		w->found = true;
	}
	return MNL_CB_OK;
}

/* Dump the addresses of w->family into w.  0, -EAGAIN if the dump was
 * interrupted by a change, or another negative errno with err set. */
static int nl_dump(struct nl_walk *w, struct dfo_err *err)
{
	char buf[NL_BUF];
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int rc = 0;
	if (!nl)
		return dfo_err_set(err, -errno, "netlink socket: %s",
				   strerror(errno));
	struct timeval tv = {NL_TIMEOUT_MS / 1000,
			     (NL_TIMEOUT_MS % 1000) * 1000};
	if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
		       sizeof(tv)) < 0 ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = dfo_err_set(err, -errno, "netlink socket: %s",
				 strerror(errno));
		goto out;
	}
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (uint32_t)time(NULL);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (unsigned char)w->family;
	uint32_t seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = dfo_err_set(err, -errno, "netlink send: %s",
				 strerror(errno));
		goto out;
	}
	bool interrupted = false;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0) {
			int e = errno == EAGAIN ? ETIMEDOUT : errno;
			rc = dfo_err_set(err, -e, "netlink receive: %s",
					 strerror(e));
			goto out;
		}
		int left = (int)n;
		for (const struct nlmsghdr *h = (const void *)buf;
		     mnl_nlmsg_ok(h, left); h = mnl_nlmsg_next(h, &left))
			if (h->nlmsg_flags & NLM_F_DUMP_INTR)
				interrupted = true;
		errno = 0;
		int r = mnl_cb_run(buf, (size_t)n, seq, portid, addr_cb, w);
		if (r == MNL_CB_STOP)
			break;
		if (r < 0) {
			int e = errno ? errno : EIO;
			rc = dfo_err_set(err, -e, "netlink address dump: %s",
					 strerror(e));
			goto out;
		}
	}
	if (interrupted)
		rc = -EAGAIN;
out:
	mnl_socket_close(nl);
	return rc;
}

static int nl_own_addr(void *state, int family, struct dfo_addr *out,
		       struct dfo_err *err)
{
	struct nl_src *s = state;
	struct nl_walk w;
	if (family != AF_INET && family != AF_INET6)
		return dfo_err_set(err, -EAFNOSUPPORT, "family %d unknown",
				   family);
	if (s->family && s->family != family)
		return dfo_err_set(err, -EAFNOSUPPORT,
				   "asked for an %s address, but family is %s",
				   dfo_family_name(family),
				   dfo_family_name(s->family));
	unsigned ifindex = 0;
	if (s->ifname[0] && !(ifindex = if_nametoindex(s->ifname)))
		return dfo_err_set(err, -ENODEV, "no interface '%s'",
				   s->ifname);
	for (int tries = 0;; tries++) {
		memset(&w, 0, sizeof(w));
		w.src = s;
		w.family = family;
		w.ifindex = ifindex;
		int rc = nl_dump(&w, err);
		if (rc == 0)
			break;
		if (rc != -EAGAIN)
			return rc;
		if (tries + 1 == NL_TRIES)
			return dfo_err_set(err, -EAGAIN,
					   "addresses kept changing during %d "
					   "netlink dumps",
					   NL_TRIES);
	}
	if (!w.found)
		return dfo_err_set(err, -EADDRNOTAVAIL,
				   "no usable %s address%s%s (scope %s) among "
				   "%u: %u tentative, %u out of scope, %u out "
				   "of prefix, %u deprecated, %u secondary",
				   dfo_family_name(family),
				   s->ifname[0] ? " on " : "", s->ifname,
				   s->scope >= 0 ? nl_scope_name(s->scope)
						 : "any",
				   w.seen, w.tentative, w.scope, w.prefix,
				   w.deprecated, w.secondary);
	*out = w.best.addr;
	if (dfo_log_enabled(DFO_LOG_DEBUG)) {
		char a[DFO_ADDR_STRLEN], name[IF_NAMESIZE];
		dfo_log(DFO_LOG_DEBUG, "ipsource netlink: %s on %s, scope %s",
			dfo_addr_format(out, a, sizeof(a)),
			if_indextoname(w.best.ifindex, name) ? name : "?",
			nl_scope_name(w.best.scope));
	}
	return 0;
}

static const struct dfo_ipsource_provider nl_provider = {
	.size = sizeof(struct dfo_ipsource_provider),
	.name = "netlink",
	.description = "one of this host's addresses, from the kernel",
	.options = nl_opts,
	.create = nl_create,
	.destroy = nl_destroy,
	.own_addr = nl_own_addr,
};

static int nl_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_ipsource(reg, &nl_provider);
}

DFO_MODULE("ipsource_netlink", nl_init);
