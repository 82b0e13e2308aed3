/* IPv4/IPv6 addresses and record sets. */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

int dfo_addr_parse(struct dfo_addr *out, const char *text)
{
	return dfo_addr_parse_family(out, text, AF_UNSPEC);
}

int dfo_addr_parse_family(struct dfo_addr *out, const char *text, int family)
{
	struct dfo_addr a;
	memset(&a, 0, sizeof(a));
	if (!text)
		return -EINVAL;
	if ((family == AF_UNSPEC || family == AF_INET) &&
	    inet_pton(AF_INET, text, &a.u.v4) == 1)
		a.family = AF_INET;
	else if ((family == AF_UNSPEC || family == AF_INET6) &&
		 inet_pton(AF_INET6, text, &a.u.v6) == 1)
		a.family = AF_INET6;
	else
		return -EINVAL;
	*out = a;
	return 0;
}

const char *dfo_addr_format(const struct dfo_addr *addr, char *buf, size_t len)
{
	if (!addr || !inet_ntop(addr->family, &addr->u, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int dfo_addr_cmp(const struct dfo_addr *a, const struct dfo_addr *b)
{
	if (a->family != b->family)
		return a->family == AF_INET ? -1 : 1;
	if (a->family == AF_INET) {
		uint32_t x = ntohl(a->u.v4.s_addr), y = ntohl(b->u.v4.s_addr);
		return x < y ? -1 : x > y;
	}
	return memcmp(&a->u.v6, &b->u.v6, sizeof(a->u.v6));
}

bool dfo_addr_equal(const struct dfo_addr *a, const struct dfo_addr *b)
{
	return dfo_addr_cmp(a, b) == 0;
}

static int addr_qsort_cmp(const void *a, const void *b)
{
	return dfo_addr_cmp(a, b);
}

void dfo_addr_sort(struct dfo_addr *addrs, size_t count)
{
	if (count > 1)
		qsort(addrs, count, sizeof(*addrs), addr_qsort_cmp);
}

socklen_t dfo_addr_to_sockaddr(const struct dfo_addr *addr, unsigned port,
			       struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (addr->family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr = addr->u.v4;
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((uint16_t)port);
	sin6->sin6_addr = addr->u.v6;
	return sizeof(*sin6);
}

static int port_parse(const char *text, unsigned *port)
{
	unsigned long p = 0;
	if (!*text)
		return -EINVAL;
	for (const char *c = text; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		p = p * 10 + (unsigned long)(*c - '0');
		if (p > 65535)
			return -EINVAL;
	}
	if (p == 0)
		return -EINVAL;
	*port = (unsigned)p;
	return 0;
}

int dfo_hostport_parse(const char *text, unsigned defport, char *host,
		       size_t hostlen, unsigned *port, bool *bracketed)
{
	const char *h = text, *end, *ptext = NULL;
	if (!text || !host || !hostlen || !port)
		return -EINVAL;
	if (bracketed)
		*bracketed = text[0] == '[';
	if (text[0] == '[') {
		h = text + 1;
		end = strchr(h, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		if (end[1] == ':')
			ptext = end + 2;
	} else {
		const char *colon = strchr(text, ':');
		if (colon && !strchr(colon + 1, ':')) {
			end = colon;
			ptext = colon + 1;
		} else {
			end = text + strlen(text); /* no port, or a bare IPv6 */
		}
	}
	size_t n = (size_t)(end - h);
	if (n == 0)
		return -EINVAL;
	if (n >= hostlen)
		return -ENAMETOOLONG;
	unsigned p = defport;
	if (ptext ? port_parse(ptext, &p) < 0 : defport == 0)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	*port = p;
	return 0;
}

int dfo_family_parse(const char *text)
{
	if (!text)
		return -1;
	if (!strcmp(text, "ipv4") || !strcmp(text, "inet") ||
	    !strcmp(text, "4"))
		return AF_INET;
	if (!strcmp(text, "ipv6") || !strcmp(text, "inet6") ||
	    !strcmp(text, "6"))
		return AF_INET6;
	if (!strcmp(text, "any"))
		return AF_UNSPEC;
	return -1;
}

const char *dfo_family_name(int family)
{
	switch (family) {
	case AF_INET:
		return "ipv4";
	case AF_INET6:
		return "ipv6";
	default:
		return "any";
	}
}

/* ---- record sets ---- */

void dfo_rrset_init(struct dfo_rrset *set, int family)
{
	memset(set, 0, sizeof(*set));
	set->family = family;
}

bool dfo_rrset_contains(const struct dfo_rrset *set,
			const struct dfo_addr *addr)
{
	for (size_t i = 0; i < set->count; i++)
		if (dfo_addr_equal(&set->addrs[i], addr))
			return true;
	return false;
}

int dfo_rrset_add(struct dfo_rrset *set, const struct dfo_addr *addr)
{
	if (dfo_rrset_contains(set, addr))
		return 0;
	struct dfo_addr *v =
		dfo_grow(set->addrs, &set->cap, set->count + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	set->addrs = v;
	set->addrs[set->count++] = *addr;
	return 0;
}

bool dfo_rrset_remove(struct dfo_rrset *set, const struct dfo_addr *addr)
{
	for (size_t i = 0; i < set->count; i++) {
		if (dfo_addr_equal(&set->addrs[i], addr)) {
			memmove(&set->addrs[i], &set->addrs[i + 1],
				(set->count - i - 1) * sizeof(*set->addrs));
			set->count--;
			return true;
		}
	}
	return false;
}

void dfo_rrset_sort(struct dfo_rrset *set)
{
	dfo_addr_sort(set->addrs, set->count);
}

bool dfo_rrset_same(const struct dfo_rrset *a, const struct dfo_rrset *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (!dfo_rrset_contains(b, &a->addrs[i]))
			return false;
	return true;
}

int dfo_rrset_copy(struct dfo_rrset *dst, const struct dfo_rrset *src)
{
	dfo_rrset_clear(dst);
	dst->family = src->family;
	dst->ttl = src->ttl;
	for (size_t i = 0; i < src->count; i++)
		if (dfo_rrset_add(dst, &src->addrs[i]) < 0)
			return -ENOMEM;
	return 0;
}

void dfo_rrset_clear(struct dfo_rrset *set)
{
	free(set->addrs);
	set->addrs = NULL;
	set->count = set->cap = 0;
}

/* ---- names ---- */

static bool label_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
}

#define FQDN_WHY(...)                                                          \
	(why && whylen ? (void)snprintf(why, whylen, __VA_ARGS__) : (void)0)

bool dfo_fqdn_valid(const char *name, char *why, size_t whylen)
{
	if (why && whylen)
		why[0] = '\0';
	if (!name || !*name) {
		FQDN_WHY("empty name");
		return false;
	}
	size_t len = strlen(name);
	if (len > 1 && name[len - 1] == '.')
		len--; /* the final dot of an absolute name */
	if (len == 1 && name[0] == '.') {
		FQDN_WHY("the root name '.' is not a usable name");
		return false;
	}
	if (len > 253) {
		FQDN_WHY("name of %zu bytes, longer than 253", len);
		return false;
	}
	size_t start = 0;
	bool digits = true;
	for (size_t i = 0; i <= len; i++) {
		unsigned char ch = i < len ? (unsigned char)name[i] : '.';
		if (ch == '.') {
			size_t ll = i - start;
			if (ll == 0) {
				FQDN_WHY("empty label at byte %zu (two dots, "
					 "or a "
					 "leading dot)",
					 i);
				return false;
			}
			if (ll > 63) {
				FQDN_WHY(
					"label '%.16s...' of %zu bytes, longer "
					"than 63",
					name + start, ll);
				return false;
			}
			if (name[start] == '-' || name[i - 1] == '-') {
				FQDN_WHY("label '%.*s' begins or ends with '-'",
					 (int)ll, name + start);
				return false;
			}
			digits = true;
			for (size_t k = start; k < i; k++)
				if (name[k] < '0' || name[k] > '9')
					digits = false;
			start = i + 1;
			continue;
		}
		if (!label_char(ch)) {
			const char *what = ch == ' ' ? "a space"
					   : ch < 0x20 || ch == 0x7f
						   ? "a control byte"
					   : ch >= 0x80 ? "a non-ASCII byte"
							: "the character";
			if (ch > 0x20 && ch < 0x7f)
				FQDN_WHY("%s '%c' at offset %zu (a name has "
					 "only "
					 "letters, digits, '-', '_' and dots)",
					 what, ch, i);
			else
				FQDN_WHY("%s (\\x%02x) at offset %zu (a name "
					 "has "
					 "only letters, digits, '-', '_' and "
					 "dots)",
					 what, ch, i);
			return false;
		}
	}
	if (digits) {
		FQDN_WHY(
			"the last label is all digits: an address, not a name");
		return false;
	}
	return true;
}

int dfo_name_wire(const char *text, uint8_t out[256], size_t *outlen)
{
	size_t o = 0, n = strlen(text);
	if (n && text[n - 1] == '.')
		n--;
	if (n == 0) { /* the root */
		out[0] = 0;
		*outlen = 1;
		return 0;
	}
	size_t i = 0;
	while (i <= n) {
		size_t s = i;
		while (i < n && text[i] != '.')
			i++;
		size_t l = i - s;
		if (l == 0 || l > 63 || o + 1 + l + 1 > 255)
			return -EINVAL;
		out[o++] = (uint8_t)l;
		for (size_t k = s; k < i; k++) {
			unsigned char c = (unsigned char)text[k];
			if (c <= ' ' || c == '\\' || c >= 0x7f)
				return -EINVAL;
			out[o++] = (uint8_t)tolower(c);
		}
		i++; /* the dot */
	}
	out[o++] = 0;
	*outlen = o;
	return 0;
}
