#!/bin/bash
# Three agents keep www.example.test in the fake Route 53: all join, a dead
# peer is evicted through a change batch within the bound (interval +
# timeout x retries + margin), never the last record, with concurrent
# agents racing on the same set (compare-and-set).  Once with read = "api",
# once with read = "dns".
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
/usr/bin/python3 -c 'import dns.message' 2>/dev/null || skip "needs python3-dnspython"

write_state "$T/state.json"
start_fake_aws "$T/state.json"
port=$(free_port)
F=www.example.test
records() { "$DFO_AWS" -C "$T/a.conf" list-records Z1 "$F" A | cut -d' ' -f4- | tr ' ' '\n' | sort -t. -k4,4n | tr '\n' ' ' | sed 's/ $//'; }
has() { [ "$(records)" = "$1" ]; }

for mode in api dns; do
	# the set starts with a dead address (.9) that no agent owns
	aws_conf "$T/a.conf"
	"$DFO_AWS" -C "$T/a.conf" change Z1 UPSERT "$F" A 60 127.0.0.9 >/dev/null || fail "setup"
	pids=()
	for i in 2 3 4; do
		listen_tcp "127.0.0.$i" "$port"
		eval "L$i=$LISTEN_PID"
		aws_conf "$T/$mode$i.conf"
		cat >>"$T/$mode$i.conf" <<C
dns "r53" { route53 { zone = "example.test" read = "$mode" } }
ipsource "me" { static { address = "127.0.0.$i" } }
check "web" { tcp { port = $port } }
timer "t" { tick { interval = 1 timeout = 0.3 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "r53" ipsource = "me" check = "web" timer = "t" rise = 1 }
C
		start_agent "$mode$i" "$T/$mode$i.conf"
		pids+=("$AGENT_PID")
	done
	wait_for 15 has "127.0.0.2 127.0.0.3 127.0.0.4" ||
		fail "$mode: agents did not join and evict .9: $(records); $(tail -n 3 "$T/${mode}2.log")"
	pass "$mode: three agents joined, the dead .9 evicted"

	# .3 dies: gone within interval 1 + 0.3 x 1 + margin (load: 4 s).
	kill "$L3"; wait "$L3" 2>/dev/null
	t0=$(now_ms)
	wait_for 8 has "127.0.0.2 127.0.0.4" || fail "$mode: .3 not evicted: $(records)"
	took=$(($(now_ms) - t0))
	[ "$took" -le 4000 ] || fail "$mode: eviction took $took ms"
	kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null
	# .2 and .4 die too: one survives (never the last record).
	kill "$L2" "$L4"; wait "$L2" "$L4" 2>/dev/null
	sleep 3
	n=$(records | wc -w)
	[ "$n" -ge 1 ] || fail "$mode: the last record was deleted"
	assert_eq "$(fake_stat sig_fail)" 0 "$mode: every request's signature verified"
	pass "$mode: dead peer evicted in $took ms, never the last record"
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
done
