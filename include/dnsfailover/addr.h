/*
 * Addresses: IPv4 and IPv6 alike.
 */
#ifndef DNSFAILOVER_ADDR_H
#define DNSFAILOVER_ADDR_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#ifdef __cplusplus
extern "C" {
#endif

struct dfo_addr {
	int family; /* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} u;
};

/* Enough for any formatted address, with its NUL. */
#define DFO_ADDR_STRLEN 46

/* Parse a literal IPv4 or IPv6 address (no names, no ports, no
 * surrounding space).  0, or -EINVAL. */
int dfo_addr_parse(struct dfo_addr *out, const char *text);

/* Parse only if the result has `family` (AF_UNSPEC: either). */
int dfo_addr_parse_family(struct dfo_addr *out, const char *text, int family);

/* Format into buf (at least DFO_ADDR_STRLEN bytes); returns buf. */
const char *dfo_addr_format(const struct dfo_addr *addr, char *buf, size_t len);

/* Numeric order: IPv4 before IPv6, then by address bytes. */
int dfo_addr_cmp(const struct dfo_addr *a, const struct dfo_addr *b);
bool dfo_addr_equal(const struct dfo_addr *a, const struct dfo_addr *b);
void dfo_addr_sort(struct dfo_addr *addrs, size_t count);

/* Fill a sockaddr (sockaddr_in or sockaddr_in6) for addr:port; returns
 * its length. */
socklen_t dfo_addr_to_sockaddr(const struct dfo_addr *addr, unsigned port,
			       struct sockaddr_storage *ss);

/* Split "HOST:PORT", "[IPV6]:PORT", "[IPV6]", "HOST" or a bare IPv6
 * address (two colons or more, no port) into its host and its port.
 * HOST is copied into host (hostlen bytes with its NUL) unchecked: a
 * name or an address literal, the caller parses it.  A port is decimal
 * digits only, 1 to 65535; defport is used when none is written, and 0
 * makes a port required.  *bracketed (may be NULL) tells whether the host
 * was written in brackets.  0; -EINVAL when malformed (nothing after the
 * colon, a bad port, an empty host, text after "]"), -ENAMETOOLONG when
 * the host does not fit. */
int dfo_hostport_parse(const char *text, unsigned defport, char *host,
		       size_t hostlen, unsigned *port, bool *bracketed);

/* "ipv4" / "ipv6" / "any" to AF_INET / AF_INET6 / AF_UNSPEC; -1 if none. */
int dfo_family_parse(const char *text);
const char *dfo_family_name(int family);

#ifdef __cplusplus
}
#endif
#endif
