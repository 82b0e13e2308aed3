/*
 * dns "zerigo": records at a service speaking the Zerigo DNS REST API
 * v1.1 (HTTP basic auth with the account's e-mail and API key, XML
 * documents).  The hosted Zerigo service has closed; this serves
 * API-compatible deployments.
 *
 *   GET    ENDPOINT/zones/ZONE.xml                  the zone: its id (start)
 *   GET    ENDPOINT/zones/ID/hosts.xml?fqdn=NAME    the hosts of one name
 *   POST   ENDPOINT/zones/ID/hosts.xml              create one host (201)
 *   DELETE ENDPOINT/hosts/HOST_ID.xml               delete one host
 *
 * State records (quorum eviction) are TXT hosts of the state name, one
 * per agent, its text as the host's data: listed like the others, a
 * change is a POST of the new host, then a DELETE of the old one by id
 * (an agent has two records for a moment, never none; the reader keeps
 * the later).  Single records change, so `expected` is not needed: an
 * agent only ever replaces its own record or removes one it read.
 *
 * A record is one host (hostname, host-type A or AAAA, data, ttl).
 * Errors: 401 (credentials), 404, 422 with an <errors> document.
 *
 * The API has no compare-and-set, so the provider does not declare
 * DFO_DNS_CAS: the engine re-reads the records before it deletes one.
 * add() and del() read the name's hosts anyway (for the TTL, the host
 * ids) and refuse with DFO_ESTALE when they differ from `expected`,
 * which narrows the race but does not close it.  del() never removes
 * the last record of a name and family.
 *
 * The API key goes to libcurl only (CURLOPT_USERPWD); no message of this
 * file contains it.
 */
#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <dnsfailover/dnsfailover.h>

#define ZG_DEFAULT_ENDPOINT "https://ns.zerigo.com/api/1.1"
#define ZG_TIMEOUT	    5.0 /* seconds for one operation, all requests */
#define ZG_PER_PAGE	    500 /* hosts per page (the API allows 1000) */
#define ZG_MAX_PAGES	    20	/* so at most 10,000 hosts of one name */
#define ZG_MAX_BODY	    (4u << 20) /* bytes kept of one answer */
#define ZG_TEXT_MAX	    512	       /* bytes kept of one element's text */

struct zerigo {
	char *user;
	char *userpwd;	/* "user:api_key", for libcurl only */
	char *zone;	/* lower case, no final dot */
	char *endpoint; /* no final slash */
	long ttl;	/* for a name that has no record yet */
	char zone_id[24];
	long zone_ttl; /* the zone's default-ttl; -1 if unknown */
};

static cfg_opt_t zerigo_opts[] = {
	CFG_STR("user", NULL, CFGF_NODEFAULT),
	CFG_STR("api_key", NULL, CFGF_NODEFAULT),
	CFG_STR("zone", NULL, CFGF_NODEFAULT),
	CFG_STR("endpoint", ZG_DEFAULT_ENDPOINT, CFGF_NONE),
	CFG_INT("ttl", 300, CFGF_NONE),
	CFG_END()};

/* ------------------------------------------------------------------ */
/* The answers: hosts, zone and errors documents                       */

enum zg_doc { ZG_DOC_HOSTS, ZG_DOC_ZONE, ZG_DOC_ERRORS };

struct zg_host {
	char id[24];	/* digits; empty if missing or not a number */
	char fqdn[256]; /* empty if missing or too long */
	char type[16];
	char data[64];		    /* empty if too long to be an address */
	char text[DFO_TXT_MAX + 1]; /* the data as sent, untrimmed (a TXT
				     * text); empty if longer */
	long ttl;		    /* -1: nil (the zone's default) */
};

struct zg_parse {
	enum zg_doc doc;
	int depth;
	bool root_ok, in_host, nil, over;
	char text[ZG_TEXT_MAX];
	size_t tlen;
	struct zg_host cur;
	struct zg_host *hosts; /* ZG_DOC_HOSTS */
	size_t n, cap;
	char zone_id[24]; /* ZG_DOC_ZONE */
	char domain[256];
	long default_ttl;
	char errors[200]; /* ZG_DOC_ERRORS: the messages, "; "-joined */
	int rc;		  /* 0, or -ENOMEM */
};

static const char *const zg_roots[] = {"hosts", "zone", "errors"};

/* A decimal number of 1 to 19 digits. */
static bool zg_digits(const char *s)
{
	size_t n = strspn(s, "0123456789");
	return n > 0 && n < 20 && s[n] == '\0';
}

