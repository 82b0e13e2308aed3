/*
 * Quorum eviction: no agent evicts a healthy peer because of its own
 * blindness.
 *
 * Every agent of a pool keeps one TXT record at the pool's state name
 * (by default "_dfo.<first fqdn>"), through its dns provider's state
 * operations:
 *
 *     "dfo1 ADDRESS SEQ FLAG DOWNS"
 *
 * ADDRESS is the agent's own address, SEQ grows with every write (the
 * wall clock's seconds, or one more than the last), FLAG is 'u' while
 * its own check passes and 'f' while it fails, DOWNS the peers it sees
 * failing `fall` rounds running ("-" for none; comma-separated, sorted,
 * as many as fit in 255 bytes).  An agent rewrites its record when its
 * view changes and at least every `heartbeat` seconds, in one atomic
 * change that removes its previous record and adds the new one.
 *
 * Liveness is judged on this agent's own clock, never on another's: an
 * agent is live while its record changed within the window (3 heartbeats,
 * or 3 rounds if rounds are further apart), as this agent saw it; a
 * record seen for the first time counts as a change (benefit of the
 * doubt: it delays evictions, never causes one).
 *
 * The live agents whose own check passes vote.  A peer that failed
 * `fall` rounds here is evicted only if a strict majority of the voters
 * (this agent included) see it failing; its own agent, when it votes,
 * counts against (it sees itself passing).  A peer whose agent is not
 * live (the machine died, or it cannot reach the DNS service) is judged
 * by the live ones alone.  All of the round's other rules stay: at most
 * one eviction per name and round, never the last record, compare-and-
 * set on the records.  A state operation that fails makes the round's
 * votes unknown: nothing is evicted (never on doubt).
 *
 * A host that a majority sees failing does not add itself back (it was
 * evicted for a reason that the others see); it rejoins when they see it
 * pass again.  Records of agents not live for two windows are removed by
 * whoever sees them (one change per round at most).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent.h"
#include "quorum.h"

static const char *fmt(const struct dfo_addr *a, char buf[DFO_ADDR_STRLEN])
{
	return dfo_addr_format(a, buf, DFO_ADDR_STRLEN);
}

bool quorum_enabled(const struct dfo_pool *p)
{
	const struct dfo_dns_provider *dns = dfo_inst_dns(p->dns);
	return p->quorum && dns && DFO_HAS(dns, state_list) &&
	       DFO_HAS(dns, state_change);
}

const char *quorum_unsafe_why(const struct dfo_pool *p, char *buf, size_t len)
{
	const struct dfo_dns_provider *dns = dfo_inst_dns(p->dns);
	if (!p->quorum)
		snprintf(buf, len,
			 "quorum = false: each agent evicts on its "
			 "own checks, so one that cannot reach its "
			 "peers evicts healthy ones (not partition-"
			 "safe)");
	else if (!dns || !DFO_HAS(dns, state_list) ||
		 !DFO_HAS(dns, state_change))
		snprintf(buf, len,
			 "dns provider %s has no state operations: "
			 "no quorum, each agent evicts on its own "
			 "checks (not partition-safe)",
			 dns ? dns->name : "?");
	else
		return NULL;
	return buf;
}

void quorum_warnings(const struct dfo_config *c)
{
	for (size_t i = 0; i < c->npools; i++) {
		char why[300];
		const struct dfo_pool *p = &c->pools[i];
		if (quorum_unsafe_why(p, why, sizeof(why)))
			dfo_log(DFO_LOG_WARNING, "%s:%d: pool \"%s\": %s",
				c->file, p->line, p->name, why);
	}
}

void quorum_free(struct quorum *q)
{
	if (!q)
		return;
	free(q->agents);
	free(q);
}

/* ---- records ---- */

