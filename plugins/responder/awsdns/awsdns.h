/*
 * awsdns internals, shared by the files of the module (never installed,
 * never seen by the core).  The module is:
 *
 *   awsdns.c    the provider: options, start/stop, threads, refresh
 *   index.c     instances by name, by address, their extras; built off
 *               line, swapped whole through one atomic pointer
 *   wire.c      query parsing and answer writing, bounds-checked
 *   upstream.c  forwarding, the answer cache, RFC 2308 negative caching
 *   server.c    UDP (recvmmsg/sendmmsg, SO_REUSEPORT per thread) and TCP,
 *               forwarding (a socket of its own per upstream query)
 *   ini.c       the original awsdns's awsdns.ini, read and converted
 *   command.c   the awsdns command and --awsdns-ini (the provider's own
 *               command line)
 *   dnshdr.h    the DNS header's fields, by name
 *
 * Every function here returns 0 or a negative errno unless it says
 * otherwise.  Nothing on the answering path allocates, except the
 * upstream cache when it stores an answer and TCP when it accepts.
 */
#ifndef AWSDNS_H
#define AWSDNS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include <dnsfailover/dnsfailover.h>

#include <dnsfailover/metrics.h>
#include <dnsfailover/tsig.h>

/* ------------------------------------------------------------------ */
/* wire.c                                                              */

#define WIRE_HDR     12
#define WIRE_MAXNAME 255
#define WIRE_UDP_MIN 512
#define WIRE_UDP_MAX 1232 /* what we advertise and send at most over UDP */
#define WIRE_OPT_LEN 11	  /* an OPT RR without options */

enum {
	T_A = 1,
	T_NS = 2,
	T_CNAME = 5,
	T_SOA = 6,
	T_PTR = 12,
	T_MX = 15,
	T_TXT = 16,
	T_AAAA = 28,
	T_SRV = 33,
	T_OPT = 41,
	T_TSIG = 250,
	T_IXFR = 251,
	T_AXFR = 252,
	T_ANY = 255,
};

enum { C_IN = 1, C_CH = 3, C_HS = 4 };

enum {
	RC_NOERROR = 0,
	RC_FORMERR = 1,
	RC_SERVFAIL = 2,
	RC_NXDOMAIN = 3,
	RC_NOTIMP = 4,
	RC_REFUSED = 5,
	RC_NOTAUTH = 9,
	RC_BADVERS = 16, /* extended: needs EDNS */
};

/* What wire_parse() makes of a packet. */
enum wire_verdict {
	WIRE_OK = 0,
	WIRE_DROP,    /* not worth an answer (short, a response) */
	WIRE_FORMERR, /* answer FORMERR */
	WIRE_NOTIMP,  /* answer NOTIMP (opcode) */
	WIRE_BADVERS, /* EDNS version > 0: answer BADVERS */
};

/* A parsed query.  The question bytes stay in the packet (offsets 12 to
 * qend); `name` is a lower-cased copy of the query name for lookups. */
struct wire_query {
	uint16_t id;
	uint16_t qtype, qclass;
	uint8_t flags1; /* header byte 2 (QR, opcode, AA, TC, RD) */
	size_t qend;	/* offset just past the question */
	uint8_t name[WIRE_MAXNAME + 1]; /* lower-cased wire name, root incl. */
	size_t name_len;		/* bytes of name, root incl. */
	uint8_t nlabels;		/* labels, root excluded */
	uint8_t label_off[128];		/* offset of each label in name */
	bool edns;			/* an OPT RR came with it */
	bool tsig;	   /* a TSIG RR came with it (answered by xfr.c) */
	uint16_t nscount;  /* authority records (IXFR's SOA only) */
	bool do_bit;	   /* DNSSEC OK (echoed in the answer's OPT) */
	bool ra;	   /* answers say recursion available (the caller
			    * sets it: false from wire_parse) */
	uint16_t udp_size; /* what the client takes over UDP, 512 to
			    * WIRE_UDP_MAX (what we advertise) */
};

