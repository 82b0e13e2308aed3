#!/bin/bash
# Rounds that overrun their interval (an exec check that outlasts its
# 1 s timeout, interval 0.2 s: every round is due before the last ends)
# do not hold back a reload, nor SIGTERM:
# - after SIGHUP with a changed config, the new one is applied within
#   15 rounds (the checking child, the load thread and the switch each
#   wait for the end of a round; 15 leaves room for a checking child
#   slowed down by a loaded machine);
# - SIGTERM ends the agent within the round it arrives in, and the
#   check's processes with it.
# Counted from what the agent logged (-l debug logs each round) and its
# status file, not from the clock; the wall-clock bounds (90 s, 30 s)
# only stop the test.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\t%s\n' $F >"$H"
printf '#!/bin/sh\nsleep 30\n' >"$T/slow"
chmod +x "$T/slow"
conf() { # pool-name
	cat <<C
plugin_dir = "$P"
status_file = "$T/status.json"
dns "local" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "slow" { exec { command = {"$T/slow"} } }
timer "t" { tick { interval = 0.2 timeout = 1 retries = 1 } }
pool "$1" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "slow" timer = "t" }
C
}
S=$T/status.json
L=$T/a.log
conf before >"$T/a.conf"
"$DFO" -f -C "$T/a.conf" -l debug 2>"$L" &
agent=$!
track $agent
wait_for 30 rounds_ge "$S" 2 || fail "no rounds"
took=$(grep -o "round 2 took [0-9.]* s" "$L")
echo "pool before: $took (interval 0.2 s)"

# The rounds logged since the line matching $1 (a fixed string).
rounds_since() {
	sed -n "\\|$1|,\$p" "$L" | grep -c "round [0-9]* took"
}
pool_is() { [ "$(status_get "$S" 's["pools"][0]["name"]')" = "$1" ]; }
reloaded_or_late() {
	grep -q "configuration reloaded" "$L" || [ "$(rounds_since "SIGHUP: re-reading")" -gt 15 ]
}

conf after >"$T/a.conf"
kill -HUP $agent
wait_for 90 reloaded_or_late || fail "neither reloaded nor 15 rounds in 90 s: $(tail -3 "$L")"
grep -q "configuration reloaded" "$L" ||
	fail "not reloaded after $(rounds_since "SIGHUP: re-reading") overrunning rounds: $(grep -v "round [0-9]* took" "$L" | tail -3)"
n=$(sed -n '/SIGHUP: re-reading/,/configuration reloaded/p' "$L" | grep -c "round [0-9]* took")
echo "rounds between SIGHUP and the switch: $n"
wait_for 30 pool_is after || fail "the status file does not show the new pool"
pass "new config applied $n rounds after SIGHUP while rounds overrun"

# SIGTERM: a clean stop, at the latest at the end of the round running.
wait_rounds "$S" 1 30 || fail "no rounds of the new config"
kill -TERM $agent
for ((i = 0; i < 300; i++)); do kill -0 $agent 2>/dev/null || break; sleep 0.1; done
kill -0 $agent 2>/dev/null && fail "the agent did not exit within 30 s of SIGTERM"
wait $agent
assert_eq "$?" 0 "exit status after SIGTERM"
m=$(rounds_since "Terminated: stopping")
[ "$m" -le 1 ] || fail "$m rounds ended after SIGTERM"
left=$(pgrep -f "$T/slow" || true)
[ -z "$left" ] || fail "check processes left after exit: $left"
pass "SIGTERM: exited 0, $m round(s) ended after it, no check left"