/* Parse "dfo1 ADDR SEQ FLAG DOWNS" of `family`.  0 or -1. */
static int parse_record(const char *text, int family, struct quorum_agent *a)
{
	char buf[DFO_TXT_MAX + 1], *save = NULL, *tok[6];
	size_t n = 0;
	snprintf(buf, sizeof(buf), "%s", text);
	for (char *t = strtok_r(buf, " ", &save); t && n < 6;
	     t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	if (n != 5 || strcmp(tok[0], "dfo1") != 0 ||
	    dfo_addr_parse_family(&a->addr, tok[1], family) < 0 ||
	    strspn(tok[2], "0123456789") != strlen(tok[2]) ||
	    (strcmp(tok[3], "u") != 0 && strcmp(tok[3], "f") != 0))
		return -1;
	a->self_ok = tok[3][0] == 'u';
	a->ndowns = 0;
	if (strcmp(tok[4], "-") == 0)
		return 0;
	save = NULL;
	for (char *t = strtok_r(tok[4], ",", &save); t;
	     t = strtok_r(NULL, ",", &save)) {
		if (a->ndowns == QUORUM_MAX_DOWNS)
			break;
		if (dfo_addr_parse_family(&a->downs[a->ndowns], t, family) < 0)
			return -1;
		a->ndowns++;
	}
	return 0;
}

/* This agent's view: "FLAG DOWNS", the peers that failed `fall` rounds
 * (in address order) while they fit. */
static void make_view(const struct pool_state *ps, bool self_ok,
		      char out[DFO_TXT_MAX + 1])
{
	/* room for "dfo1 ADDR SEQ " before the view */
	size_t room = DFO_TXT_MAX - (5 + DFO_ADDR_STRLEN + 21);
	size_t k = (size_t)snprintf(out, room, "%c ", self_ok ? 'u' : 'f');
	size_t n = 0;
	for (size_t i = 0; self_ok && i < ps->npeers && n < QUORUM_MAX_DOWNS;
	     i++) {
		const struct peer_state *pe = &ps->peers[i];
		if (!pe->seen || pe->fails < ps->pool->fall)
			continue;
		char a[DFO_ADDR_STRLEN];
		fmt(&pe->addr, a);
		if (k + strlen(a) + 1 >= room)
			break;
		k += (size_t)snprintf(out + k, room - k, "%s%s", n ? "," : "",
				      a);
		n++;
	}
	if (n == 0)
		snprintf(out + k, room - k, "-");
}

static struct quorum_agent *agent_find(struct quorum *q,
				       const struct dfo_addr *a)
{
	for (size_t i = 0; i < q->nagents; i++)
		if (dfo_addr_equal(&q->agents[i].addr, a))
			return &q->agents[i];
	return NULL;
}

static int agent_cmp(const void *x, const void *y)
{
	const struct quorum_agent *a = x, *b = y;
	return dfo_addr_cmp(&a->addr, &b->addr);
}

/* Fold a read of the state into the table of agents.  `own` collects
 * the records of this agent's address that are not q->mine (left by a
 * previous run); *mine_there tells if q->mine was read. */
static int fold_read(struct pool_state *ps, const struct dfo_txtset *set,
		     const char **own, bool *mine_there, double now)
{
	struct quorum *q = ps->quorum;
	char a[DFO_ADDR_STRLEN];
	*own = NULL;
	*mine_there = false;
	for (size_t i = 0; i < q->nagents; i++)
		q->agents[i].present = false;
	for (size_t i = 0; i < set->count; i++) {
		struct quorum_agent rec;
		memset(&rec, 0, sizeof(rec));
		if (parse_record(set->texts[i], ps->pool->family, &rec) < 0)
			continue; /* not ours to judge */
		if (dfo_addr_equal(&rec.addr, &ps->own)) {
			if (strcmp(set->texts[i], q->mine) == 0)
				*mine_there = true;
			else if (!*own)
				*own = set->texts[i];
			continue;
		}
		struct quorum_agent *ag = agent_find(q, &rec.addr);
		if (ag && ag->present) {
			/* two records of one agent (a change in flight at a
			 * provider without atomic changes): keep the later */
			if (strcmp(set->texts[i], ag->text) < 0)
				continue;
		}
		if (!ag) {
			struct quorum_agent *na = realloc(
				q->agents, (q->nagents + 1) * sizeof(*na));
			if (!na)
				return -ENOMEM;
			q->agents = na;
			ag = &q->agents[q->nagents++];
			memset(ag, 0, sizeof(*ag));
			ag->changed = now;
			dfo_log(DFO_LOG_INFO, "pool %s: agent %s seen in %s",
				ps->name, fmt(&rec.addr, a),
				ps->pool->state_name);
		} else if (strcmp(ag->text, set->texts[i]) != 0) {
			ag->changed = now;
		}
		double changed = ag->changed;
		bool live = ag->live;
		*ag = rec;
		ag->changed = changed;
		ag->live = live;
		ag->present = true;
		snprintf(ag->text, sizeof(ag->text), "%s", set->texts[i]);
	}
	/* Liveness; agents gone from the records and not live are
	 * forgotten. */
	size_t k = 0;
	for (size_t i = 0; i < q->nagents; i++) {
		struct quorum_agent *ag = &q->agents[i];
		bool live = now - ag->changed <= q->window;
		if (ag->live && !live)
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: agent %s is not live "
				"(its state record unchanged for "
				"%.1f s)",
				ps->name, fmt(&ag->addr, a), now - ag->changed);
		else if (!ag->live && live && ag->changed < now)
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: agent %s is live again", ps->name,
				fmt(&ag->addr, a));
		ag->live = live;
		if (ag->present || live)
			q->agents[k++] = *ag;
	}
	q->nagents = k;
	if (k > 1) /* agents is NULL while none was ever seen */
		qsort(q->agents, k, sizeof(*q->agents), agent_cmp);
	return 0;
}

