/* round_run() (src/daemon/round.c) driven with an in-memory dns provider
 * and scripted check results (the agent's run_checks seam): the eviction
 * rules of DESIGN.md step 4 and of quorum eviction, each asserted on the
 * records the provider holds after the round. */
#include "config.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent.h"
#include "ops.h"

/* ---- the dns provider "mem": records and state texts in memory ---- */

#define MAXN 4
static struct {
	char name[64];
	struct dfo_rrset set;
} names[MAXN];
static struct dfo_txtset txts; /* the pool's state records */
static unsigned dels, adds;    /* calls that changed something */

static struct dfo_rrset *rr(const char *fqdn)
{
	for (int i = 0; i < MAXN; i++)
		if (strcmp(names[i].name, fqdn) == 0)
			return &names[i].set;
	for (int i = 0; i < MAXN; i++)
		if (!names[i].name[0]) {
			snprintf(names[i].name, sizeof(names[i].name), "%s",
				 fqdn);
			dfo_rrset_init(&names[i].set, AF_INET);
			return &names[i].set;
		}
	fail_msg("too many names");
	return NULL;
}

/* "A B C" as the records of fqdn. */
static void records(const char *fqdn, const char *list)
{
	struct dfo_rrset *s = rr(fqdn);
	dfo_rrset_clear(s);
	dfo_rrset_init(s, AF_INET);
	char buf[256], *save = NULL;
	snprintf(buf, sizeof(buf), "%s", list);
	for (char *t = strtok_r(buf, " ", &save); t;
	     t = strtok_r(NULL, " ", &save)) {
		struct dfo_addr a;
		assert_int_equal(dfo_addr_parse(&a, t), 0);
		assert_int_equal(dfo_rrset_add(s, &a), 0);
	}
	dfo_rrset_sort(s);
}

/* The records of fqdn as "A B C" (numeric order). */
static const char *now_in(const char *fqdn)
{
	static char out[256];
	struct dfo_rrset *s = rr(fqdn);
	dfo_rrset_sort(s);
	out[0] = '\0';
	for (size_t i = 0; i < s->count; i++) {
		char a[DFO_ADDR_STRLEN];
		size_t k = strlen(out);
		snprintf(out + k, sizeof(out) - k, "%s%s", i ? " " : "",
			 dfo_addr_format(&s->addrs[i], a, sizeof(a)));
	}
	return out;
}

static int m_create(const char *instance, cfg_t *sec, void **state,
		    struct dfo_err *err)
{
	*state = NULL;
	return 0;
}

static int m_list(void *st, const char *fqdn, struct dfo_rrset *out,
		  struct dfo_err *err)
{
	int rc = dfo_rrset_copy(out, rr(fqdn));
	out->ttl = 60;
	return rc;
}

static int m_change(const char *fqdn, const struct dfo_addr *a,
		    const struct dfo_rrset *expected, bool add,
		    struct dfo_err *err)
{
	struct dfo_rrset *s = rr(fqdn);
	if (expected && !dfo_rrset_same(expected, s))
		return dfo_err_set(err, DFO_ESTALE, "changed");
	if (add)
		adds++, dfo_rrset_add(s, a);
	else if (s->count <= 1)
		return dfo_err_set(err, DFO_ELAST, "the last record");
	else
		dels++, dfo_rrset_remove(s, a);
	dfo_rrset_sort(s);
	return 0;
}

static int m_add(void *st, const char *fqdn, const struct dfo_addr *a,
		 const struct dfo_rrset *expected, struct dfo_err *err)
{
	return m_change(fqdn, a, expected, true, err);
}

static int m_del(void *st, const char *fqdn, const struct dfo_addr *a,
		 const struct dfo_rrset *expected, struct dfo_err *err)
{
	return m_change(fqdn, a, expected, false, err);
}

static int m_state_list(void *st, const char *name, struct dfo_txtset *out,
			struct dfo_err *err)
{
	for (size_t i = 0; i < txts.count; i++)
		if (dfo_txtset_add(out, txts.texts[i]) < 0)
			return -ENOMEM;
	return 0;
}

static int m_state_change(void *st, const char *name, const char *del,
			  const char *add, const struct dfo_txtset *expected,
			  uint32_t ttl, struct dfo_err *err)
{
	struct dfo_txtset n;
	dfo_txtset_init(&n);
	for (size_t i = 0; i < txts.count; i++)
		if (!del || strcmp(txts.texts[i], del) != 0)
			dfo_txtset_add(&n, txts.texts[i]);
	if (add)
		dfo_txtset_add(&n, add);
	dfo_txtset_clear(&txts);
	txts = n;
	return 0;
}

