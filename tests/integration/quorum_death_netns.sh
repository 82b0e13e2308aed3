#!/bin/bash
# Quorum eviction, deaths (issue 19), on BIND named through rfc2136 with
# TSIG: hosts in network namespaces (tests/lib/netns.sh), each an agent
# and its server; a machine dies when every process of its namespace is
# SIGKILLed.  Three pools of three hosts in one lab, at interval = 1 and
# the default heartbeat (2), their faults at the same time:
#  d: machine d3 dies: it leaves within the README's bound (15 s at
#     interval = 1; scaled when the machine stretches the rounds, below);
#  s: server s3 dies, its agent lives: it leaves (withdrawn by its agent
#     or evicted by the majority, whichever comes first) a quorum pool as fast as
#     a quorum = false pool of the same agents (two pools per agent, same
#     timer: within 3 s of each other, a generous margin for a loaded
#     machine's rounds);
#  t: machines t2 and t3 die at once: both leave within 15 s, the name is
#     never empty.
# dig (dnspython) asks named for each name every ~0.2 s.
# engine_quorum_death.sh asserts the same bound on a hosts file.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/netns.sh"

BOUND=15
Z=death.test
port=8080
lab_init
lab_dns "$Z"
for g in d s t; do
	for i in 1 2 3; do
		h=$g$i
		lab_host "$h"
		{
			echo "status_file = \"$T/$h.status\""
			echo "dns \"lab\" { $LAB_DNS_CONF }"
			echo "ipsource \"me\" { static { address = \"${LAB_ADDR[$h]}\" } }"
			echo "check \"svc\" { tcp { port = $port } }"
			echo "timer \"1s\" { tick { interval = 1 timeout = 1 retries = 2 } }"
			echo "pool \"$g\" { fqdn = {\"$g.$Z\"} dns = \"lab\" ipsource = \"me\" check = \"svc\" timer = \"1s\" }"
			[ $g = s ] &&
				echo "pool \"n\" { fqdn = {\"n.$Z\"} dns = \"lab\" ipsource = \"me\" check = \"svc\" timer = \"1s\" quorum = false }"
		} | write_conf "$T/$h.conf"
		lab_listen "$h" "$port"
		declare "srv_$h=$LISTEN_PID"
		lab_agent "$h" "$T/$h.conf"
	done
done
members() { echo "${LAB_ADDR[${1}1]} ${LAB_ADDR[${1}2]} ${LAB_ADDR[${1}3]}"; }
all_in() { [ "$(lab_names "$1.$Z")" = "$(members "$2")" ]; }
all_live() { # GROUP
	local i
	for i in 1 2 3; do
		[ "$(status_get "$T/$1$i.status" 's["pools"][0]["quorum"]["live"]')" = 3 ] ||
			return 1
	done
}
for g in d s t; do
	lab_wait 60 all_in $g $g || fail "pool $g did not fill: '$(lab_names "$g.$Z")'; $(tail -n 5 "$T/${g}1.log")"
done
lab_wait 60 all_in n s || fail "pool n did not fill: '$(lab_names "n.$Z")'"
for g in d s t; do
	lab_wait 60 all_live $g || fail "the agents of pool $g never all saw each other live"
done
for g in d s t n; do
	lab_sample_names "$T/$g.samples" "$g.$Z"
done
sleep 3

rounds() { status_get "$T/$1.status" 's["pools"][0]["rounds"]'; }
declare -A r0
for h in d1 s1 t1; do r0[$h]=$(rounds $h); done
t0=$(now_ms)
lab_kill d3
kill -9 "$srv_s3"
lab_kill t2
lab_kill t3
echo "at $t0 ms ($LAB_DNS): machine d3 died, server s3 died, machines t2 and t3 died"
gone() { # GROUP ADDRS-LEFT
	[ "$(tail -n 1 "$T/$1.samples" | cut -d' ' -f2-)" = "$2" ]
}
lab_wait $((BOUND + 15)) gone d "${LAB_ADDR[d1]} ${LAB_ADDR[d2]}"
lab_wait $((BOUND + 15)) gone s "${LAB_ADDR[s1]} ${LAB_ADDR[s2]}"
lab_wait $((BOUND + 15)) gone n "${LAB_ADDR[s1]} ${LAB_ADDR[s2]}"
lab_wait $((BOUND + 15)) gone t "${LAB_ADDR[t1]}"
sleep 1
# The bound holds at interval = 1; a loaded machine stretches the rounds
# (ASan at load 30: 2-3 s each), and with them the bound (the window of
# liveness is 3 rounds when rounds are further apart than heartbeats): it
# is scaled by the survivor's mean round period since the deaths, as
# its status file counts them, when that is over 1 s.
declare -A bound
for h in d1 s1 t1; do
	bound[$h]=$(/usr/bin/python3 -c 'import sys
r = max(1, int(sys.argv[2]) - int(sys.argv[1]))
p = max(1.0, (int(sys.argv[4]) - int(sys.argv[3])) / 1000 / r)
print(int(float(sys.argv[5]) * 1000 * p))' \
		"${r0[$h]}" "$(rounds $h)" "$t0" "$(now_ms)" "$BOUND")
done
echo "bounds (ms, scaled by the survivors' round periods): d ${bound[d1]}, s ${bound[s1]}, t ${bound[t1]}"
# when ADDR left: the time of the first sample after t0 without it (ms
# after t0), "never" if none
left() { # GROUP ADDR
	awk -v t0="$t0" -v a="$2" '$1 >= t0 && $2 != "ERR" {
		f = 0; for (i = 2; i <= NF; i++) if ($i == a) f = 1
		if (!f) { print $1 - t0; found = 1; exit } }
		END { if (!found) print "never" }' "$T/$1.samples"
}
d3=$(left d "${LAB_ADDR[d3]}")
sq=$(left s "${LAB_ADDR[s3]}")
sn=$(left n "${LAB_ADDR[s3]}")
t2=$(left t "${LAB_ADDR[t2]}")
t3=$(left t "${LAB_ADDR[t3]}")
echo "machine d3 left in $d3 ms; server s3 left the quorum pool in $sq ms, the quorum = false pool in $sn ms; machines t2, t3 left in $t2, $t3 ms (bound $BOUND s)"
for x in "d3:$d3" "t2:$t2" "t3:$t3" "s3:$sq" "s3(quorum=false):$sn"; do
	v=${x#*:}
	b=${bound[${x:0:1}1]}
	[ "$v" != never ] || fail "${x%%:*} never left: $(tail -n 3 "$T/${x:0:1}1.log")"
	[ "$v" -le "$b" ] || fail "${x%%:*} left in $v ms, over the bound of $b ms"
done
[ "$sq" -le $((sn + 3000)) ] || fail "server death: quorum $sq ms, quorum = false $sn ms: slower by more than 3 s"
lab_samples_hold "$T/d.samples" "${LAB_ADDR[d1]} ${LAB_ADDR[d2]}" "$t0"
lab_samples_hold "$T/s.samples" "${LAB_ADDR[s1]} ${LAB_ADDR[s2]}" "$t0"
lab_samples_hold "$T/t.samples" "${LAB_ADDR[t1]}" "$t0"
grep -q "agent ${LAB_ADDR[t2]} is not live" "$T/t1.log" || fail "t1 did not say t2 is not live"
pass "machine death $d3 ms, two of three $t2/$t3 ms (bound $BOUND s), server death $sq ms (quorum = false: $sn ms), never empty"
