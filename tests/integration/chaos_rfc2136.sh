#!/bin/bash
# Chaos on one BIND zone through dns "rfc2136": 5 agents in network
# namespaces of their own (tests/lib/netns.sh: 10.77.0.20-24, one pool,
# 1 s rounds, quorum eviction at its defaults), named and a proxy in the
# hub; their servers stop and start at random, agents are SIGKILLed and
# restarted, the network partitions at random (nftables in an agent's
# namespace: one agent blind to all its peers, or two agents cut from each
# other), the proxy between the agents and named drops, delays and
# refuses a share of the updates, and the zone is read with dig's library
# (dnspython) 25 times a second for CHAOS_SECONDS (60; CHAOS_QUORUM=false
# shows the partitions evicting healthy peers).  The figures are
# printed (and kept in the test's log); the name must never be empty, no
# healthy peer evicted, and every dead server's record out within the
# bound printed (its margin stated): the test fails otherwise.  See
# chaos_rfc2136.py.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd named
/usr/bin/python3 -c 'import dns.query' 2>/dev/null || skip "needs python3-dnspython"
. "$TOP_SRCDIR/tests/lib/netns.sh"
. "$TOP_SRCDIR/tests/lib/dnsserver.sh"
lab_init

Z=chaos.test
F=www.$Z
N=${CHAOS_AGENTS:-5}
SECS=${CHAOS_SECONDS:-60}
INTERVAL=1 TIMEOUT=0.5 RETRIES=2 DNS_TIMEOUT=1
dns_key hmac-sha256
DNS_RUN="ip netns exec $LAB_HUB"
DNS_ADDR=$LAB_HUB_ADDR
start_named "$T/ns" "$Z" || fail "named does not start"
proxy_port=$(dns_free_port)
check_port=8080
export DFO_TEST_TSIG=$DNS_KEY_SECRET
export CHAOS_HOSTS=
for i in $(seq 0 $((N - 1))); do
	lab_host "h$i" $((20 + i))
	a=${LAB_ADDR[h$i]}
	CHAOS_HOSTS+="$a=${LAB_NS[h$i]} "
	write_conf "$T/agent-$a.conf" <<C
status_file = "$T/$a.status"
dns "zone" { rfc2136 {
	server = "$LAB_HUB_ADDR:$proxy_port"
	zone = "$Z"
	key_name = "$DNS_KEY_NAME"
	key_algorithm = "$DNS_KEY_ALG"
	key_secret = "\${DFO_TEST_TSIG}"
	ttl = 30
	timeout = $DNS_TIMEOUT
} }
ipsource "me" { static { address = "$a" } }
check "svc" { tcp { port = $check_port } }
timer "1s" { tick { interval = $INTERVAL timeout = $TIMEOUT retries = $RETRIES } }
pool "www" { fqdn = {"$F"} dns = "zone" ipsource = "me" check = "svc"
             timer = "1s" rise = 1 fall = 1 quorum = ${CHAOS_QUORUM:-true} }
C
done
CHAOS_HUB_ADDR=$LAB_HUB_ADDR ip netns exec "$LAB_HUB" \
	/usr/bin/python3 "$TOP_SRCDIR/tests/integration/chaos_rfc2136.py" "$T" "$DNS_PORT" \
	"$proxy_port" "$check_port" "$SECS" "$N" "$DFO" "$INTERVAL" "$TIMEOUT" \
	"$RETRIES" "$DNS_TIMEOUT" "$F"
rc=$?
grep -h -F -q "$DNS_KEY_SECRET" "$T"/agent-*.log && fail "the TSIG secret is in an agent's log"
echo "agent log lines: $(cat "$T"/agent-*.log | wc -l); stale (lost races): $(grep -h -c -i 'changed' "$T"/agent-*.log | awk '{ n += $1 } END { print n + 0 }')"
[ $rc = 0 ] || { tail -5 "$T/agent-${LAB_ADDR[h0]}.log"; fail "chaos"; }
pass "chaos with partitions: never empty, no healthy peer evicted, removals within the bound"