/* Parse a query of `len` bytes.  The verdict says whether to answer; on
 * WIRE_FORMERR/NOTIMP/BADVERS, q->id and q->flags1 are set and q->qend
 * is 0 unless the question was read (then it is echoed). */
enum wire_verdict wire_parse(const uint8_t *pkt, size_t len,
			     struct wire_query *q);

/* Writes an answer into a buffer: the header and the question of the
 * query, then records, then an OPT RR when the query had one. */
struct wire_writer {
	uint8_t *buf;
	size_t len;	   /* bytes written */
	size_t limit;	   /* the answer's size limit, OPT reserved */
	uint16_t count[3]; /* answer, authority, additional */
	size_t sec_off[3]; /* where each section's records start */
	bool tc;
	bool edns;
};

enum { SEC_AN = 0, SEC_NS = 1, SEC_AR = 2 };

/* Start an answer to q (whose packet is `pkt`) in `buf` of `cap` bytes;
 * `buf` may be `pkt` itself (the answer is written over the query).
 * `max` is the answer's size limit (the client's UDP size, or 65535 over
 * TCP).  Returns false if not even the question fits. */
bool wire_begin(struct wire_writer *w, uint8_t *buf, size_t cap, size_t max,
		const struct wire_query *q, const uint8_t *pkt);
/* Append `n` whole records (`len` bytes, names compressed against the
 * question only) to section `sec`.  False, and nothing written, if they
 * do not fit. */
bool wire_put(struct wire_writer *w, int sec, const uint8_t *rrs, size_t len,
	      unsigned n);
/* Append one record: owner a pointer to `owner_off` (12 = the query
 * name), type, TTL, rdata.  False if it does not fit.  A record the
 * section already holds (same owner, type, rdata) is not written again
 * (RFC 2181 section 5), and that is success. */
bool wire_put_rr(struct wire_writer *w, int sec, uint16_t owner_off,
		 uint16_t type, uint32_t ttl, const uint8_t *rdata,
		 size_t rdlen);
/* A point of the answer to go back to: an RRset that must go whole or
 * not at all (RFC 2181 section 9) is written after a mark and rolled
 * back when one of its records does not fit. */
struct wire_mark {
	size_t len;
	uint16_t count[3];
};
void wire_mark(const struct wire_writer *w, struct wire_mark *m);
void wire_rollback(struct wire_writer *w, const struct wire_mark *m);
/* Drop every record written and set TC (the answer did not fit). */
void wire_truncate(struct wire_writer *w);
/* Finish: flags (QR, AA if `aa`, RA if q->ra, RD copied), rcode,
 * counts, OPT (DO echoed).
 * Returns the answer's length. */
size_t wire_finish(struct wire_writer *w, const struct wire_query *q, int rcode,
		   bool aa);

/* An error answer (FORMERR, NOTIMP, REFUSED, SERVFAIL, BADVERS) to the
 * query `pkt` of `len` bytes, written into `buf` (may be pkt): the
 * question is echoed when it was parsed.  Returns its length (0 if
 * nothing can be answered). */
size_t wire_error(uint8_t *buf, size_t cap, const uint8_t *pkt, size_t len,
		  const struct wire_query *q, int rcode);

/* A name in text ("web-1.ec2.example.com", final dot optional) to
 * lower-cased wire format in out (at most 255 bytes); returns its length
 * with the root byte, or -EINVAL.  "" and "." are the root. */
int wire_name_from_text(const char *text, uint8_t *out, size_t cap);
/* The label count of a wire name. */
unsigned wire_name_labels(const uint8_t *name);

