/*
 * The AWS SigV4 test-suite vectors through dfo_aws_request(), the code
 * path of every AWS client: each case is sent to a loopback listener
 * that captures it, with X-Amz-Date fixed, and its Authorization header
 * is compared with NAME.authz; the canonical query string this code
 * builds is compared with line 3 of NAME.creq.
 *
 * The vectors are read from $DFO_SIGV4_VECTORS, by default
 * $TOP_SRCDIR/../shared/vectors/sigv4; the test is skipped when absent.
 */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <ftw.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <dnsfailover/aws.h>

/* Cases libcurl 7.88 cannot reproduce, and why.  The test fails if one
 * of them starts to pass (then drop it from here) or another fails. */
static const struct {
	const char *name, *why;
	bool query; /* the canonical query differs too */
} known[] = {
	{"get-header-key-duplicate",
	 "libcurl lists a repeated header twice in SignedHeaders instead of "
	 "joining the values with ','",
	 false},
	{"get-header-value-multiline",
	 "an obsolete folded header cannot be sent through libcurl", false},
	{"get-header-value-order",
	 "libcurl lists a repeated header once per value in SignedHeaders "
	 "instead of joining the values with ','",
	 false},
	{"post-x-www-form-urlencoded-parameters",
	 "the vector signs the form body's parameters as a query string with "
	 "the empty payload's hash; libcurl (like AWS's SDKs today) hashes "
	 "the body as sent",
	 true},
	{NULL, NULL, false}};

static const char *known_why(const char *name, bool *query)
{
	*query = false;
	for (size_t i = 0; known[i].name; i++)
		if (strcmp(known[i].name, name) == 0) {
			*query = known[i].query;
			return known[i].why;
		}
	return NULL;
}

/* ---- capture server: one request per connection ---- */

struct capture {
	int fd;
	int port;
	char req[16384];
};

