/* --list-plugins and --try. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *opt_type(const cfg_opt_t *o)
{
	switch (o->type) {
	case CFGT_INT:
		return "integer";
	case CFGT_FLOAT:
		return "number";
	case CFGT_STR:
		return "string";
	case CFGT_BOOL:
		return "boolean";
	case CFGT_SEC:
		return "section";
	default:
		return "value";
	}
}

static void print_default(const cfg_opt_t *o)
{
	if (o->flags & CFGF_NODEFAULT)
		return;
	if (o->flags & CFGF_LIST) {
		if (o->def.parsed)
			printf(" = %s", o->def.parsed);
		return;
	}
	switch (o->type) {
	case CFGT_INT:
		printf(" = %ld", o->def.number);
		break;
	case CFGT_FLOAT:
		printf(" = %g", o->def.fpnumber);
		break;
	case CFGT_STR:
		if (o->def.string)
			printf(" = \"%s\"", o->def.string);
		break;
	case CFGT_BOOL:
		printf(" = %s", o->def.boolean ? "true" : "false");
		break;
	default:
		break;
	}
}

void cli_list_plugins(const struct dfo_registry *reg)
{
	size_t n = dfo_registry_count(reg);
	for (int k = 0; k < DFO_KIND_COUNT; k++) {
		printf("%s:\n", dfo_kind_name(k));
		int any = 0;
		for (size_t i = 0; i < n; i++) {
			const struct dfo_entry *e = dfo_registry_at(reg, i);
			if ((int)e->kind != k)
				continue;
			any = 1;
			printf("  %-10s %s\n", e->prov->name,
			       e->prov->description ? e->prov->description
						    : "");
			printf("             module: %s\n",
			       e->module ? e->module : "(built in)");
			for (const cfg_opt_t *o = e->prov->options;
			     o && o->name; o++) {
				printf("             %s (%s%s)", o->name,
				       (o->flags & CFGF_LIST) ? "list of " : "",
				       opt_type(o));
				print_default(o);
				printf("\n");
			}
		}
		if (!any)
			printf("  (none)\n");
	}
}

/* A name given on the command line: false (said why) if not valid. */
static bool fqdn_arg_ok(const char *name)
{
	char why[160];
	if (dfo_fqdn_valid(name, why, sizeof(why)))
		return true;
	fprintf(stderr, "not a valid name: %s\n", why);
	return false;
}

/* A pool using `inst` (by kind), or NULL. */
static const struct dfo_pool *pool_using(const struct dfo_config *c,
					 const struct dfo_instance *inst)
{
	for (size_t i = 0; i < c->npools; i++) {
		const struct dfo_pool *p = &c->pools[i];
		if (p->dns == inst || p->ipsource == inst || p->check == inst ||
		    p->timer == inst)
			return p;
	}
	return NULL;
}

static int try_check(struct dfo_config *c, struct dfo_instance *in, int argc,
		     char **argv, double timeout)
{
	if (argc < 1 || argc > 2) {
		fprintf(stderr, "usage: --try check/%s ADDRESS [FQDN]\n",
			in->name);
		return 1;
	}
	const struct dfo_pool *pool = pool_using(c, in);
	struct dfo_check_job job;
	memset(&job, 0, sizeof(job));
	if (dfo_addr_parse(&job.target.addr, argv[0]) < 0) {
		fprintf(stderr, "'%s' is not an IPv4 or IPv6 address\n",
			argv[0]);
		return 1;
	}
	if (argc == 2 && !fqdn_arg_ok(argv[1]))
		return 1;
	if (timeout <= 0)
		timeout = pool ? dfo_inst_timer(pool->timer)
					  ->check_timeout(pool->timer->state)
			       : 5.0;
	job.prov = dfo_inst_check(in);
	job.state = in->state;
	job.target.fqdn = argc == 2 ? argv[1] : (pool ? pool->fqdn[0] : NULL);
	job.target.timeout = timeout;
	job.attempts = 1;
	if (dfo_run_checks(&job, 1, 1) < 0) {
		fprintf(stderr, "cannot run the check\n");
		return 1;
	}
	char a[DFO_ADDR_STRLEN];
	dfo_addr_format(&job.target.addr, a, sizeof(a));
	if (job.result == DFO_CHECK_HEALTHY) {
		printf("check/%s %s: healthy (%.3f s)\n", in->name, a,
		       job.latency);
		return 0;
	}
	printf("check/%s %s: unhealthy, %s: %s (%.3f s)\n", in->name, a,
	       dfo_check_result_name(job.result), job.reason, job.latency);
	return 1;
}

