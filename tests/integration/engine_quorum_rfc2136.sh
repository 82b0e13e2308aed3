#!/bin/bash
# Quorum eviction through rfc2136 on BIND (issue 19).  Three agents on
# 127.0.0.2-4 share one zone of a named on loopback, TSIG-signed, under
# the update policy the README documents (A/AAAA at the pool's name, TXT
# at its state name, nothing else).  Each agent's check is an exec check
# that connects to the peer's TCP server, unless a file of that agent
# (blind.N) names the peer: a failure seen by that one agent only.
#  - -t says nothing of partition safety for the pool (it did before
#    rfc2136 had the state operations), and still does with quorum = false;
#  - the heartbeats are TXT records at the state name (dig), refreshed;
#  - agent .2 blind to .3 for 12 of its rounds: .3 stays (dig of the A set
#    every 0.2 s), .2 publishes its view and logs that it is outvoted;
#  - server .4 dies, its agent alive: .4 withdraws itself;
#  - machine .3 dies (agent and server SIGKILLed together): .3 leaves
#    within the documented bound (15 s at interval = 1 and the default
#    heartbeat; asserted on the survivors' round counter, which counts
#    seconds of schedule, and on the wall clock with 15 s of slack for a
#    loaded machine), and its stale record is removed later;
#  - the name is never empty: a sampler digs the A set every 0.1 s
#    through the whole test.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd named dig nsupdate
. "$TOP_SRCDIR/tests/lib/dnsserver.sh"

Z=example.test
F=www.$Z
SN=_dfo.$F
dns_key hmac-sha256
# The README's BIND policy.
NAMED_GRANT="grant $DNS_KEY_NAME name $F. A AAAA; grant $DNS_KEY_NAME name $SN. TXT;"
start_named "$T/ns" "$Z" || fail "named does not start"
unset NAMED_GRANT
export DFO_TEST_TSIG=$DNS_KEY_SECRET
nsupd "$Z" <<<"update add $F 60 A 127.0.0.2" || fail "nsupdate"

port=$(free_port)
cat >"$T/chk.sh" <<'S'
#!/bin/sh
# chk.sh AGENT PEER PORT: the peer's server answers, unless this agent
# is blind to it (its blind.AGENT file names the peer).
grep -qx "$2" "$(dirname "$0")/blind.$1" 2>/dev/null && { echo "blind to $2"; exit 2; }
exec bash -c 'exec 3<>"/dev/tcp/$1/$2"' bash "$2" "$3"
S
chmod +x "$T/chk.sh"
conf() { # AGENT QUORUM
	write_conf "$T/$1.conf" <<C
status_file = "$T/$1.status"
dns "ns" { $(rfc2136_section "zone = \"$Z\" timeout = 2") }
ipsource "me" { static { address = "127.0.0.$1" } }
check "web" { exec { command = {"/bin/sh", "-c", "$T/chk.sh $1 \\"\$1\\" $port", "sh"} } }
timer "1s" { tick { interval = 1 timeout = 3 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "ns" ipsource = "me" check = "web"
             timer = "1s" fall = 2 quorum = $2 }
C
}

# -t: partition-safe with quorum (no word of it), not without.
conf 2 false
out=$("$DFO" -t -C "$T/2.conf" 2>&1) || fail "-t: $out"
assert_contains "$out" "not partition-safe" "-t with quorum = false"
conf 2 true
out=$("$DFO" -t -C "$T/2.conf" 2>&1) || fail "-t: $out"
assert_not_contains "$out" "partition" "-t of an rfc2136 pool with quorum"

# The name's A set as the server holds it: "EMPTY" for none, "?" when
# the server did not answer (not judged).
aset() {
	local out st
	out=$(dig +norec +time=1 +tries=1 @"$DNS_ADDR" -p "$DNS_PORT" +noall +comments +answer "$F" A 2>/dev/null)
	st=$(grep -o 'status: [A-Z]*' <<<"$out" | cut -d' ' -f2)
	case $st in
	NOERROR | NXDOMAIN)
		out=$(awk '$4 == "A" { print $5 }' <<<"$out" | sort | tr '\n' ' ' | sed 's/ $//')
		echo "${out:-EMPTY}" ;;
	*) echo "?" ;;
	esac
}
# The state records, unquoted, sorted.
txts() { dns_dig +short "$SN" TXT | tr -d '"' | sort; }

# The sampler: the A set every 0.1 s, for at most 300 s, from one
# process (dnspython), so that a loaded machine slows it little.
/usr/bin/python3 - "$DNS_ADDR" "$DNS_PORT" "$F" >"$T/samples" <<'PY' &
import sys, time
import dns.flags, dns.message, dns.query, dns.rcode
addr, port, name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
end = time.monotonic() + 300
while time.monotonic() < end:
    q = dns.message.make_query(name, "A")
    q.flags &= ~dns.flags.RD
    try:
        r = dns.query.udp(q, addr, port=port, timeout=1)
        if r.rcode() not in (dns.rcode.NOERROR, dns.rcode.NXDOMAIN):
            raise ValueError
        got = sorted((rd.address for rr in r.answer if rr.rdtype == 1 for rd in rr),
                     key=lambda a: tuple(map(int, a.split("."))))
        text = " ".join(got) or "EMPTY"
    except Exception:
        text = "?"
    print(int(time.time() * 1000), text, flush=True)
    time.sleep(0.1)
PY
track $!

declare -A srv agent
for a in 2 3 4; do
	listen_tcp 127.0.0.$a "$port"
	srv[$a]=$LISTEN_PID
	conf $a true
	start_agent $a "$T/$a.conf"
	agent[$a]=$AGENT_PID
