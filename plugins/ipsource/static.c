/* ipsource "static": a fixed address from the config. */
#include <stdlib.h>
#include <string.h>

#include <dnsfailover/dnsfailover.h>

struct static_src {
	struct dfo_addr addr[2]; /* [0] IPv4, [1] IPv6; family 0 if unset */
};

static cfg_opt_t static_opts[] = {
	/* One address, or a list of one IPv4 and one IPv6 address. */
	CFG_STR_LIST("address", NULL, CFGF_NODEFAULT), CFG_END()};

static int static_create(const char *instance, cfg_t *sec, void **state,
			 struct dfo_err *err)
{
	unsigned n = cfg_size(sec, "address");
	if (n == 0)
		return dfo_err_set(err, -EINVAL,
				   "option 'address' is required");
	struct static_src *s = calloc(1, sizeof(*s));
	if (!s)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	for (unsigned i = 0; i < n; i++) {
		const char *text = cfg_getnstr(sec, "address", i);
		struct dfo_addr a;
		if (dfo_addr_parse(&a, text) < 0) {
			free(s);
			return dfo_err_set(
				err, -EINVAL,
				"address '%s' is not an IPv4 or IPv6 "
				"address",
				text);
		}
		int slot = a.family == AF_INET ? 0 : 1;
		if (s->addr[slot].family) {
			free(s);
			return dfo_err_set(err, -EINVAL,
					   "address: at most one %s address",
					   dfo_family_name(a.family));
		}
		s->addr[slot] = a;
	}
	*state = s;
	return 0;
}

static void static_destroy(void *state)
{
	free(state);
}

static int static_own_addr(void *state, int family, struct dfo_addr *out,
			   struct dfo_err *err)
{
	struct static_src *s = state;
	const struct dfo_addr *a = &s->addr[family == AF_INET6 ? 1 : 0];
	if (!a->family)
		return dfo_err_set(err, -EADDRNOTAVAIL,
				   "no %s address configured",
				   dfo_family_name(family));
	*out = *a;
	return 0;
}

static unsigned static_families(void *state)
{
	struct static_src *s = state;
	return (s->addr[0].family ? DFO_FAMILY_IPV4 : 0) |
	       (s->addr[1].family ? DFO_FAMILY_IPV6 : 0);
}

static const struct dfo_ipsource_provider static_provider = {
	.size = sizeof(struct dfo_ipsource_provider),
	.name = "static",
	.description = "a fixed address from the config",
	.options = static_opts,
	.create = static_create,
	.destroy = static_destroy,
	.own_addr = static_own_addr,
	.families = static_families,
};

static int static_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_ipsource(reg, &static_provider);
}

DFO_MODULE("ipsource_static", static_init);
