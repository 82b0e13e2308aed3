/*
 * Inside the engine: the state of each pool across rounds, the round
 * itself (round.c), the status file (status.c) and the responder
 * supervisor (supervisor.c).  Private to the dnsfailover program.
 */
#ifndef DFO_AGENT_H
#define DFO_AGENT_H

#include <poll.h>
#include <sys/types.h>

#include "core.h"

struct events;
struct ops;

/* When a rate-limited dns instance (by its state) was last called. */
struct pace {
	const void *state;
	double last; /* dfo_now() clock */
};

/*
 * What the engine's modules keep across rounds and reloads: one per
 * engine, owned by it (made in engine_new, freed in
 * engine_free) and reached by the round through each pool state's
 * `agent`.  No module keeps such state in a static of its own, so a
 * reload, or a failed one, leaves nothing pointing at a freed config.
 */
struct agent {
	struct events *events; /* events.c: notify programs running and
				* the config they read; NULL: none run */
	struct ops *ops;       /* ops.c: the /metrics server */
	struct pace *paces;    /* round.c: call_spacing, by instance;
				* grows as needed */
	size_t npaces, cappaces;
	/* The seam of the round's tests (tests/unit/round_test.c): what
	 * runs a round's batch of checks; NULL, as in the agent, is
	 * dfo_run_checks_opts (children with deadlines).  A replacement
	 * fills each job's result, latency and reason as it would. */
	int (*run_checks)(struct dfo_check_job *jobs, size_t n,
			  unsigned max_parallel, const struct dfo_run_opts *ro);
	struct dfo_check_pool *workers; /* runner.c: check processes kept
					 * for reuse (the rounds' run options
					 * name it too) */
};

/* Drop the paces of dns instances that `conf` no longer has (after a
 * reload: their state may be freed and its address reused). */
void agent_paces_prune(struct agent *ag, const struct dfo_config *conf);

/* What this agent knows of one peer address of a pool. */
struct peer_state {
	struct dfo_addr addr;
	unsigned fails;		    /* consecutive failed rounds */
	bool down;		    /* logged as down */
	bool seen;		    /* in some record set this round */
	unsigned votes;		    /* quorum: live agents that see it
				     * failing, this one included */
	unsigned voters;	    /* quorum: live agents; 0 if off */
	double disagree_since;	    /* quorum: failing here, not agreed
				     * since (dfo_now); 0: not so */
	enum dfo_check_result last; /* of the last round it was checked */
	double latency;		    /* seconds, of that check */
	char reason[256];
};

/* One FQDN of a pool. */
struct fqdn_state {
	char *name;		  /* owned */
	struct dfo_rrset records; /* as read this round (sorted), then as
				   * changed by this agent */
	bool listed;		  /* records are this round's */
	bool present;		  /* own address is in the records */
	bool joined;		  /* logged as joined */
	bool last_warned;	  /* "last record" logged */
	struct dfo_addr evicted;  /* last eviction by this agent */
	double evicted_at;	  /* wall clock; 0 if none */
};

/* A pool's state; survives reloads of a pool that keeps its name. */
struct pool_state {
	char *name;		     /* owned */
	const struct dfo_pool *pool; /* of the current config */
	struct agent *agent;	     /* the engine's; not owned */
	double due;		     /* next round, dfo_now() clock */
	double last_due;	     /* due time of the last round; < 0: none */
	bool scheduled;

	struct dfo_addr own;
	bool have_own;

	/* self */
	unsigned passes; /* consecutive passing self-checks */
	bool failing;	 /* logged as failing */
	bool withdrawn;	 /* withdrew or was evicted: needs rise */
	bool draining;	 /* the pool's drain_file exists */
	enum dfo_check_result self_last;
	double self_latency;
	char self_reason[256];

	struct fqdn_state *fq;
	size_t nfq;
	struct peer_state *peers; /* sorted by address */
	size_t npeers;

