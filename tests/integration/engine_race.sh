#!/bin/bash
# Three agents race on one hosts file, with real TCP servers: when two
# servers die at once the survivor evicts them one by one; when all three
# die together each failing agent tries to withdraw at the same moment.
# The file is sampled every 10 ms throughout and must never lose its
# last record.
. "$TOP_SRCDIR/tests/lib/common.sh"

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
dns "local" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.$a" } }
check "web" { tcp { port = $port } }
timer "fast" { tick { interval = 0.1 timeout = 0.2 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "web"
             timer = "fast" rise = 1 }
C
done
for a in 2 3 4; do start_agent $a "$T/$a.conf"; done
wait_for 5 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3 127.0.0.4" ||
	fail "agents did not join: $(addrs "$H" "$F")"

# Watch the file in the background: count samples and empty ones.
(
	n=0 empty=0
	while [ ! -e "$T/stop" ]; do
		n=$((n + 1))
		[ -z "$(addrs "$H" "$F")" ] && empty=$((empty + 1))
		sleep 0.01
	done
	echo "$n $empty" >"$T/watch"
) &
watcher=$!
track $watcher

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

touch "$T/stop"
wait $watcher
read -r samples empty <"$T/watch"
echo "samples: $samples, empty: $empty"
[ "$samples" -gt 100 ] || fail "too few samples ($samples)"
assert_eq "$empty" 0 "samples with no record"
pass "three racing agents never emptied the file ($samples samples)"
