/*
 * Quorum eviction (quorum.c): a peer leaves DNS only when a strict
 * majority of the pool's live agents see it failing.  The agents share
 * their views in TXT records at the pool's state name, through the dns
 * provider's state operations.  Private to the dnsfailover program.
 */
#ifndef DFO_QUORUM_H
#define DFO_QUORUM_H

#include <stdio.h>

#include "agent.h"

#define QUORUM_MAX_DOWNS 32

/* Another agent of the pool, as its state record shows it. */
struct quorum_agent {
	struct dfo_addr addr;
	char text[DFO_TXT_MAX + 1]; /* its record as last read */
	double changed;		    /* dfo_now() when the record last
				     * changed here (first seen: then) */
	bool present;		    /* in the last read */
	bool live;		    /* changed within the window */
	bool self_ok;		    /* its own check passes */
	struct dfo_addr downs[QUORUM_MAX_DOWNS]; /* peers it sees failing */
	size_t ndowns;
};

struct quorum {
	struct quorum_agent *agents; /* sorted by address */
	size_t nagents;
	char mine[DFO_TXT_MAX + 1]; /* this agent's record as written */
	char view[DFO_TXT_MAX + 1]; /* its view part, as written */
	unsigned long seq;
	double last_read, last_write, last_round; /* dfo_now(); 0: never */
	double period;		     /* seconds between the pool's rounds */
	double window;		     /* an agent is live while its record
				      * changed within this many seconds */
	bool valid;		     /* votes of this round are known */
	unsigned live;		     /* live agents that judge, this one
				      * included (when valid) */
	bool outvoted;		     /* logged as outvoted */
	bool voted_out_logged;	     /* "not rejoining" logged */
	unsigned long reads, writes; /* state operations made */
	char error[300];	     /* last state error; "" if none */
};

/* Is quorum eviction in effect for the pool: the option, and a dns
 * provider with the state operations? */
bool quorum_enabled(const struct dfo_pool *p);

/* Why the pool is not partition-safe (an agent blinded alone evicts
 * healthy peers), or NULL if it is. */
const char *quorum_unsafe_why(const struct dfo_pool *p, char *buf, size_t len);

/* Warn (FILE:LINE: pool ...) of each pool of `c` that is not
 * partition-safe. */
void quorum_warnings(const struct dfo_config *c);

/* After the round's checks: read the state if due (every heartbeat, and
 * every round in which a peer has failed `fall` rounds, until the
 * majority has held it up for a heartbeat or 3 rounds), publish this
 * agent's view (self_ok: its own check passes; then its peers' counts
 * are this round's), count the votes.  A state error is logged; the
 * round's votes are then unknown and nothing is evicted. */
void quorum_round(struct pool_state *ps, bool self_ok);

/* May `pe` (failed `fall` rounds here) be evicted?  True when quorum is
 * off; false when this round's votes are unknown. */
bool quorum_agrees(const struct pool_state *ps, const struct peer_state *pe);

/* Does a strict majority of the live agents see this host failing? */
bool quorum_voted_out(struct pool_state *ps);

void quorum_free(struct quorum *q);

/* The "quorum" member of a pool in the status file (JSON). */
void quorum_status(FILE *f, const struct pool_state *ps,
		   void (*put_str)(FILE *f, const char *s));

#endif
