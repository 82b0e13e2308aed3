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
 *    ipsource_http) and fails if an invariant breaks.
 */
#include <dirent.h>
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

#ifndef DFO_LIBFUZZER
/* Replay one file; 0 or -1 if it cannot be read. */
static int replay_file(const char *path)
{
	static uint8_t buf[1 << 16];
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

int main(int argc, char **argv)
{
	char dir[4096];
	const char *top = getenv("TOP_SRCDIR");
	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/ipsource_http",
			 top ? top : ".");
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		return 1;
	}
	unsigned count = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		char path[8192];
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if (replay_file(path) < 0) {
			perror(path);
			closedir(d);
			return 1;
		}
		count++;
	}
	closedir(d);
	printf("%u inputs replayed from %s\n", count, dir);
	return count ? 0 : 1;
}
#endif
