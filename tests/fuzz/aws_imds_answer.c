/*
 * Fuzz target for what reads instance metadata answers
 * (src/lib/aws/imds.c and creds.c, reached by including their sources):
 * the session token (trimmed), the role list and the role's credentials
 * document, a flat JSON object read by json_str().  The first input byte
 * picks the answer (modulo 3: token, role list, credentials), the rest
 * is its body.  The role list and the credentials are read the way
 * from_role() reads them; what it does besides (requests) is left out.
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/imds.c"
#include "aws/creds.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* As fetch_token() reads the answer of PUT /latest/api/token. */
static void token(char *body)
{
	trim(body);
	size_t l = strlen(body);
	if (l && isspace((unsigned char)body[l - 1]))
		abort();
}

/* As from_role() reads the role list. */
static void roles(char *body)
{
	trim(body); /* dfo_imds_get() */
	body[strcspn(body, "\r\n")] = '\0';
	if (strchr(body, '\n') || strchr(body, '\r'))
		abort();
}

/* As from_role() reads the credentials. */
static void credentials(char *doc)
{
	static const char *const keys[] = {
		"Code",	 "AccessKeyId", "SecretAccessKey",
		"Token", "Expiration",	"LastUpdated",
		"Type"};
	char *v[sizeof(keys) / sizeof(keys[0])];
	trim(doc); /* dfo_imds_get() */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		v[i] = json_str(doc, keys[i]);
		/* a value is a part of the document, without quotes */
		if (v[i] && (strchr(v[i], '"') || strlen(v[i]) > strlen(doc)))
			abort();
	}
	struct tm tm = {0};
	time_t exp = 0;
	if (v[4] && strptime(v[4], "%Y-%m-%dT%H:%M:%S", &tm))
		exp = timegm(&tm);
	struct dfo_aws_creds c = {0};
	if (v[1] && v[2] && creds_set(&c, v[1], v[2], v[3], exp) == 0) {
		if (!c.access_key_id || !c.secret_access_key ||
		    (c.session_token && !*c.session_token))
			abort();
		aws_creds_clear(&c);
	}
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		free_secret(v[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	/* An answer is NUL-terminated (dfo_http_do); a NUL inside ends it
	 * for these string functions, as it does in the daemon. */
	char *body = malloc(size);
	if (!body)
		return 0;
	memcpy(body, data + 1, size - 1);
	body[size - 1] = '\0';
	switch (data[0] % 3) {
	case 0:
		token(body);
		break;
	case 1:
		roles(body);
		break;
	default:
		credentials(body);
		break;
	}
	free(body);
	return 0;
}

#define FUZZ_CORPUS "aws_imds"
#include "replay.h"
