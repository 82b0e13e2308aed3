/*
 * Shared AWS clients of the core: credentials, SigV4-signed requests
 * (libcurl's CURLOPT_AWS_SIGV4), instance metadata (IMDSv2), EC2
 * DescribeInstances and Route 53 record sets.  No SDK.
 *
 * A client (struct dfo_aws) holds the settings of the config's `aws {}`
 * section, the credentials it resolved, an instance metadata client and
 * a kept libcurl handle (connections are reused across pages and calls).
 * dfo_aws_default() is the one built from the config; plugins use it.
 * A client is not thread-safe: a thread other than the one that uses the
 * default takes its own with dfo_aws_clone().
 *
 * Every call returns 0 or a negative errno with `err` filled.  An error
 * answered by AWS comes back as "Code: Message" (e.g. "InvalidChangeBatch:
 * ...", "SignatureDoesNotMatch: ...").  Throttling (400 Throttling /
 * RequestLimitExceeded, 429, 503) and other 5xx answers are retried with
 * exponential backoff and full jitter, at most `max_retries` times and
 * within `retry_time` seconds in all; every attempt has `timeout`.
 *
 * Strings given to a call are owned by the caller and only read during
 * the call.  What a call allocates for the caller says so, with its free.
 */
#ifndef DNSFAILOVER_AWS_H
#define DNSFAILOVER_AWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <dnsfailover/http.h>
#include <dnsfailover/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Query strings                                                       */

/* Parameters of a query string or of a form-encoded body.  libcurl 7.88
 * signs the query in the order given, while SigV4 wants it sorted, so
 * every request's query is built here: encoded (RFC 3986, unreserved
 * characters kept) and sorted by key, then value. */
struct dfo_aws_query {
	size_t n, cap;
	struct dfo_aws_param {
		char *key, *value;
	} * p;
};

void dfo_aws_query_init(struct dfo_aws_query *q);
/* Add a copy of key=value (value may be "" but not NULL). 0 or -ENOMEM. */
int dfo_aws_query_add(struct dfo_aws_query *q, const char *key,
		      const char *value);
/* The encoded, sorted string ("" when empty); malloc'd, NULL if out of
 * memory. */
char *dfo_aws_query_encode(const struct dfo_aws_query *q);
void dfo_aws_query_clear(struct dfo_aws_query *q);
/* Percent-encode `s` as SigV4 does; '/' is kept if keep_slash.
 * malloc'd, NULL if out of memory. */
char *dfo_aws_uri_encode(const char *s, bool keep_slash);

/* ------------------------------------------------------------------ */
/* Clients                                                             */

/* What the `aws {}` section sets.  NULL strings: not set. */
struct dfo_aws_settings {
	const char *region;
	const char *access_key_id, *secret_access_key, *session_token;
	const char *profile;	  /* of the shared files */
	const char *ec2_endpoint; /* base URLs, e.g. "http://127.0.0.1:8080" */
	const char *route53_endpoint;
	const char *sts_endpoint;
	const char *imds_endpoint; /* default http://169.254.169.254 */
	double timeout;		   /* seconds per attempt; <= 0: 10 */
	int max_retries;	   /* retries after the first; < 0: 5 */
	double retry_time;	   /* bound of a call's attempts; <= 0: 30 */
};

struct dfo_aws; /* opaque */

/* A client for `s` (copied).  Nothing is contacted yet.  An endpoint
 * left NULL comes from the SDKs' variables when set: AWS_ENDPOINT_URL_EC2,
 * AWS_ENDPOINT_URL_ROUTE_53, AWS_ENDPOINT_URL_STS, else AWS_ENDPOINT_URL
 * (none of them if AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true); a setting
 * always wins over the environment. */
int dfo_aws_new(struct dfo_aws **out, const struct dfo_aws_settings *s,
		struct dfo_err *err);
void dfo_aws_free(struct dfo_aws *aws);

/* A new client with the same settings and credentials source as `src`
 * (and what it has resolved so far: region, credentials), with its own
 * libcurl handle; for another thread (one client per thread).  Free it
 * with dfo_aws_free().  src must not be in use by another thread during
 * the call. */
int dfo_aws_clone(struct dfo_aws *src, struct dfo_aws **out,
		  struct dfo_err *err);

