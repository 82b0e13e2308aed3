/* The http helper checks every curl_easy_setopt(): an option libcurl
 * refuses fails the request before anything is sent.  Above all a refused
 * CURLOPT_AWS_SIGV4 must never let the secret go as Basic auth (issue 10,
 * #11).  The helper's source is included to reach its libcurl table and
 * inject the refusal. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "http.c"

static CURLcode (*real_setopt)(CURL *h, CURLoption opt, ...);
static CURLcode (*real_perform)(CURL *h);
static CURLoption refuse;
static int userpwd_set, performed;

static CURLcode fake_setopt(CURL *h, CURLoption opt, ...)
{
	va_list ap;
	CURLcode rc;
	if (opt == refuse)
		return CURLE_UNKNOWN_OPTION;
	if (opt == CURLOPT_USERPWD)
		userpwd_set++;
	va_start(ap, opt);
	if (opt < CURLOPTTYPE_OBJECTPOINT)
		rc = real_setopt(h, opt, va_arg(ap, long));
	else if (opt < CURLOPTTYPE_OFF_T)
		rc = real_setopt(h, opt, va_arg(ap, void *));
	else
		rc = real_setopt(h, opt, va_arg(ap, curl_off_t));
	va_end(ap);
	return rc;
}

static CURLcode fake_perform(CURL *h)
{
	performed++;
	return real_perform(h);
}

static int setup(void **state)
{
	(void)state;
	pthread_once(&curl_once, curl_init_once);
	if (!lc.easy_init)
		return -1;
	if (!real_setopt) {
		real_setopt = lc.easy_setopt;
		real_perform = lc.easy_perform;
		lc.easy_setopt = fake_setopt;
		lc.easy_perform = fake_perform;
	}
	userpwd_set = performed = 0;
	refuse = (CURLoption)-1;
	return 0;
}

/* A request signed with SigV4, to a port where nothing listens. */
static int signed_request(struct dfo_http_session *s, struct dfo_err *err)
{
	struct dfo_http_request req = {
		.method = "POST",
		.url = "http://127.0.0.1:1/",
		.body = "Action=DescribeInstances",
		.body_len = 24,
		.timeout = 1,
		.aws_sigv4 = "aws:amz:us-east-1:ec2",
		.userpwd = "AKIDTEST:secret-that-must-not-leave",
	};
	struct dfo_http_response resp;
	int rc = dfo_http_session_do(s, &req, &resp, err);
	dfo_http_response_free(&resp);
	return rc;
}

static void test_sigv4_refused(void **state)
{
	struct dfo_err err = {0};
	refuse = CURLOPT_AWS_SIGV4;
	assert_int_equal(signed_request(NULL, &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "cannot sign AWS requests"));
	assert_non_null(strstr(err.msg, "request not sent"));
	assert_null(strstr(err.msg, "secret-that"));
	assert_int_equal(userpwd_set, 0); /* never handed to libcurl */
	assert_int_equal(performed, 0);	  /* nothing sent */
	/* The same on a kept handle, which then works again. */
	struct dfo_http_session *s;
	assert_int_equal(dfo_http_session_new(&s, &err), 0);
	assert_int_equal(signed_request(s, &err), -ENOTSUP);
	assert_int_equal(performed, 0);
	refuse = (CURLoption)-1;
	assert_int_equal(signed_request(s, &err), -ECONNREFUSED);
	assert_int_equal(userpwd_set, 1);
	assert_int_equal(performed, 1);
	dfo_http_session_free(s);
}

static void test_other_option_refused(void **state)
{
	struct dfo_err err = {0};
	refuse = CURLOPT_PROTOCOLS_STR; /* as a libcurl older than 7.85 does */
	assert_int_equal(signed_request(NULL, &err), -ENOTSUP);
	assert_non_null(
		strstr(err.msg, "libcurl refused CURLOPT_PROTOCOLS_STR"));
	assert_int_equal(userpwd_set, 0);
	assert_int_equal(performed, 0);
	refuse = CURLOPT_POSTFIELDSIZE_LARGE;
	assert_int_equal(signed_request(NULL, &err), -ENOTSUP);
	assert_int_equal(performed, 0);
}

static void test_nothing_refused(void **state)
{
	struct dfo_err err = {0};
	assert_int_equal(signed_request(NULL, &err), -ECONNREFUSED);
	assert_int_equal(userpwd_set, 1);
	assert_int_equal(performed, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_sigv4_refused, setup),
		cmocka_unit_test_setup(test_other_option_refused, setup),
		cmocka_unit_test_setup(test_nothing_refused, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
