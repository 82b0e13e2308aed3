/*
 * EC2 DescribeInstances: the Query API over POST, every page, parsed by
 * expat as it arrives.  At most one page of instances is held.
 */
#include "config.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/internal.h"
#include "core.h"

#define EC2_VERSION   "2016-11-15"
#define EC2_MAX_PAGES 10000

/* Parser state of one page. */
struct page {
	XML_Parser xp;
	char path[1024];      /* "/DescribeInstancesResponse/..." */
	size_t inst_at;	      /* length of path at the current instance; 0 */
	struct dfo_sbuf text; /* character data of the current element */
	struct dfo_ec2_instance *insts;
	size_t n, cap;
	struct dfo_aws_tag tag; /* being read */
	char *next_token;
	bool bad; /* malformed or out of memory */
	char why[128];
};

void dfo_ec2_instance_clear(struct dfo_ec2_instance *i)
{
	char **s[] = {&i->id,	     &i->state,	      &i->type,
		      &i->key_name,  &i->image_id,    &i->private_ip,
		      &i->public_ip, &i->private_dns, &i->public_dns,
		      &i->az,	     &i->vpc_id,      &i->subnet_id};
	for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
		free(*s[k]);
	for (size_t k = 0; k < i->nipv6; k++)
		free(i->ipv6[k]);
	free(i->ipv6);
	for (size_t k = 0; k < i->ntags; k++) {
		free(i->tags[k].key);
		free(i->tags[k].value);
	}
	free(i->tags);
	memset(i, 0, sizeof(*i));
}

static void page_reset(struct page *pg)
{
	for (size_t i = 0; i < pg->n; i++)
		dfo_ec2_instance_clear(&pg->insts[i]);
	pg->n = 0;
	free(pg->tag.key);
	free(pg->tag.value);
	pg->tag.key = pg->tag.value = NULL;
	free(pg->next_token);
	pg->next_token = NULL;
	pg->path[0] = '\0';
	pg->inst_at = 0;
	pg->text.len = 0;
	pg->bad = false;
	pg->why[0] = '\0';
}

static void oom(struct page *pg)
{
	pg->bad = true;
	snprintf(pg->why, sizeof(pg->why), "out of memory");
	XML_StopParser(pg->xp, XML_FALSE);
}

static void on_start(void *ud, const char *name, const char **attrs)
{
	struct page *pg = ud;
	size_t l = strlen(pg->path), nl = strlen(name);
	if (l + nl + 2 > sizeof(pg->path)) {
		pg->bad = true;
		snprintf(pg->why, sizeof(pg->why), "XML nested too deep");
		XML_StopParser(pg->xp, XML_FALSE);
		return;
	}
	pg->path[l] = '/';
	memcpy(pg->path + l + 1, name, nl + 1);
	pg->text.len = 0;
	if (pg->text.s)
		pg->text.s[0] = '\0';
	if (!pg->inst_at &&
	    strcmp(pg->path, "/DescribeInstancesResponse/reservationSet/item/"
			     "instancesSet/item") == 0) {
		if (pg->n == pg->cap) {
			size_t cap = pg->cap ? pg->cap * 2 : 16;
			struct dfo_ec2_instance *a =
				realloc(pg->insts, cap * sizeof(*a));
			if (!a)
				return oom(pg);
			pg->insts = a;
			pg->cap = cap;
		}
		memset(&pg->insts[pg->n++], 0, sizeof(*pg->insts));
		pg->inst_at = strlen(pg->path);
	}
}

/* Fields of an instance, by path below its <item>. */
static char **field(struct dfo_ec2_instance *i, const char *rel)
{
	static const struct {
		const char *rel;
		size_t off;
	} map[] = {
#define F(R, M) {R, offsetof(struct dfo_ec2_instance, M)}
		F("instanceId", id),	   F("instanceState/name", state),
		F("instanceType", type),   F("keyName", key_name),
		F("imageId", image_id),	   F("privateIpAddress", private_ip),
		F("ipAddress", public_ip), F("privateDnsName", private_dns),
		F("dnsName", public_dns),  F("placement/availabilityZone", az),
		F("vpcId", vpc_id),	   F("subnetId", subnet_id),
#undef F
	};
	for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
		if (strcmp(rel, map[k].rel) == 0)
			return (char **)((char *)i + map[k].off);
	return NULL;
}

static int push_str(char ***arr, size_t *n, char *s)
{
	char **a = realloc(*arr, (*n + 1) * sizeof(*a));
	if (!a)
		return -ENOMEM;
	a[(*n)++] = s;
	*arr = a;
	return 0;
}

