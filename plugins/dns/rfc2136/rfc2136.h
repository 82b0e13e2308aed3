/*
 * dns "rfc2136" internals, shared by the files of the module (never
 * installed, never seen by the core).  The module is:
 *
 *   provider.c   the provider: options, create/start, list/add/del, the
 *                state operations (quorum eviction)
 *   query.c      queries and what their answers hold: records, TXT state
 *                texts, aliases, the zone of a name
 *   update.c     UPDATE messages with their prerequisites (RFC 2136):
 *                add/del, the wildcard probe, state changes
 *   transport.c  one request: signed, sent over UDP or TCP, the answer
 *                matched, TSIG-checked and parsed; rcode names
 *   tsig.c       the key options and key files; an answer's TSIG judged
 *                (the signing itself is the core's, src/lib/tsig.c)
 *
 * Every function here returns 0 or a negative errno (with err set)
 * unless it says otherwise.
 */
#ifndef RFC2136_H
#define RFC2136_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>
#include <dnsfailover/dnsfailover.h>
#include <dnsfailover/tsig.h>

#define RFC_MAXMSG 65535
#define RFC_UDPMAX 512
#define RFC_FUDGE  300
#define RFC_ZCACHE 8

struct zcache {
	char *fqdn; /* lower case, no final dot */
	char *zone;
};

/* What a probe found about a name's answer (see update_own_check()). */
struct wcache {
	char *fqdn;	      /* lower case, no final dot */
	struct dfo_rrset set; /* the answer probed, sorted */
	bool synth;	      /* a wildcard's: the name has none of its own */
};

struct rfc {
	char *instance;
	struct dfo_addr srv;
	unsigned port;
	char where[DFO_ADDR_STRLEN + 10]; /* "192.0.2.53:53", "[::1]:53" */
	char *zone;			  /* configured, or NULL */
	struct dfo_tsig_key *key;	  /* NULL: unsigned */
	uint32_t ttl;
	double timeout;
	bool tcp;
	struct zcache zc[RFC_ZCACHE];
	unsigned zc_next;
	struct wcache wc[RFC_ZCACHE];
	unsigned wc_next;
	bool key_ok;	/* the server has verified-answered with the key */
	char doing[96]; /* the update being sent ("AAAA add"), or "" */
};

/* ------------------------------------------------------------------ */
/* transport.c                                                         */

/* An rcode's name ("NOERROR", "BADKEY"), and the errno it stands for. */
const char *rcode_name(unsigned rc);
int rcode_errno(unsigned rc);

/* Does this answer's rcode say the server judged the request (not a
 * refusal)?  A keyed server signs those. */
bool rcode_judged(unsigned rc);

/*
 * One request: sign pkt (when a key is set), send it, check the answer's
 * TSIG and parse it.  *out: the answer (caller frees); *rcode: its rcode
 * (or the TSIG error).  Returns 0 when an answer came whose rcode the
 * caller must judge; negative with err otherwise.
 */
int transport_request(struct rfc *r, ldns_pkt *pkt, ldns_pkt **out,
		      unsigned *rcode, struct dfo_err *err);

/* Judge an answer (the part of transport_request() after the exchange,
 * apart so that the fuzz target reaches it): reqmac is the request's MAC,
 * now this host's clock. */
int transport_answer(const struct rfc *r, const uint8_t *ans, size_t len,
		     const uint8_t *reqmac, unsigned reqmaclen, time_t now,
		     ldns_pkt **out, unsigned *rcode, struct dfo_err *err);

/* ------------------------------------------------------------------ */
/* tsig.c                                                              */

/* The key options (key_name, key_algorithm, key_secret, key_file) of
 * section sec into r->key (left NULL when none: unsigned). */
int tsig_setup(struct rfc *r, cfg_t *sec, struct dfo_err *err);

/*
 * Check the TSIG of an answer to a request whose MAC was reqmac.
 * 1: signed and verified; 0: not signed; negative with err: a TSIG
 * error from the server (BADKEY...), or a TSIG that does not verify.
 */
int tsig_check(const struct rfc *r, const uint8_t *ans, size_t len,
	       const uint8_t *reqmac, unsigned reqmaclen, time_t now,
	       struct dfo_err *err);

/* ------------------------------------------------------------------ */
/* query.c                                                             */

/* fqdn as a canonical (lower-case) ldns name; *out: caller frees. */
int query_name(const char *fqdn, ldns_rdf **out, struct dfo_err *err);

/* A name as text without the final dot (caller frees), or NULL. */
char *query_name_text(const ldns_rdf *name);

/* Ask the server for name/type, RD=0.  An answer must be authoritative
 * (NOERROR or NXDOMAIN); *out: the answer. */
int query_ask(struct rfc *r, const ldns_rdf *name, ldns_rr_type type,
	      ldns_pkt **out, struct dfo_err *err);

/* The zone of a name: configured, cached, or the owner of the SOA the
 * server answers with; a name outside it is an error.  *zone: caller
 * frees. */
int query_zone(struct rfc *r, const ldns_rdf *name, ldns_rdf **zone,
	       struct dfo_err *err);

/* The records of `name` and out->family in the answer section of p
 * (-EBADMSG: a malformed record, -ENOMEM). */
int query_records(const ldns_pkt *p, const ldns_rdf *name,
		  struct dfo_rrset *out);

/* The state texts of `name` in the answer section of p.  0, -ENOMEM. */
int query_txt_records(const ldns_pkt *p, const ldns_rdf *name,
		      struct dfo_txtset *out);

/* The records of `name` (in `zone`) of out->family, as the server holds
 * them: a wildcard's answer is none (update_own_check()). */
int query_list(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
	       struct dfo_rrset *out, struct dfo_err *err);

/* ------------------------------------------------------------------ */
/* update.c                                                            */

/*
 * One UPDATE of `name`: add (or delete) `a`, with the prerequisite that
 * the RRset is exactly `expected` (or absent when it is empty).
 * DFO_ESTALE when the server says it is not.
 */
int update_addr(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
		const char *fqdn, bool add, const struct dfo_addr *a,
		const struct dfo_rrset *expected, struct dfo_err *err);

/* Empties `out` when the records the server answered for `name` are a
 * wildcard's, not its own (asked once per answer, with an UPDATE whose
 * prerequisite the server judges on its zone's own data). */
int update_own_check(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
		     struct dfo_rrset *out, struct dfo_err *err);

/* One UPDATE of the state name `name` (text `name_text`): delete the TXT
 * record `del`, add `add` with `ttl` (either may be NULL; texts checked
 * by the caller), together. */
int update_state(struct rfc *r, const ldns_rdf *zone, const ldns_rdf *name,
		 const char *name_text, const char *del, const char *add,
		 uint32_t ttl, struct dfo_err *err);

#endif