static int family_arg(const char *text, int def)
{
	if (!text)
		return def;
	int f = dfo_family_parse(text);
	return f == AF_INET || f == AF_INET6 ? f : -1;
}

static int try_ipsource(struct dfo_config *c, struct dfo_instance *in, int argc,
			char **argv)
{
	const struct dfo_pool *pool = pool_using(c, in);
	int fam = family_arg(argc > 0 ? argv[0] : NULL,
			     pool ? pool->family : AF_INET);
	if (argc > 1 || fam < 0) {
		fprintf(stderr, "usage: --try ipsource/%s [ipv4|ipv6]\n",
			in->name);
		return 1;
	}
	struct dfo_addr addr;
	struct dfo_err e;
	dfo_err_clear(&e);
	double t0 = dfo_now();
	int rc = dfo_inst_ipsource(in)->own_addr(in->state, fam, &addr, &e);
	if (rc < 0) {
		printf("ipsource/%s: error: %s\n", in->name,
		       e.msg[0] ? e.msg : strerror(-rc));
		return 1;
	}
	char a[DFO_ADDR_STRLEN];
	printf("ipsource/%s: %s (%.3f s)\n", in->name,
	       dfo_addr_format(&addr, a, sizeof(a)), dfo_now() - t0);
	return 0;
}

/* --expect "A,B" (or "" for an empty set): the set a compare-and-set
 * expects.  For an add, with the TTL the provider reads now: a provider
 * adding to a set gives the new record the set's TTL, which the engine
 * knows from its own read. */
static int expect_parse(struct dfo_instance *in, const char *fqdn,
			const char *text, bool need_ttl, double t0,
			struct dfo_rrset *exp)
{
	char *copy = strdup(text), *save = NULL;
	if (!copy)
		return -1;
	for (char *t = strtok_r(copy, ", ", &save); t;
	     t = strtok_r(NULL, ", ", &save)) {
		struct dfo_addr a;
		if (dfo_addr_parse_family(&a, t, exp->family) < 0 ||
		    dfo_rrset_add(exp, &a) < 0) {
			fprintf(stderr, "--expect: '%s' is not an %s address\n",
				t, exp->family == AF_INET ? "IPv4" : "IPv6");
			free(copy);
			return -1;
		}
	}
	free(copy);
	if (!need_ttl || exp->count == 0)
		return 0;
	struct dfo_rrset cur;
	struct dfo_err e;
	dfo_err_clear(&e);
	dfo_rrset_init(&cur, exp->family);
	int rc = dfo_inst_dns(in)->list(in->state, fqdn, &cur, &e);
	exp->ttl = cur.ttl;
	dfo_rrset_clear(&cur);
	if (rc < 0) {
		printf("dns/%s: error: --expect: reading the set's TTL: %s "
		       "(%.3f s)\n",
		       in->name, e.msg[0] ? e.msg : strerror(-rc),
		       dfo_now() - t0);
		return -1;
	}
	return 0;
}

/* txt-list NAME | txt-change NAME DEL|- ADD|- [--expect [TEXT...]]: the
 * state operations of quorum eviction.  0, 2 on DFO_ESTALE, else 1. */