/* The layout of an answer from upstream, for the cache. */
#define WIRE_MAX_TTLS 64
struct wire_answer_info {
	int rcode;
	bool tc;
	uint16_t ancount;
	size_t opt_off; /* offset of a trailing OPT RR, 0 if none */
	unsigned nttl;
	uint16_t ttl_off[WIRE_MAX_TTLS]; /* TTL fields (OPT excluded) */
	uint32_t min_ttl;	  /* smallest TTL; negative: RFC 2308's */
	bool has_soa;		  /* a SOA in the authority section */
	bool has_answer_of_qtype; /* answers hold the qtype (or CNAME) */
};

/* Check an answer from upstream against the query it answers (same id,
 * QR set, same question, case-insensitively) and read its layout.
 * 0 or -EINVAL. */
int wire_answer_scan(const uint8_t *pkt, size_t len, const struct wire_query *q,
		     struct wire_answer_info *ai);

/* ------------------------------------------------------------------ */
/* index.c                                                             */

/* One instance as the index keeps it. */
struct idx_inst {
	uint8_t v4[4];
	bool has_v4;
	uint16_t v6_n; /* IPv6 addresses at v6_off (16 bytes each) */
	uint32_t v6_off;
	uint32_t txt_off; /* TXT rdata of its extras, back to back */
	uint16_t txt_len;
	uint8_t txt_n;
	uint8_t ptr_len; /* its name for PTR answers, wire format */
	uint32_t ptr_off;
	uint32_t next; /* next instance of the same name, +1; 0: none */
};

/* A forward name: its key (lower-cased wire labels, no root byte). */
struct idx_name {
	uint32_t hash;
	uint32_t key_off;
	uint16_t key_len;
	uint16_t ninst;
	uint32_t first; /* first instance, +1 */
};

/* A reverse entry: an address (IPv4 as ::ffff:a.b.c.d) and its
 * instances. */
struct idx_rev {
	uint8_t addr[16];
	uint32_t hash;
	uint32_t inst; /* instance, +1 */
	uint32_t next; /* next idx_rev of the same address, +1 */
};

/* A Route 53 record set, ready to write (owner: the query name). */
struct idx_rrset {
	uint32_t hash;
	uint32_t key_off; /* full name, lower-cased wire, root byte incl. */
	uint16_t key_len;
	uint16_t type;
	uint32_t rr_off; /* records, owner a pointer to 12 */
	uint32_t rr_len;
	uint16_t rr_n;
	uint32_t next; /* next rrset of the same name, +1 */
};

/* A Route 53 alias, resolved when the index is sealed. */
struct idx_alias {
	uint32_t key_off, target_off;
	uint16_t key_len, target_len;
	uint16_t type;
};

struct awsdns_index {
	uint8_t *arena;
	size_t arena_len, arena_cap;
	struct idx_inst *inst;
	size_t ninst, inst_cap;
	struct idx_name *names; /* nnames names, then nents empty
				 * non-terminals (no instance) */
	size_t nnames, nents, names_cap;
	uint32_t *name_tab; /* open addressing: name index + 1 */
	size_t name_mask;
	struct idx_rev *revs;
	size_t nrevs, revs_cap;
	uint32_t *rev_tab;
	size_t rev_mask;
	struct idx_rrset *rrsets;
	size_t nrrsets, rrsets_cap;
	uint32_t *rr_tab; /* by name: the first rrset of a name, +1 */
	size_t rr_mask;
	struct idx_alias *aliases;
	size_t naliases, aliases_cap;
	uint32_t ttl;
	uint32_t serial;
	uint8_t domain[WIRE_MAXNAME + 1]; /* lower-cased wire; 0 len: none */
	size_t domain_len;
	uint8_t soa_rdata[WIRE_MAXNAME * 2 + 20];
	size_t soa_len;
	/* the zones served as a primary (xfr.c): the apex NS records of
	 * `domain` and of every reverse zone (wire names back to back) */
	uint8_t *ns_rdata;
	size_t ns_len;
	unsigned nns;
	struct idx_rzone *rzones; /* reverse_zones */
	size_t nrzones;
	uint8_t (*rev_sorted)[16]; /* the reverse addresses, sorted (empty
				    * non-terminals of reverse zones) */
	size_t nrev_sorted;
	size_t instances_seen;	     /* DescribeInstances gave that many */
	bool txt_spaced, soa_always; /* from index_conf */
	/* instances without a usable forward name, skipped: how many, and
	 * the first few as "ID (why)" for the log */
	size_t skipped;
	char skipped_ex[3][96];
};

