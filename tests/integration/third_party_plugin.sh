#!/bin/bash
# A third-party plugin built out of tree against the installed headers
# with `pkg-config dnsfailover`, dropped into a plugin dir, seen by
# --list-plugins and working through --try.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd pkg-config cc make

# Install the library, the headers and dnsfailover.pc into a staging
# prefix.  Not the plugins: libtool relinks them in the build tree when
# it installs them, which would pull them away from tests running in
# parallel (make distcheck covers their install and uninstall).
stage=$T/stage
make -C "$TOP_BUILDDIR" install-libLTLIBRARIES install-dfoincludeHEADERS \
	install-pkgconfigDATA DESTDIR="$stage" >"$T/install.log" 2>&1 ||
	{ tail -20 "$T/install.log"; fail "make install DESTDIR"; }
prefix=$(sed -n 's/^prefix=//p' "$TOP_BUILDDIR/dnsfailover.pc")
export PKG_CONFIG_PATH="$stage$prefix/lib/pkgconfig"
export PKG_CONFIG_SYSROOT_DIR="$stage"
pkg-config --exists dnsfailover || fail "pkg-config cannot find dnsfailover"
plugindir=$(pkg-config --variable=plugindir dnsfailover)
[ -n "$plugindir" ] || fail "dnsfailover.pc has no plugindir"
[ -f "$stage$prefix/include/dnsfailover/plugin.h" ] || fail "headers not installed"

# The plugin: a check that is healthy for even last octets.
mkdir -p "$T/src"
cat >"$T/src/even.c" <<'C'
#include <dnsfailover/dnsfailover.h>
#include <stdlib.h>

struct even { long bonus; };
static cfg_opt_t opts[] = { CFG_INT("bonus", 0, CFGF_NONE), CFG_END() };

static int even_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	struct even *e = calloc(1, sizeof(*e));
	if (!e)
		return dfo_err_set(err, -ENOMEM, "out of memory");
	e->bonus = cfg_getint(sec, "bonus");
	*state = e;
	return 0;
}
static void even_destroy(void *state) { free(state); }
static int even_check(void *state, const struct dfo_check_target *t,
		      struct dfo_err *err)
{
	struct even *e = state;
	unsigned last = t->addr.family == AF_INET ?
		ntohl(t->addr.u.v4.s_addr) & 0xff : t->addr.u.v6.s6_addr[15];
	if ((last + e->bonus) % 2)
		return dfo_err_set(err, -EINVAL, "odd address (%u)", last);
	return 0;
}
static const struct dfo_check_provider even = {
	.size = sizeof(struct dfo_check_provider),
	.name = "even", .description = "third-party test check",
	.options = opts, .create = even_create, .destroy = even_destroy,
	.check = even_check,
};
static int even_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_check(reg, &even);
}
DFO_MODULE("check_even", even_init);
C
# shellcheck disable=SC2046
cc -Wall -Wextra -Wno-unused-parameter -Werror -fPIC -shared -o "$T/src/check_even.so" "$T/src/even.c" \
	$(pkg-config --cflags --libs dnsfailover) || fail "out-of-tree build"

# A plugin dir: the build tree's plugins plus the new one.
mkdir -p "$T/plugins"
ln -s "$DFO_PLUGINS"/*.so "$T/plugins/"
cp "$T/src/check_even.so" "$T/plugins/"
export DNSFAILOVER_PLUGIN_DIR="$T/plugins"

out=$("$DFO" --list-plugins) || fail "--list-plugins"
assert_contains "$out" "  even       third-party test check" "list"
assert_contains "$out" "module: $T/plugins/check_even.so" "list module"
assert_contains "$out" "bonus (integer) = 0" "list options"

cat >"$T/even.conf" <<C
plugin_dir = "$T/plugins"
check "parity" { even { bonus = 0 } }
C
out=$("$DFO" -C "$T/even.conf" --try check/parity 192.0.2.10) || fail "even address: $out"
assert_contains "$out" "healthy" "try even"
out=$("$DFO" -C "$T/even.conf" --try check/parity 192.0.2.11) && fail "odd address passed"
assert_contains "$out" "odd address (11)" "try odd"
pass "third-party plugin"
