#!/bin/bash
# SIGTERM during a round whose checks may take 100 s: the agent kills
# them and stops at once, and withdraw_on_exit still runs.  A SIGHUP
# during such a round does not cut it short.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\t%s\n127.0.0.3\t%s\n' $F $F >"$H"
echo hang >"$D/127.0.0.3"
fault_conf "$T/a.conf" "interval = 200 timeout = 100 retries = 1" "withdraw_on_exit = true"
start_agent a "$T/a.conf"
agent=$AGENT_PID
# The round's two check processes: the self-check's (idle once it
# answered: it is kept for the next round) and the hanging one's.
kids() { pgrep -P "$agent" | sort | tr '\n' ' '; }
checking() { [ "$(kids | wc -w)" = 2 ]; }
wait_for 10 checking || fail "the round's checks did not start: $(kids)"
sleep 0.5
before=$(kids)

# SIGHUP: kept for the end of the round, which goes on (a reload would
# also retire the check processes).
kill -HUP $agent
sleep 1
assert_eq "$(kids)" "$before" "SIGHUP cut the round short: check processes"
assert_not_contains "$(cat "$T/a.log")" "cut short" "log"

t0=$(now_ms)
kill -TERM $agent
for ((i = 0; i < 200; i++)); do kill -0 $agent 2>/dev/null || break; sleep 0.05; done
kill -0 $agent 2>/dev/null && fail "SIGTERM not honoured within 10 s"
wait $agent
rc=$?
took=$(($(now_ms) - t0))
echo "stopped $took ms after SIGTERM"
assert_eq "$rc" 0 "exit status"
[ "$took" -lt 3000 ] || fail "SIGTERM took $took ms (must be under 1 s, 3 s with a loaded machine)"
assert_eq "$(addrs "$H" "$F")" "127.0.0.3" "own record withdrawn on exit"
assert_eq "$(pgrep -f -x "$DFO -f -C $T/a.conf -l info" | wc -l)" 0 "check processes left"
pass "SIGTERM during a 100 s check: stopped in $took ms, withdrew; SIGHUP waited"
