/*
 * The credentials chain: config, environment, shared files, instance
 * role.  Secrets are never logged.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/internal.h"
#include "core.h"

#define REFRESH_BEFORE 300 /* renew temporary credentials this early */

static void free_secret(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

void aws_creds_clear(struct dfo_aws_creds *c)
{
	free(c->access_key_id);
	free_secret(c->secret_access_key);
	free_secret(c->session_token);
	memset(c, 0, sizeof(*c));
}

static int creds_set(struct dfo_aws_creds *c, const char *akid,
		     const char *secret, const char *token, time_t expires)
{
	memset(c, 0, sizeof(*c));
	c->access_key_id = strdup(akid);
	c->secret_access_key = strdup(secret);
	c->session_token = token && *token ? strdup(token) : NULL;
	c->expires = expires;
	if (!c->access_key_id || !c->secret_access_key ||
	    (token && *token && !c->session_token)) {
		aws_creds_clear(c);
		return -ENOMEM;
	}
	return 0;
}

static const char *profile_name(struct dfo_aws *a)
{
	if (a->profile)
		return a->profile;
	const char *p = getenv("AWS_PROFILE");
	return p && *p ? p : "default";
}

/* The path of the shared credentials or config file; malloc'd or NULL. */
static char *shared_path(bool config_file)
{
	const char *env = getenv(config_file ? "AWS_CONFIG_FILE"
					     : "AWS_SHARED_CREDENTIALS_FILE");
	if (env && *env)
		return strdup(env);
	const char *home = getenv("HOME");
	char *p;
	if (!home || asprintf(&p, "%s/.aws/%s", home,
			      config_file ? "config" : "credentials") < 0)
		return NULL;
	return p;
}

static char *strip(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		s[--l] = '\0';
	return s;
}

/* `key` of the profile in the credentials file or (config_file) the
 * config file, where it is "[profile NAME]" except for "default".
 * 0 with *value malloc'd, or 0 with NULL if absent; -ENOMEM. */
int aws_profile_get(struct dfo_aws *a, bool config_file, const char *key,
		    char **value);
int aws_profile_get(struct dfo_aws *a, bool config_file, const char *key,
		    char **value)
{
	*value = NULL;
	char *path = shared_path(config_file);
	if (!path)
		return 0;
	FILE *f = fopen(path, "r");
	free(path);
	if (!f)
		return 0;
	const char *name = profile_name(a);
	char want[256], line[4096];
	if (config_file && strcmp(name, "default") != 0)
		snprintf(want, sizeof(want), "profile %s", name);
	else
		snprintf(want, sizeof(want), "%s", name);
	bool in = false;
	int rc = 0;
	while (fgets(line, sizeof(line), f)) {
		char *s = strip(line);
		if (*s == '#' || *s == ';' || !*s)
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (e)
				*e = '\0';
			in = strcmp(strip(s + 1), want) == 0;
			continue;
		}
		char *eq = strchr(s, '=');
		if (!in || !eq)
			continue;
		*eq = '\0';
		if (strcmp(strip(s), key) == 0) {
			free(*value);
			if (!(*value = strdup(strip(eq + 1))))
				rc = -ENOMEM;
		}
	}
	explicit_bzero(line, sizeof(line));
	fclose(f);
	return rc;
}

static int from_shared(struct dfo_aws *a, struct dfo_aws_creds *c)
{
	char *k = NULL, *s = NULL, *t = NULL;
	int rc = -ENOENT;
	for (int cf = 0; cf < 2 && rc == -ENOENT; cf++) {
		aws_profile_get(a, cf, "aws_access_key_id", &k);
		aws_profile_get(a, cf, "aws_secret_access_key", &s);
		aws_profile_get(a, cf, "aws_session_token", &t);
		if (k && s) {
			rc = creds_set(c, k, s, t, 0);
			snprintf(a->creds_source, sizeof(a->creds_source),
				 "shared %s file (profile %s)",
				 cf ? "config" : "credentials",
				 profile_name(a));
		}
		free(k);
		free_secret(s);
		free_secret(t);
		k = s = t = NULL;
	}
	return rc;
}

/* The string value of "key" in a flat JSON object; malloc'd or NULL. */
static char *json_str(const char *json, const char *key)
{
	char pat[64];
	snprintf(pat, sizeof(pat), "\"%s\"", key);
	const char *p = strstr(json, pat);
	if (!p)
		return NULL;
	p += strlen(pat);
	while (isspace((unsigned char)*p))
		p++;
	if (*p++ != ':')
		return NULL;
	while (isspace((unsigned char)*p))
		p++;
	if (*p++ != '"')
		return NULL;
	const char *e = strchr(p, '"');
	return e ? strndup(p, (size_t)(e - p)) : NULL;
}

