#!/bin/bash
# Only the agent's own children are swept (issue 18): a shell's process
# substitution, `dnsfailover -f 2> >(sed ...)`, is a child of the agent
# from its start; the orphan sweep, which kills what checks leave behind,
# must leave it alone, or the log lines it carries are lost.  The checks'
# escaped sleepers are still killed.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

for a in 2 3; do echo "127.0.0.$a	$F"; done >"$H"
E=47.$$ # a duration only this test uses, to find its sleepers
cat >"$T/a.conf" <<C
$(engine_head)
check "x" { exec { command = {"/bin/sh", "-c", "setsid sleep $E >/dev/null 2>&1 & exit 0"} } }
timer "fast" { tick { interval = 0.2 timeout = 2 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "x"
             timer = "fast" }
C
# The agent's stderr goes through sed, a child of the agent.
"$DFO" -f -C "$T/a.conf" -l info 2> >(sed -u 's/^/piped: /' >"$T/log") &
agent=$!
track $agent
wait_rounds "$T/status.json" 5 30 || fail "no rounds"
sub=$(pgrep -P "$agent" -x sed || true)
[ -n "$sub" ] || fail "the process substitution's sed was killed: $(ps --ppid $agent -o pid=,comm= | tr '\n' ' ')"
escaped() { pgrep -f -x "sleep $E" | wc -l; }
# Escaped sleepers die each round: never more than a round's two.
for i in $(seq 10); do
	[ "$(escaped)" -le 4 ] || fail "$(escaped) escaped sleepers alive"
	sleep 0.1
done
kill -TERM $agent
wait $agent || true
wait_for 10 grep -q "piped: .*stopping" "$T/log" ||
	fail "the agent's last lines did not come through sed: $(tail -3 "$T/log")"
pass "a process substitution outlives the sweep and carries the log to the end"
