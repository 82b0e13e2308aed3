/*
 * awsdns sources: several accounts and regions in one index.
 *
 *   source "prod-eu" { region = "eu-west-1"
 *                      role_arn = "arn:aws:iam::111111111111:role/awsdns"
 *                      external_id = "..." }
 *   source "dev" { region = "us-east-1" }
 *
 * Each source has its own AWS client, derived from the core's
 * (dfo_aws_derive: its region, profile, or a role assumed through STS).
 * A refresh asks every source; a source that fails keeps the instances of
 * its last good answer (a copy held here), is logged once and shown by
 * the metrics dnsfailover_awsdns_source_up / _instances /
 * _errors_total{source}, while the others refresh.  The index merges all
 * of them: a name that several instances claim, of one source or of
 * several, answers with all their addresses.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "awsdns.h"

struct source {
	char *name;
	struct dfo_aws_source set; /* strings owned here */
	struct dfo_aws *aws;
	struct dfo_ec2_instance *insts; /* the last good answer */
	size_t ninst;
	bool loaded, failing;
	struct dfo_metric *m_up, *m_inst, *m_err;
};

cfg_opt_t awsdns_source_opts[] = {CFG_STR("region", NULL, CFGF_NONE),
				  CFG_STR("profile", NULL, CFGF_NONE),
				  CFG_STR("role_arn", NULL, CFGF_NONE),
				  CFG_STR("external_id", NULL, CFGF_NONE),
				  CFG_STR("session_name", NULL, CFGF_NONE),
				  CFG_INT("duration", 0, CFGF_NONE),
				  CFG_END()};

/* ---- instance copies ---- */

static bool dup_str(char **dst, const char *src)
{
	*dst = src ? strdup(src) : NULL;
	return !src || *dst;
}

static int inst_copy(struct dfo_ec2_instance *d,
		     const struct dfo_ec2_instance *i)
{
	memset(d, 0, sizeof(*d));
	bool ok = dup_str(&d->id, i->id) && dup_str(&d->state, i->state) &&
		  dup_str(&d->type, i->type) &&
		  dup_str(&d->key_name, i->key_name) &&
		  dup_str(&d->image_id, i->image_id) &&
		  dup_str(&d->private_ip, i->private_ip) &&
		  dup_str(&d->public_ip, i->public_ip) &&
		  dup_str(&d->private_dns, i->private_dns) &&
		  dup_str(&d->public_dns, i->public_dns) &&
		  dup_str(&d->az, i->az) && dup_str(&d->vpc_id, i->vpc_id) &&
		  dup_str(&d->subnet_id, i->subnet_id);
	if (ok && i->nipv6 && !(d->ipv6 = calloc(i->nipv6, sizeof(char *))))
		ok = false;
	for (size_t k = 0; ok && k < i->nipv6; k++, d->nipv6++)
		ok = dup_str(&d->ipv6[k], i->ipv6[k]);
	if (ok && i->ntags && !(d->tags = calloc(i->ntags, sizeof(*d->tags))))
		ok = false;
	for (size_t k = 0; ok && k < i->ntags; k++, d->ntags++)
		ok = dup_str(&d->tags[k].key, i->tags[k].key) &&
		     dup_str(&d->tags[k].value, i->tags[k].value);
	if (!ok) {
		dfo_ec2_instance_clear(d);
		return -ENOMEM;
	}
	return 0;
}

static void insts_free(struct dfo_ec2_instance *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dfo_ec2_instance_clear(&v[i]);
	free(v);
}

/* ---- configuration ---- */

static void source_clear(struct source *s)
{
	free(s->name);
	free((char *)s->set.region);
	free((char *)s->set.profile);
	free((char *)s->set.role_arn);
	free((char *)s->set.external_id);
	free((char *)s->set.session_name);
	dfo_aws_free(s->aws);
	insts_free(s->insts, s->ninst);
	memset(s, 0, sizeof(*s));
}

