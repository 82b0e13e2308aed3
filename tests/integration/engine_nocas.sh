#!/bin/bash
# A dns provider without compare-and-set (test "nocas": add/del ignore
# the records the agent read).  The engine reads the records again right
# before each delete and gives up if they changed since the round's read,
# so a change by another agent landing between the read and the delete
# cannot empty the name: not on an eviction, not on a withdrawal.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

H=$T/records
X=$T/fail
conf() { # file, swap option, rise
	cat >"$1" <<C
plugin_dir = "$P"
status_file = "$T/status.json"
dns "d" { nocas { file = "$H" fail_file = "$X" ${2:-} } }
ipsource "me" { static { address = "127.0.0.2" } }
check "f" { fault { state_dir = "$D" } }
timer "fast" { tick { interval = 0.2 timeout = 0.5 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "d" ipsource = "me" check = "f"
             timer = "fast" fall = 1 rise = ${3:-1} }
C
}

# 1. An eviction works, and each delete follows a fresh read.
printf '127.0.0.2\t%s\n127.0.0.3\t%s\n127.0.0.4\t%s\n' $F $F $F >"$H"
echo fail >"$D/127.0.0.4"
conf "$T/1.conf"
start_agent 1 "$T/1.conf"
wait_for 10 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3" || fail "no eviction: $(addrs "$H" "$F")"
kill $AGENT_PID
wait $AGENT_PID
assert_eq "$(grep -B1 '^del ' "$X.calls" | head -n 1 | cut -d' ' -f1)" "list" "the call before the delete"
rm -f "$X.calls" "$D"/*

# 2. Another agent removes us right after our read, while we judge .3
# dead: the re-read sees it and .3 stays (the name keeps a record).  rise
# keeps us from joining again during the test.
printf '127.0.0.2\t%s\n127.0.0.3\t%s\n' $F $F >"$H"
printf '127.0.0.3\t%s\n' $F >"$T/swap"
echo fail >"$D/127.0.0.3"
conf "$T/2.conf" "swap_file = \"$T/swap\"" 1000
start_agent 2 "$T/2.conf"
wait_for 10 test ! -e "$T/swap" || fail "the swap never happened"
wait_rounds "$T/status.json" 3 10 || fail "no rounds after the swap"
assert_eq "$(addrs "$H" "$F")" "127.0.0.3" "records after a change between read and delete"
assert_contains "$(cat "$T/2.log")" "changed before 127.0.0.3 could be evicted" "log"
kill $AGENT_PID
wait $AGENT_PID
rm -f "$X.calls" "$D"/*

# 3. The same on a withdrawal: our self-check fails, and another agent
# evicts .3 right after our read: we must not withdraw the last record.
printf '127.0.0.2\t%s\n127.0.0.3\t%s\n' $F $F >"$H"
printf '127.0.0.2\t%s\n' $F >"$T/swap"
echo fail >"$D/127.0.0.2"
conf "$T/3.conf" "swap_file = \"$T/swap\""
start_agent 3 "$T/3.conf"
wait_for 10 test ! -e "$T/swap" || fail "the swap never happened"
wait_rounds "$T/status.json" 3 10 || fail "no rounds after the swap"
assert_eq "$(addrs "$H" "$F")" "127.0.0.2" "records after a change between read and withdrawal"
assert_contains "$(cat "$T/3.log")" "changed while withdrawing" "log"
pass "without compare-and-set: a delete follows a fresh read and gives up on a change"