static int try_state(struct dfo_instance *in, int argc, char **argv)
{
	const struct dfo_dns_provider *dns = dfo_inst_dns(in);
	if (!DFO_HAS(dns, state_list) || !DFO_HAS(dns, state_change)) {
		printf("dns/%s: provider %s has no state operations\n",
		       in->name, dns->name);
		return 1;
	}
	struct dfo_err e;
	dfo_err_clear(&e);
	struct dfo_txtset set;
	dfo_txtset_init(&set);
	double t0 = dfo_now();
	int rc;
	if (strcmp(argv[0], "txt-list") == 0) {
		rc = dns->state_list(in->state, argv[1], &set, &e);
		for (size_t i = 0; rc == 0 && i < set.count; i++)
			printf("%s\t%u\tTXT\t\"%s\"\n", argv[1], set.ttl,
			       set.texts[i]);
	} else {
		const char *del = strcmp(argv[2], "-") ? argv[2] : NULL;
		const char *add = strcmp(argv[3], "-") ? argv[3] : NULL;
		for (int i = 5; i < argc; i++)
			if (dfo_txtset_add(&set, argv[i]) < 0) {
				fprintf(stderr,
					"--expect: '%s' is not a state "
					"text\n",
					argv[i]);
				dfo_txtset_clear(&set);
				return 1;
			}
		rc = dns->state_change(in->state, argv[1], del, add,
				       argc > 4 ? &set : NULL, 60, &e);
		if (rc == 0)
			printf("dns/%s txt-change %s: done (%.3f s)\n",
			       in->name, argv[1], dfo_now() - t0);
	}
	dfo_txtset_clear(&set);
	if (rc < 0)
		printf("dns/%s %s %s: %s: %s (%.3f s)\n", in->name, argv[0],
		       argv[1], rc == DFO_ESTALE ? "conflict (stale)" : "error",
		       e.msg[0] ? e.msg : strerror(-rc), dfo_now() - t0);
	return rc == DFO_ESTALE ? 2 : rc < 0;
}

/* list FQDN [ipv4|ipv6]: the address records of each family in fams. */
static int try_list(struct dfo_instance *in, const char *fqdn, const int *fams,
		    int nf, double t0)
{
	const struct dfo_dns_provider *dns = dfo_inst_dns(in);
	struct dfo_err e;
	dfo_err_clear(&e);
	char a[DFO_ADDR_STRLEN];
	int rc;
	for (int f = 0; f < nf; f++) {
		struct dfo_rrset set;
		dfo_rrset_init(&set, fams[f]);
		rc = dns->list(in->state, fqdn, &set, &e);
		if (rc < 0) {
			printf("dns/%s list %s: error: %s (%.3f s)\n", in->name,
			       fqdn, e.msg[0] ? e.msg : strerror(-rc),
			       dfo_now() - t0);
			dfo_rrset_clear(&set);
			return 1;
		}
		dfo_rrset_sort(&set);
		for (size_t i = 0; i < set.count; i++)
			printf("%s\t%u\t%s\t%s\n", fqdn, set.ttl,
			       fams[f] == AF_INET ? "A" : "AAAA",
			       dfo_addr_format(&set.addrs[i], a, sizeof(a)));
		dfo_rrset_clear(&set);
	}
	return 0;
}

/* add|del FQDN ADDRESS [--expect A,B,...]: one change, conditional with
 * --expect.  0, 2 on DFO_ESTALE, 3 when refused as the last record, else 1. */
