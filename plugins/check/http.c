/*
 * check "http": one HTTP(S) request to the target address, healthy when
 * the status is one of `status` and, with `expect`, the body contains
 * that text.
 *
 * The request names the site (Host header, TLS server name): `host`, else
 * the host of `url`, else the pool's FQDN, else the address itself.  It
 * always goes to the target address: CURLOPT_CONNECT_TO sends every
 * connection there, so the name is never looked up in DNS.  TLS peers
 * are verified unless `verify = false`; `ca_file` adds a CA bundle.
 * Redirects are not followed unless `follow = true` (they would also go
 * to the target address).  Runs in a child that the core kills at the
 * deadline, so the transfer itself has no timeout.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include <dnsfailover/dnsfailover.h>

/* Body bytes kept for `expect`; the rest is read and dropped. */
#define BODY_MAX (1024 * 1024)

struct http {
	char *method; /* "GET", "HEAD", "POST", ... */
	bool https;
	unsigned port; /* 0: 80 or 443 */
	char *path;    /* path and query, starting with '/' */
	char *name;    /* `host`, or the host of `url`; may be NULL */
	char *body;    /* request body, or NULL */
	struct curl_slist *headers;
	long *status; /* healthy status codes */
	size_t nstatus;
	char *expect; /* NULL: any body */
	char *ca_file;
	bool verify;
	bool follow;
};

static cfg_opt_t http_opts[] = {CFG_STR("method", NULL, CFGF_NONE),
				CFG_STR("url", NULL, CFGF_NONE),
				CFG_STR("path", "/", CFGF_NONE),
				CFG_INT("port", 0, CFGF_NONE),
				CFG_BOOL("https", cfg_false, CFGF_NONE),
				CFG_STR("host", NULL, CFGF_NONE),
				CFG_STR("body", NULL, CFGF_NONE),
				CFG_STR_LIST("headers", NULL, CFGF_NONE),
				CFG_INT_LIST("status", "{200, 302}", CFGF_NONE),
				CFG_STR("expect", NULL, CFGF_NONE),
				CFG_STR("ca_file", NULL, CFGF_NONE),
				CFG_BOOL("verify", cfg_true, CFGF_NONE),
				CFG_BOOL("follow", cfg_false, CFGF_NONE),
				CFG_END()};

static void http_destroy(void *state)
{
	struct http *t = state;
	if (!t)
		return;
	free(t->method);
	free(t->path);
	free(t->name);
	free(t->body);
	curl_slist_free_all(t->headers);
	free(t->status);
	free(t->expect);
	free(t->ca_file);
	free(t);
}

/* True if the config file set option `name` (not just its default). */
static bool is_set(cfg_t *sec, const char *name)
{
	cfg_opt_t *o = cfg_getopt(sec, name);
	return o && (o->flags & CFGF_MODIFIED);
}

/* Copy a string option (NULL stays NULL); false if out of memory. */
static bool dup_opt(cfg_t *sec, const char *name, char **out)
{
	const char *s = cfg_getstr(sec, name);
	*out = s ? strdup(s) : NULL;
	return !s || *out;
}

