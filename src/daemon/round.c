/*
 * One round of one pool:
 *
 *   1. own address from the ipsource;
 *   2. the records of every FQDN from the dns provider;
 *   3. one batch of checks: this host first, then every other address
 *      seen (each once, even if several FQDNs hold it);
 *   4. a host failing its own check changes nothing but, per
 *      on_self_failure, withdraws its own record (never the last) or asks
 *      the agent to exit;
 *   5. otherwise it adds itself where missing (after `rise` passes if it
 *      withdrew or was evicted), counts each peer's failed rounds and, per
 *      FQDN, walks the records in numeric order and removes the first peer
 *      that failed `fall` rounds running: at most one per FQDN and round,
 *      never the last record, as a compare-and-set on the records read.
 *
 * An ipsource or dns error ends the round before any change and before
 * any peer is counted; an add or del error ends it too.  The pool then
 * sits out 0, 1, 3, 7, 15 rounds, until a round goes through.
 *
 * A check that could not run (DFO_CHECK_UNKNOWN: this host ran out of
 * processes, descriptors or memory) says nothing of its target: it is not
 * counted.  If the self-check is unknown, or more than a tenth of the
 * checks are, the host's view is in doubt: the round changes nothing and
 * backs off as on a dns error.
 *
 * A dns provider without DFO_DNS_CAS cannot refuse a change to records
 * that changed since they were read.  Before each delete the engine then
 * reads the records again and gives up (as on DFO_ESTALE) if they are not
 * the ones the round read; such a provider is only as safe as that
 * re-read, since the records may still change between it and the delete.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "ops.h"
#include "quorum.h"

#define MAX_SKIP 15

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *fmt(const struct dfo_addr *a, char buf[DFO_ADDR_STRLEN])
{
	return dfo_addr_format(a, buf, DFO_ADDR_STRLEN);
}

void pool_state_clear(struct pool_state *ps)
{
	for (size_t i = 0; i < ps->nfq; i++) {
		free(ps->fq[i].name);
		dfo_rrset_clear(&ps->fq[i].records);
	}
	free(ps->fq);
	free(ps->peers);
	free(ps->name);
	quorum_free(ps->quorum);
	memset(ps, 0, sizeof(*ps));
}

/* A dns or ipsource error: log it, back off, skip the rest. */
static void round_error(struct pool_state *ps, enum round_op op,
			const char *what, const struct dfo_err *e, int rc)
{
	ps->round_failed = true;
	ps->errors++;
	unsigned skip =
		ps->errors >= 5 ? MAX_SKIP : (1u << (ps->errors - 1)) - 1;
	ps->skip = skip;
	snprintf(ps->error, sizeof(ps->error), "%s: %s", what,
		 e->msg[0] ? e->msg : strerror(-rc));
	dfo_log(DFO_LOG_WARNING,
		"pool %s: %s; nothing changed this round, next try in %u "
		"round(s)",
		ps->name, ps->error, skip + 1);
	events_error(ps, op);
}

/* ---- calls to the dns provider ---- */

/* The pace of dns instance `state` in ag, made if new (the table grows:
 * no instance's pace is forgotten while it lives); NULL if out of
 * memory. */
static struct pace *pace_of(struct agent *ag, const void *state)
{
	for (size_t i = 0; i < ag->npaces; i++)
		if (ag->paces[i].state == state)
			return &ag->paces[i];
	struct pace *v =
		dfo_grow(ag->paces, &ag->cappaces, ag->npaces + 1, sizeof(*v));
	if (!v)
		return NULL;
	ag->paces = v;
	struct pace *p = &ag->paces[ag->npaces++];
	*p = (struct pace){state, -1e9};
	return p;
}

void agent_paces_prune(struct agent *ag, const struct dfo_config *conf)
{
	size_t k = 0;
	for (size_t i = 0; i < ag->npaces; i++) {
		bool kept = false;
		for (size_t j = 0; j < conf->npools && !kept; j++)
			kept = conf->pools[j].dns &&
			       conf->pools[j].dns->state == ag->paces[i].state;
		if (kept)
			ag->paces[k++] = ag->paces[i];
	}
	ag->npaces = k;
}

/* A rate-limited provider (call_spacing() > 0): wait until its previous
 * call, from any pool, is that many seconds old.  SIGTERM ends the wait
 * (through ps->ro): -EINTR. */