static int try_change(struct dfo_instance *in, const char *op, int argc,
		      char **argv, double t0)
{
	const struct dfo_dns_provider *dns = dfo_inst_dns(in);
	struct dfo_err e;
	dfo_err_clear(&e);
	int rc;
	struct dfo_addr addr;
	if (dfo_addr_parse(&addr, argv[2]) < 0) {
		fprintf(stderr, "'%s' is not an IPv4 or IPv6 address\n",
			argv[2]);
		return 1;
	}
	/* An operator's one-off change is unconditional (no
	 * compare-and-set), unless --expect names the set it
	 * believes is there (a test of the compare-and-set). */
	struct dfo_rrset exp;
	dfo_rrset_init(&exp, addr.family);
	if (argc == 5) {
		if (expect_parse(in, argv[1], argv[4], op[0] == 'a', t0, &exp) <
		    0) {
			dfo_rrset_clear(&exp);
			return 1;
		}
	}
	const struct dfo_rrset *expected = argc == 5 ? &exp : NULL;
	if (op[0] == 'a')
		rc = dns->add(in->state, argv[1], &addr, expected, &e);
	else
		rc = dns->del(in->state, argv[1], &addr, expected, &e);
	dfo_rrset_clear(&exp);
	if (rc == DFO_ESTALE) {
		printf("dns/%s %s %s %s: conflict (stale): %s (%.3f "
		       "s)\n",
		       in->name, op, argv[1], argv[2],
		       e.msg[0] ? e.msg : strerror(-rc), dfo_now() - t0);
		return 2;
	}
	if (rc == DFO_ELAST && op[0] == 'd') {
		printf("dns/%s %s %s %s: refused (last record): %s "
		       "(%.3f s)\n",
		       in->name, op, argv[1], argv[2],
		       e.msg[0] ? e.msg : strerror(-rc), dfo_now() - t0);
		return 3;
	}
	if (rc < 0) {
		printf("dns/%s %s %s %s: error: %s (%.3f s)\n", in->name, op,
		       argv[1], argv[2], e.msg[0] ? e.msg : strerror(-rc),
		       dfo_now() - t0);
		return 1;
	}
	printf("dns/%s %s %s %s: done (%.3f s)\n", in->name, op, argv[1],
	       argv[2], dfo_now() - t0);
	return 0;
}

/* --try dns/NAME OP ...: one operation of the provider, as the engine
 * would do it, timed. */
static int try_dns(struct dfo_config *c, struct dfo_instance *in, int argc,
		   char **argv)
{
	const char *op = argc > 0 ? argv[0] : "";
	if (argc >= 2 && !fqdn_arg_ok(argv[1]))
		return 1;
	if ((strcmp(op, "txt-list") == 0 && argc == 2) ||
	    (strcmp(op, "txt-change") == 0 &&
	     (argc == 4 || (argc >= 5 && strcmp(argv[4], "--expect") == 0))))
		return try_state(in, argc, argv);
	double t0 = dfo_now();
	if (strcmp(op, "list") == 0 && (argc == 2 || argc == 3)) {
		int fams[2] = {AF_INET, AF_INET6}, nf = 2;
		if (argc == 3) {
			if ((fams[0] = family_arg(argv[2], AF_INET)) < 0)
				goto usage;
			nf = 1;
		}
		return try_list(in, argv[1], fams, nf, t0);
	}
	if ((strcmp(op, "add") == 0 || strcmp(op, "del") == 0) &&
	    (argc == 3 || (argc == 5 && strcmp(argv[3], "--expect") == 0)))
		return try_change(in, op, argc, argv, t0);
usage:
	(void)c;
	fprintf(stderr,
		"usage: --try dns/%s list FQDN [ipv4|ipv6]\n"
		"       --try dns/%s add|del FQDN ADDRESS [--expect A,B,...]\n"
		"       --try dns/%s txt-list NAME\n"
		"       --try dns/%s txt-change NAME DEL|- ADD|- "
		"[--expect [TEXT...]]\n",
		in->name, in->name, in->name, in->name);
	return 1;
}

static int try_timer(struct dfo_instance *in)
{
	const struct dfo_timer_provider *t = dfo_inst_timer(in);
	double now = dfo_now(), last = -1, at = now;
	printf("timer/%s: check timeout %.3f s, %u attempt(s) per target\n",
	       in->name, t->check_timeout(in->state), t->retries(in->state));
	for (int i = 0; i < 3; i++) {
		/* Pretend each round ends when it starts. */
		double next = t->next_round(in->state, last, at);
		last = next;
		printf("  round %d at now + %.3f s\n", i + 1, next - now);
		at = next;
	}
	return 0;
}