static void *capture_run(void *arg)
{
	struct capture *c = arg;
	int s = accept(c->fd, NULL, NULL);
	if (s < 0)
		return NULL;
	size_t got = 0;
	c->req[0] = '\0';
	for (;;) {
		ssize_t n = recv(s, c->req + got, sizeof(c->req) - 1 - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		c->req[got] = '\0';
		char *end = strstr(c->req, "\r\n\r\n");
		if (!end)
			continue;
		char *cl = strcasestr(c->req, "\r\nContent-Length:");
		size_t want = (size_t)(end + 4 - c->req) +
			      (cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0);
		if (got >= want)
			break;
	}
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n"
				 "Connection: close\r\n\r\n";
	if (send(s, ok, sizeof(ok) - 1, MSG_NOSIGNAL) < 0)
		c->req[0] = '\0';
	close(s);
	return NULL;
}

static int capture_open(struct capture *c)
{
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(sa);
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || bind(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(c->fd, 4) < 0 ||
	    getsockname(c->fd, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	c->port = ntohs(sa.sin_port);
	return 0;
}

/* ---- vector files ---- */

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *buf = calloc(1, 65536);
	size_t n = buf ? fread(buf, 1, 65535, f) : 0;
	fclose(f);
	(void)n;
	return buf;
}

static int hexval(int ch)
{
	return isdigit(ch) ? ch - '0' : (tolower(ch) - 'a' + 10) & 15;
}

static char *pct_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1), *o = out;
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '%' && i + 2 < len + 0 + 1 &&
		    isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			*o++ = (char)(hexval(s[i + 1]) << 4 | hexval(s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

#define MAXCASES 64
static char *cases[MAXCASES];
static size_t ncases;

static int collect(const char *path, const struct stat *st, int type,
		   struct FTW *ftw)
{
	size_t l = strlen(path);
	if (type == FTW_F && l > 4 && strcmp(path + l - 4, ".req") == 0 &&
	    ncases < MAXCASES)
		cases[ncases++] = strndup(path, l - 4);
	return 0;
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run one case; returns 1 if Authorization and the query match. */
static int run_case(struct dfo_aws *aws, const char *base, int *query_ok)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s.req", base);
	char *req = slurp(path);
	snprintf(path, sizeof(path), "%s.authz", base);
	char *authz = slurp(path);
	snprintf(path, sizeof(path), "%s.creq", base);
	char *creq = slurp(path);
	assert_non_null(req);
	assert_non_null(authz);
	assert_non_null(creq);
	authz[strcspn(authz, "\r\n")] = '\0';

	/* request line */
	char *line_end = strchr(req, '\n');
	assert_non_null(line_end);
	*line_end = '\0';
	char method[16], target[2048];
	assert_int_equal(sscanf(req, "%15s %2047s", method, target), 2);
	/* the target may hold spaces (get-space): up to " HTTP/" */
	char *http = strstr(req, " HTTP/");
	size_t tl = http ? (size_t)(http - (req + strlen(method) + 1))
			 : strlen(target);
	memcpy(target, req + strlen(method) + 1, tl);
	target[tl] = '\0';

	struct dfo_aws_query q;
	dfo_aws_query_init(&q);
	char *qs = strchr(target, '?');
	if (qs) {
		*qs++ = '\0';
		for (char *tok = strtok(qs, "&"); tok;
		     tok = strtok(NULL, "&")) {
			char *eq = strchr(tok, '=');
			char *k = pct_decode(tok, eq ? (size_t)(eq - tok)
						     : strlen(tok));
			char *v = eq ? pct_decode(eq + 1, strlen(eq + 1))
				     : strdup("");
			assert_int_equal(dfo_aws_query_add(&q, k, v), 0);
			free(k);
			free(v);
		}
	}
	char *raw_path = pct_decode(target, strlen(target));
	char *enc_path = dfo_aws_uri_encode(raw_path, true);

	/* headers, with folded lines joined; body after the blank line */
	const char *hdrs[32];
	char *owned[32];
	size_t nh = 0;
	char *date = NULL, *body = NULL;
	char *p = line_end + 1;
	while (*p) {
		char *e = strchr(p, '\n');
		if (e)
			*e = '\0';
		if (*p == '\0') { /* blank line */
			body = e ? e + 1 : NULL;
			break;
		}
		if ((*p == ' ' || *p == '\t') && nh) {
			/* continuation: append to the previous header */
			char *prev = owned[nh - 1], *joined;
			assert_true(asprintf(&joined, "%s %s", prev, p) > 0);
			free(prev);
			owned[nh - 1] = joined;
			hdrs[nh - 1] = joined;
		} else {
			char *colon = strchr(p, ':');
			assert_non_null(colon);
			*colon = '\0';
			if (strcasecmp(p, "X-Amz-Date") == 0) {
				date = colon + 1;
			} else {
				assert_true(nh < 30);
				assert_true(asprintf(&owned[nh], "%s: %s", p,
						     colon + 1) > 0);
				hdrs[nh] = owned[nh];
				nh++;
			}
		}
		if (!e)
			break;
		p = e + 1;
	}
	hdrs[nh] = NULL;

	struct capture cap = {0};
	assert_int_equal(capture_open(&cap), 0);
	pthread_t th;
	assert_int_equal(pthread_create(&th, NULL, capture_run, &cap), 0);
	char endpoint[64];
	snprintf(endpoint, sizeof(endpoint), "http://127.0.0.1:%d", cap.port);
	struct dfo_aws_call call = {
		.service = "service",
		.region = "us-east-1",
		.endpoint = endpoint,
		.method = method,
		.path = enc_path,
		.query = &q,
		.body = body && *body ? body : NULL,
		.body_len = body ? strlen(body) : 0,
		.headers = hdrs,
		.amz_date = date,
	};
	struct dfo_http_response resp;
	struct dfo_err err = {0};
	int rc = dfo_aws_request(aws, &call, &resp, &err);
	pthread_join(th, NULL);
	close(cap.fd);
	dfo_http_response_free(&resp);
	if (rc != 0)
		print_message("  %s: request failed: %s\n", base, err.msg);

	/* the Authorization header as sent */
	char got[1024] = "";
	char *a = strcasestr(cap.req, "\r\nAuthorization: ");
	if (a) {
		a += 17;
		size_t l = strcspn(a, "\r\n");
		snprintf(got, sizeof(got), "%.*s", (int)l, a);
	}
	/* the canonical query: line 3 of the .creq */
	char *enc = dfo_aws_query_encode(&q);
	char *c3 = strchr(creq, '\n');
	c3 = c3 ? strchr(c3 + 1, '\n') : NULL;
	char want_q[2048] = "";
	if (c3)
		snprintf(want_q, sizeof(want_q), "%.*s",
			 (int)strcspn(c3 + 1, "\r\n"), c3 + 1);
	*query_ok = strcmp(enc, want_q) == 0;
	if (!*query_ok)
		print_message("  %s: canonical query '%s', expected '%s'\n",
			      base, enc, want_q);
	int ok = rc == 0 && strcmp(got, authz) == 0;
	if (!ok && strcmp(got, authz) != 0)
		print_message("  got:      %s\n  expected: %s\n", got, authz);

	free(enc);
	for (size_t i = 0; i < nh; i++)
		free(owned[i]);
	dfo_aws_query_clear(&q);
	free(raw_path);
	free(enc_path);
	free(req);
	free(authz);
	free(creq);
	return ok;
}

static char vectors_dir[4096];

static void test_vectors(void **state)
{
	const char *dir = vectors_dir;
	/* No credentials from this machine's environment or files. */
	unsetenv("AWS_ACCESS_KEY_ID");
	struct dfo_aws_settings s = {
		.region = "us-east-1",
		.access_key_id = "AKIDEXAMPLE",
		.secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
		.timeout = 5,
		.max_retries = 0,
	};
	struct dfo_aws *aws;
	struct dfo_err err = {0};
	assert_int_equal(dfo_aws_new(&aws, &s, &err), 0);
	assert_int_equal(nftw(dir, collect, 8, FTW_PHYS), 0);
	qsort(cases, ncases, sizeof(*cases), str_cmp);
	assert_true(ncases > 0);
	size_t pass = 0, known_fail = 0, bad = 0, qbad = 0;
	for (size_t i = 0; i < ncases; i++) {
		const char *name = strrchr(cases[i], '/') + 1;
		bool qknown;
		const char *why = known_why(name, &qknown);
		int qok = 0;
		int ok = run_case(aws, cases[i], &qok);
		if (qok == qknown)
			qbad++;
		if (ok && !why) {
			pass++;
			print_message("ok    %s\n", name);
		} else if (!ok && why) {
			known_fail++;
			print_message("KNOWN %s: libcurl 7.88 cannot reproduce "
				      "it: %s\n",
				      name, why);
		} else if (ok) {
			bad++;
			print_message("FIXED %s now passes: drop it from the "
				      "known list\n",
				      name);
		} else {
			bad++;
			print_message("FAIL  %s\n", name);
		}
		free(cases[i]);
	}
	print_message("%zu cases: %zu signed as the vectors, %zu known "
		      "libcurl limits, %zu unexpected, %zu canonical query "
		      "mismatches\n",
		      ncases, pass, known_fail, bad, qbad);
	dfo_aws_free(aws);
	assert_int_equal(bad, 0);
	assert_int_equal(qbad, 0);
}

int main(void)
{
	const char *dir = getenv("DFO_SIGV4_VECTORS");
	if (dir && *dir)
		snprintf(vectors_dir, sizeof(vectors_dir), "%s", dir);
	else
		snprintf(vectors_dir, sizeof(vectors_dir),
			 "%s/../shared/vectors/sigv4",
			 getenv("TOP_SRCDIR") ? getenv("TOP_SRCDIR") : ".");
	struct stat st;
	if (stat(vectors_dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		printf("SKIP: no SigV4 vectors at %s (set DFO_SIGV4_VECTORS)\n",
		       vectors_dir);
		return 77;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
