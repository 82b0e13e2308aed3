/*
 * ipsource "http": ask web services that answer with the caller's own
 * address, alone, as the body of a GET (the seed's myip.enix.org).
 *
 *     ipsource "me" { http { url = {"http://a.example/ip",
 *                                   "http://b.example/ip"} timeout = 3 } }
 *
 * The URLs are tried in order until one answers 2xx with a body that,
 * stripped of surrounding white space, is one address of the family the
 * pool asks for.  The request itself goes out over that family
 * (CURLOPT_IPRESOLVE), so a dual-stack service tells each address.  Any
 * other answer is an error naming the URL and what came back (its first
 * bytes, made printable).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <dnsfailover/dnsfailover.h>

#define HTTP_DEFAULT_URL "http://myip.enix.org/REMOTE_ADDR"
/* Keep this much of a body: far more than an address, enough to quote. */
#define HTTP_MAX_BODY 4096
/* Bytes of a bad answer quoted in an error. */
#define HTTP_QUOTE 40

struct http_src {
	char **urls; /* owned, `count` strings */
	unsigned count;
	double timeout; /* seconds per URL */
};

static cfg_opt_t http_opts[] = {
	/* Tried in order until one answers with an address. */
	CFG_STR_LIST("url", "{" HTTP_DEFAULT_URL "}", CFGF_NONE),
	/* Seconds one URL may take, connection included. */
	CFG_FLOAT("timeout", 5.0, CFGF_NONE), CFG_END()};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

/* Narrow [*body, *body + *len) to its part without white space around. */
static void http_trim(const char **body, size_t *len)
{
	const char *a = *body, *b = *body + *len;
	while (a < b && is_space(*a))
		a++;
	while (b > a && is_space(b[-1]))
		b--;
	*body = a;
	*len = (size_t)(b - a);
}

/*
 * Parse the body of an answer (`len` bytes, not necessarily terminated)
 * as one address of `family`, ignoring white space around it.  Returns 0
 * with *out set; -ENODATA if the body is blank; -EAFNOSUPPORT if it is an
 * address of the other family; -EINVAL for anything else (several words,
 * NUL bytes, HTML, a name, a port, ...).
 */
static int http_answer_parse(const char *body, size_t len, int family,
			     struct dfo_addr *out)
{
	char text[DFO_ADDR_STRLEN];

	http_trim(&body, &len);
	if (len == 0)
		return -ENODATA;
	if (len >= sizeof(text) || memchr(body, '\0', len))
		return -EINVAL;
	memcpy(text, body, len);
	text[len] = '\0';
	if (dfo_addr_parse_family(out, text, family) == 0)
		return 0;
	struct dfo_addr other;
	if (dfo_addr_parse(&other, text) == 0)
		return -EAFNOSUPPORT;
	return -EINVAL;
}

static void http_destroy(void *state)
{
	struct http_src *s = state;
	if (!s)
		return;
	for (unsigned i = 0; i < s->count; i++)
		free(s->urls[i]);
	free(s->urls);
	free(s);
}

static int http_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	unsigned n = cfg_size(sec, "url");
	double timeout = cfg_getfloat(sec, "timeout");
	if (n == 0)
		return dfo_err_set(err, -EINVAL,
				   "url: at least one URL is needed");
	if (!(timeout > 0 && timeout <= 3600))
		return dfo_err_set(err, -EINVAL,
				   "timeout %g is not in (0, 3600] seconds",
				   timeout);
	struct http_src *s = calloc(1, sizeof(*s));
	if (!s || !(s->urls = calloc(n, sizeof(*s->urls)))) {
		free(s);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	s->timeout = timeout;
	for (unsigned i = 0; i < n; i++) {
		const char *url = cfg_getnstr(sec, "url", i);
		if (strncmp(url, "http://", 7) != 0 &&
		    strncmp(url, "https://", 8) != 0) {
			http_destroy(s);
			char shown[512];
			return dfo_err_set(
				err, -EINVAL,
				"url '%s' is not http:// or https://",
				dfo_url_redact(url, shown, sizeof(shown)));
		}
		if (!(s->urls[i] = strdup(url))) {
			http_destroy(s);
			return dfo_err_set(err, -ENOMEM, "out of memory");
		}
		s->count++;
	}
	*state = s;
	return 0;
}

/* One URL: 0 with *out, or negative with err naming the URL. */
static int http_ask(const struct http_src *s, const char *url, int family,
		    struct dfo_addr *out, struct dfo_err *err)
{
	struct dfo_http_request req = {
		.url = url,
		.timeout = s->timeout,
		.family = family,
		.max_body = HTTP_MAX_BODY,
	};
	struct dfo_http_response resp;
	char quote[HTTP_QUOTE + 1], shown[512];
	dfo_url_redact(url, shown, sizeof(shown));
	const char *text;
	size_t tlen;
	int rc = dfo_http_do(&req, &resp, err);
	if (rc < 0)
		goto out;
	/* Quote the answer's first bytes, white space around it dropped. */
	text = resp.body;
	tlen = resp.len;
	http_trim(&text, &tlen);
	dfo_sanitize(text, tlen, quote, sizeof(quote));
	const char *more = tlen > HTTP_QUOTE ? "..." : "";
	if (resp.status < 200 || resp.status > 299) {
		rc = dfo_err_set(err, -EPROTO,
				 "%s: HTTP status %ld, answer '%s%s'", shown,
				 resp.status, quote, more);
		goto out;
	}
	rc = http_answer_parse(resp.body, resp.len, family, out);
	if (rc == -ENODATA)
		dfo_err_set(err, rc, "%s: empty answer", shown);
	else if (rc == -EAFNOSUPPORT)
		dfo_err_set(err, rc, "%s: answer '%s' is not an %s address",
			    shown, quote, family == AF_INET ? "IPv4" : "IPv6");
	else if (rc < 0)
		dfo_err_set(err, rc, "%s: answer '%s%s' is not an address",
			    shown, quote, more);
out:
	dfo_http_response_free(&resp);
	return rc;
}

static int http_own_addr(void *state, int family, struct dfo_addr *out,
			 struct dfo_err *err)
{
	struct http_src *s = state;
	struct dfo_err e;
	char shown[512];
	int rc = -EINVAL;
	if (family != AF_INET && family != AF_INET6)
		return dfo_err_set(err, -EAFNOSUPPORT, "family %d unknown",
				   family);
	for (unsigned i = 0; i < s->count; i++) {
		dfo_err_clear(&e);
		rc = http_ask(s, s->urls[i], family, out, &e);
		if (rc == 0)
			return 0;
		if (i + 1 < s->count)
			dfo_log(DFO_LOG_WARNING, "ipsource http: %s; trying %s",
				e.msg,
				dfo_url_redact(s->urls[i + 1], shown,
					       sizeof(shown)));
	}
	if (s->count == 1)
		return dfo_err_set(err, rc, "%s", e.msg);
	return dfo_err_set(err, rc, "all %u URLs failed, last: %s", s->count,
			   e.msg);
}

static const struct dfo_ipsource_provider http_provider = {
	.size = sizeof(struct dfo_ipsource_provider),
	.name = "http",
	.description = "ask web services for the address they see",
	.options = http_opts,
	.create = http_create,
	.destroy = http_destroy,
	.own_addr = http_own_addr,
};

static int http_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_ipsource(reg, &http_provider);
}

DFO_MODULE("ipsource_http", http_init);