static void on_end(void *ud, const char *name)
{
	struct page *pg = ud;
	/* Once stopped, expat may still end an empty element whose start
	 * was refused (too deep), so that its name is not on the path. */
	if (pg->bad)
		return;
	const char *text = pg->text.s ? pg->text.s : "";
	size_t l = strlen(pg->path);
	if (pg->inst_at && l > pg->inst_at) {
		struct dfo_ec2_instance *i = &pg->insts[pg->n - 1];
		const char *rel = pg->path + pg->inst_at + 1;
		char **f = field(i, rel);
		if (f && !*f) {
			if (!(*f = strdup(text)))
				return oom(pg);
		} else if (strcmp(rel, "tagSet/item/key") == 0) {
			free(pg->tag.key);
			if (!(pg->tag.key = strdup(text)))
				return oom(pg);
		} else if (strcmp(rel, "tagSet/item/value") == 0) {
			free(pg->tag.value);
			if (!(pg->tag.value = strdup(text)))
				return oom(pg);
		} else if (strcmp(rel, "tagSet/item") == 0 && pg->tag.key) {
			struct dfo_aws_tag *t =
				realloc(i->tags, (i->ntags + 1) * sizeof(*t));
			if (!t)
				return oom(pg);
			i->tags = t;
			if (!pg->tag.value && !(pg->tag.value = strdup("")))
				return oom(pg);
			t[i->ntags++] = pg->tag;
			pg->tag.key = pg->tag.value = NULL;
		} else if (strcmp(rel,
				  "networkInterfaceSet/item/"
				  "ipv6AddressesSet/item/ipv6Address") == 0) {
			char *s = strdup(text);
			if (!s || push_str(&i->ipv6, &i->nipv6, s) < 0) {
				free(s);
				return oom(pg);
			}
		}
	} else if (strcmp(pg->path, "/DescribeInstancesResponse/nextToken") ==
			   0 &&
		   *text) {
		free(pg->next_token);
		if (!(pg->next_token = strdup(text)))
			return oom(pg);
	}
	if (pg->inst_at == l)
		pg->inst_at = 0;
	pg->path[l - strlen(name) - 1] = '\0';
	pg->text.len = 0;
	if (pg->text.s)
		pg->text.s[0] = '\0';
}

static void on_text(void *ud, const char *s, int len)
{
	struct page *pg = ud;
	if (pg->text.len + (size_t)len > 64 * 1024)
		return; /* no field is this long; ignore the rest */
	if (dfo_sbuf_add(&pg->text, s, (size_t)len) < 0)
		oom(pg);
}

static int page_sink(const char *data, size_t len, void *ctx)
{
	struct page *pg = ctx;
	if (pg->bad)
		return 1;
	if (XML_Parse(pg->xp, data, (int)len, 0) == XML_STATUS_ERROR) {
		if (!pg->bad) {
			pg->bad = true;
			snprintf(pg->why, sizeof(pg->why), "line %lu: %s",
				 XML_GetCurrentLineNumber(pg->xp),
				 XML_ErrorString(XML_GetErrorCode(pg->xp)));
		}
		return 1;
	}
	return 0;
}

static void page_restart(void *ctx)
{
	struct page *pg = ctx;
	page_reset(pg);
	XML_ParserReset(pg->xp, NULL);
	XML_SetUserData(pg->xp, pg);
	XML_SetElementHandler(pg->xp, on_start, on_end);
	XML_SetCharacterDataHandler(pg->xp, on_text);
}

