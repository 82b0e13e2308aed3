#!/bin/bash
# The first round waits for the check processes forked ahead of it, at
# most 2 s past its due time (issue 20): forked in the round instead,
# they would hold back its last checks as long.
# 1. max_parallel = 4096: forking them all takes longer than the 1 s
#    before the first round (0.3-1.5 ms a fork).  The round waits for
#    all of them or for the whole 2 s, and the processes it did not use
#    are retired after it.
# 2. As many as the first agent forked in 1.8 s: the forking ends after
#    the round's due time and before the 2 s are over, and the round
#    comes at once.  (A first version of the wait then slept until an
#    event that never came: no round at all.)
# 3. An agent with no pool (a responder's host) has no round to fork for:
#    it keeps no check process (it kept max_parallel of them, idle).
. "$TOP_SRCDIR/tests/lib/common.sh"

H=$T/hosts
F=www.example.test
for a in 2 3 4; do echo "127.0.0.$a	$F"; done >"$H"

# Seconds of the day of a log line's time stamp.
at() { awk '{ split($2, t, ":"); printf "%.3f\n", t[1] * 3600 + t[2] * 60 + t[3] }'; }
# run NAME MAX_PARALLEL: start an agent, wait for 2 rounds; the first
# round's delay after the start in LATE, the processes forked ahead in
# FORKED, their fork time in FORK_MS (ms each), the agent's children
# then in KIDS; stop it.
run() {
	write_conf "$T/$1.conf" <<C
status_file = "$T/$1.json"
max_parallel = $2
$(hosts_pool 127.0.0.2 'exec { command = {"/bin/true"} }' 'interval = 2 timeout = 1 retries = 1' 'fall = 1000')
C
	start_agent "$1" "$T/$1.conf"
	wait_for 40 rounds_ge "$T/$1.json" 2 ||
		fail "$1 (max_parallel $2): no 2 rounds in 40 s: $(cat "$T/$1.log")"
	KIDS=$(wc -w <"/proc/$AGENT_PID/task/$AGENT_PID/children")
	kill "$AGENT_PID"
	local t0 t1 line
	t0=$(grep -m1 "started:" "$T/$1.log" | at)
	line=$(grep -m1 "forked ahead of the first round" "$T/$1.log") ||
		fail "$1: no check process forked ahead of the first round: $(cat "$T/$1.log")"
	t1=$(echo "$line" | at)
	FORKED=$(echo "$line" | sed -n 's/.*checks: \([0-9]*\) check processes.*/\1/p')
	FORK_MS=$(echo "$line" | sed -n 's/.*(\([0-9.]*\) ms each).*/\1/p')
	LATE=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
	echo "$1: first round $LATE s after the start, $FORKED check processes forked ahead ($FORK_MS ms each), $KIDS kept"
	awk -v d="$LATE" 'BEGIN { exit !(d >= 0.9 && d <= 6) }' ||
		fail "$1: first round $LATE s after the start (1 s due, 2 s more at most for forking ahead)"
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }

run a 4096
# All of them, or as many as the descriptor limit allows (two each; the
# agent raises its soft limit to the hard one); or the whole 2 s.
hard=$(ulimit -Hn)
want=4096
[ "$hard" = unlimited ] || [ $(((hard - 64) / 2)) -ge $want ] || want=$(((hard - 64) / 2))
[ "$FORKED" = "$want" ] || ge "$LATE" 2.8 ||
	fail "the first round came $LATE s after the start with $FORKED of $want check processes forked ahead: it did not wait for them"
# At most 3 used a round: the rest are retired.
[ "$KIDS" -le 16 ] || fail "$KIDS processes left under the agent after 2 rounds"

n=$(awk -v ms="$FORK_MS" 'BEGIN { n = int(1800 / ms); print (n > 4096 ? 4096 : n) }')
[ "$n" -le "$want" ] || n=$want
run b "$n"
assert_eq "$FORKED" "$n" "check processes forked ahead (agent b)"
# 3. No pool: 3 s after the start (past a first round's 1 + 2 s).
write_conf "$T/z.conf" <<C
status_file = "$T/z.json"
C
start_agent z "$T/z.conf"
wait_for 10 grep -q "started:" "$T/z.log" || fail "no pool: not started: $(cat "$T/z.log")"
sleep 3
kids=$(wc -w <"/proc/$AGENT_PID/task/$AGENT_PID/children")
assert_eq "$kids" 0 "processes under an agent with no pool"

pass "first round at ${LATE} s with $n check processes forked ahead in about 1.8 s"