static int dns_pace(struct pool_state *ps, struct dfo_err *e)
{
	const struct dfo_instance *in = ps->pool->dns;
	const struct dfo_dns_provider *dns = dfo_inst_dns(in);
	if (!DFO_HAS(dns, call_spacing))
		return 0;
	double gap = dns->call_spacing(in->state);
	if (!(gap > 0))
		return 0;
	if (gap > 3600)
		gap = 3600;
	if (!ps->agent)
		return 0; /* no engine (a unit test): nothing to pace against */
	struct pace *p = pace_of(ps->agent, in->state);
	if (!p)
		return dfo_err_set(e, -ENOMEM, "out of memory");
	const struct dfo_run_opts *ro = ps->ro;
	for (double wait; (wait = p->last + gap - dfo_now()) > 0;) {
		struct pollfd w = {.fd = ro ? ro->watch_fd : -1,
				   .events = POLLIN};
		int ms = (int)(wait * 1000) + 1;
		if (poll(&w, 1, ms) > 0 && ro && ro->interrupted &&
		    ro->interrupted(ro->arg))
			return dfo_err_set(e, -EINTR, "interrupted");
	}
	p->last = dfo_now();
	return 0;
}

int round_pace(struct pool_state *ps, struct dfo_err *e)
{
	return dns_pace(ps, e);
}

static int dns_list(struct pool_state *ps, const char *fqdn,
		    struct dfo_rrset *out, struct dfo_err *e)
{
	const struct dfo_pool *p = ps->pool;
	int rc = dns_pace(ps, e);
	return rc ? rc
		  : dfo_inst_dns(p->dns)->list(p->dns->state, fqdn, out, e);
}

static int dns_add(struct pool_state *ps, const char *fqdn,
		   const struct dfo_addr *a, const struct dfo_rrset *expected,
		   struct dfo_err *e)
{
	const struct dfo_pool *p = ps->pool;
	int rc = dns_pace(ps, e);
	return rc ? rc
		  : dfo_inst_dns(p->dns)->add(p->dns->state, fqdn, a, expected,
					      e);
}

/* Delete `a` from `fqdn` whose records the round read as `expected`.
 * Without compare-and-set in the provider, read them again first and
 * give up if they changed, or if `a` would be the last record. */
static int dns_del(struct pool_state *ps, const char *fqdn,
		   const struct dfo_addr *a, const struct dfo_rrset *expected,
		   struct dfo_err *e)
{
	const struct dfo_pool *p = ps->pool;
	const struct dfo_dns_provider *dns = dfo_inst_dns(p->dns);
	if (!(dns->flags & DFO_DNS_CAS)) {
		struct dfo_rrset cur;
		dfo_rrset_init(&cur, expected->family);
		int rc = dns_list(ps, fqdn, &cur, e);
		bool same = rc == 0 && dfo_rrset_same(&cur, expected);
		bool last = rc == 0 &&
			    (cur.count <= 1 || !dfo_rrset_contains(&cur, a));
		dfo_rrset_clear(&cur);
		if (rc < 0)
			return rc;
		if (!same || last)
			return dfo_err_set(e, DFO_ESTALE,
					   "%s changed since it "
					   "was read",
					   fqdn);
	}
	int rc = dns_pace(ps, e);
	return rc ? rc : dns->del(p->dns->state, fqdn, a, expected, e);
}