done
ALL="127.0.0.2 127.0.0.3 127.0.0.4"
wait_wall 20 eval '[ "$(aset)" = "$ALL" ]' ||
	fail "agents did not join: $(aset); $(tail -n 5 "$T"/[234].log)"

# 1. Heartbeats: one TXT record per agent at the state name, rewritten.
live3() { [ "$(status_get "$T/2.status" 's["pools"][0]["quorum"]["live"]')" = 3 ]; }
wait_wall 20 live3 || fail "the agents never saw each other live: $(txts)"
# (A check may fail now and then on a loaded machine: 'f', or a peer
# named as failing; wait until all three pass.)
beats3() {
	t1=$(txts)
	[ "$(grep -c "^dfo1 127.0.0.[234] [0-9]* u -$" <<<"$t1")" = 3 ]
}
wait_wall 30 beats3 || fail "no heartbeat of each agent at $SN: $t1"
assert_eq "$(wc -l <<<"$t1")" 3 "one state record per agent"
seq3() { txts | awk '$2 == "127.0.0.3" { print $3 }'; }
s0=$(seq3)
wait_wall 10 eval '[ "$(seq3)" != "$s0" ]' || fail "the heartbeat of .3 was not refreshed: $(txts)"
assert_eq "$(zone_rrs "$Z" "$SN" A)" "" "no A record at the state name"

# 2. Agent .2 alone sees .3 failing, for 12 of its rounds: .3 stays.
r0=$(status_get "$T/2.status" 's["pools"][0]["rounds"]')
echo 127.0.0.3 >"$T/blind.2"
n=0
end=$(($(now_ms) + 180000))
while [ $n -lt 20 ] || ! rounds_ge "$T/2.status" $((r0 + 12)); do
	cur=$(aset)
	[ "$cur" = "$ALL" ] || [ "$cur" = "?" ] ||
		fail "a healthy peer left: '$cur'; $(grep -h 'evicted\|outvoted' "$T"/[234].log)"
	n=$((n + 1))
	[ "$(now_ms)" -lt "$end" ] || fail "agent .2 ran no 12 rounds in 180 s"
	sleep 0.2
done
echo "blind agent: $n digs over 12 of its rounds, the A set stayed $ALL"
grep -q "^dfo1 127.0.0.2 [0-9]* u 127.0.0.3$" <<<"$(txts)" ||
	fail "the blind agent's view is not in its record: $(txts)"
wait_wall 20 grep -q "outvoted" "$T/2.log" || fail "no outvoted line: $(tail "$T/2.log")"
grep -h "evicted" "$T"/[234].log && fail "an eviction while one agent was blind"
rm "$T/blind.2"
wait_wall 15 eval 'grep -q "^dfo1 127.0.0.2 [0-9]* u -$" <<<"$(txts)"' ||
	fail "the agent's view did not clear: $(txts)"

# 3. Server .4 dies, its agent lives: it withdraws itself.
kill "${srv[4]}"
wait_wall 15 eval '[ "$(aset)" = "127.0.0.2 127.0.0.3" ]' ||
	fail ".4 did not leave: $(aset)"
grep -q "withdrew 127.0.0.4" "$T/4.log" || fail ".4 did not withdraw itself: $(tail "$T/4.log")"
listen_tcp 127.0.0.4 "$port"
srv[4]=$LISTEN_PID
wait_wall 20 eval '[ "$(aset)" = "$ALL" ]' || fail ".4 did not rejoin: $(aset)"

# 4. Machine .3 dies: agent and server together.
r0=$(status_get "$T/2.status" 's["pools"][0]["rounds"]')
t0=$(now_ms)
kill -9 "${agent[3]}" "${srv[3]}"
wait_wall 45 eval '[ "$(aset)" = "127.0.0.2 127.0.0.4" ]' ||
	fail ".3 did not leave in 45 s: $(aset); $(tail -n 5 "$T/2.log" "$T/4.log")"
took=$(($(now_ms) - t0))
r1=$(status_get "$T/2.status" 's["pools"][0]["rounds"]')
rounds=$((r1 - r0))
grep -q "evicted 127.0.0.3" "$T/2.log" "$T/4.log" || fail "no eviction of .3 logged"
echo "dead machine .3 left after $rounds rounds of .2, $took ms"
[ "$rounds" -le 15 ] || fail ".3 left after $rounds rounds of .2 (bound: 15 at interval 1)"
[ "$took" -le 30000 ] || fail ".3 left after $took ms (bound 15 s, + 15 s for load)"
# Its record goes once it is stale for good (6 heartbeats: 12 s).
wait_wall 40 eval '! txts | grep -q " 127.0.0.3 "' || fail "the dead agent's record stayed: $(txts)"
grep -q "removed the state record of agent 127.0.0.3" "$T/2.log" "$T/4.log" || fail "no removal logged"

# 5. Never empty, and the sampler saw the whole story.
kill "${agent[2]}" "${agent[4]}"
wait "${agent[2]}" "${agent[4]}" 2>/dev/null
grep -q " EMPTY$" "$T/samples" && fail "the name was empty: $(grep -m3 ' EMPTY$' "$T/samples")"
total=$(wc -l <"$T/samples")
[ "$total" -ge 50 ] || fail "only $total samples"
echo "$total samples of the A set, none empty"
pass "rfc2136 quorum: heartbeats in TXT, one blind agent outvoted ($n digs), .4 withdrew, dead .3 left in $rounds rounds ($took ms)"
