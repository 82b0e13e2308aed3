/*
 * dnsfailover plugin ABI, version 2.
 *
 * A module is a shared object (libtool module) that exports exactly one
 * symbol, `dfo_module`, declared with DFO_MODULE().  The core loads every
 * module of its plugin directory at start-up, checks `abi` against
 * DFO_PLUGIN_ABI (a mismatch is refused with a message naming the file),
 * then calls `init`, which registers providers of any of the five kinds
 * with the dfo_register_*() functions below.
 *
 * A provider is a const table: its own size, a name, a one-line
 * description, its libconfuse options (the body of its section in the
 * config) and the operations of its kind.  The core assembles the config
 * schema from all registered providers, so a provider's options appear in
 * the config as
 *
 *     check "web" { http { port = 8080 path = "/healthz" } }
 *
 * where "check" is the kind, "web" the instance title, "http" the
 * provider.
 *
 * Growing tables.  Every table starts with `size`, which the module sets
 * to sizeof its table type as it was built (`.size = sizeof(struct
 * dfo_dns_provider)`).  Operations are only ever appended at the end of a
 * table; the core treats an operation that lies beyond a table's `size`
 * as absent (NULL), so a module built against an older header of the same
 * ABI keeps loading.  Removing or reordering fields bumps DFO_PLUGIN_ABI.
 *
 * Lifecycle of an instance (one titled section):
 *  - create() parses and validates its section, and only that.  It runs
 *    in `dnsfailover -t`, in the child that checks a new config, in
 *    `--try` and in the agent, so it opens no socket, starts no thread,
 *    contacts no network and writes no file.
 *  - start() (optional) runs once, in the process that uses the instance,
 *    before its first operation: in the agent for dns, ipsource, check
 *    and timer instances (checks are then forked from it), in `--try`,
 *    and for a responder in its own child process, as the user the agent
 *    runs as (root, if it was started as root), before run().  Zone
 *    lookups, sockets, connections belong here.  A failing start() makes
 *    that instance's round fail (backed off, retried next round); it
 *    never counts against a peer.
 *  - stop() (optional) undoes a successful start(); destroy() releases
 *    what create() made.  Both run in the process that called the
 *    previous step.
 *
 * Rules for every operation:
 *  - return 0 on success, a negative errno value on failure, and describe
 *    the failure in `err` (dfo_err_set()); the core logs it.  A message
 *    never holds a secret (key, password, token);
 *  - never exit(), never write to stdout; log with dfo_log();
 *  - never sleep without a bound: network calls use the core's http helper
 *    (http.h) or their own timeouts, and a wait longer than 100 ms (a
 *    server that does not answer, a lock, a retry delay) asks
 *    dfo_stopping() (util.h) at least every 100 ms and gives up with
 *    -EINTR, so that SIGTERM takes effect within a second; the http helper
 *    does this itself.  Checks are the exception: they run in a child
 *    process that the core kills at the deadline;
 *  - the agent is single-threaded and calls every dns, ipsource, check
 *    and timer operation from its main thread.  Only a responder may
 *    start threads, inside its own process; the core functions it may
 *    call from them are the thread-safe ones: dfo_log(), dfo_err_*(),
 *    the metrics of metrics.h, and an AWS client used by one thread at a
 *    time (aws.h: dfo_aws_clone()).
 *
 * Ownership: provider tables are owned by the module and must stay valid
 * while it is loaded (make them static const).  Strings passed to
 * operations are owned by the caller and valid only for the call.  The
 * state made by create() belongs to the instance until destroy().
 */
#ifndef DNSFAILOVER_PLUGIN_H
#define DNSFAILOVER_PLUGIN_H

#include <confuse.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <dnsfailover/addr.h>
#include <dnsfailover/log.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct or function of this header changes. */
#define DFO_PLUGIN_ABI 2

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/* An error code (negative errno) and a human message. */
struct dfo_err {
	int code;
	char msg[256];
};

