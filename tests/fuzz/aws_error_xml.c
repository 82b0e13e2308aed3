/*
 * Fuzz target for the AWS error document parser (aws_parse_error() of
 * src/lib/aws/client.c, reached by including its source) and for the
 * error it builds from a non-2xx answer (answer_error()).  The first
 * input byte picks the HTTP status, the rest is the answer's body.
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {400, 401, 403, 404, 409,
					429, 500, 503, 301, 0};
	if (size == 0)
		return 0;
	size_t len = size - 1;
	/* A response body is NUL-terminated (dfo_http_do). */
	char *body = malloc(len + 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, len);
	body[len] = '\0';

	char *code, *msg;
	aws_parse_error(body, len, &code, &msg);
	free(code);
	free(msg);

	struct dfo_aws_call call = {.service = "route53", .method = "POST"};
	struct dfo_http_response resp = {
		.status = statuses[data[0] %
				   (sizeof(statuses) / sizeof(statuses[0]))],
		.body = body,
		.len = len,
	};
	struct dfo_err err = {0};
	bool retry;
	int rc = answer_error(&call, &resp, &retry, &err);
	/* -EINVAL: an InvalidChangeBatch that is not a lost race. */
	if (rc != -EIO && rc != -EAGAIN && rc != -EACCES && rc != -ENOENT &&
	    rc != -ESTALE && rc != -EINVAL)
		abort();
	if (err.code != rc || strncmp(err.msg, "route53 POST: ", 14) != 0)
		abort();
	/* The message quotes the answer: no control characters (UTF-8
	 * may pass), which would reach the log as they are. */
	if (strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
		abort();
	for (const char *p = err.msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	free(body);
	return 0;
}

#define FUZZ_CORPUS "aws_error"
#include "replay.h"
