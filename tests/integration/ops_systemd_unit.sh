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

# Issue 18: reload without procps (/bin/kill is not in a minimal root).
grep -q "^ExecReload=.*/bin/kill" "$U" && fail "ExecReload needs procps: $(grep ExecReload "$U")"
grep -q "^ExecReload=/bin/sh -c 'kill -HUP \$MAINPID'$" "$U" || fail "ExecReload: $(grep ExecReload "$U")"
grep -q "^LoadCredential=\|^# *LoadCredential=" "$U" || fail "no word of LoadCredential= in the unit"
# The README's main example writes where the unit lets it.
readme=$(sed -n '/^## Configuration/,/^## /p' "$TOP_SRCDIR/README.md")
sf=$(sed -n 's/^status_file *= *"\([^"]*\)".*/\1/p' <<<"$readme" | head -1)
hf=$(sed -n 's/.*hosts *{ *file *= *"\([^"]*\)".*/\1/p' <<<"$readme" | head -1)
rt=$(sed -n 's/^RuntimeDirectory=//p' "$U")
st=$(sed -n 's/^StateDirectory=//p' "$U")
case $sf in "/run/$rt/"*) ;; *) fail "README status_file $sf is not in the unit's /run/$rt" ;; esac
case $hf in "/var/lib/$st/"*) ;; *) fail "README hosts file $hf is not in the unit's /var/lib/$st" ;; esac
pass "ExecReload without procps; the README example's paths are the unit's"

# -t (the unit's ExecStartPre, run as its user in its sandbox) refuses a
# status file or hosts file in a directory it cannot write: a read-only
# bind mount, as ProtectSystem=strict makes /etc.
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	mkdir -p "$T/ro" "$T/rw"
	cat >"$T/ro.conf" <<C
status_file = "$T/ro/status"
dns "local" { hosts { file = "$T/ro/hosts" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "c" { tcp { port = 9 } }
timer "t" { tick { interval = 1 timeout = 1 } }
pool "www" { fqdn = {"www.example.test"} dns = "local" ipsource = "me"
             check = "c" timer = "t" }
C
	sed "s|$T/ro/|$T/rw/|g" "$T/ro.conf" >"$T/rw.conf"
	out=$(unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
		"$2" -C "$3" -t' sh "$T/ro" "$DFO" "$T/ro.conf" 2>&1) &&
		fail "-t accepted paths it cannot write: $out"
	assert_contains "$out" "status_file $T/ro/status: directory $T/ro is not writable" "-t, status_file"
	sed "s|$T/ro/status|$T/rw/status|" "$T/ro.conf" >"$T/hosts.conf"
	out=$(unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
		"$2" -C "$3" -t' sh "$T/ro" "$DFO" "$T/hosts.conf" 2>&1) &&
		fail "-t accepted a hosts file it cannot write: $out"
	assert_contains "$out" "file $T/ro/hosts: directory $T/ro is not writable" "-t, hosts file"
	out=$(unshare -m sh -c 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" &&
		"$2" -C "$3" -t' sh "$T/ro" "$DFO" "$T/rw.conf" 2>&1) || fail "-t refused writable paths: $out"
	pass "-t refuses a status file and a hosts file it cannot write"
fi

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