/* Fill `err` (may be NULL) and return `code`, which should be negative. */
int dfo_err_set(struct dfo_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Clear an error before use. */
void dfo_err_clear(struct dfo_err *err);

/* Returned by dns operations whose compare-and-set failed: the records
 * are no longer the ones that were read.  Not an error: re-read later. */
#define DFO_ESTALE (-ESTALE)

/* Returned by a dns del() that would remove the last record of a name
 * (of its family): every dns provider refuses it, unconditional or not,
 * read at the service just before (or atomically with) the change, so
 * that two agents each taking the other for dead cannot empty the name.
 * Nothing is changed. */
#define DFO_ELAST (-EBUSY)

/* ------------------------------------------------------------------ */
/* Kinds                                                               */

enum dfo_kind {
	DFO_KIND_DNS = 0,
	DFO_KIND_IPSOURCE,
	DFO_KIND_CHECK,
	DFO_KIND_TIMER,
	DFO_KIND_RESPONDER,
	DFO_KIND_COUNT
};

/* "dns", "ipsource", "check", "timer", "responder"; NULL if out of range */
const char *dfo_kind_name(enum dfo_kind kind);

/* Fields every provider table starts with. */
#define DFO_PROVIDER_HEADER                                                    \
	size_t size;		 /* sizeof the table type at build time */     \
	const char *name;	 /* e.g. "http"; unique within its kind */     \
	const char *description; /* one line, for --list-plugins */            \
	cfg_opt_t *options;	 /* CFG_END()-terminated; may be NULL */       \
	/* Build an instance from its parsed section; validation only (see     \
	 * the lifecycle above).  `instance` is the title ("web"), for         \
	 * messages.  Store anything in *state. */                             \
	int (*create)(const char *instance, cfg_t *sec, void **state,          \
		      struct dfo_err *err);                                    \
	/* Release what create() made; state may be NULL. */                   \
	void (*destroy)(void *state);                                          \
	/* Optional: acquire what the instance needs to work (network,         \
	 * sockets), in the process that uses it, before its first             \
	 * operation.  0 or negative with err. */                              \
	int (*start)(void *state, struct dfo_err *err);                        \
	/* Optional: release what start() acquired. */                         \
	void (*stop)(void *state)

/* The common head of every provider table; the core reads any table
 * through it. */
struct dfo_provider {
	DFO_PROVIDER_HEADER;
};

/* ------------------------------------------------------------------ */
/* dns: records of a name at a DNS service                             */

/* The addresses of one name and one family (A or AAAA). */
struct dfo_rrset {
	int family;   /* AF_INET (A) or AF_INET6 (AAAA) */
	uint32_t ttl; /* 0 when unknown */
	size_t count;
	size_t cap;
	struct dfo_addr *addrs;
};

void dfo_rrset_init(struct dfo_rrset *set, int family);
/* Append a copy of addr (duplicates ignored).  0 or -ENOMEM. */
int dfo_rrset_add(struct dfo_rrset *set, const struct dfo_addr *addr);
/* Remove addr if present; returns true if it was there. */
bool dfo_rrset_remove(struct dfo_rrset *set, const struct dfo_addr *addr);
bool dfo_rrset_contains(const struct dfo_rrset *set,
			const struct dfo_addr *addr);
/* Sort numerically (dfo_addr_cmp). */
void dfo_rrset_sort(struct dfo_rrset *set);
/* Same addresses, in any order (ttl ignored). */
bool dfo_rrset_same(const struct dfo_rrset *a, const struct dfo_rrset *b);
/* Deep copy; dst must be initialised. 0 or -ENOMEM. */
int dfo_rrset_copy(struct dfo_rrset *dst, const struct dfo_rrset *src);
/* Free the array; the set is empty and reusable afterwards. */
void dfo_rrset_clear(struct dfo_rrset *set);

/* State records (quorum eviction).  The agents of a pool share what each
 * sees in TXT records at a name beside the pool's (by default
 * "_dfo.<first fqdn>"), one record per agent.  A record's text is
 * printable ASCII (0x20..0x7e), 1 to DFO_TXT_MAX bytes, one TXT
 * character-string: providers store and return it as it is. */
#define DFO_TXT_MAX 255

/* A set of texts (TXT records of one name). */
struct dfo_txtset {
	uint32_t ttl; /* 0 when unknown */
	size_t count;
	size_t cap;
	char **texts;
};

void dfo_txtset_init(struct dfo_txtset *set);
/* Append a copy of `text` (duplicates ignored).  0, -ENOMEM, or -EINVAL
 * if it is not a valid state text (see above). */
int dfo_txtset_add(struct dfo_txtset *set, const char *text);
bool dfo_txtset_contains(const struct dfo_txtset *set, const char *text);
/* Same texts, in any order (ttl ignored). */
bool dfo_txtset_same(const struct dfo_txtset *a, const struct dfo_txtset *b);
/* Is `text` a valid state text (printable ASCII, 1..DFO_TXT_MAX)? */
bool dfo_txt_valid(const char *text);
/* Free the texts; the set is empty and reusable afterwards. */
void dfo_txtset_clear(struct dfo_txtset *set);

/* del()/add() honour `expected` as a compare-and-set: the change is
 * made only if the records are still exactly `expected`, atomically at
 * the service, else DFO_ESTALE.  A provider without this flag is only as
 * safe as the agent's re-read: before a delete the agent lists the
 * records again and gives up if they differ from the round's read, which
 * leaves a short window in which two agents may each delete a record. */
#define DFO_DNS_CAS 0x1u

/* How many times an unconditional change (expected NULL: an operator's
 * --try) reads and writes while other writers keep coming first. */
#define DFO_CAS_TRIES 3

/*
 * The retry of a compare-and-set (src/lib/cas.c), for a provider's
 * add/del/state_change: attempt(ctx, err) reads the set (unless the
 * caller's expected one is used) and writes against it.  Once when
 * `conditional` (the caller's set went stale: DFO_ESTALE is the answer);
 * else again while it returns DFO_ESTALE, DFO_CAS_TRIES times at most.
 * The last attempt's result.
 */
int dfo_cas_retry(bool conditional,
		  int (*attempt)(void *ctx, struct dfo_err *err), void *ctx,
		  struct dfo_err *err);

/* What a provider gives dfo_dns_cas_change(). */
struct dfo_dns_cas {
	/* Read the name's records of out->family (out initialised and
	 * empty) afresh, their TTL included. */
	int (*read)(void *ctx, struct dfo_rrset *out, struct dfo_err *err);
	/* Add (or delete) the address, atomically at the service, if the
	 * records are still exactly `old` (as read, or the caller's expected
	 * set; empty: none); else DFO_ESTALE, nothing changed. */
	int (*write)(void *ctx, const struct dfo_rrset *old,
		     struct dfo_err *err);
	void *ctx;
};

/*
 * add() or del() of `addr` at `fqdn` as a compare-and-set: against
 * `expected`, or (NULL) against a fresh cas->read, retried as
 * dfo_cas_retry() says.  Nothing written when the set already has (add)
 * or lacks (del) the address: 0.  A delete that would empty the set:
 * DFO_ELAST ("not deleting ADDR: it is the last A record of FQDN").
 */
int dfo_dns_cas_change(const struct dfo_dns_cas *cas, const char *fqdn,
		       bool add, const struct dfo_addr *addr,
		       const struct dfo_rrset *expected, struct dfo_err *err);

struct dfo_dns_provider {
	DFO_PROVIDER_HEADER;
	unsigned flags; /* DFO_DNS_* */
	/* Read the records of `fqdn` of out->family into `out` (initialised
	 * and empty).  A name with no records is success with count 0. */
	int (*list)(void *state, const char *fqdn, struct dfo_rrset *out,
		    struct dfo_err *err);
	/* Add `addr` to the records of `fqdn`.  `expected` is the set as
	 * last read (NULL: unconditional); with DFO_DNS_CAS, return
	 * DFO_ESTALE if the records changed since. */
	int (*add)(void *state, const char *fqdn, const struct dfo_addr *addr,
		   const struct dfo_rrset *expected, struct dfo_err *err);
	/* Remove `addr` from the records of `fqdn`, leaving the TTL and the
	 * other records untouched.  Same `expected` rule as add().  Never
	 * the last record: DFO_ELAST, nothing changed. */
	int (*del)(void *state, const char *fqdn, const struct dfo_addr *addr,
		   const struct dfo_rrset *expected, struct dfo_err *err);
	/* Optional (ABI 2): seconds the agent leaves between two calls of
	 * list/add/del to this instance, for a rate-limited API; <= 0:
	 * none. */
	double (*call_spacing)(void *state);
	/* Optional (ABI 2, appended): the TXT records of a pool's state
	 * name (quorum eviction; see "state records" above).  Both or
	 * neither: an instance without them keeps the old rule, each agent
	 * deciding alone.  Read every text of `name` into `out`
	 * (initialised and empty); no records is success with count 0. */
	int (*state_list)(void *state, const char *name, struct dfo_txtset *out,
			  struct dfo_err *err);
	/* In one atomic change: remove the record `del` (NULL: none; absent:
	 * nothing to remove) and add the record `add` (NULL: none) at
	 * `name`, with TTL `ttl`.  `expected` is the set as last read
	 * (NULL: unconditional, an operator's --try): a
	 * service that can only replace the whole set (one RRset, as Route
	 * 53) uses it as a compare-and-set and returns DFO_ESTALE if the
	 * set changed since; one that can change single records may ignore
	 * it, since an agent only ever changes its own record or removes
	 * one it read exactly. */
	int (*state_change)(void *state, const char *name, const char *del,
			    const char *add, const struct dfo_txtset *expected,
			    uint32_t ttl, struct dfo_err *err);
	/* Optional (ABI 2, appended): the zone whose names this instance
	 * edits (its `zone` option), from its config alone (it runs in
	 * `-t`); NULL: any name, or not known before start().  A pool's
	 * fqdn or state_name outside it (neither the apex nor under it) is
	 * a config error. */
	const char *(*zone)(void *state);
};

/* ------------------------------------------------------------------ */
/* ipsource: this host's own address                                   */

struct dfo_ipsource_provider {
	DFO_PROVIDER_HEADER;
	/* Find this host's address of `family` (AF_INET or AF_INET6). */
	int (*own_addr)(void *state, int family, struct dfo_addr *out,
			struct dfo_err *err);
	/* Optional (appended in ABI 2): the families this instance can
	 * ever give, as DFO_FAMILY_* bits, from its config alone (it runs
	 * in `-t`).  A pool of a family it cannot give is a config error.
	 * NULL: any family, found out when asked. */
	unsigned (*families)(void *state);
};

#define DFO_FAMILY_IPV4 0x1u
#define DFO_FAMILY_IPV6 0x2u

/* ------------------------------------------------------------------ */
/* check: is the server at an address healthy                          */

struct dfo_check_target {
	struct dfo_addr addr; /* the server to check */
	const char *fqdn; /* the pool's name (Host header, SNI); may be NULL */
	double timeout;	  /* seconds until the core kills the check */
};

struct dfo_check_provider {
	DFO_PROVIDER_HEADER;
	/* 0 if healthy; otherwise negative, with the reason in err.  Runs in
	 * a check process forked from the agent that the core kills at the
	 * deadline, so it need not enforce target->timeout itself (it may,
	 * to report a better reason).  The process is reused: it runs
	 * further checks (up to 1000, of any instance of the config it was
	 * forked under) after one that returned, so a check leaves it as it
	 * found it: what it allocates is freed, what it opens closed, what
	 * it forks reaped (a process left behind retires the check process
	 * and is killed).  `state` is the agent's as of the fork.
	 *
	 * -EAGAIN, -EMFILE, -ENFILE, -ENOMEM and -ENOBUFS mean "could not
	 * run here" (this host lacks a resource): the result is *unknown*
	 * and never counts against the target.  Every other negative value
	 * means the target is *unhealthy*, e.g. -ECONNREFUSED, -ETIMEDOUT,
	 * -EHOSTDOWN, -EPROTO, -EINVAL. */
	int (*check)(void *state, const struct dfo_check_target *target,
		     struct dfo_err *err);
};

/* ------------------------------------------------------------------ */
/* timer: when rounds run, how long a check may take                   */

struct dfo_timer_provider {
	DFO_PROVIDER_HEADER;
	/* Time of the next round of a pool, in CLOCK_MONOTONIC seconds,
	 * given the due time of its last round `last` (< 0 before its first
	 * round) and `now` (same clock).  Called once per pool at start and
	 * once after each of its rounds.  Several pools may share one
	 * instance: the schedule is the pool's (the core keeps `last`), so
	 * keep no schedule in `state`. */
	double (*next_round)(void *state, double last, double now);
	/* Seconds one check attempt may take. */
	double (*check_timeout)(void *state);
	/* Attempts per target and round (>= 1). */
	unsigned (*retries)(void *state);
};

/* ------------------------------------------------------------------ */
/* responder: a server supervised by the core                          */

/* What the core gives a running responder; opaque, owned by the core. */
struct dfo_responder_ctx;

/* A descriptor that becomes readable when the responder must stop (the
 * agent stops, or reloads with a changed section for it).  run() then
 * returns 0 within 1 s: poll it from the main thread, tell the threads
 * to stop and join them.  SIGTERM in the responder's process is caught
 * by the core and only makes this descriptor readable; do not change
 * SIGTERM's disposition.  Never read from or close it. */
int dfo_responder_stop_fd(const struct dfo_responder_ctx *ctx);

/* Report that the responder serves (its sockets are bound and it can
 * answer).  Call once, from any thread.  The core logs it and counts the
 * agent as ready (sd_notify READY=1) only once every responder is. */
void dfo_responder_ready(struct dfo_responder_ctx *ctx);

/* Report the responder's state for `dnsfailover --status`: how many
 * items its data holds (awsdns: instances), when it was last loaded
 * (seconds since the epoch; 0: not yet) and the last error loading it
 * ("" or NULL: none; no secret in it).  Call after each load or failed
 * refresh, from any one thread at a time. */
void dfo_responder_report(struct dfo_responder_ctx *ctx, size_t items,
			  double loaded_at, const char *error);

/* Drop root: switch to `user`'s uid, gid and supplementary groups, for
 * good, and drop every capability.  Bind privileged ports first, then
 * call this.  A process that is not root may only name its own user.  0
 * or negative with err. */
int dfo_drop_privileges(const char *user, struct dfo_err *err);

/* The same switch to `user`, keeping one capability, CAP_NET_BIND_SERVICE
 * (no other, and no way back to root): for a responder that must bind
 * its ports after work it should not do as root.  dfo_drop_privileges()
 * of the same user afterwards drops that capability too. */
int dfo_drop_privileges_keep_bind(const char *user, struct dfo_err *err);

/* Whether this process replaces one of the same instance that still
 * serves (a reload changed the instance's section): make before break.
 * The core stops the previous process once this one reports ready, and
 * keeps it serving if this one fails first.  A replacing responder
 * should bind its listening sockets and report ready only once it can
 * answer as fully as the one it replaces; it returns an error from run()
 * if it cannot. */
bool dfo_responder_replacing(const struct dfo_responder_ctx *ctx);

struct dfo_responder_provider {
	DFO_PROVIDER_HEADER;
	/* Serve until dfo_responder_stop_fd() becomes readable, then return
	 * 0.  Runs in its own child process after start(), where threads
	 * are allowed; the core restarts it with back-off if it returns an
	 * error, exits or dies.  On SIGHUP the agent compares the
	 * instance's section: unchanged, the process is left running;
	 * changed, it is stopped and a new one started. */
	int (*run)(void *state, struct dfo_responder_ctx *ctx,
		   struct dfo_err *err);
	/* Optional (appended to ABI 2): a command line of the provider's
	 * own, for a drop-in of the program the responder replaces.  The
	 * core calls it, before reading any config and with the plugins of
	 * the default plugin dir loaded, when the program runs under the
	 * provider's name (argv[0]'s base name is NAME: argv as given) or
	 * its first argument is `--NAME` or `--NAME-WORD` (argv from that
	 * argument on).  It returns an exit status or does not return (it
	 * may exec).  Unlike every other operation it may print to stdout
	 * and stderr: it is the program's command line. */
	int (*command)(int argc, char **argv);
};

/* ------------------------------------------------------------------ */
/* Registration                                                        */

struct dfo_registry; /* opaque, owned by the core */

/* Each returns 0, -EEXIST if the kind already has a provider of that
 * name, or -EINVAL if the table lacks a name or a required operation.
 * The table must outlive the module (static const). */
int dfo_register_dns(struct dfo_registry *reg,
		     const struct dfo_dns_provider *p);
int dfo_register_ipsource(struct dfo_registry *reg,
			  const struct dfo_ipsource_provider *p);
int dfo_register_check(struct dfo_registry *reg,
		       const struct dfo_check_provider *p);
int dfo_register_timer(struct dfo_registry *reg,
		       const struct dfo_timer_provider *p);
int dfo_register_responder(struct dfo_registry *reg,
			   const struct dfo_responder_provider *p);

/* The module descriptor, the one symbol a module exports. */
struct dfo_module {
	unsigned abi;	  /* DFO_PLUGIN_ABI at build time */
	const char *name; /* module name, for messages */
	/* Register providers.  0, or negative with err filled. */
	int (*init)(struct dfo_registry *reg, struct dfo_err *err);
};

#define DFO_MODULE_SYMBOL "dfo_module"

/* Declare a module:  DFO_MODULE("tcp", tcp_init); */
#define DFO_MODULE(NAME, INIT)                                                 \
	__attribute__((visibility("default")))                                 \
	const struct dfo_module dfo_module = {DFO_PLUGIN_ABI, (NAME), (INIT)}

#ifdef __cplusplus
}
#endif
#endif
