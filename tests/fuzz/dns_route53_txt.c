/*
 * Fuzz target for the TXT value reader of dns "route53" (plugins/dns/
 * route53.c, reached by including its source): txt_unquote() of a value
 * as ListResourceRecordSets returns it, the state text of a quoted
 * character-string or -1.  Whatever it accepts must be a valid state
 * text that txt_quote() writes back to a value it reads again as the
 * same text.  The input is the value (a NUL ends it, as in the XML the
 * client parsed).
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/route53.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *v = malloc(size + 1);
	if (!v)
		return 0;
	memcpy(v, data, size);
	v[size] = '\0';
	char text[DFO_TXT_MAX + 1], again[DFO_TXT_MAX + 1];
	if (txt_unquote(v, text) == 0) {
		if (!dfo_txt_valid(text))
			abort();
		char *q = txt_quote(text);
		if (!q)
			abort();
		if (txt_unquote(q, again) != 0 || strcmp(text, again) != 0)
			abort();
		free(q);
	}
	free(v);
	return 0;
}

#define FUZZ_CORPUS "dns_route53_txt"
#include "replay.h"
