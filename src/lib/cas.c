/*
 * Compare-and-set for dns providers (plugin.h): the retry of an
 * unconditional change, and the rules of an add or a delete around a
 * provider's own read and write (route53, rfc2136).
 */
#include "config.h"

#include <errno.h>
#include <sys/socket.h>

#include "core.h"

int dfo_cas_retry(bool conditional,
		  int (*attempt)(void *ctx, struct dfo_err *err), void *ctx,
		  struct dfo_err *err)
{
	int rc = 0;
	for (int i = 0; i < (conditional ? 1 : DFO_CAS_TRIES); i++)
		if ((rc = attempt(ctx, err)) != DFO_ESTALE)
			break;
	return rc;
}

struct change {
	const struct dfo_dns_cas *cas;
	const char *fqdn;
	bool add;
	const struct dfo_addr *addr;
	const struct dfo_rrset *expected;
};

/* One read (unless expected) and one write. */
static int change_once(void *ctx, struct dfo_err *err)
{
	const struct change *c = ctx;
	const struct dfo_rrset *old = c->expected;
	struct dfo_rrset cur;
	int rc = 0;
	dfo_rrset_init(&cur, c->addr->family);
	if (!old) {
		rc = c->cas->read(c->cas->ctx, &cur, err);
		old = &cur;
	}
	if (rc < 0 || dfo_rrset_contains(old, c->addr) == c->add) {
		/* an error, or already so */
	} else if (!c->add && old->count == 1) {
		char at[DFO_ADDR_STRLEN];
		rc = dfo_err_set(err, DFO_ELAST,
				 "not deleting %s: it is the "
				 "last %s record of %s",
				 dfo_addr_format(c->addr, at, sizeof(at)),
				 c->addr->family == AF_INET ? "A" : "AAAA",
				 c->fqdn);
	} else {
		rc = c->cas->write(c->cas->ctx, old, err);
	}
	dfo_rrset_clear(&cur);
	return rc;
}

int dfo_dns_cas_change(const struct dfo_dns_cas *cas, const char *fqdn,
		       bool add, const struct dfo_addr *addr,
		       const struct dfo_rrset *expected, struct dfo_err *err)
{
	struct change c = {cas, fqdn, add, addr, expected};
	return dfo_cas_retry(expected != NULL, change_once, &c, err);
}
