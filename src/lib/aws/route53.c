/*
 * Route 53 (REST XML, API 2013-04-01): record sets of one name and type,
 * change batches, GetChange, hosted zones by name.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/internal.h"
#include "core.h"

#define R53_NS	      "https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_MAX_PAGES 100

/* ---- a small XML walker: fn(path, text) at each element's end ---- */

typedef int (*walk_fn)(void *ctx, const char *path, const char *text);

struct walk {
	XML_Parser xp;
	char path[512];
	unsigned deeper; /* open elements too deep for path: not walked */
	struct dfo_sbuf text;
	walk_fn fn;
	void *ctx;
	int rc;
};

static void w_start(void *ud, const char *name, const char **attrs)
{
	struct walk *w = ud;
	size_t l = strlen(w->path);
	if (w->deeper || l + 1 + strlen(name) >= sizeof(w->path))
		w->deeper++; /* no answer nests so deep; a cut name would
				put the path out of step with the elements */
	else
		snprintf(w->path + l, sizeof(w->path) - l, "/%s", name);
	w->text.len = 0;
	if (w->text.s)
		w->text.s[0] = '\0';
}

static void w_end(void *ud, const char *name)
{
	struct walk *w = ud;
	if (w->deeper) {
		w->deeper--;
	} else {
		if (w->rc == 0)
			w->rc = w->fn(w->ctx, w->path,
				      w->text.s ? w->text.s : "");
		if (w->rc)
			XML_StopParser(w->xp, XML_FALSE);
		char *slash = strrchr(w->path, '/');
		if (slash)
			*slash = '\0';
	}
	w->text.len = 0;
	if (w->text.s)
		w->text.s[0] = '\0';
}

static void w_text(void *ud, const char *s, int len)
{
	struct walk *w = ud;
	if (w->text.len < 65536 && dfo_sbuf_add(&w->text, s, (size_t)len) < 0)
		w->rc = -ENOMEM;
}

static int xml_walk(const char *what, const char *xml, size_t len, walk_fn fn,
		    void *ctx, struct dfo_err *err)
{
	struct walk w = {.fn = fn, .ctx = ctx};
	if (!(w.xp = XML_ParserCreate(NULL)))
		return dfo_err_set(err, -ENOMEM, "%s: out of memory", what);
	XML_SetUserData(w.xp, &w);
	XML_SetElementHandler(w.xp, w_start, w_end);
	XML_SetCharacterDataHandler(w.xp, w_text);
	int ok = XML_Parse(w.xp, xml, (int)len, 1) == XML_STATUS_OK;
	int rc = w.rc;
	if (!ok && rc == 0)
		rc = dfo_err_set(err, -EBADMSG,
				 "%s: malformed answer: line "
				 "%lu: %s",
				 what, XML_GetCurrentLineNumber(w.xp),
				 XML_ErrorString(XML_GetErrorCode(w.xp)));
	else if (rc < 0)
		dfo_err_set(err, rc, "%s: %s", what, strerror(-rc));
	XML_ParserFree(w.xp);
	free(w.text.s);
	return rc;
}

/* ---- helpers ---- */

static const char *endpoint(struct dfo_aws *aws)
{
	return aws->route53_endpoint ? aws->route53_endpoint
				     : "https://route53.amazonaws.com";
}

/* "Z123" from "Z123" or "/hostedzone/Z123". */
static const char *bare_id(const char *id, const char *prefix)
{
	size_t l = strlen(prefix);
	return strncmp(id, prefix, l) == 0 ? id + l : id;
}

/* Names equal ignoring case and a final dot. */
static bool name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static int r53_call(struct dfo_aws *aws, const char *method, const char *path,
		    const struct dfo_aws_query *q, const char *body,
		    struct dfo_http_response *resp, struct dfo_err *err)
{
	struct dfo_aws_call call = {
		.service = "route53",
		.region = "us-east-1", /* Route 53 signs in us-east-1 */
		.endpoint = endpoint(aws),
		.method = method,
		.path = path,
		.query = q,
		.body = body,
		.body_len = body ? strlen(body) : 0,
		.content_type = body ? "text/xml" : NULL,
	};
	return dfo_aws_request(aws, &call, resp, err);
}