static struct peer_state *peer_find(struct pool_state *ps,
				    const struct dfo_addr *a)
{
	size_t lo = 0, hi = ps->npeers;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = dfo_addr_cmp(&ps->peers[mid].addr, a);
		if (c == 0)
			return &ps->peers[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Make the peer list the sorted union of every FQDN's records but our
 * own address, keeping the counters of known peers. */
static int peers_update(struct pool_state *ps)
{
	struct dfo_rrset all;
	dfo_rrset_init(&all, ps->pool->family);
	for (size_t f = 0; f < ps->nfq; f++)
		for (size_t i = 0; i < ps->fq[f].records.count; i++) {
			const struct dfo_addr *a = &ps->fq[f].records.addrs[i];
			if (!dfo_addr_equal(a, &ps->own) &&
			    dfo_rrset_add(&all, a) < 0) {
				dfo_rrset_clear(&all);
				return -ENOMEM;
			}
		}
	dfo_rrset_sort(&all);
	struct peer_state *np = calloc(all.count ? all.count : 1, sizeof(*np));
	if (!np) {
		dfo_rrset_clear(&all);
		return -ENOMEM;
	}
	for (size_t i = 0; i < all.count; i++) {
		struct peer_state *old = peer_find(ps, &all.addrs[i]);
		if (old) {
			np[i] = *old;
		} else {
			np[i].addr = all.addrs[i];
			np[i].last = DFO_CHECK_PENDING;
		}
		np[i].seen = true;
	}
	free(ps->peers);
	ps->peers = np;
	ps->npeers = all.count;
	dfo_rrset_clear(&all);
	return 0;
}

static void job_init(struct dfo_check_job *j, const struct pool_state *ps,
		     const struct dfo_addr *a, double timeout, unsigned tries)
{
	memset(j, 0, sizeof(*j));
	j->prov = dfo_inst_check(ps->pool->check);
	j->state = ps->pool->check->state;
	j->target.addr = *a;
	j->target.fqdn = ps->pool->fqdn[0];
	j->target.timeout = timeout;
	j->attempts = tries;
}

/* Remove our own record from every FQDN that holds it, never the last. */
static void withdraw_self(struct pool_state *ps, const char *why)
{
	char a[DFO_ADDR_STRLEN];
	fmt(&ps->own, a);
	for (size_t f = 0; f < ps->nfq; f++) {
		struct fqdn_state *fq = &ps->fq[f];
		if (!fq->listed || !fq->present)
			continue;
		if (fq->records.count <= 1) {
			if (!fq->last_warned)
				dfo_log(DFO_LOG_WARNING,
					"pool %s: not withdrawing %s from %s: "
					"it "
					"is the last record",
					ps->name, a, fq->name);
			fq->last_warned = true;
			continue;
		}
		struct dfo_err e;
		dfo_err_clear(&e);
		int rc = dns_del(ps, fq->name, &ps->own, &fq->records, &e);
		if (rc == 0) {
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: withdrew %s from %s (%s)", ps->name,
				a, fq->name, why);
			events_emit(ps, EV_WITHDREW, fq->name, &ps->own, why);
			dfo_rrset_remove(&fq->records, &ps->own);
			fq->present = false;
			fq->joined = false;
		} else if (rc == DFO_ESTALE) {
			dfo_log(DFO_LOG_INFO,
				"pool %s: %s changed while withdrawing; next "
				"round",
				ps->name, fq->name);
		} else {
			char what[300];
			snprintf(what, sizeof(what),
				 "cannot withdraw %s from %s", a, fq->name);
			round_error(ps, ROUND_OP_DNS_DEL, what, &e, rc);
			return;
		}
	}
}

/* Steps 1 and 2.  0, or negative after round_error(). */
static int round_read(struct pool_state *ps)
{
	const struct dfo_pool *p = ps->pool;
	struct dfo_err e;
	dfo_err_clear(&e);
	struct dfo_addr own;
	/* start() of each instance, once, in the agent: a failure is an
	 * error of the round, retried with back-off. */
	struct dfo_instance *used[] = {p->ipsource, p->dns, p->check};
	static const enum round_op start_op[] = {ROUND_OP_IPSOURCE_START,
						 ROUND_OP_DNS_START,
						 ROUND_OP_CHECK_START};
	bool check_was = p->check->started;
	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++) {
		int rc = dfo_instance_start(used[i], &e);
		if (rc < 0) {
			round_error(ps, start_op[i],
				    dfo_kind_name(used[i]->kind), &e, rc);
			return rc;
		}
	}
	/* Check processes forked before the start hold its state as it was
	 * (a copy of memory): new ones, for this check and the others. */
	if (!check_was && p->check->started && ps->agent)
		dfo_check_pool_reset(ps->agent->workers);
	int rc = dfo_inst_ipsource(p->ipsource)
			 ->own_addr(p->ipsource->state, p->family, &own, &e);
	if (rc == 0 && own.family != p->family)
		rc = dfo_err_set(&e, -EAFNOSUPPORT,
				 "address of the wrong family");
	if (rc < 0) {
		round_error(ps, ROUND_OP_OWN_ADDR, "ipsource", &e, rc);
		return rc;
	}
	char a[DFO_ADDR_STRLEN], b[DFO_ADDR_STRLEN];
	if (ps->have_own && !dfo_addr_equal(&own, &ps->own)) {
		dfo_log(DFO_LOG_NOTICE,
			"pool %s: own address changed from %s "
			"to %s",
			ps->name, fmt(&ps->own, a), fmt(&own, b));
		for (size_t f = 0; f < ps->nfq; f++)
			ps->fq[f].present = ps->fq[f].joined = false;
	}
	ps->own = own;
	ps->have_own = true;
	fmt(&own, a);

	for (size_t f = 0; f < ps->nfq; f++) {
		struct fqdn_state *fq = &ps->fq[f];
		dfo_rrset_clear(&fq->records);
		dfo_rrset_init(&fq->records, p->family);
		fq->listed = false;
		dfo_err_clear(&e);
		rc = dns_list(ps, fq->name, &fq->records, &e);
		if (rc < 0) {
			char what[300];
			snprintf(what, sizeof(what), "dns list %s", fq->name);
			round_error(ps, ROUND_OP_DNS_LIST, what, &e, rc);
			return rc;
		}
		dfo_rrset_sort(&fq->records);
		fq->listed = true;
		bool here = dfo_rrset_contains(&fq->records, &own);
		if (fq->present && !here) {
			/* Not by us: a peer evicted this host. */
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: %s was removed from %s "
				"by another agent",
				ps->name, a, fq->name);
			ps->withdrawn = true;
			ps->passes = 0;
			fq->joined = false;
			events_emit(ps, EV_REMOVED, fq->name, &own,
				    "removed by another agent");
		}
		fq->present = here;
		if (here && !fq->joined) {
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: joined %s as %s (already "
				"listed)",
				ps->name, fq->name, a);
			fq->joined = true;
		}
		if (fq->records.count > 1 || !here)
			fq->last_warned = false;
	}
	return 0;
}

