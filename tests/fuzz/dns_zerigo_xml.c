/*
 * Fuzz target for the answer parsers of dns "zerigo" (plugins/dns/
 * zerigo.c, reached by including its source): zg_parse() of a hosts, a
 * zone or an errors document, and zg_http_error(), which turns a non-2xx
 * answer into the message the core logs.  The first input byte picks the
 * document (modulo 3) and the HTTP status of the error path (its value
 * divided by 3, modulo 6: 401, 403, 404, 422, 500, 503); the rest is the
 * answer's body.
 *
 * Built for libFuzzer by `make fuzz`, or as a corpus replayer (replay.h)
 * by `make check`.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns/zerigo.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_str(const char *s, size_t cap)
{
	if (strnlen(s, cap) >= cap)
		abort();
}

/* A message for the log: printable, NUL-terminated, never empty. */
static void check_msg(const struct dfo_err *err)
{
	size_t n = strnlen(err->msg, sizeof(err->msg));
	if (n == 0 || n >= sizeof(err->msg))
		abort();
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)err->msg[i] < 0x20 ||
		    (unsigned char)err->msg[i] == 0x7f)
			abort();
}

static void parse(enum zg_doc doc, const char *xml, size_t len)
{
	struct dfo_err err;
	dfo_err_clear(&err);
	struct zg_parse p;
	int rc = zg_parse(doc, xml, len, &p, &err);
	if (rc != 0 && rc != -EBADMSG && rc != -ENOMEM)
		abort();
	if (rc < 0 && !err.msg[0])
		abort();
	if (doc != ZG_DOC_HOSTS && p.n)
		abort();
	for (size_t i = 0; i < p.n; i++) {
		const struct zg_host *h = &p.hosts[i];
		check_str(h->id, sizeof(h->id));
		check_str(h->fqdn, sizeof(h->fqdn));
		check_str(h->type, sizeof(h->type));
		check_str(h->data, sizeof(h->data));
		if (h->id[0] && !zg_digits(h->id))
			abort();
		if (h->ttl < -1 || h->ttl > INT32_MAX)
			abort();
	}
	check_str(p.zone_id, sizeof(p.zone_id));
	check_str(p.domain, sizeof(p.domain));
	check_str(p.errors, sizeof(p.errors));
	if (p.zone_id[0] && !zg_digits(p.zone_id))
		abort();
	if (p.default_ttl < -1 || p.default_ttl > INT32_MAX)
		abort();
	zg_parse_free(&p);
}

static void http_error(long status, const char *body, size_t len)
{
	static const char *const methods[] = {"GET", "POST", "DELETE"};
	struct dfo_http_response resp = {
		.status = status, .body = (char *)body, .len = len};
	struct dfo_err err;
	dfo_err_clear(&err);
	int rc = zg_http_error(methods[len % 3],
			       "http://127.0.0.1:1/api/1.1/zones/1.xml", &resp,
			       &err);
	if (rc >= 0 || rc != err.code)
		abort();
	check_msg(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = {401, 403, 404, 422, 500, 503};
	if (size == 0)
		return 0;
	const char *xml = (const char *)data + 1;
	size_t len = size - 1;
	parse((enum zg_doc)(data[0] % 3), xml, len);
	/* The error path reads a NUL-terminated body, as dfo_http_do()
	 * leaves it. */
	char *body = malloc(len + 1);
	if (!body)
		abort();
	memcpy(body, xml, len);
	body[len] = '\0';
	http_error(statuses[(data[0] / 3) % 6], body, len);
	free(body);
	return 0;
}

#define FUZZ_CORPUS "dns_zerigo"
#include "replay.h"