/* ---- state operations ---- */

static int state_change(struct pool_state *ps, const char *del, const char *add,
			const struct dfo_txtset *expected, struct dfo_err *e)
{
	const struct dfo_pool *p = ps->pool;
	int rc = round_pace(ps, e);
	if (rc == 0)
		rc = dfo_inst_dns(p->dns)->state_change(
			p->dns->state, p->state_name, del, add, expected,
			p->state_ttl, e);
	ps->quorum->writes++;
	return rc;
}

static void state_error(struct pool_state *ps, const char *what,
			const struct dfo_err *e, int rc)
{
	struct quorum *q = ps->quorum;
	bool first = !q->error[0];
	snprintf(q->error, sizeof(q->error), "%s %s: %s", what,
		 ps->pool->state_name, e->msg[0] ? e->msg : strerror(-rc));
	dfo_log(first ? DFO_LOG_WARNING : DFO_LOG_INFO,
		"pool %s: %s; no eviction this round", ps->name, q->error);
}

/* Write this agent's record (or only remove a leftover one): one change
 * per round at most.  0, DFO_ESTALE or negative (logged). */
static int publish(struct pool_state *ps, const struct dfo_txtset *set,
		   const char *view, const char *leftover, bool mine_there,
		   bool due, double now)
{
	struct quorum *q = ps->quorum;
	bool write = due || !mine_there || strcmp(view, q->view) != 0;
	const char *del = mine_there ? q->mine : leftover;
	if (!write && !leftover)
		return 1; /* nothing to do */
	char text[DFO_TXT_MAX + 80], a[DFO_ADDR_STRLEN];
	if (write) {
		unsigned long seq = (unsigned long)time(NULL);
		q->seq = seq > q->seq ? seq : q->seq + 1;
		snprintf(text, sizeof(text), "dfo1 %s %lu %s", fmt(&ps->own, a),
			 q->seq, view);
		if (strlen(text) > DFO_TXT_MAX) /* make_view leaves room */
			return -EOVERFLOW;
	} else {
		del = leftover;
	}
	struct dfo_err e;
	dfo_err_clear(&e);
	int rc = state_change(ps, del, write ? text : NULL, set, &e);
	if (rc == DFO_ESTALE) {
		/* Another agent wrote between the read and this write (a
		 * provider that replaces the whole set, as Route 53).  This
		 * change touches only this agent's own record, so it does not
		 * depend on theirs: again at once, unconditionally (the
		 * provider re-reads, bounded).  Waiting for the next round
		 * instead starved an agent whose rounds ran in step with two
		 * others': it lost 20 rounds running on Route 53. */
		dfo_err_clear(&e);
		rc = state_change(ps, del, write ? text : NULL, NULL, &e);
	}
	if (rc == DFO_ESTALE) {
		dfo_log(DFO_LOG_INFO,
			"pool %s: %s changed while writing; next "
			"round",
			ps->name, ps->pool->state_name);
		return rc;
	}
	if (rc < 0) {
		state_error(ps, "cannot write", &e, rc);
		return rc;
	}
	if (write) {
		snprintf(q->mine, sizeof(q->mine), "%s", text);
		snprintf(q->view, sizeof(q->view), "%s", view);
		q->last_write = now;
	}
	return 0;
}

