#!/bin/bash
# Checks that misbehave: a hanging one is killed at its deadline and the
# round still ends on time; one that segfaults, and one that exits 0
# only after its deadline, count as failed; one that forks leaves no
# process behind; the agent keeps no zombie and leaks no fd.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

for a in 2 3 4 5 6; do echo "127.0.0.$a	$F"; done >"$H"
echo hang >"$D/127.0.0.3"
echo crash >"$D/127.0.0.4"
echo late >"$D/127.0.0.5"
echo fork >"$D/127.0.0.6"

fault_conf "$T/a.conf" "interval = 1 timeout = 1 retries = 1"
start_agent a "$T/a.conf"
agent=$AGENT_PID

# First round: every check at once, so it lasts one timeout, not three.
wait_for 5 test -s "$T/status.json" || fail "no status after the first round"
# One snapshot of the first round: the next one shows other peers.
cp "$T/status.json" "$T/first.json"
S=$T/first.json
assert_eq "$(status_get "$S" 's["pools"][0]["rounds"]')" 1 "snapshot of the first round"
dur=$(status_get "$S" 's["pools"][0]["round_duration"]')
echo "first round: $dur s"
assert_eq "$(status_get "$S" 's["pools"][0]["round_duration"] < 1 + 0.25')" True \
	"round ended on time (hang killed at 1 s): $dur s"
assert_eq "$(status_get "$S" '" ".join(p["result"] for p in s["pools"][0]["peers"])')" \
	"timeout crashed timeout healthy" "results of hang, crash, late, fork"
# (with sanitizers, ASan's SEGV handler turns the signal into exit 1)
reason=$(status_get "$S" 's["pools"][0]["peers"][1]["reason"]')
case $reason in
*"signal 11"* | *"without a result"*) ;;
*) fail "crash reason: $reason" ;;
esac
# The agent's fds between rounds: the least of a few samples, leaving
# out those of its check processes (a socket and a pidfd each), which
# are counted apart: the most seen.
min_fds() {
	local m=9999 w=0 i n k
	for ((i = 0; i < 12; i++)); do
		n=$(ls -l /proc/$agent/fd 2>/dev/null | grep -v -c -e 'socket:' -e 'pidfd')
		k=$(ls -l /proc/$agent/fd 2>/dev/null | grep -c -e 'socket:' -e 'pidfd')
		[ "$n" -lt "$m" ] && m=$n
		[ "$k" -gt "$w" ] && w=$k
		sleep 0.04
	done
	echo "$m $w"
}

# Three failed peers go, one per round, in order; the forking one stays.
wait_for 12 has_addrs "$H" "$F" "127.0.0.2 127.0.0.6" ||
	fail "failed peers not evicted: $(addrs "$H" "$F")"
log=$(cat "$T/a.log")
order=$(grep -o 'evicted 127.0.0.[0-9]' "$T/a.log" | awk '{print $2}' | tr '\n' ' ')
assert_eq "$order" "127.0.0.3 127.0.0.4 127.0.0.5 " "eviction order"

# Nothing left behind after several rounds: no zombie child, no fd more.
S=$T/status.json
read -r fds1 wfds1 <<<"$(min_fds)"
wait_rounds "$S" 4 || fail "rounds stopped"
read -r fds2 wfds2 <<<"$(min_fds)"
assert_eq "$fds2" "$fds1" "agent fds after more rounds (check processes' apart)"
# Check processes are kept for reuse, at most as many as a round ran at
# once (the first, five): two fds each, and a pidfd for one dying.
[ "$wfds1" -le 11 ] && [ "$wfds2" -le 11 ] ||
	fail "check processes' fds: $wfds1 then $wfds2 (more than 5 kept?)"
zombies=$(ps -o stat= --ppid "$agent" | grep -c Z)
assert_eq "$zombies" 0 "zombie children of the agent"

kill -TERM "$agent"
wait "$agent"
assert_eq "$?" 0 "agent exit status"
[ -s "$D/127.0.0.6.pids" ] || fail "the forking check never ran"
n=0
while read -r pid; do
	n=$((n + 1))
	[ -e /proc/$pid ] && fail "grandchild $pid of a check still exists ($(cat /proc/$pid/stat))"
done <"$D/127.0.0.6.pids"
pass "hang/crash/late counted as failed, round $dur s, $n grandchildren all gone, fds $fds1 stable"