/* Step 4: the self-check result. true if the host may act. */
static bool round_self(struct pool_state *ps, const struct dfo_check_job *j,
		       int *stop)
{
	char a[DFO_ADDR_STRLEN];
	ps->self_last = j->result;
	ps->self_latency = j->latency;
	snprintf(ps->self_reason, sizeof(ps->self_reason), "%s", j->reason);
	if (j->result == DFO_CHECK_HEALTHY) {
		if (ps->failing) {
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: self-check of %s "
				"passes again",
				ps->name, fmt(&ps->own, a));
			events_emit(ps, EV_SELF_OK, NULL, &ps->own, NULL);
		}
		ps->failing = false;
		ps->passes++;
		return true;
	}
	ps->passes = 0;
	if (!ps->failing) {
		dfo_log(DFO_LOG_WARNING,
			"pool %s: self-check of %s failed (%s: "
			"%s); changing nothing",
			ps->name, fmt(&ps->own, a),
			dfo_check_result_name(j->result), j->reason);
		events_emit(ps, EV_SELF_FAILING, NULL, &ps->own, j->reason);
	}
	ps->failing = true;
	if (ps->pool->on_self_failure == DFO_SELF_EXIT) {
		dfo_log(DFO_LOG_ERR,
			"pool %s: self-check failed and "
			"on_self_failure = exit: stopping",
			ps->name);
		*stop = 1;
		return false;
	}
	ps->withdrawn = true;
	withdraw_self(ps, "self-check failed");
	return false;
}