void dfo_r53_rrset_free(struct dfo_r53_rrset *set)
{
	if (!set)
		return;
	free(set->name);
	free(set->set_id);
	free(set->alias_target);
	for (size_t i = 0; i < set->nvalues; i++)
		free(set->values[i]);
	free(set->values);
	memset(set, 0, sizeof(*set));
}

/* ---- hosted zone by name ----
 *
 * ListHostedZonesByName lists zones in the order of their names read from
 * the last label (then by id), from `dnsname` on.  Several zones may have
 * one name (a public and a private one, or two public ones): all of them
 * come first, over pages if there are many; any other name ends them. */

#define R53_ZONES_SAME_MAX 16 /* ids kept to name in the refusal */

struct zones {
	const char *want;
	char *cur_id, *cur_name;
	int cur_private; /* -1: not said */
	char *ids[R53_ZONES_SAME_MAX];
	int private_zone[R53_ZONES_SAME_MAX];
	size_t n;  /* zones named `want` (maybe more than ids kept) */
	bool past; /* a zone of another name after them */
	bool truncated;
	char *next_name, *next_id;
};

static int zones_fn(void *ctx, const char *path, const char *text)
{
	struct zones *z = ctx;
	static const char top[] = "/ListHostedZonesByNameResponse";
	static const char hz[] = "/ListHostedZonesByNameResponse/HostedZones/"
				 "HostedZone";
	if (strncmp(path, top, sizeof(top) - 1) != 0)
		return 0;
	const char *trel = path + sizeof(top) - 1;
	char **tdst = strcmp(trel, "/NextDNSName") == 0	       ? &z->next_name
		      : strcmp(trel, "/NextHostedZoneId") == 0 ? &z->next_id
							       : NULL;
	if (tdst) {
		free(*tdst);
		return (*tdst = strdup(text)) ? 0 : -ENOMEM;
	}
	if (strcmp(trel, "/IsTruncated") == 0) {
		z->truncated = strcmp(text, "true") == 0;
		return 0;
	}
	if (strncmp(path, hz, sizeof(hz) - 1) != 0)
		return 0;
	const char *rel = path + sizeof(hz) - 1;
	char **dst = strcmp(rel, "/Id") == 0	 ? &z->cur_id
		     : strcmp(rel, "/Name") == 0 ? &z->cur_name
						 : NULL;
	if (dst) {
		free(*dst);
		if (!(*dst = strdup(text)))
			return -ENOMEM;
	} else if (strcmp(rel, "/Config/PrivateZone") == 0) {
		z->cur_private = strcmp(text, "true") == 0;
	} else if (!*rel) {
		if (z->cur_id && z->cur_name && !z->past &&
		    name_eq(z->cur_name, z->want)) {
			if (z->n < R53_ZONES_SAME_MAX) {
				z->ids[z->n] = strdup(
					bare_id(z->cur_id, "/hostedzone/"));
				if (!z->ids[z->n])
					return -ENOMEM;
				z->private_zone[z->n] = z->cur_private;
			}
			z->n++;
		} else if (z->cur_name) {
			z->past = true;
		}
		free(z->cur_id);
		free(z->cur_name);
		z->cur_id = z->cur_name = NULL;
		z->cur_private = -1;
	}
	return 0;
}

static void zones_free(struct zones *z)
{
	free(z->cur_id);
	free(z->cur_name);
	free(z->next_name);
	free(z->next_id);
	for (size_t i = 0; i < z->n && i < R53_ZONES_SAME_MAX; i++)
		free(z->ids[i]);
}

