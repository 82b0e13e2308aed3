#!/bin/bash
# Quorum eviction under real network faults (issue 19): hosts in network
# namespaces (tests/lib/netns.sh), each an agent and its server (a TCP
# listener) on its own address, BIND named in the hub through rfc2136
# with TSIG, faults made by nftables in a host's namespace.  Three pools
# in one lab, at interval = 1 and the defaults (fall = 1, heartbeat = 2;
# check timeouts 2 s x 2 tries, 5 s x 1 in pool c),
# their faults at the same time for PART_SECS (60) seconds:
#  1. partition of one agent: a1 cannot reach the other four (its packets
#     to them dropped) and still reaches named;
#  2. partial partition: b1 and b3 cannot reach each other, b2 sees both;
#  3. overload: every check c1 makes of its peers stops itself (SIGSTOP)
#     past the check timeout.
# Throughout, dig asks named for each name every ~0.2 s: every address
# always there (all servers are up), never empty; no agent logs an
# eviction; a1, b1, b3 and c1 each log "outvoted" exactly once, and a1
# "no longer outvoted" once healed.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/netns.sh"

SECS=${PART_SECS:-60}
Z=part.test
port=8080
lab_init
lab_dns "$Z"
declare -A pool=([a]=5 [b]=3 [c]=3)
: >"$T/overload.off"
for g in a b c; do
	for ((i = 1; i <= ${pool[$g]}; i++)); do
		lab_host "$g$i"
	done
done
members() { # GROUP: the addresses of its hosts
	local i out=()
	for ((i = 1; i <= ${pool[$1]}; i++)); do out+=("${LAB_ADDR[$1$i]}"); done
	echo "${out[*]}"
}
# c1's checks: of itself, a TCP connect; of a peer, while the flag file
# exists, the check stops itself (SIGSTOP) until the agent's timeout
# kills it.
cat >"$T/overload.sh" <<S
#!/bin/bash
if [ "\$1" != "${LAB_ADDR[c1]}" ] && [ -e "$T/overload.on" ]; then
	kill -STOP \$\$
fi
exec 3<>"/dev/tcp/\$1/$port"
S
chmod +x "$T/overload.sh"
for g in a b c; do
	for ((i = 1; i <= ${pool[$g]}; i++)); do
		h=$g$i
		chk="tcp { port = $port }" tmo=2 tries=2
		# pool c: a longer timeout, which c1's exec check of itself
		# keeps when ASan's fork and bash are slow at load 30
		[ $g = c ] && tmo=5 tries=1
		[ "$h" = c1 ] &&
			chk="exec { command = {\"$T/overload.sh\"} }"
		write_conf "$T/$h.conf" <<C
status_file = "$T/$h.status"
dns "lab" { $LAB_DNS_CONF }
ipsource "me" { static { address = "${LAB_ADDR[$h]}" } }
check "svc" { $chk }
timer "1s" { tick { interval = 1 timeout = $tmo retries = $tries } }
pool "$g" { fqdn = {"$g.$Z"} dns = "lab" ipsource = "me" check = "svc"
            timer = "1s" quorum = ${PART_QUORUM:-true} }
C
		lab_listen "$h" "$port"
		lab_agent "$h" "$T/$h.conf"
	done
done

all_in() { # GROUP
	[ "$(lab_names "$1.$Z")" = "$(members "$1")" ]
}
# Every agent of the group sees all the others live.
all_live() { # GROUP
	local i n=${pool[$1]}
	for ((i = 1; i <= n; i++)); do
		[ "$(status_get "$T/$1$i.status" 's["pools"][0]["quorum"]["live"]')" = "$n" ] ||
			return 1
	done
}
for g in a b c; do
	lab_wait 60 all_in $g || fail "pool $g did not fill: '$(lab_names "$g.$Z")'; $(tail -n 5 "$T/${g}1.log")"
done
[ "${PART_QUORUM:-true}" = true ] && for g in a b c; do
	lab_wait 60 all_live $g || fail "the agents of pool $g never all saw each other live"
done
for g in a b c; do
	lab_sample_names "$T/$g.samples" "$g.$Z"
done
sleep 2

# The faults, together.
t0=$(now_ms)
read -r -a others <<<"$(members a)"
lab_blind a1 "${others[@]:1}"
lab_cut b1 "${LAB_ADDR[b3]}"
lab_cut b3 "${LAB_ADDR[b1]}"
mv "$T/overload.off" "$T/overload.on"
echo "faults on at $t0 ms ($LAB_DNS): a1 blind to a2-a5, b1 <-> b3 cut, c1's peer checks SIGSTOPped, for $SECS s"
# They bite: a1 sees its peers fail, c1's checks time out.
lab_wait 20 grep -q "peer ${LAB_ADDR[a2]} down" "$T/a1.log" || fail "a1 is not blind: $(tail -n 5 "$T/a1.log")"
lab_wait 20 grep -q "timed out" "$T/c1.status" || fail "c1's checks do not time out"
sleep "$SECS"
t1=$(now_ms)
lab_heal a1
lab_heal b1
lab_heal b3
mv "$T/overload.on" "$T/overload.off"
echo "faults off after $(((t1 - t0) / 1000)) s"

for g in a b c; do
	lab_samples_hold "$T/$g.samples" "$(members $g)" "$t0" "$t1"
done
grep -H "evicted" "$T"/*.log && fail "an agent evicted a healthy peer"
lab_wait 40 grep -q "no longer outvoted" "$T/a1.log" ||
	fail "a1 never said it is no longer outvoted: $(grep outvoted "$T/a1.log")"
for h in a1 b1 b3 c1; do
	n=$(grep -c "outvoted:" "$T/$h.log")
	[ "$n" = 1 ] || fail "$h logged 'outvoted:' $n times: $(grep outvoted "$T/$h.log")"
	echo "$h: $(grep -o 'outvoted: .*' "$T/$h.log")"
done
for h in a2 a3 a4 a5 b2 c2 c3; do
	grep -q "outvoted:" "$T/$h.log" && fail "$h, not blind, was outvoted"
done
pass "$SECS s of partition ($LAB_DNS), partial partition and overload: nothing evicted, never empty, each blind agent outvoted once"