/* The client of the running config's `aws {}` section (from the
 * environment alone when it has none, or before any config is loaded).
 * Owned by the core.  Each config owns the client built from it: a config
 * being loaded does not touch the default (a rejected one never does);
 * its client becomes the default once the config is loaded whole, and is
 * freed with that config.  So take it when using it (in start() or an
 * operation), not in create(), and do not keep it across a reload.  NULL
 * with err on failure. */
struct dfo_aws *dfo_aws_default(struct dfo_err *err);

/* Another account, region or profile, as seen from a client: what
 * dfo_aws_derive() changes.  NULL strings: as the client has it. */
struct dfo_aws_source {
	const char *region;
	const char *profile; /* of the shared files */
	/* An IAM role to assume through STS AssumeRole with the client's
	 * credentials (or the profile's); NULL: none, the client's own. */
	const char *role_arn;
	const char *external_id;  /* the role's trust policy may ask one */
	const char *session_name; /* NULL: "dnsfailover" */
	unsigned duration;	  /* seconds, 900..43200; 0: 3600 */
};

/* A new client with src's settings but `s`'s region, profile and role
 * (copied), and its own libcurl handle (another thread may use it).
 * With a role, the credentials are temporary: AssumeRole (at
 * sts_endpoint, else https://sts.REGION.amazonaws.com, signed with the
 * credentials the chain finds for the profile) when first needed and
 * again 5 minutes before they expire.  Nothing is contacted here.  Free
 * with dfo_aws_free(). */
int dfo_aws_derive(struct dfo_aws *src, const struct dfo_aws_source *s,
		   struct dfo_aws **out, struct dfo_err *err);

/* Connections the client's libcurl handle opened, requests it made. */
void dfo_aws_http_stats(const struct dfo_aws *aws, unsigned long *connects,
			unsigned long *requests);

/* The region: settings, AWS_REGION, AWS_DEFAULT_REGION, the profile's
 * `region` in the shared config file, then instance metadata.  Owned by
 * the client.  NULL with err if none is found. */
const char *dfo_aws_region(struct dfo_aws *aws, struct dfo_err *err);

/* ------------------------------------------------------------------ */
/* Credentials                                                         */

/* The chain, first match wins: the settings (`aws {}`);
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN; the shared
 * credentials file (AWS_SHARED_CREDENTIALS_FILE, default
 * ~/.aws/credentials) and config file (AWS_CONFIG_FILE, ~/.aws/config,
 * "[profile NAME]"), for the profile of the settings, AWS_PROFILE, or
 * "default"; the instance role from instance metadata.  Temporary
 * credentials are renewed 5 minutes before `expires`.  The source used
 * is logged at info level, a secret never. */
struct dfo_aws_creds {
	char *access_key_id;
	char *secret_access_key;
	char *session_token; /* NULL unless temporary */
	time_t expires;	     /* wall clock; 0: never */
	const char *source;  /* "config", "environment", "shared files
				(profile x)", "instance role x", "role ARN" */
};

/* The current credentials, resolved or renewed as needed.  *out is owned
 * by the client, valid until its next call. */
int dfo_aws_credentials(struct dfo_aws *aws, const struct dfo_aws_creds **out,
			struct dfo_err *err);

/* ------------------------------------------------------------------ */
/* Signed requests                                                     */

/* One request to an AWS service, signed with SigV4. */
struct dfo_aws_call {
	const char *service;  /* signing name: "ec2", "route53", ... */
	const char *region;   /* signing region; NULL: the client's */
	const char *endpoint; /* base URL without path; required */
	const char *method;   /* "GET", "POST", ... */
	const char *path;     /* encoded, from '/'; NULL: "/" */
	const struct dfo_aws_query *query; /* may be NULL */
	const char *body;		   /* may be NULL */
	size_t body_len;
	const char *content_type;   /* of the body; may be NULL */
	const char *const *headers; /* more "Name: value"; NULL-terminated */
	const char *amz_date; /* fixed X-Amz-Date (test vectors); NULL: now */
	/* Streaming: the body of a 2xx answer goes to sink; restart(ctx) is
	 * called before each attempt so that a retried one starts afresh.
	 * NULL sink: the body is kept in resp. */
	dfo_http_sink sink;
	void (*restart)(void *ctx);
	void *sink_ctx;
};

