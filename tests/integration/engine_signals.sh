#!/bin/bash
# Signals: SIGHUP with a broken config keeps the running one (rounds go
# on, evictions still happen); SIGHUP with a good one keeps the pool's
# state; SIGTERM with withdraw_on_exit removes this host's record, but
# never the last one.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\t%s\n127.0.0.3\t%s\n127.0.0.4\t%s\n' $F $F $F >"$H"
conf() { # address, extra pool options
	cat <<C
plugin_dir = "$P"
status_file = "$T/$1.status"
$(hosts_pool "$1" "$FAULT" "interval = 0.2 timeout = 0.2 retries = 1" "withdraw_on_exit = true ${2:-}")
C
}
conf 127.0.0.2 >"$T/a.conf"
S=$T/127.0.0.2.status
start_agent a "$T/a.conf"
agent=$AGENT_PID
wait_for 4 rounds_ge "$S" 2 || fail "no rounds"

# A broken config: rejected, the old one runs on.
echo 'pool "www" { fqdn = {' >>"$T/a.conf"
kill -HUP $agent
wait_for 3 grep -q "new configuration rejected" "$T/a.log" || fail "bad config not rejected"
kill -0 $agent || fail "agent died on a bad config"
echo fail >"$D/127.0.0.3"
wait_for 3 has_addrs "$H" "$F" "127.0.0.2 127.0.0.4" || fail "no eviction after a rejected reload"

# A good one: the pool keeps its state (rounds go on counting).
r=$(status_get "$S" 's["pools"][0]["rounds"]')
conf 127.0.0.2 'fall = 2' >"$T/a.conf"
kill -HUP $agent
wait_for 3 grep -q "configuration reloaded" "$T/a.log" || fail "good config not loaded"
wait_rounds "$S" 2 || fail "no rounds after reload"
[ "$(status_get "$S" 's["pools"][0]["rounds"]')" -gt "$r" ] || fail "pool state reset by reload"
assert_eq "$(status_get "$S" 's["pools"][0]["state"]')" "joined" "state after reload"

# SIGTERM: withdraw_on_exit removes this host's record.
kill -TERM $agent
wait $agent
assert_eq "$?" 0 "exit status"
assert_eq "$(addrs "$H" "$F")" "127.0.0.4" "own record withdrawn on exit"
assert_contains "$(cat "$T/a.log")" "withdrew 127.0.0.2 from $F on exit" "log"

# ... but never the last one.
conf 127.0.0.4 >"$T/b.conf"
start_agent b "$T/b.conf"
agent=$AGENT_PID
wait_for 4 rounds_ge "$T/127.0.0.4.status" 1 || fail "no rounds"
kill -TERM $agent
wait $agent
assert_eq "$?" 0 "exit status"
assert_eq "$(addrs "$H" "$F")" "127.0.0.4" "last record withdrawn on exit"
assert_contains "$(cat "$T/b.log")" "it is the last record" "log"
pass "SIGHUP (bad and good config), SIGTERM with withdraw_on_exit"
