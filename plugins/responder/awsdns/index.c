/*
 * awsdns index: the instances of DescribeInstances by forward name and by
 * address, with their extras as ready-made TXT rdata, and the records of
 * Route 53 zones as ready-made RRs.  Built off line by the refresh
 * thread into one arena, sealed (hash tables built), then published
 * whole through an atomic pointer; readers never lock and never write.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "awsdns.h"
#include "dnshdr.h"

static uint32_t hash_bytes(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h ? h : 1;
}

/* dfo_grow() for *arr, also when nothing is needed (an empty arena). */
static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return 0;
	void *p = dfo_grow(*arr, cap, need, elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	return 0;
}

static bool key_eq(const struct awsdns_index *ix, uint32_t off, uint16_t len,
		   const uint8_t *key, size_t klen)
{
	return len == klen && memcmp(ix->arena + off, key, klen) == 0;
}

/* Whether entry e of a table is the one of this key (hash hv). */
typedef bool entry_is_fn(const struct awsdns_index *ix, uint32_t e,
			 const uint8_t *key, size_t klen, uint32_t hv);

static bool name_is(const struct awsdns_index *ix, uint32_t e,
		    const uint8_t *key, size_t klen, uint32_t hv)
{
	const struct idx_name *n = &ix->names[e];
	return n->hash == hv && key_eq(ix, n->key_off, n->key_len, key, klen);
}

static bool rev_is(const struct awsdns_index *ix, uint32_t e,
		   const uint8_t *key, size_t klen, uint32_t hv)
{
	const struct idx_rev *r = &ix->revs[e];
	return r->hash == hv && memcmp(r->addr, key, klen) == 0;
}

static bool rrset_is(const struct awsdns_index *ix, uint32_t e,
		     const uint8_t *key, size_t klen, uint32_t hv)
{
	const struct idx_rrset *s = &ix->rrsets[e];
	return s->hash == hv && key_eq(ix, s->key_off, s->key_len, key, klen);
}

/* Open addressing: the slot of a table (entries +1, 0 empty) holding the
 * entry of this key (hash hv), or the empty slot where it goes.  The
 * tables are sized (table_size) so that an empty slot is always found.
 * Always inlined, `is` with it: each table's probe compiles to the loop
 * it had when written out three times (the lookups are awsdns's hot
 * path). */
static inline __attribute__((always_inline)) size_t
probe(const struct awsdns_index *ix, const uint32_t *tab, size_t mask,
      entry_is_fn *is, const uint8_t *key, size_t klen, uint32_t hv)
{
	size_t h = hv & mask;
	while (tab[h] && !is(ix, tab[h] - 1, key, klen, hv))
		h = (h + 1) & mask;
	return h;
}

static size_t name_slot(const struct awsdns_index *ix, const uint8_t *key,
			size_t klen, uint32_t hv)
{
	return probe(ix, ix->name_tab, ix->name_mask, name_is, key, klen, hv);
}

static size_t rev_slot(const struct awsdns_index *ix, const uint8_t addr[16],
		       uint32_t hv)
{
	return probe(ix, ix->rev_tab, ix->rev_mask, rev_is, addr, 16, hv);
}

static size_t rrset_slot(const struct awsdns_index *ix, const uint8_t *key,
			 size_t klen, uint32_t hv)
{
	return probe(ix, ix->rr_tab, ix->rr_mask, rrset_is, key, klen, hv);
}

/* Append bytes to the arena; their offset in *off. */
static int arena_add(struct awsdns_index *ix, const void *data, size_t len,
		     uint32_t *off)
{
	if (ix->arena_len + len > UINT32_MAX)
		return -E2BIG;
	void *a = ix->arena;
	int rc = grow(&a, &ix->arena_cap, ix->arena_len + len, 1);
	if (rc < 0)
		return rc;
	ix->arena = a;
	memcpy(ix->arena + ix->arena_len, data, len);
	*off = (uint32_t)ix->arena_len;
	ix->arena_len += len;
	return 0;
}

uint32_t soa_serial(const uint8_t *rdata, size_t len)
{
	return dns_get32(rdata + len - 20);
}

void soa_set_serial(uint8_t *rdata, size_t len, uint32_t serial)
{
	dns_put32(rdata + len - 20, serial);
}

/* A SOA rdata: mname, rname, serial, refresh, retry, expire, minimum.
 * Its length, or -EINVAL. */
static int soa_build(uint8_t *out, size_t cap, const struct index_conf *conf,
		     const uint8_t *zone, size_t zlen, const uint8_t *dom,
		     size_t dlen, uint32_t serial)
{
	uint8_t m[WIRE_MAXNAME + 1], r[WIRE_MAXNAME + 1];
	int ml, rl;
	const char *mt = conf->soa.mname ? conf->soa.mname
			 : conf->nns	 ? conf->ns[0]
					 : NULL;
	if (mt) {
		if ((ml = wire_name_from_text(mt, m, sizeof(m))) < 0)
			return -EINVAL;
	} else {
		/* the zone itself (the domain: as before the ns option) */
		memcpy(m, dom ? dom : zone, dom ? dlen : zlen);
		ml = (int)(dom ? dlen : zlen);
	}
	if (conf->soa.rname) {
		if ((rl = wire_name_from_text(conf->soa.rname, r, sizeof(r))) <
		    0)
			return -EINVAL;
	} else {
		const uint8_t *b = dom ? dom : zone;
		size_t bl = dom ? dlen : zlen;
		if (bl + 11 > sizeof(r))
			return -EINVAL;
		memcpy(r, "\x0ahostmaster", 11);
		memcpy(r + 11, b, bl);
		rl = (int)(11 + bl);
	}
	if ((size_t)ml + (size_t)rl + 20 > cap)
		return -EINVAL;
	uint8_t *p = out;
	memcpy(p, m, (size_t)ml);
	p += ml;
	memcpy(p, r, (size_t)rl);
	p += rl;
	uint32_t f[5] = {serial, conf->soa.refresh ? conf->soa.refresh : 3600,
			 conf->soa.retry ? conf->soa.retry : 600,
			 conf->soa.expire ? conf->soa.expire : 86400,
			 conf->soa.minimum >= 0 ? (uint32_t)conf->soa.minimum
						: conf->ttl};
	for (int i = 0; i < 5; i++, p += 4)
		dns_put32(p, f[i]);
	return (int)(p - out);
}

