/*
 * dns "route53": the records of a name in an Amazon Route 53 hosted zone,
 * through the core's AWS client (SigV4, retries, throttling back-off).
 *
 * A change is one ChangeResourceRecordSets batch: DELETE of the exact set
 * read (values and TTL) and CREATE of the new one (an empty name: CREATE
 * only).  AWS applies a batch whole or not at all and refuses it when the
 * set is no longer the one read: that is DFO_ESTALE, the compare-and-set.
 * A set created keeps `ttl`; a changed set keeps its TTL.  The last
 * record of a name is never deleted.
 *
 * Reads: read = "api" lists the set (ListResourceRecordSets, one request
 * of the account's 5/s).  read = "dns" asks the zone's authoritative name
 * servers (its delegation set, or `nameservers`) with ldns and costs no
 * API request; a lagging server can only make a batch be refused, never
 * wrong.  Sets with a routing policy (SetIdentifier) or alias records are
 * refused with a clear error, never edited.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include <dnsfailover/dnsfailover.h>

#define R53_SPACING 0.2 /* an agent alone stays under 5 requests/s */

struct r53 {
	char *title;
	char *zone;    /* name, without final dot; NULL if only zone_id */
	char *zone_id; /* configured, or looked up in start() */
	bool id_looked_up;
	long ttl;
	double wait;
	bool read_dns;
	char **ns; /* nameservers option */
	size_t nns;
	ldns_resolver *res; /* read = "dns", from start() */
	bool started;
	struct txt_read *txt; /* the state set as last read or written */
};

static void txt_read_free(struct txt_read *t);

static cfg_opt_t r53_opts[] = {
	/* The hosted zone by name (looked up once, at start) or by id. */
	CFG_STR("zone", NULL, CFGF_NONE), CFG_STR("zone_id", NULL, CFGF_NONE),
	/* TTL of a set the agent creates; an existing set keeps its own. */
	CFG_INT("ttl", 60, CFGF_NONE),
	/* Seconds to wait for INSYNC after a change; 0: do not wait. */
	CFG_FLOAT("wait", 0, CFGF_NONE),
	/* "api" (ListResourceRecordSets) or "dns" (the name servers). */
	CFG_STR("read", "api", CFGF_NONE),
	/* read = "dns": servers to ask ("ADDR", "ADDR:PORT", "[V6]:PORT",
	 * or host names); default the zone's delegation set. */
	CFG_STR_LIST("nameservers", "{}", CFGF_NONE), CFG_END()};

static void r53_destroy(void *state)
{
	struct r53 *s = state;
	if (!s)
		return;
	if (s->res)
		ldns_resolver_deep_free(s->res);
	for (size_t i = 0; i < s->nns; i++)
		free(s->ns[i]);
	free(s->ns);
	free(s->title);
	free(s->zone);
	free(s->zone_id);
	txt_read_free(s->txt);
	free(s);
}

static char *strip_dot(const char *name)
{
	char *s = strdup(name);
	size_t l = s ? strlen(s) : 0;
	if (l > 1 && s[l - 1] == '.')
		s[l - 1] = '\0';
	return s;
}

