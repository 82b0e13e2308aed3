#!/bin/bash
# Responders run supervised in their own processes: one that keeps
# running is started once; one that exits is restarted with a growing
# back-off; SIGTERM to the agent stops them all.
. "$TOP_SRCDIR/tests/lib/common.sh"

P=$(test_plugin_dir)
cat >"$T/a.conf" <<C
plugin_dir = "$P"
responder "steady" { sleeper { pid_file = "$T/steady.pids" } }
responder "flaky" { sleeper { pid_file = "$T/flaky.pids" exit_after = 0.1 } }
C
start_agent a "$T/a.conf"
agent=$AGENT_PID
sleep 4.2
steady=$(awk 'NR == 1 { print $1 }' "$T/steady.pids")
assert_eq "$(wc -l <"$T/steady.pids")" 1 "steady responder starts"
kill -0 "$steady" || fail "steady responder not running"
[ "$(ps -o ppid= -p "$steady" | tr -d ' ')" = "$agent" ] || fail "not a child of the agent"

# flaky: starts at 0, then after 0.1 + 0.5, 0.1 + 1, 0.1 + 2 s: 4 in 4.2 s.
n=$(wc -l <"$T/flaky.pids")
echo "flaky started $n times in 4.2 s"
[ "$n" -ge 3 ] && [ "$n" -le 5 ] || fail "flaky responder started $n times"
log=$(cat "$T/a.log")
assert_contains "$log" "restarting in 0.5 s" "first back-off"
assert_contains "$log" "restarting in 1.0 s" "second back-off"
assert_contains "$log" "restarting in 2.0 s" "third back-off"
assert_contains "$log" "exiting after 0.10 s, as told" "responder's error logged"

kill -TERM $agent
wait $agent
assert_eq "$?" 0 "exit status"
for pid in $(awk '$1 != "stop" { print $1 }' "$T/steady.pids" "$T/flaky.pids"); do
	[ -e /proc/$pid ] && fail "responder $pid still exists"
done
pass "responders supervised: $n starts with back-off, all stopped"
