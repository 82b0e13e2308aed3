/*
 * AWS clients: settings, the query builder, signed requests with retries,
 * and AWS error documents.
 */
#include "config.h"

#include <errno.h>
#include <expat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/random.h>
#include <time.h>

#include "aws/internal.h"
#include "core.h"

/* ---- small helpers ---- */

int sbuf_add_xml(struct dfo_sbuf *b, const char *text)
{
	for (const char *p = text; *p; p++) {
		const char *e = NULL;
		switch (*p) {
		case '<':
			e = "&lt;";
			break;
		case '>':
			e = "&gt;";
			break;
		case '&':
			e = "&amp;";
			break;
		case '"':
			e = "&quot;";
			break;
		case '\'':
			e = "&apos;";
			break;
		}
		int rc = e ? dfo_sbuf_add(b, e, strlen(e))
			   : dfo_sbuf_add(b, p, 1);
		if (rc < 0)
			return rc;
	}
	return 0;
}

double aws_wallclock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

int aws_sleep(double secs)
{
	/* In slices of 50 ms: a stopping agent does not wait out a retry
	 * delay. */
	double until = dfo_now() + secs;
	for (;;) {
		if (dfo_stopping())
			return -EINTR;
		double left = until - dfo_now();
		if (left <= 0)
			return 0;
		if (left > 0.05)
			left = 0.05;
		struct timespec ts = {0, (long)(left * 1e9)};
		nanosleep(&ts, NULL);
	}
}

/* ---- query strings ---- */

void dfo_aws_query_init(struct dfo_aws_query *q)
{
	memset(q, 0, sizeof(*q));
}

int dfo_aws_query_add(struct dfo_aws_query *q, const char *key,
		      const char *value)
{
	struct dfo_aws_param *p = dfo_grow(q->p, &q->cap, q->n + 1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	q->p = p;
	char *k = dfo_aws_uri_encode(key, false);
	char *v = dfo_aws_uri_encode(value ? value : "", false);
	if (!k || !v) {
		free(k);
		free(v);
		return -ENOMEM;
	}
	q->p[q->n++] = (struct dfo_aws_param){k, v};
	return 0;
}

static int param_cmp(const void *a, const void *b)
{
	const struct dfo_aws_param *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : strcmp(x->value, y->value);
}

char *dfo_aws_query_encode(const struct dfo_aws_query *q)
{
	/* Parameters are stored encoded, so sorting them sorts the encoded
	 * strings byte-wise, as SigV4's canonical query wants. */
	struct dfo_aws_param *sorted = NULL;
	struct dfo_sbuf b = {0};
	if (dfo_sbuf_add(&b, "", 0) < 0)
		return NULL;
	if (q && q->n) {
		sorted = malloc(q->n * sizeof(*sorted));
		if (!sorted)
			goto nomem;
		memcpy(sorted, q->p, q->n * sizeof(*sorted));
		qsort(sorted, q->n, sizeof(*sorted), param_cmp);
		for (size_t i = 0; i < q->n; i++)
			if (dfo_sbuf_addf(&b, "%s%s=%s", i ? "&" : "",
					  sorted[i].key, sorted[i].value) < 0)
				goto nomem;
	}
	free(sorted);
	return b.s;
nomem:
	free(sorted);
	free(b.s);
	return NULL;
}

void dfo_aws_query_clear(struct dfo_aws_query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->p[i].key);
		free(q->p[i].value);
	}
	free(q->p);
	memset(q, 0, sizeof(*q));
}

char *dfo_aws_uri_encode(const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(s);
	char *out = malloc(len * 3 + 1), *o = out;
	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char ch = *p;
		if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		    (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
		    ch == '.' || ch == '~' || (keep_slash && ch == '/')) {
			*o++ = (char)ch;
		} else {
			*o++ = '%';
			*o++ = hex[ch >> 4];
			*o++ = hex[ch & 15];
		}
	}
	*o = '\0';
	return out;
}

