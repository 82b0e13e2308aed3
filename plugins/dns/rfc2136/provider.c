/*
 * dns "rfc2136": records at a DNS server that takes dynamic updates
 * (RFC 2136: BIND, Knot DNS, PowerDNS, Windows DNS), signed with TSIG
 * (RFC 8945) when a key is configured.
 *
 *  - list: a query straight to `server` (RD=0) for A or AAAA, answered
 *    authoritatively; the records and their TTL.
 *  - add/del: one UPDATE each, compare-and-set through prerequisites:
 *    "the RRset exists with exactly these records" (value-dependent,
 *    RFC 2136 2.4.2) or "the RRset does not exist" (2.4.3) when the set
 *    read was empty.  YXRRSET/NXRRSET mean another writer came first:
 *    DFO_ESTALE.  Only the one record of the one type is added or
 *    deleted (class NONE delete, 2.5.4), so the name's other types and
 *    the zone's other names are never touched, and a deleted record's
 *    set keeps its TTL; a record added to an existing set takes that
 *    set's TTL.  A delete that would remove the last record is refused
 *    here, and the prerequisite makes the server refuse it too if the
 *    set shrank meanwhile.
 *  - state_list/state_change (quorum eviction): the TXT records of the
 *    pool's state name, by a query and by one UPDATE that deletes one
 *    exact record and adds another (see "State records" below).
 *
 * ldns builds and reads the messages (query.c, update.c, transport.c).
 * TSIG is the core's (include/dnsfailover/tsig.h; src/lib/tsig.c says
 * why not ldns's), shared with the awsdns responder's zone transfers.
 * The module's files and what each holds: rfc2136.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rfc2136.h"

static cfg_opt_t rfc_opts[] = {CFG_STR("server", NULL, CFGF_NODEFAULT),
			       CFG_STR("zone", NULL, CFGF_NODEFAULT),
			       CFG_STR("key_name", NULL, CFGF_NODEFAULT),
			       CFG_STR("key_algorithm", NULL, CFGF_NODEFAULT),
			       CFG_STR("key_secret", NULL, CFGF_NODEFAULT),
			       CFG_STR("key_file", NULL, CFGF_NODEFAULT),
			       CFG_INT("ttl", 60, CFGF_NONE),
			       CFG_FLOAT("timeout", 3, CFGF_NONE),
			       CFG_BOOL("tcp", cfg_false, CFGF_NONE),
			       CFG_END()};

static void rfc_destroy(void *state)
{
	struct rfc *r = state;
	if (!r)
		return;
	free(r->instance);
	free(r->zone);
	dfo_tsig_key_free(r->key);
	for (unsigned i = 0; i < RFC_ZCACHE; i++) {
		free(r->zc[i].fqdn);
		free(r->zc[i].zone);
		free(r->wc[i].fqdn);
		dfo_rrset_clear(&r->wc[i].set);
	}
	free(r);
}

/* ------------------------------------------------------------------ */
/* Records                                                             */

static int rfc_list(void *state, const char *fqdn, struct dfo_rrset *out,
		    struct dfo_err *err)
{
	ldns_rdf *name, *zone = NULL;
	int rc = query_name(fqdn, &name, err);
	if (rc < 0)
		return rc;
	/* The zone as add and del find it: a name they would refuse is
	 * refused here too, with the same message. */
	rc = query_zone(state, name, &zone, err);
	if (rc == 0)
		rc = query_list(state, zone, name, out, err);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(name);
	return rc;
}

/* add/del: an UPDATE against the set as read (dfo_dns_cas_change()). */
struct change {
	struct rfc *r;
	const ldns_rdf *zone, *name;
	const char *fqdn;
	bool add;
	const struct dfo_addr *a;
};

static int change_read(void *ctx, struct dfo_rrset *out, struct dfo_err *err)
{
	struct change *c = ctx;
	return query_list(c->r, c->zone, c->name, out, err);
}

static int change_write(void *ctx, const struct dfo_rrset *old,
			struct dfo_err *err)
{
	struct change *c = ctx;
	return update_addr(c->r, c->zone, c->name, c->fqdn, c->add, c->a, old,
			   err);
}

static int change(struct rfc *r, bool add, const char *fqdn,
		  const struct dfo_addr *a, const struct dfo_rrset *expected,
		  struct dfo_err *err)
{
	if (a->family != AF_INET && a->family != AF_INET6)
		return dfo_err_set(err, -EAFNOSUPPORT,
				   "not an IPv4 or IPv6 address");
	if (expected && expected->count && expected->family != a->family)
		return dfo_err_set(err, -EINVAL,
				   "expected set of another family");
	ldns_rdf *name, *zone = NULL;
	int rc = query_name(fqdn, &name, err);
	if (rc < 0)
		return rc;
	/* The zone first: a name outside it is refused before any change. */
	if ((rc = query_zone(r, name, &zone, err)) == 0) {
		struct change c = {r, zone, name, fqdn, add, a};
		struct dfo_dns_cas cas = {change_read, change_write, &c};
		rc = dfo_dns_cas_change(&cas, fqdn, add, a, expected, err);
	}
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(name);
	return rc;
}

