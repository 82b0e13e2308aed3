/*
 * The core's HTTP helper over libcurl: one request, always bounded.
 *
 * libcurl is loaded on the first request (dlopen of its soname), not
 * linked: with its TLS, Kerberos and LDAP libraries it would be most of
 * the memory of an agent that never speaks HTTP.
 */
#include "config.h"

#include <ctype.h>
#include <dlfcn.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

/* A body or header block: kept up to `max` bytes, the rest dropped. */
struct buf {
	struct dfo_sbuf sb;
	size_t max;
	bool truncated;
};

struct xfer {
	struct buf body, head;
	const struct dfo_http_request *req;
	CURL *h;
	bool aborted;
	bool stopped; /* the agent is stopping (dfo_stopping) */
};

#define LIBCURL_SONAME "libcurl.so.4"
#define DFO_CURL_MIN   0x075500 /* 7.85.0: CURLOPT_PROTOCOLS_STR */

/* A kept easy handle: its connections stay open between requests. */
struct dfo_http_session {
	CURL *h;
	unsigned long connects; /* connections opened */
	unsigned long requests;
};

/* The libcurl functions used here, resolved on first use. */
static struct {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *h, CURLoption opt, ...);
	CURLcode (*easy_perform)(CURL *h);
	void (*easy_reset)(CURL *h);
	curl_version_info_data *(*version_info)(CURLversion v);
	CURLcode (*easy_getinfo)(CURL *h, CURLINFO info, ...);
	void (*easy_cleanup)(CURL *h);
	const char *(*easy_strerror)(CURLcode cc);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
} lc;
static char lc_error[256]; /* why libcurl could not be loaded */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	void *h = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		snprintf(lc_error, sizeof(lc_error), "%s", dlerror());
		return;
	}
	const struct {
		void **fn;
		const char *name;
	} syms[] = {
		{(void **)&lc.global_init, "curl_global_init"},
		{(void **)&lc.easy_init, "curl_easy_init"},
		{(void **)&lc.easy_setopt, "curl_easy_setopt"},
		{(void **)&lc.easy_perform, "curl_easy_perform"},
		{(void **)&lc.easy_reset, "curl_easy_reset"},
		{(void **)&lc.version_info, "curl_version_info"},
		{(void **)&lc.easy_getinfo, "curl_easy_getinfo"},
		{(void **)&lc.easy_cleanup, "curl_easy_cleanup"},
		{(void **)&lc.easy_strerror, "curl_easy_strerror"},
		{(void **)&lc.slist_append, "curl_slist_append"},
		{(void **)&lc.slist_free_all, "curl_slist_free_all"},
	};
	for (size_t i = 0; i < sizeof(syms) / sizeof(syms[0]); i++) {
		if (!(*syms[i].fn = dlsym(h, syms[i].name))) {
			snprintf(lc_error, sizeof(lc_error), "%s: no %s",
				 LIBCURL_SONAME, syms[i].name);
			lc.easy_init = NULL;
			return;
		}
	}
	/* The headers built against may be newer than the library found at
	 * run time: an option it lacks would be refused (and is checked),
	 * but say plainly why every request fails. */
	const curl_version_info_data *v = lc.version_info(CURLVERSION_NOW);
	if (!v || v->version_num < DFO_CURL_MIN) {
		snprintf(lc_error, sizeof(lc_error),
			 "%s is %s; at least 7.85.0 "
			 "is needed (CURLOPT_PROTOCOLS_STR, CURLOPT_AWS_SIGV4)",
			 LIBCURL_SONAME,
			 v && v->version ? v->version : "unknown");
		lc.easy_init = NULL;
		return;
	}
	lc.global_init(CURL_GLOBAL_DEFAULT);
}

static int buf_append(struct buf *b, const char *data, size_t len)
{
	if (b->sb.len + len > b->max) {
		b->truncated = true;
		len = b->max > b->sb.len ? b->max - b->sb.len : 0;
	}
	return dfo_sbuf_add(&b->sb, data, len) < 0 ? -1 : 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = size * nmemb;
	long status = 0;
	if (x->req->sink && x->req->sink_only_2xx)
		lc.easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	if (x->req->sink &&
	    (!x->req->sink_only_2xx || (status >= 200 && status < 300))) {
		if (x->req->sink(data, len, x->req->sink_ctx) != 0) {
			x->aborted = true;
			return 0;
		}
		return len;
	}
	return buf_append(&x->body, data, len) == 0 ? len : 0;
}

/* Called by libcurl at least once a second, also while it waits. */
static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	struct xfer *x = ctx;
	if (dfo_stopping()) {
		x->stopped = true;
		return 1;
	}
	return 0;
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct xfer *x = ctx;
	size_t len = size * nmemb;
	/* A new status line (after a 100 Continue or redirect) starts over. */
	if (len > 5 && strncmp(data, "HTTP/", 5) == 0)
		x->head.sb.len = 0;
	return buf_append(&x->head, data, len) == 0 ? len : 0;
}