/* ---- clients ---- */

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (src && *src && !(*dst = strdup(src)))
		return -ENOMEM;
	return 0;
}

/* An endpoint the settings leave unset, from the SDKs' variables: the
 * service's own (AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_ROUTE_53, ...),
 * else AWS_ENDPOINT_URL; none if AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is
 * true. */
static const char *env_endpoint(const char *set, const char *service_var)
{
	if (set && *set)
		return set;
	const char *ign = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	if (ign && strcasecmp(ign, "true") == 0)
		return NULL;
	const char *v = getenv(service_var);
	if (v && *v)
		return v;
	v = getenv("AWS_ENDPOINT_URL");
	return v && *v ? v : NULL;
}

/* Set by --status, which reads the config but calls no AWS: a key id
 * whose secret is missing there (a ${VAR} not set in that shell) is then
 * accepted, as nothing will be signed. */
static bool keys_unchecked;

void dfo_aws_keys_unchecked(bool on)
{
	keys_unchecked = on;
}

int dfo_aws_new(struct dfo_aws **out, const struct dfo_aws_settings *s,
		struct dfo_err *err)
{
	struct dfo_aws *a = calloc(1, sizeof(*a));
	*out = NULL;
	if (!a)
		return dfo_err_set(err, -ENOMEM, "aws: out of memory");
	if (dup_opt(&a->region, s->region) ||
	    dup_opt(&a->akid, s->access_key_id) ||
	    dup_opt(&a->secret, s->secret_access_key) ||
	    dup_opt(&a->token, s->session_token) ||
	    dup_opt(&a->profile, s->profile) ||
	    dup_opt(&a->ec2_endpoint,
		    env_endpoint(s->ec2_endpoint, "AWS_ENDPOINT_URL_EC2")) ||
	    dup_opt(&a->route53_endpoint,
		    env_endpoint(s->route53_endpoint,
				 "AWS_ENDPOINT_URL_ROUTE_53")) ||
	    dup_opt(&a->sts_endpoint,
		    env_endpoint(s->sts_endpoint, "AWS_ENDPOINT_URL_STS")) ||
	    dup_opt(&a->imds_endpoint, s->imds_endpoint)) {
		dfo_aws_free(a);
		return dfo_err_set(err, -ENOMEM, "aws: out of memory");
	}
	if (!a->akid != !a->secret && !(keys_unchecked && a->akid)) {
		dfo_aws_free(a);
		return dfo_err_set(err, -EINVAL,
				   "aws: access_key_id and secret_access_key "
				   "go together");
	}
	a->timeout = s->timeout > 0 ? s->timeout : 10;
	a->max_retries = s->max_retries >= 0 ? s->max_retries : 5;
	a->retry_time = s->retry_time > 0 ? s->retry_time : 30;
	*out = a;
	return 0;
}

static int copy_creds(struct dfo_aws_creds *dst,
		      const struct dfo_aws_creds *src)
{
	memset(dst, 0, sizeof(*dst));
	if (!(dst->access_key_id = strdup(src->access_key_id)) ||
	    !(dst->secret_access_key = strdup(src->secret_access_key)) ||
	    (src->session_token &&
	     !(dst->session_token = strdup(src->session_token)))) {
		aws_creds_clear(dst);
		return -ENOMEM;
	}
	dst->expires = src->expires;
	return 0;
}

/* The role of a derived client, copied to a (whose base is made from
 * base_of, the client whose credentials ask for the role). */
static int role_set(struct dfo_aws *a, const char *arn, const char *ext,
		    const char *session, unsigned duration,
		    struct dfo_aws *base_of, struct dfo_err *err)
{
	if (!arn)
		return 0;
	int rc = dfo_aws_clone(base_of, &a->base, err);
	if (rc < 0)
		return rc;
	if (dup_opt(&a->role_arn, arn) || dup_opt(&a->external_id, ext) ||
	    dup_opt(&a->session_name, session))
		return dfo_err_set(err, -ENOMEM, "aws: out of memory");
	a->duration = duration;
	return 0;
}

