/*
 * responder "awsdns": a DNS server for a VPC.  It asks its upstream
 * first; when upstream says NXDOMAIN or NODATA, or for names under
 * `domain`, it answers from an index of the account's EC2 instances
 * (and Route 53 zones), loaded before it serves and refreshed in the
 * background.  See awsdns.h for the files of the module.
 *
 *   responder "vpc" { awsdns {
 *       listen = {"127.0.0.1:53"}  upstream = {"10.0.0.2"}
 *       domain = "ec2.example.com" forward = "tag:Name"
 *       reverse = "private_ip_address" extra = {"tag:Class", "id"} } }
 *
 * Threads: `threads` workers (server.c) and one refresh thread, which
 * owns its AWS client (a clone of the core's) and swaps a new index in
 * whole; a failed refresh keeps the last index.
 */
#include <arpa/inet.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <dnsfailover/util.h>

#include "awsdns.h"

struct awsdns {
	struct awsdns_conf conf;
	struct index_conf iconf;
	struct awsdns_shared sh;
	struct awsdns_metrics metrics;
	struct dfo_metric *m_size, *m_names, *m_refresh_ok, *m_refresh_err,
		*m_load_seconds;
	struct dfo_aws *aws; /* the refresh thread's, a clone of the core's */
	struct sources srcs; /* source sections (source.c) */
	pthread_t refresher;
	bool refresher_started;
	bool started;
	char **zone_ids; /* of route53_zones, looked up on first use */
	atomic_bool quitting;
	bool failing;	/* the last refresh failed (logged once) */
	bool replacing; /* the previous process serves until we are ready */
	int load_fd;	/* eventfd: the first load ended (first_rc) */
	int first_rc;
	struct dfo_err first_err;
	atomic_bool bound; /* sockets bound: the refresh thread may drop
			    * what it kept to bind them */
	size_t skipped;	   /* instances without a name at the last load */
	double loaded_at;  /* wall clock of the index served */
	struct dfo_responder_ctx *ctx; /* set before the refresher starts */
};

static cfg_opt_t awsdns_opts[] = {
	/* ADDRESS:PORT ([IPv6]:PORT), UDP and TCP on each; port 53 if
	 * none. */
	CFG_STR_LIST("listen", "{\"127.0.0.1:53\"}", CFGF_NONE),
	/* Resolvers asked first; {}: answer from AWS only. */
	CFG_STR_LIST("upstream", "{}", CFGF_NONE),
	/* Seconds to wait for upstream before SERVFAIL (or AWS's answer). */
	CFG_FLOAT("upstream_timeout", 2, CFGF_NONE),
	/* Names under it are answered from AWS, never asked upstream. */
	CFG_STR("domain", NULL, CFGF_NONE),
	/* Attribute matched against the query name. */
	CFG_STR("forward", "tag:Name", CFGF_NONE),
	/* Attribute whose address PTR queries are answered for. */
	CFG_STR("reverse", "private_ip_address", CFGF_NONE),
	/* Attributes given as TXT "attribute=value" (RFC 1464). */
	CFG_STR_LIST("extra", "{}", CFGF_NONE),
	/* DescribeInstances filters, "name=value[,value...]". */
	CFG_STR_LIST("filters", "{\"instance-state-name=running\"}", CFGF_NONE),
	/* TTL of the answers from AWS. */
	CFG_INT("ttl", 60, CFGF_NONE),
	/* The extras' text: "rfc1464" (attribute=value, RFC 1464 quoting)
	 * or "spaced" (attribute = value, as the original awsdns wrote). */
	CFG_STR("txt_format", "rfc1464", CFGF_NONE),
	/* The SOA of answers from AWS: "negative" (only in NXDOMAIN and
	 * NODATA, RFC 2308) or "always" (the original awsdns's). */
	CFG_STR("soa", "negative", CFGF_NONE),
	/* Seconds between background refreshes of the index. */
	CFG_FLOAT("refresh", 60, CFGF_NONE),
	/* Route 53 hosted zones whose records are served too. */
	CFG_STR_LIST("route53_zones", "{}", CFGF_NONE),
	/* Clients that may ask; the others get REFUSED. */
	CFG_STR_LIST("allow",
		     "{\"127.0.0.0/8\", \"10.0.0.0/8\", \"172.16.0.0/12\", "
		     "\"192.168.0.0/16\", \"::1/128\", \"fc00::/7\"}",
		     CFGF_NONE),
	/* User to become once the sockets are bound. */
	CFG_STR("user", NULL, CFGF_NONE),
	/* Worker threads; 0: one per core. */
	CFG_INT("threads", 0, CFGF_NONE),
	/* Zones served to secondaries (xfr.c): `domain` and these reverse
	 * zones (under in-addr.arpa or ip6.arpa), answered with authority. */
	CFG_STR_LIST("reverse_zones", "{}", CFGF_NONE),
	/* The zones' NS records (names). */
	CFG_STR_LIST("ns", "{}", CFGF_NONE),
	/* The zones' SOA: MNAME (default: the first ns, else the zone),
	 * RNAME (default: hostmaster.<domain>), and its timers; minimum
	 * -1: the ttl. */
	CFG_STR("soa_mname", NULL, CFGF_NONE),
	CFG_STR("soa_rname", NULL, CFGF_NONE),
	CFG_INT("soa_refresh", 3600, CFGF_NONE),
	CFG_INT("soa_retry", 600, CFGF_NONE),
	CFG_INT("soa_expire", 1209600, CFGF_NONE),
	CFG_INT("soa_minimum", -1, CFGF_NONE),
	/* Who may AXFR/IXFR the zones ({}: nobody). */
	CFG_STR_LIST("transfer_allow", "{}", CFGF_NONE),
	/* A tsig-keygen file: transfers (and NOTIFY) signed with it. */
	CFG_STR("transfer_key", NULL, CFGF_NONE),
	/* Secondaries told of every change (NOTIFY), ADDRESS[:PORT]. */
	CFG_STR_LIST("notify", "{}", CFGF_NONE),
	/* Seconds a transfer may take before it is cut. */
	CFG_FLOAT("transfer_timeout", 60, CFGF_NONE),
	/* Transfers at once; more are refused. */
	CFG_INT("transfer_max", 8, CFGF_NONE),
	/* Changes kept per zone for IXFR. */
	CFG_INT("ixfr_history", 64, CFGF_NONE),
	/* Accounts and regions read (source.c); none: the aws {} section. */
	CFG_SEC("source", awsdns_source_opts,
		CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
	CFG_END()};

/* ---- configuration ---- */

static int check_attr(const char *opt, const char *name, struct dfo_err *err)
{
	if (dfo_ec2_attr_valid(name))
		return 0;
	char list[512] = "";
	size_t n = 0;
	for (const char *const *a = dfo_ec2_attr_names(); *a; a++)
		n += (size_t)snprintf(list + n,
				      n < sizeof(list) ? sizeof(list) - n : 0,
				      "%s%s", n ? ", " : "", *a);
	return dfo_err_set(err, -EINVAL, "%s: unknown attribute '%s' (%s)", opt,
			   name, list);
}

/* "ADDR", "ADDR:PORT", "[V6]:PORT" to a socket address. */
static int parse_hostport(const char *text, unsigned defport,
			  struct sockaddr_storage *ss, socklen_t *len)
{
	char host[DFO_ADDR_STRLEN];
	unsigned port;
	struct dfo_addr a;
	if (dfo_hostport_parse(text, defport, host, sizeof(host), &port, NULL) <
		    0 ||
	    dfo_addr_parse(&a, host) < 0)
		return -EINVAL;
	*len = dfo_addr_to_sockaddr(&a, port, ss);
	return 0;
}

static void to16(const struct sockaddr *sa, uint8_t out[16])
{
	if (sa->sa_family == AF_INET) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr,
		       4);
	} else {
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
	}
}

