#!/bin/bash
# ABI 2 responders: readiness is reported; a SIGHUP that leaves a
# responder's section unchanged keeps its process (and its socket), a
# changed section restarts it; SIGTERM reaches run() as the stop
# descriptor and the agent is gone within 1 s; a responder that ignores
# it is killed after the grace period.
. "$TOP_SRCDIR/tests/lib/common.sh"

P=$(test_plugin_dir)
port=$(free_port)
conf() { # body of the "b" responder
	cat >"$T/a.conf" <<C
plugin_dir = "$P"
responder "a" { sleeper { pid_file = "$T/a.pids" port = $port } }
responder "b" { sleeper { pid_file = "$T/b.pids" $1 } }
C
}
first() { awk '$1 != "stop" { print $1 }' "$1" | tail -1; }
lines() { [ -f "$1" ] && [ "$(awk '$1 != "stop"' "$1" | wc -l)" -ge "$2" ]; }

conf ""
start_agent a "$T/a.conf"
agent=$AGENT_PID
wait_for 5 lines "$T/a.pids" 1 || fail "responder a did not start"
wait_for 5 lines "$T/b.pids" 1 || fail "responder b did not start"
wait_for 5 grep -q "responder a ready" "$T/a.log" || fail "no readiness: $(cat "$T/a.log")"
pa=$(first "$T/a.pids")
pb=$(first "$T/b.pids")
ino=$(readlink /proc/$pa/fd/* 2>/dev/null | grep socket | sort | tr '\n' ' ')
[ -n "$ino" ] || fail "responder a holds no socket"

# The same config again: nobody restarts.
kill -HUP $agent
wait_for 5 grep -q "configuration reloaded" "$T/a.log" || fail "no reload"
sleep 0.5
assert_eq "$(first "$T/a.pids")" "$pa" "unchanged responder a kept"
assert_eq "$(first "$T/b.pids")" "$pb" "unchanged responder b kept"
kill -0 "$pa" || fail "responder a was stopped by an unchanged reload"
assert_eq "$(readlink /proc/$pa/fd/* 2>/dev/null | grep socket | sort | tr '\n' ' ')" "$ino" "same socket"
assert_contains "$(cat "$T/a.log")" "responder a: configuration unchanged, kept running" "log"

# b's section changes: b restarts (through its stop descriptor), a stays.
conf "exit_after = 1000"
n=$(grep -c "configuration reloaded" "$T/a.log")
kill -HUP $agent
wait_for 5 lines "$T/b.pids" 2 || fail "changed responder b not restarted: $(cat "$T/a.log")"
pb2=$(first "$T/b.pids")
[ "$pb2" != "$pb" ] || fail "b kept its process"
grep -q "^stop $pb " "$T/b.pids" || fail "old b not stopped through its stop descriptor"
assert_eq "$(first "$T/a.pids")" "$pa" "a kept across b's change"

# SIGTERM: through the stop descriptor, within 1 s.
stop_timed $agent
t=$STOP_MS
assert_eq "$STOP_RC" 0 "exit status"
echo "agent and responders stopped in $t ms"
[ "$t" -lt 1000 ] || fail "stopping took $t ms"
grep -q "^stop $pa " "$T/a.pids" || fail "a did not see its stop descriptor"
grep -q "^stop $pb2 " "$T/b.pids" || fail "b did not see its stop descriptor"
for p in $pa $pb2; do [ -e /proc/$p ] && fail "responder $p still exists"; done

# One that ignores the stop descriptor is killed after the grace period.
cat >"$T/c.conf" <<C
plugin_dir = "$P"
responder "deaf" { sleeper { pid_file = "$T/c.pids" ignore_stop = true } }
C
start_agent c "$T/c.conf"
agent=$AGENT_PID
wait_for 5 lines "$T/c.pids" 1 || fail "deaf responder did not start"
pc=$(first "$T/c.pids")
kill -TERM $agent
wait $agent
[ -e /proc/$pc ] && fail "deaf responder $pc survived"
assert_contains "$(cat "$T/c.log")" "responder deaf did not stop within 3 s: killing it" "killed"
pass "responders: ready, kept on unchanged reload, restarted on change, stopped in $t ms"