/* The settings a client was made with (the endpoints already include
 * what the environment said); the strings stay src's. */
static struct dfo_aws_settings settings_of(const struct dfo_aws *src)
{
	return (struct dfo_aws_settings){
		.region = src->region,
		.access_key_id = src->akid,
		.secret_access_key = src->secret,
		.session_token = src->token,
		.profile = src->profile,
		.ec2_endpoint = src->ec2_endpoint,
		.route53_endpoint = src->route53_endpoint,
		.sts_endpoint = src->sts_endpoint,
		.imds_endpoint = src->imds_endpoint,
		.timeout = src->timeout,
		.max_retries = src->max_retries,
		.retry_time = src->retry_time,
	};
}

/* RoleSessionName: 2 to 64 of [A-Za-z0-9+=,.@_-]. */
static bool session_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 2 || n > 64)
		return false;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			 "0123456789+=,.@_-") == n;
}

int dfo_aws_derive(struct dfo_aws *src, const struct dfo_aws_source *s,
		   struct dfo_aws **out, struct dfo_err *err)
{
	*out = NULL;
	if (s->role_arn && strncmp(s->role_arn, "arn:", 4) != 0)
		return dfo_err_set(err, -EINVAL,
				   "role_arn '%s' is not an ARN "
				   "(arn:aws:iam::ACCOUNT:role/NAME)",
				   s->role_arn);
	if (s->session_name && !session_name_ok(s->session_name))
		return dfo_err_set(err, -EINVAL,
				   "session name '%s': 2 to 64 "
				   "of A-Z a-z 0-9 + = , . @ _ -",
				   s->session_name);
	if (s->duration && (s->duration < 900 || s->duration > 43200))
		return dfo_err_set(err, -EINVAL,
				   "role duration %u: 900 to "
				   "43200 seconds",
				   s->duration);
	if (s->external_id && !s->role_arn)
		return dfo_err_set(err, -EINVAL, "external_id needs role_arn");
	/* The base: src's settings, with the region and profile asked.  A
	 * profile replaces src's keys: it is where the keys come from. */
	struct dfo_aws_settings set = settings_of(src);
	if (s->region)
		set.region = s->region;
	if (s->profile) {
		set.profile = s->profile;
		set.access_key_id = set.secret_access_key = NULL;
		set.session_token = NULL;
	}
	struct dfo_aws *a;
	int rc = dfo_aws_new(&a, &set, err);
	if (rc < 0)
		return rc;
	if (!s->region && src->region_found &&
	    !(a->region_found = strdup(src->region_found)))
		rc = dfo_err_set(err, -ENOMEM, "aws: out of memory");
	if (rc == 0 && s->role_arn) {
		struct dfo_aws *plain;
		rc = dfo_aws_new(&plain, &set, err);
		if (rc == 0) {
			rc = role_set(a, s->role_arn, s->external_id,
				      s->session_name, s->duration, plain, err);
			dfo_aws_free(plain);
		}
	}
	if (rc < 0) {
		dfo_aws_free(a);
		return rc;
	}
	*out = a;
	return 0;
}

int dfo_aws_clone(struct dfo_aws *src, struct dfo_aws **out,
		  struct dfo_err *err)
{
	/* The settings as given, and what src has resolved so far: the
	 * clone starts with the same region and credentials and renews them
	 * from the same source on its own. */
	struct dfo_aws_settings s = settings_of(src);
	struct dfo_aws *a;
	int rc = dfo_aws_new(&a, &s, err);
	if (rc < 0)
		return rc;
	if ((src->region_found &&
	     !(a->region_found = strdup(src->region_found))) ||
	    (src->have_creds && copy_creds(&a->creds, &src->creds) < 0)) {
		dfo_aws_free(a);
		return dfo_err_set(err, -ENOMEM, "aws: out of memory");
	}
	if (src->role_arn && (rc = role_set(a, src->role_arn, src->external_id,
					    src->session_name, src->duration,
					    src->base, err)) < 0) {
		dfo_aws_free(a);
		return rc;
	}
	if (src->have_creds) {
		memcpy(a->creds_source, src->creds_source,
		       sizeof(a->creds_source));
		a->creds.source = a->creds_source;
		a->have_creds = true;
	}
	*out = a;
	return 0;
}