int index_new(struct awsdns_index **out, const struct index_conf *conf,
	      struct dfo_err *err)
{
	struct awsdns_index *ix = calloc(1, sizeof(*ix));
	if (!ix)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	ix->ttl = conf->ttl;
	ix->txt_spaced = conf->txt_spaced;
	ix->soa_always = conf->soa_always;
	ix->serial = (uint32_t)time(NULL);
	if (conf->domain && conf->domain[0]) {
		int n = wire_name_from_text(conf->domain, ix->domain,
					    sizeof(ix->domain));
		if (n < 0) {
			free(ix);
			return dfo_err_set(err, -EINVAL, "bad domain '%s'",
					   conf->domain);
		}
		ix->domain_len = (size_t)n;
	}
	const uint8_t *dom = ix->domain_len ? ix->domain : NULL;
	static const uint8_t root = 0;
	int n = soa_build(ix->soa_rdata, sizeof(ix->soa_rdata), conf,
			  dom ? dom : &root, dom ? ix->domain_len : 1, dom,
			  ix->domain_len, ix->serial);
	if (n < 0)
		goto bad;
	ix->soa_len = (size_t)n;
	if (conf->nns) {
		ix->ns_rdata = malloc(conf->nns * (WIRE_MAXNAME + 3));
		if (!ix->ns_rdata)
			goto nomem;
	}
	for (size_t i = 0; i < conf->nns; i++) {
		n = wire_name_from_text(conf->ns[i],
					ix->ns_rdata + ix->ns_len + 2,
					WIRE_MAXNAME + 1);
		if (n < 0)
			goto bad;
		dns_put16(ix->ns_rdata + ix->ns_len, (uint16_t)n);
		ix->ns_len += 2 + (size_t)n;
		ix->nns++;
	}
	if (conf->nrzones &&
	    !(ix->rzones = calloc(conf->nrzones, sizeof(*ix->rzones))))
		goto nomem;
	for (size_t i = 0; i < conf->nrzones; i++) {
		struct idx_rzone *z = &ix->rzones[i];
		n = wire_name_from_text(conf->rzones[i], z->name,
					sizeof(z->name));
		if (n < 0)
			goto bad;
		z->len = (size_t)n;
		z->nlabels = wire_name_labels(z->name);
		n = soa_build(z->soa_rdata, sizeof(z->soa_rdata), conf, z->name,
			      z->len, dom, ix->domain_len, ix->serial);
		if (n < 0)
			goto bad;
		z->soa_len = (size_t)n;
		ix->nrzones++;
	}
	*out = ix;
	return 0;
bad:
	index_free(ix);
	return dfo_err_set(err, -EINVAL,
			   "a zone's SOA or NS names are not "
			   "domain names");
nomem:
	index_free(ix);
	return dfo_err_set(err, -ENOMEM, "out of memory");
}

void index_free(struct awsdns_index *ix)
{
	if (!ix)
		return;
	free(ix->arena);
	free(ix->inst);
	free(ix->names);
	free(ix->name_tab);
	free(ix->revs);
	free(ix->rev_tab);
	free(ix->rrsets);
	free(ix->rr_tab);
	free(ix->aliases);
	free(ix->ns_rdata);
	free(ix->rzones);
	free(ix->rev_sorted);
	free(ix);
}

size_t index_bytes(const struct awsdns_index *ix)
{
	return sizeof(*ix) + ix->arena_cap + ix->inst_cap * sizeof(*ix->inst) +
	       ix->names_cap * sizeof(*ix->names) +
	       (ix->name_mask + 1) * sizeof(uint32_t) +
	       ix->revs_cap * sizeof(*ix->revs) +
	       (ix->rev_mask + 1) * sizeof(uint32_t) +
	       ix->rrsets_cap * sizeof(*ix->rrsets) +
	       (ix->rr_mask + 1) * sizeof(uint32_t);
}

/* RFC 1464: "attribute=value", with '`', '=' and leading or trailing
 * blanks of the attribute name quoted by a backquote; the value as is.
 * `spaced`: the original awsdns's "attribute = value", nothing quoted.
 * As TXT rdata: character-strings of at most 255 bytes.  Returns the
 * rdata length, or -1 if it does not fit `cap`. */
static int txt_rdata(const char *attr, const char *value, bool spaced,
		     uint8_t *out, size_t cap)
{
	char text[1024];
	size_t n = 0, al = strlen(attr);
	for (size_t i = 0; i < al && spaced; i++) {
		if (n + 1 >= sizeof(text))
			return -1;
		text[n++] = attr[i];
	}
	for (size_t i = 0; i < al && !spaced; i++) {
		char c = attr[i];
		bool edge = (i == 0 || i + 1 == al) && (c == ' ' || c == '\t');
		if (c == '`' || c == '=' || edge) {
			if (n + 1 >= sizeof(text))
				return -1;
			text[n++] = '`';
		}
		if (n + 1 >= sizeof(text))
			return -1;
		text[n++] = c;
	}
	size_t vl = strlen(value);
	if (n + 3 + vl > sizeof(text))
		return -1;
	if (spaced)
		text[n++] = ' ';
	text[n++] = '=';
	if (spaced)
		text[n++] = ' ';
	memcpy(text + n, value, vl);
	n += vl;
	size_t o = 0;
	for (size_t i = 0; i < n || i == 0; i += 255) {
		size_t l = n - i < 255 ? n - i : 255;
		if (o + 1 + l > cap)
			return -1;
		out[o++] = (uint8_t)l;
		memcpy(out + o, text + i, l);
		o += l;
	}
	return (int)o;
}

/* The forward name of a value: its wire labels without the root. */
static int name_key(const char *value, uint8_t *key, size_t cap)
{
	int n = wire_name_from_text(value, key, cap);
	if (n <= 1)
		return -EINVAL;
	return n - 1;
}

