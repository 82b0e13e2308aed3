/*
 * Fuzz target for the answer parser of ipsource "http" (its static
 * functions, reached by including the plugin's source).  The first input
 * byte picks the family (even: IPv4, odd: IPv6), the rest is the body.
 *
 * Built two ways:
 *  - with clang -fsanitize=fuzzer -DDFO_LIBFUZZER (`make fuzz` in tests/):
 *    libFuzzer drives LLVMFuzzerTestOneInput;
 *  - by `make check` as a plain program that replays every file of the
 *    corpus directory (argv[1], else $TOP_SRCDIR/tests/fuzz/corpus/
 *    ipsource_http) and fails if an invariant breaks (replay.h).
 */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipsource/http.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	int family = data[0] & 1 ? AF_INET6 : AF_INET;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	struct dfo_addr a, b;
	char text[DFO_ADDR_STRLEN], quote[HTTP_QUOTE + 1];

	int rc = http_answer_parse(body, len, family, &a);
	if (rc == 0) {
		/* An accepted answer is one address of the family asked for,
		 * and it formats and parses back to itself. */
		if (a.family != family)
			abort();
		dfo_addr_format(&a, text, sizeof(text));
		if (dfo_addr_parse_family(&b, text, family) < 0 ||
		    !dfo_addr_equal(&a, &b))
			abort();
	} else if (rc != -ENODATA && rc != -EAFNOSUPPORT && rc != -EINVAL) {
		abort();
	}
	/* The quote of an error is printable and bounded. */
	http_trim(&body, &len);
	dfo_sanitize(body, len, quote, sizeof(quote));
	for (const char *p = quote; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	if (strlen(quote) > HTTP_QUOTE)
		abort();
	return 0;
}

#define FUZZ_CORPUS "ipsource_http"
#include "replay.h"