/* One page of ListHostedZonesByName from `name` (and `id`) into z. */
static int zones_page(struct dfo_aws *aws, const char *name, const char *id,
		      struct zones *z, struct dfo_err *err)
{
	struct dfo_aws_query q;
	struct dfo_http_response resp;
	dfo_aws_query_init(&q);
	if (dfo_aws_query_add(&q, "dnsname", name) < 0 ||
	    (id && dfo_aws_query_add(&q, "hostedzoneid", id) < 0) ||
	    dfo_aws_query_add(&q, "maxitems", "10") < 0) {
		dfo_aws_query_clear(&q);
		return dfo_err_set(err, -ENOMEM, "route53: out of memory");
	}
	int rc = r53_call(aws, "GET", "/2013-04-01/hostedzonesbyname", &q, NULL,
			  &resp, err);
	dfo_aws_query_clear(&q);
	z->truncated = false;
	if (rc == 0)
		rc = xml_walk("route53 ListHostedZonesByName", resp.body,
			      resp.len, zones_fn, z, err);
	dfo_http_response_free(&resp);
	return rc;
}

/* "Z1 (public), Z2 (private)" of the zones found. */
static void zones_said(const struct zones *z, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < z->n && i < R53_ZONES_SAME_MAX && len < size;
	     i++) {
		int w = snprintf(buf + len, size - len, "%s%s%s", i ? ", " : "",
				 z->ids[i],
				 z->private_zone[i] < 0 ? ""
				 : z->private_zone[i]	? " (private)"
							: " (public)");
		len += w > 0 ? (size_t)w : 0;
	}
	if (z->n > R53_ZONES_SAME_MAX && len < size)
		snprintf(buf + len, size - len, ", ...");
}

int dfo_r53_zone_id(struct dfo_aws *aws, const char *zone, char **id,
		    struct dfo_err *err)
{
	struct zones z = {.want = zone, .cur_private = -1};
	char *from_name = NULL, *from_id = NULL;
	int rc = 0;
	*id = NULL;
	for (int page = 0;; page++) {
		rc = zones_page(aws, from_name ? from_name : zone, from_id, &z,
				err);
		if (rc < 0)
			break;
		/* On only while the next page may still hold this name. */
		if (!z.truncated || z.past || !z.next_name || !z.next_id ||
		    !name_eq(z.next_name, zone))
			break;
		if (page + 1 >= R53_MAX_PAGES) {
			rc = dfo_err_set(err, -ELOOP,
					 "route53: more than %d "
					 "pages of hosted zones named %s",
					 R53_MAX_PAGES, zone);
			break;
		}
		free(from_name);
		free(from_id);
		from_name = z.next_name;
		from_id = z.next_id;
		z.next_name = z.next_id = NULL;
	}
	free(from_name);
	free(from_id);
	if (rc == 0 && z.n == 0)
		rc = dfo_err_set(err, -ENOENT,
				 "route53: no hosted zone named "
				 "%s",
				 zone);
	if (rc == 0 && z.n > 1) {
		char said[200];
		zones_said(&z, said, sizeof(said));
		rc = dfo_err_set(err, -ENOTUNIQ,
				 "route53: %zu hosted zones are "
				 "named %s: %s",
				 z.n, zone, said);
	}
	if (rc == 0) {
		*id = z.ids[0];
		z.ids[0] = NULL;
	}
	zones_free(&z);
	return rc;
}

/* ---- GetHostedZone: the delegation set ---- */

struct zone_ns {
	char **ns;
	size_t n;
	bool private_zone;
};