static int rfc_add(void *state, const char *fqdn, const struct dfo_addr *addr,
		   const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, true, fqdn, addr, expected, err);
}

static int rfc_del(void *state, const char *fqdn, const struct dfo_addr *addr,
		   const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, false, fqdn, addr, expected, err);
}

/* ------------------------------------------------------------------ */
/* State records (quorum eviction)                                     */

/*
 * The TXT records of a pool's state name, one per agent.  A state text
 * is one TXT character-string (RFC 1035 3.3.14: a length byte and up to
 * 255 bytes), and ldns carries it as those bytes in the wire form, in
 * both directions: no zone-file quoting or escaping is involved, so '"',
 * '\\', ';' and spaces go through as they are.  A longer text is refused
 * rather than split: a record of several strings is not a state text.
 *
 * Listing skips the TXT records at the name that are not state texts
 * (several strings, bytes outside printable ASCII: someone else's), so
 * that every record listed can be deleted exactly: state_change deletes
 * the one record whose single string is `del`, byte for byte (RFC 2136
 * 2.5.4, class NONE; TXT data compares as binary, case included).
 *
 * A change is one UPDATE without prerequisites: the delete of `del` and
 * the add of `add` happen together or not at all, and no other record is
 * touched, so `expected` is not needed (an agent changes only its own
 * record, or removes one it read exactly; a record written meanwhile has
 * another text and stays).  Deleting a record that is not there is no
 * error (the server skips it).
 */

static int rfc_state_list(void *state, const char *name, struct dfo_txtset *out,
			  struct dfo_err *err)
{
	struct rfc *r = state;
	ldns_rdf *n;
	int rc = query_name(name, &n, err);
	if (rc < 0)
		return rc;
	ldns_pkt *p = NULL;
	rc = query_ask(r, n, LDNS_RR_TYPE_TXT, &p, err);
	if (rc == 0 && query_txt_records(p, n, out) < 0)
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
	ldns_pkt_free(p);
	ldns_rdf_deep_free(n);
	return rc;
}

/* A text to write: a state text, else a clear refusal. */
static int state_text_ok(const char *what, const char *text,
			 struct dfo_err *err)
{
	size_t n = strlen(text);
	if (n == 0)
		return dfo_err_set(err, -EINVAL, "%s: empty state text", what);
	if (n > DFO_TXT_MAX)
		return dfo_err_set(err, -EINVAL,
				   "%s: state text of %zu bytes; one TXT "
				   "character-string holds at most %d (not "
				   "split)",
				   what, n, DFO_TXT_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)text[i] < 0x20 ||
		    (unsigned char)text[i] > 0x7e)
			return dfo_err_set(err, -EINVAL,
					   "%s: byte %zu of the state text is "
					   "not printable ASCII",
					   what, i + 1);
	return 0;
}