void sources_free(struct sources *ss)
{
	for (size_t i = 0; ss->v && i < ss->n; i++)
		source_clear(&ss->v[i]);
	free(ss->v);
	memset(ss, 0, sizeof(*ss));
}

static int opt_dup(cfg_t *sec, const char *opt, const char **dst)
{
	const char *v = cfg_getstr(sec, opt);
	*dst = NULL;
	if (v && *v && !(*dst = strdup(v)))
		return -ENOMEM;
	return 0;
}

int sources_parse(cfg_t *sec, struct sources *ss, struct dfo_err *err)
{
	memset(ss, 0, sizeof(*ss));
	size_t n = cfg_size(sec, "source");
	if (!n)
		return 0;
	if (n > 64)
		return dfo_err_set(err, -EINVAL, "source: at most 64");
	if (!(ss->v = calloc(n, sizeof(*ss->v))))
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++, ss->n++) {
		cfg_t *s = cfg_getnsec(sec, "source", (unsigned)i);
		struct source *src = &ss->v[i];
		long dur = cfg_getint(s, "duration");
		if (!(src->name = strdup(cfg_title(s))) ||
		    opt_dup(s, "region", &src->set.region) < 0 ||
		    opt_dup(s, "profile", &src->set.profile) < 0 ||
		    opt_dup(s, "role_arn", &src->set.role_arn) < 0 ||
		    opt_dup(s, "external_id", &src->set.external_id) < 0 ||
		    opt_dup(s, "session_name", &src->set.session_name) < 0)
			return dfo_err_set(err, -ENOMEM, "out of memory");
		if (dur && (dur < 900 || dur > 43200))
			return dfo_err_set(err, -EINVAL,
					   "source \"%s\": duration "
					   "%ld: 900 to 43200 seconds",
					   src->name, dur);
		src->set.duration = (unsigned)dur;
		if (src->set.external_id && !src->set.role_arn)
			return dfo_err_set(err, -EINVAL,
					   "source \"%s\": "
					   "external_id needs role_arn",
					   src->name);
		if (src->set.role_arn &&
		    strncmp(src->set.role_arn, "arn:", 4) != 0)
			return dfo_err_set(err, -EINVAL,
					   "source \"%s\": "
					   "role_arn '%s' is not an ARN",
					   src->name, src->set.role_arn);
	}
	return 0;
}

/* ---- running ---- */

int sources_start(struct sources *ss, const char *instance, struct dfo_aws *def,
		  struct dfo_err *err)
{
	for (size_t i = 0; i < ss->n; i++) {
		struct source *s = &ss->v[i];
		int rc = dfo_aws_derive(def, &s->set, &s->aws, err);
		if (rc < 0) {
			char why[sizeof(err->msg)];
			snprintf(why, sizeof(why), "%s", err ? err->msg : "");
			return dfo_err_set(err, rc, "source \"%s\": %s",
					   s->name, why);
		}
		char labels[256];
		snprintf(labels, sizeof(labels),
			 "responder=\"%s\",source=\"%s\"", instance, s->name);
		s->m_up = dfo_metric_register(
			DFO_METRIC_GAUGE, "dnsfailover_awsdns_source_up",
			"1 if the source's last refresh succeeded", labels);
		s->m_inst = dfo_metric_register(
			DFO_METRIC_GAUGE, "dnsfailover_awsdns_source_instances",
			"Instances the source gave at its last good refresh",
			labels);
		s->m_err = dfo_metric_register(
			DFO_METRIC_COUNTER,
			"dnsfailover_awsdns_source_errors_total",
			"Refreshes of the source that failed", labels);
	}
	return 0;
}

void sources_stop(struct sources *ss)
{
	for (size_t i = 0; i < ss->n; i++) {
		dfo_aws_free(ss->v[i].aws);
		ss->v[i].aws = NULL;
	}
}

struct grab {
	struct dfo_ec2_instance *v;
	size_t n, cap;
	atomic_bool *quitting;
};