/* Address text to 16 bytes (IPv4 mapped). */
static bool addr16(const char *text, uint8_t out[16])
{
	struct in_addr a4;
	if (inet_pton(AF_INET, text, &a4) == 1) {
		memset(out, 0, 10);
		out[10] = out[11] = 0xff;
		memcpy(out + 12, &a4, 4);
		return true;
	}
	return inet_pton(AF_INET6, text, out) == 1;
}

/* Count an instance skipped for want of a usable name; keep the first
 * few as examples ("i-0abc (tag:Name: a label of 70 bytes)"). */
static void skip_inst(struct awsdns_index *ix, const struct index_conf *conf,
		      const struct dfo_ec2_instance *inst, const char *fwd)
{
	size_t k = ix->skipped++;
	if (k >= sizeof(ix->skipped_ex) / sizeof(ix->skipped_ex[0]))
		return;
	char why[48];
	size_t longest = 0, total = fwd ? strlen(fwd) : 0;
	for (const char *p = fwd; p && *p;) {
		size_t l = strcspn(p, ".");
		longest = l > longest ? l : longest;
		p += l + (p[l] == '.');
	}
	if (!fwd || !*fwd)
		snprintf(why, sizeof(why), "%s", fwd ? "empty" : "none");
	else if (longest > 63)
		snprintf(why, sizeof(why), "a label of %zu bytes", longest);
	else if (total > 253)
		snprintf(why, sizeof(why), "%zu bytes", total);
	else
		snprintf(why, sizeof(why), "not a DNS name");
	snprintf(ix->skipped_ex[k], sizeof(ix->skipped_ex[k]), "%.40s (%s: %s)",
		 inst->id ? inst->id : "?", conf->forward, why);
}

/* The extras of inst: TXT rdata back to back in the arena, each
 * preceded by its length. */
static int inst_txt(struct awsdns_index *ix, const struct index_conf *conf,
		    const struct dfo_ec2_instance *inst, struct idx_inst *it)
{
	int rc;
	uint8_t txt[2048];
	size_t tl = 0;
	for (size_t i = 0; i < conf->nextra && it->txt_n < 32; i++) {
		const char *v = dfo_ec2_instance_attr(inst, conf->extra[i]);
		if (!v)
			continue;
		uint8_t rd[1300];
		int n = txt_rdata(conf->extra[i], v, conf->txt_spaced, rd,
				  sizeof(rd));
		if (n < 0 || tl + 2 + (size_t)n > sizeof(txt))
			continue;
		dns_put16(txt + tl, (uint16_t)n);
		memcpy(txt + tl + 2, rd, (size_t)n);
		tl += 2 + (size_t)n;
		it->txt_n++;
	}
	if (tl && (rc = arena_add(ix, txt, tl, &it->txt_off)) < 0)
		return rc;
	it->txt_len = (uint16_t)tl;
	return 0;
}

/* The forward name key of the instance being added (ix->ninst), merged
 * with the others of that name at seal time. */
static int name_add(struct awsdns_index *ix, const uint8_t *key, size_t klen)
{
	int rc;
	void *arr = ix->names;
	if (grow(&arr, &ix->names_cap, ix->nnames + 1, sizeof(*ix->names)) < 0)
		return -ENOMEM;
	ix->names = arr;
	struct idx_name *nm = &ix->names[ix->nnames];
	if ((rc = arena_add(ix, key, klen, &nm->key_off)) < 0)
		return rc;
	nm->key_len = (uint16_t)klen;
	nm->hash = hash_bytes(key, klen);
	nm->ninst = 1;
	nm->first = (uint32_t)ix->ninst + 1;
	ix->nnames++;
	return 0;
}

/* The reverse entries of the instance being added (ix->ninst): the
 * `reverse` attribute's address, and every IPv6. */
static int rev_add(struct awsdns_index *ix, const struct index_conf *conf,
		   const struct dfo_ec2_instance *inst,
		   const struct idx_inst *it)
{
	const char *rv = dfo_ec2_instance_attr(inst, conf->reverse);
	uint8_t a[16];
	size_t nrev = (rv && addr16(rv, a) ? 1 : 0) + it->v6_n;
	void *arr = ix->revs;
	if (grow(&arr, &ix->revs_cap, ix->nrevs + nrev, sizeof(*ix->revs)) < 0)
		return -ENOMEM;
	ix->revs = arr;
	for (size_t i = 0; i < nrev; i++) {
		struct idx_rev *r = &ix->revs[ix->nrevs];
		if (rv && addr16(rv, a) && i == 0)
			memcpy(r->addr, a, 16);
		else
			memcpy(r->addr,
			       ix->arena + it->v6_off +
				       16 * (i - (nrev - it->v6_n)),
			       16);
		r->hash = hash_bytes(r->addr, 16);
		r->inst = (uint32_t)ix->ninst + 1;
		r->next = 0;
		ix->nrevs++;
	}
	return 0;
}

/* One instance into the index: its name, addresses, extras and reverse
 * entries; 0 also when it is skipped for want of a usable name. */
