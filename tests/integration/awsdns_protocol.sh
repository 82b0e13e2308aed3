#!/bin/bash
# awsdns against the RFCs, with Knot (knotd) answering the same names from
# a zone as the reference where it applies: the opcode copied into error
# answers (RFC 1035 4.1.1); an empty non-terminal is NODATA (RFC 8020); no
# duplicate records (RFC 2181 5); AA only on what is ours, RA when
# recursion is offered; the DO bit echoed (RFC 3225 3); answers no longer
# than the 1232 bytes awsdns advertises; the TXT set of the additional
# section whole or not at all; class CH and HS refused, never forwarded.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"
. "$TOP_SRCDIR/tests/lib/dnsserver.sh"
need_cmd knotd

# Knot: the zone ec2.test with the same names as the instances below.
dns_key
mkdir -p "$T/knot"
cat >"$T/knot/ec2.test.zone" <<'Z'
$TTL 45
@	IN SOA	ec2.test. hostmaster.ec2.test. 1 3600 600 86400 45
	IN NS	ns.ec2.test.
ns	IN A	192.0.2.53
a.b	IN A	10.0.3.1
trio	IN A	10.0.3.2
Z
start_knot "$T/knot" ec2.test || fail "knotd did not start"
KNOT_PORT=$DNS_PORT
unset DNS_PORT
kq() { dig +time=2 +tries=1 -p "$KNOT_PORT" @127.0.0.1 "$@"; }

/usr/bin/python3 - "$T/state.json" <<'PY'
import json, sys
inst = [
 {"id": "i-001", "private_ip": "10.0.3.1", "tags": {"Name": "a.b", "Class": "x"}},
 # three instances, one address and one Class: one A, one TXT
 {"id": "i-002", "private_ip": "10.0.3.2", "tags": {"Name": "trio", "Class": "same"}},
 {"id": "i-003", "private_ip": "10.0.3.2", "tags": {"Name": "trio", "Class": "same"}},
 {"id": "i-004", "private_ip": "10.0.3.2", "tags": {"Name": "trio", "Class": "same"}},
]
# fat: 3 instances whose TXT set (3 x ~200 bytes) does not fit 512 bytes
# beside the answer
for k in range(3):
    inst.append({"id": "i-01%d" % k, "private_ip": "10.0.4.%d" % (k + 1),
                 "tags": {"Name": "fat", "Class": ("%d" % k) * 190}})
# no usable name: empty, a label over 63 bytes (issue 21 #17)
inst.append({"id": "i-0empty", "private_ip": "10.0.6.1", "tags": {"Name": ""}})
inst.append({"id": "i-0long", "private_ip": "10.0.6.2",
             "tags": {"Name": "x" * 70 + ".ok"}})
# huge: 100 addresses, 1,600 bytes of answer
for k in range(100):
    inst.append({"id": "i-1%02d" % k, "private_ip": "10.0.5.%d" % (k + 1),
                 "tags": {"Name": "huge"}})
json.dump({"keys": {"AKIDTEST": "secrettest"}, "instances": inst},
          open(sys.argv[1], "w"))