static const struct dfo_dns_provider dns_mem = {
	.size = sizeof(struct dfo_dns_provider),
	.name = "mem",
	.create = m_create,
	.flags = DFO_DNS_CAS,
	.list = m_list,
	.add = m_add,
	.del = m_del,
	.state_list = m_state_list,
	.state_change = m_state_change};

/* ---- ipsource, check, timer ---- */

static int own(void *st, int family, struct dfo_addr *out, struct dfo_err *err)
{
	return dfo_addr_parse(out, "10.0.0.1");
}
static const struct dfo_ipsource_provider ip_me = {
	.size = sizeof(struct dfo_ipsource_provider),
	.name = "me",
	.create = m_create,
	.own_addr = own};

static int never(void *st, const struct dfo_check_target *t,
		 struct dfo_err *err)
{
	fail_msg("a check ran outside the script");
	return -EIO;
}
static const struct dfo_check_provider chk = {
	.size = sizeof(struct dfo_check_provider),
	.name = "scripted",
	.create = m_create,
	.check = never};

static double t_next(void *s, double last, double now)
{
	return now + 1;
}
static double t_timeout(void *s)
{
	return 1;
}
static unsigned t_retries(void *s)
{
	return 1;
}
static const struct dfo_timer_provider tm = {
	.size = sizeof(struct dfo_timer_provider),
	.name = "t",
	.create = m_create,
	.next_round = t_next,
	.check_timeout = t_timeout,
	.retries = t_retries};

/* ---- the script: each address's result this round ---- */

static char failing[256]; /* "A B": unhealthy */
static char unknown[256]; /* "A B": could not be checked */
static char hanging[256]; /* "A B": timed out */
static char early[256];	  /* "A B": the jobs marked early, last batch */
static unsigned batches;

