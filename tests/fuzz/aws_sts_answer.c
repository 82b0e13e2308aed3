/*
 * Fuzz target for the reading of an STS AssumeRole answer
 * (src/lib/aws/sts.c, reached by including its source): the expat walk
 * that keeps the <Credentials> of the answer, and the reading of their
 * expiry.  A parse that succeeds has a key id, a secret and a token, each
 * NUL-terminated and within the answer's length; an error message never
 * holds the secret.
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/sts.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	struct answer a = {0};
	struct dfo_err err;
	dfo_err_clear(&err);
	int rc = parse_answer((const char *)data, size, &a, &err);
	if (rc == 0) {
		for (int i = 0; i < F_N; i++)
			if (a.v[i].s && (strlen(a.v[i].s) != a.v[i].len ||
					 a.v[i].len > size))
				abort();
		if (!a.v[F_AKID].len || !a.v[F_SECRET].len || !a.v[F_TOKEN].len)
			abort();
		(void)iso_time(a.v[F_EXPIRES].s);
		if (strstr(err.msg, a.v[F_SECRET].s))
			abort();
	} else if (rc != -EBADMSG && rc != -ENOMEM) {
		abort();
	}
	answer_clear(&a);
	return 0;
}

#define FUZZ_CORPUS "aws_sts"
#include "replay.h"