static int r53_create(const char *instance, cfg_t *sec, void **state,
		      struct dfo_err *err)
{
	const char *zone = cfg_getstr(sec, "zone");
	const char *id = cfg_getstr(sec, "zone_id");
	const char *read = cfg_getstr(sec, "read");
	long ttl = cfg_getint(sec, "ttl");
	double wait = cfg_getfloat(sec, "wait");
	unsigned nns = cfg_size(sec, "nameservers");
	if (!zone == !id)
		return dfo_err_set(err, -EINVAL, "set one of zone or zone_id");
	if (zone &&
	    (!*zone || strlen(zone) > 254 || strpbrk(zone, " \t\r\n\v\f/\\")))
		return dfo_err_set(err, -EINVAL,
				   "zone '%s' is not a domain "
				   "name",
				   zone);
	if (id && (!*id || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
				      "/hostedzone") != strlen(id)))
		return dfo_err_set(err, -EINVAL,
				   "zone_id '%s' is not a hosted "
				   "zone id (Z...)",
				   id);
	if (ttl < 0 || ttl > 2147483647)
		return dfo_err_set(err, -EINVAL, "ttl must be 0..2147483647");
	if (!(wait >= 0 && wait <= 3600))
		return dfo_err_set(err, -EINVAL,
				   "wait must be 0..3600 seconds");
	if (strcmp(read, "api") != 0 && strcmp(read, "dns") != 0)
		return dfo_err_set(err, -EINVAL,
				   "read must be \"api\" or "
				   "\"dns\", not '%s'",
				   read);
	if (nns && strcmp(read, "dns") != 0)
		return dfo_err_set(err, -EINVAL,
				   "nameservers is for read = "
				   "\"dns\"");
	unsigned port0 = 0;
	for (unsigned i = 0; i < nns; i++) {
		char host[256];
		unsigned port;
		const char *v = cfg_getnstr(sec, "nameservers", i);
		int rc = dfo_hostport_parse(v, 53, host, sizeof(host), &port,
					    NULL);
		if (rc < 0)
			return dfo_err_set(
				err, -EINVAL,
				"nameservers: '%s' is "
				"not ADDRESS, ADDRESS:PORT or a host "
				"name",
				v);
		if (i && port != port0)
			return dfo_err_set(err, -EINVAL,
					   "nameservers: all must "
					   "use the same port");
		port0 = port;
	}
	struct r53 *s = calloc(1, sizeof(*s));
	if (!s)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	s->ttl = ttl;
	s->wait = wait;
	s->read_dns = strcmp(read, "dns") == 0;
	s->title = strdup(instance);
	s->zone = zone ? strip_dot(zone) : NULL;
	s->zone_id = id ? strdup(id) : NULL;
	s->ns = calloc(nns ? nns : 1, sizeof(char *));
	bool oom = !s->title || (zone && !s->zone) || (id && !s->zone_id) ||
		   !s->ns;
	for (unsigned i = 0; !oom && i < nns; i++)
		if (!(s->ns[s->nns++] =
			      strdup(cfg_getnstr(sec, "nameservers", i))))
			oom = true;
	if (oom) {
		r53_destroy(s);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	*state = s;
	return 0;
}

/* A resolver asking `ns` (host[:port] strings) without recursion. */
static int make_resolver(struct r53 *s, char *const *ns, size_t n,
			 struct dfo_err *err)
{
	ldns_resolver *res = ldns_resolver_new();
	if (!res)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	unsigned port = 53;
	size_t pushed = 0;
	for (size_t i = 0; i < n; i++) {
		char host[256];
		if (dfo_hostport_parse(ns[i], 53, host, sizeof(host), &port,
				       NULL) < 0) {
			dfo_log(DFO_LOG_WARNING,
				"route53 %s: name server '%s' "
				"ignored",
				s->title, ns[i]);
			continue;
		}
		struct addrinfo hints = {.ai_socktype = SOCK_DGRAM}, *ai, *p;
		int g = getaddrinfo(host, NULL, &hints, &ai);
		if (g != 0) {
			dfo_log(DFO_LOG_WARNING,
				"route53 %s: name server %s: "
				"%s",
				s->title, host, gai_strerror(g));
			continue;
		}
		for (p = ai; p; p = p->ai_next) {
			char text[INET6_ADDRSTRLEN];
			const void *a =
				p->ai_family == AF_INET
					? (const void *)&((struct sockaddr_in *)
								  p->ai_addr)
						  ->sin_addr
					: (const void *)&(
						  (struct sockaddr_in6 *)
							  p->ai_addr)
						  ->sin6_addr;
			if ((p->ai_family != AF_INET &&
			     p->ai_family != AF_INET6) ||
			    !inet_ntop(p->ai_family, a, text, sizeof(text)))
				continue;
			ldns_rdf *rdf = ldns_rdf_new_frm_str(
				p->ai_family == AF_INET ? LDNS_RDF_TYPE_A
							: LDNS_RDF_TYPE_AAAA,
				text);
			if (rdf && ldns_resolver_push_nameserver(res, rdf) ==
					   LDNS_STATUS_OK)
				pushed++;
			if (rdf)
				ldns_rdf_deep_free(rdf);
		}
		freeaddrinfo(ai);
	}
	if (!pushed) {
		ldns_resolver_deep_free(res);
		return dfo_err_set(err, -EHOSTUNREACH,
				   "no usable name server "
				   "for read = \"dns\"");
	}
	struct timeval tv = {2, 0};
	ldns_resolver_set_port(res, (uint16_t)port);
	ldns_resolver_set_recursive(res, false);
	ldns_resolver_set_dnssec(res, false);
	ldns_resolver_set_defnames(res, false);
	ldns_resolver_set_dnsrch(res, false);
	ldns_resolver_set_fallback(res, true); /* TCP when truncated */
	ldns_resolver_set_retry(res, 1);
	ldns_resolver_set_retrans(res, 1);
	ldns_resolver_set_timeout(res, tv);
	ldns_resolver_set_random(res, true);
	s->res = res;
	return 0;
}