/* A reverse zone served (reverse_zones): its apex and SOA. */
struct idx_rzone {
	uint8_t name[WIRE_MAXNAME + 1]; /* lower-cased wire */
	size_t len;
	unsigned nlabels;
	uint8_t soa_rdata[WIRE_MAXNAME * 2 + 20];
	size_t soa_len;
};

/* The SOA values of the zones (soa_* options). */
struct soa_conf {
	const char *mname; /* NULL: the first ns, else the zone */
	const char *rname; /* NULL: hostmaster.<domain or zone> */
	uint32_t refresh, retry, expire;
	int64_t minimum; /* < 0: the ttl */
};

/* How the index is built. */
struct index_conf {
	const char *forward; /* attribute naming an instance */
	const char *reverse; /* attribute whose address answers PTR */
	const char *const *extra;
	size_t nextra;
	const char *domain; /* NULL: none */
	uint32_t ttl;
	bool txt_spaced; /* extras as "attribute = value" (the original
			  * awsdns's), not RFC 1464's "attribute=value" */
	bool soa_always; /* the SOA in every answer from AWS (the original's),
			  * not only in negative ones */
	struct soa_conf soa;
	const char *const *ns; /* the zones' NS records */
	size_t nns;
	const char *const *rzones; /* reverse_zones */
	size_t nrzones;
};

/* The serial in a SOA rdata of `len` bytes (the fifth field from the
 * end), read and written. */
uint32_t soa_serial(const uint8_t *rdata, size_t len);
void soa_set_serial(uint8_t *rdata, size_t len, uint32_t serial);

/* An empty index for `conf` (instances are added with index_add). */
int index_new(struct awsdns_index **out, const struct index_conf *conf,
	      struct dfo_err *err);
void index_free(struct awsdns_index *ix);
/* Add one instance of DescribeInstances; an instance without a usable
 * forward name (none, empty, a label over 63 bytes, over 255 in all) is
 * counted and skipped, the first few kept as examples. */
int index_add(struct awsdns_index *ix, const struct index_conf *conf,
	      const struct dfo_ec2_instance *inst);
/* Add one Route 53 record set (values as AWS writes them). */
int index_add_rrset(struct awsdns_index *ix, const char *name, const char *type,
		    uint32_t ttl, const char *const *values, size_t nvalues);
/* Add a Route 53 alias (A or AAAA) of `name` to `target`: at sealing it
 * gets the target's records, if the target is one of the served zones'. */
int index_add_alias(struct awsdns_index *ix, const char *name, const char *type,
		    const char *target);
/* Build the hash tables; after this the index is read-only. */
int index_seal(struct awsdns_index *ix);
/* Bytes the index holds. */
size_t index_bytes(const struct awsdns_index *ix);

/* What the index says about a query. */
enum idx_result {
	IDX_NONE = 0, /* not ours: ask upstream, or pass its answer on */
	IDX_ANSWER,   /* records written */
	IDX_NODATA,   /* the name exists, not this type */
	IDX_NXDOMAIN, /* under `domain` and unknown */
};

/* Answer q from the index into w (records in the answer and additional
 * sections; for NODATA/NXDOMAIN, the SOA when under `domain`).  *auth is
 * set when the name is under `domain` (never asked upstream). */
enum idx_result index_answer(const struct awsdns_index *ix,
			     const struct wire_query *q, struct wire_writer *w,
			     bool *auth);