int index_add(struct awsdns_index *ix, const struct index_conf *conf,
	      const struct dfo_ec2_instance *inst)
{
	ix->instances_seen++;
	const char *fwd = dfo_ec2_instance_attr(inst, conf->forward);
	uint8_t key[WIRE_MAXNAME + 1];
	int klen = fwd ? name_key(fwd, key, sizeof(key)) : -EINVAL;
	if (klen < 0) { /* no name: nothing to answer with */
		skip_inst(ix, conf, inst, fwd);
		return 0;
	}
	/* its name in PTR answers: under domain when one is set */
	uint8_t ptr[WIRE_MAXNAME + 1];
	size_t plen = (size_t)klen;
	memcpy(ptr, key, plen);
	if (ix->domain_len > 0) {
		if (plen + ix->domain_len > WIRE_MAXNAME) {
			skip_inst(ix, conf, inst, fwd);
			return 0;
		}
		memcpy(ptr + plen, ix->domain, ix->domain_len);
		plen += ix->domain_len;
	} else {
		ptr[plen++] = 0;
	}
	if (ix->ninst >= UINT32_MAX - 1)
		return -E2BIG;
	void *arr = ix->inst;
	if (grow(&arr, &ix->inst_cap, ix->ninst + 1, sizeof(*ix->inst)) < 0)
		return -ENOMEM;
	ix->inst = arr;
	struct idx_inst *it = &ix->inst[ix->ninst];
	memset(it, 0, sizeof(*it));
	struct in_addr a4;
	if (inst->private_ip &&
	    inet_pton(AF_INET, inst->private_ip, &a4) == 1) {
		memcpy(it->v4, &a4, 4);
		it->has_v4 = true;
	}
	int rc;
	uint8_t v6[16];
	for (size_t i = 0; i < inst->nipv6 && it->v6_n < 64; i++) {
		if (inet_pton(AF_INET6, inst->ipv6[i], v6) != 1)
			continue;
		uint32_t off;
		if ((rc = arena_add(ix, v6, 16, &off)) < 0)
			return rc;
		if (it->v6_n == 0)
			it->v6_off = off;
		it->v6_n++;
	}
	if ((rc = arena_add(ix, ptr, plen, &it->ptr_off)) < 0)
		return rc;
	it->ptr_len = (uint8_t)plen;
	if ((rc = inst_txt(ix, conf, inst, it)) < 0)
		return rc;
	if ((rc = name_add(ix, key, (size_t)klen)) < 0)
		return rc;
	if ((rc = rev_add(ix, conf, inst, it)) < 0)
		return rc;
	ix->ninst++;
	return 0;
}

/* ---- Route 53 record sets ---- */

/* Text of one record value to rdata; length or -1. */
static int rdata_from_text(const char *type, const char *v, uint8_t *out,
			   size_t cap, uint16_t *rtype)
{
	if (strcmp(type, "A") == 0) {
		*rtype = T_A;
		return inet_pton(AF_INET, v, out) == 1 ? 4 : -1;
	}
	if (strcmp(type, "AAAA") == 0) {
		*rtype = T_AAAA;
		return inet_pton(AF_INET6, v, out) == 1 ? 16 : -1;
	}
	if (strcmp(type, "CNAME") == 0 || strcmp(type, "PTR") == 0) {
		*rtype = type[0] == 'C' ? T_CNAME : T_PTR;
		return wire_name_from_text(v, out, cap);
	}
	if (strcmp(type, "MX") == 0) {
		unsigned pref;
		char host[256];
		*rtype = T_MX;
		if (cap < 2 || sscanf(v, "%u %255s", &pref, host) != 2 ||
		    pref > 0xffff)
			return -1;
		dns_put16(out, (uint16_t)pref);
		int n = wire_name_from_text(host, out + 2, cap - 2);
		return n < 0 ? -1 : n + 2;
	}
	if (strcmp(type, "SRV") == 0) {
		unsigned prio, weight, port;
		char host[256];
		*rtype = T_SRV;
		if (cap < 6 ||
		    sscanf(v, "%u %u %u %255s", &prio, &weight, &port, host) !=
			    4 ||
		    prio > 0xffff || weight > 0xffff || port > 0xffff)
			return -1;
		uint16_t f[3] = {(uint16_t)prio, (uint16_t)weight,
				 (uint16_t)port};
		for (int i = 0; i < 3; i++)
			dns_put16(out + 2 * i, f[i]);
		int n = wire_name_from_text(host, out + 6, cap - 6);
		return n < 0 ? -1 : n + 6;
	}
	if (strcmp(type, "TXT") == 0) {
		/* "quoted" strings, \" and \\ and \DDD escapes */
		*rtype = T_TXT;
		size_t o = 0;
		const char *p = v;
		while (*p) {
			if (*p == ' ') {
				p++;
				continue;
			}
			bool quoted = *p == '"';
			if (quoted)
				p++;
			if (o + 1 > cap)
				return -1;
			size_t lenpos = o++;
			size_t l = 0;
			while (*p && (quoted ? *p != '"' : *p != ' ')) {
				unsigned char c = (unsigned char)*p++;
				if (c == '\\' && p[0] >= '0' && p[0] <= '9' &&
				    p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
				    p[2] <= '9') {
					unsigned d =
						(unsigned)(p[0] - '0') * 100 +
						(unsigned)(p[1] - '0') * 10 +
						(unsigned)(p[2] - '0');
					if (d > 255)
						return -1;
					c = (unsigned char)d;
					p += 3;
				} else if (c == '\\' && *p) {
					c = (unsigned char)*p++;
				}
				if (l == 255 || o + 1 > cap)
					return -1;
				out[o++] = c;
				l++;
			}
			if (quoted && *p == '"')
				p++;
			out[lenpos] = (uint8_t)l;
		}
		return o ? (int)o : -1;
	}
	return -1;
}

int index_add_rrset(struct awsdns_index *ix, const char *name, const char *type,
		    uint32_t ttl, const char *const *values, size_t nvalues)
{
	uint8_t key[WIRE_MAXNAME + 1];
	/* Route 53 writes '*' as \052 and other octets as \DDD */
	char clean[WIRE_MAXNAME * 4 + 1];
	size_t cl = 0;
	for (const char *p = name; *p && cl + 1 < sizeof(clean); p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '9' && p[2] &&
		    p[3]) {
			clean[cl++] = (char)((p[1] - '0') * 100 +
					     (p[2] - '0') * 10 + (p[3] - '0'));
			p += 3;
		} else {
			clean[cl++] = *p;
		}
	}
	clean[cl] = '\0';
	int klen = wire_name_from_text(clean, key, sizeof(key));
	if (klen <= 1)
		return 0;
	uint8_t rrs[8192];
	size_t len = 0;
	unsigned n = 0;
	uint16_t rtype = 0;
	for (size_t i = 0; i < nvalues; i++) {
		uint8_t rd[1024];
		int rl = rdata_from_text(type, values[i], rd, sizeof(rd),
					 &rtype);
		if (rl < 0 || len + 12 + (size_t)rl > sizeof(rrs))
			continue;
		uint8_t *p = rrs + len;
		dns_put16(p, 0xc000 | WIRE_HDR); /* owner: the query name */
		dns_put16(p + 2, rtype);
		dns_put16(p + 4, 1); /* IN */
		dns_put32(p + 6, ttl);
		dns_put16(p + 10, (uint16_t)rl);
		memcpy(p + 12, rd, (size_t)rl);
		len += 12 + (size_t)rl;
		n++;
	}
	if (n == 0)
		return 0;
	void *arr = ix->rrsets;
	if (grow(&arr, &ix->rrsets_cap, ix->nrrsets + 1, sizeof(*ix->rrsets)) <
	    0)
		return -ENOMEM;
	ix->rrsets = arr;
	struct idx_rrset *s = &ix->rrsets[ix->nrrsets];
	memset(s, 0, sizeof(*s));
	int rc;
	if ((rc = arena_add(ix, key, (size_t)klen, &s->key_off)) < 0 ||
	    (rc = arena_add(ix, rrs, len, &s->rr_off)) < 0)
		return rc;
	s->key_len = (uint16_t)klen;
	s->hash = hash_bytes(key, (size_t)klen);
	s->type = rtype;
	s->rr_len = (uint32_t)len;
	s->rr_n = (uint16_t)n;
	ix->nrrsets++;
	return 0;
}