static void r53_stop(void *state)
{
	struct r53 *s = state;
	if (s->res)
		ldns_resolver_deep_free(s->res);
	s->res = NULL;
	if (s->id_looked_up) {
		free(s->zone_id);
		s->zone_id = NULL;
		s->id_looked_up = false;
	}
	s->started = false;
}

static int r53_start(void *state, struct dfo_err *err)
{
	struct r53 *s = state;
	struct dfo_aws *aws = dfo_aws_default(err);
	if (!aws)
		return err ? err->code : -ENOMEM;
	if (!s->zone_id) {
		struct dfo_err e = {0};
		int rc = dfo_r53_zone_id(aws, s->zone, &s->zone_id, &e);
		/* Two zones of the name (a public and a private one): the
		 * operator says which, never a guess. */
		if (rc == -ENOTUNIQ)
			return dfo_err_set(err, rc,
					   "%s: set zone_id (in place of zone) "
					   "to the one meant",
					   e.msg);
		if (rc < 0)
			return dfo_err_set(err, rc, "%s", e.msg);
		s->id_looked_up = true;
		dfo_log(DFO_LOG_INFO, "route53 %s: zone %s is %s", s->title,
			s->zone, s->zone_id);
	}
	if (s->read_dns) {
		char **ns = s->ns;
		size_t n = s->nns;
		bool own = false;
		if (!n) {
			int rc = dfo_r53_zone_nameservers(aws, s->zone_id, &ns,
							  &n, err);
			if (rc < 0) {
				r53_stop(s);
				return rc;
			}
			own = true;
		}
		int rc = make_resolver(s, ns, n, err);
		if (own) {
			for (size_t i = 0; i < n; i++)
				free(ns[i]);
			free(ns);
		}
		if (rc < 0) {
			r53_stop(s);
			return rc;
		}
	}
	s->started = true;
	return 0;
}

static const char *rtype(int family)
{
	return family == AF_INET6 ? "AAAA" : "A";
}

static bool in_zone(const struct r53 *s, const char *fqdn)
{
	if (!s->zone)
		return true;
	size_t lz = strlen(s->zone), lf = strlen(fqdn);
	if (lf && fqdn[lf - 1] == '.')
		lf--;
	return lf >= lz && strncasecmp(fqdn + lf - lz, s->zone, lz) == 0 &&
	       (lf == lz || fqdn[lf - lz - 1] == '.');
}

static int check_ready(struct r53 *s, const char *fqdn, struct dfo_err *err)
{
	if (!s->started)
		return dfo_err_set(err, -EAGAIN, "route53 %s: not started",
				   s->title);
	if (!in_zone(s, fqdn))
		return dfo_err_set(err, -EINVAL, "%s is not in zone %s", fqdn,
				   s->zone);
	return 0;
}

/* Read through the API; refuses routing policies and aliases. */
static int list_api(struct r53 *s, const char *fqdn, int family,
		    struct dfo_rrset *out, struct dfo_err *err)
{
	struct dfo_aws *aws = dfo_aws_default(err);
	if (!aws)
		return err ? err->code : -ENOMEM;
	struct dfo_r53_rrset *sets;
	size_t n;
	int rc = dfo_r53_list(aws, s->zone_id, fqdn, rtype(family), &sets, &n,
			      err);
	if (rc < 0)
		return rc;
	if (n && (n > 1 || sets[0].set_id))
		rc = dfo_err_set(err, -EPERM,
				 "route53: %s %s uses a routing "
				 "policy (SetIdentifier '%s'): dnsfailover "
				 "edits only simple record sets",
				 fqdn, rtype(family),
				 sets[0].set_id ? sets[0].set_id : "?");
	else if (n && sets[0].alias)
		rc = dfo_err_set(err, -EPERM,
				 "route53: %s %s is an alias (to "
				 "%s): dnsfailover edits only simple record "
				 "sets",
				 fqdn, rtype(family),
				 sets[0].alias_target ? sets[0].alias_target
						      : "?");
	for (size_t i = 0; rc == 0 && n && i < sets[0].nvalues; i++) {
		struct dfo_addr a;
		if (dfo_addr_parse_family(&a, sets[0].values[i], family) < 0)
			rc = dfo_err_set(err, -EBADMSG,
					 "route53: %s %s: value "
					 "'%.60s' is not an address",
					 fqdn, rtype(family),
					 sets[0].values[i]);
		else if (dfo_rrset_add(out, &a) < 0)
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
	}
	if (rc == 0 && n)
		out->ttl = sets[0].ttl;
	for (size_t i = 0; i < n; i++)
		dfo_r53_rrset_free(&sets[i]);
	free(sets);
	return rc;
}

