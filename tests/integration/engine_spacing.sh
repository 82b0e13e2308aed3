#!/bin/bash
# A rate-limited dns provider (call_spacing): the agent leaves that many
# seconds between two calls to the instance, across its pools, and a
# SIGTERM still stops it at once.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

H=$T/records
X=$T/fail
printf '127.0.0.2\ta.example.test\n127.0.0.2\tb.example.test\n' >"$H"
cat >"$T/a.conf" <<C
plugin_dir = "$P"
status_file = "$T/status.json"
dns "d" { flaky { file = "$H" fail_file = "$X" spacing = 0.4 } }
ipsource "me" { static { address = "127.0.0.2" } }
check "f" { fault { state_dir = "$D" } }
timer "fast" { tick { interval = 0.1 timeout = 0.5 retries = 1 } }
pool "a" { fqdn = {"a.example.test"} dns = "d" ipsource = "me" check = "f" timer = "fast" }
pool "b" { fqdn = {"b.example.test"} dns = "d" ipsource = "me" check = "f" timer = "fast" }
C
start_agent a "$T/a.conf"
agent=$AGENT_PID
enough() { [ -f "$X.calls" ] && [ "$(wc -l <"$X.calls")" -ge 8 ]; }
wait_for 20 enough || fail "too few calls"
n=$(wc -l <"$X.calls")
min=$(awk 'NR > 1 { d = $2 - p; if (m == "" || d < m) m = d } { p = $2 } END { printf "%.3f", m }' "$X.calls")
echo "$n calls, the closest two $min s apart (spacing 0.4)"
awk -v m="$min" 'BEGIN { exit !(m >= 0.39) }' || fail "calls $min s apart, spacing is 0.4"
t0=$(now_ms)
kill -TERM $agent
wait $agent
took=$(($(now_ms) - t0))
echo "stopped in $took ms"
[ "$took" -lt 3000 ] || fail "SIGTERM took $took ms"
pass "calls to a rate-limited provider at least 0.4 s apart ($n calls)"