static int zone_ns_fn(void *ctx, const char *path, const char *text)
{
	struct zone_ns *z = ctx;
	if (strcmp(path, "/GetHostedZoneResponse/HostedZone/Config/"
			 "PrivateZone") == 0) {
		z->private_zone = strcmp(text, "true") == 0;
		return 0;
	}
	if (strcmp(path, "/GetHostedZoneResponse/DelegationSet/NameServers/"
			 "NameServer") != 0 ||
	    z->n >= 64)
		return 0;
	char **v = realloc(z->ns, (z->n + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	z->ns = v;
	if (!(v[z->n] = strdup(text)))
		return -ENOMEM;
	z->n++;
	return 0;
}

int dfo_r53_zone_nameservers(struct dfo_aws *aws, const char *zone_id,
			     char ***ns, size_t *n, struct dfo_err *err)
{
	char path[256];
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s",
		 bare_id(zone_id, "/hostedzone/"));
	struct dfo_http_response resp;
	struct zone_ns z = {0};
	*ns = NULL;
	*n = 0;
	int rc = r53_call(aws, "GET", path, NULL, NULL, &resp, err);
	if (rc == 0)
		rc = xml_walk("route53 GetHostedZone", resp.body, resp.len,
			      zone_ns_fn, &z, err);
	dfo_http_response_free(&resp);
	if (rc == 0 && z.n == 0)
		rc = dfo_err_set(err, -ENOENT,
				 "route53: hosted zone %s has no "
				 "delegation set%s",
				 zone_id,
				 z.private_zone ? " (a private zone: name its "
						  "resolvers)"
						: "");
	if (rc < 0) {
		for (size_t i = 0; i < z.n; i++)
			free(z.ns[i]);
		free(z.ns);
		return rc;
	}
	*ns = z.ns;
	*n = z.n;
	return 0;
}

/* ---- ListResourceRecordSets ---- */

struct listing {
	const char *name, *type;
	struct dfo_r53_rrset cur;
	struct dfo_r53_rrset *sets;
	size_t n;
	bool truncated;
	char *next_name, *next_type, *next_id;
	bool past; /* a set after name/type was seen: no need to go on */
	dfo_r53_rrset_cb cb; /* dfo_r53_list_zone: every set goes here */
	void *cb_ctx;
};

static int set_str(char **dst, const char *text)
{
	free(*dst);
	return (*dst = strdup(text)) ? 0 : -ENOMEM;
}

static int list_fn(void *ctx, const char *path, const char *text)
{
	struct listing *l = ctx;
	static const char root[] = "/ListResourceRecordSetsResponse";
	static const char rs[] = "/ListResourceRecordSetsResponse/"
				 "ResourceRecordSets/ResourceRecordSet";
	if (strncmp(path, rs, sizeof(rs) - 1) == 0) {
		const char *rel = path + sizeof(rs) - 1;
		if (strcmp(rel, "/Name") == 0)
			return set_str(&l->cur.name, text);
		if (strcmp(rel, "/Type") == 0) {
			snprintf(l->cur.type, sizeof(l->cur.type), "%s", text);
			return 0;
		}
		if (strcmp(rel, "/TTL") == 0) {
			l->cur.ttl = (uint32_t)strtoul(text, NULL, 10);
			return 0;
		}
		if (strcmp(rel, "/SetIdentifier") == 0)
			return set_str(&l->cur.set_id, text);
		if (strcmp(rel, "/AliasTarget/DNSName") == 0) {
			l->cur.alias = true;
			return set_str(&l->cur.alias_target, text);
		}
		if (strcmp(rel, "/ResourceRecords/ResourceRecord/Value") == 0) {
			char **v = realloc(l->cur.values,
					   (l->cur.nvalues + 1) * sizeof(*v));
			if (!v)
				return -ENOMEM;
			l->cur.values = v;
			if (!(v[l->cur.nvalues] = strdup(text)))
				return -ENOMEM;
			l->cur.nvalues++;
			return 0;
		}
		if (*rel)
			return 0;
		if (l->cb) { /* the whole zone: hand each set over */
			int r = l->cur.name ? l->cb(&l->cur, l->cb_ctx) : 0;
			dfo_r53_rrset_free(&l->cur);
			return r < 0 ? r : 0;
		}
		/* end of one set: keep it if it is the one asked for */
		if (l->cur.name && name_eq(l->cur.name, l->name) &&
		    strcasecmp(l->cur.type, l->type) == 0) {
			struct dfo_r53_rrset *s =
				realloc(l->sets, (l->n + 1) * sizeof(*s));
			if (!s)
				return -ENOMEM;
			l->sets = s;
			s[l->n++] = l->cur;
			memset(&l->cur, 0, sizeof(l->cur));
		} else {
			l->past = true;
			dfo_r53_rrset_free(&l->cur);
		}
		return 0;
	}
	if (strncmp(path, root, sizeof(root) - 1) != 0)
		return 0;
	const char *rel = path + sizeof(root) - 1;
	if (strcmp(rel, "/IsTruncated") == 0)
		l->truncated = strcmp(text, "true") == 0;
	else if (strcmp(rel, "/NextRecordName") == 0)
		return set_str(&l->next_name, text);
	else if (strcmp(rel, "/NextRecordType") == 0)
		return set_str(&l->next_type, text);
	else if (strcmp(rel, "/NextRecordIdentifier") == 0)
		return set_str(&l->next_id, text);
	return 0;
}

/* One page of ListResourceRecordSets from (name, type, ident), each NULL
 * for none, walked into `l` (l->truncated says whether more follow). */
static int list_page(struct dfo_aws *aws, const char *path, const char *name,
		     const char *type, const char *ident, const char *maxitems,
		     struct listing *l, struct dfo_err *err)
{
	struct dfo_aws_query q;
	struct dfo_http_response resp;
	dfo_aws_query_init(&q);
	if ((name && dfo_aws_query_add(&q, "name", name) < 0) ||
	    (type && dfo_aws_query_add(&q, "type", type) < 0) ||
	    dfo_aws_query_add(&q, "maxitems", maxitems) < 0 ||
	    (ident && dfo_aws_query_add(&q, "identifier", ident) < 0)) {
		dfo_aws_query_clear(&q);
		return dfo_err_set(err, -ENOMEM, "route53: out of memory");
	}
	int rc = r53_call(aws, "GET", path, &q, NULL, &resp, err);
	dfo_aws_query_clear(&q);
	l->truncated = false;
	if (rc == 0)
		rc = xml_walk("route53 ListResourceRecordSets", resp.body,
			      resp.len, list_fn, l, err);
	dfo_http_response_free(&resp);
	return rc;
}

int dfo_r53_list(struct dfo_aws *aws, const char *zone_id, const char *name,
		 const char *type, struct dfo_r53_rrset **sets, size_t *n,
		 struct dfo_err *err)
{
	char path[256];
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset",
		 bare_id(zone_id, "/hostedzone/"));
	struct listing l = {.name = name, .type = type};
	char *ident = NULL;
	int rc = 0;
	*sets = NULL;
	*n = 0;
	for (int page = 0;; page++) {
		rc = list_page(aws, path, name, type, ident, "100", &l, err);
		if (rc < 0)
			break;
		/* Go on only while the next page still holds this name and
		 * type (sets with identifiers). */
		if (!l.truncated || l.past || !l.next_name || !l.next_type ||
		    !name_eq(l.next_name, name) ||
		    strcasecmp(l.next_type, type) != 0 || !l.next_id)
			break;
		if (page + 1 >= R53_MAX_PAGES) {
			rc = dfo_err_set(err, -ELOOP,
					 "route53: more than %d "
					 "pages for %s %s",
					 R53_MAX_PAGES, name, type);
			break;
		}
		free(ident);
		ident = l.next_id;
		l.next_id = NULL;
	}
	free(ident);
	free(l.next_name);
	free(l.next_type);
	free(l.next_id);
	dfo_r53_rrset_free(&l.cur);
	if (rc < 0) {
		for (size_t i = 0; i < l.n; i++)
			dfo_r53_rrset_free(&l.sets[i]);
		free(l.sets);
		return rc;
	}
	*sets = l.sets;
	*n = l.n;
	return 0;
}