	/* errors of the dns or ipsource: back off */
	unsigned errors;	       /* consecutive failed rounds */
	unsigned skip;		       /* rounds still to sit out */
	char error[600];	       /* last error; empty if the last round
					* went through */
	bool round_failed;	       /* this round met an error */
	const struct dfo_run_opts *ro; /* of the round running, else NULL */

	struct quorum *quorum; /* quorum.c; NULL until its first round */

	unsigned long rounds;
	double round_wall;     /* wall clock start of the last round */
	double round_duration; /* seconds */
};

enum { ROUND_OK = 0, ROUND_EXIT, ROUND_INTERRUPTED };

/* Run one round of a pool, its checks watching `ro` (may be NULL).
 * Returns ROUND_EXIT if the agent must stop (on_self_failure = exit),
 * ROUND_INTERRUPTED if ro->interrupted() cut the checks short (nothing
 * was changed), else ROUND_OK. */
int round_run(struct pool_state *ps, const struct dfo_run_opts *ro,
	      unsigned max_parallel);

/* Wait as a rate-limited dns provider asks before calling it
 * (call_spacing).  0, or -EINTR with e set when the agent stops. */
int round_pace(struct pool_state *ps, struct dfo_err *e);

/* Remove this host's own records of the pool unless last (SIGTERM with
 * withdraw_on_exit). */
void round_withdraw_on_exit(struct pool_state *ps);

/* Free what a pool state owns, and the state's arrays. */
void pool_state_clear(struct pool_state *ps);

/* Write the status of every pool and every responder of `sup` (may be
 * NULL) to `path` with dfo_file_replace() (atomic, fsynced).  0 or
 * -errno. */
struct supervisor;
int status_write(const char *path, const struct pool_state *ps, size_t n,
		 const struct supervisor *sup);
/* "schema_version" of the status file: raised when a field changes
 * meaning or goes away (fields are only added within a version). */
#define STATUS_SCHEMA_VERSION 1

/* ---- responders ---- */

struct responder {
	struct dfo_instance *inst; /* of the current config */
	pid_t pid;		   /* 0 when not running */
	int pidfd;		   /* -1 when none */
	unsigned quick_deaths;	   /* consecutive deaths soon after start */
	double started;		   /* dfo_now() of the last start */
	double restart_at;	   /* when to start again; 0: not due */
	int ready_rd;		   /* readiness pipe from the child; -1 */
	bool ready;		   /* the child said it serves */
	char *text;		   /* its section, to compare on reload */
	/* Make before break: the process of the previous section of this
	 * instance, serving until this one is ready. */
	pid_t prev_pid; /* 0: none */
	int prev_pidfd;
	char *prev_text;
};

struct supervisor {
	struct responder *r;
	size_t n;
	int sigfd; /* closed in children */
};

/* Start every responder instance of `conf`.  0 or -ENOMEM. */
int supervisor_start(struct supervisor *s, struct dfo_config *conf, int sigfd);
/* SIGTERM each, SIGKILL what is left after a grace period, reap all. */
void supervisor_stop(struct supervisor *s);
/* Move to the responders of `conf`: one whose title and section text are
 * unchanged keeps its process; the others are stopped, and the new or
 * changed ones started.  0 or -ENOMEM (then nothing changed). */
int supervisor_reload(struct supervisor *s, struct dfo_config *conf);
/* Has every responder reported that it serves? (true when none) */
bool supervisor_all_ready(const struct supervisor *s);
/* Fill up to `max` pollfds (pidfds of running responders, readiness
 * pipes); returns how many. */
size_t supervisor_pollfds(const struct supervisor *s, struct pollfd *p,
			  size_t max);
/* Reap responders that died, schedule their restart with back-off, and
 * start those due. */
void supervisor_tick(struct supervisor *s);
/* dfo_now() time of the next restart; a large value if none. */
double supervisor_next(const struct supervisor *s);

#endif