int index_add_alias(struct awsdns_index *ix, const char *name, const char *type,
		    const char *target)
{
	uint8_t key[WIRE_MAXNAME + 1], tkey[WIRE_MAXNAME + 1];
	int kl = wire_name_from_text(name, key, sizeof(key));
	int tl = wire_name_from_text(target, tkey, sizeof(tkey));
	uint16_t t = strcmp(type, "A") == 0	 ? T_A
		     : strcmp(type, "AAAA") == 0 ? T_AAAA
						 : 0;
	if (kl <= 1 || tl <= 1 || t == 0)
		return 0;
	void *arr = ix->aliases;
	if (grow(&arr, &ix->aliases_cap, ix->naliases + 1,
		 sizeof(*ix->aliases)) < 0)
		return -ENOMEM;
	ix->aliases = arr;
	struct idx_alias *a = &ix->aliases[ix->naliases];
	int rc;
	if ((rc = arena_add(ix, key, (size_t)kl, &a->key_off)) < 0 ||
	    (rc = arena_add(ix, tkey, (size_t)tl, &a->target_off)) < 0)
		return rc;
	a->key_len = (uint16_t)kl;
	a->target_len = (uint16_t)tl;
	a->type = t;
	ix->naliases++;
	return 0;
}

/* An alias becomes a copy of its target's record set of the same type
 * (the records' owner is the query name, so the data is shared).  A
 * target outside the served zones (a load balancer's name) is left
 * out. */
static int resolve_aliases(struct awsdns_index *ix)
{
	for (size_t i = 0; i < ix->naliases; i++) {
		const struct idx_alias *a = &ix->aliases[i];
		const uint8_t *t = ix->arena + a->target_off;
		uint32_t th = hash_bytes(t, a->target_len);
		for (size_t k = 0; k < ix->nrrsets; k++) {
			struct idx_rrset r = ix->rrsets[k];
			if (r.hash != th || r.type != a->type ||
			    !key_eq(ix, r.key_off, r.key_len, t, a->target_len))
				continue;
			void *arr = ix->rrsets;
			if (grow(&arr, &ix->rrsets_cap, ix->nrrsets + 1,
				 sizeof(*ix->rrsets)) < 0)
				return -ENOMEM;
			ix->rrsets = arr;
			r.key_off = a->key_off;
			r.key_len = a->key_len;
			r.hash = hash_bytes(ix->arena + a->key_off, a->key_len);
			r.next = 0;
			ix->rrsets[ix->nrrsets++] = r;
			break;
		}
	}
	return 0;
}

/* ---- sealing ---- */

static size_t table_size(size_t n)
{
	size_t s = 16;
	while (s < n * 2)
		s *= 2;
	return s;
}

/* The labels of a key (wire labels, no root byte) after the first. */
static size_t key_parents(const uint8_t *key, size_t len)
{
	size_t n = 0;
	for (size_t o = (size_t)key[0] + 1; o < len; o += (size_t)key[o] + 1)
		n++;
	return n;
}

/* RFC 8020: a name with names below it exists, even with no instance of
 * its own (an empty non-terminal: "b" when an instance is "a.b").  Each
 * proper suffix of a name not itself a name becomes an entry without
 * instances (NODATA); its key points into the name's.  The table has
 * room (sized for every suffix). */
static int add_empty_nonterminals(struct awsdns_index *ix)
{
	size_t real = ix->nnames;
	for (size_t i = 0; i < real; i++) {
		const struct idx_name nm = ix->names[i];
		const uint8_t *key = ix->arena + nm.key_off;
		for (size_t o = (size_t)key[0] + 1; o < nm.key_len;
		     o += (size_t)key[o] + 1) {
			uint16_t kl = (uint16_t)(nm.key_len - o);
			uint32_t hv = hash_bytes(key + o, kl);
			size_t h = name_slot(ix, key + o, kl, hv);
			if (ix->name_tab[h])
				break; /* and so are its own parents */
			void *arr = ix->names;
			size_t n = ix->nnames + ix->nents;
			if (grow(&arr, &ix->names_cap, n + 1,
				 sizeof(*ix->names)) < 0)
				return -ENOMEM;
			ix->names = arr;
			ix->names[n] = (struct idx_name){
				.hash = hv,
				.key_off = nm.key_off + (uint32_t)o,
				.key_len = kl,
			};
			ix->name_tab[h] = (uint32_t)n + 1;
			ix->nents++;
		}
	}
	return 0;
}

static uint32_t *rev_next(struct awsdns_index *ix, uint32_t e)
{
	return &ix->revs[e].next;
}

static uint32_t *rrset_next(struct awsdns_index *ix, uint32_t e)
{
	return &ix->rrsets[e].next;
}

/* Entry i at the end of the chain that starts at a table's slot (an
 * empty slot: the chain's first); its links are the entries' `next`
 * fields (+1, 0 ends), which next_of finds. */
static void chain_add(struct awsdns_index *ix, uint32_t *slot, size_t i,
		      uint32_t *(*next_of)(struct awsdns_index *, uint32_t))
{
	uint32_t *link = slot;
	while (*link)
		link = next_of(ix, *link - 1);
	*link = (uint32_t)i + 1;
}