#define R53_ZONE_MAX_PAGES 2000

int dfo_r53_list_zone(struct dfo_aws *aws, const char *zone_id,
		      dfo_r53_rrset_cb cb, void *ctx, struct dfo_err *err)
{
	char path[256];
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset",
		 bare_id(zone_id, "/hostedzone/"));
	struct listing l = {.cb = cb, .cb_ctx = ctx};
	char *name = NULL, *type = NULL, *ident = NULL;
	int rc = 0;
	for (int page = 0;; page++) {
		rc = list_page(aws, path, name, type, ident, "300", &l, err);
		if (rc < 0 || !l.truncated)
			break;
		if (!l.next_name || !l.next_type) {
			rc = dfo_err_set(err, -EIO,
					 "route53: a truncated "
					 "listing without NextRecordName");
			break;
		}
		if (page + 1 >= R53_ZONE_MAX_PAGES) {
			rc = dfo_err_set(err, -ELOOP,
					 "route53: more than %d "
					 "pages in zone %s",
					 R53_ZONE_MAX_PAGES, zone_id);
			break;
		}
		free(name);
		free(type);
		free(ident);
		name = l.next_name;
		type = l.next_type;
		ident = l.next_id;
		l.next_name = l.next_type = l.next_id = NULL;
	}
	free(name);
	free(type);
	free(ident);
	free(l.next_name);
	free(l.next_type);
	free(l.next_id);
	dfo_r53_rrset_free(&l.cur);
	return rc;
}

