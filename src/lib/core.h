/*
 * Private interface of libdnsfailover, shared by the core library and the
 * dnsfailover program.  Plugins never include this (their CPPFLAGS only
 * reach include/).
 */
#ifndef DFO_CORE_H
#define DFO_CORE_H

#include <confuse.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <dnsfailover/dnsfailover.h>

/* ---- log ---- */

/* Threshold (DFO_LOG_*), syslog or stderr; ident used with syslog. */
void dfo_log_setup(int threshold, int use_syslog, const char *ident);
/* "error" .. "debug" to a level; -1 if unknown. */
int dfo_log_level_parse(const char *text);
const char *dfo_log_level_name(int level);
/* Length of the well-formed UTF-8 sequence at p (of `left` bytes): 1 for
 * ASCII, 2..4 for a multi-byte character; 0 if the bytes there are not
 * UTF-8 (a stray continuation byte, an overlong form, a surrogate, beyond
 * U+10FFFF, cut short).  *cp gets the code point when not NULL. */
size_t dfo_utf8_len(const unsigned char *p, size_t left, unsigned *cp);

/* "dns" etc. to enum dfo_kind; -1 if unknown. */
int dfo_kind_parse(const char *text);

/* ---- provider tables ---- */

/* Is the operation `field` inside the table as its module built it?  An
 * operation appended to a table type after the module was built lies
 * beyond the module's `size` and counts as absent. */
#define DFO_HAS(table, field)                                                  \
	((table)->size >= offsetof(__typeof__(*(table)), field) +              \
				  sizeof((table)->field) &&                    \
	 (table)->field != NULL)

/* ---- registry ---- */

/* One registered provider. */
struct dfo_entry {
	enum dfo_kind kind;
	const struct dfo_provider *prov; /* head of the kind's table */
	const void *ops;		 /* the whole table, of its kind */
	char *module;			 /* path of the module; owned */
};

struct dfo_registry *dfo_registry_new(void);
void dfo_registry_free(struct dfo_registry *reg);
/* Module path recorded on entries registered from now on (copied). */
void dfo_registry_set_module(struct dfo_registry *reg, const char *path);
/* Why the last dfo_register_*() call failed ("" if none did). */
const char *dfo_registry_why(const struct dfo_registry *reg);
size_t dfo_registry_count(const struct dfo_registry *reg);
/* The i-th entry in registration order. */
const struct dfo_entry *dfo_registry_at(const struct dfo_registry *reg,
					size_t i);
const struct dfo_entry *dfo_registry_find(const struct dfo_registry *reg,
					  enum dfo_kind kind, const char *name);

/* ---- loader (libltdl) ---- */

struct dfo_loader; /* the modules it opened */

/* Load every "*.so" of `dir` in name order and run its init with `reg`.
 * On the first failure returns negative with err naming the file and the
 * reason; modules loaded so far stay loaded (free the loader). */
int dfo_loader_load_dir(struct dfo_loader **loader, struct dfo_registry *reg,
			const char *dir, struct dfo_err *err);
/* Load the given module files (those already loaded are skipped), as
 * dfo_loader_load_dir() does. */
int dfo_loader_load_files(struct dfo_loader **loader, struct dfo_registry *reg,
			  char *const *paths, size_t n, struct dfo_err *err);
/* While a module is being opened or initialised, a crash (SIGSEGV,
 * SIGBUS, ...) names it on stderr and, if fd >= 0, writes "\1PATH\0" to
 * fd before the process dies of the signal. */
void dfo_loader_crash_fd(int fd);
/* Close the modules; their provider tables become invalid. */
void dfo_loader_free(struct dfo_loader *loader);

/* Load the modules of each directory of `dirs` (NULL-terminated) in turn,
 * as dfo_loader_load_dir() does; a provider name registered twice is an
 * error naming both modules.  An error if no directory holds a module.
 * dirs NULL: the default path, $DNSFAILOVER_PLUGIN_DIR (a ':'-separated
 * list) if set, else the stock directory then the drop-in directory
 * (skipped if it does not exist). */