void dfo_aws_free(struct dfo_aws *a)
{
	if (!a)
		return;
	free(a->region);
	free(a->akid);
	if (a->secret) {
		explicit_bzero(a->secret, strlen(a->secret));
		free(a->secret);
	}
	free(a->token);
	free(a->profile);
	free(a->ec2_endpoint);
	free(a->route53_endpoint);
	free(a->sts_endpoint);
	free(a->imds_endpoint);
	free(a->region_found);
	free(a->role_arn);
	free(a->external_id);
	free(a->session_name);
	dfo_aws_free(a->base);
	aws_creds_clear(&a->creds);
	dfo_imds_free(a->imds);
	dfo_http_session_free(a->http);
	free(a);
}

void dfo_aws_http_stats(const struct dfo_aws *a, unsigned long *connects,
			unsigned long *requests)
{
	dfo_http_session_stats(a->http, connects, requests);
}

/* The default client: the last committed config's still alive (a list
 * in commit order, newest last), else one from the environment alone. */
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dfo_aws *committed_last;
static struct dfo_aws *env_aws;

int dfo_aws_from_config(cfg_t *sec, struct dfo_aws **out, struct dfo_err *err)
{
	struct dfo_aws_settings s = {.max_retries = -1};
	*out = NULL;
	if (sec) {
		s.region = cfg_getstr(sec, "region");
		s.access_key_id = cfg_getstr(sec, "access_key_id");
		s.secret_access_key = cfg_getstr(sec, "secret_access_key");
		s.session_token = cfg_getstr(sec, "session_token");
		s.profile = cfg_getstr(sec, "profile");
		s.ec2_endpoint = cfg_getstr(sec, "ec2_endpoint");
		s.route53_endpoint = cfg_getstr(sec, "route53_endpoint");
		s.sts_endpoint = cfg_getstr(sec, "sts_endpoint");
		s.imds_endpoint = cfg_getstr(sec, "imds_endpoint");
		s.timeout = cfg_getfloat(sec, "timeout");
		s.max_retries = (int)cfg_getint(sec, "max_retries");
		s.retry_time = cfg_getfloat(sec, "retry_time");
		if (s.max_retries < 0 || s.max_retries > 20)
			return dfo_err_set(err, -EINVAL,
					   "aws: max_retries must be 0..20");
		static const char *const eps[] = {
			"ec2_endpoint", "route53_endpoint", "sts_endpoint",
			"imds_endpoint"};
		for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
			const char *u = cfg_getstr(sec, eps[i]);
			if (u && *u && strncmp(u, "http://", 7) != 0 &&
			    strncmp(u, "https://", 8) != 0)
				return dfo_err_set(err, -EINVAL,
						   "aws: %s must be an http:// "
						   "or https:// URL, not '%s'",
						   eps[i], u);
		}
	}
	return dfo_aws_new(out, &s, err);
}

void dfo_aws_commit(struct dfo_aws *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&default_lock);
	if (!a->committed) {
		a->committed = true;
		a->committed_prev = committed_last;
		if (committed_last)
			committed_last->committed_next = a;
		committed_last = a;
	}
	pthread_mutex_unlock(&default_lock);
}

void dfo_aws_release(struct dfo_aws *a)
{
	if (!a)
		return;
	pthread_mutex_lock(&default_lock);
	if (a->committed) {
		if (a->committed_prev)
			a->committed_prev->committed_next = a->committed_next;
		if (a->committed_next)
			a->committed_next->committed_prev = a->committed_prev;
		if (committed_last == a)
			committed_last = a->committed_prev;
	}
	pthread_mutex_unlock(&default_lock);
	dfo_aws_free(a);
}

