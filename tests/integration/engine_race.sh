#!/bin/bash
# Three agents race on one hosts file, with real TCP servers: when two
# servers die at once the survivor evicts them one by one; when all three
# die together each failing agent tries to withdraw at the same moment.
# Every write of the file is checked as it is made (an LD_PRELOAD library
# counts the records of each new file as it is renamed into place): none
# may leave the name without a record.
. "$TOP_SRCDIR/tests/lib/common.sh"

WATCH=${TEST_MODULES:?}/rename_watch.so
[ -f "$WATCH" ] || skip "no $WATCH"

port=$(free_port)
H=$T/hosts
F=www.example.test
: >"$H"
declare -A srv
for a in 2 3 4; do
	listen_tcp 127.0.0.$a "$port"
	srv[$a]=$LISTEN_PID
	write_conf "$T/$a.conf" <<C
status_file = "$T/$a.status"
$(hosts_pool 127.0.0.$a "tcp { port = $port }" "interval = 0.1 timeout = 0.2 retries = 1" "rise = 1")
C
done
export DFO_WATCH_FILE=$H DFO_WATCH_NAME=$F DFO_WATCH_LOG=$T/writes
for a in 2 3 4; do
	# (a sanitizer runtime wants to come first; this one has none)
	LD_PRELOAD=$WATCH ASAN_OPTIONS=${ASAN_OPTIONS:-}:verify_asan_link_order=0 \
		start_agent $a "$T/$a.conf"
done
wait_for 5 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3 127.0.0.4" ||
	fail "agents did not join: $(addrs "$H" "$F")"

# Two servers die together.
kill ${srv[3]} ${srv[4]}
wait_for 5 has_addrs "$H" "$F" "127.0.0.2" || fail "dead ones not removed: $(addrs "$H" "$F")"
# Back: they rejoin.
listen_tcp 127.0.0.3 "$port"; srv[3]=$LISTEN_PID
listen_tcp 127.0.0.4 "$port"; srv[4]=$LISTEN_PID
wait_for 5 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3 127.0.0.4" || fail "did not rejoin"
# All die together, twice over.
for round in 1 2; do
	kill ${srv[2]} ${srv[3]} ${srv[4]}
	sleep 1.5
	left=$(addrs "$H" "$F")
	echo "all dead, round $round: left '$left'"
	[ -n "$left" ] || fail "all dead: the file is empty"
	[ "$(wc -w <<<"$left")" = 1 ] || fail "all dead: '$left' should be one record"
	for a in 2 3 4; do listen_tcp 127.0.0.$a "$port"; srv[$a]=$LISTEN_PID; done
	wait_for 5 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3 127.0.0.4" || fail "did not all rejoin"
done

writes=$(wc -l <"$T/writes")
# (writes before the first join, of the agents' state records, find the
# name empty as the test made it)
empty=$(awk '$1 > 0 { had = 1 } had && $1 == 0' "$T/writes" | wc -l)
echo "writes: $writes, records after each: $(cut -d' ' -f1 "$T/writes" | sort | uniq -c | awk '{printf "%s x%s ", $2, $1}')"
# at least: 3 joins, 2 evictions, 2 rejoins, then twice 2 withdrawals
# and 2 rejoins
[ "$writes" -ge 15 ] || fail "only $writes writes seen: is the watch working?"
assert_eq "$empty" 0 "writes that left no record"
pass "three racing agents: none of $writes writes emptied the name"