static int from_role(struct dfo_aws *a, struct dfo_aws_creds *c,
		     struct dfo_err *err)
{
	static const char base[] =
		"/latest/meta-data/iam/security-credentials/";
	struct dfo_imds *m = dfo_aws_imds(a, err);
	if (!m)
		return err ? err->code : -ENOMEM;
	char *roles = NULL, *doc = NULL, path[512];
	int rc = dfo_imds_get(m, base, &roles, err);
	if (rc < 0)
		return rc;
	roles[strcspn(roles, "\r\n")] = '\0';
	if (!*roles || strlen(roles) > 200) {
		free(roles);
		return dfo_err_set(err, -ENOENT, "imds: no instance role");
	}
	snprintf(path, sizeof(path), "%s%s", base, roles);
	rc = dfo_imds_get(m, path, &doc, err);
	if (rc < 0)
		goto out;
	char *code = json_str(doc, "Code");
	char *k = json_str(doc, "AccessKeyId");
	char *s = json_str(doc, "SecretAccessKey");
	char *t = json_str(doc, "Token");
	char *x = json_str(doc, "Expiration");
	struct tm tm = {0};
	time_t exp = 0;
	if (x && strptime(x, "%Y-%m-%dT%H:%M:%S", &tm))
		exp = timegm(&tm);
	if (code && strcmp(code, "Success") != 0)
		rc = dfo_err_set(err, -EACCES, "imds: role %s: Code %s", roles,
				 code);
	else if (!k || !s)
		rc = dfo_err_set(err, -EIO,
				 "imds: role %s: no keys in the "
				 "answer",
				 roles);
	else if ((rc = creds_set(c, k, s, t, exp)) < 0)
		dfo_err_set(err, rc, "out of memory");
	else
		snprintf(a->creds_source, sizeof(a->creds_source),
			 "instance role %s", roles);
	free(code);
	free(k);
	free_secret(s);
	free_secret(t);
	free(x);
out:
	free(roles);
	free_secret(doc);
	return rc;
}

static int resolve(struct dfo_aws *a, struct dfo_aws_creds *c,
		   struct dfo_err *err)
{
	if (a->role_arn)
		return aws_assume_role(a, c, err);
	if (a->akid) {
		snprintf(a->creds_source, sizeof(a->creds_source),
			 "aws {} config section");
		return creds_set(c, a->akid, a->secret, a->token, 0);
	}
	const char *ek = getenv("AWS_ACCESS_KEY_ID");
	const char *es = getenv("AWS_SECRET_ACCESS_KEY");
	if (ek && *ek && es && *es) {
		snprintf(a->creds_source, sizeof(a->creds_source),
			 "environment");
		return creds_set(c, ek, es, getenv("AWS_SESSION_TOKEN"), 0);
	}
	int rc = from_shared(a, c);
	if (rc != -ENOENT)
		return rc;
	struct dfo_err e = {0};
	rc = from_role(a, c, &e);
	if (rc < 0)
		return dfo_err_set(err, rc,
				   "aws: no credentials (not in aws {}, the "
				   "environment, the shared files for profile "
				   "%s, nor an instance role: %s)",
				   profile_name(a), e.msg);
	return 0;
}

int dfo_aws_credentials(struct dfo_aws *a, const struct dfo_aws_creds **out,
			struct dfo_err *err)
{
	time_t now = time(NULL);
	if (a->have_creds &&
	    (!a->creds.expires || now < a->creds.expires - REFRESH_BEFORE)) {
		*out = &a->creds;
		return 0;
	}
	struct dfo_aws_creds c;
	char old_source[sizeof(a->creds_source)];
	memcpy(old_source, a->creds_source, sizeof(old_source));
	int rc = resolve(a, &c, err);
	if (rc < 0) {
		if (a->have_creds && now < a->creds.expires) {
			dfo_log(DFO_LOG_WARNING,
				"aws: renewing credentials: "
				"%s; using the current ones until they expire",
				err ? err->msg : "failed");
			*out = &a->creds;
			return 0;
		}
		return rc;
	}
	if (!a->have_creds || strcmp(old_source, a->creds_source) != 0)
		dfo_log(DFO_LOG_INFO, "aws: credentials from %s (key id %s%s)",
			a->creds_source, c.access_key_id,
			c.session_token ? ", temporary" : "");
	else
		dfo_log(DFO_LOG_INFO, "aws: credentials renewed from %s",
			a->creds_source);
	aws_creds_clear(&a->creds);
	a->creds = c;
	a->creds.source = a->creds_source;
	a->have_creds = true;
	*out = &a->creds;
	return 0;
}