void dfo_aws_unconfigure(void)
{
	pthread_mutex_lock(&default_lock);
	struct dfo_aws *a = env_aws;
	env_aws = NULL;
	pthread_mutex_unlock(&default_lock);
	dfo_aws_free(a);
}

struct dfo_aws *dfo_aws_default(struct dfo_err *err)
{
	pthread_mutex_lock(&default_lock);
	struct dfo_aws *a = committed_last;
	if (!a && !env_aws)
		dfo_aws_from_config(NULL, &env_aws, err);
	if (!a)
		a = env_aws;
	pthread_mutex_unlock(&default_lock);
	return a;
}

struct dfo_imds *dfo_aws_imds(struct dfo_aws *a, struct dfo_err *err)
{
	if (!a->imds && dfo_imds_new(&a->imds, a->imds_endpoint, false,
				     a->timeout < 2 ? a->timeout : 2, err) < 0)
		return NULL;
	return a->imds;
}

int aws_profile_get(struct dfo_aws *a, bool config_file, const char *key,
		    char **value);

const char *dfo_aws_region(struct dfo_aws *a, struct dfo_err *err)
{
	if (a->region)
		return a->region;
	if (a->region_found)
		return a->region_found;
	const char *env = getenv("AWS_REGION");
	if (!env || !*env)
		env = getenv("AWS_DEFAULT_REGION");
	if (env && *env) {
		if (!(a->region_found = strdup(env)))
			goto nomem;
		return a->region_found;
	}
	char *v = NULL;
	if (aws_profile_get(a, true, "region", &v) == 0 && v) {
		a->region_found = v;
		return v;
	}
	struct dfo_imds *m = dfo_aws_imds(a, err);
	if (!m)
		return NULL;
	struct dfo_err e = {0};
	if (dfo_imds_get(m, "/latest/meta-data/placement/region", &v, &e) < 0) {
		dfo_err_set(err, -ENOENT,
			    "aws: no region (not in aws {}, AWS_REGION, "
			    "AWS_DEFAULT_REGION, the shared config file, nor "
			    "instance metadata: %s)",
			    e.msg);
		return NULL;
	}
	a->region_found = v;
	return v;
nomem:
	dfo_err_set(err, -ENOMEM, "aws: out of memory");
	return NULL;
}

/* ---- error documents ---- */

struct errdoc {
	int depth;
	bool in_code, in_msg;
	struct dfo_sbuf root, code, msg;
	bool have_code;
	unsigned nmsg; /* <Message> elements seen (InvalidChangeBatch may
			  carry several: all are kept, "; "-separated) */
};

static void err_start(void *ud, const char *name, const char **attrs)
{
	struct errdoc *d = ud;
	if (d->depth++ == 0)
		dfo_sbuf_add(&d->root, name, strlen(name));
	d->in_code = !d->have_code && strcmp(name, "Code") == 0;
	d->in_msg = strcmp(name, "Message") == 0 && d->msg.len < 1024;
	if (d->in_msg && d->nmsg++)
		dfo_sbuf_add(&d->msg, "; ", 2);
}

static void err_end(void *ud, const char *name)
{
	struct errdoc *d = ud;
	d->depth--;
	if (d->in_code)
		d->have_code = true;
	d->in_code = d->in_msg = false;
}

static void err_text(void *ud, const char *s, int len)
{
	struct errdoc *d = ud;
	if (d->in_code && d->code.len < 256)
		dfo_sbuf_add(&d->code, s, (size_t)len);
	if (d->in_msg && d->msg.len < 1024)
		dfo_sbuf_add(&d->msg, s, (size_t)len);
}

/* Control characters (a Message may span lines) become spaces: the
 * text goes to the log. */
