/*
 * dns "rfc2136": queries straight to `server` (RD=0), answered
 * authoritatively, and what their answers hold: a name's A or AAAA
 * records with their TTL, its TXT state texts, whether it is an alias,
 * the zone it is in (the owner of the SOA the server answers with).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rfc2136.h"

int query_name(const char *fqdn, ldns_rdf **out, struct dfo_err *err)
{
	uint8_t w[256];
	size_t wl;
	if (dfo_name_wire(fqdn, w, &wl) < 0 ||
	    ldns_str2rdf_dname(out, fqdn) != LDNS_STATUS_OK)
		return dfo_err_set(err, -EINVAL, "'%s' is not a domain name",
				   fqdn);
	ldns_dname2canonical(*out);
	return 0;
}

char *query_name_text(const ldns_rdf *name)
{
	char *t = ldns_rdf2str(name);
	size_t n = t ? strlen(t) : 0;
	if (n > 1 && t[n - 1] == '.')
		t[n - 1] = '\0';
	return t;
}

int query_ask(struct rfc *r, const ldns_rdf *name, ldns_rr_type type,
	      ldns_pkt **out, struct dfo_err *err)
{
	ldns_pkt *q = ldns_pkt_query_new(ldns_rdf_clone(name), type,
					 LDNS_RR_CLASS_IN, 0);
	if (!q)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	unsigned rcode = 0;
	int rc = transport_request(r, q, out, &rcode, err);
	ldns_pkt_free(q);
	if (rc < 0)
		return rc;
	char *text = ldns_rdf2str(name);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN)
		rc = dfo_err_set(err, rcode_errno(rcode),
				 "query for %s: %s from %s", text ? text : "?",
				 rcode_name(rcode), r->where);
	else if (!ldns_pkt_aa(*out))
		rc = dfo_err_set(err, -EACCES,
				 "query for %s: %s is not authoritative for it",
				 text ? text : "?", r->where);
	free(text);
	if (rc < 0) {
		ldns_pkt_free(*out);
		*out = NULL;
	}
	return rc;
}

static int rr_addr(const ldns_rr *rr, int family, struct dfo_addr *a)
{
	const ldns_rdf *d = ldns_rr_rdf(rr, 0);
	size_t want = family == AF_INET ? 4 : 16;
	if (ldns_rr_rd_count(rr) != 1 || !d || ldns_rdf_size(d) != want)
		return -EBADMSG;
	memset(a, 0, sizeof(*a));
	a->family = family;
	if (family == AF_INET)
		memcpy(&a->u.v4, ldns_rdf_data(d), 4);
	else
		memcpy(&a->u.v6, ldns_rdf_data(d), 16);
	return 0;
}

/* Whether rr is of `type`, class IN, owned by `name`. */
static bool rr_is(const ldns_rr *rr, ldns_rr_type type, const ldns_rdf *name)
{
	return ldns_rr_get_type(rr) == type &&
	       ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	       ldns_dname_compare(ldns_rr_owner(rr), name) == 0;
}

/* The set's TTL: the lowest of its records' (the first sets it). */
static void ttl_min(uint32_t *ttl, bool *first, const ldns_rr *rr)
{
	uint32_t t = ldns_rr_ttl(rr);
	if (*first || t < *ttl)
		*ttl = t;
	*first = false;
}

int query_records(const ldns_pkt *p, const ldns_rdf *name,
		  struct dfo_rrset *out)
{
	ldns_rr_type type =
		out->family == AF_INET ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
	ldns_rr_list *an = ldns_pkt_answer(p);
	bool first = true;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (!rr_is(rr, type, name))
			continue;
		struct dfo_addr a;
		if (rr_addr(rr, out->family, &a) < 0)
			return -EBADMSG;
		if (dfo_rrset_add(out, &a) < 0)
			return -ENOMEM;
		ttl_min(&out->ttl, &first, rr);
	}
	return 0;
}

/*
 * The answer p (to a query for `name`) holds a CNAME owned by the name
 * (its own, or one a DNAME above it synthesized): the name is an alias
 * and can hold no other data (RFC 1034 3.6.2), so a server ignores an
 * A or AAAA added there (RFC 2136 3.4.2.2) and answers "done".  An
 * error, the same for every operation.  0 when it is no alias.
 */
static int alias_check(const struct rfc *r, const ldns_pkt *p,
		       const ldns_rdf *name, struct dfo_err *err)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_CNAME ||
		    ldns_dname_compare(ldns_rr_owner(rr), name) != 0)
			continue;
		char *n = query_name_text(name);
		char *to = ldns_rr_rd_count(rr)
				   ? query_name_text(ldns_rr_rdf(rr, 0))
				   : NULL;
		int rc = dfo_err_set(err, -EINVAL,
				     "%s is a CNAME (to %s) at %s: it cannot "
				     "hold addresses (the server would ignore "
				     "them); point the pool at a name of its "
				     "own or remove the CNAME",
				     n ? n : "?", to ? to : "?", r->where);
		free(n);
		free(to);
		return rc;
	}
	return 0;
}