/* Read from the name servers: an authoritative answer, no API request. */
static int list_dns(struct r53 *s, const char *fqdn, int family,
		    struct dfo_rrset *out, struct dfo_err *err)
{
	ldns_rr_type t =
		family == AF_INET6 ? LDNS_RR_TYPE_AAAA : LDNS_RR_TYPE_A;
	ldns_rdf *name = ldns_dname_new_frm_str(fqdn);
	if (!name)
		return dfo_err_set(err, -EINVAL, "%s: not a domain name", fqdn);
	/* ldns marks a server that failed once as unreachable for good:
	 * every read gives every server its chance again. */
	for (size_t i = 0; i < ldns_resolver_nameserver_count(s->res); i++)
		ldns_resolver_set_nameserver_rtt(s->res, i,
						 LDNS_RESOLV_RTT_MIN);
	ldns_pkt *p = NULL;
	ldns_status st =
		ldns_resolver_send(&p, s->res, name, t, LDNS_RR_CLASS_IN, 0);
	int rc = 0;
	if (st != LDNS_STATUS_OK || !p) {
		rc = dfo_err_set(err, -ETIMEDOUT,
				 "route53 %s: DNS query %s %s: "
				 "%s",
				 s->title, fqdn, rtype(family),
				 ldns_get_errorstr_by_id(st));
		goto out;
	}
	ldns_pkt_rcode rcode = ldns_pkt_get_rcode(p);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN) {
		rc = dfo_err_set(err, -EIO,
				 "route53 %s: DNS query %s %s: rcode "
				 "%d",
				 s->title, fqdn, rtype(family), (int)rcode);
		goto out;
	}
	if (!ldns_pkt_aa(p)) {
		rc = dfo_err_set(err, -EIO,
				 "route53 %s: DNS answer for %s %s "
				 "is not authoritative (is the server one of "
				 "the zone's?)",
				 s->title, fqdn, rtype(family));
		goto out;
	}
	ldns_rr_list *ans = ldns_pkt_answer(p);
	for (size_t i = 0; ans && i < ldns_rr_list_rr_count(ans); i++) {
		ldns_rr *rr = ldns_rr_list_rr(ans, i);
		if (ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
			rc = dfo_err_set(err, -EPERM,
					 "route53: %s is a CNAME: "
					 "dnsfailover edits only address "
					 "records",
					 fqdn);
			goto out;
		}
		if (ldns_rr_get_type(rr) != t || ldns_rr_rd_count(rr) < 1)
			continue;
		ldns_rdf *rd = ldns_rr_rdf(rr, 0);
		struct dfo_addr a = {.family = family};
		size_t want = family == AF_INET6 ? 16 : 4;
		if (ldns_rdf_size(rd) != want)
			continue;
		memcpy(family == AF_INET6 ? (void *)&a.u.v6 : (void *)&a.u.v4,
		       ldns_rdf_data(rd), want);
		if (dfo_rrset_add(out, &a) < 0) {
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		out->ttl = ldns_rr_ttl(rr);
	}
out:
	if (p)
		ldns_pkt_free(p);
	ldns_rdf_deep_free(name);
	return rc;
}

static int r53_list(void *state, const char *fqdn, struct dfo_rrset *out,
		    struct dfo_err *err)
{
	struct r53 *s = state;
	int rc = check_ready(s, fqdn, err);
	if (rc < 0)
		return rc;
	return s->read_dns ? list_dns(s, fqdn, out->family, out, err)
			   : list_api(s, fqdn, out->family, out, err);
}

/* A dfo_r53_rrset of `set` (values formatted into `buf`). */
struct r53_set {
	struct dfo_r53_rrset rr;
	char *vals[64];
	char text[64][DFO_ADDR_STRLEN];
};