/* Remove the record of one agent not live for two windows. */
static int sweep(struct pool_state *ps, const struct dfo_txtset *set,
		 double now)
{
	struct quorum *q = ps->quorum;
	for (size_t i = 0; i < q->nagents; i++) {
		struct quorum_agent *ag = &q->agents[i];
		if (!ag->present || now - ag->changed <= 2 * q->window)
			continue;
		char a[DFO_ADDR_STRLEN];
		struct dfo_err e;
		dfo_err_clear(&e);
		int rc = state_change(ps, ag->text, NULL, set, &e);
		if (rc == 0) {
			dfo_log(DFO_LOG_NOTICE,
				"pool %s: removed the state "
				"record of agent %s (not live "
				"for %.0f s)",
				ps->name, fmt(&ag->addr, a), now - ag->changed);
			ag->present = false;
		} else if (rc != DFO_ESTALE) {
			state_error(ps, "cannot remove a stale record of", &e,
				    rc);
		}
		return rc;
	}
	return 0;
}

/* ---- votes ---- */

static bool sees_down(const struct quorum_agent *ag, const struct dfo_addr *a)
{
	for (size_t i = 0; i < ag->ndowns; i++)
		if (dfo_addr_equal(&ag->downs[i], a))
			return true;
	return false;
}

static void count_votes(struct pool_state *ps, bool self_ok, double now)
{
	struct quorum *q = ps->quorum;
	unsigned live = self_ok ? 1 : 0;
	for (size_t i = 0; i < q->nagents; i++)
		live += q->agents[i].live && q->agents[i].self_ok;
	q->live = live;
	size_t outvoted = 0;
	const struct peer_state *first = NULL;
	for (size_t i = 0; i < ps->npeers; i++) {
		struct peer_state *pe = &ps->peers[i];
		bool mine = self_ok && pe->fails >= ps->pool->fall;
		unsigned v = mine ? 1 : 0;
		for (size_t k = 0; k < q->nagents; k++)
			v += q->agents[k].live && q->agents[k].self_ok &&
			     sees_down(&q->agents[k], &pe->addr);
		pe->votes = v;
		pe->voters = live;
		if (!self_ok)
			continue; /* not judging: outvoted or not stays */
		if (!mine || 2 * v > live) {
			pe->disagree_since = 0;
			continue;
		}
		if (!(pe->disagree_since > 0))
			pe->disagree_since = now;
		if (now - pe->disagree_since >= 2 * q->window) {
			if (!first)
				first = pe;
			outvoted++;
		}
	}
	char a[DFO_ADDR_STRLEN];
	if (!self_ok)
		return;
	if (outvoted && !q->outvoted)
		dfo_log(DFO_LOG_NOTICE,
			"pool %s: outvoted: %zu peer(s) failing here are up "
			"for the majority (%s: %u of %u live agents see it "
			"failing); not evicting them",
			ps->name, outvoted, fmt(&first->addr, a), first->votes,
			first->voters);
	else if (!outvoted && q->outvoted)
		dfo_log(DFO_LOG_NOTICE, "pool %s: no longer outvoted",
			ps->name);
	q->outvoted = outvoted > 0;
}

/* ---- metrics ---- */

static struct dfo_metric *qmetric(enum dfo_metric_type type, const char *name,
				  const char *help, const char *pool,
				  const struct dfo_addr *peer)
{
	/* pool names are config titles: escape \ and " for the label */
	char labels[256] = "pool=\"", a[DFO_ADDR_STRLEN];
	size_t k = strlen(labels);
	for (const char *c = pool; *c && k + 4 < sizeof(labels) - 64; c++) {
		if (*c == '\\' || *c == '"')
			labels[k++] = '\\';
		labels[k++] = *c == '\n' ? ' ' : *c;
	}
	labels[k] = '\0';
	if (peer)
		snprintf(labels + k, sizeof(labels) - k, "\",peer=\"%s\"",
			 fmt(peer, a));
	else
		snprintf(labels + k, sizeof(labels) - k, "\"");
	return dfo_metric_register(type, name, help, labels);
}