static int addr_cmp(const void *a, const void *b)
{
	return memcmp(a, b, 16);
}

int index_seal(struct awsdns_index *ix)
{
	if (resolve_aliases(ix) < 0)
		return -ENOMEM;
	/* names: one entry per distinct key; instances chained; room for
	 * the empty non-terminals */
	size_t slots = ix->nnames;
	for (size_t i = 0; i < ix->nnames; i++)
		slots += key_parents(ix->arena + ix->names[i].key_off,
				     ix->names[i].key_len);
	size_t ns = table_size(slots);
	ix->name_tab = calloc(ns, sizeof(uint32_t));
	ix->rev_tab = calloc(table_size(ix->nrevs), sizeof(uint32_t));
	ix->rr_tab = calloc(table_size(ix->nrrsets), sizeof(uint32_t));
	if (!ix->name_tab || !ix->rev_tab || !ix->rr_tab)
		return -ENOMEM;
	ix->name_mask = ns - 1;
	size_t kept = 0;
	for (size_t i = 0; i < ix->nnames; i++) {
		struct idx_name nm = ix->names[i];
		size_t h = name_slot(ix, ix->arena + nm.key_off, nm.key_len,
				     nm.hash);
		if (ix->name_tab[h]) {
			/* append, keeping DescribeInstances' order */
			struct idx_name *o = &ix->names[ix->name_tab[h] - 1];
			uint32_t *link = &o->first;
			while (*link)
				link = &ix->inst[*link - 1].next;
			*link = nm.first;
			if (o->ninst < UINT16_MAX)
				o->ninst++;
			continue;
		}
		ix->names[kept] = nm;
		ix->name_tab[h] = (uint32_t)++kept;
	}
	ix->nnames = kept;
	if (add_empty_nonterminals(ix) < 0)
		return -ENOMEM;
	ix->rev_mask = table_size(ix->nrevs) - 1;
	for (size_t i = 0; i < ix->nrevs; i++) {
		size_t h = rev_slot(ix, ix->revs[i].addr, ix->revs[i].hash);
		chain_add(ix, &ix->rev_tab[h], i, rev_next);
	}
	ix->rr_mask = table_size(ix->nrrsets) - 1;
	for (size_t i = 0; i < ix->nrrsets; i++) {
		const struct idx_rrset *s = &ix->rrsets[i];
		size_t h = rrset_slot(ix, ix->arena + s->key_off, s->key_len,
				      s->hash);
		chain_add(ix, &ix->rr_tab[h], i, rrset_next);
	}
	/* the reverse addresses in order, for the empty non-terminals of
	 * the reverse zones */
	if (ix->nrzones && ix->nrevs) {
		ix->rev_sorted = malloc(ix->nrevs * 16);
		if (!ix->rev_sorted)
			return -ENOMEM;
		for (size_t i = 0; i < ix->nrevs; i++)
			memcpy(ix->rev_sorted[i], ix->revs[i].addr, 16);
		qsort(ix->rev_sorted, ix->nrevs, 16, addr_cmp);
		ix->nrev_sorted = ix->nrevs;
	}
	return 0;
}

/* ---- lookups ---- */

static const struct idx_name *find_name(const struct awsdns_index *ix,
					const uint8_t *key, size_t klen)
{
	if (klen == 0)
		return NULL;
	size_t h = name_slot(ix, key, klen, hash_bytes(key, klen));
	return ix->name_tab[h] ? &ix->names[ix->name_tab[h] - 1] : NULL;
}

static const struct idx_rev *find_rev(const struct awsdns_index *ix,
				      const uint8_t addr[16])
{
	size_t h = rev_slot(ix, addr, hash_bytes(addr, 16));
	return ix->rev_tab[h] ? &ix->revs[ix->rev_tab[h] - 1] : NULL;
}

static const struct idx_rrset *find_rrsets(const struct awsdns_index *ix,
					   const uint8_t *key, size_t klen)
{
	size_t h = rrset_slot(ix, key, klen, hash_bytes(key, klen));
	return ix->rr_tab[h] ? &ix->rrsets[ix->rr_tab[h] - 1] : NULL;
}

/* Offset in q->name where `domain` starts, if q->name is under it (or is
 * it); -1 otherwise. */
static int under(const struct wire_query *q, const uint8_t *dom, size_t dl)
{
	if (dl == 0 || q->name_len < dl)
		return -1;
	size_t at = q->name_len - dl;
	if (memcmp(q->name + at, dom, dl) != 0)
		return -1;
	if (at == 0)
		return 0;
	for (unsigned i = 0; i < q->nlabels; i++)
		if (q->label_off[i] == at)
			return (int)at;
	return -1;
}

bool index_is_local(const struct awsdns_index *ix, const struct wire_query *q)
{
	if (under(q, ix->domain, ix->domain_len) >= 0)
		return true;
	for (size_t i = 0; i < ix->nrzones; i++)
		if (under(q, ix->rzones[i].name, ix->rzones[i].len) >= 0)
			return true;
	return false;
}

/* The apex NS records (ns option) into the answer. */
static void put_ns(const struct awsdns_index *ix, uint16_t owner,
		   struct wire_writer *w)
{
	for (size_t o = 0; o + 2 <= ix->ns_len;) {
		size_t l = dns_get16(ix->ns_rdata + o);
		if (!wire_put_rr(w, SEC_AN, owner, T_NS, ix->ttl,
				 ix->ns_rdata + o + 2, l)) {
			wire_truncate(w);
			return;
		}
		o += 2 + l;
	}
}

/* Whether some reverse address starts with the first `nib` nibbles of
 * addr (an empty non-terminal of a reverse zone when so). */
