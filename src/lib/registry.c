/* The provider registry: what the loaded modules registered. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

struct dfo_registry {
	struct dfo_entry *v;
	size_t n, cap;
	char *module;  /* current module path, copied into new entries */
	char why[512]; /* why the last registration failed */
};

struct dfo_registry *dfo_registry_new(void)
{
	return calloc(1, sizeof(struct dfo_registry));
}

void dfo_registry_free(struct dfo_registry *reg)
{
	if (!reg)
		return;
	for (size_t i = 0; i < reg->n; i++)
		free(reg->v[i].module);
	free(reg->v);
	free(reg->module);
	free(reg);
}

void dfo_registry_set_module(struct dfo_registry *reg, const char *path)
{
	free(reg->module);
	reg->module = path ? strdup(path) : NULL;
}

const char *dfo_registry_why(const struct dfo_registry *reg)
{
	return reg->why;
}

size_t dfo_registry_count(const struct dfo_registry *reg)
{
	return reg->n;
}

const struct dfo_entry *dfo_registry_at(const struct dfo_registry *reg,
					size_t i)
{
	return i < reg->n ? &reg->v[i] : NULL;
}

const struct dfo_entry *dfo_registry_find(const struct dfo_registry *reg,
					  enum dfo_kind kind, const char *name)
{
	for (size_t i = 0; i < reg->n; i++)
		if (reg->v[i].kind == kind &&
		    strcmp(reg->v[i].prov->name, name) == 0)
			return &reg->v[i];
	return NULL;
}

/* Names become config keywords: keep them to [a-z0-9_-]. */
static bool valid_name(const char *name)
{
	if (!name || !*name)
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-'))
			return false;
	return true;
}

static int registry_add(struct dfo_registry *reg, enum dfo_kind kind,
			const struct dfo_provider *prov, const void *ops,
			bool ops_ok)
{
	if (!reg)
		return -EINVAL;
	if (prov && prov->size < sizeof(struct dfo_provider)) {
		snprintf(reg->why, sizeof(reg->why),
			 "%s provider \"%s\": its table states no size (set "
			 ".size = sizeof(struct dfo_%s_provider))",
			 dfo_kind_name(kind), prov->name ? prov->name : "?",
			 dfo_kind_name(kind));
		return -EINVAL;
	}
	if (!prov || !valid_name(prov->name) || !prov->create || !ops_ok) {
		snprintf(reg->why, sizeof(reg->why),
			 "%s provider \"%s\" is incomplete: it needs a name of "
			 "[a-z0-9_-], create() and every operation of its kind",
			 dfo_kind_name(kind),
			 prov && prov->name ? prov->name : "?");
		return -EINVAL;
	}
	const struct dfo_entry *old = dfo_registry_find(reg, kind, prov->name);
	if (old) {
		snprintf(reg->why, sizeof(reg->why),
			 "%s provider \"%s\" is already registered by %s",
			 dfo_kind_name(kind), prov->name,
			 old->module ? old->module : "the core");
		return -EEXIST;
	}
	struct dfo_entry *v =
		dfo_grow(reg->v, &reg->cap, reg->n + 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	reg->v = v;
	struct dfo_entry *e = &reg->v[reg->n];
	e->kind = kind;
	e->prov = prov;
	e->ops = ops;
	e->module = reg->module ? strdup(reg->module) : NULL;
	if (reg->module && !e->module)
		return -ENOMEM;
	reg->n++;
	return 0;
}

int dfo_register_dns(struct dfo_registry *reg, const struct dfo_dns_provider *p)
{
	return registry_add(reg, DFO_KIND_DNS, (const void *)p, p,
			    p && DFO_HAS(p, list) && DFO_HAS(p, add) &&
				    DFO_HAS(p, del));
}

int dfo_register_ipsource(struct dfo_registry *reg,
			  const struct dfo_ipsource_provider *p)
{
	return registry_add(reg, DFO_KIND_IPSOURCE, (const void *)p, p,
			    p && DFO_HAS(p, own_addr));
}

int dfo_register_check(struct dfo_registry *reg,
		       const struct dfo_check_provider *p)
{
	return registry_add(reg, DFO_KIND_CHECK, (const void *)p, p,
			    p && DFO_HAS(p, check));
}

int dfo_register_timer(struct dfo_registry *reg,
		       const struct dfo_timer_provider *p)
{
	return registry_add(reg, DFO_KIND_TIMER, (const void *)p, p,
			    p && DFO_HAS(p, next_round) &&
				    DFO_HAS(p, check_timeout) &&
				    DFO_HAS(p, retries));
}

int dfo_register_responder(struct dfo_registry *reg,
			   const struct dfo_responder_provider *p)
{
	return registry_add(reg, DFO_KIND_RESPONDER, (const void *)p, p,
			    p && DFO_HAS(p, run));
}
