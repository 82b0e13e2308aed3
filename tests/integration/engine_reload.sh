#!/bin/bash
# A reload keeps the pools' schedule, and rounds go on while the new
# config is checked: 50 SIGHUPs in 5 s do not stop the rounds, nor does
# the check of a config of 3,000 instances.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\t%s\n127.0.0.3\t%s\n' $F $F >"$H"
conf() { # extra instances
	cat <<C
plugin_dir = "$P"
status_file = "$T/status.json"
dns "local" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "f" { fault { state_dir = "$D" } }
timer "t" { tick { interval = 0.5 timeout = 0.3 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "f" timer = "t" }
C
	for ((i = 0; i < ${1:-0}; i++)); do echo "check \"c$i\" { tcp { port = $((1 + i % 60000)) } }"; done
}
conf >"$T/a.conf"
S=$T/status.json
start_agent a "$T/a.conf"
agent=$AGENT_PID
wait_for 10 rounds_ge "$S" 1 || fail "no rounds"
rounds() { status_get "$S" 's["pools"][0]["rounds"]'; }

r0=$(rounds)
for i in $(seq 50); do kill -HUP $agent; sleep 0.1; done
r1=$(rounds)
echo "rounds during 50 SIGHUPs in ~5 s (interval 0.5): $((r1 - r0))"
[ $((r1 - r0)) -ge 5 ] || fail "only $((r1 - r0)) rounds during 50 reloads"
wait_for 20 grep -q "configuration reloaded" "$T/a.log" || fail "never reloaded"
kill -0 $agent || fail "agent died"

# A large config: rounds go on while it is checked.
conf 3000 >"$T/a.conf"
grep -c "reloaded" "$T/a.log" >"$T/n0"
r0=$(rounds)
t0=$(now_ms)
kill -HUP $agent
reloaded() { [ "$(grep -c "reloaded" "$T/a.log")" -gt "$(cat "$T/n0")" ]; }
wait_for 60 reloaded || fail "large config not loaded"
took=$(($(now_ms) - t0))
r1=$(rounds)
echo "reload of 3,000 instances took $took ms; $((r1 - r0)) rounds meanwhile"
[ "$took" -lt 1500 ] || [ $((r1 - r0)) -ge 1 ] || fail "no round while a large config was checked ($took ms)"
wait_rounds "$S" 2 10 || fail "no rounds after the reload"
pass "rounds go on through 50 SIGHUPs and while a large config is checked"