static int to_r53(struct r53_set *o, const char *fqdn,
		  const struct dfo_rrset *set, uint32_t ttl,
		  struct dfo_err *err)
{
	if (set->count > 64)
		return dfo_err_set(err, -E2BIG,
				   "route53: more than 64 records "
				   "for %s",
				   fqdn);
	memset(&o->rr, 0, sizeof(o->rr));
	o->rr.name = (char *)fqdn;
	snprintf(o->rr.type, sizeof(o->rr.type), "%s", rtype(set->family));
	o->rr.ttl = ttl;
	for (size_t i = 0; i < set->count; i++) {
		dfo_addr_format(&set->addrs[i], o->text[i], sizeof(o->text[i]));
		o->vals[i] = o->text[i];
	}
	o->rr.values = o->vals;
	o->rr.nvalues = set->count;
	return 0;
}

/* Replace `old` (exactly as read; empty: none) by `new` in one batch. */
static int replace(struct r53 *s, const char *fqdn, const struct dfo_rrset *old,
		   const struct dfo_rrset *new, struct dfo_err *err)
{
	struct dfo_aws *aws = dfo_aws_default(err);
	if (!aws)
		return err ? err->code : -ENOMEM;
	static struct r53_set o, n; /* the agent is single-threaded */
	struct dfo_r53_change ch[2];
	size_t nch = 0;
	uint32_t ttl = old->count ? old->ttl : (uint32_t)s->ttl;
	int rc = 0;
	if (old->count) {
		if ((rc = to_r53(&o, fqdn, old, old->ttl, err)) < 0)
			return rc;
		ch[nch++] = (struct dfo_r53_change){DFO_R53_DELETE, &o.rr};
	}
	if (new->count) {
		if ((rc = to_r53(&n, fqdn, new, ttl, err)) < 0)
			return rc;
		ch[nch++] = (struct dfo_r53_change){DFO_R53_CREATE, &n.rr};
	}
	if (!nch)
		return 0;
	char *id = NULL;
	rc = dfo_r53_change(aws, s->zone_id, ch, nch, "dnsfailover", &id, err);
	if (rc == DFO_ESTALE && s->read_dns) {
		/* A routing policy or an alias looks like a plain set in DNS
		 * answers, and deleting "it" can only be refused: ask the API
		 * once, to say so rather than retry for ever. */
		struct dfo_rrset probe;
		struct dfo_err e = {0};
		dfo_rrset_init(&probe, new->family);
		int prc = list_api(s, fqdn, new->family, &probe, &e);
		dfo_rrset_clear(&probe);
		if (prc == -EPERM)
			rc = dfo_err_set(err, prc, "%s", e.msg);
	}
	if (rc == 0 && s->wait > 0 && id) {
		double every = s->wait / 10;
		every = every < 0.2 ? 0.2 : every > 5 ? 5 : every;
		struct dfo_err e = {0};
		if (dfo_r53_wait(aws, id, every, s->wait, &e) < 0)
			dfo_log(DFO_LOG_NOTICE,
				"route53 %s: %s %s changed, but "
				"%s",
				s->title, fqdn, rtype(new->family), e.msg);
	}
	free(id);
	return rc;
}

/* add/del: from `expected` (the set as read), or, unconditionally (an
 * operator's --try), from a fresh API read, retried if it goes stale
 * (dfo_dns_cas_change()). */
struct change {
	struct r53 *s;
	const char *fqdn;
	const struct dfo_addr *addr;
	bool add;
};

static int change_read(void *ctx, struct dfo_rrset *out, struct dfo_err *err)
{
	struct change *c = ctx;
	return list_api(c->s, c->fqdn, c->addr->family, out, err);
}

/* One batch from `old`: the set with the address added or removed. */
static int change_write(void *ctx, const struct dfo_rrset *old,
			struct dfo_err *err)
{
	struct change *c = ctx;
	struct dfo_rrset cur, new;
	int rc = 0;
	dfo_rrset_init(&cur, c->addr->family);
	dfo_rrset_init(&new, c->addr->family);
	if (old->count && !old->ttl) {
		/* An expected set without its TTL (--try --expect): the set's
		 * TTL from a fresh read, and still only if its records are
		 * the expected. */
		rc = list_api(c->s, c->fqdn, c->addr->family, &cur, err);
		if (rc == 0 && !dfo_rrset_same(&cur, old))
			rc = DFO_ESTALE;
		old = &cur;
	}
	if (rc == 0 && (dfo_rrset_copy(&new, old) < 0 ||
			(c->add ? dfo_rrset_add(&new, c->addr) < 0
				: !dfo_rrset_remove(&new, c->addr))))
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
	if (rc == 0)
		rc = replace(c->s, c->fqdn, old, &new, err);
	dfo_rrset_clear(&cur);
	dfo_rrset_clear(&new);
	return rc;
}