static int parse_cidr(const char *text, struct allow_net *n)
{
	char host[INET6_ADDRSTRLEN];
	const char *slash = strchr(text, '/');
	size_t hl = slash ? (size_t)(slash - text) : strlen(text);
	if (hl >= sizeof(host))
		return -EINVAL;
	memcpy(host, text, hl);
	host[hl] = '\0';
	struct dfo_addr a;
	if (dfo_addr_parse(&a, host) < 0)
		return -EINVAL;
	unsigned max = a.family == AF_INET ? 32 : 128, prefix = max;
	if (slash) {
		char *e;
		prefix = (unsigned)strtoul(slash + 1, &e, 10);
		if (*e || slash[1] == '\0' || prefix > max)
			return -EINVAL;
	}
	struct sockaddr_storage ss;
	dfo_addr_to_sockaddr(&a, 0, &ss);
	to16((struct sockaddr *)&ss, n->addr);
	n->prefix = a.family == AF_INET ? prefix + 96 : prefix;
	return 0;
}

bool conf_allowed(const struct awsdns_conf *conf, const struct sockaddr *sa)
{
	return nets_match(conf->allow, conf->nallow, sa);
}

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static char **strv_get(cfg_t *sec, const char *opt, size_t *n)
{
	*n = cfg_size(sec, opt);
	char **v = calloc(*n + 1, sizeof(char *));
	if (!v)
		return NULL;
	for (size_t i = 0; i < *n; i++)
		if (!(v[i] = strdup(cfg_getnstr(sec, opt, (unsigned)i)))) {
			strv_free(v, i);
			return NULL;
		}
	return v;
}

static void conf_free(struct awsdns_conf *c)
{
	free(c->instance);
	free(c->listen);
	free(c->listen_len);
	free(c->upstream);
	free(c->upstream_len);
	free(c->domain);
	free(c->forward);
	free(c->reverse);
	strv_free(c->extra, c->nextra);
	for (size_t i = 0; c->filters && i < c->nfilters; i++) {
		free((char *)c->filters[i].name);
		strv_free((char **)c->filters[i].values, c->filters[i].nvalues);
	}
	free(c->filters);
	strv_free(c->zones, c->nzones);
	free(c->allow);
	free(c->user);
	strv_free(c->rzones, c->nrzones);
	strv_free(c->ns, c->nns);
	free(c->soa_mname);
	free(c->soa_rname);
	free(c->xallow);
	free(c->xkey_path);
	dfo_tsig_key_free(c->xkey);
	free(c->notify);
	free(c->notify_len);
}

/* Whether the wire name n is under (or is) the wire name z. */
static bool wire_under(const uint8_t *n, size_t nl, const uint8_t *z, size_t zl)
{
	if (nl < zl || memcmp(n + nl - zl, z, zl) != 0)
		return false;
	for (size_t o = 0; o < nl; o += (size_t)n[o] + 1)
		if (o == nl - zl)
			return true;
	return false;
}

/* reverse_zones and ns of zone transfers: names, and zones that are
 * reverse zones and do not overlap. */
static int conf_parse_xfr_zones(cfg_t *sec, struct awsdns_conf *c,
				struct dfo_err *err)
{
	uint8_t w[WIRE_MAXNAME + 1], w2[WIRE_MAXNAME + 1];
	int n;
	if (!(c->rzones = strv_get(sec, "reverse_zones", &c->nrzones)) ||
	    !(c->ns = strv_get(sec, "ns", &c->nns)))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	if (c->nrzones > 64)
		return dfo_err_set(err, -EINVAL, "reverse_zones: at most 64");
	for (size_t i = 0; i < c->nrzones; i++) {
		n = wire_name_from_text(c->rzones[i], w, sizeof(w));
		if (n <= 1 || !(wire_under(w, (size_t)n,
					   (const uint8_t *)"\x07in-addr\x04"
							    "arpa",
					   14) ||
				wire_under(w, (size_t)n,
					   (const uint8_t *)"\x03ip6\x04"
							    "arpa",
					   10)))
			return dfo_err_set(err, -EINVAL,
					   "reverse_zones: '%s' is not a zone "
					   "under in-addr.arpa or ip6.arpa",
					   c->rzones[i]);
		for (size_t k = 0; k < i; k++) {
			int m = wire_name_from_text(c->rzones[k], w2,
						    sizeof(w2));
			if (m > 0 && (wire_under(w, (size_t)n, w2, (size_t)m) ||
				      wire_under(w2, (size_t)m, w, (size_t)n)))
				return dfo_err_set(err, -EINVAL,
						   "reverse_zones: '%s' and "
						   "'%s' overlap",
						   c->rzones[k], c->rzones[i]);
		}
	}
	for (size_t i = 0; i < c->nns; i++)
		if (wire_name_from_text(c->ns[i], w, sizeof(w)) <= 1)
			return dfo_err_set(err, -EINVAL,
					   "ns: '%s' is not a host name",
					   c->ns[i]);
	return 0;
}