static int rfc_state_change(void *state, const char *name, const char *del,
			    const char *add, const struct dfo_txtset *expected,
			    uint32_t ttl, struct dfo_err *err)
{
	(void)expected; /* single records: see above */
	struct rfc *r = state;
	int rc = 0;
	if ((del && (rc = state_text_ok("del", del, err)) < 0) ||
	    (add && (rc = state_text_ok("add", add, err)) < 0))
		return rc;
	if (ttl > 2147483647u)
		return dfo_err_set(err, -EINVAL, "ttl %u: at most 2147483647",
				   (unsigned)ttl);
	if (!del && !add)
		return 0;
	ldns_rdf *n, *zone = NULL;
	if ((rc = query_name(name, &n, err)) < 0)
		return rc;
	/* The zone first: a name outside it is refused before any change. */
	if ((rc = query_zone(r, n, &zone, err)) == 0)
		rc = update_state(r, zone, n, name, del, add, ttl, err);
	ldns_rdf_deep_free(zone);
	ldns_rdf_deep_free(n);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Configuration                                                       */

/* "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]:5353" */
static int server_parse(struct rfc *r, const char *text, struct dfo_err *err)
{
	char host[DFO_ADDR_STRLEN + 2];
	if (dfo_hostport_parse(text, 53, host, sizeof(host), &r->port, NULL) <
		    0 ||
	    dfo_addr_parse(&r->srv, host) < 0)
		return dfo_err_set(err, -EINVAL,
				   "server: '%s' is not ADDRESS, ADDRESS:PORT "
				   "or [IPV6]:PORT",
				   text);
	char a[DFO_ADDR_STRLEN];
	dfo_addr_format(&r->srv, a, sizeof(a));
	snprintf(r->where, sizeof(r->where),
		 r->srv.family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, r->port);
	return 0;
}

static int rfc_create(const char *instance, cfg_t *sec, void **state,
		      struct dfo_err *err)
{
	struct rfc *r = calloc(1, sizeof(*r));
	if (!r || !(r->instance = strdup(instance))) {
		free(r);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	int rc;
	const char *server = cfg_getstr(sec, "server");
	const char *zone = cfg_getstr(sec, "zone");
	long ttl = cfg_getint(sec, "ttl");
	r->timeout = cfg_getfloat(sec, "timeout");
	r->tcp = cfg_getbool(sec, "tcp");
	if (!server || !*server) {
		rc = dfo_err_set(err, -EINVAL, "option 'server' is required");
		goto fail;
	}
	if ((rc = server_parse(r, server, err)) < 0)
		goto fail;
	if (zone) {
		uint8_t w[256];
		size_t wl;
		if (dfo_name_wire(zone, w, &wl) < 0) {
			rc = dfo_err_set(err, -EINVAL,
					 "zone '%s' is not a domain "
					 "name",
					 zone);
			goto fail;
		}
		if (!(r->zone = strdup(zone))) {
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	if (ttl < 0 || ttl > 2147483647) {
		rc = dfo_err_set(err, -EINVAL, "ttl %ld: 0 to 2147483647", ttl);
		goto fail;
	}
	r->ttl = (uint32_t)ttl;
	if (!(r->timeout > 0) || r->timeout > 3600) {
		rc = dfo_err_set(err, -EINVAL,
				 "timeout: more than 0, at most "
				 "3600 seconds");
		goto fail;
	}
	if ((rc = tsig_setup(r, sec, err)) < 0)
		goto fail;
	*state = r;
	return 0;
fail:
	rfc_destroy(r);
	return rc;
}

/*
 * In the process that uses the instance: with a configured zone, ask the
 * server for its SOA, so that a wrong server, zone or key shows at once
 * ("cannot start: ... BADSIG from ...") rather than at the first change.
 * Without one there is nothing to ask yet (the zone is found per name).
 */
static int rfc_start(void *state, struct dfo_err *err)
{
	struct rfc *r = state;
	if (!r->zone)
		return 0;
	ldns_rdf *zone;
	int rc = query_name(r->zone, &zone, err);
	if (rc < 0)
		return rc;
	ldns_pkt *p = NULL;
	rc = query_ask(r, zone, LDNS_RR_TYPE_SOA, &p, err);
	bool soa = false;
	ldns_rr_list *an = p ? ldns_pkt_answer(p) : NULL;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++)
		soa = soa ||
		      (ldns_rr_get_type(ldns_rr_list_rr(an, i)) ==
			       LDNS_RR_TYPE_SOA &&
		       ldns_dname_compare(ldns_rr_owner(ldns_rr_list_rr(an, i)),
					  zone) == 0);
	if (rc == 0 && !soa)
		rc = dfo_err_set(err, -ENOENT, "%s has no zone %s (no SOA)",
				 r->where, r->zone);
	ldns_pkt_free(p);
	ldns_rdf_deep_free(zone);
	if (rc == 0)
		dfo_log(DFO_LOG_INFO, "dns/%s: zone %s at %s%s%s", r->instance,
			r->zone, r->where, r->key ? ", key " : "",
			r->key ? dfo_tsig_key_name(r->key) : "");
	return rc;
}

static const char *rfc_zone(void *state)
{
	return ((struct rfc *)state)->zone; /* NULL: found by its SOA */
}

static const struct dfo_dns_provider rfc_provider = {
	.size = sizeof(struct dfo_dns_provider),
	.name = "rfc2136",
	.description = "RFC 2136 dynamic updates with TSIG (BIND, Knot, ...); "
		       "compare-and-set through prerequisites",
	.options = rfc_opts,
	.create = rfc_create,
	.destroy = rfc_destroy,
	.start = rfc_start,
	.flags = DFO_DNS_CAS,
	.list = rfc_list,
	.add = rfc_add,
	.del = rfc_del,
	.state_list = rfc_state_list,
	.state_change = rfc_state_change,
	.zone = rfc_zone,
};

static int rfc_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_dns(reg, &rfc_provider);
}

DFO_MODULE("dns_rfc2136", rfc_init);