static int change(struct r53 *s, const char *fqdn, const struct dfo_addr *addr,
		  const struct dfo_rrset *expected, bool add,
		  struct dfo_err *err)
{
	struct change c = {s, fqdn, addr, add};
	struct dfo_dns_cas cas = {change_read, change_write, &c};
	int rc = check_ready(s, fqdn, err);
	return rc < 0 ? rc
		      : dfo_dns_cas_change(&cas, fqdn, add, addr, expected,
					   err);
}

static int r53_add(void *state, const char *fqdn, const struct dfo_addr *addr,
		   const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, fqdn, addr, expected, true, err);
}

static int r53_del(void *state, const char *fqdn, const struct dfo_addr *addr,
		   const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, fqdn, addr, expected, false, err);
}

/* ---- state records (quorum eviction) ----
 *
 * The pool's state name holds one TXT record set; each agent's text is one
 * value of it, written as Route 53 wants TXT values: one quoted
 * character-string, '"' and '\' escaped with a backslash.  A change is one
 * batch: DELETE of the whole set exactly as last read (values and TTL) and
 * CREATE of the new set; Route 53 refuses it when the set changed since
 * (InvalidChangeBatch: "values provided do not match", "already exists"),
 * which is DFO_ESTALE.  An empty result is the DELETE alone; a first
 * record the CREATE alone.  Throttling stays an error (-EAGAIN after the
 * client's retries), never a verdict.
 *
 * The set as last read or written is kept (values as Route 53 wrote them,
 * TTL), so that the change after a state_list costs one request, not two:
 * it is used only while its texts are exactly the caller's `expected`;
 * otherwise the set is read again.  Values that are not one valid state
 * text (someone else's TXT record there) are kept as they are. */

struct txt_read {
	char *name;
	uint32_t ttl;
	char **vals; /* as Route 53 writes them */
	size_t n;
};

static void txt_read_free(struct txt_read *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->vals[i]);
	free(t->vals);
	free(t->name);
	free(t);
}

/* The text of a TXT value holding one quoted character-string ('\X' is
 * X, '\DDD' an octal code, as Route 53 writes them) into buf; -1 if the
 * value is anything else (several strings, unquoted, not a state text). */
static int txt_unquote(const char *v, char buf[DFO_TXT_MAX + 1])
{
	size_t k = 0;
	if (*v++ != '"')
		return -1;
	for (; *v && *v != '"'; v++) {
		int c = (unsigned char)*v;
		if (c == '\\') {
			if (v[1] >= '0' && v[1] <= '3' && v[2] >= '0' &&
			    v[2] <= '7' && v[3] >= '0' && v[3] <= '7') {
				c = (v[1] - '0') * 64 + (v[2] - '0') * 8 +
				    (v[3] - '0');
				v += 3;
			} else if (v[1]) {
				c = (unsigned char)*++v;
			} else {
				return -1;
			}
		}
		if (k >= DFO_TXT_MAX || c == 0)
			return -1;
		buf[k++] = (char)c;
	}
	buf[k] = '\0';
	if (*v != '"' || v[1 + strspn(v + 1, " ")] != '\0')
		return -1;
	return dfo_txt_valid(buf) ? 0 : -1;
}

/* `text` (a valid state text) as a quoted TXT value; malloc'd. */
static char *txt_quote(const char *text)
{
	char *q = malloc(2 * strlen(text) + 3), *w = q;
	if (!q)
		return NULL;
	*w++ = '"';
	for (const char *c = text; *c; c++) {
		if (*c == '"' || *c == '\\')
			*w++ = '\\';
		*w++ = *c;
	}
	*w++ = '"';
	*w = '\0';
	return q;
}

/* The state texts of a read (values not ours left out). */
static int txt_texts(const struct txt_read *t, struct dfo_txtset *out,
		     struct dfo_err *err)
{
	char buf[DFO_TXT_MAX + 1];
	for (size_t i = 0; i < t->n; i++)
		if (txt_unquote(t->vals[i], buf) == 0 &&
		    dfo_txtset_add(out, buf) == -ENOMEM)
			return dfo_err_set(err, -ENOMEM, "out of memory");
	out->ttl = t->ttl;
	return 0;
}

/* Keep `t` as the last read (replacing the one kept); takes it. */
static void txt_keep(struct r53 *s, struct txt_read *t)
{
	txt_read_free(s->txt);
	s->txt = t;
}

