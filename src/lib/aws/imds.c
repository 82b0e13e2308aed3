/*
 * Instance metadata (IMDSv2): a session token from PUT /latest/api/token,
 * sent with every GET and reused until it expires or is refused.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/internal.h"
#include "core.h"

#define IMDS_TOKEN_TTL 21600 /* seconds asked for; the maximum */

struct dfo_imds {
	char *endpoint;
	bool v1_fallback;
	double timeout;
	char *token;
	double token_expiry; /* dfo_now() time */
	struct dfo_imds_stats st;
	struct dfo_http_session *http; /* kept handle */
};

int dfo_imds_new(struct dfo_imds **out, const char *endpoint, bool v1_fallback,
		 double timeout, struct dfo_err *err)
{
	struct dfo_imds *m = calloc(1, sizeof(*m));
	*out = NULL;
	if (!m || !(m->endpoint = strdup(endpoint && *endpoint
						 ? endpoint
						 : "http://169.254.169.254"))) {
		free(m);
		return dfo_err_set(err, -ENOMEM, "imds: out of memory");
	}
	size_t l = strlen(m->endpoint);
	if (l && m->endpoint[l - 1] == '/')
		m->endpoint[l - 1] = '\0';
	m->v1_fallback = v1_fallback;
	m->timeout = timeout > 0 ? timeout : 2;
	*out = m;
	return 0;
}

static void drop_token(struct dfo_imds *m)
{
	free(m->token);
	m->token = NULL;
}

void dfo_imds_free(struct dfo_imds *m)
{
	if (!m)
		return;
	drop_token(m);
	dfo_http_session_free(m->http);
	free(m->endpoint);
	free(m);
}

const char *dfo_imds_endpoint(const struct dfo_imds *m)
{
	return m->endpoint;
}

void dfo_imds_stats(const struct dfo_imds *m, struct dfo_imds_stats *st)
{
	*st = m->st;
}

static void trim(char *s)
{
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		s[--l] = '\0';
}

static int imds_http(struct dfo_imds *m, const struct dfo_http_request *req,
		     struct dfo_http_response *resp, struct dfo_err *err)
{
	memset(resp, 0, sizeof(*resp));
	if (!m->http) {
		int rc = dfo_http_session_new(&m->http, err);
		if (rc < 0)
			return rc;
	}
	return dfo_http_session_do(m->http, req, resp, err);
}

/* 0 with m->token set, or negative with err. */
static int fetch_token(struct dfo_imds *m, struct dfo_err *err)
{
	char url[512];
	snprintf(url, sizeof(url), "%s/latest/api/token", m->endpoint);
	const char *hdrs[] = {"X-aws-ec2-metadata-token-ttl-seconds: 21600",
			      NULL};
	struct dfo_http_request req = {.method = "PUT",
				       .url = url,
				       .headers = hdrs,
				       .body = "",
				       .timeout = m->timeout,
				       .max_body = 4096};
	struct dfo_http_response resp;
	int rc = imds_http(m, &req, &resp, err);
	if (rc == 0 && resp.status != 200) {
		char text[120];
		rc = dfo_err_set(
			err, resp.status == 403 ? -EACCES : -EIO,
			"imds: PUT %s: HTTP %ld: %s", url, resp.status,
			dfo_sanitize(resp.body, resp.len, text, sizeof(text)));
	}
	if (rc == 0) {
		trim(resp.body);
		drop_token(m);
		if (!*resp.body)
			rc = dfo_err_set(err, -EIO, "imds: empty token");
		else if (!(m->token = strdup(resp.body)))
			rc = dfo_err_set(err, -ENOMEM, "imds: out of memory");
		m->token_expiry = dfo_now() + IMDS_TOKEN_TTL - 60;
		m->st.tokens++;
	}
	dfo_http_response_free(&resp);
	return rc;
}

/* One GET; *status gets the HTTP status. */
static int get_once(struct dfo_imds *m, const char *path, bool with_token,
		    struct dfo_http_response *resp, struct dfo_err *err)
{
	char url[1024], th[1024];
	snprintf(url, sizeof(url), "%s%s", m->endpoint, path);
	const char *hdrs[] = {th, NULL};
	if (with_token)
		snprintf(th, sizeof(th), "X-aws-ec2-metadata-token: %s",
			 m->token);
	struct dfo_http_request req = {.url = url,
				       .headers = with_token ? hdrs : NULL,
				       .timeout = m->timeout,
				       .max_body = 64 << 10};
	m->st.requests++;
	return imds_http(m, &req, resp, err);
}

int dfo_imds_get(struct dfo_imds *m, const char *path, char **body,
		 struct dfo_err *err)
{
	struct dfo_http_response resp = {0};
	bool with_token = true;
	int rc;
	*body = NULL;
	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = false;
		if (!m->token || dfo_now() >= m->token_expiry) {
			struct dfo_err e = {0};
			rc = fetch_token(m, &e);
			if (rc < 0 && !m->v1_fallback)
				return dfo_err_set(err, rc, "%s", e.msg);
			if (rc < 0) {
				dfo_log(DFO_LOG_INFO,
					"%s; falling back to IMDSv1", e.msg);
				with_token = false;
			}
			fresh = true;
		}
		dfo_http_response_free(&resp);
		rc = get_once(m, path, with_token, &resp, err);
		if (rc < 0)
			return rc;
		if (resp.status == 401 && with_token && !fresh) {
			/* expired or revoked early: one new token */
			drop_token(m);
			continue;
		}
		break;
	}
	switch (resp.status) {
	case 200:
		*body = resp.body;
		resp.body = NULL;
		trim(*body);
		rc = 0;
		break;
	case 404:
		rc = dfo_err_set(err, -ENOENT, "imds: %s: not found (404)",
				 path);
		break;
	case 401:
		rc = dfo_err_set(err, -EACCES,
				 "imds: %s: 401 Unauthorized (%s)", path,
				 with_token ? "token refused"
					    : "IMDSv2 required, no token");
		break;
	default: {
		char text[120];
		rc = dfo_err_set(
			err, -EIO, "imds: %s: HTTP %ld: %s", path, resp.status,
			dfo_sanitize(resp.body, resp.len, text, sizeof(text)));
	}
	}
	dfo_http_response_free(&resp);
	return rc;
}