int cli_try(struct dfo_config *c, const char *what, int argc, char **argv,
	    double timeout)
{
	char kind[32];
	const char *slash = strchr(what, '/');
	if (!slash || (size_t)(slash - what) >= sizeof(kind) || !slash[1]) {
		fprintf(stderr, "--try wants KIND/NAME, e.g. check/web\n");
		return 1;
	}
	memcpy(kind, what, (size_t)(slash - what));
	kind[slash - what] = '\0';
	int k = dfo_kind_parse(kind);
	if (k < 0) {
		fprintf(stderr,
			"--try: unknown kind '%s' (dns, ipsource, check, "
			"timer)\n",
			kind);
		return 1;
	}
	struct dfo_instance *in = dfo_config_find(c, k, slash + 1);
	if (!in) {
		fprintf(stderr, "--try: %s: no %s instance \"%s\" in %s\n",
			what, kind, slash + 1, c->file);
		return 1;
	}
	if (k != DFO_KIND_RESPONDER) {
		struct dfo_err e;
		dfo_err_clear(&e);
		double t0 = dfo_now();
		if (dfo_instance_start(in, &e) < 0) {
			fprintf(stderr, "--try: %s (%.3f s)\n", e.msg,
				dfo_now() - t0);
			return 1;
		}
	}
	switch (k) {
	case DFO_KIND_CHECK:
		return try_check(c, in, argc, argv, timeout);
	case DFO_KIND_IPSOURCE:
		return try_ipsource(c, in, argc, argv);
	case DFO_KIND_DNS:
		return try_dns(c, in, argc, argv);
	case DFO_KIND_TIMER:
		return try_timer(in);
	default:
		fprintf(stderr,
			"--try: %s instances are run by the daemon only\n",
			kind);
		return 1;
	}
}

/* ---- a provider's own command ---------------------------------------- */

/* The provider name a command line may call: argv[0]'s base name unless
 * it is the program's own, else `--NAME` of `--NAME[-WORD]` when that is
 * not a core option.  Copied into name; *shift: where its argv starts. */
static bool command_name(int argc, char **argv, const struct option *core,
			 char *name, size_t cap, int *shift)
{
	const char *slash = argv[0] ? strrchr(argv[0], '/') : NULL;
	const char *base = slash ? slash + 1 : argv[0];
	if (base && strcmp(base, "dnsfailover") != 0 &&
	    strncmp(base, "lt-", 3) != 0 && strlen(base) < cap) {
		snprintf(name, cap, "%s", base);
		*shift = 0;
		return true;
	}
	if (argc < 2 || strncmp(argv[1], "--", 2) != 0 || !argv[1][2])
		return false;
	const char *opt = argv[1] + 2;
	size_t l = strcspn(opt, "=");
	for (const struct option *o = core; o->name; o++)
		if (strlen(o->name) == l && strncmp(o->name, opt, l) == 0)
			return false;
	l = strcspn(opt, "-=");
	if (l == 0 || l >= cap)
		return false;
	memcpy(name, opt, l);
	name[l] = '\0';
	*shift = 1;
	return true;
}

bool cli_provider_command(int argc, char **argv, const struct option *core_opts,
			  int *status)
{
	char name[64];
	int shift;
	if (!command_name(argc, argv, core_opts, name, sizeof(name), &shift))
		return false;
	struct dfo_registry *reg = dfo_registry_new();
	struct dfo_loader *loader = NULL;
	struct dfo_err e;
	dfo_err_clear(&e);
	bool ran = false;
	if (reg && dfo_loader_load_dir(&loader, reg, dfo_default_plugin_dir(),
				       &e) >= 0) {
		const struct dfo_entry *en =
			dfo_registry_find(reg, DFO_KIND_RESPONDER, name);
		const struct dfo_responder_provider *p = en ? en->ops : NULL;
		if (p && DFO_HAS(p, command)) {
			*status = p->command(argc - shift, argv + shift);
			ran = true;
		}
	} else {
		/* a provider's name or option, not the core's: say why it
		 * cannot be had */
		fprintf(stderr, "dnsfailover: %s\n",
			reg ? e.msg : "out of memory");
		*status = 1;
		ran = true;
	}
	dfo_loader_free(loader);
	dfo_registry_free(reg);
	return ran;
}
