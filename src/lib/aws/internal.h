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
	struct dfo_http_session *http; /* kept handle: connection reuse */
	struct dfo_aws *committed_prev, *committed_next; /* see below */
	bool committed;
	/* A role (dfo_aws_derive): its credentials are AssumeRole's, asked
	 * with `base`'s (the same settings without the role). */
	char *role_arn, *external_id, *session_name;
	unsigned duration;
	struct dfo_aws *base;
};

/* Free the strings of c (wiping the secrets) and zero it.  creds.c. */
void aws_creds_clear(struct dfo_aws_creds *c);

/* AssumeRole of a->role_arn with a->base's credentials, into c (source
 * set in a->creds_source).  sts.c. */
int aws_assume_role(struct dfo_aws *a, struct dfo_aws_creds *c,
		    struct dfo_err *err);

/* The client of a config's `aws {}` section (NULL: none), staged: it is
 * not the default until dfo_aws_commit().  Called by dfo_config_load(),
 * which keeps it in the config. */
int dfo_aws_from_config(cfg_t *sec, struct dfo_aws **out, struct dfo_err *err);
/* Make `aws` the default (dfo_config_load(), once the config is whole).
 * The default is the client of the config committed last among those
 * not yet released; none left: one from the environment alone. */
void dfo_aws_commit(struct dfo_aws *aws);
/* Free a config's client (dfo_config_free); if it was the default, the
 * one committed before it and still alive becomes the default again. */
void dfo_aws_release(struct dfo_aws *aws);
/* Free the environment-only default, if one was made (at exit). */
void dfo_aws_unconfigure(void);

/* Fill *code and *msg (malloc'd, may stay NULL) from an AWS error
 * document: the first <Code> (else the root element's name) and the
 * first <Message>, control characters made spaces. */
void aws_parse_error(const char *xml, size_t len, char **code, char **msg);

/* True if an InvalidChangeBatch message only says that the sets deleted
 * (or created) are not (or already) there: a lost compare-and-set. */
bool aws_batch_stale(const char *msg);

/* A Query API call (EC2, STS): the parameters `q` form-encoded as the
 * body of a POST (call's method, body and content type are set here, the
 * body freed before it returns); otherwise as dfo_aws_request(), resp
 * to be freed in every case.  client.c. */
int aws_form_post(struct dfo_aws *a, struct dfo_aws_call *call,
		  const struct dfo_aws_query *q, struct dfo_http_response *resp,
		  struct dfo_err *err);

/* Append to a dfo_sbuf (core.h) with XML escaping; 0 or -ENOMEM. */
int sbuf_add_xml(struct dfo_sbuf *b, const char *text);

/* Wall-clock seconds. */
double aws_wallclock(void);
/* Sleep for `secs` (nothing if <= 0): 0, or -EINTR as soon as the
 * agent is stopping (dfo_stopping). */
int aws_sleep(double secs);

#endif
