/* Compare-and-set for dns providers (src/lib/cas.c): dfo_cas_retry()'s
 * tries, dfo_dns_cas_change()'s rules around a provider's read and write
 * (a scripted service here: route53 and rfc2136 run them against real
 * ones in their integration tests). */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "core.h"

/* A service: its records; `stale` writes answer DFO_ESTALE first. */
struct svc {
	struct dfo_rrset set;
	int stale;
	int reads, writes;
	struct dfo_rrset last_old; /* what the last write was against */
};

static int svc_read(void *ctx, struct dfo_rrset *out, struct dfo_err *err)
{
	(void)err;
	struct svc *s = ctx;
	s->reads++;
	return dfo_rrset_copy(out, &s->set);
}

static int svc_write(void *ctx, const struct dfo_rrset *old,
		     struct dfo_err *err)
{
	struct svc *s = ctx;
	s->writes++;
	dfo_rrset_clear(&s->last_old);
	dfo_rrset_init(&s->last_old, old->family);
	assert_int_equal(dfo_rrset_copy(&s->last_old, old), 0);
	if (s->stale > 0) {
		s->stale--;
		return dfo_err_set(err, DFO_ESTALE, "changed");
	}
	return 0;
}

static void addr(struct dfo_addr *a, const char *text)
{
	assert_int_equal(dfo_addr_parse(a, text), 0);
}

static void svc_init(struct svc *s, int n, ...)
{
	memset(s, 0, sizeof(*s));
	dfo_rrset_init(&s->set, AF_INET);
	dfo_rrset_init(&s->last_old, AF_INET);
	va_list ap;
	va_start(ap, n);
	for (int i = 0; i < n; i++) {
		struct dfo_addr a;
		addr(&a, va_arg(ap, const char *));
		assert_int_equal(dfo_rrset_add(&s->set, &a), 0);
	}
	va_end(ap);
	s->set.ttl = 60;
}

static void svc_free(struct svc *s)
{
	dfo_rrset_clear(&s->set);
	dfo_rrset_clear(&s->last_old);
}

static int change(struct svc *s, bool add, const char *a_text,
		  const struct dfo_rrset *expected, struct dfo_err *err)
{
	struct dfo_dns_cas cas = {svc_read, svc_write, s};
	struct dfo_addr a;
	addr(&a, a_text);
	dfo_err_clear(err);
	return dfo_dns_cas_change(&cas, "www.example.test", add, &a, expected,
				  err);
}

/* Unconditional: read, write against what was read, again while stale,
 * DFO_CAS_TRIES times at most. */
static void unconditional_retries(void **unused)
{
	(void)unused;
	struct svc s;
	struct dfo_err e;
	svc_init(&s, 2, "192.0.2.1", "192.0.2.2");
	s.stale = 1;
	assert_int_equal(change(&s, true, "192.0.2.3", NULL, &e), 0);
	assert_int_equal(s.reads, 2);
	assert_int_equal(s.writes, 2);
	assert_true(dfo_rrset_same(&s.last_old, &s.set));
	assert_int_equal(s.last_old.ttl, 60);
	svc_free(&s);

	svc_init(&s, 2, "192.0.2.1", "192.0.2.2");
	s.stale = 100;
	assert_int_equal(change(&s, false, "192.0.2.1", NULL, &e), DFO_ESTALE);
	assert_int_equal(s.writes, DFO_CAS_TRIES);
	assert_int_equal(s.reads, DFO_CAS_TRIES);
	svc_free(&s);
}

/* Against the caller's set: no read, one write, DFO_ESTALE told. */
static void conditional_once(void **unused)
{
	(void)unused;
	struct svc s;
	struct dfo_err e;
	svc_init(&s, 1, "192.0.2.1");
	struct dfo_rrset exp;
	dfo_rrset_init(&exp, AF_INET);
	struct dfo_addr a;
	addr(&a, "192.0.2.9");
	assert_int_equal(dfo_rrset_add(&exp, &a), 0);
	s.stale = 1;
	assert_int_equal(change(&s, true, "192.0.2.3", &exp, &e), DFO_ESTALE);
	assert_int_equal(s.reads, 0);
	assert_int_equal(s.writes, 1);
	assert_true(dfo_rrset_same(&s.last_old, &exp));
	dfo_rrset_clear(&exp);
	svc_free(&s);
}

/* Already so: nothing written. */
static void already_so(void **unused)
{
	(void)unused;
	struct svc s;
	struct dfo_err e;
	svc_init(&s, 2, "192.0.2.1", "192.0.2.2");
	assert_int_equal(change(&s, true, "192.0.2.2", NULL, &e), 0);
	assert_int_equal(change(&s, false, "192.0.2.7", NULL, &e), 0);
	assert_int_equal(s.writes, 0);
	assert_int_equal(s.reads, 2);
	svc_free(&s);
}

/* Never the last record, read or expected: DFO_ELAST, nothing written. */
static void never_the_last(void **unused)
{
	(void)unused;
	struct svc s;
	struct dfo_err e;
	svc_init(&s, 1, "192.0.2.1");
	assert_int_equal(change(&s, false, "192.0.2.1", NULL, &e), DFO_ELAST);
	assert_string_equal(e.msg, "not deleting 192.0.2.1: it is the last A "
				   "record of www.example.test");
	assert_int_equal(change(&s, false, "192.0.2.1", &s.set, &e), DFO_ELAST);
	assert_int_equal(s.writes, 0);
	svc_free(&s);
}

/* A read that fails ends the change with its error. */
static int read_fails(void *ctx, struct dfo_rrset *out, struct dfo_err *err)
{
	(void)out;
	(*(int *)ctx)++;
	return dfo_err_set(err, -EIO, "no answer");
}

static void read_error(void **unused)
{
	(void)unused;
	int calls = 0;
	struct dfo_dns_cas cas = {read_fails, svc_write, &calls};
	struct dfo_addr a;
	struct dfo_err e;
	addr(&a, "192.0.2.1");
	dfo_err_clear(&e);
	assert_int_equal(dfo_dns_cas_change(&cas, "x.test", true, &a, NULL, &e),
			 -EIO);
	assert_int_equal(calls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unconditional_retries),
		cmocka_unit_test(conditional_once),
		cmocka_unit_test(already_so),
		cmocka_unit_test(never_the_last),
		cmocka_unit_test(read_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