/* Step 5a: add ourselves where missing.  0 or negative (dns error). */
static int round_join(struct pool_state *ps)
{
	const struct dfo_pool *p = ps->pool;
	unsigned need = ps->withdrawn ? p->rise : 1;
	char a[DFO_ADDR_STRLEN];
	fmt(&ps->own, a);
	bool missing = false;
	for (size_t f = 0; f < ps->nfq; f++)
		missing |= !ps->fq[f].present;
	if (!missing) {
		ps->withdrawn = false;
		return 0;
	}
	if (ps->withdrawn && quorum_voted_out(ps))
		return 0;
	if (ps->passes < need) {
		dfo_log(DFO_LOG_INFO,
			"pool %s: %s passing, %u of %u before "
			"rejoining",
			ps->name, a, ps->passes, need);
		return 0;
	}
	bool all = true;
	for (size_t f = 0; f < ps->nfq; f++) {
		struct fqdn_state *fq = &ps->fq[f];
		if (fq->present)
			continue;
		struct dfo_err e;
		dfo_err_clear(&e);
		int rc = dns_add(ps, fq->name, &ps->own, &fq->records, &e);
		if (rc == DFO_ESTALE) {
			dfo_log(DFO_LOG_INFO,
				"pool %s: %s changed while joining; "
				"next round",
				ps->name, fq->name);
			all = false;
			continue;
		}
		if (rc < 0) {
			char what[300];
			snprintf(what, sizeof(what), "dns add %s", fq->name);
			round_error(ps, ROUND_OP_DNS_ADD, what, &e, rc);
			return rc;
		}
		dfo_log(DFO_LOG_NOTICE, "pool %s: %s %s as %s", ps->name,
			ps->withdrawn ? "rejoined" : "joined", fq->name, a);
		events_emit(ps, ps->withdrawn ? EV_REJOINED : EV_JOINED,
			    fq->name, &ps->own, NULL);
		if (dfo_rrset_add(&fq->records, &ps->own) == 0)
			dfo_rrset_sort(&fq->records);
		fq->present = fq->joined = true;
	}
	if (all)
		ps->withdrawn = false;
	return 0;
}

/* Show the round's results without counting them. */
static void round_show(struct pool_state *ps, const struct dfo_check_job *jobs)
{
	ps->self_last = jobs[0].result;
	ps->self_latency = jobs[0].latency;
	snprintf(ps->self_reason, sizeof(ps->self_reason), "%s",
		 jobs[0].reason);
	for (size_t i = 0; i < ps->npeers; i++) {
		ps->peers[i].last = jobs[1 + i].result;
		ps->peers[i].latency = jobs[1 + i].latency;
		snprintf(ps->peers[i].reason, sizeof(ps->peers[i].reason), "%s",
			 jobs[1 + i].reason);
	}
}

/* Step 5b: count the peers' results. */
static void round_count(struct pool_state *ps, const struct dfo_check_job *jobs,
			size_t n)
{
	char a[DFO_ADDR_STRLEN];
	for (size_t i = 0; i < n; i++) {
		struct peer_state *pe = &ps->peers[i];
		const struct dfo_check_job *j = &jobs[i];
		pe->last = j->result;
		pe->latency = j->latency;
		snprintf(pe->reason, sizeof(pe->reason), "%s", j->reason);
		if (j->result == DFO_CHECK_UNKNOWN)
			continue; /* says nothing of the peer */
		if (j->result == DFO_CHECK_HEALTHY) {
			if (pe->down) {
				dfo_log(DFO_LOG_NOTICE,
					"pool %s: peer %s is up "
					"again",
					ps->name, fmt(&pe->addr, a));
				events_emit(ps, EV_PEER_UP, NULL, &pe->addr,
					    NULL);
			}
			pe->down = false;
			pe->fails = 0;
			continue;
		}
		pe->fails++;
		if (!pe->down) {
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: peer %s down (%s: %s)", ps->name,
				fmt(&pe->addr, a),
				dfo_check_result_name(j->result), j->reason);
			events_emit(ps, EV_PEER_DOWN, NULL, &pe->addr,
				    j->reason);
		}
		pe->down = true;
	}
}

/* Step 5c: per FQDN, evict the first peer (numeric order) that failed
 * `fall` rounds running; never the last record. */
static void round_evict(struct pool_state *ps)
{
	const struct dfo_pool *p = ps->pool;
	char a[DFO_ADDR_STRLEN];
	for (size_t f = 0; f < ps->nfq && !ps->round_failed; f++) {
		struct fqdn_state *fq = &ps->fq[f];
		for (size_t i = 0; i < fq->records.count; i++) {
			struct dfo_addr victim = fq->records.addrs[i];
			if (dfo_addr_equal(&victim, &ps->own))
				continue;
			struct peer_state *pe = peer_find(ps, &victim);
			if (!pe || pe->fails < p->fall ||
			    !quorum_agrees(ps, pe))
				continue;
			fmt(&victim, a);
			if (fq->records.count <= 1) {
				if (!fq->last_warned)
					dfo_log(DFO_LOG_WARNING,
						"pool %s: not evicting %s from "
						"%s: it is the last record",
						ps->name, a, fq->name);
				fq->last_warned = true;
				break;
			}
			struct dfo_err e;
			dfo_err_clear(&e);
			int rc = dns_del(ps, fq->name, &victim, &fq->records,
					 &e);
			if (rc == 0) {
				dfo_log(DFO_LOG_NOTICE,
					"pool %s: evicted %s from %s (failed "
					"%u "
					"round(s): %s)",
					ps->name, a, fq->name, pe->fails,
					pe->reason);
				events_emit(ps, EV_EVICTED, fq->name, &victim,
					    pe->reason);
				dfo_rrset_remove(&fq->records, &victim);
				fq->evicted = victim;
				fq->evicted_at = wall_now();
			} else if (rc == DFO_ESTALE) {
				dfo_log(DFO_LOG_INFO,
					"pool %s: %s changed before %s could "
					"be "
					"evicted; next round",
					ps->name, fq->name, a);
			} else {
				char what[300];
				snprintf(what, sizeof(what), "dns del %s %s",
					 fq->name, a);
				round_error(ps, ROUND_OP_DNS_DEL, what, &e, rc);
			}
			break; /* at most one per FQDN and round */
		}
	}
}

