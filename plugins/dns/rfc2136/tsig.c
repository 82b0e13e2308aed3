/*
 * dns "rfc2136": the key (RFC 8945 TSIG) from the options or a key file,
 * and what an answer's TSIG says, in words an operator can act on.  The
 * signing and verification are the core's (include/dnsfailover/tsig.h,
 * src/lib/tsig.c, shared with the awsdns responder's zone transfers).
 * The secret never appears in a message or a log line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "rfc2136.h"

int tsig_setup(struct rfc *r, cfg_t *sec, struct dfo_err *err)
{
	const char *name = cfg_getstr(sec, "key_name");
	const char *alg = cfg_getstr(sec, "key_algorithm");
	const char *secret = cfg_getstr(sec, "key_secret");
	const char *file = cfg_getstr(sec, "key_file");
	int rc;
	if (secret && file)
		return dfo_err_set(err, -EINVAL,
				   "key_secret and key_file: give one of them");
	if (secret && !*secret)
		return dfo_err_set(err, -EINVAL,
				   "key_secret is empty (is its environment "
				   "variable set?)");
	if (file) {
		rc = dfo_tsig_key_file(file, name, alg, &r->key, err);
		if (rc < 0 && err) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			dfo_err_set(err, rc, "key_file: %s", why);
		}
		return rc;
	}
	if (!name && !secret)
		return 0; /* unsigned */
	if (!name || !*name)
		return dfo_err_set(err, -EINVAL, "key_secret needs key_name");
	if (!secret || !*secret)
		return dfo_err_set(err, -EINVAL,
				   "key_name needs key_secret or key_file");
	return dfo_tsig_key_new(name, alg, secret, &r->key, err);
}

/* A BADTIME answer: how far the server's clock is from this host's. */
static int badtime(const struct rfc *r, const struct dfo_tsig_seen *t,
		   time_t now, struct dfo_err *err)
{
	/* The server's clock: the other data (RFC 8945 5.2.3, 48 bits),
	 * else the time it signed with. */
	uint64_t srv = t->time;
	if (t->otherlen == 6 && t->other)
		srv = ((uint64_t)ldns_read_uint16(t->other) << 32) |
		      ldns_read_uint32(t->other + 2);
	bool ahead = srv > (uint64_t)now;
	uint64_t skew = ahead ? srv - (uint64_t)now : (uint64_t)now - srv;
	return dfo_err_set(err, -EACCES,
			   "BADTIME from %s (TSIG error): the server's clock "
			   "is %llu s %s this host's (%u s allowed): set both "
			   "clocks right (NTP)",
			   r->where, (unsigned long long)skew,
			   ahead ? "ahead of" : "behind",
			   t->fudge ? t->fudge : RFC_FUDGE);
}

int tsig_check(const struct rfc *r, const uint8_t *ans, size_t len,
	       const uint8_t *reqmac, unsigned reqmaclen, time_t now,
	       struct dfo_err *err)
{
	struct dfo_tsig_seen t;
	int rc = dfo_tsig_verify(r->key, ans, len, reqmac, reqmaclen,
				 (uint64_t)now, 0, &t);
	if (rc == -EBADMSG)
		return dfo_err_set(err, -EBADMSG, "malformed answer from %s",
				   r->where);
	/* A TSIG error, whether or not the server could sign the answer. */
	if (t.error == DFO_TSIG_BADTIME)
		return badtime(r, &t, now, err);
	if (t.error == DFO_TSIG_BADKEY && r->key_ok && r->doing[0])
		return dfo_err_set(err, -EACCES,
				   "BADKEY from %s (TSIG error) for the update "
				   "(%s): the server accepted key '%s' before, "
				   "so its policy refused this type of update "
				   "for the key (Knot: acl update-type; BIND: "
				   "update-policy)",
				   r->where, r->doing,
				   dfo_tsig_key_name(r->key));
	if (t.error)
		return dfo_err_set(err, -EACCES,
				   "%s from %s (TSIG error: key '%s' refused)",
				   rcode_name(t.error), r->where,
				   dfo_tsig_key_name(r->key));
	if (rc >= 0)
		return rc;
	switch (rc == -EACCES ? t.verdict : 0) {
	case DFO_TSIG_BADKEY:
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s signed with another key",
				   r->where);
	case DFO_TSIG_BADSIG:
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s fails TSIG verification "
				   "(wrong key_secret?)",
				   r->where);
	case DFO_TSIG_BADTIME: {
		uint64_t diff = (uint64_t)now > t.time ? (uint64_t)now - t.time
						       : t.time - (uint64_t)now;
		return dfo_err_set(err, -EBADMSG,
				   "answer from %s is signed %llu s away from "
				   "this host's clock",
				   r->where, (unsigned long long)diff);
	}
	default:
		return dfo_err_set(err, rc, "TSIG: %s", strerror(-rc));
	}
}
