/*
 * Private to src/lib/aws/ and to the core: the client's state and the
 * helpers its files share.
 */
#ifndef DFO_AWS_INTERNAL_H
#define DFO_AWS_INTERNAL_H

#include <confuse.h>

#include <dnsfailover/aws.h>

#include "core.h"

struct dfo_aws {
	/* settings, owned copies */
	char *region, *akid, *secret, *token, *profile;
	char *ec2_endpoint, *route53_endpoint, *sts_endpoint, *imds_endpoint;
	double timeout, retry_time;
	int max_retries;
	/* resolved */
	char *region_found;
	struct dfo_aws_creds creds;
	char creds_source[128];
	bool have_creds;
	struct dfo_imds *imds;
};

/* Hand the parsed `aws {}` section (NULL: none) to the module: the
 * default client is rebuilt from it.  Called by dfo_config_load(). */
int dfo_aws_configure(cfg_t *sec, struct dfo_err *err);
/* Drop the default client (dfo_config_free). */
void dfo_aws_unconfigure(void);

/* Fill *code and *msg (malloc'd, may stay NULL) from an AWS error
 * document: the first <Code> (else the root element's name) and the
 * first <Message>, control characters made spaces. */
void aws_parse_error(const char *xml, size_t len, char **code, char **msg);

/* Append to a dfo_sbuf (core.h) with XML escaping; 0 or -ENOMEM. */
int sbuf_add_xml(struct dfo_sbuf *b, const char *text);

/* Wall-clock seconds. */
double aws_wallclock(void);
/* Sleep for `secs` (capped to >= 0). */
void aws_sleep(double secs);

#endif