static void metrics(const struct pool_state *ps)
{
	const struct quorum *q = ps->quorum;
	dfo_metric_set(qmetric(DFO_METRIC_GAUGE,
			       "dnsfailover_quorum_live_agents",
			       "Live agents whose own check passes (voters), "
			       "this one included, by pool.",
			       ps->name, NULL),
		       q->live);
	dfo_metric_set(qmetric(DFO_METRIC_GAUGE, "dnsfailover_quorum_outvoted",
			       "1 while peers failing here are up for the "
			       "majority, by pool.",
			       ps->name, NULL),
		       q->outvoted);
	dfo_metric_set(qmetric(DFO_METRIC_GAUGE,
			       "dnsfailover_quorum_state_calls",
			       "Calls of the dns provider's state operations "
			       "(reads and writes), by pool.",
			       ps->name, NULL),
		       (double)(q->reads + q->writes));
	for (size_t i = 0; i < ps->npeers; i++)
		dfo_metric_set(qmetric(DFO_METRIC_GAUGE,
				       "dnsfailover_peer_down_votes",
				       "Live agents that see the peer failing "
				       "(fall rounds), by pool and peer.",
				       ps->name, &ps->peers[i].addr),
			       ps->peers[i].votes);
}

/* Whether the last read showed the record of an agent not live for two
 * windows (sweep() removes it). */
static bool sweep_pending(const struct quorum *q, double now)
{
	for (size_t i = 0; i < q->nagents; i++)
		if (q->agents[i].present &&
		    now - q->agents[i].changed > 2 * q->window)
			return true;
	return false;
}

/* Does any peer need a vote this round?  One that failed `fall` rounds
 * here, unless the majority has held it up for a heartbeat or 3 rounds
 * already (the others, if they saw it fail too, would have written so by
 * then): that one is counted again with the heartbeat's read, not every
 * round, or an agent blind to its peers would read the state every round
 * for as long as its blindness lasts (at interval 1, 60 more API
 * requests a minute on Route 53).  Rounds without a read evict nobody
 * (votes unknown). */
static bool vote_needed(const struct pool_state *ps, bool self_ok, double now)
{
	const struct quorum *q = ps->quorum;
	double hold = ps->pool->heartbeat;
	if (q->period > 0 && 3 * q->period < hold)
		hold = 3 * q->period;
	for (size_t i = 0; self_ok && i < ps->npeers; i++) {
		const struct peer_state *pe = &ps->peers[i];
		if (pe->fails >= ps->pool->fall &&
		    !(pe->disagree_since > 0 &&
		      now - pe->disagree_since >= hold))
			return true;
	}
	return false;
}

void quorum_round(struct pool_state *ps, bool self_ok)
{
	const struct dfo_pool *p = ps->pool;
	if (!quorum_enabled(p)) {
		quorum_free(ps->quorum);
		ps->quorum = NULL;
		for (size_t i = 0; i < ps->npeers; i++)
			ps->peers[i].votes = ps->peers[i].voters = 0;
		return;
	}
	if (!ps->quorum && !(ps->quorum = calloc(1, sizeof(*ps->quorum)))) {
		dfo_log(DFO_LOG_ERR, "pool %s: out of memory", ps->name);
		return;
	}
	struct quorum *q = ps->quorum;
	double now = dfo_now();
	if (q->last_round > 0 && now - q->last_round < 3600)
		q->period = now - q->last_round;
	q->last_round = now;
	double beat = p->heartbeat > q->period ? p->heartbeat : q->period;
	q->window = 3 * beat;
	q->valid = false;

	char view[DFO_TXT_MAX + 1];
	make_view(ps, self_ok, view);
	bool need = vote_needed(ps, self_ok, now);
	bool due = !(q->last_write > 0) ||
		   now - q->last_write >= p->heartbeat * 0.95;
	if (!need && !due && strcmp(view, q->view) == 0 &&
	    now - q->last_read < p->heartbeat * 0.95 && !sweep_pending(q, now))
		return;

	struct dfo_txtset set;
	dfo_txtset_init(&set);
	struct dfo_err e;
	dfo_err_clear(&e);
	int rc = round_pace(ps, &e);
	if (rc == 0)
		rc = dfo_inst_dns(p->dns)->state_list(p->dns->state,
						      p->state_name, &set, &e);
	q->reads++;
	if (rc < 0) {
		state_error(ps, "cannot read", &e, rc);
		dfo_txtset_clear(&set);
		return;
	}
	q->last_read = now;
	const char *leftover;
	bool mine_there;
	if (fold_read(ps, &set, &leftover, &mine_there, now) < 0) {
		dfo_log(DFO_LOG_ERR, "pool %s: out of memory", ps->name);
		dfo_txtset_clear(&set);
		return;
	}
	/* One change per round: a heartbeat that is only due waits a round
	 * for a sweep, never past 2 heartbeats (an agent is live for 3), so
	 * that stale records go also when every round writes. */
	if (due && q->last_write > 0 &&
	    now - q->last_write < 2 * p->heartbeat && sweep_pending(q, now))
		due = false;
	rc = publish(ps, &set, view, leftover, mine_there, due, now);
	if (rc == 1)
		rc = sweep(ps, &set, now);
	dfo_txtset_clear(&set);
	if (rc < 0 && rc != DFO_ESTALE)
		return; /* votes unknown */
	if (q->error[0]) {
		dfo_log(DFO_LOG_NOTICE, "pool %s: %s answers again", ps->name,
			p->state_name);
		q->error[0] = '\0';
	}
	count_votes(ps, self_ok, now);
	q->valid = true;
	metrics(ps);
}

