/*
 * dns "rfc2136": UPDATE messages (RFC 2136), each built by update_pkt()
 * from its prerequisites and its changes, RD clear.
 *
 *  - add/del: compare-and-set through prerequisites: "the RRset exists
 *    with exactly these records" (value-dependent, 2.4.2) or "the RRset
 *    does not exist" (2.4.3) when the set read was empty.  YXRRSET and
 *    NXRRSET mean another writer came first: DFO_ESTALE.  Only the one
 *    record of the one type is added or deleted (class NONE delete,
 *    2.5.4).
 *  - the wildcard probe: "an RRset of this type exists" (2.4.1) and
 *    nothing to change, judged on the zone's own records.
 *  - state changes: the delete of one exact TXT record and the add of
 *    another, without prerequisites.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "rfc2136.h"

static ldns_rr *rr_make(const ldns_rdf *name, int family, uint32_t ttl,
			ldns_rr_class cls, const struct dfo_addr *a)
{
	ldns_rr *rr = ldns_rr_new();
	if (!rr)
		return NULL;
	ldns_rr_set_owner(rr, ldns_rdf_clone(name));
	ldns_rr_set_type(rr, family == AF_INET ? LDNS_RR_TYPE_A
					       : LDNS_RR_TYPE_AAAA);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	if (a) {
		ldns_rdf *d =
			family == AF_INET
				? ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4,
							&a->u.v4)
				: ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16,
							&a->u.v6);
		if (!d || !ldns_rr_push_rdf(rr, d)) {
			ldns_rdf_deep_free(d);
			ldns_rr_free(rr);
			return NULL;
		}
	}
	return rr;
}

/* A TXT record of one character-string (text checked by the caller). */
static ldns_rr *rr_txt(const ldns_rdf *name, uint32_t ttl, ldns_rr_class cls,
		       const char *text)
{
	uint8_t buf[DFO_TXT_MAX + 1];
	size_t n = strlen(text);
	buf[0] = (uint8_t)n;
	memcpy(buf + 1, text, n);
	ldns_rr *rr = ldns_rr_new();
	if (!rr)
		return NULL;
	ldns_rdf *d = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, n + 1, buf);
	ldns_rdf *o = ldns_rdf_clone(name);
	if (!d || !o) {
		ldns_rdf_deep_free(d);
		ldns_rdf_deep_free(o);
		ldns_rr_free(rr);
		return NULL;
	}
	ldns_rr_set_owner(rr, o);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_TXT);
	ldns_rr_set_class(rr, cls);
	ldns_rr_set_ttl(rr, ttl);
	if (!ldns_rr_push_rdf(rr, d)) {
		ldns_rdf_deep_free(d);
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* Push rr (NULL when it could not be made) onto list. */
static bool list_push(ldns_rr_list *list, ldns_rr *rr)
{
	if (rr && ldns_rr_list_push_rr(list, rr))
		return true;
	ldns_rr_free(rr);
	return false;
}

/*
 * The UPDATE of `zone` with the prerequisites `pre` (NULL: none) and the
 * changes `up` (copied), RD clear; NULL when out of memory.
 * ldns_update_pkt_new() takes the zone name: it gets a copy, freed here
 * when no packet is made.
 */
static ldns_pkt *update_pkt(const ldns_rdf *zone, ldns_rr_list *pre,
			    ldns_rr_list *up)
{
	ldns_rdf *zc = ldns_rdf_clone(zone);
	ldns_pkt *pkt =
		zc ? ldns_update_pkt_new(zc, LDNS_RR_CLASS_IN, pre, up, NULL)
		   : NULL;
	if (!pkt) {
		ldns_rdf_deep_free(zc);
		return NULL;
	}
	ldns_pkt_set_rd(pkt, false);
	return pkt;
}

int update_addr(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
		const char *fqdn, bool add, const struct dfo_addr *a,
		const struct dfo_rrset *expected, struct dfo_err *err)
{
	int rc;
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_pkt *pkt = NULL, *ans = NULL;
	bool ok = pre && up;
	if (ok && expected->count == 0) /* RRset does not exist (2.4.3) */
		ok = list_push(pre, rr_make(name, a->family, 0,
					    LDNS_RR_CLASS_NONE, NULL));
	for (size_t i = 0; ok && i < expected->count; i++) /* 2.4.2 */
		ok = list_push(pre,
			       rr_make(name, a->family, 0, LDNS_RR_CLASS_IN,
				       &expected->addrs[i]));
	/* A record added to an existing set takes that set's TTL; a deleted
	 * record's set keeps its own. */
	uint32_t ttl = expected->count ? expected->ttl : r->ttl;
	if (ok)
		ok = list_push(up, add ? rr_make(name, a->family, ttl,
						 LDNS_RR_CLASS_IN, a)
				       : rr_make(name, a->family, 0,
						 LDNS_RR_CLASS_NONE, a));
	if (!ok || !(pkt = update_pkt(zone, pre, up))) {
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	unsigned rcode = 0;
	char at[DFO_ADDR_STRLEN];
	dfo_addr_format(a, at, sizeof(at));
	snprintf(r->doing, sizeof(r->doing), "%s %s %s %s", add ? "add" : "del",
		 a->family == AF_INET ? "A" : "AAAA", fqdn, at);
	rc = transport_request(r, pkt, &ans, &rcode, err);
	r->doing[0] = '\0';
	if (rc < 0)
		goto out;
	if (rcode == LDNS_RCODE_YXRRSET || rcode == LDNS_RCODE_NXRRSET)
		rc = dfo_err_set(err, DFO_ESTALE,
				 "%s changed since it was read (%s from %s)",
				 fqdn, rcode_name(rcode), r->where);
	else if (rcode != LDNS_RCODE_NOERROR)
		rc = dfo_err_set(err, rcode_errno(rcode),
				 "update (%s %s %s) refused: %s from %s",
				 add ? "add" : "del", fqdn, at,
				 rcode_name(rcode), r->where);
	else
		dfo_log(DFO_LOG_DEBUG, "dns/%s: %s %s %s at %s", r->instance,
			add ? "added" : "deleted", at, fqdn, r->where);
out:
	ldns_pkt_free(ans);
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	return rc;
}

/*
 * Whether the records a query answered for `name` are its own or a
 * wildcard's (RFC 1034 4.3.3: "*.wild.example" answers for any name
 * below wild.example that does not exist, with the queried name as the
 * owner, so the answer alone cannot tell).  The server's own data can:
 * an UPDATE with the prerequisite "an RRset of this type exists"
 * (RFC 2136 2.4.1) and nothing to change is judged on the zone's
 * records, never on synthesized ones.  Asked once per answer: the
 * verdict is kept until the name answers something else.  A wildcard's
 * records are no records of this name: `out` is emptied, and said at
 * warning level, once.  A server that will not judge (REFUSED...) leaves
 * the answer believed, as before.
 */

/* Ask the server: the rcode of the probe for name/family. */
static int own_probe(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
		     int family, unsigned *rcode, struct dfo_err *err)
{
	ldns_rr_list *pre = ldns_rr_list_new(), *up = ldns_rr_list_new();
	ldns_pkt *pkt = NULL, *ans = NULL;
	if (pre && up &&
	    list_push(pre, rr_make(name, family, 0, LDNS_RR_CLASS_ANY, NULL)))
		pkt = update_pkt(zone, pre, up); /* nothing to change */
	ldns_rr_list_deep_free(pre);
	ldns_rr_list_deep_free(up);
	if (!pkt)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	int rc = transport_request(r, pkt, &ans, rcode, err);
	ldns_pkt_free(pkt);
	ldns_pkt_free(ans);
	return rc;
}

/* Keep the verdict on `out` (sorted) in c; a wildcard's, said once. */
static int own_keep(struct rfc *r, struct wcache *c, const char *fqdn,
		    const struct dfo_rrset *out, bool synth,
		    struct dfo_err *err)
{
	if (!c->fqdn && !(c->fqdn = strdup(fqdn)))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	dfo_rrset_clear(&c->set);
	dfo_rrset_init(&c->set, out->family);
	if (dfo_rrset_copy(&c->set, out) < 0) {
		free(c->fqdn);
		c->fqdn = NULL;
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	c->synth = synth;
	if (!synth)
		return 0;
	char list[256] = "";
	size_t o = 0;
	for (size_t i = 0; i < out->count && o < sizeof(list) - 1; i++) {
		char a[DFO_ADDR_STRLEN];
		int n = snprintf(list + o, sizeof(list) - o, "%s%s",
				 i ? " " : "",
				 dfo_addr_format(&out->addrs[i], a, sizeof(a)));
		o += n > 0 ? (size_t)n : 0;
	}
	dfo_log(DFO_LOG_WARNING,
		"dns/%s: %s has no %s records of its own: %s "
		"answers %s from a wildcard; taken as none",
		r->instance, fqdn, out->family == AF_INET ? "A" : "AAAA",
		r->where, list);
	return 0;
}

int update_own_check(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
		     struct dfo_rrset *out, struct dfo_err *err)
{
	char *fqdn = query_name_text(name);
	if (!fqdn)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	dfo_rrset_sort(out);
	struct wcache *c = NULL;
	for (unsigned i = 0; i < RFC_ZCACHE && !c; i++)
		if (r->wc[i].fqdn && strcmp(r->wc[i].fqdn, fqdn) == 0 &&
		    r->wc[i].set.family == out->family)
			c = &r->wc[i];
	int rc = 0;
	bool synth;
	if (c && dfo_rrset_same(&c->set, out)) {
		synth = c->synth;
		goto done;
	}
	unsigned rcode = 0;
	struct dfo_err e2;
	dfo_err_clear(&e2);
	rc = own_probe(r, zone, name, out->family, &rcode, &e2);
	if (rc == -EINTR || rc == -ETIMEDOUT || rc == -ENOMEM) {
		if (err)
			*err = e2;
		goto out;
	}
	if (rc < 0 ||
	    (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXRRSET)) {
		dfo_log(DFO_LOG_DEBUG,
			"dns/%s: cannot tell whether the %s "
			"records of %s are its own (%s); believed",
			r->instance, out->family == AF_INET ? "A" : "AAAA",
			fqdn, rc < 0 ? e2.msg : rcode_name(rcode));
		rc = 0; /* asked again at the next answer */
		goto out;
	}
	synth = rcode == LDNS_RCODE_NXRRSET;
	if (!c) {
		c = &r->wc[r->wc_next++ % RFC_ZCACHE];
		free(c->fqdn);
		c->fqdn = NULL;
	}
	if ((rc = own_keep(r, c, fqdn, out, synth, err)) < 0)
		goto out;
done:
	if (synth) {
		int family = out->family;
		dfo_rrset_clear(out);
		dfo_rrset_init(out, family);
	}
out:
	free(fqdn);
	return rc;
}

int update_state(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
		 const char *name_text, const char *del, const char *add,
		 uint32_t ttl, struct dfo_err *err)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_pkt *pkt = NULL, *ans = NULL;
	int rc;
	bool ok = up != NULL;
	if (ok && del) /* delete an RR from an RRset (2.5.4) */
		ok = list_push(up, rr_txt(name, 0, LDNS_RR_CLASS_NONE, del));
	if (ok && add) /* add to an RRset (2.5.1) */
		ok = list_push(up, rr_txt(name, ttl, LDNS_RR_CLASS_IN, add));
	if (!ok || !(pkt = update_pkt(zone, NULL, up))) {
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	unsigned rcode = 0;
	const char *what = del && add ? "replace" : del ? "del" : "add";
	if ((rc = transport_request(r, pkt, &ans, &rcode, err)) < 0) {
		/* Knot refuses an update its acl does not allow with NOTAUTH
		 * and the TSIG error BADKEY, as it would an unknown key. */
		if (rc == -EACCES && err &&
		    strncmp(err->msg, "BADKEY ", 7) == 0) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			dfo_err_set(err, rc,
				    "state update (%s TXT at %s): %s; "
				    "Knot says so also when its acl does not "
				    "allow TXT at that name",
				    what, name_text, why);
		}
		goto out;
	}
	if (rcode == LDNS_RCODE_REFUSED || rcode == LDNS_RCODE_NOTAUTH)
		rc = dfo_err_set(err, rcode_errno(rcode),
				 "state update (%s TXT at %s) refused: %s from "
				 "%s (its update policy must allow TXT at "
				 "that name)",
				 what, name_text, rcode_name(rcode), r->where);
	else if (rcode != LDNS_RCODE_NOERROR)
		rc = dfo_err_set(err, rcode_errno(rcode),
				 "state update (%s TXT at %s) refused: %s from "
				 "%s",
				 what, name_text, rcode_name(rcode), r->where);
	else
		dfo_log(DFO_LOG_DEBUG, "dns/%s: state %s at %s on %s",
			r->instance, what, name_text, r->where);
out:
	ldns_pkt_free(ans);
	ldns_pkt_free(pkt);
	ldns_rr_list_deep_free(up);
	return rc;
}