/* Take scheme, host, port and path of `url` into t. */
static int parse_url(struct http *t, const char *url, struct dfo_err *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL,
	     *query = NULL;
	int rc = 0;
	if (!u)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (uc) {
		rc = dfo_err_set(err, -EINVAL, "url \"%s\": %s", url,
				 curl_url_strerror(uc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &host, 0);
	curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	curl_url_get(u, CURLUPART_QUERY, &query, 0);
	if (!scheme || (strcmp(scheme, "http") && strcmp(scheme, "https"))) {
		rc = dfo_err_set(err, -EINVAL, "url \"%s\": not http or https",
				 url);
		goto out;
	}
	t->https = strcmp(scheme, "https") == 0;
	t->port = port ? (unsigned)atoi(port) : 0;
	if (!t->name && host && !(t->name = strdup(host)))
		rc = -ENOMEM;
	if (!rc && asprintf(&t->path, "%s%s%s", path ? path : "/",
			    query ? "?" : "", query ? query : "") < 0) {
		t->path = NULL;
		rc = -ENOMEM;
	}
	if (rc)
		dfo_err_set(err, rc, "out of memory");
out:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_free(query);
	curl_url_cleanup(u);
	return rc;
}

/* Where to ask: url, or path, port and https. */
static int parse_target(struct http *t, cfg_t *sec, struct dfo_err *err)
{
	const char *url = cfg_getstr(sec, "url");
	if (url) {
		if (is_set(sec, "path") || is_set(sec, "port") ||
		    is_set(sec, "https"))
			return dfo_err_set(
				err, -EINVAL,
				"url replaces path, "
				"port and https: set one or the other");
		return parse_url(t, url, err);
	}
	const char *path = cfg_getstr(sec, "path");
	long port = cfg_getint(sec, "port");
	if (!path || path[0] != '/')
		return dfo_err_set(err, -EINVAL, "path must start with '/'");
	if (port < 0 || port > 65535)
		return dfo_err_set(err, -EINVAL, "port %ld is not 1..65535",
				   port);
	t->https = cfg_getbool(sec, "https");
	t->port = (unsigned)port;
	if (!(t->path = strdup(path)))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	return 0;
}

/* headers, each "Name: value", into t->headers. */
static int parse_headers(struct http *t, cfg_t *sec, struct dfo_err *err)
{
	for (unsigned i = 0; i < cfg_size(sec, "headers"); i++) {
		const char *h = cfg_getnstr(sec, "headers", i);
		if (!strchr(h, ':') || h[0] == ':' || strpbrk(h, "\r\n"))
			return dfo_err_set(err, -EINVAL,
					   "header \"%s\" is not "
					   "\"Name: value\"",
					   h);
		struct curl_slist *l = curl_slist_append(t->headers, h);
		if (!l)
			return dfo_err_set(err, -ENOMEM, "out of memory");
		t->headers = l;
	}
	return 0;
}

/* status: the codes that count as up, each 100..599. */
static int parse_status(struct http *t, cfg_t *sec, struct dfo_err *err)
{
	t->nstatus = cfg_size(sec, "status");
	if (t->nstatus == 0)
		return dfo_err_set(err, -EINVAL,
				   "status needs at least one code");
	if (!(t->status = calloc(t->nstatus, sizeof(*t->status))))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < t->nstatus; i++) {
		t->status[i] = cfg_getnint(sec, "status", (unsigned)i);
		if (t->status[i] < 100 || t->status[i] > 599)
			return dfo_err_set(err, -EINVAL,
					   "status %ld is not "
					   "100..599",
					   t->status[i]);
	}
	return 0;
}

/* The check's options, each checked, into a new struct http. */
static int http_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	struct http *t = calloc(1, sizeof(*t));
	int rc = -ENOMEM;
	if (!t)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	t->verify = cfg_getbool(sec, "verify");
	t->follow = cfg_getbool(sec, "follow");
	if (!dup_opt(sec, "host", &t->name) ||
	    !dup_opt(sec, "body", &t->body) ||
	    !dup_opt(sec, "expect", &t->expect) ||
	    !dup_opt(sec, "ca_file", &t->ca_file) ||
	    !dup_opt(sec, "method", &t->method))
		goto nomem;
	if (!t->method && !(t->method = strdup(t->body ? "POST" : "GET")))
		goto nomem;

	if ((rc = parse_target(t, sec, err)) < 0)
		goto fail;
	if (!t->port)
		t->port = t->https ? 443 : 80;
	if (t->name && !*t->name) {
		rc = dfo_err_set(err, -EINVAL, "host must not be empty");
		goto fail;
	}
	if (!*t->method || strpbrk(t->method, " \t\r\n")) {
		rc = dfo_err_set(err, -EINVAL, "method \"%s\" is not valid",
				 t->method);
		goto fail;
	}
	if (t->expect && (!*t->expect || !strcmp(t->method, "HEAD"))) {
		rc = dfo_err_set(err, -EINVAL,
				 "expect must be non-empty and "
				 "needs a method other than HEAD");
		goto fail;
	}
	if ((rc = parse_headers(t, sec, err)) < 0 ||
	    (rc = parse_status(t, sec, err)) < 0)
		goto fail;
	*state = t;
	return 0;
nomem:
	rc = dfo_err_set(err, -ENOMEM, "out of memory");
fail:
	http_destroy(t);
	return rc;
}

/* The body as received, up to BODY_MAX bytes. */
struct body {
	char *data;
	size_t len;
	bool keep; /* only when there is something to look for */
};

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct body *b = ctx;
	size_t len = size * n, room = BODY_MAX - b->len;
	if (!b->keep || room == 0)
		return len;
	if (len < room)
		room = len;
	if (!b->data && !(b->data = malloc(BODY_MAX + 1)))
		return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
	memcpy(b->data + b->len, data, room);
	b->len += room;
	b->data[b->len] = '\0';
	return len;
}

static bool tls_error(CURLcode c)
{
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_USE_SSL_FAILED:
		return true;
	default:
		return false;
	}
}

