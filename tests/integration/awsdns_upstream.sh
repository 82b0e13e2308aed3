#!/bin/bash
# awsdns when upstream fails: names AWS knows are still answered, other
# names get SERVFAIL within upstream_timeout (never a hang); answers
# already cached (by their TTL) are still served; a silent upstream
# (packets swallowed) and a dead one (port closed: ICMP refused) alike.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_vpc_upstream "upstream_timeout = 1"
assert_eq "$(q www.up.test A)" "192.0.2.80" "upstream answers"
out=$(qfull nope.example. A)
assert_eq "$(status_of "$out")" NXDOMAIN "upstream NXDOMAIN (cached, RFC 2308)"

# upstream dead: its port closed
kill $UP_PID
wait $UP_PID 2>/dev/null
out=$(qfull web-1 A)
assert_contains "$out" "10.0.1.1" "AWS name answered, upstream dead"
ms1=$(qtime "$out")
assert_eq "$(q web-1.ec2.test A)" "10.0.1.1" "name under domain, upstream dead"
out=$(qfull other.example. A)
assert_eq "$(status_of "$out")" SERVFAIL "unknown name, upstream dead"
ms2=$(qtime "$out")
echo "dead upstream: AWS name in $ms1 ms, SERVFAIL in $ms2 ms"
[ "$ms1" -lt 500 ] && [ "$ms2" -lt 500 ] || fail "dead upstream: $ms1 / $ms2 ms"
# cached answers outlive upstream
assert_eq "$(q www.up.test A)" "192.0.2.80" "positive answer from the cache"
out=$(qfull nope.example. A)
assert_eq "$(status_of "$out")" NXDOMAIN "negative answer from the cache"
assert_contains "$out" "SOA	up. hostmaster.up." "cached negative answer keeps its SOA"

# upstream silent: a socket on its port that reads and never answers
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
    s.recv(4096)
' "$UP_PORT" &
track $!
# An upstream that refused is skipped for 1 s (SERVFAIL at once, rightly):
# let that pass, so the query below really goes to the silent socket.
sleep 1.2
out=$(dig +time=5 +tries=1 -p "$DNS_PORT" @127.0.0.1 silent.example. A)
ms=$(qtime "$out")
assert_eq "$(status_of "$out")" SERVFAIL "unknown name, upstream silent"
echo "silent upstream: SERVFAIL after $ms ms (upstream_timeout 1 s)"
[ "$ms" -ge 950 ] && [ "$ms" -lt 1400 ] || fail "SERVFAIL after $ms ms, not ~1 s"
out=$(dig +time=5 +tries=1 -p "$DNS_PORT" @127.0.0.1 multi A)
assert_contains "$out" "10.0.1.4" "AWS name answered, upstream silent"
assert_contains "$out" "10.0.1.5" "AWS name answered, upstream silent (2)"
ms=$(qtime "$out")
echo "silent upstream: AWS answer after $ms ms"
[ "$ms" -lt 1400 ] || fail "AWS answer after $ms ms"
assert_eq "$(q web-1.ec2.test A)" "10.0.1.1" "under domain: no wait at all"
kill -0 $AWSDNS_PID || fail "dnsfailover died"
pass "upstream dead or silent: AWS names answered, others SERVFAIL in ~upstream_timeout"