int dfo_loader_load_path(struct dfo_loader **loader, struct dfo_registry *reg,
			 char *const *dirs, struct dfo_err *err);
void dfo_strv_free(char **v);

/* The plugin directory when no config says otherwise:
 * $DNSFAILOVER_PLUGIN_DIR, else the built-in one. */
const char *dfo_default_plugin_dir(void);

/* ---- configuration ---- */

enum dfo_self_failure { DFO_SELF_WITHDRAW = 0, DFO_SELF_EXIT };

/* A titled section of a kind, e.g. check "web" { http { ... } }. */
struct dfo_instance {
	enum dfo_kind kind;
	char *name;		       /* title */
	const struct dfo_entry *entry; /* its provider */
	void *state;		       /* from create() */
	cfg_t *sec;		       /* provider section (owned by cfg) */
	int line;		       /* where the instance starts */
	bool started;		       /* start() succeeded in this process */
};

/* Run the instance's start() in this process unless it already ran (or
 * the provider has none).  0, or negative with err naming the instance. */
int dfo_instance_start(struct dfo_instance *in, struct dfo_err *err);
/* Run stop() if start() succeeded in this process. */
void dfo_instance_stop(struct dfo_instance *in);
/* The text of the instance's provider section as the config has it,
 * malloc'd; two instances with the same text are configured alike.
 * NULL if out of memory. */
char *dfo_instance_text(const struct dfo_instance *in);

struct dfo_pool {
	char *name;
	char **fqdn;
	size_t nfqdn;
	struct dfo_instance *dns, *ipsource, *check, *timer;
	int family; /* AF_INET or AF_INET6 */
	enum dfo_self_failure on_self_failure;
	bool withdraw_on_exit;
	unsigned rise, fall;
	int line;
	/* operator controls (pointers into cfg) */
	const char **notify; /* program and arguments; NULL: the core's */
	size_t nnotify;
	const char *drain_file; /* NULL: none */
	/* quorum eviction */
	bool quorum;	    /* the option; the dns instance may
			     * still lack the state operations */
	double heartbeat;   /* seconds */
	char *state_name;   /* owned; "_dfo.<fqdn[0]>" by default */
	unsigned state_ttl; /* seconds */
};

struct dfo_config {
	char *file;
	cfg_t *cfg;
	char *plugin_dir;
	char *status_file; /* NULL: none */
	int log_level;	   /* DFO_LOG_* */
	unsigned max_parallel;
	char *metrics_listen; /* "ADDR:PORT"; NULL: no metrics */
	const char **notify;  /* program and arguments (pointers into
			       * cfg); NULL: none */
	size_t nnotify;
	double notify_timeout; /* seconds */
	double reload_timeout; /* seconds a reload's check may take */
	struct dfo_instance *inst;
	size_t ninst;
	struct dfo_pool *pools;
	size_t npools;
};

/* Read only `plugin_dir` from `file` (all else ignored): a string or a
 * list of them.  Returns a malloc'd NULL-terminated vector (free with
 * dfo_strv_free()), or NULL if the file sets none; *err is set and NULL
 * returned if the file cannot be read (check err->code). */
char **dfo_config_plugin_dir(const char *file, struct dfo_err *err);

/* Parse `file` against the schema of `reg`, check it and create every
 * instance.  On error returns negative; every problem found has been
 * reported through dfo_log() as "file:line: message" and err holds the
 * first.  If `create` is false, instances are checked but not created. */
int dfo_config_load(struct dfo_config **out, struct dfo_registry *reg,
		    const char *file, bool create, struct dfo_err *err);
/* The same on a text already read (by dfo_config_read(): at most 16 MiB,
 * NUL-terminated; `file` names it in messages).  Its global state is
 * the parse context of config.c and the default AWS client (under its
 * lock): one such load may run in a thread of its own while the main
 * thread goes on, never two loads at once. */