static int add_filters(struct dfo_aws_query *q,
		       const struct dfo_ec2_filter *filters, size_t n)
{
	char key[64];
	for (size_t i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "Filter.%zu.Name", i + 1);
		if (dfo_aws_query_add(q, key, filters[i].name) < 0)
			return -ENOMEM;
		for (size_t v = 0; v < filters[i].nvalues; v++) {
			snprintf(key, sizeof(key), "Filter.%zu.Value.%zu",
				 i + 1, v + 1);
			if (dfo_aws_query_add(q, key, filters[i].values[v]) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

int dfo_ec2_describe_instances(struct dfo_aws *aws,
			       const struct dfo_ec2_filter *filters,
			       size_t nfilters, dfo_ec2_instance_cb cb,
			       void *ctx, struct dfo_err *err)
{
	char url[256];
	const char *endpoint = aws->ec2_endpoint;
	if (!endpoint) {
		const char *region = dfo_aws_region(aws, err);
		if (!region)
			return err ? err->code : -ENOENT;
		snprintf(url, sizeof(url), "https://ec2.%s.amazonaws.com",
			 region);
		endpoint = url;
	}
	struct page pg = {0};
	if (!(pg.xp = XML_ParserCreate(NULL)))
		return dfo_err_set(err, -ENOMEM, "ec2: out of memory");
	char *token = NULL;
	int rc = 0;
	unsigned pages = 0, total = 0;
	do {
		struct dfo_aws_query q;
		dfo_aws_query_init(&q);
		if (dfo_aws_query_add(&q, "Action", "DescribeInstances") < 0 ||
		    dfo_aws_query_add(&q, "Version", EC2_VERSION) < 0 ||
		    add_filters(&q, filters, nfilters) < 0 ||
		    (token && dfo_aws_query_add(&q, "NextToken", token) < 0)) {
			dfo_aws_query_clear(&q);
			rc = dfo_err_set(err, -ENOMEM, "ec2: out of memory");
			break;
		}
		struct dfo_aws_call call = {
			.service = "ec2",
			.endpoint = endpoint,
			.sink = page_sink,
			.restart = page_restart,
			.sink_ctx = &pg,
		};
		struct dfo_http_response resp;
		rc = aws_form_post(aws, &call, &q, &resp, err);
		dfo_aws_query_clear(&q);
		dfo_http_response_free(&resp);
		if (rc == 0 && !pg.bad &&
		    XML_Parse(pg.xp, "", 0, 1) == XML_STATUS_ERROR)
			snprintf(pg.why, sizeof(pg.why), "line %lu: %s",
				 XML_GetCurrentLineNumber(pg.xp),
				 XML_ErrorString(XML_GetErrorCode(pg.xp))),
				pg.bad = true;
		if (rc == -ECANCELED || (rc == 0 && pg.bad)) {
			rc = dfo_err_set(err, -EBADMSG,
					 "ec2 DescribeInstances: "
					 "malformed answer: %s",
					 pg.why);
			break;
		}
		if (rc < 0)
			break;
		for (size_t i = 0; i < pg.n && rc == 0; i++) {
			total++;
			rc = cb(&pg.insts[i], ctx);
		}
		free(token);
		token = pg.next_token;
		pg.next_token = NULL;
		pages++;
		if (token && pages >= EC2_MAX_PAGES)
			rc = dfo_err_set(err, -ELOOP, "ec2: more than %d pages",
					 EC2_MAX_PAGES);
	} while (rc == 0 && token);
	if (rc >= 0)
		dfo_log(DFO_LOG_DEBUG, "ec2: %u instance(s) in %u page(s)",
			total, pages);
	page_reset(&pg);
	free(pg.insts);
	free(pg.text.s);
	free(token);
	XML_ParserFree(pg.xp);
	return rc;
}

static const char *const attr_names[] = {"id",
					 "instance_id",
					 "state",
					 "instance_type",
					 "key_name",
					 "image_id",
					 "private_ip_address",
					 "ip_address",
					 "ipv6_address",
					 "private_dns_name",
					 "public_dns_name",
					 "dns_name",
					 "availability_zone",
					 "placement",
					 "vpc_id",
					 "subnet_id",
					 "tag:KEY",
					 NULL};

const char *const *dfo_ec2_attr_names(void)
{
	return attr_names;
}

bool dfo_ec2_attr_valid(const char *name)
{
	if (!name)
		return false;
	if (strncmp(name, "tag:", 4) == 0) {
		size_t l = strlen(name + 4);
		return l >= 1 && l <= 128;
	}
	for (size_t i = 0; attr_names[i]; i++)
		if (strcmp(name, attr_names[i]) == 0 &&
		    strcmp(name, "tag:KEY") != 0)
			return true;
	return false;
}

const char *dfo_ec2_instance_attr(const struct dfo_ec2_instance *i,
				  const char *name)
{
	if (strncmp(name, "tag:", 4) == 0) {
		for (size_t k = 0; k < i->ntags; k++)
			if (strcmp(i->tags[k].key, name + 4) == 0)
				return i->tags[k].value;
		return NULL;
	}
	static const struct {
		const char *name;
		size_t off;
	} map[] = {
#define A(N, M) {N, offsetof(struct dfo_ec2_instance, M)}
		A("id", id),
		A("instance_id", id),
		A("state", state),
		A("instance_type", type),
		A("key_name", key_name),
		A("image_id", image_id),
		A("private_ip_address", private_ip),
		A("ip_address", public_ip),
		A("private_dns_name", private_dns),
		A("public_dns_name", public_dns),
		A("dns_name", public_dns),
		A("placement", az),
		A("availability_zone", az),
		A("vpc_id", vpc_id),
		A("subnet_id", subnet_id),
#undef A
	};
	if (strcmp(name, "ipv6_address") == 0)
		return i->nipv6 ? i->ipv6[0] : NULL;
	for (size_t k = 0; k < sizeof(map) / sizeof(map[0]); k++)
		if (strcmp(name, map[k].name) == 0)
			return *(char *const *)((const char *)i + map[k].off);
	return NULL;
}