static void blank_controls(char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void aws_parse_error(const char *xml, size_t len, char **code, char **msg)
{
	struct errdoc d = {0};
	*code = *msg = NULL;
	XML_Parser p = XML_ParserCreate(NULL);
	if (!p)
		return;
	XML_SetUserData(p, &d);
	XML_SetElementHandler(p, err_start, err_end);
	XML_SetCharacterDataHandler(p, err_text);
	XML_Parse(p, xml, (int)len, 1);
	XML_ParserFree(p);
	if (d.have_code && d.code.s) {
		*code = d.code.s;
		free(d.root.s);
	} else {
		*code = d.root.s;
		free(d.code.s);
	}
	*msg = d.msg.s;
	blank_controls(*code);
	blank_controls(*msg);
}

/* ---- signed requests ---- */

static bool is_throttle(const char *code)
{
	static const char *const codes[] = {"Throttling",
					    "ThrottlingException",
					    "RequestLimitExceeded",
					    "RequestThrottled",
					    "TooManyRequestsException",
					    "PriorRequestNotComplete",
					    "SlowDown",
					    NULL};
	for (size_t i = 0; code && codes[i]; i++)
		if (strcmp(code, codes[i]) == 0)
			return true;
	return false;
}

static double jitter(double max)
{
	unsigned r = 0;
	if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
		r = (unsigned)rand();
	return max * ((double)r / 4294967296.0);
}

/* Does an InvalidChangeBatch message say only that the records are not
 * the ones the batch was built from?  Route 53 words it, per change,
 *   Tried to delete resource record set [name='N', type='T'] but it was
 *   not found
 *   Tried to delete resource record set [...] but the values provided do
 *   not match the current values
 *   Tried to create resource record set [...] but it already exists
 * (several joined, sometimes within "[...]").  Anything else in the
 * message (an invalid value, a CNAME conflict, a bad name) is an error in
 * the batch itself, not a lost race. */
bool aws_batch_stale(const char *msg)
{
	static const char *const heads[] = {
		"Tried to delete resource record set [",
		"Tried to create resource record set [",
	};
	static const char *const tails[][3] = {
		{"it was not found",
		 "the values provided do not match the current values", NULL},
		{"it already exists", NULL, NULL},
	};
	bool seen = false;
	const char *p = msg ? msg : "";
	for (;;) {
		p += strspn(p, " \t[],;.");
		if (!*p)
			return seen;
		size_t h;
		for (h = 0; h < 2; h++)
			if (strncmp(p, heads[h], strlen(heads[h])) == 0)
				break;
		if (h == 2)
			return false;
		const char *but = strstr(p, "] but ");
		const char *next = strstr(p + 1, "Tried to ");
		if (!but || (next && next < but))
			return false;
		p = but + 6;
		size_t t;
		for (t = 0; tails[h][t]; t++)
			if (strncmp(p, tails[h][t], strlen(tails[h][t])) == 0)
				break;
		if (!tails[h][t])
			return false;
		p += strlen(tails[h][t]);
		seen = true;
	}
}

/* Build the error of a non-2xx answer; *retry says if it may pass. */
static int answer_error(const struct dfo_aws_call *call,
			const struct dfo_http_response *resp, bool *retry,
			struct dfo_err *err)
{
	char *code = NULL, *msg = NULL;
	if (resp->body && resp->len)
		aws_parse_error(resp->body, resp->len, &code, &msg);
	long st = resp->status;
	*retry = st == 429 || st >= 500 || is_throttle(code);
	int rc = -EIO;
	if (is_throttle(code) || st == 429 || st == 503)
		rc = -EAGAIN;
	else if (st == 401 || st == 403)
		rc = -EACCES;
	else if (st == 404)
		rc = -ENOENT;
	if (code && strcmp(code, "InvalidChangeBatch") == 0)
		rc = aws_batch_stale(msg) ? -ESTALE : -EINVAL;
	if (code && *code) {
		dfo_err_set(err, rc, "%s %s: %s: %s", call->service,
			    call->method, code, msg ? msg : "(no message)");
	} else {
		char text[160];
		dfo_sanitize(resp->body ? resp->body : "", resp->len, text,
			     sizeof(text));
		dfo_err_set(err, rc, "%s %s: HTTP %ld: %s", call->service,
			    call->method, st,
			    text[0] ? text : "(empty answer)");
	}
	free(code);
	free(msg);
	return rc;
}

/* What a call sends, made once for all its attempts. */
struct prepared {
	char *query, *path, *url, *sigv4, *userpwd;
	char *ctype, *date, *tok; /* header lines */
	const char **hdrs;	  /* NULL-terminated */
};

static void prepared_free(struct prepared *p)
{
	free(p->query);
	free(p->path);
	free(p->url);
	free(p->sigv4);
	if (p->userpwd) {
		explicit_bzero(p->userpwd, strlen(p->userpwd));
		free(p->userpwd);
	}
	free(p->ctype);
	free(p->date);
	free(p->tok);
	free(p->hdrs);
}

/* "NAME: VALUE" of an optional header, appended to p->hdrs.  0 or -1. */
static int header_add(struct prepared *p, size_t *k, char **line,
		      const char *name, const char *value)
{
	if (!value)
		return 0;
	if (asprintf(line, "%s: %s", name, value) < 0) {
		*line = NULL;
		return -1;
	}
	p->hdrs[(*k)++] = *line;
	return 0;
}

/* The URL, SigV4 scope, user:password and headers of `call`.  0 or
 * -ENOMEM (then p holds what was made: prepared_free it). */
static int prepare(const struct dfo_aws_call *call, const char *region,
		   const struct dfo_aws_creds *cr, struct prepared *p)
{
	size_t nh = 0;
	for (const char *const *h = call->headers; h && *h; h++)
		nh++;
	p->query = dfo_aws_query_encode(call->query);
	p->path = strdup(call->path ? call->path : "/");
	if (p->path) { /* SigV4 collapses empty path segments; send it so */
		char *w = p->path;
		for (const char *r = p->path; *r; r++)
			if (!(*r == '/' && w > p->path && w[-1] == '/'))
				*w++ = *r;
		*w = '\0';
	}
	if (!p->query || !p->path ||
	    asprintf(&p->url, "%s%s%s%s", call->endpoint, p->path,
		     *p->query ? "?" : "", p->query) < 0 ||
	    asprintf(&p->sigv4, "aws:amz:%s:%s", region, call->service) < 0 ||
	    asprintf(&p->userpwd, "%s:%s", cr->access_key_id,
		     cr->secret_access_key) < 0 ||
	    !(p->hdrs = calloc(nh + 4, sizeof(*p->hdrs))))
		return -ENOMEM;
	size_t k = 0;
	if (header_add(p, &k, &p->ctype, "Content-Type", call->content_type) ||
	    header_add(p, &k, &p->date, "X-Amz-Date", call->amz_date) ||
	    header_add(p, &k, &p->tok, "X-Amz-Security-Token",
		       cr->session_token))
		return -ENOMEM;
	for (size_t i = 0; i < nh; i++)
		p->hdrs[k++] = call->headers[i];
	p->hdrs[k] = NULL;
	return 0;
}

/* One attempt, with what is left of the deadline (at most the client's
 * timeout).  0 on a 2xx answer; else negative with err set, and *retry
 * whether another attempt may do better. */
static int attempt_once(struct dfo_aws *a, const struct dfo_aws_call *call,
			const struct prepared *p, double deadline,
			struct dfo_http_response *resp, bool *retry,
			struct dfo_err *err)
{
	double left = deadline - dfo_now();
	struct dfo_http_request req = {
		.method = call->method,
		.url = p->url,
		.headers = p->hdrs,
		.body = call->body ? call->body
				   : (call->method[0] == 'P' ? "" : NULL),
		.body_len = call->body ? call->body_len : 0,
		.timeout = left < a->timeout ? left : a->timeout,
		.aws_sigv4 = p->sigv4,
		.userpwd = p->userpwd,
		.sink = call->sink,
		.sink_ctx = call->sink_ctx,
		.sink_only_2xx = true,
	};
	if (req.timeout < 0.05)
		req.timeout = 0.05;
	if (call->restart)
		call->restart(call->sink_ctx);
	dfo_http_response_free(resp);
	*retry = false;
	int rc = dfo_http_session_do(a->http, &req, resp, err);
	if (rc == 0 && resp->status >= 200 && resp->status < 300)
		return 0;
	if (rc == 0)
		return answer_error(call, resp, retry, err);
	*retry = rc != -ECANCELED && rc != -EINVAL && rc != -ENOMEM &&
		 rc != -EINTR;
	if (err && rc != -ECANCELED) {
		char msg[sizeof(err->msg)];
		snprintf(msg, sizeof(msg), "%s", err->msg);
		dfo_err_set(err, rc, "%s %s: %s", call->service, call->method,
			    msg);
	}
	return rc;
}

int aws_form_post(struct dfo_aws *a, struct dfo_aws_call *call,
		  const struct dfo_aws_query *q, struct dfo_http_response *resp,
		  struct dfo_err *err)
{
	memset(resp, 0, sizeof(*resp));
	char *body = dfo_aws_query_encode(q);
	if (!body)
		return dfo_err_set(err, -ENOMEM, "%s: out of memory",
				   call->service);
	call->method = "POST";
	call->body = body;
	call->body_len = strlen(body);
	call->content_type = "application/x-www-form-urlencoded; charset=utf-8";
	int rc = dfo_aws_request(a, call, resp, err);
	call->body = NULL;
	call->body_len = 0;
	free(body);
	return rc;
}

int dfo_aws_request(struct dfo_aws *a, const struct dfo_aws_call *call,
		    struct dfo_http_response *resp, struct dfo_err *err)
{
	memset(resp, 0, sizeof(*resp));
	if (!call->endpoint || !call->service || !call->method)
		return dfo_err_set(err, -EINVAL, "aws: incomplete request");
	const struct dfo_aws_creds *cr;
	int rc = dfo_aws_credentials(a, &cr, err);
	if (rc < 0)
		return rc;
	const char *region = call->region;
	if (!region && !(region = dfo_aws_region(a, err)))
		return err ? err->code : -ENOENT;

	struct prepared p = {0};
	if (prepare(call, region, cr, &p) < 0) {
		rc = dfo_err_set(err, -ENOMEM, "aws: out of memory");
		goto out;
	}
	if (!a->http && (rc = dfo_http_session_new(&a->http, err)) < 0)
		goto out;
	double deadline = dfo_now() + a->retry_time;
	for (int attempt = 0;; attempt++) {
		bool retry;
		rc = attempt_once(a, call, &p, deadline, resp, &retry, err);
		if (rc == 0 || !retry || attempt >= a->max_retries)
			break;
		double cap =
			0.1 * (double)(1u << (attempt < 10 ? attempt : 10));
		double delay = jitter(cap < 5 ? cap : 5);
		if (dfo_now() + delay >= deadline) {
			dfo_log(DFO_LOG_INFO,
				"%s: no time left for a retry "
				"(retry_time %.1f s)",
				call->service, a->retry_time);
			break;
		}
		dfo_log(DFO_LOG_INFO, "%s: %s; retry %d in %.2f s",
			call->service, err ? err->msg : "failed", attempt + 1,
			delay);
		if (aws_sleep(delay) < 0) {
			rc = dfo_err_set(err, -EINTR,
					 "%s %s: interrupted: "
					 "stopping",
					 call->service, call->method);
			break;
		}
	}
out:
	prepared_free(&p);
	return rc;
}