/* ---- ChangeResourceRecordSets, GetChange ---- */

struct change_info {
	char *id, *status;
};

static int change_fn(void *ctx, const char *path, const char *text)
{
	struct change_info *c = ctx;
	const char *p = strstr(path, "/ChangeInfo/");
	if (!p)
		return 0;
	if (strcmp(p, "/ChangeInfo/Id") == 0)
		return set_str(&c->id, bare_id(text, "/change/"));
	if (strcmp(p, "/ChangeInfo/Status") == 0)
		return set_str(&c->status, text);
	return 0;
}

static const char *action_name(enum dfo_r53_action a)
{
	return a == DFO_R53_CREATE   ? "CREATE"
	       : a == DFO_R53_DELETE ? "DELETE"
				     : "UPSERT";
}

static int batch_xml(struct dfo_sbuf *b, const struct dfo_r53_change *changes,
		     size_t n, const char *comment)
{
	int rc = dfo_sbuf_addf(b,
			       "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			       "<ChangeResourceRecordSetsRequest xmlns=\"%s\">"
			       "<ChangeBatch>",
			       R53_NS);
	if (comment && rc == 0) {
		rc = dfo_sbuf_addf(b, "<Comment>");
		rc = rc ? rc : sbuf_add_xml(b, comment);
		rc = rc ? rc : dfo_sbuf_addf(b, "</Comment>");
	}
	rc = rc ? rc : dfo_sbuf_addf(b, "<Changes>");
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct dfo_r53_rrset *s = changes[i].set;
		rc = dfo_sbuf_addf(b,
				   "<Change><Action>%s</Action>"
				   "<ResourceRecordSet><Name>",
				   action_name(changes[i].action));
		rc = rc ? rc : sbuf_add_xml(b, s->name);
		rc = rc ? rc : dfo_sbuf_addf(b, "</Name><Type>");
		rc = rc ? rc : sbuf_add_xml(b, s->type);
		rc = rc ? rc : dfo_sbuf_addf(b, "</Type>");
		if (s->set_id && rc == 0) {
			rc = dfo_sbuf_addf(b, "<SetIdentifier>");
			rc = rc ? rc : sbuf_add_xml(b, s->set_id);
			rc = rc ? rc : dfo_sbuf_addf(b, "</SetIdentifier>");
		}
		rc = rc ? rc
			: dfo_sbuf_addf(b, "<TTL>%u</TTL><ResourceRecords>",
					(unsigned)s->ttl);
		for (size_t v = 0; v < s->nvalues && rc == 0; v++) {
			rc = dfo_sbuf_addf(b, "<ResourceRecord><Value>");
			rc = rc ? rc : sbuf_add_xml(b, s->values[v]);
			rc = rc ? rc
				: dfo_sbuf_addf(b, "</Value></ResourceRecord>");
		}
		rc = rc ? rc
			: dfo_sbuf_addf(b, "</ResourceRecords>"
					   "</ResourceRecordSet></Change>");
	}
	rc = rc ? rc
		: dfo_sbuf_addf(b, "</Changes></ChangeBatch>"
				   "</ChangeResourceRecordSetsRequest>");
	return rc;
}

