#!/bin/bash
# check "icmp": reachable and unreachable addresses, IPv4 and IPv6, in
# two network namespaces joined by a veth pair; the raw-socket path (root
# with CAP_NET_RAW), the ping-socket path (net.ipv4.ping_group_range
# opened in the test's namespace, CAP_NET_RAW dropped) and the error
# when neither is allowed.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/check.sh"
need_root
need_cmd setpriv

ns=$(make_netns icmp) || skip "cannot create a network namespace"
far=$(make_netns icmpfar) || skip "cannot create a network namespace"
ip -n "$ns" link add v0 type veth peer name v1 netns "$far" || skip "no veth"
ip -n "$ns" link set v0 up
ip -n "$far" link set v1 up
ip -n "$ns" addr add 198.51.100.1/24 dev v0
ip -n "$ns" addr add 2001:db8::1/64 dev v0 nodad
ip -n "$far" addr add 198.51.100.2/24 dev v1
ip -n "$far" addr add 2001:db8::2/64 dev v1 nodad
# Both ends must be up (carrier) before the first IPv6 neighbour
# solicitation, or it is lost and the first pings with it.
for ((i = 0; i < 40; i++)); do
	[ "$(ip netns exec "$ns" cat /sys/class/net/v0/operstate)" = up ] &&
		[ "$(ip netns exec "$far" cat /sys/class/net/v1/operstate)" = up ] && break
	sleep 0.05
done

write_conf "$CONF" <<C
check "ping"  { icmp { } }
check "all3"  { icmp { count = 3 min_replies = 3 } }
check "one"   { icmp { count = 1 } }
C
DFO_ARGS="-l debug"
TIMEOUT=1
GAP=198.51.100.3 GAP6=2001:db8::3 # nobody has these

# Raw sockets: a new namespace starts with ping_group_range "1 0".
assert_eq "$(ip netns exec "$ns" sysctl -n net.ipv4.ping_group_range | tr -s '\t ' ' ')" "1 0" "default ping_group_range"
RUN_IN="ip netns exec $ns"
for a in 198.51.100.2 2001:db8::2; do
	healthy ping $a
	assert_contains "$out" "icmp: using a raw socket" "raw path"
	healthy all3 $a
	healthy one $a
done
for a in $GAP $GAP6; do
	unhealthy ping $a -- "0 of 3 echo replies from $a in 0.9 s, need 1"
	((ms >= 800 && ms < 2000)) || fail "unreachable took $ms ms"
done
healthy one 198.51.100.1 # our own address
healthy one ::1

# Ping sockets: the namespace lets group 0 use them, and without
# CAP_NET_RAW a raw socket is impossible, so only that path can pass.
ip netns exec "$ns" sysctl -q -w net.ipv4.ping_group_range="0 0" || fail "sysctl"
RUN_IN="ip netns exec $ns setpriv --bounding-set -net_raw --"
for a in 198.51.100.2 2001:db8::2; do
	healthy ping $a
	assert_contains "$out" "icmp: using a ping socket" "ping socket path"
	healthy all3 $a
done
for a in $GAP $GAP6; do
	unhealthy ping $a -- "0 of 3 echo replies from $a in 0.9 s, need 1"
done

# Neither: the group is outside the range and CAP_NET_RAW is gone.
ip netns exec "$ns" sysctl -q -w net.ipv4.ping_group_range="1 0" || fail "sysctl"
for a in 198.51.100.2 2001:db8::2; do
	unhealthy ping $a -- "cannot open an ICMP socket: ping socket: Permission denied (group 0, sysctl net.ipv4.ping_group_range = \"1 0\"); raw socket: Operation not permitted (needs CAP_NET_RAW)"
done

# Config errors.
bad() {
	rejected "$1" "$2" <<<"check \"b\" { icmp { $1 } }"
}
bad "count = 0" "count 0 is not 1..100"
bad "count = 2 min_replies = 3" "min_replies 3 is not 1..count (2)"
pass "check icmp"