static int curl_to_errno(CURLcode cc)
{
	switch (cc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	default:
		return -EIO;
	}
}

/* Set an option or fail the request: an option libcurl refuses is never
 * silently dropped (a refused CURLOPT_AWS_SIGV4 would send the secret as
 * Basic auth). */
#define SETOPT(OPT, VAL)                                                       \
	do {                                                                   \
		CURLcode c_ = lc.easy_setopt(h, OPT, VAL);                     \
		if (c_ != CURLE_OK) {                                          \
			rc = dfo_err_set(err,                                  \
					 c_ == CURLE_OUT_OF_MEMORY ? -ENOMEM   \
								   : -ENOTSUP, \
					 "http: libcurl refused %s: %s", #OPT, \
					 lc.easy_strerror(c_));                \
			goto out;                                              \
		}                                                              \
	} while (0)

static int http_load(struct dfo_err *err)
{
	pthread_once(&curl_once, curl_init_once);
	if (!lc.easy_init)
		return dfo_err_set(err, -ENOSYS, "http: cannot load %s: %s",
				   LIBCURL_SONAME, lc_error);
	return 0;
}

int dfo_http_session_new(struct dfo_http_session **out, struct dfo_err *err)
{
	*out = NULL;
	int rc = http_load(err);
	if (rc < 0)
		return rc;
	struct dfo_http_session *s = calloc(1, sizeof(*s));
	if (!s || !(s->h = lc.easy_init())) {
		free(s);
		return dfo_err_set(err, -ENOMEM,
				   "http: cannot create a handle");
	}
	*out = s;
	return 0;
}

void dfo_http_session_free(struct dfo_http_session *s)
{
	if (!s)
		return;
	if (s->h)
		lc.easy_cleanup(s->h);
	free(s);
}

void dfo_http_session_stats(const struct dfo_http_session *s,
			    unsigned long *connects, unsigned long *requests)
{
	if (connects)
		*connects = s ? s->connects : 0;
	if (requests)
		*requests = s ? s->requests : 0;
}

/* Every option of req on h; on error nothing is sent.  The header list
 * built goes to *hdrs, which the caller frees after the transfer. */
static int request_setopts(CURL *h, const struct dfo_http_request *req,
			   struct xfer *x, char *errbuf,
			   struct curl_slist **hdrs, struct dfo_err *err)
{
	int rc = 0;
	double timeout = req->timeout > 0 ? req->timeout : 10;
	long ms = (long)(timeout * 1000);

	SETOPT(CURLOPT_URL, req->url);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, ms > 0 ? ms : 1L);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, x);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, x);
	SETOPT(CURLOPT_XFERINFOFUNCTION, on_progress);
	SETOPT(CURLOPT_XFERINFODATA, x);
	SETOPT(CURLOPT_NOPROGRESS, 0L);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_USERAGENT, "dnsfailover/" PACKAGE_VERSION);
	if (req->family == AF_INET)
		SETOPT(CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V4);
	else if (req->family == AF_INET6)
		SETOPT(CURLOPT_IPRESOLVE, (long)CURL_IPRESOLVE_V6);
	if (req->body) {
		SETOPT(CURLOPT_POSTFIELDS, req->body);
		SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	if (req->method)
		SETOPT(CURLOPT_CUSTOMREQUEST, req->method);
	for (const char *const *p = req->headers; p && *p; p++) {
		struct curl_slist *n = lc.slist_append(*hdrs, *p);
		if (!n)
			return dfo_err_set(err, -ENOMEM, "http: out of memory");
		*hdrs = n;
	}
	if (*hdrs)
		SETOPT(CURLOPT_HTTPHEADER, *hdrs);
	/* SigV4 first: the credentials are only handed over once libcurl
	 * has accepted to sign with them (fail closed). */
	if (req->aws_sigv4) {
		CURLcode c =
			lc.easy_setopt(h, CURLOPT_AWS_SIGV4, req->aws_sigv4);
		if (c != CURLE_OK)
			return dfo_err_set(
				err, -ENOTSUP,
				"http: libcurl cannot sign AWS requests "
				"(CURLOPT_AWS_SIGV4: %s); request not "
				"sent",
				lc.easy_strerror(c));
	}
	if (req->userpwd)
		SETOPT(CURLOPT_USERPWD, req->userpwd);
out:
	return rc;
}

/* The error of a transfer that failed (cc), with the URL redacted. */
static int request_error(const struct dfo_http_request *req,
			 const struct xfer *x, CURLcode cc, const char *errbuf,
			 struct dfo_err *err)
{
	char shown[512];
	dfo_url_redact(req->url, shown, sizeof(shown));
	if (x->stopped)
		return dfo_err_set(err, -EINTR, "%s: interrupted: stopping",
				   shown);
	if (x->aborted)
		return dfo_err_set(err, -ECANCELED, "%s: transfer aborted",
				   shown);
	return dfo_err_set(err, curl_to_errno(cc), "%s: %s", shown,
			   errbuf[0] ? errbuf : lc.easy_strerror(cc));
}