/* A drain file exists: out of DNS (never the last record), and `rise`
 * passing checks needed once it is gone. */
static int round_drain(struct pool_state *ps)
{
	ps->passes = 0;
	ps->withdrawn = true;
	withdraw_self(ps, "draining");
	return 0;
}

/* Step 3 gave unknown results: may the round go on?  Logs and backs off
 * if not. */
static bool round_sure(struct pool_state *ps, const struct dfo_check_job *jobs,
		       size_t n)
{
	size_t unknown = 0, first = n;
	for (size_t i = 0; i < n; i++)
		if (jobs[i].result == DFO_CHECK_UNKNOWN) {
			unknown++;
			if (first == n)
				first = i;
		}
	if (jobs[0].result != DFO_CHECK_UNKNOWN && unknown * 10 <= n)
		return true;
	char a[DFO_ADDR_STRLEN], what[300];
	struct dfo_err e;
	dfo_err_clear(&e);
	dfo_err_set(&e, -EAGAIN, "%s", jobs[first].reason);
	if (first == 0)
		snprintf(what, sizeof(what), "self-check of %s could not run",
			 fmt(&ps->own, a));
	else
		snprintf(what, sizeof(what),
			 "%zu of %zu checks could not run "
			 "(%s)",
			 unknown, n, fmt(&jobs[first].target.addr, a));
	round_error(ps, ROUND_OP_CHECKS_RUN, what, &e, -EAGAIN);
	return false;
}

int round_run(struct pool_state *ps, const struct dfo_run_opts *ro,
	      unsigned max_parallel)
{
	const struct dfo_pool *p = ps->pool;
	const struct dfo_timer_provider *tm = dfo_inst_timer(p->timer);
	double t0 = dfo_now();
	int ret = ROUND_OK;
	ps->round_wall = wall_now();
	ps->rounds++;
	ps->round_failed = false;
	ps->ro = ro;
	for (size_t i = 0; i < ps->npeers; i++)
		ps->peers[i].seen = false;
	bool draining = events_draining(ps);

	if (round_read(ps) < 0)
		goto out;
	if (peers_update(ps) < 0) {
		dfo_log(DFO_LOG_ERR, "pool %s: out of memory", ps->name);
		goto out;
	}

	/* Step 3: one batch, this host first. */
	size_t n = 1 + ps->npeers;
	struct dfo_check_job *jobs = calloc(n, sizeof(*jobs));
	if (!jobs) {
		dfo_log(DFO_LOG_ERR, "pool %s: out of memory", ps->name);
		goto out;
	}
	double timeout = tm->check_timeout(p->timer->state);
	unsigned tries = tm->retries(p->timer->state);
	job_init(&jobs[0], ps, &ps->own, timeout, tries);
	for (size_t i = 0; i < ps->npeers; i++) {
		job_init(&jobs[1 + i], ps, &ps->peers[i].addr, timeout, tries);
		/* Those that timed out last round first: the round waits for
		 * their deadlines, which count from their start. */
		jobs[1 + i].early = ps->peers[i].last == DFO_CHECK_TIMEOUT;
	}
	int rc = ps->agent && ps->agent->run_checks
			 ? ps->agent->run_checks(jobs, n, max_parallel, ro)
			 : dfo_run_checks_opts(jobs, n, max_parallel, ro);
	if (rc == -EINTR) {
		/* Stopping: a round cut short changes nothing. */
		free(jobs);
		ret = ROUND_INTERRUPTED;
		goto out;
	}
	if (rc < 0) {
		dfo_log(DFO_LOG_ERR, "pool %s: cannot run checks", ps->name);
		free(jobs);
		goto out;
	}
	events_checks(ps, jobs, n);

	int stop = 0;
	if (!round_sure(ps, jobs, n)) {
		/* In doubt: shown, nothing counted. */
		round_show(ps, jobs);
	} else if (round_self(ps, &jobs[0], &stop)) {
		/* Only a healthy host judges its peers. */
		round_count(ps, jobs + 1, ps->npeers);
		quorum_round(ps, true);
		if ((draining ? round_drain(ps) : round_join(ps)) == 0)
			round_evict(ps);
	} else {
		/* Its view of the peers is in doubt: shown, not counted. */
		round_show(ps, jobs);
		if (!stop)
			quorum_round(ps, false);
	}
	if (stop)
		ret = ROUND_EXIT;
	free(jobs);
out:
	if (!ps->round_failed && ret != ROUND_INTERRUPTED && ps->errors) {
		dfo_log(DFO_LOG_NOTICE,
			"pool %s: dns and ipsource answer again", ps->name);
		events_emit(ps, EV_DNS_OK, NULL, NULL, ps->error);
		ps->errors = 0;
		ps->error[0] = '\0';
	}
	ps->ro = NULL;
	ps->round_duration = dfo_now() - t0;
	dfo_log(DFO_LOG_DEBUG, "pool %s: round %lu took %.3f s", ps->name,
		ps->rounds, ps->round_duration);
	events_round(ps);
	return ret;
}

