/*
 * Test-only module "test_flaky": dns "flaky", records in a file of
 * "ADDRESS NAME" lines (a hosts file with one name a line), with
 * compare-and-set, that fails on demand:
 *
 * dns "d" { flaky { file = "FILE" fail_file = "FAILFILE" } }
 *
 * While FAILFILE exists, the operations it names ("list", "add", "del"
 * or "all", any of them) return -EIO.  Each failure is counted in
 * FAILFILE.count (one line per failure) so a test can see it happened.
 * Every call is logged in FAILFILE.calls ("list", "add", "del", then the
 * CLOCK_MONOTONIC time, a line).  With `spacing = S`, the instance asks
 * the agent to leave S seconds between its calls (call_spacing).
 *
 * dns "d" { nocas { file = "FILE" fail_file = "FAILFILE"
 *                   swap_file = "SWAP" } }
 *
 * The same without compare-and-set: add/del ignore `expected`, as a
 * service with no conditional change.  When list() finds SWAP, it answers
 * from FILE as it was, then renames SWAP over FILE: another agent's
 * change, landing right after the round's read.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <unistd.h>

#include <dnsfailover/dnsfailover.h>

struct flaky {
	char *file, *fail, *swap;
	bool cas;
	double spacing;
};

static cfg_opt_t flaky_opts[] = {CFG_STR("file", NULL, CFGF_NODEFAULT),
				 CFG_STR("fail_file", NULL, CFGF_NODEFAULT),
				 CFG_FLOAT("spacing", 0, CFGF_NONE), CFG_END()};

static cfg_opt_t nocas_opts[] = {CFG_STR("file", NULL, CFGF_NODEFAULT),
				 CFG_STR("fail_file", NULL, CFGF_NODEFAULT),
				 CFG_STR("swap_file", NULL, CFGF_NODEFAULT),
				 CFG_END()};

static void flaky_destroy(void *state)
{
	struct flaky *f = state;
	if (!f)
		return;
	free(f->file);
	free(f->fail);
	free(f->swap);
	free(f);
}

static int flaky_create(const char *instance, cfg_t *sec, void **state,
			struct dfo_err *err)
{
	const char *file = cfg_getstr(sec, "file"),
		   *fail = cfg_getstr(sec, "fail_file");
	if (!file || !fail)
		return dfo_err_set(err, -EINVAL,
				   "file and fail_file are required");
	struct flaky *f = calloc(1, sizeof(*f));
	if (!f || !(f->file = strdup(file)) || !(f->fail = strdup(fail))) {
		flaky_destroy(f);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	f->cas = true;
	f->spacing = cfg_getfloat(sec, "spacing");
	*state = f;
	return 0;
}

static int nocas_create(const char *instance, cfg_t *sec, void **state,
			struct dfo_err *err)
{
	int rc = flaky_create(instance, sec, state, err);
	if (rc < 0)
		return rc;
	struct flaky *f = *state;
	const char *swap = cfg_getstr(sec, "swap_file");
	f->cas = false;
	if (swap && !(f->swap = strdup(swap))) {
		flaky_destroy(f);
		return dfo_err_set(err, -ENOMEM, "out of memory");
	}
	return 0;
}

static void called(struct flaky *f, const char *op)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s.calls", f->fail);
	FILE *fp = fopen(path, "ae");
	if (fp) {
		fprintf(fp, "%s %.6f\n", op, dfo_now());
		fclose(fp);
	}
}

static double flaky_spacing(void *state)
{
	return ((struct flaky *)state)->spacing;
}

/* -EIO if the fail file names `op` or "all". */
static int injected(struct flaky *f, const char *op, struct dfo_err *err)
{
	FILE *fp = fopen(f->fail, "re");
	if (!fp)
		return 0;
	char word[32];
	bool hit = false;
	while (!hit && fscanf(fp, "%31s", word) == 1)
		hit = strcmp(word, op) == 0 || strcmp(word, "all") == 0;
	fclose(fp);
	if (!hit)
		return 0;
	char path[4096];
	snprintf(path, sizeof(path), "%s.count", f->fail);
	if ((fp = fopen(path, "ae"))) {
		fprintf(fp, "%s\n", op);
		fclose(fp);
	}
	return dfo_err_set(err, -EIO, "injected %s failure", op);
}