/* Whether the name is under `domain` (answered without upstream). */
bool index_is_local(const struct awsdns_index *ix, const struct wire_query *q);

/* ------------------------------------------------------------------ */
/* upstream.c: the answer cache                                        */

struct cache;

/* A cache (thread-safe) of at most `max_entries` answers and `max_bytes` bytes.
 */
struct cache *cache_new(size_t max_entries, size_t max_bytes);
void cache_free(struct cache *c);
/* Store the upstream answer `pkt` (scanned into ai) for q at `now`. */
void cache_put(struct cache *c, const struct wire_query *q, const uint8_t *pkt,
	       size_t len, const struct wire_answer_info *ai, double now);
/* Find the answer of q: copy it into buf (cap bytes) with TTLs aged and
 * q's id and question; *rcode and *nodata tell what it says.  Returns
 * the length, 0 if none or expired. */
size_t cache_get(struct cache *c, const struct wire_query *q,
		 const uint8_t *qpkt, uint8_t *buf, size_t cap, double now,
		 int *rcode, bool *nodata);
size_t cache_count(struct cache *c);

/* Relay an upstream answer (already without its OPT, as the cache keeps
 * it, `len` bytes in buf) to the client of q: AA cleared, RA set, an
 * OPT (DO echoed) when q had one, TC and no records when longer than
 * `max`.  Returns the new length. */
size_t upstream_relay_fit(uint8_t *buf, size_t len, size_t cap, size_t max,
			  const struct wire_query *q);

/* ------------------------------------------------------------------ */
/* awsdns.c: the configuration                                         */

/* A network in `allow`: addresses as 16 bytes (IPv4 mapped). */
struct allow_net {
	uint8_t addr[16];
	unsigned prefix; /* of the 128 bits */
};

struct awsdns_conf {
	char *instance;
	struct sockaddr_storage *listen;
	socklen_t *listen_len;
	size_t nlisten;
	struct sockaddr_storage *upstream;
	socklen_t *upstream_len;
	size_t nupstream;
	double upstream_timeout;
	char *domain;
	char *forward, *reverse;
	char **extra;
	size_t nextra;
	struct dfo_ec2_filter *filters;
	size_t nfilters;
	uint32_t ttl;
	bool txt_spaced, soa_always;
	double refresh;
	char **zones;
	size_t nzones;
	struct allow_net *allow;
	size_t nallow;
	char *user;
	unsigned threads; /* resolved: >= 1 */
	/* zone transfers out (xfr.c) */
	char **rzones; /* reverse_zones */
	size_t nrzones;
	char **ns;
	size_t nns;
	char *soa_mname, *soa_rname;
	uint32_t soa_refresh, soa_retry, soa_expire;
	int64_t soa_minimum;	  /* < 0: ttl */
	struct allow_net *xallow; /* transfer_allow */
	size_t nxallow;
	char *xkey_path; /* transfer_key */
	struct dfo_tsig_key *xkey;
	struct sockaddr_storage *notify;
	socklen_t *notify_len;
	size_t nnotify;
	double xfr_timeout;    /* transfer_timeout */
	unsigned xfr_max;      /* transfer_max: at once */
	unsigned ixfr_history; /* changes kept per zone for IXFR */
};

/* Whether the address `sa` is in `nets`. */
bool nets_match(const struct allow_net *nets, size_t n,
		const struct sockaddr *sa);

/* Whether the address `sa` may ask. */
bool conf_allowed(const struct awsdns_conf *conf, const struct sockaddr *sa);

/* ------------------------------------------------------------------ */
/* ini.c and command.c: the original awsdns's drop-in                  */

/* The variable the daemon takes the ini file's secret key from. */
#define DFO_AWSDNS_SECRET_VAR "AWS_SECRET_ACCESS_KEY"

/* "ADDRESS", "ADDRESS:PORT" or "[V6]:PORT" into a canonical "ADDR:PORT"
 * ("[V6]:PORT", or the bare address when `bare53` and the port is 53);
 * port `defport` when none.  0 or -1. */
