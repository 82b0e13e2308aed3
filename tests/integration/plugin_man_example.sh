#!/bin/bash
# The example check of dnsfailover-plugins(7), as the page prints it,
# built out of tree against the staged headers with pkg-config (whose
# --libs the page says is empty on purpose), loaded from a drop-in
# directory beside the stock one, and run by an agent: the peer it flags
# is evicted, the unflagged one stays (issue 18: the example returned
# -EAGAIN, "could not run here", and never evicted anything).
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd pkg-config cc make

stage=$T/stage
make -C "$TOP_BUILDDIR" install-dfoincludeHEADERS install-pkgconfigDATA \
	DESTDIR="$stage" >"$T/install.log" 2>&1 ||
	{ tail -20 "$T/install.log"; fail "make install DESTDIR"; }
prefix=$(sed -n 's/^prefix=//p' "$TOP_BUILDDIR/dnsfailover.pc")
export PKG_CONFIG_PATH="$stage$prefix/lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$stage"
libs=$(pkg-config --libs dnsfailover) || fail "pkg-config --libs"
assert_eq "$libs" "" "pkg-config --libs dnsfailover (empty on purpose, says the page)"
cflags=$(pkg-config --cflags dnsfailover)
assert_contains "$cflags" "-I$stage$prefix/include" "--cflags"
dropin=$(pkg-config --variable=dropindir dnsfailover)
case $dropin in "$stage"*/etc/dnsfailover/plugins.d) ;; *) fail "dropindir: $dropin" ;; esac
pass "pkg-config: empty --libs, --cflags, dropindir"

page=$TOP_BUILDDIR/doc/dnsfailover-plugins.7
sed -n '/^\.\\" example-begin/,/^\.\\" example-end/p' "$page" | sed -e '1,2d' -e '$d' | sed '$d' \
	>"$T/check_flag.c"
grep -q 'DFO_MODULE("check_flag"' "$T/check_flag.c" || fail "no example in the page"
# Roff escapes in the example: \e is a backslash.
sed -i 's/\\e/\\/g' "$T/check_flag.c"
mkdir -p "$T/plugins.d" "$T/maint"
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared -fvisibility=hidden \
	-o "$T/plugins.d/check_flag.so" "$T/check_flag.c" $(pkg-config --cflags --libs dnsfailover) ||
	fail "the page's example does not build"
pass "the page's example builds out of tree"

printf '127.0.0.2 www.example.test\n127.0.0.3 www.example.test\n127.0.0.9 www.example.test\n' >"$T/hosts"
touch "$T/maint/127.0.0.9"
cat >"$T/c.conf" <<C
plugin_dir = { "$DFO_PLUGINS", "$T/plugins.d" }
status_file = "$T/status"
dns "local" { hosts { file = "$T/hosts" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "maint" { flag { dir = "$T/maint" } }
timer "t" { tick { interval = 0.3 timeout = 2 retries = 1 } }
pool "www" { fqdn = {"www.example.test"} dns = "local" ipsource = "me"
             check = "maint" timer = "t" }
C
out=$("$DFO" -C "$T/c.conf" --try check/maint 127.0.0.9 2>&1) && fail "flagged yet healthy: $out"
assert_contains "$out" "flagged by $T/maint/127.0.0.9" "--try reason"
assert_not_contains "$out" "could not run" "--try: unhealthy, not unknown"
start_agent a "$T/c.conf"
wait_for 30 has_addrs "$T/hosts" www.example.test "127.0.0.2 127.0.0.3" ||
	fail "the flagged peer was not evicted: $(cat "$T/hosts"; tail -5 "$T/a.log")"
wait_rounds "$T/status" 2 20 || fail "no more rounds"
has_addrs "$T/hosts" www.example.test "127.0.0.2 127.0.0.3" || fail "an unflagged peer went: $(cat "$T/hosts")"
pass "the example's flagged peer is evicted"