/* The SOA fields of transferred zones: soa_mname, soa_rname, the timers. */
static int conf_parse_xfr_soa(cfg_t *sec, struct awsdns_conf *c,
			      struct dfo_err *err)
{
	uint8_t w[WIRE_MAXNAME + 1];
	const char *m = cfg_getstr(sec, "soa_mname");
	const char *r = cfg_getstr(sec, "soa_rname");
	if (m && (wire_name_from_text(m, w, sizeof(w)) <= 1 ||
		  !(c->soa_mname = strdup(m))))
		return dfo_err_set(err, -EINVAL,
				   "soa_mname: '%s' is not a host name", m);
	if (r && (wire_name_from_text(r, w, sizeof(w)) <= 1 || strchr(r, '@') ||
		  !(c->soa_rname = strdup(r))))
		return dfo_err_set(err, -EINVAL,
				   "soa_rname: '%s' is not a mailbox as a "
				   "domain name (hostmaster.example.com)",
				   r);
	static const char *const timers[] = {"soa_refresh", "soa_retry",
					     "soa_expire"};
	uint32_t *tv[] = {&c->soa_refresh, &c->soa_retry, &c->soa_expire};
	for (int i = 0; i < 3; i++) {
		long v = cfg_getint(sec, timers[i]);
		if (v < 1 || v > 2147483647L)
			return dfo_err_set(err, -EINVAL,
					   "%s must be 1..2147483647 seconds",
					   timers[i]);
		*tv[i] = (uint32_t)v;
	}
	long mn = cfg_getint(sec, "soa_minimum");
	if (mn < -1 || mn > 604800)
		return dfo_err_set(err, -EINVAL,
				   "soa_minimum must be -1 (the ttl) or "
				   "0..604800 seconds");
	c->soa_minimum = mn;
	return 0;
}

/* Who may transfer (transfer_allow) and who is notified (notify). */
static int conf_parse_xfr_peers(cfg_t *sec, struct awsdns_conf *c,
				struct dfo_err *err)
{
	c->nxallow = cfg_size(sec, "transfer_allow");
	if (!(c->xallow = calloc(c->nxallow + 1, sizeof(*c->xallow))))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nxallow; i++) {
		const char *t = cfg_getnstr(sec, "transfer_allow", (unsigned)i);
		if (parse_cidr(t, &c->xallow[i]) < 0)
			return dfo_err_set(err, -EINVAL,
					   "transfer_allow: '%s' is not "
					   "ADDRESS[/PREFIX]",
					   t);
	}
	c->nnotify = cfg_size(sec, "notify");
	c->notify = calloc(c->nnotify + 1, sizeof(*c->notify));
	c->notify_len = calloc(c->nnotify + 1, sizeof(*c->notify_len));
	if (!c->notify || !c->notify_len)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	if (c->nnotify > 64)
		return dfo_err_set(err, -EINVAL, "notify: at most 64");
	for (size_t i = 0; i < c->nnotify; i++) {
		const char *t = cfg_getnstr(sec, "notify", (unsigned)i);
		if (parse_hostport(t, 53, &c->notify[i], &c->notify_len[i]) < 0)
			return dfo_err_set(err, -EINVAL,
					   "notify: '%s' is not ADDRESS[:PORT] "
					   "or [IPV6]:PORT",
					   t);
	}
	return 0;
}

/* The options of zone transfers (xfr.c). */
static int conf_parse_xfr(cfg_t *sec, struct awsdns_conf *c,
			  struct dfo_err *err)
{
	int rc;
	if ((rc = conf_parse_xfr_zones(sec, c, err)) < 0 ||
	    (rc = conf_parse_xfr_soa(sec, c, err)) < 0 ||
	    (rc = conf_parse_xfr_peers(sec, c, err)) < 0)
		return rc;
	const char *k = cfg_getstr(sec, "transfer_key");
	if (k && k[0]) {
		if (!(c->xkey_path = strdup(k)))
			return dfo_err_set(err, -ENOMEM, "out of memory");
		struct dfo_err e;
		dfo_err_clear(&e);
		rc = dfo_tsig_key_file(k, NULL, NULL, &c->xkey, &e);
		if (rc < 0)
			return dfo_err_set(err, rc, "transfer_key: %s",
					   e.msg[0] ? e.msg : strerror(-rc));
	}
	c->xfr_timeout = cfg_getfloat(sec, "transfer_timeout");
	if (!(c->xfr_timeout >= 1 && c->xfr_timeout <= 3600))
		return dfo_err_set(err, -EINVAL,
				   "transfer_timeout must be 1..3600 seconds");
	long xm = cfg_getint(sec, "transfer_max");
	if (xm < 1 || xm > 256)
		return dfo_err_set(err, -EINVAL, "transfer_max must be 1..256");
	c->xfr_max = (unsigned)xm;
	long ih = cfg_getint(sec, "ixfr_history");
	if (ih < 0 || ih > 10000)
		return dfo_err_set(err, -EINVAL,
				   "ixfr_history must be 0..10000");
	c->ixfr_history = (unsigned)ih;
	bool serving = c->nxallow || c->nnotify;
	if (serving && !c->domain && !c->nrzones)
		return dfo_err_set(err, -EINVAL,
				   "transfer_allow and notify need zones: "
				   "domain or reverse_zones");
	if (serving && !c->nns)
		return dfo_err_set(err, -EINVAL,
				   "transfer_allow and notify need ns: the "
				   "zones' NS records, without which no "
				   "secondary loads them");
	if (c->xkey && !serving)
		return dfo_err_set(err, -EINVAL,
				   "transfer_key without transfer_allow or "
				   "notify: nothing to sign");
	return 0;
}

