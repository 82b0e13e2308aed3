/*
 * Drives one dns provider instance of a config, as the agent does
 * (create, start, list/add/del with the set read as `expected`), for
 * tests and bench/route53_quota.sh.
 *
 *   dns_driver CONF INSTANCE STEP [, STEP]...
 *     list NAME [ipv4|ipv6]   prints "list NAME: ADDR... ttl T"
 *     add NAME ADDR / del NAME ADDR   expected = NAME's last list (none:
 *                             unconditional); prints "ok", "stale" or
 *                             "error: MESSAGE"
 *     sh COMMAND              runs COMMAND (/bin/sh -c) between steps
 *
 *   dns_driver CONF INSTANCE bench N INTERVAL ROUNDS DEAD_PER_ROUND ZONE
 *     N simulated agents, each with its own name agent-J.ZONE holding
 *     its own address and one peer's; agent J's round runs every
 *     INTERVAL s at offset J*INTERVAL/N: one list(); in rounds 1..ROUNDS-1
 *     DEAD_PER_ROUND agents find their peer dead and del() it.  Prints
 *     the rounds whose calls failed, and the slowest eviction (from the
 *     start of the round the peer died in).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/internal.h"
#include "core.h"

static struct dfo_instance *inst;
static const struct dfo_dns_provider *prov;

struct last {
	char *name;
	struct dfo_rrset set;
};
static struct last lasts[64];
static size_t nlasts;

static struct last *last_of(const char *name, bool make, int family)
{
	for (size_t i = 0; i < nlasts; i++)
		if (strcmp(lasts[i].name, name) == 0)
			return &lasts[i];
	if (!make || nlasts == 64)
		return NULL;
	lasts[nlasts].name = strdup(name);
	dfo_rrset_init(&lasts[nlasts].set, family);
	return &lasts[nlasts++];
}

static void print_set(const char *what, const char *name,
		      const struct dfo_rrset *s)
{
	char buf[DFO_ADDR_STRLEN];
	printf("%s %s:", what, name);
	for (size_t i = 0; i < s->count; i++)
		printf(" %s", dfo_addr_format(&s->addrs[i], buf, sizeof(buf)));
	printf(" ttl %u\n", (unsigned)s->ttl);
}

static int step(char **a, int n)
{
	struct dfo_err err = {0};
	if (n >= 2 && strcmp(a[0], "list") == 0) {
		int fam = n >= 3 && strcmp(a[2], "ipv6") == 0 ? AF_INET6
							      : AF_INET;
		struct last *l = last_of(a[1], true, fam);
		dfo_rrset_clear(&l->set);
		dfo_rrset_init(&l->set, fam);
		int rc = prov->list(inst->state, a[1], &l->set, &err);
		if (rc < 0) {
			printf("list %s: error: %s\n", a[1], err.msg);
			return 1;
		}
		dfo_rrset_sort(&l->set);
		print_set("list", a[1], &l->set);
		return 0;
	}
	if (n == 3 && (strcmp(a[0], "add") == 0 || strcmp(a[0], "del") == 0)) {
		struct dfo_addr addr;
		if (dfo_addr_parse(&addr, a[2]) < 0)
			return 2;
		struct last *l = last_of(a[1], false, addr.family);
		int rc = (a[0][0] == 'a' ? prov->add : prov->del)(
			inst->state, a[1], &addr, l ? &l->set : NULL, &err);
		printf("%s %s %s: %s%s\n", a[0], a[1], a[2],
		       rc == 0		  ? "ok"
		       : rc == DFO_ESTALE ? "stale"
					  : "error: ",
		       rc == 0 || rc == DFO_ESTALE ? "" : err.msg);
		return rc == 0 ? 0 : 1;
	}
	if (n == 2 && strcmp(a[0], "sh") == 0) {
		fflush(stdout);
		return system(a[1]) == 0 ? 0 : 1;
	}
	return 2;
}

static void sleep_until(double t)
{
	double d = t - dfo_now();
	if (d > 0) {
		struct timespec ts = {(time_t)d, (long)((d - (time_t)d) * 1e9)};
		nanosleep(&ts, NULL);
	}
}

static int bench(int n, double interval, int rounds, int dead, const char *zone)
{
	double t0 = dfo_now() + 0.5, worst = 0;
	int failed_rounds = 0, evicted = 0, calls = 0;
	char name[300], peer[64];
	for (int r = 0; r < rounds; r++) {
		bool failed = false;
		/* agents losing their peer this round: every (n/dead)-th, so
		 * that the deaths (independent events in separate pools)
		 * arrive spread over the interval */
		int every = dead ? (n / dead > 0 ? n / dead : 1) : 0;
		for (int j = 0; j < n; j++) {
			sleep_until(t0 + r * interval + j * interval / n);
			snprintf(name, sizeof(name), "agent-%d.%s", j, zone);
			struct dfo_rrset set;
			struct dfo_err err = {0};
			dfo_rrset_init(&set, AF_INET);
			calls++;
			if (prov->list(inst->state, name, &set, &err) < 0) {
				failed = true;
				fprintf(stderr, "round %d agent %d: list: %s\n",
					r, j, err.msg);
				dfo_rrset_clear(&set);
				continue;
			}
			bool dies = r >= 1 && every && j % every == r % every;
			snprintf(peer, sizeof(peer), "10.%d.%d.2",
				 (j >> 8) & 255, j & 255);
			struct dfo_addr pa;
			dfo_addr_parse(&pa, peer);
			if (dies && dfo_rrset_contains(&set, &pa)) {
				calls++;
				int rc = prov->del(inst->state, name, &pa, &set,
						   &err);
				double took = dfo_now() - (t0 + r * interval);
				if (rc < 0) {
					failed = true;
					fprintf(stderr,
						"round %d agent %d: del: %s\n",
						r, j, err.msg);
				} else {
					evicted++;
					if (took > worst)
						worst = took;
				}
			}
			dfo_rrset_clear(&set);
		}
		failed_rounds += failed;
	}
	printf("agents %d interval %.1f rounds %d calls %d evicted %d "
	       "failed_rounds %d slowest_eviction %.2f\n",
	       n, interval, rounds, calls, evicted, failed_rounds, worst);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: dns_driver CONF INSTANCE STEP...\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dfo_log_setup(getenv("DRIVER_DEBUG") ? DFO_LOG_DEBUG : DFO_LOG_WARNING,
		      0, "dns_driver");
	struct dfo_err err = {0};
	struct dfo_registry *reg = dfo_registry_new();
	struct dfo_loader *loader = NULL;
	struct dfo_config *conf = NULL;
	/* plugin_dir as the daemon reads it: a list, or the default path. */
	char **dirs = dfo_config_plugin_dir(argv[1], &err);
	if ((!dirs && err.code < 0) ||
	    dfo_loader_load_path(&loader, reg, dirs, &err) < 0 ||
	    dfo_config_load(&conf, reg, argv[1], true, &err) < 0) {
		fprintf(stderr, "dns_driver: %s\n", err.msg);
		return 1;
	}
	dfo_strv_free(dirs);
	inst = dfo_config_find(conf, DFO_KIND_DNS, argv[2]);
	if (!inst) {
		fprintf(stderr, "dns_driver: no dns \"%s\"\n", argv[2]);
		return 1;
	}
	prov = dfo_inst_dns(inst);
	if (dfo_instance_start(inst, &err) < 0) {
		printf("start: error: %s\n", err.msg);
		return 1;
	}
	int rc = 0;
	if (strcmp(argv[3], "bench") == 0 && argc == 9) {
		rc = bench(atoi(argv[4]), atof(argv[5]), atoi(argv[6]),
			   atoi(argv[7]), argv[8]);
	} else {
		int s = 3;
		while (s < argc) {
			int e = s;
			while (e < argc && strcmp(argv[e], ",") != 0)
				e++;
			int r = step(argv + s, e - s);
			if (r == 2) {
				fprintf(stderr, "dns_driver: bad step '%s'\n",
					argv[s]);
				return 2;
			}
			rc |= r;
			s = e + 1;
		}
	}
	for (size_t i = 0; i < nlasts; i++) {
		free(lasts[i].name);
		dfo_rrset_clear(&lasts[i].set);
	}
	dfo_instance_stop(inst);
	dfo_config_free(conf);
	dfo_loader_free(loader);
	dfo_registry_free(reg);
	dfo_aws_unconfigure();
	return rc;
}