/* Perform the call with retries.  0 on a 2xx answer (resp holds it);
 * otherwise negative with "Code: Message" in err: -EACCES for 401/403,
 * -ENOENT for 404, -EAGAIN when still throttled, -ESTALE for an
 * InvalidChangeBatch that only says a set to delete is not the current
 * one (not found, values differ) or a set to create already exists (a
 * lost compare-and-set), -EINVAL for any other InvalidChangeBatch (bad
 * value, CNAME conflict...), -EIO for other errors; resp then holds the
 * last answer.  Several <Message>s are joined with "; ".
 * resp must be freed with dfo_http_response_free() in every case. */
int dfo_aws_request(struct dfo_aws *aws, const struct dfo_aws_call *call,
		    struct dfo_http_response *resp, struct dfo_err *err);

/* ------------------------------------------------------------------ */
/* Instance metadata (IMDSv2)                                          */

struct dfo_imds; /* opaque */

/* A metadata client of `endpoint` (NULL: http://169.254.169.254; for IPv6
 * "http://[fd00:ec2::254]").  A session token is fetched with PUT
 * /latest/api/token and reused until it expires (or is refused).  With
 * v1_fallback, a GET without token is tried when no token can be had.
 * timeout: seconds per request, <= 0: 2. */
int dfo_imds_new(struct dfo_imds **out, const char *endpoint, bool v1_fallback,
		 double timeout, struct dfo_err *err);
void dfo_imds_free(struct dfo_imds *imds);

/* GET `path` (e.g. "/latest/meta-data/local-ipv4") into *body (malloc'd,
 * NUL-terminated, caller frees).  -ENOENT for 404. */
int dfo_imds_get(struct dfo_imds *imds, const char *path, char **body,
		 struct dfo_err *err);

/* Counters, for tests and operators. */
struct dfo_imds_stats {
	unsigned tokens;   /* tokens fetched */
	unsigned requests; /* GETs sent */
};
void dfo_imds_stats(const struct dfo_imds *imds, struct dfo_imds_stats *st);

/* The base URL a metadata client talks to. */
const char *dfo_imds_endpoint(const struct dfo_imds *imds);

/* The client's own metadata client, of the settings' imds_endpoint.
 * Owned by the client. */
struct dfo_imds *dfo_aws_imds(struct dfo_aws *aws, struct dfo_err *err);

/* ------------------------------------------------------------------ */
/* EC2                                                                 */

struct dfo_aws_tag {
	char *key, *value;
};

/* One instance of DescribeInstances.  Strings are NULL when absent. */
struct dfo_ec2_instance {
	char *id, *state, *type, *key_name, *image_id;
	char *private_ip, *public_ip; /* IPv4 */
	char *private_dns, *public_dns;
	char *az, *vpc_id, *subnet_id;
	char **ipv6; /* of every interface, in order */
	size_t nipv6;
	struct dfo_aws_tag *tags;
	size_t ntags;
};

/* Free what an instance holds (every string, the IPv6 list, the tags)
 * and zero it, for a caller that kept a copy of one (the callback's
 * instance belongs to the call).  A zeroed instance is fine. */
void dfo_ec2_instance_clear(struct dfo_ec2_instance *inst);

/* A filter: Name and its values, e.g. {"tag:Class", {"web"}, 1} or
 * {"instance-state-name", {"running"}, 1}. */
struct dfo_ec2_filter {
	const char *name;
	const char *const *values;
	size_t nvalues;
};

/* Called for each instance; the instance is valid only during the call.
 * Return 0 to go on, non-zero to stop (the call then returns that). */
typedef int (*dfo_ec2_instance_cb)(const struct dfo_ec2_instance *inst,
				   void *ctx);

/* DescribeInstances (API 2016-11-15) with `filters`, all pages.  The XML
 * is parsed as it arrives; at most one page of instances is held. */
int dfo_ec2_describe_instances(struct dfo_aws *aws,
			       const struct dfo_ec2_filter *filters,
			       size_t nfilters, dfo_ec2_instance_cb cb,
			       void *ctx, struct dfo_err *err);

/* An attribute by the name awsdns configs use, or NULL if absent (or if
 * the name is unknown: check names with dfo_ec2_attr_valid()):
 *   id, instance_id        the instance id
 *   state                  running, stopped, ...
 *   instance_type          e.g. t3.micro
 *   key_name               the key pair
 *   image_id               the AMI
 *   private_ip_address     primary private IPv4
 *   ip_address             public IPv4
 *   ipv6_address           first IPv6
 *   private_dns_name, public_dns_name (also dns_name)
 *   availability_zone, placement   the availability zone
 *   vpc_id, subnet_id
 *   tag:KEY                the value of tag KEY (KEY: 1 to 128 bytes)
 */