bool quorum_agrees(const struct pool_state *ps, const struct peer_state *pe)
{
	if (!quorum_enabled(ps->pool))
		return true;
	const struct quorum *q = ps->quorum;
	return q && q->valid && 2 * pe->votes > pe->voters;
}

bool quorum_voted_out(struct pool_state *ps)
{
	struct quorum *q = ps->quorum;
	if (!quorum_enabled(ps->pool) || !q)
		return false;
	unsigned v = 0, live = 1;
	for (size_t i = 0; i < q->nagents; i++) {
		const struct quorum_agent *ag = &q->agents[i];
		if (!ag->live || !ag->self_ok)
			continue;
		live++;
		v += sees_down(ag, &ps->own);
	}
	bool out = 2 * v > live;
	char a[DFO_ADDR_STRLEN];
	if (out && !q->voted_out_logged)
		dfo_log(DFO_LOG_NOTICE,
			"pool %s: %u of %u live agents see %s "
			"failing: not rejoining until they see "
			"it pass",
			ps->name, v, live, fmt(&ps->own, a));
	q->voted_out_logged = out;
	return out;
}

void quorum_status(FILE *f, const struct pool_state *ps,
		   void (*put_str)(FILE *f, const char *s))
{
	const struct dfo_pool *p = ps->pool;
	const struct quorum *q = ps->quorum;
	if (!p || !quorum_enabled(p)) {
		fputs("null", f);
		return;
	}
	char a[DFO_ADDR_STRLEN];
	double now = dfo_now();
	/* the state name is a valid DNS name: no escaping needed */
	fprintf(f,
		"{\"state_name\": \"%s\", \"heartbeat\": %g, "
		"\"window\": %.3f, \"live\": %u, \"valid\": %s, "
		"\"outvoted\": %s, \"reads\": %lu, \"writes\": %lu, "
		"\"agents\": [",
		p->state_name, p->heartbeat, q ? q->window : 0.0,
		q ? q->live : 0, q && q->valid ? "true" : "false",
		q && q->outvoted ? "true" : "false", q ? q->reads : 0,
		q ? q->writes : 0);
	for (size_t i = 0; q && i < q->nagents; i++) {
		const struct quorum_agent *ag = &q->agents[i];
		fprintf(f,
			"%s{\"addr\": \"%s\", \"live\": %s, \"self\": "
			"\"%s\", \"age\": %.3f, \"downs\": [",
			i ? ", " : "", fmt(&ag->addr, a),
			ag->live ? "true" : "false",
			ag->self_ok ? "passing" : "failing", now - ag->changed);
		for (size_t k = 0; k < ag->ndowns; k++)
			fprintf(f, "%s\"%s\"", k ? ", " : "",
				fmt(&ag->downs[k], a));
		fputs("]}", f);
	}
	fputs("], \"error\": ", f);
	put_str(f, q ? q->error : "");
	fputc('}', f);
}