int awsdns_hostport_canon(const char *text, int defport, bool bare53, char *out,
			  size_t outlen);

/* The keys of an ini file (malloc'd; NULL: none given). */
struct awsdns_ini_keys {
	char *access_key_id;
	char *secret;
};
/* Free the keys, the secret wiped first. */
void awsdns_ini_keys_wipe(struct awsdns_ini_keys *keys);

/*
 * Read the [awsdns] section of the ini file `path` and write the
 * equivalent config to `out`: an optional log_level, an aws section for
 * a region, and `responder "awsdns" { awsdns { ... } }` listening on
 * `listen`, answering as the original did (ttl 3600 unless given, TXT
 * "attribute = value", the SOA in every answer: txt_format and soa of
 * the file may say otherwise), dropping privileges to `user` when not
 * NULL.  The keys are never written: *keys receives them, for the
 * daemon's environment.  Errors go to stderr as "FILE:LINE: message"
 * (all of them, values of secrets never shown); notes to `notes` as
 * comments ("# FILE:LINE: note: ..."), or to stderr when it is NULL.
 * Returns 0, or -1 on errors (nothing usable written).
 */
int awsdns_ini_convert(const char *path, FILE *out, FILE *notes,
		       const char *const *listen, size_t nlisten,
		       const char *user, struct awsdns_ini_keys *keys);

/* The provider's command (its table's `command`): argv[0] "awsdns" or
 * "--awsdns" runs the awsdns command [-c FILE] [-l ADDRESS:PORT]...
 * [-f]; "--awsdns-ini" FILE prints the config. */
int awsdns_command(int argc, char **argv);

/* ------------------------------------------------------------------ */
/* source.c: several accounts and regions                              */

/* The options of a `source "NAME" { }` section. */
extern cfg_opt_t awsdns_source_opts[];

struct source;
struct sources {
	struct source *v;
	size_t n; /* 0: no source section, the core's client alone */
};

/* From the responder's section (create). */
int sources_parse(cfg_t *sec, struct sources *ss, struct dfo_err *err);
void sources_free(struct sources *ss);
/* Each source's client, derived from `def`, and its metrics (start). */
int sources_start(struct sources *ss, const char *instance, struct dfo_aws *def,
		  struct dfo_err *err);
void sources_stop(struct sources *ss);
/* Ask every source (a failing one keeps its last good instances, and
 * is logged and counted), then add the instances of all into ix.  0 if
 * at least one source has instances to give (err then names a failing
 * one, if any); else the first error. */
int sources_load(struct sources *ss, const struct awsdns_conf *c,
		 const struct index_conf *ic, struct awsdns_index *ix,
		 atomic_bool *quitting, struct dfo_err *err);
/* How many sources failed at their last refresh. */
size_t sources_failing(const struct sources *ss);

/* ------------------------------------------------------------------ */
/* server.c                                                            */

/* Per-thread counters, flushed to the metrics about once a second. */
enum { QT_A = 0, QT_AAAA, QT_PTR, QT_TXT, QT_OTHER, QT_COUNT };
enum {
	QR_AWS = 0,  /* answered from the index */
	QR_UPSTREAM, /* relayed from upstream */
	QR_CACHE,    /* relayed from the cache */
	QR_NXDOMAIN, /* negative (ours or upstream's) */
	QR_SERVFAIL, /* upstream failed, nothing known */
	QR_REFUSED,  /* client not allowed */
	QR_FORMERR,  /* malformed, NOTIMP, BADVERS */
	QR_COUNT
};

struct awsdns_metrics {
	struct dfo_metric *queries[QT_COUNT][QR_COUNT];
	struct dfo_metric *upstream_errors;
	struct dfo_metric *upstream_mismatched; /* RFC 5452: dropped */
	struct dfo_metric *dropped;
};

