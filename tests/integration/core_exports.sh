#!/bin/bash
# libdnsfailover exports the public API and nothing else: every dynamic
# symbol it defines is a dfo_* function declared in include/dnsfailover,
# and the core's private functions are not among them.  The program
# exports the same API to the plugins it loads.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd nm

lib=$TOP_BUILDDIR/.libs/libdnsfailover.so
[ -f "$lib" ] || fail "no $lib"
public=$(sh "$TOP_SRCDIR/scripts/public-symbols.sh" list "$TOP_SRCDIR"/include/dnsfailover/*.h |
	sed -n 's/^\t\(.*\);$/\1/p' | sort)
[ "$(echo "$public" | wc -l)" -ge 40 ] || fail "public API list too short: $public"
exported=$(nm -D --defined-only "$lib" | awk '{ print $3 }' | sort)
extra=$(comm -13 <(echo "$public") <(echo "$exported"))
[ -z "$extra" ] || fail "exported but not public: $extra"
missing=$(comm -23 <(echo "$public") <(echo "$exported"))
[ -z "$missing" ] || fail "public but not exported: $missing"
for private in dfo_config_load dfo_registry_new dfo_loader_load_dir dfo_run_checks \
	dfo_metrics_write dfo_instance_start; do
	grep -qx "$private" <<<"$exported" && fail "private $private exported"
done
prog=$(nm -D --defined-only "$DFO" | awk '{ print $3 }' | grep '^dfo_' | sort)
missing=$(comm -23 <(echo "$public") <(echo "$prog"))
[ -z "$missing" ] || fail "the program does not export: $missing"
grep -qx dfo_config_load <<<"$prog" && fail "the program exports private dfo_config_load"
pass "$(echo "$exported" | wc -l) public symbols exported, nothing private"
