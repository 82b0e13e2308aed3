/*
 * STS AssumeRole (API 2011-06-15): temporary credentials of another
 * account's (or this account's) IAM role, for dfo_aws_derive().  The
 * request is a signed POST of the Query API, made with the base client's
 * credentials (and its retries); the answer's credentials are parsed with
 * expat and never logged (the key id is, as for every source).
 */
#include "config.h"

#include <errno.h>
#include <expat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/internal.h"
#include "core.h"

#define STS_VERSION "2011-06-15"

/* The elements of <Credentials> kept, by index. */
enum { F_AKID, F_SECRET, F_TOKEN, F_EXPIRES, F_N };
static const char *const fields[F_N] = {"AccessKeyId", "SecretAccessKey",
					"SessionToken", "Expiration"};

struct answer {
	int depth, cred_depth; /* inside <Credentials> at cred_depth */
	int field;	       /* the element being read, or -1 */
	struct dfo_sbuf v[F_N];
};

static void ans_start(void *ud, const char *name, const char **attrs)
{
	struct answer *a = ud;
	(void)attrs;
	a->depth++;
	a->field = -1;
	if (strcmp(name, "Credentials") == 0 && !a->cred_depth)
		a->cred_depth = a->depth;
	else if (a->cred_depth && a->depth == a->cred_depth + 1)
		for (int i = 0; i < F_N; i++)
			if (strcmp(name, fields[i]) == 0)
				a->field = i;
}

static void ans_end(void *ud, const char *name)
{
	struct answer *a = ud;
	(void)name;
	if (a->depth == a->cred_depth)
		a->cred_depth = -1; /* one <Credentials> only */
	a->depth--;
	a->field = -1;
}

static void ans_text(void *ud, const char *s, int len)
{
	struct answer *a = ud;
	if (a->field >= 0 && a->v[a->field].len < 4096)
		dfo_sbuf_add(&a->v[a->field], s, (size_t)len);
}

static void answer_clear(struct answer *a)
{
	for (int i = 0; i < F_N; i++) {
		if (a->v[i].s) {
			explicit_bzero(a->v[i].s, a->v[i].len);
			free(a->v[i].s);
		}
	}
}

/* "2026-12-03T23:45:00Z" (or with fractions of a second) to time_t;
 * 0 if unreadable. */
static time_t iso_time(const char *s)
{
	struct tm tm = {0};
	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return 0;
	return timegm(&tm);
}

static int parse_answer(const char *xml, size_t len, struct answer *a,
			struct dfo_err *err)
{
	XML_Parser p = XML_ParserCreate(NULL);
	if (!p)
		return dfo_err_set(err, -ENOMEM, "sts: out of memory");
	XML_SetUserData(p, a);
	XML_SetElementHandler(p, ans_start, ans_end);
	XML_SetCharacterDataHandler(p, ans_text);
	a->field = -1;
	int ok = XML_Parse(p, xml, (int)len, 1) != XML_STATUS_ERROR;
	char why[128];
	snprintf(why, sizeof(why), "line %lu: %s", XML_GetCurrentLineNumber(p),
		 XML_ErrorString(XML_GetErrorCode(p)));
	XML_ParserFree(p);
	if (!ok)
		return dfo_err_set(err, -EBADMSG,
				   "sts AssumeRole: malformed "
				   "answer: %s",
				   why);
	if (!a->v[F_AKID].len || !a->v[F_SECRET].len || !a->v[F_TOKEN].len)
		return dfo_err_set(err, -EBADMSG,
				   "sts AssumeRole: no "
				   "credentials in the answer");
	return 0;
}

/* The parameters of the request into q (initialised here; cleared by
 * the caller in every case): 0 or -ENOMEM. */
static int request_query(const struct dfo_aws *a, struct dfo_aws_query *q)
{
	char dur[16];
	snprintf(dur, sizeof(dur), "%u", a->duration ? a->duration : 3600);
	dfo_aws_query_init(q);
	if (dfo_aws_query_add(q, "Action", "AssumeRole") < 0 ||
	    dfo_aws_query_add(q, "Version", STS_VERSION) < 0 ||
	    dfo_aws_query_add(q, "RoleArn", a->role_arn) < 0 ||
	    dfo_aws_query_add(q, "RoleSessionName",
			      a->session_name ? a->session_name
					      : "dnsfailover") < 0 ||
	    dfo_aws_query_add(q, "DurationSeconds", dur) < 0 ||
	    (a->external_id &&
	     dfo_aws_query_add(q, "ExternalId", a->external_id) < 0))
		return -ENOMEM;
	return 0;
}

int aws_assume_role(struct dfo_aws *a, struct dfo_aws_creds *c,
		    struct dfo_err *err)
{
	const char *region = dfo_aws_region(a->base, err);
	if (!region)
		return err ? err->code : -ENOENT;
	char url[256];
	const char *endpoint = a->sts_endpoint;
	if (!endpoint) {
		snprintf(url, sizeof(url), "https://sts.%s.amazonaws.com",
			 region);
		endpoint = url;
	}
	struct dfo_aws_query q;
	if (request_query(a, &q) < 0) {
		dfo_aws_query_clear(&q);
		return dfo_err_set(err, -ENOMEM, "sts: out of memory");
	}
	struct dfo_aws_call call = {
		.service = "sts",
		.region = region,
		.endpoint = endpoint,
	};
	struct dfo_http_response resp;
	int rc = aws_form_post(a->base, &call, &q, &resp, err);
	dfo_aws_query_clear(&q);
	struct answer ans = {0};
	if (rc == 0)
		rc = parse_answer(resp.body ? resp.body : "", resp.len, &ans,
				  err);
	if (resp.body)
		explicit_bzero(resp.body, resp.len);
	dfo_http_response_free(&resp);
	if (rc < 0) {
		if (err && rc != -ENOMEM) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err->msg);
			dfo_err_set(err, rc, "AssumeRole %s: %s", a->role_arn,
				    why);
		}
		answer_clear(&ans);
		return rc;
	}
	memset(c, 0, sizeof(*c));
	c->access_key_id = strdup(ans.v[F_AKID].s);
	c->secret_access_key = strdup(ans.v[F_SECRET].s);
	c->session_token = strdup(ans.v[F_TOKEN].s);
	c->expires = iso_time(ans.v[F_EXPIRES].s);
	if (!c->expires) /* unreadable: as short as AWS allows */
		c->expires = time(NULL) + 900;
	answer_clear(&ans);
	if (!c->access_key_id || !c->secret_access_key || !c->session_token) {
		aws_creds_clear(c);
		return dfo_err_set(err, -ENOMEM, "sts: out of memory");
	}
	snprintf(a->creds_source, sizeof(a->creds_source), "role %s",
		 a->role_arn);
	return 0;
}