int dfo_config_load_text(struct dfo_config **out, struct dfo_registry *reg,
			 const char *file, const char *text, size_t len,
			 bool create, struct dfo_err *err);
char *dfo_config_read(const char *file, size_t *len, struct dfo_err *err);
void dfo_config_free(struct dfo_config *conf);

/* The instance `name` of `kind`, or NULL. */
struct dfo_instance *dfo_config_find(struct dfo_config *conf,
				     enum dfo_kind kind, const char *name);

/* Provider tables of an instance, by kind (NULL if the kind differs). */
static inline const struct dfo_dns_provider *
dfo_inst_dns(const struct dfo_instance *i)
{
	return i->kind == DFO_KIND_DNS ? i->entry->ops : NULL;
}
static inline const struct dfo_ipsource_provider *
dfo_inst_ipsource(const struct dfo_instance *i)
{
	return i->kind == DFO_KIND_IPSOURCE ? i->entry->ops : NULL;
}
static inline const struct dfo_check_provider *
dfo_inst_check(const struct dfo_instance *i)
{
	return i->kind == DFO_KIND_CHECK ? i->entry->ops : NULL;
}
static inline const struct dfo_timer_provider *
dfo_inst_timer(const struct dfo_instance *i)
{
	return i->kind == DFO_KIND_TIMER ? i->entry->ops : NULL;
}
static inline const struct dfo_responder_provider *
dfo_inst_responder(const struct dfo_instance *i)
{
	return i->kind == DFO_KIND_RESPONDER ? i->entry->ops : NULL;
}

/* ---- metrics ---- */

struct dfo_sbuf;

/* Make the metrics table in memory shared with the children forked
 * after this call (call it early in main).  0 or -ENOMEM. */
int dfo_metrics_init(void);
/* Append every registered metric in the Prometheus text format (0.0.4),
 * sorted by name, one HELP and TYPE line per name.  0 or -ENOMEM. */
int dfo_metrics_write(struct dfo_sbuf *out);

/* ---- listening addresses ---- */

/* "ADDR:PORT" or "[V6ADDR]:PORT" (a literal address, port 1..65535) to
 * a sockaddr; returns its length, or 0 if the text is not that. */
socklen_t dfo_listen_parse(const char *text, struct sockaddr_storage *ss);

/* ---- responders ---- */

/* The context of a responder's process (supervisor.c): made in the child
 * before start(), its stop descriptor readable once SIGTERM arrives. */
struct dfo_responder_ctx {
	int stop_fd;	/* read end of the stop pipe */
	int stop_wr;	/* write end, written by the SIGTERM handler */
	int ready_fd;	/* to the agent: one byte once ready; -1 after */
	bool replacing; /* the previous process of the instance serves */
	struct dfo_report *report; /* its slot of the shared table; NULL */
};

/* What a responder last reported (dfo_responder_report()), in a table
 * shared between the agent and the responders' processes (a seqlock:
 * odd seq while written). */
struct dfo_report {
	unsigned seq;
	char name[64]; /* the instance; "" for a free slot */
	bool reported;
	size_t items;
	double loaded_at;
	char error[256];
};

/* --status reads the config but signs nothing: accept an AWS key id
 * whose secret is not in this environment. */
void dfo_aws_keys_unchecked(bool on);

/* The table: made once by the agent before it forks responders.  0 or
 * -errno. */
int dfo_reports_init(void);
/* The slot of instance `name`, cleared (nothing reported yet): in the
 * responder's process as it starts.  NULL if there is no table or no
 * room. */
struct dfo_report *dfo_report_slot(const char *name);
/* A consistent copy of what `name` last reported; false if nothing. */
bool dfo_report_get(const char *name, struct dfo_report *out);

/* Make the stop pipe, catch SIGTERM into it, keep `ready_fd` (owned from
 * now on).  0 or -errno. */
int dfo_responder_ctx_init(struct dfo_responder_ctx *ctx, int ready_fd);

