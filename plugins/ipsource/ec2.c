/*
 * ipsource "ec2": this instance's address from instance metadata (IMDSv2,
 * through the core's client).  `address` picks public-ipv4 (default),
 * local-ipv4, or ipv6 (the first IPv6 of the primary interface); an IPv6
 * pool always gets the IPv6 one.
 *
 * By default the core AWS client's metadata client is used (the
 * `aws { imds_endpoint }` setting, one session token shared with the
 * credentials and region lookups).  A client of its own is made only when
 * this section asks for something else: `endpoint`, `imdsv1_fallback` or
 * a `timeout`; its endpoint is then `endpoint`, else the core's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dnsfailover/dnsfailover.h>

struct ec2_src {
	struct dfo_imds *own; /* a client of its own, made on first use */
	char *endpoint;	      /* NULL: the core client's */
	bool v1_fallback;
	double timeout;	   /* <= 0: not set */
	const char *which; /* "public-ipv4", "local-ipv4" or "ipv6" */
};

static cfg_opt_t ec2_opts[] = {
	/* Metadata base URL; default: aws { imds_endpoint }, else
	 * http://169.254.169.254.  IPv6: "http://[fd00:ec2::254]". */
	CFG_STR("endpoint", NULL, CFGF_NONE),
	/* public-ipv4, local-ipv4 or ipv6. */
	CFG_STR("address", "public-ipv4", CFGF_NONE),
	/* Try IMDSv1 (no token) when no token can be had. */
	CFG_BOOL("imdsv1_fallback", cfg_false, CFGF_NONE),
	/* Seconds per metadata request (default 2, or the aws timeout if
	 * lower). */
	CFG_FLOAT("timeout", 0, CFGF_NONE), CFG_END()};

static const char *const kinds[] = {"public-ipv4", "local-ipv4", "ipv6", NULL};

static int ec2_create(const char *instance, cfg_t *sec, void **state,
		      struct dfo_err *err)
{
	const char *addr = cfg_getstr(sec, "address");
	const char *which = NULL;
	for (size_t i = 0; kinds[i]; i++)
		if (strcmp(addr, kinds[i]) == 0)
			which = kinds[i];
	if (!which)
		return dfo_err_set(err, -EINVAL,
				   "address must be public-ipv4, local-ipv4 or "
				   "ipv6, not '%s'",
				   addr);
	struct ec2_src *s = calloc(1, sizeof(*s));
	if (!s)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	s->which = which;
	s->v1_fallback = cfg_getbool(sec, "imdsv1_fallback");
	s->timeout = cfg_getfloat(sec, "timeout");
	const char *ep = cfg_getstr(sec, "endpoint");
	if (ep && !(s->endpoint = strdup(ep))) {
		free(s);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	*state = s;
	return 0;
}

/* The metadata client to use: the core's, or one of this section's own
 * (made once, at first use: create() opens nothing). */
static struct dfo_imds *ec2_imds(struct ec2_src *s, struct dfo_err *err)
{
	if (s->own)
		return s->own;
	struct dfo_imds *core = NULL;
	if (!s->endpoint) {
		struct dfo_aws *aws = dfo_aws_default(err);
		if (!aws || !(core = dfo_aws_imds(aws, err)))
			return NULL;
		if (!s->v1_fallback && s->timeout <= 0)
			return core;
	}
	if (dfo_imds_new(&s->own,
			 s->endpoint ? s->endpoint : dfo_imds_endpoint(core),
			 s->v1_fallback, s->timeout, err) < 0)
		return NULL;
	return s->own;
}

static void ec2_destroy(void *state)
{
	struct ec2_src *s = state;
	if (s) {
		dfo_imds_free(s->own);
		free(s->endpoint);
	}
	free(s);
}

/* The first IPv6 address of the primary interface. */
static int first_ipv6(struct ec2_src *s, char **out, struct dfo_err *err)
{
	char *mac = NULL, path[256];
	struct dfo_imds *m = ec2_imds(s, err);
	if (!m)
		return err ? err->code : -ENOMEM;
	int rc = dfo_imds_get(m, "/latest/meta-data/mac", &mac, err);
	if (rc < 0)
		return rc;
	snprintf(path, sizeof(path),
		 "/latest/meta-data/network/interfaces/macs/%s/ipv6s", mac);
	free(mac);
	rc = dfo_imds_get(m, path, out, err);
	if (rc == -ENOENT)
		return dfo_err_set(err, rc,
				   "instance metadata: the primary "
				   "interface has no IPv6 address (%s: 404)",
				   path);
	if (rc == 0)
		(*out)[strcspn(*out, "\r\n")] = '\0';
	return rc;
}

static int ec2_own_addr(void *state, int family, struct dfo_addr *out,
			struct dfo_err *err)
{
	struct ec2_src *s = state;
	const char *which = family == AF_INET6 ? "ipv6" : s->which;
	if (family == AF_INET && strcmp(which, "ipv6") == 0)
		return dfo_err_set(err, -EAFNOSUPPORT,
				   "address = ipv6 gives no IPv4 address");
	char *text = NULL, path[64];
	int rc;
	if (strcmp(which, "ipv6") == 0) {
		rc = first_ipv6(s, &text, err);
	} else {
		snprintf(path, sizeof(path), "/latest/meta-data/%s", which);
		struct dfo_imds *m = ec2_imds(s, err);
		if (!m)
			return err ? err->code : -ENOMEM;
		rc = dfo_imds_get(m, path, &text, err);
		if (rc == -ENOENT && strcmp(which, "public-ipv4") == 0)
			return dfo_err_set(
				err, rc,
				"instance metadata: this "
				"instance has no public IPv4 address "
				"(%s: 404); use address = "
				"\"local-ipv4\"?",
				path);
	}
	if (rc < 0)
		return rc;
	if (dfo_addr_parse_family(out, text, family) < 0) {
		char clean[64];
		dfo_sanitize(text, strlen(text), clean, sizeof(clean));
		free(text);
		return dfo_err_set(err, -EINVAL,
				   "instance metadata: %s is not "
				   "an %s address: '%s'",
				   which, dfo_family_name(family), clean);
	}
	free(text);
	return 0;
}

static const struct dfo_ipsource_provider ec2_provider = {
	.size = sizeof(struct dfo_ipsource_provider),
	.name = "ec2",
	.description = "this EC2 instance's address from instance metadata "
		       "(IMDSv2)",
	.options = ec2_opts,
	.create = ec2_create,
	.destroy = ec2_destroy,
	.own_addr = ec2_own_addr,
};

static int ec2_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_ipsource(reg, &ec2_provider);
}

DFO_MODULE("ipsource_ec2", ec2_init);