PY
start_fake_aws "$T/state.json"
start_upstream
start_awsdns a "upstream = {\"127.0.0.1:$UP_PORT\"} domain = \"ec2.test\"
	extra = {\"tag:Class\"} ttl = 45 refresh = 1"

# 9. The opcode of a query awsdns does not implement is copied into the
# NOTIMP answer (Knot: the same for STATUS).
out=$(qfull +opcode=notify ec2.test SOA)
assert_contains "$out" "opcode: NOTIFY, status: NOTIMP" "NOTIFY: NOTIMP, opcode kept"
for op in status 15; do
	mine=$(qfull +opcode=$op ec2.test SOA | grep -o 'opcode: [A-Z0-9]*, status: [A-Z]*')
	ref=$(kq +opcode=$op ec2.test SOA | grep -o 'opcode: [A-Z0-9]*, status: [A-Z]*')
	assert_eq "$mine" "$ref" "opcode $op as Knot"
done
# over TCP too
out=$(qfull +tcp +opcode=notify ec2.test SOA)
assert_contains "$out" "opcode: NOTIFY, status: NOTIMP" "NOTIFY over TCP"

# 10. b.ec2.test has a name below it (a.b): NODATA, the SOA, as Knot.
for t in A TXT; do
	out=$(qfull b.ec2.test $t)
	ref=$(kq +norec b.ec2.test $t)
	assert_eq "$(status_of "$out")" "$(status_of "$ref")" "empty non-terminal $t: Knot's status"
	assert_eq "$(status_of "$out")" NOERROR "empty non-terminal $t: NODATA"
	assert_contains "$out" "ANSWER: 0," "empty non-terminal: no answer"
	assert_contains "$out" "IN	SOA	ec2.test." "empty non-terminal: SOA"
done
assert_eq "$(status_of "$(qfull c.b.ec2.test A)")" NXDOMAIN "below the ENT, unknown: NXDOMAIN"
assert_eq "$(status_of "$(qfull nob.ec2.test A)")" NXDOMAIN "unknown: NXDOMAIN"
assert_eq "$(q a.b.ec2.test A)" "10.0.3.1" "the name itself"

# 11. No record twice: one address, one TXT (answers and additional),
# as Knot gives the one A of its zone.
out=$(qfull trio.ec2.test A)
assert_contains "$out" "ANSWER: 1," "three instances, one address: one A"
assert_eq "$(grep -c 'tag:Class=same' <<<"$out")" 1 "one TXT in the additional section"
assert_eq "$(kq +norec +short trio.ec2.test A)" "$(q trio.ec2.test A)" "A set as Knot"
out=$(qfull trio.ec2.test TXT)
assert_contains "$out" "ANSWER: 1," "one TXT answer"
out=$(qfull -x 10.0.3.2)
assert_eq "$(grep -c 'tag:Class=same' <<<"$out")" 1 "one TXT with the PTR"

# 12. AA only on awsdns's own answers; RA since recursion is offered.
out=$(qfull www.up.test A)
assert_eq "$(q www.up.test A)" "192.0.2.80" "relayed"
assert_not_contains "$(flags_of "$out")" "aa" "no AA on a relayed answer"
assert_contains "$(flags_of "$out")" "ra" "RA on a relayed answer"
out=$(qfull www.up.test A)
assert_not_contains "$(flags_of "$out")" "aa" "no AA on a cached answer"
assert_contains "$(flags_of "$out")" "ra" "RA on a cached answer"
out=$(qfull nope.example A)
assert_eq "$(status_of "$out")" NXDOMAIN "upstream's NXDOMAIN"
assert_not_contains "$(flags_of "$out")" "aa" "no AA on upstream's NXDOMAIN"
out=$(qfull trio.ec2.test A)
assert_contains "$(flags_of "$out")" "aa" "AA on our own"
assert_contains "$(flags_of "$out")" "ra" "RA on our own"

# 13. DO echoed, as Knot does; on relayed answers too.
out=$(qfull +dnssec trio.ec2.test A)
assert_contains "$out" "EDNS: version: 0, flags: do; udp: 1232" "DO echoed"
assert_contains "$(kq +dnssec trio.ec2.test A)" "flags: do;" "Knot echoes DO"
assert_contains "$(qfull +dnssec www.up.test A)" "flags: do; udp: 1232" "DO echoed on relayed"
assert_not_contains "$(qfull trio.ec2.test A)" "flags: do;" "no DO when not asked"
# ... capped at the 1232 bytes advertised: 100 addresses do not fit
out=$(qfull +bufsize=4096 +ignore huge.ec2.test A)
size=$(sed -n 's/.*MSG SIZE  rcvd: \([0-9]*\).*/\1/p' <<<"$out")
[ "$size" -le 1232 ] || fail "answer of $size bytes to bufsize=4096 (advertised 1232)"
assert_contains "$(flags_of "$out")" "tc" "too big for 1232: TC"
assert_contains "$(qfull +bufsize=4096 huge.ec2.test A)" "ANSWER: 100," "whole over TCP"
# ... the TXT set of the additional section whole or not at all
out=$(qfull +noedns +ignore fat.ec2.test A)
assert_contains "$out" "ANSWER: 3," "fat: the answer fits 512"
n=$(grep -c 'TXT	"tag:Class=' <<<"$out")
[ "$n" = 0 ] || [ "$n" = 3 ] || fail "a partial TXT set of $n records in 512 bytes"
n=$(grep -c 'TXT	"tag:Class=' <<<"$(qfull +bufsize=1232 fat.ec2.test A)")
assert_eq "$n" 3 "the whole set in 1232 bytes"
# ... class CH and HS: refused under domain (as Knot), never forwarded
for c in CH HS; do
	out=$(qfull -c $c trio.ec2.test A)
	assert_eq "$(status_of "$out")" REFUSED "class $c under domain"
	assert_eq "$(status_of "$(kq -c $c trio.ec2.test A)")" REFUSED "Knot: class $c"
done
out=$(qfull -c CH -t TXT -q version.bind)
assert_eq "$(status_of "$out")" REFUSED "version.bind CH"
assert_not_contains "$out" "unbound" "upstream's version not leaked"
assert_contains "$(dig +time=2 +tries=1 -p "$UP_PORT" @127.0.0.1 -c CH -t TXT -q version.bind)" \
	"unbound" "(the upstream would have told it)"

# 17. Instances without a usable name: logged once per load, with
# examples (a warning when their count changes, else info).
wait_for 30 sh -c "grep -c 'without a usable name' '$T/a.log' | grep -q '^[3-9]'" ||
	fail "not logged at each refresh: $(grep -i skipped "$T/a.log")"
line=$(grep -m1 'without a usable name' "$T/a.log")
assert_contains "$line" "warning: awsdns vpc: 2 instances without a usable name" "count, a warning the first time"
assert_contains "$line" "i-0empty (tag:Name: empty)" "example: empty"
assert_contains "$line" "i-0long (tag:Name: a label of 70 bytes)" "example: a long label"
assert_contains "$(grep 'without a usable name' "$T/a.log" | sed -n 2p)" "info: awsdns vpc: 2 instances" "then info"

kill -0 $AWSDNS_PID || fail "dnsfailover died"
pass "awsdns protocol: opcode, ENT, no duplicates, AA/RA, DO, 1232, TXT set, CH/HS"