static bool rev_prefix_exists(const struct awsdns_index *ix,
			      const uint8_t addr[16], unsigned nib)
{
	size_t lo = 0, hi = ix->nrev_sorted;
	while (lo < hi) { /* the first address >= addr */
		size_t mid = lo + (hi - lo) / 2;
		if (memcmp(ix->rev_sorted[mid], addr, 16) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == ix->nrev_sorted)
		return false;
	const uint8_t *a = ix->rev_sorted[lo];
	if (memcmp(a, addr, nib / 2) != 0)
		return false;
	return nib % 2 == 0 || (a[nib / 2] & 0xf0) == (addr[nib / 2] & 0xf0);
}

/* The address labels of a name under in-addr.arpa or ip6.arpa: the
 * address they spell, or its first nibbles, into addr, their number
 * into *nib (32: a whole address).  False when the labels are not
 * address labels. */
static bool reverse_labels(const struct wire_query *q, uint8_t addr[16],
			   unsigned *nib)
{
	static const uint8_t v4[] = "\x07in-addr\x04"
				    "arpa";
	static const uint8_t v6[] = "\x03ip6\x04"
				    "arpa";
	memset(addr, 0, 16);
	bool is4 =
		q->name_len >= sizeof(v4) &&
		memcmp(q->name + q->name_len - sizeof(v4), v4, sizeof(v4)) == 0;
	bool is6 =
		q->name_len >= sizeof(v6) &&
		memcmp(q->name + q->name_len - sizeof(v6), v6, sizeof(v6)) == 0;
	if (!is4 && !is6)
		return false;
	unsigned k = q->nlabels - 2;
	if (is4) {
		if (k > 4)
			return false;
		addr[10] = addr[11] = 0xff;
		for (unsigned i = 0; i < k; i++) {
			const uint8_t *l = q->name + q->label_off[k - 1 - i];
			unsigned v = 0;
			if (*l < 1 || *l > 3 || (*l > 1 && l[1] == '0'))
				return false;
			for (unsigned j = 1; j <= *l; j++) {
				if (l[j] < '0' || l[j] > '9')
					return false;
				v = v * 10 + (unsigned)(l[j] - '0');
			}
			if (v > 255)
				return false;
			addr[12 + i] = (uint8_t)v;
		}
		*nib = 24 + 2 * k;
		return true;
	}
	if (k > 32)
		return false;
	for (unsigned i = 0; i < k; i++) {
		const uint8_t *l = q->name + q->label_off[k - 1 - i];
		unsigned v;
		if (*l != 1)
			return false;
		if (l[1] >= '0' && l[1] <= '9')
			v = (unsigned)(l[1] - '0');
		else if (l[1] >= 'a' && l[1] <= 'f')
			v = (unsigned)(l[1] - 'a' + 10);
		else
			return false;
		addr[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
	}
	*nib = k;
	return true;
}

/* The TXT extras of an instance into the additional section (the same
 * record of two instances once); false if one did not fit. */
static bool put_extras(const struct awsdns_index *ix, const struct idx_inst *it,
		       struct wire_writer *w, uint32_t ttl)
{
	const uint8_t *p = ix->arena + it->txt_off;
	const uint8_t *end = p + it->txt_len;
	while (p + 2 <= end) {
		size_t n = dns_get16(p);
		if (!wire_put_rr(w, SEC_AR, WIRE_HDR, T_TXT, ttl, p + 2, n))
			return false;
		p += 2 + n;
	}
	return true;
}

/* The extras of every instance of a chain: they are one TXT set (their
 * owner is the query name), so it goes whole or not at all (RFC 2181
 * section 9: the additional section needs no TC). */
static void put_extras_set(const struct awsdns_index *ix, uint32_t first,
			   bool by_rev, struct wire_writer *w)
{
	struct wire_mark m;
	wire_mark(w, &m);
	while (first) {
		uint32_t inst = first;
		if (by_rev) {
			inst = ix->revs[first - 1].inst;
			first = ix->revs[first - 1].next;
		} else {
			first = ix->inst[first - 1].next;
		}
		if (!put_extras(ix, &ix->inst[inst - 1], w, ix->ttl)) {
			wire_rollback(w, &m);
			return;
		}
	}
}

static void put_soa(const struct awsdns_index *ix, int dom_at,
		    struct wire_writer *w);

/* Answer from a forward name.  Whole answer or TC.  With soa_always, the
 * SOA (of the domain at `soa_at` of the name) goes between the answer
 * and the extras. */
static enum idx_result answer_name(const struct awsdns_index *ix,
				   const struct idx_name *nm,
				   const struct wire_query *q,
				   struct wire_writer *w, int soa_at)
{
	uint16_t t = q->qtype;
	bool any = t == T_ANY;
	unsigned n = 0;
	bool fits = true;
	for (uint32_t i = nm->first; i && fits; i = ix->inst[i - 1].next) {
		const struct idx_inst *it = &ix->inst[i - 1];
		if ((t == T_A || any) && it->has_v4) {
			fits = wire_put_rr(w, SEC_AN, WIRE_HDR, T_A, ix->ttl,
					   it->v4, 4);
			n++;
		}
		if (t == T_AAAA || any)
			for (unsigned k = 0; k < it->v6_n && fits; k++) {
				fits = wire_put_rr(
					w, SEC_AN, WIRE_HDR, T_AAAA, ix->ttl,
					ix->arena + it->v6_off + 16 * k, 16);
				n++;
			}
		if (t == T_TXT)
			for (const uint8_t *p = ix->arena + it->txt_off,
					   *e = p + it->txt_len;
			     p + 2 <= e && fits;) {
				size_t l = dns_get16(p);
				fits = wire_put_rr(w, SEC_AN, WIRE_HDR, T_TXT,
						   ix->ttl, p + 2, l);
				p += 2 + l;
				n++;
			}
	}
	if (!fits) {
		wire_truncate(w);
		return IDX_ANSWER;
	}
	if (n == 0)
		return IDX_NODATA;
	if (ix->soa_always)
		put_soa(ix, soa_at, w);
	if (t != T_TXT)
		put_extras_set(ix, nm->first, false, w);
	return IDX_ANSWER;
}

/* The address of an in-addr.arpa or ip6.arpa name, if it names one. */
static bool reverse_addr(const struct wire_query *q, uint8_t addr[16])
{
	unsigned nib;
	return reverse_labels(q, addr, &nib) && nib == 32;
}

static enum idx_result answer_reverse(const struct awsdns_index *ix,
				      const struct idx_rev *r,
				      const struct wire_query *q,
				      struct wire_writer *w)
{
	if (q->qtype != T_PTR && q->qtype != T_ANY)
		return IDX_NODATA;
	for (const struct idx_rev *e = r; e;
	     e = e->next ? &ix->revs[e->next - 1] : NULL) {
		const struct idx_inst *it = &ix->inst[e->inst - 1];
		if (!wire_put_rr(w, SEC_AN, WIRE_HDR, T_PTR, ix->ttl,
				 ix->arena + it->ptr_off, it->ptr_len)) {
			wire_truncate(w);
			return IDX_ANSWER;
		}
	}
	if (ix->soa_always)
		put_soa(ix, 0, w);
	put_extras_set(ix, (uint32_t)(r - ix->revs) + 1, true, w);
	return IDX_ANSWER;
}

static enum idx_result answer_rrsets(const struct awsdns_index *ix,
				     const struct idx_rrset *s,
				     const struct wire_query *q,
				     struct wire_writer *w)
{
	const struct idx_rrset *cname = NULL;
	bool any = false;
	for (const struct idx_rrset *e = s; e;
	     e = e->next ? &ix->rrsets[e->next - 1] : NULL) {
		if (e->type == T_CNAME)
			cname = e;
		if (e->type != q->qtype && q->qtype != T_ANY)
			continue;
		if (!wire_put(w, SEC_AN, ix->arena + e->rr_off, e->rr_len,
			      e->rr_n)) {
			wire_truncate(w);
			return IDX_ANSWER;
		}
		any = true;
	}
	if (any)
		return IDX_ANSWER;
	if (cname) {
		if (!wire_put(w, SEC_AN, ix->arena + cname->rr_off,
			      cname->rr_len, cname->rr_n))
			wire_truncate(w);
		return IDX_ANSWER;
	}
	return IDX_NODATA;
}

static void put_soa(const struct awsdns_index *ix, int dom_at,
		    struct wire_writer *w)
{
	uint16_t owner = (uint16_t)(WIRE_HDR + (dom_at < 0 ? 0 : dom_at));
	if (w->tc || w->count[SEC_AR])
		return; /* (sections are written in order) */
	wire_put_rr(w, SEC_NS, owner, T_SOA, ix->ttl, ix->soa_rdata,
		    ix->soa_len);
}

/* A zone's apex (SOA rdata soa): its SOA, its NS records, or NODATA. */
static enum idx_result answer_apex(const struct awsdns_index *ix,
				   const uint8_t *soa, size_t soa_len,
				   const struct wire_query *q,
				   struct wire_writer *w)
{
	if (q->qtype == T_SOA) {
		wire_put_rr(w, SEC_AN, WIRE_HDR, T_SOA, ix->ttl, soa, soa_len);
		return IDX_ANSWER;
	}
	if (q->qtype == T_NS && ix->nns) {
		put_ns(ix, WIRE_HDR, w);
		return IDX_ANSWER;
	}
	return IDX_NODATA;
}

/* A name under the reverse zone z (at offset `at` of the name). */
static enum idx_result answer_rzone(const struct awsdns_index *ix,
				    const struct idx_rzone *z, int at,
				    const struct wire_query *q,
				    struct wire_writer *w)
{
	enum idx_result r = IDX_NXDOMAIN;
	uint8_t addr[16];
	unsigned nib;
	if (at == 0) {
		r = answer_apex(ix, z->soa_rdata, z->soa_len, q, w);
		if (r == IDX_ANSWER)
			return r;
	} else if (reverse_labels(q, addr, &nib)) {
		const struct idx_rev *rv =
			nib == 32 ? find_rev(ix, addr) : NULL;
		if (rv)
			return answer_reverse(ix, rv, q, w);
		if (nib < 32 && rev_prefix_exists(ix, addr, nib))
			r = IDX_NODATA;
	}
	if (!w->tc && !w->count[SEC_AR])
		wire_put_rr(w, SEC_NS, (uint16_t)(WIRE_HDR + at), T_SOA,
			    ix->ttl, z->soa_rdata, z->soa_len);
	return r;
}

enum idx_result index_answer(const struct awsdns_index *ix,
			     const struct wire_query *q, struct wire_writer *w,
			     bool *auth)
{
	*auth = false;
	if (q->qclass != 1 && q->qclass != T_ANY)
		return IDX_NONE;
	int at = under(q, ix->domain, ix->domain_len);
	enum idx_result r = IDX_NONE;
	if (at >= 0) {
		*auth = true;
		if (at == 0) { /* the domain itself */
			r = answer_apex(ix, ix->soa_rdata, ix->soa_len, q, w);
			if (r == IDX_ANSWER)
				return r;
		} else {
			const struct idx_name *nm =
				find_name(ix, q->name, (size_t)at);
			r = nm ? answer_name(ix, nm, q, w, at) : IDX_NXDOMAIN;
		}
		if (r == IDX_NODATA || r == IDX_NXDOMAIN)
			put_soa(ix, at, w);
		return r;
	}
	for (size_t i = 0; i < ix->nrzones; i++) {
		int zat = under(q, ix->rzones[i].name, ix->rzones[i].len);
		if (zat >= 0) {
			*auth = true;
			return answer_rzone(ix, &ix->rzones[i], zat, q, w);
		}
	}
	uint8_t addr[16];
	if (reverse_addr(q, addr)) {
		const struct idx_rev *rv = find_rev(ix, addr);
		if (rv)
			return answer_reverse(ix, rv, q, w);
	}
	const struct idx_name *nm = find_name(ix, q->name, q->name_len - 1);
	if (nm && nm->first) /* empty non-terminals only under domain */
		r = answer_name(ix, nm, q, w, 0);
	if (r == IDX_NONE && ix->nrrsets) {
		const struct idx_rrset *s =
			find_rrsets(ix, q->name, q->name_len);
		if (s)
			r = answer_rrsets(ix, s, q, w);
	}
	if (r == IDX_NODATA || (r == IDX_ANSWER && ix->soa_always))
		put_soa(ix, 0, w); /* the name is its own apex */
	return r;
}
