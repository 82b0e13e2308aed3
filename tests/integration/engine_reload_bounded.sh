#!/bin/bash
# A reload never stalls the agent (issue 22, #15 and #16):
# - the checked config is loaded (parsed, its instances created) in a
#   thread: rounds run while it loads, and SIGTERM during the load ends
#   the agent without waiting for it;
# - the check is bounded by reload_timeout (it is stopped and said so);
# - a SIGHUP during a check drops it and checks the newest file, which is
#   applied.
# A slow load is a test check whose create() sleeps (create_delay) after
# writing a mark; everything asserted is what the agent logged (-l debug
# logs each round) or wrote in its status file.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\t%s\n' $F >"$H"
conf() { # pool-name reload_timeout [create_delay]
	cat <<C
plugin_dir = "$P"
status_file = "$T/status.json"
reload_timeout = $2
dns "local" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "f" { fault { state_dir = "$D" } }
check "slow" { fault { create_delay = ${3:-0} create_mark = "$T/mark.$1" } }
timer "t" { tick { interval = 0.25 timeout = 0.2 retries = 1 } }
pool "$1" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "f" timer = "t" }
C
}
S=$T/status.json
L=$T/a.log
conf www 1 >"$T/a.conf"
"$DFO" -f -C "$T/a.conf" -l debug 2>"$L" &
agent=$!
track $agent
wait_for 20 rounds_ge "$S" 1 || fail "no rounds"
pool_is() { [ "$(status_get "$S" 's["pools"][0]["name"]')" = "$1" ]; }
count() { grep -c -F "$1" "$L"; }

# 16: a check longer than reload_timeout (1 s) is stopped; the running
# config stays.
conf slow 1 60 >"$T/a.conf"
kill -HUP $agent
wait_for 60 grep -q "took more than 1 s (reload_timeout): stopped" "$L" ||
	fail "the long check was not stopped: $(grep -E 'reload|check' "$L" | tail -3)"
wait_rounds "$S" 2 20 || fail "no rounds after the stopped check"
pool_is www || fail "the running config was replaced"
pass "a check over reload_timeout stopped: $(grep -F "reload_timeout" "$L" | tail -1)"

# 16: a SIGHUP during a check drops it; the newest file is applied.
conf stale 1 60 >"$T/a.conf"
n0=$(cat "$T/mark.slow" "$T/mark.stale" 2>/dev/null | wc -l)
kill -HUP $agent
wait_for 30 test -s "$T/mark.stale" || fail "the check never reached create()"
conf newest 300 >"$T/a.conf"
kill -HUP $agent
wait_for 60 pool_is newest || fail "the newest config was not applied: $(tail -3 "$L")"
grep -q "the check of the previous version is dropped" "$L" ||
	fail "the stale check was not dropped: $(grep -vE "round [0-9]+ took" "$L" | tail -6)"
pass "a later SIGHUP drops the stale check; the newest config applied"

# 15: the checked config loads in a thread: rounds run meanwhile.
conf loaded 300 2 >"$T/a.conf"
kill -HUP $agent
wait_for 60 pool_is loaded || fail "the slow config was not applied: $(tail -3 "$L")"
during=$(sed -n '/new configuration checked; loading it/,/configuration reloaded/p' "$L" | grep -c "round [0-9]* took")
echo "rounds while a config took 2 s to load: $during"
[ "$during" -ge 1 ] || fail "no round ran while the checked config was loaded"
pass "rounds go on while a checked config loads ($during)"

# 15: SIGTERM while it loads: the agent exits without waiting for it.
conf last 300 8 >"$T/a.conf"
# (its check takes 8 s as well)
n0=$(count "new configuration checked; loading it")
loading() { [ "$(count "new configuration checked; loading it")" -gt "$n0" ]; }
kill -HUP $agent
wait_for 120 loading || fail "the config was never checked: $(tail -3 "$L")"
kill -TERM $agent
for ((i = 0; i < 300; i++)); do kill -0 $agent 2>/dev/null || break; sleep 0.1; done
kill -0 $agent 2>/dev/null && fail "the agent did not exit within 30 s of SIGTERM"
grep -q "the configuration being loaded is dropped" "$L" ||
	fail "the agent waited for the load before exiting: $(tail -3 "$L")"
pass "SIGTERM during a load: exited without waiting for it"
