#!/bin/bash
# awsdns answers with dig: the fake AWS's instances and a real upstream
# (unbound) on loopback.  Upstream first; its NXDOMAIN and NODATA fall
# through to AWS; names under `domain` never go upstream; forward names
# bare and under domain, case-insensitive, every instance of a name;
# AAAA; PTR in-addr.arpa and ip6.arpa; TXT extras (RFC 1464); SOA only
# in negative answers; TCP; EDNS0 and truncation; `allow`.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_vpc_upstream "extra = {\"tag:Class\", \"id\", \"tag:k=\`y\"} ttl = 45
	allow = {\"127.0.0.1/32\", \"::1/128\"}"
log=$(cat "$T/a.log")
assert_contains "$log" "awsdns vpc: 67 instances indexed (1 without a name skipped)" "start-up log: index size"
assert_contains "$log" "KiB, in " "start-up log: load time"

# forward, under domain and bare, any case; AA; TTL
out=$(qfull web-1.ec2.test. A)
assert_eq "$(status_of "$out")" NOERROR "web-1.ec2.test status"
assert_contains "$(flags_of "$out")" "aa" "AA on an answer from AWS"
assert_contains "$out" "web-1.ec2.test.		45	IN	A	10.0.1.1" "A under domain, ttl"
assert_not_contains "$out" "SOA" "no SOA in a positive answer"
assert_eq "$(q web-1. A)" "10.0.1.1" "bare name (upstream NXDOMAIN falls through)"
assert_eq "$(q WEB-2.EC2.TEST A)" "10.0.1.2" "case-insensitive, tag with capitals"
assert_eq "$(q web-2.ec2.test A)" "10.0.1.2" "lower case"
assert_eq "$(q multi.ec2.test A)" "10.0.1.4 10.0.1.5" "every instance of a name"
assert_eq "$(q big.ec2.test A +tcp | wc -w)" 60 "60 instances of a name"
assert_eq "$(q web-1.ec2.test AAAA)" "2001:db8::1" "AAAA from the instance's IPv6"
assert_eq "$(q multi AAAA)" "2001:db8::5" "AAAA of the instance that has one"
# over IPv6 too
assert_eq "$(dig +short +time=2 +tries=1 -p "$DNS_PORT" @::1 web-1.ec2.test A)" "10.0.1.1" "over IPv6"

# stopped instances (default filter: running) and nameless ones are not served
out=$(qfull db-1.ec2.test A)
assert_eq "$(status_of "$out")" NXDOMAIN "stopped instance"
assert_contains "$out" "ec2.test.		45	IN	SOA	ec2.test. hostmaster.ec2.test." "SOA in NXDOMAIN"
assert_contains "$(flags_of "$out")" "aa" "AA on our NXDOMAIN"
assert_eq "$(q -x 10.0.1.99)" "" "no PTR for an instance without a name"

# NODATA: the name exists, not the type
out=$(qfull web-2.ec2.test AAAA)
assert_eq "$(status_of "$out")" NOERROR "NODATA status"
assert_contains "$out" "ANSWER: 0," "NODATA: no answer"
assert_contains "$out" "IN	SOA	ec2.test." "NODATA: SOA in authority"

# upstream first: its answer wins; its names are relayed
assert_eq "$(q shadow A)" "192.0.2.9" "upstream's answer wins over AWS"
assert_eq "$(q up-only A)" "192.0.2.1" "upstream name relayed"
assert_eq "$(q www.up.test A)" "192.0.2.80" "upstream name relayed (2)"
# NODATA from upstream falls through to AWS
assert_eq "$(q nodata A)" "10.0.1.7" "upstream NODATA falls through"
assert_eq "$(q nodata TXT)" '"only text"' "upstream's TXT still relayed"
# NXDOMAIN from upstream, AWS knows nothing: upstream's answer
out=$(qfull nope.example. A)
assert_eq "$(status_of "$out")" NXDOMAIN "unknown name"
assert_contains "$out" "SOA	up. hostmaster.up." "upstream's SOA relayed"
# names under domain never go upstream, even when upstream knows them
out=$(qfull upstream.ec2.test A)
assert_eq "$(status_of "$out")" NXDOMAIN "under domain: upstream not asked"
out=$(qfull ec2.test SOA)
assert_contains "$out" "ANSWER: 1," "SOA of the domain itself"

# reverse, IPv4 and IPv6; extras with the PTR
out=$(qfull -x 10.0.1.1)
assert_contains "$out" "PTR	web-1.ec2.test." "PTR v4 names the instance under domain"
assert_contains "$(flags_of "$out")" "aa" "AA on PTR"
assert_contains "$out" '"id=i-001"' "extras with the PTR"
assert_eq "$(q -x 2001:db8::5)" "multi.ec2.test." "PTR v6"
assert_eq "$(q -x 10.0.2.7)" "big.ec2.test." "PTR of one of many"

# TXT extras in the additional section, RFC 1464 escaping
out=$(qfull web-1.ec2.test A)
assert_contains "$out" 'web-1.ec2.test.		45	IN	TXT	"tag:Class=web"' "extra tag"
assert_contains "$out" '"id=i-001"' "extra id"
out=$(qfull odd.ec2.test A)
assert_contains "$out" '"tag:Class=a=b`c"' "value kept as is"
assert_contains "$out" '"tag:k`=``y=v"' "attribute name escaped (RFC 1464)"
assert_eq "$(q odd.ec2.test TXT | wc -w)" 3 "TXT query: the extras as answers"

# TCP
assert_eq "$(q web-1.ec2.test A +tcp)" "10.0.1.1" "TCP"
assert_eq "$(q shadow A +tcp)" "192.0.2.9" "TCP through upstream"

# EDNS0: 60 addresses fit 1232 bytes, not 512: TC without EDNS, whole
# over TCP
out=$(qfull big.ec2.test A +noedns +ignore)
assert_contains "$(flags_of "$out")" "tc" "TC without EDNS"
assert_contains "$out" "ANSWER: 0," "TC: no partial answer"
out=$(qfull big.ec2.test A +bufsize=1232 +ignore)
assert_not_contains "$(flags_of "$out")" "tc" "fits in 1232"
assert_contains "$out" "ANSWER: 60," "all 60 in 1232"
assert_contains "$out" "udp: 1232" "OPT in the answer"
out=$(qfull big.ec2.test A +bufsize=600 +ignore)
assert_contains "$(flags_of "$out")" "tc" "client's 600 bytes honoured"
out=$(qfull big.ec2.test A +noedns)
assert_contains "$out" "ANSWER: 60," "dig retries over TCP and gets all"

# allow: 127.0.0.2 is not allowed
out=$(dig +time=2 +tries=1 -b 127.0.0.2 -p "$DNS_PORT" @127.0.0.1 web-1.ec2.test A)
assert_eq "$(status_of "$out")" REFUSED "client outside allow"
out=$(dig +time=2 +tries=1 -b 127.0.0.2 -p "$DNS_PORT" @127.0.0.1 www.up.test A)
assert_eq "$(status_of "$out")" REFUSED "no open resolver"
out=$(dig +tcp +time=2 +tries=1 -b 127.0.0.2 -p "$DNS_PORT" @127.0.0.1 web-1.ec2.test A)
assert_eq "$(status_of "$out")" REFUSED "outside allow over TCP"

kill -0 $AWSDNS_PID || fail "dnsfailover died"
pass "awsdns answers: forward, reverse, extras, upstream first, fall-through, TCP, EDNS, allow"
