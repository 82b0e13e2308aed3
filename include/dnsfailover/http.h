/*
 * The core's HTTP helper (libcurl).  One call, one request, always with
 * a total timeout.  Plugins may also use libcurl directly when they need
 * options this does not offer (the http check does).
 */
#ifndef DNSFAILOVER_HTTP_H
#define DNSFAILOVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <dnsfailover/plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Receives the body as it arrives; return 0 to go on, non-zero to abort
 * the transfer (the call then fails with -ECANCELED). */
typedef int (*dfo_http_sink)(const char *data, size_t len, void *ctx);

struct dfo_http_request {
	const char *method; /* NULL: GET, or POST when body is set */
	const char *url;
	const char *const
		*headers; /* "Name: value", NULL-terminated; may be NULL */
	const char *body; /* may be NULL */
	size_t body_len;
	double timeout; /* total seconds; <= 0 means 10 */
	int family;	/* AF_INET/AF_INET6 to force, AF_UNSPEC (0) any */
	const char *aws_sigv4; /* CURLOPT_AWS_SIGV4 value, e.g.
				  "aws:amz:us-east-1:ec2", or NULL */
	const char *userpwd;   /* "user:secret" for SigV4 or basic auth */
	size_t max_body;       /* keep at most this many bytes; 0: 1 MiB */
	dfo_http_sink sink;    /* if set, the body goes here, not to resp */
	void *sink_ctx;
	bool sink_only_2xx; /* the sink gets only a 2xx answer's body; any
			       other body goes to resp (error documents) */
};

struct dfo_http_response {
	long status; /* HTTP status; 0 if none */
	char *body;  /* NUL-terminated (unless a sink was used); free with
			dfo_http_response_free */
	size_t len;
	char *headers; /* raw response header block, NUL-terminated */
	size_t headers_len;
};

/* Perform the request.  Every libcurl option is checked: one the library
 * refuses fails the request before anything is sent (-ENOTSUP), so a
 * request for SigV4 can never go out with its secret as Basic auth.
 * 0 when a response arrived, whatever its status;
 * negative (-ETIMEDOUT, -ECONNREFUSED, -EIO, ...) with err filled when no
 * response did.  resp is always safe to free afterwards. */
int dfo_http_do(const struct dfo_http_request *req,
		struct dfo_http_response *resp, struct dfo_err *err);

/* A kept libcurl handle: requests made through it reuse its open
 * connections (keep-alive, TLS sessions), e.g. across the pages of one
 * call and between calls.  Not thread-safe: one per thread. */
struct dfo_http_session;
int dfo_http_session_new(struct dfo_http_session **out, struct dfo_err *err);
void dfo_http_session_free(struct dfo_http_session *s);
/* As dfo_http_do(), through the session's handle (NULL: a new handle for
 * this request only). */
int dfo_http_session_do(struct dfo_http_session *s,
			const struct dfo_http_request *req,
			struct dfo_http_response *resp, struct dfo_err *err);
/* Connections opened and requests made so far (NULL pointers skipped). */
void dfo_http_session_stats(const struct dfo_http_session *s,
			    unsigned long *connects, unsigned long *requests);

/* Value of a response header (case-insensitive name), copied into buf;
 * returns buf or NULL if absent. */
char *dfo_http_header(const struct dfo_http_response *resp, const char *name,
		      char *buf, size_t len);

void dfo_http_response_free(struct dfo_http_response *resp);

/* Copy `url` into buf (at most len bytes) for a message, with any
 * credentials in it ("scheme://user:secret@host") replaced by "***";
 * returns buf. */
char *dfo_url_redact(const char *url, char *buf, size_t len);

/* Copy at most `max` bytes of data into buf as printable text for an
 * error message (control bytes become '.'); returns buf. */
char *dfo_sanitize(const char *data, size_t len, char *buf, size_t max);

#ifdef __cplusplus
}
#endif
#endif