/* A TTL: 0 to INT32_MAX; -1 if not one. */
static long zg_ttl(const char *s)
{
	if (!zg_digits(s) || strlen(s) > 10)
		return -1;
	long v = strtol(s, NULL, 10);
	return v <= INT32_MAX ? v : -1;
}

/* Copy the element's text (trimmed) into dst, or "" if it did not fit. */
static void zg_take(struct zg_parse *p, char *dst, size_t len)
{
	const char *s = p->text, *e = p->text + p->tlen;
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	size_t n = (size_t)(e - s);
	if (p->over || n >= len)
		n = 0;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static void XMLCALL zg_start(void *ud, const XML_Char *name,
			     const XML_Char **attrs)
{
	struct zg_parse *p = ud;
	p->depth++;
	p->tlen = 0;
	p->over = false;
	p->nil = false;
	for (const XML_Char **a = attrs; a && a[0] && a[1]; a += 2)
		if (strcmp(a[0], "nil") == 0 && strcmp(a[1], "true") == 0)
			p->nil = true;
	if (p->depth == 1)
		p->root_ok = strcmp(name, zg_roots[p->doc]) == 0;
	else if (p->depth == 2 && p->doc == ZG_DOC_HOSTS && p->root_ok &&
		 strcmp(name, "host") == 0) {
		p->in_host = true;
		memset(&p->cur, 0, sizeof(p->cur));
		p->cur.ttl = -1;
	}
}

static void XMLCALL zg_text(void *ud, const XML_Char *s, int len)
{
	struct zg_parse *p = ud;
	int want = p->doc == ZG_DOC_HOSTS ? 3 : 2;
	if (p->depth != want || len <= 0)
		return;
	if (p->tlen + (size_t)len >= sizeof(p->text)) {
		p->over = true;
		return;
	}
	memcpy(p->text + p->tlen, s, (size_t)len);
	p->tlen += (size_t)len;
}

static void zg_host_field(struct zg_parse *p, const char *name)
{
	struct zg_host *h = &p->cur;
	char v[sizeof(h->fqdn)];
	if (strcmp(name, "id") == 0) {
		zg_take(p, v, sizeof(v));
		if (zg_digits(v) && strlen(v) < sizeof(h->id))
			strcpy(h->id, v);
	} else if (strcmp(name, "fqdn") == 0) {
		zg_take(p, h->fqdn, sizeof(h->fqdn));
	} else if (strcmp(name, "host-type") == 0) {
		zg_take(p, h->type, sizeof(h->type));
	} else if (strcmp(name, "data") == 0) {
		zg_take(p, h->data, sizeof(h->data));
		if (!p->over && p->tlen < sizeof(h->text)) {
			memcpy(h->text, p->text, p->tlen);
			h->text[p->tlen] = '\0';
		}
	} else if (strcmp(name, "ttl") == 0) {
		zg_take(p, v, sizeof(v));
		h->ttl = p->nil ? -1 : zg_ttl(v);
	}
}

/* Append a copy of h to p's hosts (p->rc = -ENOMEM on failure). */
static void zg_host_push(struct zg_parse *p, const struct zg_host *h)
{
	if (p->rc < 0)
		return;
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct zg_host *nh = realloc(p->hosts, cap * sizeof(*nh));
		if (!nh) {
			p->rc = -ENOMEM;
			return;
		}
		p->hosts = nh;
		p->cap = cap;
	}
	p->hosts[p->n++] = *h;
}

static void XMLCALL zg_end(void *ud, const XML_Char *name)
{
	struct zg_parse *p = ud;
	if (p->root_ok) {
		if (p->doc == ZG_DOC_HOSTS && p->in_host && p->depth == 3) {
			zg_host_field(p, name);
		} else if (p->doc == ZG_DOC_HOSTS && p->in_host &&
			   p->depth == 2) {
			zg_host_push(p, &p->cur);
			p->in_host = false;
		} else if (p->doc == ZG_DOC_ZONE && p->depth == 2) {
			char v[32];
			if (strcmp(name, "id") == 0) {
				zg_take(p, v, sizeof(v));
				if (zg_digits(v) &&
				    strlen(v) < sizeof(p->zone_id))
					strcpy(p->zone_id, v);
			} else if (strcmp(name, "domain") == 0) {
				zg_take(p, p->domain, sizeof(p->domain));
			} else if (strcmp(name, "default-ttl") == 0) {
				zg_take(p, v, sizeof(v));
				p->default_ttl = p->nil ? -1 : zg_ttl(v);
			}
		} else if (p->doc == ZG_DOC_ERRORS && p->depth == 2 &&
			   strcmp(name, "error") == 0) {
			char v[sizeof(p->errors)];
			zg_take(p, v, sizeof(v));
			/* "; "-joined, cut at the buffer's end */
			size_t l = strlen(p->errors), vl = strlen(v);
			size_t room = sizeof(p->errors) - 1 - l;
			if (v[0] && l && room >= 2) {
				memcpy(p->errors + l, "; ", 2);
				l += 2;
				room -= 2;
			}
			if (vl > room)
				vl = room;
			memcpy(p->errors + l, v, vl);
			p->errors[l + vl] = '\0';
		}
	}
	p->tlen = 0;
	p->over = false;
	p->nil = false;
	p->depth--;
}