int query_zone(struct rfc *r, const ldns_rdf *name, ldns_rdf **zone,
	       struct dfo_err *err)
{
	char *text = ldns_rdf2str(name);
	if (!text)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	int rc = 0;
	const char *z = r->zone;
	for (unsigned i = 0; !z && i < RFC_ZCACHE; i++)
		if (r->zc[i].fqdn && strcmp(r->zc[i].fqdn, text) == 0)
			z = r->zc[i].zone;
	if (z) {
		if (ldns_str2rdf_dname(zone, z) != LDNS_STATUS_OK)
			rc = dfo_err_set(err, -EINVAL, "bad zone '%s'", z);
		goto check;
	}
	ldns_pkt *p = NULL;
	rc = query_ask(r, name, LDNS_RR_TYPE_SOA, &p, err);
	if (rc < 0)
		goto out;
	if ((rc = alias_check(r, p, name, err)) < 0) {
		ldns_pkt_free(p);
		goto out;
	}
	*zone = NULL;
	ldns_rr_list *secs[2] = {ldns_pkt_answer(p), ldns_pkt_authority(p)};
	for (int s = 0; s < 2 && !*zone; s++)
		for (size_t i = 0;
		     secs[s] && i < ldns_rr_list_rr_count(secs[s]); i++) {
			ldns_rr *rr = ldns_rr_list_rr(secs[s], i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA) {
				*zone = ldns_rdf_clone(ldns_rr_owner(rr));
				break;
			}
		}
	ldns_pkt_free(p);
	if (!*zone) {
		rc = dfo_err_set(err, -ENOENT, "%s: no SOA for %s (set 'zone')",
				 r->where, text);
		goto out;
	}
	ldns_dname2canonical(*zone);
	struct zcache *c = &r->zc[r->zc_next++ % RFC_ZCACHE];
	free(c->fqdn);
	free(c->zone);
	c->fqdn = strdup(text);
	c->zone = ldns_rdf2str(*zone);
	if (!c->fqdn || !c->zone) {
		free(c->fqdn);
		free(c->zone);
		c->fqdn = c->zone = NULL;
	}
check:
	if (rc == 0 && ldns_dname_compare(name, *zone) != 0 &&
	    !ldns_dname_is_subdomain(name, *zone)) {
		char *zt = query_name_text(*zone), *nt = query_name_text(name);
		rc = dfo_err_set(err, -EINVAL, "%s is not in zone %s",
				 nt ? nt : "?", zt ? zt : "?");
		free(zt);
		free(nt);
		ldns_rdf_deep_free(*zone);
		*zone = NULL;
	}
out:
	free(text);
	return rc;
}

int query_list(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
	       struct dfo_rrset *out, struct dfo_err *err)
{
	ldns_pkt *p = NULL;
	int rc = query_ask(r, name,
			   out->family == AF_INET ? LDNS_RR_TYPE_A
						  : LDNS_RR_TYPE_AAAA,
			   &p, err);
	if (rc < 0)
		return rc;
	if ((rc = alias_check(r, p, name, err)) < 0) {
		ldns_pkt_free(p);
		return rc;
	}
	rc = query_records(p, name, out);
	ldns_pkt_free(p);
	if (rc < 0)
		return dfo_err_set(err, rc, "bad answer from %s", r->where);
	return out->count ? update_own_check(r, zone, name, out, err) : 0;
}

/* ------------------------------------------------------------------ */
/* State texts                                                         */

/* The text of `rr` if it is a state text (one string, 1..DFO_TXT_MAX
 * printable bytes), NUL-terminated in out.  See provider.c, "State
 * records". */
static bool rr_state_text(const ldns_rr *rr, char out[DFO_TXT_MAX + 1])
{
	const ldns_rdf *d =
		ldns_rr_rd_count(rr) == 1 ? ldns_rr_rdf(rr, 0) : NULL;
	if (!d || ldns_rdf_get_type(d) != LDNS_RDF_TYPE_STR)
		return false;
	size_t n = ldns_rdf_size(d);
	const uint8_t *p = ldns_rdf_data(d);
	if (n < 2 || !p || p[0] != n - 1)
		return false;
	for (size_t i = 1; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	memcpy(out, p + 1, n - 1);
	out[n - 1] = '\0';
	return true;
}

int query_txt_records(const ldns_pkt *p, const ldns_rdf *name,
		      struct dfo_txtset *out)
{
	ldns_rr_list *an = ldns_pkt_answer(p);
	bool first = true;
	for (size_t i = 0; an && i < ldns_rr_list_rr_count(an); i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		char text[DFO_TXT_MAX + 1];
		if (!rr_is(rr, LDNS_RR_TYPE_TXT, name) ||
		    !rr_state_text(rr, text))
			continue;
		if (dfo_txtset_add(out, text) < 0)
			return -ENOMEM;
		ttl_min(&out->ttl, &first, rr);
	}
	return 0;
}