/* "name=v1,v2" to a filter. */
static int parse_filter(const char *text, struct dfo_ec2_filter *f)
{
	const char *eq = strchr(text, '=');
	if (!eq || eq == text || eq[1] == '\0')
		return -EINVAL;
	char *name = strndup(text, (size_t)(eq - text));
	size_t n = 1;
	for (const char *p = eq + 1; *p; p++)
		n += *p == ',';
	char **vals = calloc(n + 1, sizeof(char *));
	if (!name || !vals) {
		free(name);
		free(vals);
		return -ENOMEM;
	}
	const char *p = eq + 1;
	for (size_t i = 0; i < n; i++) {
		size_t l = strcspn(p, ",");
		if (l == 0 || !(vals[i] = strndup(p, l))) {
			free(name);
			strv_free(vals, i);
			return -EINVAL;
		}
		p += l + (p[l] == ',');
	}
	f->name = name;
	f->values = (const char *const *)vals;
	f->nvalues = n;
	return 0;
}

/* Where awsdns listens (listen) and forwards (upstream). */
static int conf_parse_servers(cfg_t *sec, struct awsdns_conf *c,
			      struct dfo_err *err)
{
	c->nlisten = cfg_size(sec, "listen");
	if (c->nlisten == 0)
		return dfo_err_set(err, -EINVAL,
				   "listen: at least one address");
	c->listen = calloc(c->nlisten, sizeof(*c->listen));
	c->listen_len = calloc(c->nlisten, sizeof(*c->listen_len));
	if (!c->listen || !c->listen_len)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nlisten; i++) {
		const char *t = cfg_getnstr(sec, "listen", (unsigned)i);
		if (parse_hostport(t, 53, &c->listen[i], &c->listen_len[i]) < 0)
			return dfo_err_set(err, -EINVAL,
					   "listen: '%s' is not ADDRESS[:PORT] "
					   "or [IPV6]:PORT",
					   t);
	}
	c->nupstream = cfg_size(sec, "upstream");
	if (c->nupstream > 8)
		return dfo_err_set(err, -EINVAL, "upstream: at most 8 servers");
	c->upstream = calloc(c->nupstream + 1, sizeof(*c->upstream));
	c->upstream_len = calloc(c->nupstream + 1, sizeof(*c->upstream_len));
	if (!c->upstream || !c->upstream_len)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nupstream; i++) {
		const char *t = cfg_getnstr(sec, "upstream", (unsigned)i);
		if (parse_hostport(t, 53, &c->upstream[i],
				   &c->upstream_len[i]) < 0)
			return dfo_err_set(
				err, -EINVAL,
				"upstream: '%s' is not ADDRESS[:PORT] "
				"or [IPV6]:PORT",
				t);
	}
	c->upstream_timeout = cfg_getfloat(sec, "upstream_timeout");
	if (!(c->upstream_timeout > 0 && c->upstream_timeout <= 30))
		return dfo_err_set(
			err, -EINVAL,
			"upstream_timeout must be in (0, 30] seconds");
	return 0;
}

/* What the records hold: domain, the attributes named, the filters of
 * instances, ttl, txt_format and soa. */
static int conf_parse_records(cfg_t *sec, struct awsdns_conf *c,
			      struct dfo_err *err)
{
	int rc;
	const char *dom = cfg_getstr(sec, "domain");
	if (dom && dom[0]) {
		uint8_t wire[WIRE_MAXNAME + 1];
		if (wire_name_from_text(dom, wire, sizeof(wire)) <= 1)
			return dfo_err_set(err, -EINVAL,
					   "domain: '%s' is not a domain name",
					   dom);
		if (!(c->domain = strdup(dom)))
			return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	if (!(c->forward = strdup(cfg_getstr(sec, "forward"))) ||
	    !(c->reverse = strdup(cfg_getstr(sec, "reverse"))))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	if ((rc = check_attr("forward", c->forward, err)) < 0 ||
	    (rc = check_attr("reverse", c->reverse, err)) < 0)
		return rc;
	if (!(c->extra = strv_get(sec, "extra", &c->nextra)))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nextra; i++)
		if ((rc = check_attr("extra", c->extra[i], err)) < 0)
			return rc;
	c->nfilters = cfg_size(sec, "filters");
	c->filters = calloc(c->nfilters + 1, sizeof(*c->filters));
	if (!c->filters)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nfilters; i++) {
		const char *t = cfg_getnstr(sec, "filters", (unsigned)i);
		if ((rc = parse_filter(t, &c->filters[i])) < 0) {
			c->nfilters = i;
			return dfo_err_set(err, rc,
					   "filters: '%s' is not NAME=VALUE[,"
					   "VALUE...]",
					   t);
		}
	}
	long ttl = cfg_getint(sec, "ttl");
	if (ttl < 0 || ttl > 604800)
		return dfo_err_set(err, -EINVAL, "ttl must be 0..604800");
	c->ttl = (uint32_t)ttl;
	const char *tf = cfg_getstr(sec, "txt_format");
	const char *soa = cfg_getstr(sec, "soa");
	if (strcmp(tf, "rfc1464") != 0 && strcmp(tf, "spaced") != 0)
		return dfo_err_set(err, -EINVAL,
				   "txt_format: '%s' is not rfc1464 or spaced",
				   tf);
	if (strcmp(soa, "negative") != 0 && strcmp(soa, "always") != 0)
		return dfo_err_set(err, -EINVAL,
				   "soa: '%s' is not negative or always", soa);
	c->txt_spaced = strcmp(tf, "spaced") == 0;
	c->soa_always = strcmp(soa, "always") == 0;
	return 0;
}