/* One request on h: its options, the transfer, the response handed over;
 * *connects counts the connections it opened. */
static int do_request(CURL *h, const struct dfo_http_request *req,
		      struct dfo_http_response *resp, long *connects,
		      struct dfo_err *err)
{
	struct xfer x = {.req = req, .h = h};
	x.body.max = req->max_body ? req->max_body : 1u << 20;
	x.head.max = 64u << 10;
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdrs = NULL;
	int rc = 0;
	if ((rc = request_setopts(h, req, &x, errbuf, &hdrs, err)) < 0)
		goto out;

	CURLcode cc = lc.easy_perform(h);
	long nc = 0;
	if (lc.easy_getinfo(h, CURLINFO_NUM_CONNECTS, &nc) == CURLE_OK)
		*connects += nc;
	if (cc != CURLE_OK) {
		rc = request_error(req, &x, cc, errbuf, err);
		goto out;
	}
	lc.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->body = x.body.sb.s;
	resp->len = x.body.sb.len;
	resp->headers = x.head.sb.s;
	resp->headers_len = x.head.sb.len;
	x.body.sb.s = x.head.sb.s = NULL;
	if (!resp->body) {
		resp->body = calloc(1, 1);
		if (!resp->body)
			rc = dfo_err_set(err, -ENOMEM, "http: out of memory");
	}
out:
	/* Nothing of this request (the secret, the buffers on this stack)
	 * stays set on a handle that is kept. */
	lc.easy_reset(h);
	free(x.body.sb.s);
	free(x.head.sb.s);
	lc.slist_free_all(hdrs);
	return rc;
}

#undef SETOPT

int dfo_http_session_do(struct dfo_http_session *s,
			const struct dfo_http_request *req,
			struct dfo_http_response *resp, struct dfo_err *err)
{
	memset(resp, 0, sizeof(*resp));
	if (!req || !req->url)
		return dfo_err_set(err, -EINVAL, "http: no URL");
	int rc = http_load(err);
	if (rc < 0)
		return rc;
	long nc = 0;
	if (s) {
		rc = do_request(s->h, req, resp, &nc, err);
		s->connects += (unsigned long)nc;
		s->requests++;
		return rc;
	}
	CURL *h = lc.easy_init();
	if (!h)
		return dfo_err_set(err, -ENOMEM,
				   "http: cannot create a handle");
	rc = do_request(h, req, resp, &nc, err);
	lc.easy_cleanup(h);
	return rc;
}

int dfo_http_do(const struct dfo_http_request *req,
		struct dfo_http_response *resp, struct dfo_err *err)
{
	return dfo_http_session_do(NULL, req, resp, err);
}

char *dfo_http_header(const struct dfo_http_response *resp, const char *name,
		      char *buf, size_t len)
{
	size_t nlen = strlen(name);
	const char *p = resp->headers;
	while (p && *p) {
		const char *eol = strchr(p, '\n');
		size_t l = eol ? (size_t)(eol - p) : strlen(p);
		if (l > nlen && strncasecmp(p, name, nlen) == 0 &&
		    p[nlen] == ':') {
			const char *v = p + nlen + 1;
			const char *end = p + l;
			while (v < end && (*v == ' ' || *v == '\t'))
				v++;
			while (end > v && isspace((unsigned char)end[-1]))
				end--;
			size_t vl = (size_t)(end - v);
			if (vl >= len)
				vl = len - 1;
			memcpy(buf, v, vl);
			buf[vl] = '\0';
			return buf;
		}
		p = eol ? eol + 1 : NULL;
	}
	return NULL;
}

void dfo_http_response_free(struct dfo_http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	free(resp->headers);
	memset(resp, 0, sizeof(*resp));
}

char *dfo_url_redact(const char *url, char *buf, size_t len)
{
	if (!len)
		return buf;
	const char *scheme = strstr(url, "://");
	const char *host = scheme ? scheme + 3 : url;
	size_t hostlen = strcspn(host, "/?#");
	const char *at = memrchr(host, '@', hostlen);
	if (!at)
		snprintf(buf, len, "%s", url);
	else
		snprintf(buf, len, "%.*s***%s", (int)(host - url), url, at);
	return buf;
}

char *dfo_sanitize(const char *data, size_t len, char *buf, size_t max)
{
	size_t n = 0;
	if (max == 0)
		return buf;
	for (size_t i = 0; i < len && n + 1 < max; i++) {
		unsigned char ch = (unsigned char)data[i];
		buf[n++] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '.';
	}
	buf[n] = '\0';
	return buf;
}