static void zg_parse_free(struct zg_parse *p)
{
	free(p->hosts);
	p->hosts = NULL;
	p->n = p->cap = 0;
}

/* Read one answer document of kind `doc` into p (zeroed by this call).
 * 0; -EBADMSG if it is not well-formed XML with the expected root
 * element; -ENOMEM.  Free p with zg_parse_free() in every case. */
static int zg_parse(enum zg_doc doc, const char *xml, size_t len,
		    struct zg_parse *p, struct dfo_err *err)
{
	memset(p, 0, sizeof(*p));
	p->doc = doc;
	p->default_ttl = -1;
	if (len > INT_MAX)
		return dfo_err_set(err, -EBADMSG, "answer too long");
	XML_Parser xp = XML_ParserCreate(NULL);
	if (!xp)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	XML_SetUserData(xp, p);
	XML_SetElementHandler(xp, zg_start, zg_end);
	XML_SetCharacterDataHandler(xp, zg_text);
	int rc = 0;
	if (XML_Parse(xp, xml, (int)len, 1) == XML_STATUS_ERROR) {
		rc = dfo_err_set(err, -EBADMSG,
				 "not an XML document (line %lu: %s)",
				 (unsigned long)XML_GetCurrentLineNumber(xp),
				 XML_ErrorString(XML_GetErrorCode(xp)));
	} else if (p->rc < 0) {
		rc = dfo_err_set(err, p->rc, "out of memory");
	} else if (!p->root_ok) {
		rc = dfo_err_set(err, -EBADMSG, "not a <%s> document",
				 zg_roots[doc]);
	}
	XML_ParserFree(xp);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Names                                                               */

/* A host name we may put in a URL and a document: letters, digits, '-',
 * '_', '*', non-empty labels, at most 253 bytes; a final dot allowed. */
static bool zg_name_ok(const char *name)
{
	size_t len = strlen(name);
	if (len && name[len - 1] == '.')
		len--;
	if (len == 0 || len > 253)
		return false;
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_' || c == '*') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0;
}

/* `name` without its final dot, lower case, into buf (256 bytes). */
static void zg_name_norm(const char *name, char *buf)
{
	size_t len = strlen(name);
	if (len && name[len - 1] == '.')
		len--;
	if (len > 255)
		len = 255;
	for (size_t i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[len] = '\0';
}

/* The hostname of fqdn in the zone: "" for the apex, NULL if outside. */
static const char *zg_hostname(const struct zerigo *z, const char *fqdn,
			       char *buf)
{
	size_t fl = strlen(fqdn), zl = strlen(z->zone);
	if (strcmp(fqdn, z->zone) == 0)
		return "";
	if (fl <= zl + 1 || fqdn[fl - zl - 1] != '.' ||
	    strcmp(fqdn + fl - zl, z->zone) != 0)
		return NULL;
	memcpy(buf, fqdn, fl - zl - 1);
	buf[fl - zl - 1] = '\0';
	return buf;
}

/* Check and normalise a name given to an operation. */
static int zg_fqdn(const struct zerigo *z, const char *fqdn, char *norm,
		   char *hostbuf, const char **hostname, struct dfo_err *err)
{
	if (!zg_name_ok(fqdn))
		return dfo_err_set(err, -EINVAL, "'%.80s' is not a host name",
				   fqdn);
	zg_name_norm(fqdn, norm);
	const char *h = zg_hostname(z, norm, hostbuf);
	if (!h)
		return dfo_err_set(err, -EINVAL, "%s is not in zone %s", norm,
				   z->zone);
	if (hostname)
		*hostname = h;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Requests                                                            */

/* Describe a non-2xx answer in err and return the matching code. */
static int zg_http_error(const char *method, const char *shown,
			 const struct dfo_http_response *resp,
			 struct dfo_err *err)
{
	char detail[sizeof(((struct zg_parse *)0)->errors) + 8] = "";
	struct zg_parse p = {0};
	struct dfo_err perr;
	if (resp->len &&
	    zg_parse(ZG_DOC_ERRORS, resp->body, resp->len, &p, &perr) == 0 &&
	    p.errors[0]) {
		char clean[sizeof(p.errors)];
		dfo_sanitize(p.errors, strlen(p.errors), clean, sizeof(clean));
		snprintf(detail, sizeof(detail), ": %s", clean);
	} else if (resp->len) {
		char clean[81];
		dfo_sanitize(resp->body, resp->len, clean, sizeof(clean));
		snprintf(detail, sizeof(detail), ": \"%s\"", clean);
	}
	zg_parse_free(&p);
	long st = resp->status;
	if (st == 401 || st == 403)
		return dfo_err_set(err, -EACCES,
				   "%s %s: HTTP %ld: authentication refused "
				   "(check user and api_key)",
				   method, shown, st);
	if (st == 404)
		return dfo_err_set(err, -ENOENT, "%s %s: HTTP 404: not found",
				   method, shown);
	if (st == 422)
		return dfo_err_set(err, -EINVAL, "%s %s: HTTP 422%s", method,
				   shown, detail);
	if (st == 429 || st == 503)
		return dfo_err_set(err, -EAGAIN, "%s %s: HTTP %ld (busy)%s",
				   method, shown, st, detail);
	return dfo_err_set(err, -EIO, "%s %s: HTTP %ld%s", method, shown, st,
			   detail);
}

/* One request to ENDPOINT/PATH before `deadline` (dfo_now() seconds).
 * 0 with resp holding a 2xx answer; otherwise negative with err set
 * (resp may hold the answer, e.g. a 404's). */
static int zg_request(const struct zerigo *z, const char *method,
		      const char *path, const char *body, double deadline,
		      struct dfo_http_response *resp, struct dfo_err *err)
{
	memset(resp, 0, sizeof(*resp));
	char *url;
	if (asprintf(&url, "%s%s", z->endpoint, path) < 0)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	char shown[300];
	dfo_url_redact(url, shown, sizeof(shown));
	double left = deadline - dfo_now();
	if (left < 0.05) {
		free(url);
		return dfo_err_set(err, -ETIMEDOUT,
				   "%s %s: no time left "
				   "(%.0f s per operation)",
				   method, shown, ZG_TIMEOUT);
	}
	const char *get_hdrs[] = {"Accept: application/xml", NULL};
	const char *post_hdrs[] = {"Accept: application/xml",
				   "Content-Type: application/xml", NULL};
	struct dfo_http_request req = {
		.method = method,
		.url = url,
		.headers = body ? post_hdrs : get_hdrs,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.timeout = left,
		.userpwd = z->userpwd,
		.max_body = ZG_MAX_BODY,
	};
	struct dfo_err herr;
	dfo_err_clear(&herr);
	int rc = dfo_http_do(&req, resp, &herr);
	if (rc < 0) {
		/* The helper names the URL (redacted) and the cause. */
		rc = dfo_err_set(err, rc, "%s %s", method, herr.msg);
	} else if (resp->status < 200 || resp->status > 299) {
		rc = zg_http_error(method, shown, resp, err);
	}
	free(url);
	return rc;
}

/* Look the zone up: its id and default TTL. */
static int zg_zone_lookup(struct zerigo *z, struct dfo_err *err)
{
	char *path;
	if (asprintf(&path, "/zones/%s.xml", z->zone) < 0)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	struct dfo_http_response resp;
	struct dfo_err rerr;
	dfo_err_clear(&rerr);
	int rc = zg_request(z, "GET", path, NULL, dfo_now() + ZG_TIMEOUT, &resp,
			    &rerr);
	free(path);
	if (rc == -ENOENT) {
		rc = dfo_err_set(err, rc,
				 "zone %s: no such zone for user %s "
				 "(%s)",
				 z->zone, z->user, rerr.msg);
		goto out;
	}
	if (rc < 0) {
		rc = dfo_err_set(err, rc, "zone %s: %s", z->zone, rerr.msg);
		goto out;
	}
	struct zg_parse p;
	rc = zg_parse(ZG_DOC_ZONE, resp.body, resp.len, &p, &rerr);
	if (rc < 0) {
		rc = dfo_err_set(err, rc, "zone %s: %s", z->zone, rerr.msg);
	} else if (!p.zone_id[0]) {
		rc = dfo_err_set(err, -EBADMSG,
				 "zone %s: the answer has no "
				 "zone id",
				 z->zone);
	} else if (p.domain[0] && strcasecmp(p.domain, z->zone) != 0) {
		char clean[100];
		dfo_sanitize(p.domain, strlen(p.domain), clean, sizeof(clean));
		rc = dfo_err_set(err, -EBADMSG,
				 "zone %s: the answer is about "
				 "zone %s",
				 z->zone, clean);
	} else {
		snprintf(z->zone_id, sizeof(z->zone_id), "%s", p.zone_id);
		z->zone_ttl = p.default_ttl;
	}
	zg_parse_free(&p);
out:
	dfo_http_response_free(&resp);
	return rc;
}

/* The hosts named `fqdn` (normalised), every type, all pages, into
 * all->hosts; free it with zg_parse_free() in every case. */
static int zg_hosts(const struct zerigo *z, const char *fqdn, double deadline,
		    struct zg_parse *all, struct dfo_err *err)
{
	memset(all, 0, sizeof(*all));
	if (!z->zone_id[0])
		return dfo_err_set(err, -EAGAIN,
				   "zone %s: not looked up "
				   "(start() has not succeeded)",
				   z->zone);
	for (int page = 1;; page++) {
		if (page > ZG_MAX_PAGES)
			return dfo_err_set(err, -E2BIG,
					   "%s: more than %d hosts", fqdn,
					   ZG_MAX_PAGES * ZG_PER_PAGE);
		char path[400];
		snprintf(path, sizeof(path),
			 "/zones/%s/hosts.xml?fqdn=%s&per_page=%d&page=%d",
			 z->zone_id, fqdn, ZG_PER_PAGE, page);
		struct dfo_http_response resp;
		int rc = zg_request(z, "GET", path, NULL, deadline, &resp, err);
		struct zg_parse p;
		if (rc == 0) {
			struct dfo_err perr;
			rc = zg_parse(ZG_DOC_HOSTS, resp.body, resp.len, &p,
				      &perr);
			if (rc < 0)
				dfo_err_set(err, rc, "hosts of %s: %s", fqdn,
					    perr.msg);
		} else {
			memset(&p, 0, sizeof(p));
		}
		char count[24];
		long total = -1;
		if (rc == 0 &&
		    dfo_http_header(&resp, "X-Query-Count", count,
				    sizeof(count)) &&
		    zg_digits(count))
			total = strtol(count, NULL, 10);
		dfo_http_response_free(&resp);
		for (size_t i = 0; rc == 0 && i < p.n; i++) {
			/* Only this name's hosts, whatever the server's
			 * search returned. */
			char n[256];
			zg_name_norm(p.hosts[i].fqdn, n);
			if (strcmp(n, fqdn) != 0)
				continue;
			zg_host_push(all, &p.hosts[i]);
			if (all->rc < 0)
				rc = dfo_err_set(err, -ENOMEM, "out of memory");
		}
		size_t got = p.n;
		zg_parse_free(&p);
		if (rc < 0)
			return rc;
		if (got < ZG_PER_PAGE ||
		    (total >= 0 && (long)page * ZG_PER_PAGE >= total))
			return 0;
	}
}

static int zg_type_family(const char *type)
{
	if (strcasecmp(type, "A") == 0)
		return AF_INET;
	if (strcasecmp(type, "AAAA") == 0)
		return AF_INET6;
	return AF_UNSPEC;
}

/* The records of one family among the hosts read; *ttl the first
 * explicit TTL (-1: none). */
static int zg_set(const struct zg_parse *hosts, struct dfo_rrset *out,
		  long *ttl, struct dfo_err *err)
{
	*ttl = -1;
	for (size_t i = 0; i < hosts->n; i++) {
		const struct zg_host *h = &hosts->hosts[i];
		struct dfo_addr a;
		if (zg_type_family(h->type) != out->family ||
		    dfo_addr_parse_family(&a, h->data, out->family) < 0)
			continue;
		if (dfo_rrset_add(out, &a) < 0)
			return dfo_err_set(err, -ENOMEM, "out of memory");
		if (*ttl < 0)
			*ttl = h->ttl;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* The provider                                                        */

static void zerigo_destroy(void *state)
{
	struct zerigo *z = state;
	if (!z)
		return;
	free(z->user);
	if (z->userpwd) {
		explicit_bzero(z->userpwd, strlen(z->userpwd));
		free(z->userpwd);
	}
	free(z->zone);
	free(z->endpoint);
	free(z);
}

static int zerigo_create(const char *instance, cfg_t *sec, void **state,
			 struct dfo_err *err)
{
	const char *user = cfg_getstr(sec, "user");
	const char *key = cfg_getstr(sec, "api_key");
	const char *zone = cfg_getstr(sec, "zone");
	const char *endpoint = cfg_getstr(sec, "endpoint");
	long ttl = cfg_getint(sec, "ttl");
	if (!user || !*user)
		return dfo_err_set(err, -EINVAL,
				   "option 'user' is required "
				   "(the account's e-mail)");
	if (strchr(user, ':'))
		return dfo_err_set(err, -EINVAL,
				   "option 'user' may not "
				   "contain ':'");
	if (!key || !*key)
		return dfo_err_set(err, -EINVAL,
				   "option 'api_key' is required "
				   "(empty: is its environment variable set?)");
	if (!zone || !zg_name_ok(zone))
		return dfo_err_set(err, -EINVAL,
				   "option 'zone' must be a "
				   "domain name, e.g. \"example.com\"");
	if (!endpoint || (strncmp(endpoint, "https://", 8) != 0 &&
			  strncmp(endpoint, "http://", 7) != 0))
		return dfo_err_set(err, -EINVAL,
				   "option 'endpoint' must be an "
				   "http:// or https:// URL");
	if (strcspn(endpoint, " \t\r\n?#") != strlen(endpoint))
		return dfo_err_set(err, -EINVAL,
				   "option 'endpoint' may not "
				   "contain blanks, '?' or '#'");
	if (ttl < 1 || ttl > INT32_MAX)
		return dfo_err_set(err, -EINVAL,
				   "option 'ttl' must be 1 to "
				   "2147483647 seconds");

	struct zerigo *z = calloc(1, sizeof(*z));
	if (!z)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	z->ttl = ttl;
	z->zone_ttl = -1;
	z->user = strdup(user);
	z->endpoint = strdup(endpoint);
	z->zone = malloc(256);
	if (asprintf(&z->userpwd, "%s:%s", user, key) < 0)
		z->userpwd = NULL;
	if (!z->user || !z->endpoint || !z->zone || !z->userpwd) {
		zerigo_destroy(z);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	zg_name_norm(zone, z->zone);
	size_t el = strlen(z->endpoint);
	while (el > 0 && z->endpoint[el - 1] == '/')
		z->endpoint[--el] = '\0';
	*state = z;
	return 0;
}

/* Look the zone up, once, before the first operation (the core calls
 * start() again after a failure). */
static int zerigo_start(void *state, struct dfo_err *err)
{
	struct zerigo *z = state;
	z->zone_id[0] = '\0';
	int rc = zg_zone_lookup(z, err);
	if (rc == 0)
		dfo_log(DFO_LOG_INFO, "zerigo: zone %s is id %s at %s", z->zone,
			z->zone_id, z->endpoint);
	return rc;
}

/* `text` with &, <, >, " escaped for an XML element; malloc'd. */
static char *zg_xml_escape(const char *text)
{
	char *out = malloc(6 * strlen(text) + 1), *w = out;
	if (!out)
		return NULL;
	for (const char *c = text; *c; c++) {
		const char *e = *c == '&'   ? "&amp;"
				: *c == '<' ? "&lt;"
				: *c == '>' ? "&gt;"
				: *c == '"' ? "&quot;"
					    : NULL;
		if (e) {
			strcpy(w, e);
			w += strlen(e);
		} else {
			*w++ = *c;
		}
	}
	*w = '\0';
	return out;
}

/* The TTL of a set whose hosts have `ttl` (-1: nil, the zone's). */
static uint32_t zg_set_ttl(const struct zerigo *z, long ttl)
{
	return (uint32_t)(ttl >= 0 ? ttl : z->zone_ttl >= 0 ? z->zone_ttl : 0);
}

/* Add a host of `type` with `data` (XML-escaped here) under hostname
 * ("": the apex); ttl -1: none, the zone's default. */
static int zg_host_add(const struct zerigo *z, const char *type,
		       const char *data, const char *hostname, long ttl,
		       double deadline, struct dfo_err *err)
{
	char ttlx[48] = "", *text = zg_xml_escape(data), *body = NULL;
	if (ttl >= 0)
		snprintf(ttlx, sizeof(ttlx), "<ttl type=\"integer\">%ld</ttl>",
			 ttl);
	int rc = 0;
	if (!text ||
	    asprintf(&body,
		     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		     "<host><host-type>%s</host-type><data>%s</data>"
		     "%s%s%s%s</host>",
		     type, text, *hostname ? "<hostname>" : "", hostname,
		     *hostname ? "</hostname>" : "", ttlx) < 0) {
		body = NULL;
		rc = dfo_err_set(err, -ENOMEM, "out of memory");
	}
	free(text);
	if (rc < 0)
		return rc;
	char path[64];
	snprintf(path, sizeof(path), "/zones/%s/hosts.xml", z->zone_id);
	struct dfo_http_response resp;
	rc = zg_request(z, "POST", path, body, deadline, &resp, err);
	free(body);
	dfo_http_response_free(&resp);
	return rc;
}

/* Delete host h (`what` names it in an error); one gone already is
 * deleted. */
static int zg_host_delete(const struct zerigo *z, const struct zg_host *h,
			  const char *what, double deadline,
			  struct dfo_err *err)
{
	if (!h->id[0])
		return dfo_err_set(err, -EBADMSG, "%s: a host has no id", what);
	char path[64];
	snprintf(path, sizeof(path), "/hosts/%s.xml", h->id);
	struct dfo_http_response resp;
	int rc = zg_request(z, "DELETE", path, NULL, deadline, &resp, err);
	dfo_http_response_free(&resp);
	if (rc == -ENOENT) { /* someone deleted it first */
		dfo_err_clear(err);
		rc = 0;
	}
	return rc;
}

static int zerigo_list(void *state, const char *fqdn, struct dfo_rrset *out,
		       struct dfo_err *err)
{
	struct zerigo *z = state;
	char name[256], hb[256];
	int rc = zg_fqdn(z, fqdn, name, hb, NULL, err);
	if (rc < 0)
		return rc;
	struct zg_parse hosts;
	rc = zg_hosts(z, name, dfo_now() + ZG_TIMEOUT, &hosts, err);
	long ttl = -1;
	if (rc == 0)
		rc = zg_set(&hosts, out, &ttl, err);
	zg_parse_free(&hosts);
	if (rc == 0)
		out->ttl = zg_set_ttl(z, ttl);
	return rc;
}

enum zg_op { ZG_ADD, ZG_DEL };

static int zg_change(struct zerigo *z, enum zg_op op, const char *fqdn,
		     const struct dfo_addr *addr,
		     const struct dfo_rrset *expected, struct dfo_err *err)
{
	char name[256], hb[256], a[DFO_ADDR_STRLEN];
	const char *hostname = "";
	int rc = zg_fqdn(z, fqdn, name, hb, &hostname, err);
	if (rc < 0)
		return rc;
	dfo_addr_format(addr, a, sizeof(a));
	const char *type = addr->family == AF_INET6 ? "AAAA" : "A";
	double deadline = dfo_now() + ZG_TIMEOUT;
	struct zg_parse hosts;
	struct dfo_rrset cur;
	dfo_rrset_init(&cur, addr->family);
	long ttl = -1;
	rc = zg_hosts(z, name, deadline, &hosts, err);
	if (rc == 0)
		rc = zg_set(&hosts, &cur, &ttl, err);
	if (rc < 0)
		goto out;
	/* Not a compare-and-set (another agent may change the name right
	 * after this read), but a change that is already stale is not
	 * made. */
	if (expected && !dfo_rrset_same(&cur, expected)) {
		rc = dfo_err_set(err, DFO_ESTALE,
				 "%s %s changed since it was "
				 "read (%zu record(s) now, %zu expected)",
				 name, type, cur.count, expected->count);
		goto out;
	}
	/* Never the last record, even when asked (an operator's --try): the
	 * name would vanish.  Read just now, so this also stops the second
	 * of two agents that each took the other for dead. */
	if (op == ZG_DEL && cur.count == 1 && dfo_rrset_contains(&cur, addr)) {
		rc = dfo_err_set(err, DFO_ELAST,
				 "not deleting %s: it is the last "
				 "%s record of %s",
				 a, type, name);
		goto out;
	}
	if (op == ZG_ADD) {
		if (dfo_rrset_contains(&cur, addr))
			goto out;
		/* An existing set keeps its TTL: the new host gets the one
		 * its records have (none: the zone's default, as they). */
		rc = zg_host_add(z, type, a, hostname,
				 cur.count == 0 ? z->ttl : ttl, deadline, err);
		goto out;
	}
	char what[DFO_ADDR_STRLEN + 272];
	snprintf(what, sizeof(what), "%s %s %s", name, type, a);
	for (size_t i = 0; i < hosts.n && rc == 0; i++) {
		const struct zg_host *h = &hosts.hosts[i];
		struct dfo_addr ha;
		if (zg_type_family(h->type) != addr->family ||
		    dfo_addr_parse_family(&ha, h->data, addr->family) < 0 ||
		    !dfo_addr_equal(&ha, addr))
			continue;
		rc = zg_host_delete(z, h, what, deadline, err);
	}
out:
	zg_parse_free(&hosts);
	dfo_rrset_clear(&cur);
	return rc;
}

static int zerigo_add(void *state, const char *fqdn,
		      const struct dfo_addr *addr,
		      const struct dfo_rrset *expected, struct dfo_err *err)
{
	return zg_change(state, ZG_ADD, fqdn, addr, expected, err);
}

static int zerigo_del(void *state, const char *fqdn,
		      const struct dfo_addr *addr,
		      const struct dfo_rrset *expected, struct dfo_err *err)
{
	return zg_change(state, ZG_DEL, fqdn, addr, expected, err);
}

/* ------------------------------------------------------------------ */
/* State records (quorum eviction): TXT hosts of the state name       */

static bool zg_is_txt(const struct zg_host *h)
{
	return strcasecmp(h->type, "TXT") == 0;
}

static int zerigo_state_list(void *state, const char *name,
			     struct dfo_txtset *out, struct dfo_err *err)
{
	struct zerigo *z = state;
	char norm[256], hb[256];
	int rc = zg_fqdn(z, name, norm, hb, NULL, err);
	if (rc < 0)
		return rc;
	struct zg_parse hosts;
	rc = zg_hosts(z, norm, dfo_now() + ZG_TIMEOUT, &hosts, err);
	long ttl = -1;
	for (size_t i = 0; rc == 0 && i < hosts.n; i++) {
		const struct zg_host *h = &hosts.hosts[i];
		if (!zg_is_txt(h) || !dfo_txt_valid(h->text))
			continue; /* not a state text (someone else's) */
		if (dfo_txtset_add(out, h->text) == -ENOMEM)
			rc = dfo_err_set(err, -ENOMEM, "out of memory");
		if (ttl < 0)
			ttl = h->ttl;
	}
	zg_parse_free(&hosts);
	if (rc == 0)
		out->ttl = zg_set_ttl(z, ttl);
	return rc;
}

static int zerigo_state_change(void *state, const char *name, const char *del,
			       const char *add,
			       const struct dfo_txtset *expected, uint32_t ttl,
			       struct dfo_err *err)
{
	(void)expected; /* single records change: see the top of the file */
	struct zerigo *z = state;
	if ((del && !dfo_txt_valid(del)) || (add && !dfo_txt_valid(add)))
		return dfo_err_set(err, -EINVAL,
				   "zerigo: a state text is "
				   "printable ASCII, 1 to %d bytes",
				   DFO_TXT_MAX);
	char norm[256], hb[256];
	const char *hostname = "";
	int rc = zg_fqdn(z, name, norm, hb, &hostname, err);
	if (rc < 0)
		return rc;
	double deadline = dfo_now() + ZG_TIMEOUT;
	struct zg_parse hosts;
	rc = zg_hosts(z, norm, deadline, &hosts, err);
	bool present = false;
	for (size_t i = 0; rc == 0 && add && i < hosts.n; i++)
		present |= zg_is_txt(&hosts.hosts[i]) &&
			   strcmp(hosts.hosts[i].text, add) == 0;
	if (rc == 0 && add && !present)
		rc = zg_host_add(z, "TXT", add, hostname, (long)ttl, deadline,
				 err);
	/* Then the old record, by id: every TXT host holding it. */
	char what[272];
	snprintf(what, sizeof(what), "%s TXT", norm);
	for (size_t i = 0; rc == 0 && del && i < hosts.n; i++) {
		const struct zg_host *h = &hosts.hosts[i];
		if (!zg_is_txt(h) || strcmp(h->text, del) != 0 ||
		    (add && strcmp(add, del) == 0))
			continue;
		rc = zg_host_delete(z, h, what, deadline, err);
	}
	zg_parse_free(&hosts);
	return rc;
}

static const char *zerigo_zone(void *state)
{
	return ((struct zerigo *)state)->zone;
}

static const struct dfo_dns_provider zerigo_provider = {
	.size = sizeof(struct dfo_dns_provider),
	.name = "zerigo",
	.description = "records at a Zerigo DNS REST API v1.1 service "
		       "(no compare-and-set)",
	.options = zerigo_opts,
	.create = zerigo_create,
	.destroy = zerigo_destroy,
	.start = zerigo_start,
	.flags = 0, /* no DFO_DNS_CAS: the API has no compare-and-set */
	.list = zerigo_list,
	.add = zerigo_add,
	.del = zerigo_del,
	.call_spacing = NULL, /* no documented rate limit */
	.state_list = zerigo_state_list,
	.state_change = zerigo_state_change,
	.zone = zerigo_zone,
};

static int zerigo_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_dns(reg, &zerigo_provider);
}

DFO_MODULE("dns_zerigo", zerigo_init);