static int grab_one(const struct dfo_ec2_instance *inst, void *ctx)
{
	struct grab *g = ctx;
	if (atomic_load(g->quitting))
		return -ECANCELED;
	if (g->n == g->cap) {
		size_t cap = g->cap ? g->cap * 2 : 256;
		void *v = realloc(g->v, cap * sizeof(*g->v));
		if (!v)
			return -ENOMEM;
		g->v = v;
		g->cap = cap;
	}
	int rc = inst_copy(&g->v[g->n], inst);
	if (rc == 0)
		g->n++;
	return rc;
}

/* Ask one source; on success its copy is replaced. */
static int source_refresh(struct source *s, const struct awsdns_conf *c,
			  atomic_bool *quitting, struct dfo_err *err)
{
	struct grab g = {.quitting = quitting};
	int rc = dfo_ec2_describe_instances(s->aws, c->filters, c->nfilters,
					    grab_one, &g, err);
	if (rc < 0) {
		insts_free(g.v, g.n);
		if (rc == -ECANCELED || rc == -ENOMEM)
			dfo_err_set(err, rc, "DescribeInstances: %s",
				    strerror(-rc));
		return rc;
	}
	insts_free(s->insts, s->ninst);
	s->insts = g.v;
	s->ninst = g.n;
	s->loaded = true;
	return 0;
}

int sources_load(struct sources *ss, const struct awsdns_conf *c,
		 const struct index_conf *ic, struct awsdns_index *ix,
		 atomic_bool *quitting, struct dfo_err *err)
{
	int first_rc = 0;
	size_t ok = 0;
	for (size_t i = 0; i < ss->n; i++) {
		struct source *s = &ss->v[i];
		struct dfo_err e;
		dfo_err_clear(&e);
		int rc = source_refresh(s, c, quitting, &e);
		if (rc == -ECANCELED)
			return dfo_err_set(err, rc, "stopping");
		if (rc < 0) {
			dfo_metric_add(s->m_err, 1);
			dfo_metric_set(s->m_up, 0);
			dfo_log(s->failing ? DFO_LOG_DEBUG : DFO_LOG_WARNING,
				"awsdns %s: source \"%s\" failed, %s: %s",
				c->instance, s->name,
				s->loaded ? "keeping its last instances"
					  : "nothing from it yet",
				e.msg[0] ? e.msg : strerror(-rc));
			s->failing = true;
			/* every failing source, for --status (the refresh
			 * itself may still succeed) */
			char was[sizeof(err->msg)];
			snprintf(was, sizeof(was), "%s",
				 first_rc && err ? err->msg : "");
			if (!first_rc)
				first_rc = rc;
			char kept[64];
			snprintf(kept, sizeof(kept),
				 "keeping its last %zu "
				 "instance(s)",
				 s->ninst);
			dfo_err_set(err, first_rc,
				    "%s%ssource \"%s\" failing "
				    "(%s): %s",
				    was, was[0] ? "; " : "", s->name,
				    s->loaded ? kept : "nothing from it yet",
				    e.msg[0] ? e.msg : strerror(-rc));
		} else {
			if (s->failing)
				dfo_log(DFO_LOG_NOTICE,
					"awsdns %s: source "
					"\"%s\" answers again",
					c->instance, s->name);
			s->failing = false;
			dfo_metric_set(s->m_up, 1);
			dfo_metric_set(s->m_inst, (double)s->ninst);
		}
		ok += s->loaded;
	}
	if (ok == 0)
		return first_rc ? first_rc : -EIO;
	for (size_t i = 0; i < ss->n; i++)
		for (size_t k = 0; k < ss->v[i].ninst; k++) {
			int rc = index_add(ix, ic, &ss->v[i].insts[k]);
			if (rc < 0)
				return dfo_err_set(err, rc, "index: %s",
						   strerror(-rc));
		}
	return 0;
}

size_t sources_failing(const struct sources *ss)
{
	size_t n = 0;
	for (size_t i = 0; i < ss->n; i++)
		n += ss->v[i].failing;
	return n;
}
