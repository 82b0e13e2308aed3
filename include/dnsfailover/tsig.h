/*
 * TSIG (RFC 8945): keys as tsig-keygen writes them, and the signing and
 * verification of DNS messages with them, for every plugin that talks
 * DNS (the rfc2136 provider's updates, the awsdns responder's zone
 * transfers and NOTIFY).  A key's secret never leaves it: no function
 * here returns it or puts it in an error message.
 */
#ifndef DNSFAILOVER_TSIG_H
#define DNSFAILOVER_TSIG_H
#include <stddef.h>
#include <stdint.h>

#include <dnsfailover/plugin.h>

/* The longest MAC (HMAC-SHA512). */
#define DFO_TSIG_MAXMAC 64
/* The most a TSIG record adds to a message. */
#define DFO_TSIG_MAXRR (2 * 255 + 10 + 16 + DFO_TSIG_MAXMAC + 6)

/* TSIG error codes (RFC 8945 3). */
enum dfo_tsig_error {
	DFO_TSIG_BADSIG = 16,
	DFO_TSIG_BADKEY = 17,
	DFO_TSIG_BADTIME = 18,
	DFO_TSIG_BADTRUNC = 22,
};

/* sign/verify flags: a later message of a multi-message answer (a zone
 * transfer), whose MAC covers the previous MAC, the message and only the
 * timers (RFC 8945 5.3.1). */
#define DFO_TSIG_TIMERS_ONLY 1u

struct dfo_tsig_key;

/*
 * A key from its name, algorithm ("hmac-sha256", also with a final dot;
 * NULL: hmac-sha256) and base64 secret.  *out is freed with
 * dfo_tsig_key_free.  0, or negative with err (-EINVAL: a bad name,
 * algorithm or secret).
 */
int dfo_tsig_key_new(const char *name, const char *algorithm,
		     const char *secret, struct dfo_tsig_key **out,
		     struct dfo_err *err);

/*
 * A key from a file as tsig-keygen (BIND) or keymgr writes it:
 *     key "NAME" { algorithm hmac-sha256; secret "BASE64"; };
 * The key named `name` (NULL: the first one); when `algorithm` is not
 * NULL the key's must be it.  Messages name the file and a line, never
 * the secret.
 */
int dfo_tsig_key_file(const char *path, const char *name, const char *algorithm,
		      struct dfo_tsig_key **out, struct dfo_err *err);

/* Wipes the secret.  NULL is fine. */
void dfo_tsig_key_free(struct dfo_tsig_key *key);

/* The key's name as configured, and its algorithm's ("hmac-sha256"). */
const char *dfo_tsig_key_name(const struct dfo_tsig_key *key);
const char *dfo_tsig_key_algorithm(const struct dfo_tsig_key *key);

/*
 * Sign the message msg[0, *len), in a buffer of cap bytes (at least
 * *len + DFO_TSIG_MAXRR): the TSIG record is appended, ARCOUNT counts it
 * and *len grows.  prior: the MAC of the request this answers, or of the
 * previous message of the same answer (with DFO_TSIG_TIMERS_ONLY); NULL
 * for a request.  now: the time signed (seconds since the epoch).  The
 * MAC made is written to mac (DFO_TSIG_MAXMAC bytes), its length to
 * *maclen, for the next message.  0, -ENOSPC, or -EIO.
 */
int dfo_tsig_sign(const struct dfo_tsig_key *key, uint8_t *msg, size_t *len,
		  size_t cap, const uint8_t *prior, size_t priorlen,
		  uint64_t now, unsigned flags, uint8_t *mac, size_t *maclen);

/* What dfo_tsig_verify found. */
struct dfo_tsig_seen {
	size_t off;	  /* the TSIG record starts here */
	uint16_t orig_id; /* the message's id when it was signed */
	uint16_t error;	  /* the error the signer reported (BADKEY...) */
	uint16_t fudge;
	uint64_t time;	    /* when it was signed */
	const uint8_t *mac; /* into the message */
	size_t maclen;
	unsigned verdict;   /* on -EACCES: DFO_TSIG_BADKEY, BADSIG or BADTIME */
	char key_name[256]; /* the record's key name, text, lower case */
	/* The record's other data (into the message): in a BADTIME answer,
	 * the server's clock (6 bytes, RFC 8945 5.2.3). */
	const uint8_t *other;
	size_t otherlen;
};

/*
 * Verify the TSIG of msg[0, len) with key (prior, flags: as for
 * dfo_tsig_sign; now: this host's clock).  1: signed with the key and
 * verified; 0: no TSIG record; -EBADMSG: malformed, or a TSIG that is not
 * the last record; -EACCES: a TSIG that does not verify, seen->verdict
 * says why (another key or algorithm, a wrong MAC, a time outside the
 * fudge) and seen->error what the signer reported.
 */
int dfo_tsig_verify(const struct dfo_tsig_key *key, const uint8_t *msg,
		    size_t len, const uint8_t *prior, size_t priorlen,
		    uint64_t now, unsigned flags, struct dfo_tsig_seen *seen);

#endif