int dfo_r53_change(struct dfo_aws *aws, const char *zone_id,
		   const struct dfo_r53_change *changes, size_t n,
		   const char *comment, char **change_id, struct dfo_err *err)
{
	if (change_id)
		*change_id = NULL;
	if (n == 0)
		return dfo_err_set(err, -EINVAL, "route53: empty change batch");
	struct dfo_sbuf b = {0};
	if (batch_xml(&b, changes, n, comment) < 0) {
		free(b.s);
		return dfo_err_set(err, -ENOMEM, "route53: out of memory");
	}
	char path[256];
	snprintf(path, sizeof(path), "/2013-04-01/hostedzone/%s/rrset/",
		 bare_id(zone_id, "/hostedzone/"));
	struct dfo_http_response resp;
	int rc = r53_call(aws, "POST", path, NULL, b.s, &resp, err);
	free(b.s);
	struct change_info ci = {0};
	if (rc == 0)
		rc = xml_walk("route53 ChangeResourceRecordSets", resp.body,
			      resp.len, change_fn, &ci, err);
	dfo_http_response_free(&resp);
	if (rc == 0 && !ci.id)
		rc = dfo_err_set(err, -EBADMSG,
				 "route53: the answer names no "
				 "change");
	if (rc == 0) {
		dfo_log(DFO_LOG_DEBUG, "route53: change %s %s", ci.id,
			ci.status ? ci.status : "");
		if (change_id) {
			*change_id = ci.id;
			ci.id = NULL;
		}
	}
	free(ci.id);
	free(ci.status);
	return rc;
}

int dfo_r53_wait(struct dfo_aws *aws, const char *change_id, double interval,
		 double bound, struct dfo_err *err)
{
	char path[256];
	snprintf(path, sizeof(path), "/2013-04-01/change/%s",
		 bare_id(change_id, "/change/"));
	double deadline = dfo_now() + bound;
	for (;;) {
		struct dfo_http_response resp;
		struct change_info ci = {0};
		int rc = r53_call(aws, "GET", path, NULL, NULL, &resp, err);
		if (rc == 0)
			rc = xml_walk("route53 GetChange", resp.body, resp.len,
				      change_fn, &ci, err);
		dfo_http_response_free(&resp);
		bool insync = ci.status && strcmp(ci.status, "INSYNC") == 0;
		free(ci.id);
		free(ci.status);
		if (rc < 0)
			return rc;
		if (insync)
			return 0;
		double left = deadline - dfo_now();
		if (left <= 0)
			return dfo_err_set(err, -ETIMEDOUT,
					   "route53: change %s "
					   "still PENDING after %.1f s",
					   change_id, bound);
		if (aws_sleep(interval < left ? interval : left) < 0)
			return dfo_err_set(err, -EINTR,
					   "route53: change %s: "
					   "interrupted: stopping",
					   change_id);
	}
}
