#!/bin/bash
# Quorum eviction, the bound (issue 19): at interval = 1 and the default
# heartbeat, two of three machines die at once (agent and server
# SIGKILLed together).  The survivor is no majority while the dead
# agents' records are fresh; once they go stale it evicts both, one per
# round: both leave within 15 s, and the name is never empty.
. "$TOP_SRCDIR/tests/lib/common.sh"

port=$(free_port)
H=$T/hosts
F=www.example.test
: >"$H"
declare -A srv agent
for a in 2 3 4; do
	listen_tcp 127.0.0.$a "$port"
	srv[$a]=$LISTEN_PID
	write_conf "$T/$a.conf" <<C
status_file = "$T/$a.status"
$(hosts_pool 127.0.0.$a "tcp { port = $port }" "interval = 1 timeout = 0.5 retries = 1")
C
	start_agent $a "$T/$a.conf"
	agent[$a]=$AGENT_PID
done
wait_for 15 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3 127.0.0.4" ||
	fail "agents did not join: $(addrs "$H" "$F")"
# Every agent has seen the others' records change.
live3() { [ "$(status_get "$T/2.status" 's["pools"][0]["quorum"]["live"]')" = 3 ]; }
wait_for 15 live3 || fail "the agents never saw each other live"
sleep 3

BOUND=15
t0=$(now_ms)
kill -9 "${agent[3]}" "${srv[3]}" "${agent[4]}" "${srv[4]}"
seen=()
prev=
while :; do
	cur=$(addrs "$H" "$F")
	[ -n "$cur" ] || fail "the name is empty"
	[ "$prev" = "$cur" ] || seen+=("$(($(now_ms) - t0)) ms: $cur")
	prev=$cur
	[ "$cur" = "127.0.0.2" ] && break
	[ $(($(now_ms) - t0)) -lt $((BOUND * 1000 + 10000)) ] || break
	sleep 0.05
done
took=$(($(now_ms) - t0))
printf '  %s\n' "${seen[@]}"
echo "two of three machines died: both left in $took ms (bound $BOUND s)"
[ "$cur" = "127.0.0.2" ] || fail "the dead did not leave: '$cur'; $(tail -5 "$T/2.log")"
[ "$took" -le $((BOUND * 1000)) ] || fail "took $took ms, over the bound of $BOUND s"
grep -q "agent 127.0.0.3 is not live" "$T/2.log" || fail "no 'not live' line"
pass "two of three died: both left in $took ms (bound $BOUND s), name never empty"