void round_withdraw_on_exit(struct pool_state *ps)
{
	const struct dfo_pool *p = ps->pool;
	if (!p || !p->withdraw_on_exit)
		return;
	struct dfo_err e;
	dfo_err_clear(&e);
	if (!ps->have_own &&
	    dfo_inst_ipsource(p->ipsource)
			    ->own_addr(p->ipsource->state, p->family, &ps->own,
				       &e) == 0)
		ps->have_own = true;
	if (!ps->have_own) {
		dfo_log(DFO_LOG_WARNING,
			"pool %s: cannot withdraw on exit: no "
			"own address (%s)",
			ps->name, e.msg);
		return;
	}
	const struct dfo_dns_provider *dns = dfo_inst_dns(p->dns);
	char a[DFO_ADDR_STRLEN];
	fmt(&ps->own, a);
	ps->ro = NULL;
	for (size_t f = 0; f < ps->nfq; f++) {
		const char *name = ps->fq[f].name;
		/* Another agent may change the records meanwhile: a few
		 * tries, each reading afresh. */
		for (int attempt = 0; attempt < 3; attempt++) {
			struct dfo_rrset cur;
			dfo_rrset_init(&cur, p->family);
			dfo_err_clear(&e);
			/* Read right before the delete: for a provider
			 * without compare-and-set, that read is all the
			 * safety there is. */
			int rc = dns_list(ps, name, &cur, &e);
			if (rc == 0 && !dfo_rrset_contains(&cur, &ps->own)) {
				dfo_rrset_clear(&cur);
				break;
			}
			if (rc == 0 && cur.count <= 1) {
				dfo_log(DFO_LOG_WARNING,
					"pool %s: not withdrawing %s from %s "
					"on "
					"exit: it is the last record",
					ps->name, a, name);
				dfo_rrset_clear(&cur);
				break;
			}
			if (rc == 0)
				rc = dns_pace(ps, &e);
			if (rc == 0)
				rc = dns->del(p->dns->state, name, &ps->own,
					      &cur, &e);
			dfo_rrset_clear(&cur);
			if (rc == 0) {
				dfo_log(DFO_LOG_NOTICE,
					"pool %s: withdrew %s from %s on exit",
					ps->name, a, name);
				events_emit(ps, EV_WITHDREW, name, &ps->own,
					    "exit");
				break;
			}
			if (rc != DFO_ESTALE) {
				dfo_log(DFO_LOG_WARNING,
					"pool %s: cannot withdraw %s from %s "
					"on "
					"exit: %s",
					ps->name, a, name, e.msg);
				break;
			}
		}
	}
}
