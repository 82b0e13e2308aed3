#!/bin/bash
# A broken module in plugin_dir (issue 10, defect 17) is an error naming
# it, never a silent crash: a truncated .so is refused before dlopen()
# (which would die of SIGBUS) by -t, --list-plugins, the daemon and a
# SIGHUP reload; a module that crashes in its init is named on stderr,
# and by the daemon, whose checking child died of it.
. "$TOP_SRCDIR/tests/lib/common.sh"

D=$T/plugins
mkdir -p "$D"
ln -s "$DFO_PLUGINS"/*.so "$D/"
printf 'plugin_dir = "%s"\nstatus_file = "%s/status"\ntimer "t" { tick { interval = 0.3 } }\n' "$D" "$T" >"$T/c.conf"
"$DFO" -C "$T/c.conf" -t >/dev/null || fail "good config"

# A truncated copy of a real module.
head -c 12000 "$DFO_PLUGINS/dns_hosts.so" >"$T/trunc.so"
msg="trunc.so: cannot load: truncated or corrupt"

# The running daemon, then the broken module appears and SIGHUP.
start_agent a "$T/c.conf"
wait_for 10 grep -q "started" "$T/a.log" || fail "agent did not start: $(cat "$T/a.log")"
cp "$T/trunc.so" "$D/zz_trunc.so"
kill -HUP $AGENT_PID
wait_for 10 grep -q "new configuration rejected" "$T/a.log" || fail "reload not rejected: $(cat "$T/a.log")"
kill -0 $AGENT_PID || fail "agent died"
assert_contains "$(cat "$T/a.log")" "zz_$msg" "reload names the module"
kill -TERM $AGENT_PID
wait $AGENT_PID
pass "SIGHUP: reload rejected naming the truncated module"

for what in "-t" "--list-plugins" "-f"; do
	out=$(timeout 20 "$DFO" -C "$T/c.conf" $what 2>&1)
	rc=$?
	[ $rc = 1 ] || fail "$what with a truncated module: exit $rc (want 1): $out"
	assert_contains "$out" "zz_$msg" "$what"
done
pass "-t, --list-plugins, -f: exit 1 naming the truncated module"
rm "$D/zz_trunc.so"

# A module that crashes in its init.
ln -s "${TEST_MODULES:?}/mod_crash.so" "$D/zz_crash.so"
out=$(timeout 20 "$DFO" -C "$T/c.conf" -f 2>&1)
rc=$?
[ $rc = 1 ] || fail "-f with a crashing module: exit $rc (want 1): $out"
assert_contains "$out" "zz_crash.so: module crashed while loading (signal 11" "-f"
out=$(timeout 20 "$DFO" -C "$T/c.conf" -t 2>&1)
rc=$?
[ $rc = 0 ] && fail "-t passed with a crashing module"
assert_contains "$out" "module $D/zz_crash.so crashed while loading (SEGV)" "-t"
pass "a module crashing in init is named (-f exit 1, -t on stderr)"