/* ---- processes ---- */

/* dfo_stopping() is true from dfo_now() == `when` on (HUGE_VAL: never,
 * but for a pending SIGTERM/SIGINT).  The engine sets it to now when it
 * reads SIGTERM, and to now + the withdraw bound for withdraw_on_exit. */
void dfo_stop_at(double when);

/* What children forked in a row need, found once in the parent: the
 * signals with a handler or ignored (reset in each child), and the
 * parent's pid. */
struct dfo_child_plan {
	sigset_t reset;
	pid_t parent;
};
void dfo_child_plan_init(struct dfo_child_plan *p);

/* In a child just forked from `parent`: a process group of its own,
 * `deathsig` when the parent dies (raised at once if it already has),
 * every signal back to its default (with a plan: those it names; NULL:
 * all, one system call each) and none blocked. */
void dfo_child_setup(const struct dfo_child_plan *plan, int deathsig,
		     pid_t parent);
/* SIGKILL the process group that `pid` leads, reap `pid` (its wait
 * status is returned) and, within 50 ms, the group's orphans that were
 * re-parented to this process. */
int dfo_child_kill_reap(pid_t pid);
/* Reap `pid` if it is gone, without waiting: 1 (its status in *status;
 * the group's orphans already gone reaped too), 0 if it is still there,
 * -ECHILD if it is not a child. */
int dfo_child_try_reap(pid_t pid, int *status);

/* Note which children are not this process's own: those it has now (a
 * shell's process substitution), and those in its process group.
 * dfo_children_sweep never kills them.  Called by main before it starts
 * any child; the first sweep or batch of checks calls it otherwise. */
void dfo_children_mine_init(void);

/* A pidfd for a child (readable once it exits), or -1 with errno set
 * where the kernel has none (callers then fall back on other signs). */
int dfo_pidfd_open(pid_t pid);

/* ---- check runner ---- */

enum dfo_check_result {
	DFO_CHECK_PENDING = 0,
	DFO_CHECK_HEALTHY,
	DFO_CHECK_FAILED,  /* the check said unhealthy */
	DFO_CHECK_TIMEOUT, /* killed at its deadline */
	DFO_CHECK_CRASHED, /* died of a signal or exited without a result */
	DFO_CHECK_UNKNOWN, /* could not be run, for a reason of this host:
			    * fork, pipe, out of descriptors or memory (in the
			    * runner or reported by the check), interrupted.
			    * Counts neither for nor against the target. */
};

const char *dfo_check_result_name(enum dfo_check_result r);

/* One target to check; the runner fills the results. */
struct dfo_check_job {
	/* in */
	const struct dfo_check_provider *prov;
	void *state;
	struct dfo_check_target target; /* target.timeout: per attempt */
	unsigned attempts;		/* >= 1 */
	bool early;			/* started before the others (a
					 * target that timed out last time:
					 * its deadline is the batch's
					 * longest wait) */
	/* out */
	enum dfo_check_result result; /* of the last attempt */
	unsigned tries;		      /* attempts made */
	double latency;		      /* seconds, of the last attempt */
	char reason[256];	      /* why it failed; empty if healthy */
};

/* Check processes kept for reuse across batches (runner.c): at most as
 * many as a batch runs at once; each runs at most `retire` checks.  The
 * jobs' provider and state pointers must be those of the memory the
 * workers were forked with: reset the pool whenever they change (a new
 * config, a check instance started), and before opening a listener that
 * replaces one a worker may hold.  Single-threaded, like the runner. */
struct dfo_check_pool;
struct dfo_check_pool *dfo_check_pool_new(unsigned retire);
/* Retire every idle worker: SIGKILL its group and reap it, waiting at
 * most 1 s in all (what is left then is dfo_children_sweep's). */
void dfo_check_pool_reset(struct dfo_check_pool *p);
/* Reset, then free.  NULL is allowed. */
void dfo_check_pool_free(struct dfo_check_pool *p);
/* Whether `pid` is an idle worker of the pool (a child of this process
 * that dfo_children_sweep must leave alone).  p may be NULL. */