/* Read the records of fqdn into out; with keep, the other lines too. */
static int load(struct flaky *f, const char *fqdn, struct dfo_rrset *out,
		char ***keep, size_t *nkeep, struct dfo_err *err)
{
	FILE *fp = fopen(f->file, "re");
	if (!fp)
		return errno == ENOENT ? 0
				       : dfo_err_set(err, -errno, "%s: %s",
						     f->file, strerror(errno));
	char line[1024];
	while (fgets(line, sizeof(line), fp)) {
		char a[64], name[512];
		struct dfo_addr addr;
		if (sscanf(line, "%63s %511s", a, name) == 2 &&
		    strcasecmp(name, fqdn) == 0 &&
		    dfo_addr_parse_family(&addr, a, out->family) == 0) {
			dfo_rrset_add(out, &addr);
			continue;
		}
		if (keep) {
			char **k = realloc(*keep, (*nkeep + 1) * sizeof(*k));
			if (!k)
				break;
			*keep = k;
			k[(*nkeep)++] = strdup(line);
		}
	}
	fclose(fp);
	return 0;
}

static int flaky_list(void *state, const char *fqdn, struct dfo_rrset *out,
		      struct dfo_err *err)
{
	struct flaky *f = state;
	called(f, "list");
	int rc = injected(f, "list", err);
	if (rc == 0)
		rc = load(f, fqdn, out, NULL, NULL, err);
	if (rc == 0 && f->swap && access(f->swap, F_OK) == 0 &&
	    rename(f->swap, f->file) < 0)
		rc = dfo_err_set(err, -errno, "%s: %s", f->swap,
				 strerror(errno));
	return rc;
}

static int change(struct flaky *f, const char *op, const char *fqdn,
		  const struct dfo_addr *addr, const struct dfo_rrset *expected,
		  struct dfo_err *err)
{
	called(f, op);
	int rc = injected(f, op, err);
	if (rc)
		return rc;
	if (!f->cas)
		expected = NULL;
	char lock[4096], tmp[4096];
	snprintf(lock, sizeof(lock), "%s.lock", f->file);
	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", f->file, (int)getpid());
	int lfd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lfd < 0 || flock(lfd, LOCK_EX) < 0) {
		rc = dfo_err_set(err, -errno, "%s: %s", lock, strerror(errno));
		if (lfd >= 0)
			close(lfd);
		return rc;
	}
	struct dfo_rrset cur;
	dfo_rrset_init(&cur, addr->family);
	char **keep = NULL;
	size_t nkeep = 0;
	rc = load(f, fqdn, &cur, &keep, &nkeep, err);
	if (rc == 0 && expected && !dfo_rrset_same(&cur, expected))
		rc = dfo_err_set(err, DFO_ESTALE, "%s changed", fqdn);
	if (rc == 0) {
		if (op[0] == 'a')
			dfo_rrset_add(&cur, addr);
		else
			dfo_rrset_remove(&cur, addr);
		FILE *fp = fopen(tmp, "we");
		if (!fp) {
			rc = dfo_err_set(err, -errno, "%s: %s", tmp,
					 strerror(errno));
		} else {
			char a[DFO_ADDR_STRLEN];
			for (size_t i = 0; i < nkeep; i++)
				fputs(keep[i], fp);
			for (size_t i = 0; i < cur.count; i++)
				fprintf(fp, "%s\t%s\n",
					dfo_addr_format(&cur.addrs[i], a,
							sizeof(a)),
					fqdn);
			if (fclose(fp) != 0 || rename(tmp, f->file) != 0)
				rc = dfo_err_set(err, -errno, "%s: %s", f->file,
						 strerror(errno));
		}
	}
	for (size_t i = 0; i < nkeep; i++)
		free(keep[i]);
	free(keep);
	dfo_rrset_clear(&cur);
	close(lfd);
	return rc;
}

static int flaky_add(void *state, const char *fqdn, const struct dfo_addr *addr,
		     const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, "add", fqdn, addr, expected, err);
}

static int flaky_del(void *state, const char *fqdn, const struct dfo_addr *addr,
		     const struct dfo_rrset *expected, struct dfo_err *err)
{
	return change(state, "del", fqdn, addr, expected, err);
}

static const struct dfo_dns_provider flaky_provider = {
	.size = sizeof(struct dfo_dns_provider),
	.name = "flaky",
	.description = "test: records in a file, failing on demand",
	.options = flaky_opts,
	.create = flaky_create,
	.destroy = flaky_destroy,
	.flags = DFO_DNS_CAS,
	.list = flaky_list,
	.add = flaky_add,
	.del = flaky_del,
	.call_spacing = flaky_spacing,
};

static const struct dfo_dns_provider nocas_provider = {
	.size = sizeof(struct dfo_dns_provider),
	.name = "nocas",
	.description = "test: records in a file, no compare-and-set",
	.options = nocas_opts,
	.create = nocas_create,
	.destroy = flaky_destroy,
	.flags = 0,
	.list = flaky_list,
	.add = flaky_add,
	.del = flaky_del,
};

static int flaky_init(struct dfo_registry *reg, struct dfo_err *err)
{
	int rc = dfo_register_dns(reg, &flaky_provider);
	return rc ? rc : dfo_register_dns(reg, &nocas_provider);
}

DFO_MODULE("test_flaky", flaky_init);
