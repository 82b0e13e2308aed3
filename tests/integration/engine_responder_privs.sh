#!/bin/bash
# A responder binds a privileged port (53) as root in start(), then runs
# as `nobody`; in a network namespace of its own so port 53 is free.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_nobody
ns=$(make_netns priv) || skip "cannot create a network namespace"

P=$(test_plugin_dir)
chmod 755 "$T"
cat >"$T/a.conf" <<C
plugin_dir = "$P"
responder "dns" { sleeper { pid_file = "$T/pids" port = 53 user = "nobody" } }
C
touch "$T/pids"
chmod 666 "$T/pids"
ip netns exec "$ns" "$DFO" -f -C "$T/a.conf" -l info 2>"$T/a.log" &
agent=$!
track $agent
wait_for 5 grep -q "responder dns ready" "$T/a.log" || fail "not ready: $(cat "$T/a.log")"
read -r pid uid <"$T/pids"
nobody=$(id -u nobody)
assert_eq "$uid" "$nobody" "uid seen by run()"
assert_eq "$(awk '/^Uid:/ { print $2 $3 $4 $5 }' /proc/$pid/status)" "$nobody$nobody$nobody$nobody" "real, effective, saved, fs uid"
ip netns exec "$ns" ss -lunp | grep -q ":53 .*pid=$pid," || fail "port 53 not held by $pid: $(ip netns exec "$ns" ss -lunp)"
kill -TERM $agent
wait $agent
grep -q "^stop $pid " "$T/pids" || fail "no clean stop after the drop"
pass "responder bound port 53 as root and runs as uid $nobody"