/* The awsdns section of INSTANCE into c, each option checked. */
static int conf_parse(const char *instance, cfg_t *sec, struct awsdns_conf *c,
		      struct dfo_err *err)
{
	memset(c, 0, sizeof(*c));
	if (!(c->instance = strdup(instance)))
		goto nomem;
	int rc;
	if ((rc = conf_parse_servers(sec, c, err)) < 0 ||
	    (rc = conf_parse_records(sec, c, err)) < 0)
		return rc;
	c->refresh = cfg_getfloat(sec, "refresh");
	if (!(c->refresh >= 1 && c->refresh <= 86400))
		return dfo_err_set(err, -EINVAL,
				   "refresh must be 1..86400 seconds");
	if (!(c->zones = strv_get(sec, "route53_zones", &c->nzones)))
		goto nomem;
	for (size_t i = 0; i < c->nzones; i++) {
		uint8_t wire[WIRE_MAXNAME + 1];
		if (wire_name_from_text(c->zones[i], wire, sizeof(wire)) <= 1)
			return dfo_err_set(err, -EINVAL,
					   "route53_zones: '%s' is not a zone "
					   "name",
					   c->zones[i]);
	}
	c->nallow = cfg_size(sec, "allow");
	c->allow = calloc(c->nallow + 1, sizeof(*c->allow));
	if (!c->allow)
		goto nomem;
	for (size_t i = 0; i < c->nallow; i++) {
		const char *t = cfg_getnstr(sec, "allow", (unsigned)i);
		if (parse_cidr(t, &c->allow[i]) < 0)
			return dfo_err_set(
				err, -EINVAL,
				"allow: '%s' is not ADDRESS[/PREFIX]", t);
	}
	const char *user = cfg_getstr(sec, "user");
	if (user && user[0] && !(c->user = strdup(user)))
		goto nomem;
	long threads = cfg_getint(sec, "threads");
	if (threads < 0 || threads > 256)
		return dfo_err_set(err, -EINVAL, "threads must be 0..256");
	c->threads = (unsigned)threads;
	return conf_parse_xfr(sec, c, err);
nomem:
	return dfo_err_set(err, -ENOMEM, "out of memory");
}

static void awsdns_destroy(void *state)
{
	struct awsdns *s = state;
	if (!s)
		return;
	conf_free(&s->conf);
	sources_free(&s->srcs);
	free(s);
}

static int awsdns_create(const char *instance, cfg_t *sec, void **state,
			 struct dfo_err *err)
{
	struct awsdns *s = calloc(1, sizeof(*s));
	if (!s)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	int rc = conf_parse(instance, sec, &s->conf, err);
	if (rc == 0)
		rc = sources_parse(sec, &s->srcs, err);
	if (rc < 0) {
		awsdns_destroy(s);
		return rc;
	}
	s->iconf = (struct index_conf){
		.forward = s->conf.forward,
		.reverse = s->conf.reverse,
		.extra = (const char *const *)s->conf.extra,
		.nextra = s->conf.nextra,
		.domain = s->conf.domain,
		.ttl = s->conf.ttl,
		.txt_spaced = s->conf.txt_spaced,
		.soa_always = s->conf.soa_always,
		.soa = {.mname = s->conf.soa_mname,
			.rname = s->conf.soa_rname,
			.refresh = s->conf.soa_refresh,
			.retry = s->conf.soa_retry,
			.expire = s->conf.soa_expire,
			.minimum = s->conf.soa_minimum},
		.ns = (const char *const *)s->conf.ns,
		.nns = s->conf.nns,
		.rzones = (const char *const *)s->conf.rzones,
		.nrzones = s->conf.nrzones,
	};
	s->sh.quit_fd = -1;
	s->load_fd = -1;
	*state = s;
	return 0;
}

/* ---- the index ---- */

struct load_ctx {
	struct awsdns *s;
	struct awsdns_index *ix;
	int rc;
};

static int load_one(const struct dfo_ec2_instance *inst, void *ctx)
{
	struct load_ctx *l = ctx;
	if (atomic_load(&l->s->quitting))
		return -ECANCELED;
	int rc = index_add(l->ix, &l->s->iconf, inst);
	return rc < 0 ? rc : 0;
}

static int load_rrset(const struct dfo_r53_rrset *set, void *ctx)
{
	struct load_ctx *l = ctx;
	if (atomic_load(&l->s->quitting))
		return -ECANCELED;
	if (set->alias)
		return set->alias_target
			       ? index_add_alias(l->ix, set->name, set->type,
						 set->alias_target)
			       : 0;
	return index_add_rrset(l->ix, set->name, set->type, set->ttl,
			       (const char *const *)set->values, set->nvalues);
}