/* Read the TXT set of `name` through the API into a new txt_read. */
static int txt_fetch(struct r53 *s, const char *name, struct txt_read **out,
		     struct dfo_err *err)
{
	*out = NULL;
	struct dfo_aws *aws = dfo_aws_default(err);
	if (!aws)
		return err ? err->code : -ENOMEM;
	struct dfo_r53_rrset *sets;
	size_t n;
	int rc = dfo_r53_list(aws, s->zone_id, name, "TXT", &sets, &n, err);
	if (rc < 0)
		return rc;
	struct txt_read *t = calloc(1, sizeof(*t));
	if (!t || !(t->name = strdup(name)))
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
	else if (n && (n > 1 || sets[0].set_id || sets[0].alias))
		rc = dfo_err_set(err, -EPERM,
				 "route53: %s TXT uses a routing "
				 "policy or is an alias: not a state name "
				 "dnsfailover can keep",
				 name);
	if (rc == 0 && n) {
		t->ttl = sets[0].ttl;
		t->vals = calloc(sets[0].nvalues ? sets[0].nvalues : 1,
				 sizeof(char *));
		if (!t->vals)
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; rc == 0 && i < sets[0].nvalues; i++)
			if (!(t->vals[t->n++] = strdup(sets[0].values[i])))
				rc = dfo_err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++)
		dfo_r53_rrset_free(&sets[i]);
	free(sets);
	if (rc < 0) {
		txt_read_free(t);
		return rc;
	}
	*out = t;
	return 0;
}

static int r53_state_list(void *state, const char *name, struct dfo_txtset *out,
			  struct dfo_err *err)
{
	struct r53 *s = state;
	struct txt_read *t;
	int rc = check_ready(s, name, err);
	if (rc == 0)
		rc = txt_fetch(s, name, &t, err);
	if (rc < 0) {
		txt_keep(s, NULL);
		return rc;
	}
	rc = txt_texts(t, out, err);
	txt_keep(s, t);
	return rc;
}

/* The set to change from: the one kept if its texts are `expected`, else
 * a fresh read, DFO_ESTALE if its texts are not `expected` (NULL: any). */
static int txt_current(struct r53 *s, const char *name,
		       const struct dfo_txtset *expected, struct txt_read **out,
		       struct dfo_err *err)
{
	struct txt_read *t = NULL;
	struct dfo_txtset have;
	int rc = 0;
	dfo_txtset_init(&have);
	if (expected && s->txt && strcasecmp(s->txt->name, name) == 0 &&
	    txt_texts(s->txt, &have, err) == 0 &&
	    dfo_txtset_same(&have, expected)) {
		t = s->txt;
		s->txt = NULL;
	}
	dfo_txtset_clear(&have);
	if (!t) {
		if ((rc = txt_fetch(s, name, &t, err)) < 0)
			return rc;
		if (expected && ((rc = txt_texts(t, &have, err)) < 0 ||
				 !dfo_txtset_same(&have, expected))) {
			if (rc == 0)
				rc = dfo_err_set(
					err, DFO_ESTALE,
					"route53: %s "
					"TXT changed since it was read",
					name);
			txt_keep(s, t);
			dfo_txtset_clear(&have);
			return rc;
		}
		dfo_txtset_clear(&have);
	}
	*out = t;
	return 0;
}

/* One batch from `cur`: remove `del`, add `add`, the new set with `ttl`.
 * On success `cur` becomes the set written. */
