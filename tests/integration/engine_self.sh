#!/bin/bash
# A host failing its own check evicts no one: with on_self_failure =
# withdraw it removes only its own record, and rejoins after `rise`
# passes; with exit, the agent stops with status 1.  The last record is
# never removed, neither by a withdrawal nor by an eviction.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\t%s\n127.0.0.3\t%s\n127.0.0.4\t%s\n' $F $F $F >"$H"
echo fail >"$D/127.0.0.2" # itself
echo fail >"$D/127.0.0.3" # a dead peer

conf() { # file, extra pool options, address
	cat >"$1" <<C
plugin_dir = "$P"
status_file = "$1.status"
$(hosts_pool "${3:-127.0.0.2}" "$FAULT" "interval = 0.2 timeout = 0.2 retries = 2" "$2")
C
}
conf "$T/a.conf" "rise = 3"
start_agent a "$T/a.conf"
agent=$AGENT_PID
S=$T/a.conf.status

# It withdraws itself, and evicts nobody while failing.
wait_for 4 has_addrs "$H" "$F" "127.0.0.3 127.0.0.4" ||
	fail "did not withdraw: $(addrs "$H" "$F")"
wait_for 3 rounds_ge "$S" 5 || fail "rounds"
assert_eq "$(addrs "$H" "$F")" "127.0.0.3 127.0.0.4" "a failing host evicted a peer"
assert_eq "$(status_get "$S" 's["pools"][0]["state"]')" "self-check failing" "status state"
assert_eq "$(grep -c 'self-check of 127.0.0.2 failed' "$T/a.log")" 1 "self-check failure logged once"

# Healthy again: back after rise = 3 passes, then the dead peer goes.
echo ok >"$D/127.0.0.2"
t0=$(now_ms)
wait_for 4 eval 'addrs "$H" "$F" | grep -q 127.0.0.2' || fail "did not rejoin"
took=$(($(now_ms) - t0))
assert_eq "$(status_get "$S" 's["pools"][0]["self"]["passes"] >= 3')" True "rejoined after 3 passes"
[ "$took" -gt 400 ] || fail "rejoined too soon (${took} ms, rise = 3)"
wait_for 3 has_addrs "$H" "$F" "127.0.0.2 127.0.0.4" || fail "dead peer not evicted after rejoining"
assert_contains "$(cat "$T/a.log")" "rejoined $F as 127.0.0.2" "rejoined logged"

# Never the last record: only .4 left, and .4 failing as this host does.
printf '127.0.0.4\t%s\n' $F >"$H"
echo fail >"$D/127.0.0.2"
echo fail >"$D/127.0.0.4"
wait_rounds "$S" 3 || fail "rounds"
assert_eq "$(addrs "$H" "$F")" "127.0.0.4" "the last record"
# ... and healthy but still rising (rise = 3 passes), it does not evict
# the one record it is not part of.
kill -TERM $agent
wait $agent
conf "$T/b.conf" "rise = 100"
echo ok >"$D/127.0.0.2"
echo ok >"$D/127.0.0.4"
start_agent b "$T/b.conf"
agent=$AGENT_PID
wait_for 4 rounds_ge "$T/b.conf.status" 4 || fail "rounds of b"
assert_eq "$(addrs "$H" "$F")" "127.0.0.2 127.0.0.4" "b joined (a fresh agent needs one pass)"
# now withdraw it by failing, then .4 is the last and b is rising
echo fail >"$D/127.0.0.2"
wait_for 3 has_addrs "$H" "$F" "127.0.0.4" || fail "b did not withdraw"
echo ok >"$D/127.0.0.2"
echo fail >"$D/127.0.0.4"
wait_rounds "$T/b.conf.status" 4 || fail "rounds"
assert_eq "$(addrs "$H" "$F")" "127.0.0.4" "a rising host evicted the last record"
assert_contains "$(cat "$T/b.log")" "not evicting 127.0.0.4 from $F: it is the last record" "log"
kill -TERM $agent
wait $agent

# on_self_failure = exit: status 1, its record left for the peers.
printf '127.0.0.2\t%s\n127.0.0.3\t%s\n' $F $F >"$H"
echo ok >"$D/127.0.0.3"
echo fail >"$D/127.0.0.2"
conf "$T/c.conf" 'on_self_failure = "exit"'
start_agent c "$T/c.conf"
agent=$AGENT_PID
wait_for 5 eval '! kill -0 $agent 2>/dev/null' || fail "did not exit"
wait $agent
assert_eq "$?" 1 "exit status with on_self_failure = exit"
assert_eq "$(addrs "$H" "$F")" "127.0.0.2 127.0.0.3" "records after exit"
pass "self-check failure: withdraw, no eviction, rise, never last, exit"
