#!/bin/bash
# make install puts dnsfailover.service in the unit directory with the
# configured paths filled in; systemd-analyze verify accepts it (skipped
# when systemd-analyze cannot run here).
. "$TOP_SRCDIR/tests/lib/common.sh"

stage=$T/stage
make -C "$TOP_BUILDDIR" install-systemdsystemunitDATA DESTDIR="$stage" \
	>"$T/install.log" 2>&1 || { cat "$T/install.log"; fail "install of the unit"; }
unitdir=$(sed -n 's/^systemdsystemunitdir = //p' "$TOP_BUILDDIR/Makefile")
prefix=$(sed -n 's/^prefix = //p' "$TOP_BUILDDIR/Makefile")
unitdir=${unitdir//\$\{prefix\}/$prefix}
unitdir=${unitdir//\$(prefix)/$prefix}
U=$stage$unitdir/dnsfailover.service
[ -f "$U" ] || fail "no unit in $stage$unitdir: $(find "$stage" -type f)"
grep -q "@[a-z]*@" "$U" && fail "unsubstituted: $(grep "@[a-z]*@" "$U")"
exe=$(sed -n 's/^ExecStart=\([^ ]*\) .*/\1/p' "$U")
assert_eq "$exe" "$prefix/sbin/dnsfailover" "ExecStart program"
grep -q "^ExecStart=$exe -C $prefix/etc/dnsfailover.conf -f$" "$U" ||
	fail "ExecStart: $(grep ExecStart "$U")"
grep -q "^ExecStartPre=$exe -C $prefix/etc/dnsfailover.conf -t$" "$U" ||
	fail "ExecStartPre: $(grep ExecStartPre "$U")"
grep -q "^Type=notify$" "$U" || fail "not Type=notify"
grep -q "^WatchdogSec=" "$U" || fail "no WatchdogSec"
for opt in NoNewPrivileges=yes ProtectSystem=strict ProtectHome=yes PrivateTmp=yes \
	"CapabilityBoundingSet=CAP_NET_RAW CAP_NET_BIND_SERVICE" \
	"AmbientCapabilities=CAP_NET_RAW CAP_NET_BIND_SERVICE" \
	RestrictAddressFamilies= SystemCallFilter=@system-service; do
	grep -q "^$opt" "$U" || fail "hardening: no $opt"
done

need_cmd systemd-analyze
# verify wants the programs it names to exist: point them at the build.
# (man pages are checked by ops_man.sh: --man=no)
mkdir -p "$T/units"
sed -e "s|$exe|$TOP_BUILDDIR/dnsfailover|g" "$U" >"$T/units/dnsfailover.service"
out=$(systemd-analyze verify --man=no "$T/units/dnsfailover.service" 2>&1)
rc=$?
case "$out" in
*"Failed to"*"ystem"*|*"not booted"*) [ $rc -ne 0 ] && skip "systemd-analyze cannot run here: $out" ;;
esac
[ $rc -eq 0 ] || fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify complains: $out"
pass "unit installed in $unitdir with paths filled in; systemd-analyze verify accepts it"
