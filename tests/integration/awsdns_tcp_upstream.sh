#!/bin/bash
# An upstream answer too big for UDP (RFC 7766): unbound serves big. TXT
# (twelve 200-byte strings, ~2.6 KB), which it truncates (TC) over UDP at
# awsdns's 1232 bytes.  awsdns asks again over TCP and has the answer
# whole: `dig +tcp big. TXT` gets all twelve records without TC (as
# unbound itself gives them over TCP), and a UDP client whose buffer is
# too small gets TC and no records, as RFC 1035 wants.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

UNBOUND_EXTRA=""
for i in $(seq -w 1 12); do
	UNBOUND_EXTRA+="	local-data: 'big. 300 IN TXT \"$i$(printf 'x%.0s' $(seq 1 198))\"'
"
done
start_upstream
write_awsdns_state "$T/state.json"
start_fake_aws "$T/state.json"
start_awsdns a "upstream = {\"127.0.0.1:$UP_PORT\"} domain = \"ec2.test\""

direct=$(dig +tcp +time=3 +tries=1 -p "$UP_PORT" @127.0.0.1 big. TXT)
assert_eq "$(grep -c '^big\.[[:space:]].*IN	TXT' <<<"$direct")" 12 "unbound over TCP (the reference)"
udp=$(dig +notcp +ignore +bufsize=1232 +time=3 +tries=1 -p "$UP_PORT" @127.0.0.1 big. TXT)
assert_contains "$(flags_of "$udp")" "tc" "unbound truncates over UDP at 1232"

for round in first cached; do
	out=$(qfull +tcp big. TXT)
	assert_eq "$(status_of "$out")" NOERROR "$round +tcp status"
	assert_eq "$(grep -c '^big\.[[:space:]].*IN	TXT' <<<"$out")" 12 "$round: dig +tcp big. TXT: every record ($out)"
	assert_not_contains "$(flags_of "$out")" "tc" "$round: a TCP answer is whole"
	assert_eq "$(grep -c 'x\{198\}' <<<"$out")" 12 "$round: every string whole"
done
out=$(qfull +notcp +ignore +bufsize=1232 big. TXT)
assert_contains "$(flags_of "$out")" "tc" "UDP, 1232 bytes: TC"
assert_eq "$(grep -c '^big\.[[:space:]].*IN	TXT' <<<"$out")" 0 "UDP, 1232 bytes: no partial set"
out=$(qfull big. TXT)
assert_eq "$(grep -c '^big\.[[:space:]].*IN	TXT' <<<"$out")" 12 "dig's retry over TCP after TC"
pass "TC from upstream: asked again over TCP, answers whole over TCP, TC over UDP"
