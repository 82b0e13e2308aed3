#!/bin/bash
# awsdns on a wildcard address answers from the address it was asked at
# (IP_PKTINFO / IPV6_RECVPKTINFO), over UDP and TCP.  A network namespace
# "srv" has two addresses of each family on one link (10.252.0.2 and
# 10.252.0.6, fd00:252::2 and fd00:252::6); awsdns listens on 0.0.0.0
# and [::]; a client in namespace "cli" asks the second address of each:
# the answer must come from it (dig drops any other, as a resolver would).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

srv=$(make_netns srv) || skip "no network namespace"
cli=$(make_netns cli) || skip "no network namespace"
ip link add v0 netns "$srv" type veth peer name v1 netns "$cli" ||
	skip "cannot create a veth pair"
ip -n "$srv" addr add 10.252.0.2/24 dev v0
ip -n "$srv" addr add 10.252.0.6/24 dev v0
ip -n "$srv" addr add fd00:252::2/64 dev v0 nodad
ip -n "$srv" addr add fd00:252::6/64 dev v0 nodad
ip -n "$cli" addr add 10.252.0.9/24 dev v1
ip -n "$cli" addr add fd00:252::9/64 dev v1 nodad
ip -n "$srv" link set v0 up
ip -n "$cli" link set v1 up
X() { ip netns exec "$srv" "$@"; }
# In the background, ip itself (it execs the command: $! is then the
# command's pid), not X: a backgrounded function is a subshell, and
# killing it left the fake and the agent running after the test.

# the fake AWS inside the server's namespace
write_awsdns_state "$T/state.json"
ip netns exec "$srv" /usr/bin/python3 "$TOP_SRCDIR/tests/fake/aws.py" --state "$T/state.json" \
	--port-file "$T/fake.port" 2>>"$T/fake-aws.log" &
track $!
wait_for 10 test -s "$T/fake.port" || fail "the fake AWS did not start"
FAKE="http://127.0.0.1:$(cat "$T/fake.port")"
aws_conf "$T/a.conf"
cat >>"$T/a.conf" <<C
responder "vpc" { awsdns {
	listen = {"0.0.0.0:53", "[::]:53"} domain = "ec2.test" threads = 2
	allow = {"10.252.0.0/24", "fd00:252::/64"}
} }
C
ip netns exec "$srv" "$DFO" -f -C "$T/a.conf" -l info 2>"$T/a.log" &
track $!
up() { X dig +time=1 +tries=1 @10.252.0.2 web-1.ec2.test. A | grep -q 10.0.1.1; }
wait_for 20 up || fail "awsdns did not start: $(cat "$T/a.log")"

C() { ip netns exec "$cli" "$@"; }
for addr in 10.252.0.6 10.252.0.2 fd00:252::6 fd00:252::2; do
	for tcp in +notcp +tcp; do
		out=$(C dig $tcp +time=2 +tries=1 @$addr web-1.ec2.test. A 2>&1)
		assert_contains "$out" "10.0.1.1" "asked $addr ($tcp)"
		assert_not_contains "$out" "unexpected source" "asked $addr ($tcp)"
	done
done
# the source of the UDP answer, as a plain socket sees it
C /usr/bin/python3 - <<'PY' || fail "answer from the wrong address"
import socket, struct
for fam, addr in ((socket.AF_INET, "10.252.0.6"), (socket.AF_INET6, "fd00:252::6")):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.settimeout(3)
    q = struct.pack(">HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + \
        b"\x05web-1\x03ec2\x04test\x00" + struct.pack(">HH", 1, 1)
    s.sendto(q, (addr, 53))
    data, src = s.recvfrom(4096)
    print("asked", addr, "answered from", src[0])
    if src[0] != addr:
        raise SystemExit(1)
PY
pass "wildcard listen: UDP and TCP answers from the address asked (IPv4 and IPv6)"