const char *dfo_ec2_instance_attr(const struct dfo_ec2_instance *inst,
				  const char *name);

/* Is `name` one of the attribute names above?  For config checks: an
 * unknown name is an error, never an attribute that is always absent. */
bool dfo_ec2_attr_valid(const char *name);

/* The attribute names, NULL-terminated ("tag:KEY" stands for tags), for
 * messages and documentation. */
const char *const *dfo_ec2_attr_names(void);

/* ------------------------------------------------------------------ */
/* Route 53                                                            */

/* One resource record set. */
struct dfo_r53_rrset {
	char *name;   /* as AWS writes it, with the final dot */
	char type[8]; /* "A", "AAAA", ... */
	uint32_t ttl;
	char *set_id;  /* SetIdentifier (a routing policy), or NULL */
	char **values; /* record values, as text */
	size_t nvalues;
	bool alias;	    /* an alias record (AliasTarget): no values */
	char *alias_target; /* its DNSName, or NULL */
};

void dfo_r53_rrset_free(struct dfo_r53_rrset *set);

/* The hosted zone id ("Z0123...") of the zone named `zone` (with or
 * without final dot), by ListHostedZonesByName.  malloc'd.  -ENOENT if
 * no zone has that name; -ENOTUNIQ if several have (a public and a
 * private one), err naming each id: never one of them picked. */
int dfo_r53_zone_id(struct dfo_aws *aws, const char *zone, char **id,
		    struct dfo_err *err);

/* The name servers of the hosted zone's delegation set (GetHostedZone),
 * as AWS lists them (host names).  *ns is malloc'd, each string too.
 * -ENOENT for a zone without one (a private zone). */
int dfo_r53_zone_nameservers(struct dfo_aws *aws, const char *zone_id,
			     char ***ns, size_t *n, struct dfo_err *err);

/* The record sets of exactly `name` and `type` in zone `zone_id`, all
 * pages (several only with set identifiers).  *sets is malloc'd, free
 * each with dfo_r53_rrset_free() then the array; *n may be 0. */
int dfo_r53_list(struct dfo_aws *aws, const char *zone_id, const char *name,
		 const char *type, struct dfo_r53_rrset **sets, size_t *n,
		 struct dfo_err *err);

/* Called for each record set of a zone; the set is valid only during
 * the call.  Return 0 to go on, negative to stop (the call returns it). */
typedef int (*dfo_r53_rrset_cb)(const struct dfo_r53_rrset *set, void *ctx);

/* Every record set of zone `zone_id` (ListResourceRecordSets from the
 * start, all pages), in AWS's order, handed to cb one by one (aliases
 * with `alias` set and their target).  For awsdns's route53_zones. */
int dfo_r53_list_zone(struct dfo_aws *aws, const char *zone_id,
		      dfo_r53_rrset_cb cb, void *ctx, struct dfo_err *err);

enum dfo_r53_action { DFO_R53_CREATE, DFO_R53_DELETE, DFO_R53_UPSERT };

struct dfo_r53_change {
	enum dfo_r53_action action;
	const struct dfo_r53_rrset *set;
};

/* One ChangeResourceRecordSets batch, applied as a whole or not at all.
 * A DELETE must name the exact current set: when the records changed
 * meanwhile (or a CREATE finds the set there), AWS refuses the batch and
 * this returns -ESTALE (DFO_ESTALE) — the compare-and-set of the design.
 * A batch refused for any other reason is -EINVAL with AWS's message.
 * *change_id (may be NULL) gets the change's id, malloc'd. */
int dfo_r53_change(struct dfo_aws *aws, const char *zone_id,
		   const struct dfo_r53_change *changes, size_t n,
		   const char *comment, char **change_id, struct dfo_err *err);

/* GetChange until INSYNC, polling every `interval` seconds for at most
 * `bound` seconds: 0, or -ETIMEDOUT if still PENDING. */
int dfo_r53_wait(struct dfo_aws *aws, const char *change_id, double interval,
		 double bound, struct dfo_err *err);

#ifdef __cplusplus
}
#endif
#endif