static int txt_replace(struct r53 *s, const char *name, struct txt_read *cur,
		       const char *del, const char *add, uint32_t ttl,
		       struct dfo_err *err)
{
	char buf[DFO_TXT_MAX + 1];
	char **vals = calloc(cur->n + 1, sizeof(char *));
	char *qadd = add ? txt_quote(add) : NULL;
	size_t n = 0;
	bool removed = false, present = false;
	if (!vals || (add && !qadd)) {
		free(vals);
		free(qadd);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < cur->n; i++) {
		bool ours = txt_unquote(cur->vals[i], buf) == 0;
		if (ours && del && strcmp(buf, del) == 0 &&
		    !(add && strcmp(add, del) == 0)) {
			removed = true;
			continue;
		}
		if (ours && add && strcmp(buf, add) == 0)
			present = true;
		vals[n++] = cur->vals[i];
	}
	if (add && !present)
		vals[n++] = qadd;
	int rc = 0;
	if (!removed && (!add || present))
		goto out; /* nothing to change */
	struct dfo_aws *aws = dfo_aws_default(err);
	if (!aws) {
		rc = err ? err->code : -ENOMEM;
		goto out;
	}
	struct dfo_r53_rrset old = {.name = (char *)name,
				    .type = "TXT",
				    .ttl = cur->ttl,
				    .values = cur->vals,
				    .nvalues = cur->n};
	struct dfo_r53_rrset new = {.name = (char *)name,
				    .type = "TXT",
				    .ttl = ttl,
				    .values = vals,
				    .nvalues = n};
	struct dfo_r53_change ch[2];
	size_t nch = 0;
	if (cur->n)
		ch[nch++] = (struct dfo_r53_change){DFO_R53_DELETE, &old};
	if (n)
		ch[nch++] = (struct dfo_r53_change){DFO_R53_CREATE, &new};
	rc = dfo_r53_change(aws, s->zone_id, ch, nch, "dnsfailover state", NULL,
			    err);
	if (rc == 0) {
		/* `cur` becomes the set written: its values, in its order */
		for (size_t i = 0; i < n; i++)
			if (vals[i] == qadd)
				qadd = NULL; /* now cur's */
		char **keep = calloc(n ? n : 1, sizeof(char *));
		if (!keep) {
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
			goto out;
		}
		size_t k = 0;
		for (size_t i = 0; i < n; i++)
			keep[k++] = vals[i];
		for (size_t i = 0; i < cur->n; i++) {
			bool kept = false;
			for (size_t j = 0; j < n && !kept; j++)
				kept = keep[j] == cur->vals[i];
			if (!kept)
				free(cur->vals[i]);
		}
		free(cur->vals);
		cur->vals = keep;
		cur->n = n;
		cur->ttl = ttl;
	}
out:
	free(vals);
	free(qadd);
	return rc;
}

struct txt_change {
	struct r53 *s;
	const char *name, *del, *add;
	const struct dfo_txtset *expected;
	uint32_t ttl;
};

/* One read (or the set kept) and one batch against it. */
static int txt_change(void *ctx, struct dfo_err *err)
{
	struct txt_change *c = ctx;
	struct txt_read *cur = NULL;
	int rc = txt_current(c->s, c->name, c->expected, &cur, err);
	if (rc == 0) {
		rc = txt_replace(c->s, c->name, cur, c->del, c->add, c->ttl,
				 err);
		txt_keep(c->s, rc == 0 ? cur : NULL);
		if (rc != 0)
			txt_read_free(cur);
	}
	return rc;
}

static int r53_state_change(void *state, const char *name, const char *del,
			    const char *add, const struct dfo_txtset *expected,
			    uint32_t ttl, struct dfo_err *err)
{
	struct r53 *s = state;
	if ((del && !dfo_txt_valid(del)) || (add && !dfo_txt_valid(add)))
		return dfo_err_set(err, -EINVAL,
				   "route53: a state text is "
				   "printable ASCII, 1 to %d bytes",
				   DFO_TXT_MAX);
	struct txt_change c = {s, name, del, add, expected, ttl};
	int rc = check_ready(s, name, err);
	/* Unconditional (an operator's --try): from a fresh read, again if
	 * another writer got in between. */
	return rc < 0 ? rc
		      : dfo_cas_retry(expected != NULL, txt_change, &c, err);
}

static double r53_spacing(void *state)
{
	(void)state;
	return R53_SPACING;
}

static const char *r53_zone(void *state)
{
	return ((struct r53 *)state)->zone; /* NULL with zone_id alone */
}

static const struct dfo_dns_provider r53_provider = {
	.size = sizeof(struct dfo_dns_provider),
	.name = "route53",
	.description = "records in an Amazon Route 53 hosted zone (change "
		       "batches as compare-and-set)",
	.options = r53_opts,
	.create = r53_create,
	.destroy = r53_destroy,
	.start = r53_start,
	.stop = r53_stop,
	.flags = DFO_DNS_CAS,
	.list = r53_list,
	.add = r53_add,
	.del = r53_del,
	.call_spacing = r53_spacing,
	.state_list = r53_state_list,
	.state_change = r53_state_change,
	.zone = r53_zone,
};

static int r53_init(struct dfo_registry *reg, struct dfo_err *err)
{
	(void)err;
	return dfo_register_dns(reg, &r53_provider);
}

DFO_MODULE("dns_route53", r53_init);