/* The records of every zone of route53_zones into the index. */
static int load_zones(struct awsdns *s, struct load_ctx *l, struct dfo_err *err)
{
	const struct awsdns_conf *c = &s->conf;
	if (c->nzones && !s->zone_ids &&
	    !(s->zone_ids = calloc(c->nzones, sizeof(char *))))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nzones; i++) {
		int rc;
		if (!s->zone_ids[i] &&
		    (rc = dfo_r53_zone_id(s->aws, c->zones[i], &s->zone_ids[i],
					  err)) < 0)
			return rc;
		rc = dfo_r53_list_zone(s->aws, s->zone_ids[i], load_rrset, l,
				       err);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Build a new index from AWS. */
static int load(struct awsdns *s, struct awsdns_index **out,
		struct dfo_err *err)
{
	struct awsdns_index *ix;
	int rc = index_new(&ix, &s->iconf, err);
	if (rc < 0)
		return rc;
	struct load_ctx l = {s, ix, 0};
	if (s->srcs.n)
		rc = sources_load(&s->srcs, &s->conf, &s->iconf, ix,
				  &s->quitting, err);
	else
		rc = dfo_ec2_describe_instances(s->aws, s->conf.filters,
						s->conf.nfilters, load_one, &l,
						err);
	if (rc < 0) {
		if (rc == -ECANCELED || rc == -ENOMEM || rc == -E2BIG)
			dfo_err_set(err, rc, "DescribeInstances: %s",
				    strerror(-rc));
		index_free(ix);
		return rc;
	}
	if ((rc = load_zones(s, &l, err)) < 0) {
		index_free(ix);
		return rc;
	}
	if ((rc = index_seal(ix)) < 0) {
		index_free(ix);
		return dfo_err_set(err, rc, "out of memory");
	}
	*out = ix;
	return 0;
}

/* The instances of a load that had no usable name, once per load: a
 * warning when their count changed since the last load, else info. */
static void log_skipped(struct awsdns *s, const struct awsdns_index *ix)
{
	size_t n = ix->skipped;
	if (n == 0) {
		s->skipped = 0;
		return;
	}
	char ex[3 * 100 + 8] = "";
	size_t nex = sizeof(ix->skipped_ex) / sizeof(ix->skipped_ex[0]);
	for (size_t i = 0, o = 0; i < n && i < nex; i++)
		o += (size_t)snprintf(ex + o, sizeof(ex) - o, "%s%s",
				      i ? ", " : "", ix->skipped_ex[i]);
	dfo_log(n != s->skipped ? DFO_LOG_WARNING : DFO_LOG_INFO,
		"awsdns %s: %zu instance%s without a usable name (%s: none, "
		"empty, a label over 63 bytes or over 255 in all) skipped: "
		"%s%s",
		s->conf.instance, n, n == 1 ? "" : "s", s->conf.forward, ex,
		n > nex ? ", ..." : "");
	s->skipped = n;
}

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void publish_gauges(struct awsdns *s, const struct awsdns_index *ix,
			   double secs)
{
	dfo_metric_set(s->m_size, (double)ix->ninst);
	dfo_metric_set(s->m_names, (double)ix->nnames);
	dfo_metric_set(s->m_load_seconds, secs);
}

/* Put a new index in place of the current one, freed once no worker
 * can hold it. */
static void index_swap(struct awsdns *s, struct awsdns_index *nix, double secs)
{
	struct awsdns_index *old = atomic_exchange(&s->sh.index, nix);
	atomic_store(&s->sh.loaded, true);
	server_quiesce(&s->sh);
	index_free(old);
	publish_gauges(s, nix, secs);
}

/* The first load ended (rc): tell the main thread. */
static void first_done(struct awsdns *s, int rc, const struct dfo_err *e)
{
	s->first_rc = rc;
	if (e)
		s->first_err = *e;
	uint64_t one = 1;
	if (write(s->load_fd, &one, sizeof(one)) < 0)
		dfo_log(DFO_LOG_ERR, "awsdns %s: eventfd: %s", s->conf.instance,
			strerror(errno));
}

/*
 * The refresh thread: the first load at once, then one every `refresh`
 * seconds.  Until the first succeeds the workers serve upstream only and
 * it is tried again after 1, 2, 4... s (at most 30 s, or `refresh`);
 * when replacing a running process, a first load that fails ends it.
 */
static void *refresh_main(void *arg)
{
	struct awsdns *s = arg;
	double wait = 0, backoff = 1,
	       cap = s->conf.refresh < 30 ? s->conf.refresh : 30;
	bool loaded = false, dropped = !s->conf.user;
	unsigned attempts = 0;
	for (;;) {
		struct pollfd pfd = {.fd = s->sh.quit_fd, .events = POLLIN};
		if (wait > 0 && poll(&pfd, 1, (int)(wait * 1000)) != 0)
			break;
		if (atomic_load(&s->quitting))
			break;
		struct dfo_err e;
		dfo_err_clear(&e);
		if (!dropped && atomic_load(&s->bound)) {
			/* what this thread kept to bind (replacing) */
			dropped = dfo_drop_privileges(s->conf.user, &e) == 0;
		}
		double t0 = dfo_now();
		struct awsdns_index *nix = NULL;
		attempts++;
		int rc = load(s, &nix, &e);
		double secs = dfo_now() - t0;
		if (rc < 0 && atomic_load(&s->quitting))
			break;
		if (rc < 0 && !loaded) {
			if (s->replacing) {
				first_done(s, rc, &e);
				return NULL;
			}
			dfo_log(attempts == 1 ? DFO_LOG_WARNING : DFO_LOG_DEBUG,
				"awsdns %s: cannot load the index (%s): "
				"serving "
				"upstream only, trying again in %.0f s",
				s->conf.instance,
				e.msg[0] ? e.msg : strerror(-rc), backoff);
			dfo_metric_add(s->m_refresh_err, 1);
			dfo_responder_report(s->ctx, 0, 0,
					     e.msg[0] ? e.msg : strerror(-rc));
			wait = backoff;
			backoff = backoff * 2 < cap ? backoff * 2 : cap;
			continue;
		}
		wait = s->conf.refresh;
		if (rc < 0) {
			dfo_metric_add(s->m_refresh_err, 1);
			struct awsdns_index *cur = atomic_load(&s->sh.index);
			dfo_responder_report(s->ctx, cur->ninst, s->loaded_at,
					     e.msg[0] ? e.msg : strerror(-rc));
			dfo_log(s->failing ? DFO_LOG_DEBUG : DFO_LOG_WARNING,
				"awsdns %s: refresh failed, still serving the "
				"last index (%zu instances): %s",
				s->conf.instance, cur->ninst,
				e.msg[0] ? e.msg : strerror(-rc));
			s->failing = true;
			continue;
		}
		long delta = (long)nix->ninst -
			     (long)atomic_load(&s->sh.index)->ninst;
		if (xfr_update(s->sh.xfr, nix) < 0)
			dfo_log(DFO_LOG_WARNING,
				"awsdns %s: out of memory: the "
				"zones transferred stay as they were",
				s->conf.instance);
		index_swap(s, nix, secs);
		xfr_release(s->sh.xfr); /* NOTIFY once queries see the SOA */
		dfo_metric_add(s->m_refresh_ok, 1);
		s->loaded_at = wall_now();
		/* a source that failed (its last instances kept) shows in
		 * --status while the others refresh */
		dfo_responder_report(s->ctx, nix->ninst, s->loaded_at,
				     e.msg[0] ? e.msg : NULL);
		log_skipped(s, nix);
		if (!loaded) {
			loaded = true;
			dfo_log(DFO_LOG_NOTICE,
				"awsdns %s: %zu instances indexed (%zu without "
				"a name skipped): %zu names, %zu addresses, "
				"%zu "
				"records, %zu KiB, in %.2f s (attempt %u)",
				s->conf.instance, nix->ninst,
				nix->instances_seen - nix->ninst, nix->nnames,
				nix->nrevs, nix->nrrsets,
				index_bytes(nix) / 1024, secs, attempts);
			first_done(s, 0, NULL);
			continue;
		}
		dfo_log(s->failing ? DFO_LOG_NOTICE : DFO_LOG_INFO,
			"awsdns %s: refreshed%s: %zu instances (%+ld), %zu "
			"names, "
			"%zu records in %.2f s",
			s->conf.instance, s->failing ? " again" : "",
			nix->ninst, delta, nix->nnames, nix->nrrsets, secs);
		s->failing = false;
	}
	return NULL;
}

/* ---- lifecycle ---- */

static const char *const qt_label[QT_COUNT] = {"A", "AAAA", "PTR", "TXT",
					       "other"};
static const char *const qr_label[QR_COUNT] = {
	"aws",	    "upstream", "cache",  "nxdomain",
	"servfail", "refused",	"formerr"};

static void metrics_register(struct awsdns *s)
{
	char labels[256];
	const char *inst = s->conf.instance;
	for (int t = 0; t < QT_COUNT; t++)
		for (int r = 0; r < QR_COUNT; r++) {
			snprintf(labels, sizeof(labels),
				 "responder=\"%s\",type=\"%s\",result=\"%s\"",
				 inst, qt_label[t], qr_label[r]);
			s->metrics.queries[t][r] = dfo_metric_register(
				DFO_METRIC_COUNTER,
				"dnsfailover_awsdns_queries_total",
				"Queries answered by awsdns, by type and where "
				"the answer came from",
				labels);
		}
	snprintf(labels, sizeof(labels), "responder=\"%s\"", inst);
	s->metrics.upstream_errors = dfo_metric_register(
		DFO_METRIC_COUNTER, "dnsfailover_awsdns_upstream_errors_total",
		"Upstream queries that timed out, were refused or failed",
		labels);
	s->metrics.upstream_mismatched = dfo_metric_register(
		DFO_METRIC_COUNTER,
		"dnsfailover_awsdns_upstream_mismatched_total",
		"Packets on an upstream query's socket that were not its "
		"answer (id or question): dropped (RFC 5452)",
		labels);
	s->metrics.dropped = dfo_metric_register(
		DFO_METRIC_COUNTER, "dnsfailover_awsdns_dropped_total",
		"Packets dropped without an answer", labels);
	s->m_size = dfo_metric_register(DFO_METRIC_GAUGE,
					"dnsfailover_awsdns_index_instances",
					"Instances in the index", labels);
	s->m_names = dfo_metric_register(DFO_METRIC_GAUGE,
					 "dnsfailover_awsdns_index_names",
					 "Distinct names in the index", labels);
	s->m_load_seconds = dfo_metric_register(
		DFO_METRIC_GAUGE, "dnsfailover_awsdns_index_load_seconds",
		"Time the last index load took", labels);
	snprintf(labels, sizeof(labels), "responder=\"%s\",result=\"ok\"",
		 inst);
	s->m_refresh_ok = dfo_metric_register(
		DFO_METRIC_COUNTER, "dnsfailover_awsdns_refreshes_total",
		"Index refreshes", labels);
	snprintf(labels, sizeof(labels), "responder=\"%s\",result=\"error\"",
		 inst);
	s->m_refresh_err = dfo_metric_register(
		DFO_METRIC_COUNTER, "dnsfailover_awsdns_refreshes_total",
		"Index refreshes", labels);
	s->sh.metrics = &s->metrics;
}

static void awsdns_stop(void *state)
{
	struct awsdns *s = state;
	if (!s->started)
		return;
	atomic_store(&s->quitting, true);
	uint64_t one = 1;
	if (s->sh.quit_fd >= 0 && write(s->sh.quit_fd, &one, sizeof(one)) < 0)
		dfo_log(DFO_LOG_ERR, "awsdns %s: eventfd: %s", s->conf.instance,
			strerror(errno));
	for (size_t i = 0; i < s->sh.nworkers; i++)
		server_worker_free(s->sh.workers[i]);
	free(s->sh.workers);
	s->sh.workers = NULL;
	cache_free(s->sh.cache);
	s->sh.cache = NULL;
	s->sh.nworkers = 0;
	bool joined = true;
	if (s->refresher_started) {
		/* a refresh may sit in an AWS call: give it a moment, else
		 * leave it (the process is about to end) */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 400000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		joined = pthread_timedjoin_np(s->refresher, NULL, &ts) == 0;
		s->refresher_started = false;
	}
	if (joined) {
		xfr_free(s->sh.xfr); /* (after the refresh thread) */
		s->sh.xfr = NULL;
		index_free(atomic_exchange(&s->sh.index, NULL));
		dfo_aws_free(s->aws);
		s->aws = NULL;
		sources_stop(&s->srcs);
		for (size_t i = 0; s->zone_ids && i < s->conf.nzones; i++)
			free(s->zone_ids[i]);
		free(s->zone_ids);
		s->zone_ids = NULL;
		close(s->sh.quit_fd);
		s->sh.quit_fd = -1;
		if (s->load_fd >= 0)
			close(s->load_fd);
		s->load_fd = -1;
	}
	s->started = false;
}

/* Everything but sockets and threads: the AWS client, the cache, an
 * empty index until AWS's comes. */
static int awsdns_start(void *state, struct dfo_err *err)
{
	struct awsdns *s = state;
	struct awsdns_conf *c = &s->conf;
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	if (c->threads == 0)
		c->threads =
			cores > 0 ? (unsigned)(cores < 256 ? cores : 256) : 1;
	atomic_store(&s->quitting, false);
	atomic_store(&s->sh.loaded, false);
	atomic_store(&s->bound, false);
	s->failing = false;
	s->sh.conf = c;
	s->sh.quit_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->load_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->sh.quit_fd < 0 || s->load_fd < 0) {
		int e = errno;
		if (s->sh.quit_fd >= 0)
			close(s->sh.quit_fd);
		if (s->load_fd >= 0)
			close(s->load_fd);
		s->sh.quit_fd = s->load_fd = -1;
		return dfo_err_set(err, -e, "eventfd: %s", strerror(e));
	}
	s->started = true;
	metrics_register(s);
	int rc;
	struct awsdns_index *empty = NULL;
	s->sh.workers = calloc(c->threads, sizeof(*s->sh.workers));
	s->sh.cache = cache_new(65536, (size_t)64 << 20);
	if (!s->sh.workers || !s->sh.cache) {
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	if ((rc = index_new(&empty, &s->iconf, err)) < 0)
		goto fail;
	if ((rc = xfr_new(&s->sh.xfr, c, s->sh.quit_fd, err)) < 0) {
		index_free(empty);
		goto fail;
	}
	if ((rc = index_seal(empty)) < 0) {
		index_free(empty);
		dfo_err_set(err, rc, "out of memory");
		goto fail;
	}
	atomic_store(&s->sh.index, empty);
	struct dfo_aws *def = dfo_aws_default(err);
	if (!def) {
		rc = -EIO;
		goto fail;
	}
	/* the refresh thread's own client (connections kept across
	 * pages and refreshes) */
	if ((rc = dfo_aws_clone(def, &s->aws, err)) < 0 ||
	    (rc = sources_start(&s->srcs, c->instance, def, err)) < 0)
		goto fail;
	return 0;
fail:
	awsdns_stop(s);
	return rc;
}

/* Open every worker's sockets (as root); bind them too if bind_now. */
static int open_sockets(struct awsdns *s, bool bind_now, struct dfo_err *err)
{
	for (unsigned i = 0; i < s->conf.threads; i++) {
		int rc = server_worker_new(&s->sh, i, bind_now,
					   &s->sh.workers[i], err);
		if (rc < 0)
			return rc;
		s->sh.nworkers++;
	}
	return 0;
}

/* Bind what open_sockets(false) opened, then drop to `user` for good. */
static int bind_and_drop(struct awsdns *s, bool bind, struct dfo_err *err)
{
	int rc;
	for (size_t i = 0; bind && i < s->sh.nworkers; i++)
		if ((rc = server_worker_bind(s->sh.workers[i], err)) < 0)
			return rc;
	if (s->conf.user && (rc = dfo_drop_privileges(s->conf.user, err)) < 0)
		return rc;
	atomic_store(&s->bound, true);
	return 0;
}

/* Wait for `fd` or the stop descriptor: 1 for fd, 0 for stop. */
static int wait_either(int sfd, int fd, struct dfo_err *err)
{
	for (;;) {
		struct pollfd p[2] = {{.fd = fd, .events = POLLIN},
				      {.fd = sfd, .events = POLLIN}};
		int r = poll(p, sfd >= 0 ? 2 : 1, -1);
		if (r < 0 && errno != EINTR)
			return dfo_err_set(err, -errno, "poll: %s",
					   strerror(errno));
		if (r > 0 && p[1].revents)
			return 0;
		if (r > 0 && p[0].revents)
			return 1;
	}
}

/*
 * Serve.  At start-up: bind, drop privileges, serve upstream at once and
 * AWS's names once the refresh thread has loaded them (never as root).
 * Replacing a process that still serves (a reload): load first, as
 * `user` with only CAP_NET_BIND_SERVICE kept, then bind and report ready,
 * so that the old process serves until then; a load that fails ends this
 * one, and the old one goes on.
 */
static int awsdns_serve(struct awsdns *s, struct dfo_responder_ctx *ctx,
			struct dfo_err *err)
{
	int rc, sfd = dfo_responder_stop_fd(ctx);
	s->ctx = ctx; /* before the refresh thread reports */
	s->replacing = dfo_responder_replacing(ctx);
	if ((rc = open_sockets(s, !s->replacing, err)) < 0)
		return rc;
	if (!s->replacing && (rc = bind_and_drop(s, false, err)) < 0)
		return rc;
	if (s->replacing && s->conf.user &&
	    (rc = dfo_drop_privileges_keep_bind(s->conf.user, err)) < 0)
		return rc;
	rc = pthread_create(&s->refresher, NULL, refresh_main, s);
	if (rc != 0)
		return dfo_err_set(err, -rc, "pthread_create: %s",
				   strerror(rc));
	s->refresher_started = true;
	if (s->replacing) {
		if ((rc = wait_either(sfd, s->load_fd, err)) <= 0)
			return rc;
		if (s->first_rc < 0)
			return dfo_err_set(
				err, s->first_rc,
				"cannot load the index, the previous "
				"process keeps serving: %s",
				s->first_err.msg[0] ? s->first_err.msg
						    : strerror(-s->first_rc));
		if ((rc = bind_and_drop(s, true, err)) < 0)
			return rc;
	}
	for (size_t i = 0; i < s->sh.nworkers; i++)
		if ((rc = server_worker_start(s->sh.workers[i], err)) < 0)
			return rc;
	dfo_log(DFO_LOG_INFO,
		"awsdns %s: serving on %zu address(es), %u "
		"thread(s), %zu upstream(s)%s",
		s->conf.instance, s->conf.nlisten, s->conf.threads,
		s->conf.nupstream,
		atomic_load(&s->sh.loaded) ? "" : ", the index still loading");
	dfo_responder_ready(ctx);
	rc = wait_either(sfd, sfd, err);
	return rc < 0 ? rc : 0;
}

static int awsdns_run(void *state, struct dfo_responder_ctx *ctx,
		      struct dfo_err *err)
{
	return awsdns_serve(state, ctx, err);
}

static const struct dfo_responder_provider awsdns_provider = {
	.size = sizeof(struct dfo_responder_provider),
	.name = "awsdns",
	.description = "DNS server for a VPC: upstream first, then EC2 "
		       "instances and Route 53 zones",
	.options = awsdns_opts,
	.create = awsdns_create,
	.destroy = awsdns_destroy,
	.start = awsdns_start,
	.stop = awsdns_stop,
	.run = awsdns_run,
	.command = awsdns_command,
};

static int awsdns_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_responder(reg, &awsdns_provider);
}

DFO_MODULE("awsdns", awsdns_init);