/* Describe a failed transfer in err; returns its code. */
static int transfer_error(CURL *h, CURLcode c, const char *errbuf,
			  const char *where, struct dfo_err *err)
{
	long oserr = 0;
	const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(c);
	curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &oserr);
	if (c == CURLE_COULDNT_CONNECT) {
		int e = oserr > 0 ? (int)oserr : ECONNREFUSED;
		return dfo_err_set(err, -e, "connect to %s: %s", where,
				   strerror(e));
	}
	if (c == CURLE_OPERATION_TIMEDOUT)
		return dfo_err_set(err, -ETIMEDOUT, "timeout: %s", detail);
	if (tls_error(c))
		return dfo_err_set(err, -EPROTO, "TLS error: %s", detail);
	if (c == CURLE_GOT_NOTHING)
		return dfo_err_set(err, -EPROTO, "%s: empty reply", where);
	if ((c == CURLE_RECV_ERROR || c == CURLE_SEND_ERROR) && oserr > 0)
		return dfo_err_set(err, -(int)oserr, "%s: %s", where,
				   strerror((int)oserr));
	return dfo_err_set(err, -EIO, "%s", detail);
}

static int http_check(void *state, const struct dfo_check_target *target,
		      struct dfo_err *err)
{
	struct http *t = state;
	char addr[DFO_ADDR_STRLEN], lit[DFO_ADDR_STRLEN + 2];
	char errbuf[CURL_ERROR_SIZE] = "", where[DFO_ADDR_STRLEN + 16];
	char *url = NULL, *connect_to = NULL;
	struct curl_slist *to = NULL;
	struct body b = {.keep = t->expect != NULL};
	int rc = -ENOMEM;

	dfo_addr_format(&target->addr, addr, sizeof(addr));
	snprintf(lit, sizeof(lit),
		 target->addr.family == AF_INET6 ? "[%s]" : "%s", addr);
	snprintf(where, sizeof(where), "%s port %u", lit, t->port);
	const char *name = t->name			   ? t->name
			   : target->fqdn && *target->fqdn ? target->fqdn
							   : lit;

	curl_global_init(CURL_GLOBAL_DEFAULT);
	CURL *h = curl_easy_init();
	if (!h ||
	    asprintf(&url, "%s://%s:%u%s", t->https ? "https" : "http", name,
		     t->port, t->path) < 0 ||
	    asprintf(&connect_to, "::%s:", lit) < 0 ||
	    !(to = curl_slist_append(NULL, connect_to))) {
		dfo_err_set(err, -ENOMEM, "out of memory");
		goto out;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CONNECT_TO, to);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, t->follow ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "dnsfailover-check");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, t->verify ? 1L : 0L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, t->verify ? 2L : 0L);
	if (t->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, t->ca_file);
	if (t->headers)
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, t->headers);
	if (t->body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, t->body);
	if (!strcmp(t->method, "HEAD"))
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	else if (strcmp(t->method, t->body ? "POST" : "GET"))
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, t->method);
	if (dfo_log_enabled(DFO_LOG_DEBUG))
		dfo_log(DFO_LOG_DEBUG, "http check: %s %s via %s", t->method,
			url, where);

	CURLcode c = curl_easy_perform(h);
	if (c != CURLE_OK) {
		rc = transfer_error(h, c, errbuf, where, err);
		goto out;
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	bool ok = false;
	for (size_t i = 0; i < t->nstatus && !ok; i++)
		ok = status == t->status[i];
	if (!ok) {
		char want[64] = "";
		size_t n = 0;
		for (size_t i = 0; i < t->nstatus && n < sizeof(want); i++)
			n += (size_t)snprintf(want + n, sizeof(want) - n,
					      "%s%ld", i ? ", " : "",
					      t->status[i]);
		rc = dfo_err_set(err, -EPROTO, "status %ld (want %s)", status,
				 want);
		goto out;
	}
	if (t->expect &&
	    (!b.data || !memmem(b.data, b.len, t->expect, strlen(t->expect)))) {
		char shown[80];
		rc = dfo_err_set(err, -EPROTO,
				 "body mismatch: \"%s\" not in \"%s\"%s",
				 t->expect,
				 dfo_sanitize(b.data, b.data ? b.len : 0, shown,
					      sizeof(shown)),
				 b.len >= sizeof(shown) ? "..." : "");
		goto out;
	}
	rc = 0;
out:
	curl_slist_free_all(to);
	free(connect_to);
	free(url);
	free(b.data);
	if (h)
		curl_easy_cleanup(h);
	return rc;
}

static const struct dfo_check_provider http_provider = {
	.size = sizeof(struct dfo_check_provider),
	.name = "http",
	.description = "HTTP(S) request: status, body, TLS, Host/SNI",
	.options = http_opts,
	.create = http_create,
	.destroy = http_destroy,
	.check = http_check,
};

static int http_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_check(reg, &http_provider);
}

DFO_MODULE("check_http", http_init);