struct worker;

/* What the threads share. */
struct awsdns_shared {
	_Atomic(struct awsdns_index *) index;
	atomic_bool loaded; /* the index is AWS's (else empty: not reached) */
	const struct awsdns_conf *conf;
	struct awsdns_metrics *metrics;
	struct cache *cache; /* upstream's answers */
	int quit_fd;	     /* eventfd: readable when the threads must stop */
	size_t nworkers;
	struct worker **workers;
	struct xfr *xfr; /* zone transfers out; NULL: none configured */
};

/* A worker: its sockets are opened by server_worker_new (as root, so
 * that a later process can bind beside them with SO_REUSEPORT), and
 * bound then if `bind_now`, else by server_worker_bind (as root or with
 * CAP_NET_BIND_SERVICE); its thread is started by server_worker_start. */
int server_worker_new(struct awsdns_shared *sh, unsigned n, bool bind_now,
		      struct worker **out, struct dfo_err *err);
int server_worker_bind(struct worker *w, struct dfo_err *err);
int server_worker_start(struct worker *w, struct dfo_err *err);
/* Join the thread (after quit_fd was made readable) and free. */
void server_worker_free(struct worker *w);
/* Wait until no worker may still hold an index older than the current
 * one (a grace period: each is idle or has finished its batch). */
void server_quiesce(struct awsdns_shared *sh);

/* ------------------------------------------------------------------ */
/* xfr.c: the zones as a hidden primary (AXFR, IXFR, NOTIFY, TSIG)     */

struct xfr;

/* Transfers and NOTIFY for conf's zones (NULL *out when no transfer_allow
 * and no notify).  quit_fd: readable when everything must stop. */
int xfr_new(struct xfr **out, const struct awsdns_conf *c, int quit_fd,
	    struct dfo_err *err);
/* Ends the transfers (each sees quit_fd) and the notify thread; frees. */
void xfr_free(struct xfr *x);
/* After a load, before nix is swapped in: each zone's records compared
 * with the last load's; a zone that changed gets a new serial (written
 * into nix's SOA), its change kept for IXFR, and its secondaries
 * notified once xfr_release says so.  0 or -ENOMEM (the zones then
 * stay as they were). */
int xfr_update(struct xfr *x, struct awsdns_index *nix);
/* After nix is swapped in (its SOA is what queries see): the NOTIFY of
 * the changes of xfr_update may go. */
void xfr_release(struct xfr *x);
/* A TCP connection (fd, non-blocking) whose query pkt[0, len) asks AXFR
 * or IXFR: the fd is xfr's from now on (answered on a thread of its
 * own, closed at the end). */
void xfr_take(struct xfr *x, int fd, const uint8_t *pkt, size_t len,
	      const struct sockaddr_storage *peer);
/* A query q in buf[0, len) that carries a TSIG record: verified with
 * transfer_key, answered from ix (our zones only) and signed, in buf
 * (cap bytes, answer at most max).  Returns the answer's length. */
size_t xfr_signed_query(struct xfr *x, const struct awsdns_index *ix,
			uint8_t *buf, size_t len, size_t cap, size_t max,
			const struct wire_query *q);

/* The serial an IXFR request asks from: its authority section's SOA
 * (owner the zone asked).  0, or -EINVAL when there is none or it is
 * malformed. */
int xfr_ixfr_serial(const uint8_t *pkt, size_t len, const struct wire_query *q,
		    uint32_t *serial);
/* Whether pkt[0, len) is the answer to our NOTIFY `id` for the zone
 * `zone` (lower-cased wire): QR, opcode NOTIFY, the question echoed.
 * 1: it is and says NOERROR; 0: it is, with another rcode (*rcode);
 * -EINVAL: not it. */
int xfr_notify_answer(const uint8_t *pkt, size_t len, uint16_t id,
		      const uint8_t *zone, size_t zlen, int *rcode);

#endif