static bool listed(const char *list, const char *a)
{
	size_t n = strlen(a);
	for (const char *p = strstr(list, a); p; p = strstr(p + 1, a))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

static int scripted(struct dfo_check_job *jobs, size_t n, unsigned maxp,
		    const struct dfo_run_opts *ro)
{
	batches++;
	early[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		char a[DFO_ADDR_STRLEN];
		dfo_addr_format(&jobs[i].target.addr, a, sizeof(a));
		if (jobs[i].early) {
			size_t k = strlen(early);
			snprintf(early + k, sizeof(early) - k, "%s%s",
				 k ? " " : "", a);
		}
		jobs[i].tries = 1;
		jobs[i].latency = 0.001;
		if (listed(hanging, a)) {
			jobs[i].result = DFO_CHECK_TIMEOUT;
			snprintf(jobs[i].reason, sizeof(jobs[i].reason),
				 "timed out");
		} else if (listed(unknown, a)) {
			jobs[i].result = DFO_CHECK_UNKNOWN;
			snprintf(jobs[i].reason, sizeof(jobs[i].reason),
				 "no fork");
		} else if (listed(failing, a)) {
			jobs[i].result = DFO_CHECK_FAILED;
			snprintf(jobs[i].reason, sizeof(jobs[i].reason),
				 "refused");
		} else {
			jobs[i].result = DFO_CHECK_HEALTHY;
		}
	}
	return 0;
}

/* ---- fixture: one pool of the given options ---- */

struct fx {
	struct dfo_registry *reg;
	struct dfo_config *conf;
	struct agent ag;
	struct pool_state ps;
	char path[64];
};

static struct fx *fx_new(const char *pool_opts)
{
	struct fx *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->reg = dfo_registry_new();
	assert_int_equal(dfo_register_dns(f->reg, &dns_mem), 0);
	assert_int_equal(dfo_register_ipsource(f->reg, &ip_me), 0);
	assert_int_equal(dfo_register_check(f->reg, &chk), 0);
	assert_int_equal(dfo_register_timer(f->reg, &tm), 0);
	snprintf(f->path, sizeof(f->path), "/tmp/round_test.%d.conf",
		 (int)getpid());
	FILE *fp = fopen(f->path, "w");
	assert_non_null(fp);
	fprintf(fp,
		"dns \"d\" { mem {} }\nipsource \"me\" { me {} }\n"
		"check \"c\" { scripted {} }\ntimer \"t\" { t {} }\n"
		"pool \"p\" { fqdn = {\"a.test\", \"b.test\"} dns = \"d\" "
		"ipsource = \"me\" check = \"c\" timer = \"t\" %s }\n",
		pool_opts);
	fclose(fp);
	struct dfo_err err;
	dfo_err_clear(&err);
	if (dfo_config_load(&f->conf, f->reg, f->path, true, &err) < 0)
		fail_msg("config: %s", err.msg);
	unlink(f->path);
	f->ag.run_checks = scripted; /* no events: no notify programs */
	f->ps.name = strdup("p");
	f->ps.pool = &f->conf->pools[0];
	f->ps.agent = &f->ag;
	f->ps.last_due = -1;
	f->ps.nfq = f->ps.pool->nfqdn;
	f->ps.fq = calloc(f->ps.nfq, sizeof(*f->ps.fq));
	for (size_t i = 0; i < f->ps.nfq; i++) {
		f->ps.fq[i].name = strdup(f->ps.pool->fqdn[i]);
		dfo_rrset_init(&f->ps.fq[i].records, AF_INET);
	}
	failing[0] = unknown[0] = hanging[0] = early[0] = '\0';
	dels = adds = batches = 0;
	return f;
}

static void fx_free(struct fx *f)
{
	pool_state_clear(&f->ps);
	free(f->ag.paces);
	dfo_config_free(f->conf);
	dfo_registry_free(f->reg);
	free(f);
	for (int i = 0; i < MAXN; i++) {
		dfo_rrset_clear(&names[i].set);
		names[i].name[0] = '\0';
	}
	dfo_txtset_clear(&txts);
}

static void round1(struct fx *f)
{
	assert_int_equal(round_run(&f->ps, NULL, 8), ROUND_OK);
}

/* A fixture of the pool OPTIONS whose names hold A (a.test) and B
 * (b.test), with the peers FAIL failing their checks. */
static struct fx *scene(const char *options, const char *a, const char *b,
			const char *fail)
{
	struct fx *f = fx_new(options);
	records("a.test", a);
	records("b.test", b);
	strcpy(failing, fail);
	return f;
}

/* Asserts that a.test and b.test hold A and B now. */
static void holds(const char *a, const char *b)
{
	assert_string_equal(now_in("a.test"), a);
	assert_string_equal(now_in("b.test"), b);
}

/* ---- the rules ---- */

/* Two dead peers: one eviction per name and round, the lower address
 * first (numeric, not text order: 10.0.0.9 before 10.0.0.10). */
static void one_per_name_numeric(void **unused)
{
	struct fx *f =
		scene("quorum = false fall = 1 rise = 1",
		      "10.0.0.1 10.0.0.9 10.0.0.10 10.0.0.20",
		      "10.0.0.1 10.0.0.10 10.0.0.9", "10.0.0.10 10.0.0.9");
	round1(f);
	holds("10.0.0.1 10.0.0.10 10.0.0.20", "10.0.0.1 10.0.0.10");
	assert_int_equal(dels, 2);
	round1(f);
	holds("10.0.0.1 10.0.0.20", "10.0.0.1");
	assert_int_equal(dels, 4);
	round1(f); /* nothing left to do */
	assert_int_equal(dels, 4);
	fx_free(f);
}

/* Never the last record: a name held by one dead peer keeps it. */
static void never_the_last(void **unused)
{
	/* a.test: this host is not in it yet and joins first; b.test: */
	struct fx *f = scene("quorum = false fall = 1 rise = 1", "10.0.0.5",
			     "10.0.0.5", "10.0.0.5");
	round1(f);
	/* Joined, then the peer is evicted: this host is the other record. */
	holds("10.0.0.1", "10.0.0.1");
	fx_free(f);

	/* Failing itself, the host withdraws, but never the last record. */
	f = scene("quorum = false fall = 1 rise = 1", "10.0.0.1",
		  "10.0.0.1 10.0.0.5", "10.0.0.1 10.0.0.5");
	round1(f);
	holds("10.0.0.1", "10.0.0.5");
	fx_free(f);

	/* A peer that is the only other record while this host is
	 * withdrawn and not yet back (rise 3): it stays. */
	f = scene("quorum = false fall = 1 rise = 3", "10.0.0.5", "10.0.0.5",
		  "10.0.0.5");
	f->ps.withdrawn = true;
	round1(f);
	holds("10.0.0.5", "10.0.0.5");
	assert_int_equal(dels, 0);
	fx_free(f);
}

/* Unknown results: more than a tenth of the round, or the self-check,
 * and nothing is changed or counted; up to a tenth, the rest is judged
 * and the unknown peers are neither up nor down. */
static void unknown_share(void **unused)
{
	/* 10 peers + self = 11 checks; 2 unknown > 11/10: in doubt */
	struct fx *f =
		scene("quorum = false fall = 1 rise = 1",
		      "10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4 10.0.0.5 "
		      "10.0.0.6 10.0.0.7 10.0.0.8 10.0.0.9 10.0.0.10 10.0.0.11",
		      "10.0.0.1 10.0.0.2", "10.0.0.2");
	strcpy(unknown, "10.0.0.3 10.0.0.4");
	round1(f);
	assert_int_equal(dels, 0);
	assert_true(f->ps.round_failed);
	assert_int_equal(f->ps.peers[0].fails, 0); /* 10.0.0.2: not counted */
	/* 1 unknown of 11: judged; 10.0.0.2 goes from both names. */
	f->ps.skip = 0;
	strcpy(unknown, "10.0.0.3");
	round1(f);
	assert_false(f->ps.round_failed);
	assert_int_equal(dels, 2);
	assert_string_equal(now_in("b.test"), "10.0.0.1");
	/* the unknown peer is neither counted failing nor evicted */
	assert_int_equal(f->ps.peers[1].fails, 0);
	assert_int_equal(f->ps.peers[1].last, DFO_CHECK_UNKNOWN);
	/* An unknown self-check: nothing judged even with 1 of 11. */
	f->ps.skip = 0;
	strcpy(unknown, "10.0.0.1");
	strcpy(failing, "10.0.0.4");
	round1(f);
	assert_true(f->ps.round_failed);
	assert_int_equal(dels, 2);
	fx_free(f);
}

/* fall: a peer is evicted after `fall` failed rounds running, a passing
 * round in between starts again; rise: a withdrawn host rejoins after
 * `rise` passing self-checks. */
static void hysteresis(void **unused)
{
	struct fx *f = scene("quorum = false fall = 3 rise = 2",
			     "10.0.0.1 10.0.0.2 10.0.0.3", "10.0.0.1 10.0.0.2",
			     "10.0.0.2");
	round1(f);
	round1(f);
	assert_int_equal(dels, 0);
	failing[0] = '\0'; /* passes once: the count starts again */
	round1(f);
	strcpy(failing, "10.0.0.2");
	round1(f);
	round1(f);
	assert_int_equal(dels, 0);
	round1(f); /* the third failed round running */
	assert_int_equal(dels, 2);
	assert_string_equal(now_in("a.test"), "10.0.0.1 10.0.0.3");

	/* This host fails: withdraws at once (fall is for peers)... */
	strcpy(failing, "10.0.0.1");
	round1(f);
	holds("10.0.0.3", "10.0.0.1"); /* b.test: the last one */
	/* ...and needs rise = 2 passing rounds to come back. */
	failing[0] = '\0';
	round1(f);
	assert_string_equal(now_in("a.test"), "10.0.0.3");
	round1(f);
	assert_string_equal(now_in("a.test"), "10.0.0.1 10.0.0.3");
	fx_free(f);
}

static void txt(const char *text)
{
	assert_int_equal(dfo_txtset_add(&txts, text), 0);
}

/* Quorum: a peer this host sees failing is evicted only when a strict
 * majority of the live agents see it so; the peer's own agent, live,
 * votes against; an agent not live (no record) is judged by the live
 * ones alone. */
static void quorum_majority(void **unused)
{
	/* Agents 10.0.0.2 and 10.0.0.3 are live; 10.0.0.4 has no record
	 * (its machine died).  Only this host sees .4 failing: 1 of 3. */
	struct fx *f = scene("quorum = true fall = 1 rise = 1",
			     "10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4",
			     "10.0.0.1 10.0.0.4", "10.0.0.4");
	txt("dfo1 10.0.0.2 1 u -");
	txt("dfo1 10.0.0.3 1 u -");
	round1(f);
	assert_int_equal(dels, 0);
	assert_string_equal(now_in("a.test"),
			    "10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4");
	/* This host published its view. */
	bool mine = false;
	for (size_t i = 0; i < txts.count; i++)
		mine |= strncmp(txts.texts[i], "dfo1 10.0.0.1 ", 14) == 0 &&
			strstr(txts.texts[i], " u 10.0.0.4");
	assert_true(mine);

	/* 10.0.0.2 sees it failing too: 2 of 3, a majority of the live
	 * agents, and the dead agent's peer goes from both names. */
	dfo_txtset_clear(&txts);
	txt("dfo1 10.0.0.2 2 u 10.0.0.4");
	txt("dfo1 10.0.0.3 2 u -");
	round1(f);
	holds("10.0.0.1 10.0.0.2 10.0.0.3", "10.0.0.1");
	fx_free(f);

	/* The failing peer's own agent is live and passes its own check:
	 * it votes against, 2 of 4 is no majority. */
	f = scene("quorum = true fall = 1 rise = 1",
		  "10.0.0.1 10.0.0.2 10.0.0.3 10.0.0.4", "10.0.0.1 10.0.0.4",
		  "10.0.0.4");
	txt("dfo1 10.0.0.2 1 u 10.0.0.4");
	txt("dfo1 10.0.0.3 1 u -");
	txt("dfo1 10.0.0.4 1 u -");
	round1(f);
	assert_int_equal(dels, 0);
	/* 10.0.0.3 joins the majority: 3 of 4. */
	dfo_txtset_clear(&txts);
	txt("dfo1 10.0.0.2 2 u 10.0.0.4");
	txt("dfo1 10.0.0.3 2 u 10.0.0.4");
	txt("dfo1 10.0.0.4 2 u -");
	round1(f);
	assert_string_equal(now_in("a.test"), "10.0.0.1 10.0.0.2 10.0.0.3");
	fx_free(f);
}

/* call_spacing paces are kept per instance however many there are: the
 * table grows (it forgot all at 256) and a reload prunes the gone. */
static double spaced(void *st)
{
	return 1000;
}
static void paces_grow(void **unused)
{
	static const struct dfo_dns_provider slow = {
		.size = sizeof(struct dfo_dns_provider),
		.name = "slow",
		.create = m_create,
		.list = m_list,
		.add = m_add,
		.del = m_del,
		.call_spacing = spaced};
	enum { N = 300 };
	static struct dfo_instance in[N];
	static char st[N];
	struct dfo_pool pool = {.name = "p"};
	struct agent ag = {0};
	struct pool_state ps = {.pool = &pool, .agent = &ag};
	struct dfo_registry *reg = dfo_registry_new();
	assert_int_equal(dfo_register_dns(reg, &slow), 0);
	const struct dfo_entry *entry =
		dfo_registry_find(reg, DFO_KIND_DNS, "slow");
	assert_non_null(entry);
	for (int i = 0; i < N; i++) {
		in[i] = (struct dfo_instance){
			.kind = DFO_KIND_DNS, .entry = entry, .state = &st[i]};
		pool.dns = &in[i];
		struct dfo_err e;
		dfo_err_clear(&e);
		/* first call of each: no wait */
		assert_int_equal(round_pace(&ps, &e), 0);
	}
	assert_int_equal(ag.npaces, N);
	for (int i = 0; i < N; i++)
		assert_ptr_equal(ag.paces[i].state, &st[i]);
	/* a reload that keeps instance 7 only */
	struct dfo_config conf = {.pools = &pool, .npools = 1};
	pool.dns = &in[7];
	agent_paces_prune(&ag, &conf);
	assert_int_equal(ag.npaces, 1);
	assert_ptr_equal(ag.paces[0].state, &st[7]);
	free(ag.paces);
	dfo_registry_free(reg);
}

/* The peers whose checks timed out last round are checked first (the
 * round waits for their deadlines, which count from each check's
 * start): they are the jobs marked early, and only they. */
static void timed_out_first(void **unused)
{
	struct fx *f = fx_new("quorum = false fall = 5 rise = 1");
	records("a.test", "10.0.0.1 10.0.0.5 10.0.0.6 10.0.0.7 10.0.0.8");
	records("b.test", "10.0.0.1");
	strcpy(hanging, "10.0.0.6 10.0.0.8");
	strcpy(failing, "10.0.0.7");
	round1(f);
	assert_string_equal(early, ""); /* nothing known yet */
	strcpy(hanging, "10.0.0.8");
	round1(f);
	assert_string_equal(early, "10.0.0.6 10.0.0.8");
	round1(f);
	assert_string_equal(early, "10.0.0.8");
	assert_int_equal(dels, 0); /* fall = 5 */
	fx_free(f);
}

int main(void)
{
	dfo_log_setup(-1, 0, "round_test");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_per_name_numeric),
		cmocka_unit_test(timed_out_first),
		cmocka_unit_test(never_the_last),
		cmocka_unit_test(unknown_share),
		cmocka_unit_test(hysteresis),
		cmocka_unit_test(quorum_majority),
		cmocka_unit_test(paces_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