bool dfo_check_pool_has(const struct dfo_check_pool *p, pid_t pid);
/* How many workers are idle. */
size_t dfo_check_pool_idle(const struct dfo_check_pool *p);
/* Fork idle workers, for `budget` seconds at most, until there are as
 * many as the last batches had busy at once: the workers that deadlines
 * killed are replaced between batches, not at the start of the next one.
 * Returns how many were forked.  p may be NULL. */
size_t dfo_check_pool_refill(struct dfo_check_pool *p, double budget);
/* Whether dfo_check_pool_refill has more to fork. */
bool dfo_check_pool_short(const struct dfo_check_pool *p);
/* Before the pool's first batch only: fork idle workers, for `budget`
 * seconds at most, until there are `want` (at most what the fd limit lets
 * a batch run at once), so that the first batch need not fork them; the
 * first batch's end retires those it did not use.  Returns how many were
 * forked; 0 once a batch has run.  p may be NULL. */
size_t dfo_check_pool_warm(struct dfo_check_pool *p, size_t want,
			   double budget);

/* What a batch of checks watches besides its children; any may be 0/NULL. */
struct dfo_run_opts {
	/* polled with the children; when readable, interrupted(arg) is
	 * called: true ends the batch at once (-1: nothing to watch) */
	int watch_fd;
	bool (*interrupted)(void *arg);
	/* children of this process that are not checks of this batch and
	 * must be left alone (responders, a config-checking child): true
	 * for those.  Every other child is an escaped or orphaned
	 * descendant of a check, and is killed and reaped. */
	bool (*tracked)(pid_t pid, void *arg);
	void *arg;
	/* workers to reuse, and to keep for the next batch; NULL: each
	 * attempt forks a process of its own that exits after it */
	struct dfo_check_pool *pool;
};

/* Run every job, each attempt in a forked check process leading its own
 * process group (an idle worker of opts->pool, else one forked for it),
 * at most `max_parallel` at once (fewer if RLIMIT_NOFILE allows fewer,
 * or if fork or socketpair fail for lack of processes or descriptors
 * while others run: the batch then goes on with as many as ran).  A
 * check process still running at its deadline is killed (SIGKILL to its
 * group) and reaped, and an attempt whose check returned after its
 * deadline is a timeout whatever it returned (one that returned before
 * it counts, even if this process reads its answer later).  A job stops
 * at its first healthy attempt; a failed one is retried at once until
 * `attempts`.  An attempt that could not run, or whose check reports a
 * local failure (-EAGAIN, -EMFILE, -ENFILE, -ENOMEM, -ENOBUFS), is
 * DFO_CHECK_UNKNOWN.  Each check process's group is SIGKILLed if this
 * process dies (PR_SET_PDEATHSIG).  The first call makes the process a
 * child subreaper (prctl); what a check leaves behind (orphans
 * re-parented here, even in another session) is killed and reaped
 * before the call returns; the pool's idle workers stay.  Returns 0;
 * -EINTR if opts->interrupted ended the batch (jobs not done are
 * UNKNOWN, "interrupted"); negative if nothing could be run at all.  The
 * caller must be single-threaded. */
int dfo_run_checks_opts(struct dfo_check_job *jobs, size_t n,
			unsigned max_parallel, const struct dfo_run_opts *opts);
/* The same with no options. */
int dfo_run_checks(struct dfo_check_job *jobs, size_t n, unsigned max_parallel);

/* Kill (SIGKILL, with its process group if it leads one) and reap every
 * child of this process that it started or that was re-parented to it
 * (not those of dfo_children_mine_init), for which tracked(pid, arg) is
 * not true (tracked may be NULL); waits at most ~50 ms for them, what is
 * left is reaped by a later call.  Returns how many were reaped. */
size_t dfo_children_sweep(bool (*tracked)(pid_t pid, void *arg), void *arg);

#endif
