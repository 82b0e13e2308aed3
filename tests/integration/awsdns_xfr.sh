#!/bin/bash
# awsdns as the hidden primary of its zones (issue 23): BIND (named) and
# Knot (knotd) on loopback are its secondaries for ec2.test and two
# reverse zones, with a TSIG key, notified by awsdns.
#
# - after the first transfer, every name (A, AAAA, TXT) and every PTR of
#   the test index has the same answer section at each secondary as at
#   awsdns; named-compilezone accepts every zone awsdns hands out;
# - an instance added, one renamed and one terminated at the fake AWS
#   reach both secondaries within refresh + 2 s of awsdns serving them
#   (NOTIFY, then IXFR: awsdns's log says each secondary took an
#   incremental transfer), and the IXFR holds only the change (its
#   records counted, its size against the AXFR's);
# - a transfer without the key is REFUSED, with another key NOTAUTH, from
#   an address outside transfer_allow REFUSED;
# - a restart of awsdns gives a greater serial.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"
. "$TOP_SRCDIR/tests/lib/dnsserver.sh"
need_cmd named knotd named-compilezone

dns_key
KEYFILE="$T/xfr.key"
printf 'key "%s" {\n\talgorithm %s;\n\tsecret "%s";\n};\n' \
	"$DNS_KEY_NAME" "$DNS_KEY_ALG" "$DNS_KEY_SECRET" >"$KEYFILE"
KEY="$DNS_KEY_ALG:$DNS_KEY_NAME:$DNS_KEY_SECRET"
ZONES="ec2.test 10.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa"
B_PORT=$(dns_free_port)
K_PORT=$(dns_free_port)

write_awsdns_state "$T/state.json"
# 3,000 more (bulk-N, 10.1.x.y): zones of more than one message (ec2.test
# about 80 KB, 10.in-addr.arpa about 120 KB), each message signed
/usr/bin/python3 - "$T/state.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for k in range(3000):
    s["instances"].append({"id": "i-b%04d" % k, "private_ip": "10.1.%d.%d" % (k // 250, k % 250 + 1),
                           "tags": {"Name": "bulk-%d" % k}})
s["page_size"] = 1000
json.dump(s, open(sys.argv[1], "w"))
PY
start_fake_aws "$T/state.json"
XFR_OPTS="domain = \"ec2.test\" refresh = 1 extra = {\"tag:Class\"}
	reverse_zones = {\"10.in-addr.arpa\", \"8.b.d.0.1.0.0.2.ip6.arpa\"}
	ns = {\"ns1.example.net\", \"ns2.example.net\"}
	transfer_allow = {\"127.0.0.1\"}
	transfer_key = \"$KEYFILE\"
	notify = {\"127.0.0.1:$B_PORT\", \"127.0.0.1:$K_PORT\"}"
start_awsdns a "$XFR_OPTS"
A_PORT=$DNS_PORT

# ---- the secondaries (the configs of the README's section) ----
mkdir -p "$T/bind" "$T/knot"
{
	cat <<C
options {
	directory "$T/bind";
	pid-file "$T/bind/named.pid";
	listen-on port $B_PORT { 127.0.0.1; };
	listen-on-v6 { none; };
	recursion no;
	dnssec-validation no;
	session-keyfile none;
	managed-keys-directory "$T/bind";
	notify no;
};
controls { };
include "$KEYFILE";
primaries awsdns { 127.0.0.1 port $A_PORT key $DNS_KEY_NAME; };
C
	for z in $ZONES; do
		cat <<C
zone "$z" {
	type secondary;
	primaries { awsdns; };
	file "$z.db";
	allow-notify { 127.0.0.1; };
};
C
	done
} >"$T/bind/named.conf"
named -g -c "$T/bind/named.conf" -n 1 >"$T/bind/named.log" 2>&1 &
track $!
{
	knot_head "$T/knot" "$K_PORT"
	cat <<C
remote:
  - id: awsdns
    address: 127.0.0.1@$A_PORT
    key: $DNS_KEY_NAME
acl:
  - id: awsdns-notify
    address: 127.0.0.1
    key: $DNS_KEY_NAME
    action: notify
zone:
C
	for z in $ZONES; do
		cat <<C
  - domain: $z
    storage: "$T/knot"
    file: "$z.zone"
    master: awsdns
    acl: awsdns-notify
C
	done
} >"$T/knot/knot.conf"
knotd -c "$T/knot/knot.conf" >"$T/knot/knot.log" 2>&1 &
track $!

at() { # PORT ARGS...: dig without recursion
	local p=$1
	shift
	dig +norec +time=1 +tries=1 -p "$p" @127.0.0.1 "$@"
}
serial_at() { # PORT ZONE
	at "$1" +short "$2" SOA 2>/dev/null | awk '{ print $3 }'
}
# the answer section, TTLs and case aside, sorted
answer_at() { # PORT NAME TYPE
	at "$1" +noall +answer "$2" "$3" | awk '{ $1 = tolower($1); $2 = ""; print }' | sort
}
same_serials() {
	local z s
	for z in $ZONES; do
		s=$(serial_at $A_PORT $z)
		[ -n "$s" ] && [ "$(serial_at $B_PORT $z)" = "$s" ] &&
			[ "$(serial_at $K_PORT $z)" = "$s" ] || return 1
	done
}
wait_wall 30 same_serials ||
	fail "the secondaries did not load the zones: $(for z in $ZONES; do echo "$z: $(serial_at $A_PORT $z) $(serial_at $B_PORT $z) $(serial_at $K_PORT $z)"; done) $(tail -5 "$T/bind/named.log") $(cat "$T/knot/knot.log") $(grep -i 'xfr\|notify' "$T/a.log" | tail -5)"

compare_all() { # what
	local n t a b k
	for n in web-1 web-2 multi shadow nodata odd big db-1 nothere bulk-0 bulk-1234 bulk-2999; do
		for t in A AAAA TXT; do
			a=$(answer_at $A_PORT "$n.ec2.test" $t)
			b=$(answer_at $B_PORT "$n.ec2.test" $t)
			k=$(answer_at $K_PORT "$n.ec2.test" $t)
			[ "$b" = "$a" ] || fail "$1: BIND's $n $t: '$b', awsdns: '$a'"
			[ "$k" = "$a" ] || fail "$1: Knot's $n $t: '$k', awsdns: '$a'"
		done
	done
	for ip in 10.0.1.1 10.0.1.2 10.0.1.4 10.0.1.5 10.0.1.6 10.0.1.8 \
		10.0.1.99 2001:db8::1 2001:db8::5 $(seq -f 10.0.2.%g 1 60) \
		10.1.0.1 10.1.4.235 10.1.11.250 ${PTR_MORE:-}; do
		a=$(answer_at $A_PORT -x $ip)
		b=$(answer_at $B_PORT -x $ip)
		k=$(answer_at $K_PORT -x $ip)
		[ "$b" = "$a" ] || fail "$1: BIND's PTR $ip: '$b', awsdns: '$a'"
		[ "$k" = "$a" ] || fail "$1: Knot's PTR $ip: '$k', awsdns: '$a'"
	done
}
compare_all "first transfer"
# the reverse zones' apexes, empty non-terminals (prefixes of an address
# served: NODATA, RFC 8020), names no address starts with, addresses not
# served and labels no address spells: Knot's status and answers
head_at() { # PORT NAME TYPE: status and answer count
	at "$1" "$2" "$3" | sed -n 's/.*status: \([A-Z]*\),.*/\1/p; s/.*ANSWER: \([0-9]*\),.*/\1/p' | tr '\n' ' '
}
for nt in "10.in-addr.arpa SOA" "10.in-addr.arpa NS" "10.in-addr.arpa PTR" \
	"0.10.in-addr.arpa PTR" "1.0.10.in-addr.arpa PTR" "99.10.in-addr.arpa PTR" \
	"200.1.0.10.in-addr.arpa PTR" "x.1.0.10.in-addr.arpa PTR" \
	"1.2.3.1.0.10.in-addr.arpa PTR" \
	"8.b.d.0.1.0.0.2.ip6.arpa SOA" "0.8.b.d.0.1.0.0.2.ip6.arpa PTR" \
	"f.8.b.d.0.1.0.0.2.ip6.arpa PTR" "00.8.b.d.0.1.0.0.2.ip6.arpa PTR"; do
	read -r n t <<<"$nt"
	a=$(head_at $A_PORT "$n" "$t")
	k=$(head_at $K_PORT "$n" "$t")
	[ -n "$a" ] && [ "$k" = "$a" ] || fail "Knot's $n $t: '$k', awsdns: '$a'"
	[ "$(answer_at $K_PORT "$n" "$t")" = "$(answer_at $A_PORT "$n" "$t")" ] ||
		fail "Knot's $n $t answer: '$(answer_at $K_PORT "$n" "$t")', awsdns: '$(answer_at $A_PORT "$n" "$t")'"
	case "$n $t $a" in
	"0.10.in-addr.arpa PTR NOERROR 0 "*) nodata=1 ;;
	"99.10.in-addr.arpa PTR NXDOMAIN 0 "*) nx=1 ;;
	esac
done
[ "${nodata:-}${nx:-}" = 11 ] || fail "the prefixes: 0.10.in-addr.arpa NODATA and 99.10 NXDOMAIN expected"
assert_eq "$(answer_at $B_PORT web-1.ec2.test AAAA)" "web-1.ec2.test.  IN AAAA 2001:db8::1" "the comparison compares"
assert_eq "$(answer_at $K_PORT -x 10.0.2.7)" "7.2.0.10.in-addr.arpa.  IN PTR big.ec2.test." "a PTR at Knot"
pass "BIND and Knot answer every name and PTR as awsdns does"

# ---- every zone handed out is one named-compilezone accepts ----
for z in $ZONES; do
	at $A_PORT -y "$KEY" +noall +answer "$z" AXFR | grep -v 'IN[[:space:]]*TSIG' >"$T/$z.axfr"
	named-compilezone -i full -k fail -n fail -o /dev/null "$z" "$T/$z.axfr" \
		>"$T/$z.check" 2>&1 || fail "named-compilezone refuses $z: $(cat "$T/$z.check")"
done
assert_contains "$(cat "$T/ec2.test.check")" "loaded serial" "named-compilezone ran"
# more than one message, every one signed: BIND and Knot took them
# (checked above), and so does dig (it verifies each)
for z in ec2.test 10.in-addr.arpa; do
	out=$(at $A_PORT -y "$KEY" "$z" AXFR)
	msgs=$(sed -n 's/.*XFR size: [0-9]* records (messages \([0-9]*\),.*/\1/p' <<<"$out")
	[ "${msgs:-0}" -ge 2 ] || fail "$z: $msgs message(s)"
	assert_not_contains "$out" "Couldn't verify" "$z: dig's TSIG check"
	assert_not_contains "$out" "expected a TSIG" "$z: dig's TSIG check"
	assert_not_contains "$out" "failed" "$z: dig's transfer"
done
pass "named-compilezone accepts every zone"

# ---- access ----
out=$(at $A_PORT ec2.test AXFR 2>&1)
assert_contains "$out" "Transfer failed" "AXFR without the key"
grep -q "AXFR of ec2.test from 127.0.0.1 refused (not signed with transfer_key)" "$T/a.log" ||
	fail "unsigned AXFR not logged as refused"
out=$(at $A_PORT -y "hmac-sha256:$DNS_KEY_NAME:$(head -c 32 /dev/urandom | base64)" ec2.test AXFR 2>&1)
assert_not_contains "$out" "IN	A	10.0.1.1" "AXFR with another secret"
grep -q "refused (its TSIG does not verify)" "$T/a.log" || fail "badly signed AXFR not logged"
out=$(at $A_PORT -y "$KEY" -b ::1 ec2.test AXFR 2>&1 || true)
out6=$(dig +norec +time=2 +tries=1 -p $A_PORT @::1 -y "$KEY" ec2.test AXFR 2>&1)
assert_contains "$out6" "Transfer failed" "AXFR from ::1 (not in transfer_allow)"
assert_contains "$(grep 'from ::1 refused' "$T/a.log")" "not in transfer_allow" "::1 refused, logged"
pass "a transfer without the key, with another one or from elsewhere is refused"

# ---- a change: added, renamed, terminated ----
axfr_before=$(at $A_PORT -y "$KEY" ec2.test AXFR)
nrec() { awk '!/^;/ && $3 == "IN"' | wc -l; } # records of dig's output, TSIG aside
axfr_records=$(nrec <<<"$axfr_before")
axfr_bytes=$(sed -n 's/.*XFR size: [0-9]* records (messages [0-9]*, bytes \([0-9]*\)).*/\1/p' <<<"$axfr_before")
s0=$(serial_at $A_PORT ec2.test)
r0=$(serial_at $A_PORT 10.in-addr.arpa)
/usr/bin/python3 - "$T/state.json" "$T/state2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
inst = [i for i in s["instances"] if i["id"] != "i-006"]          # shadow: terminated
for i in inst:
    if i["id"] == "i-002":
        i["tags"]["Name"] = "web-2b"                               # renamed
inst.append({"id": "i-new", "private_ip": "10.0.3.1", "tags": {"Name": "new-1", "Class": "new"}})
s["instances"] = inst
json.dump(s, open(sys.argv[2], "w"))
PY
curl -sf -X POST --data @"$T/state2.json" "$FAKE/_fake/state" >/dev/null ||
	fail "the fake AWS did not take the change"
served() { [ "$(answer_at $A_PORT new-1.ec2.test A)" = "new-1.ec2.test.  IN A 10.0.3.1" ]; }
wait_wall 20 served || fail "awsdns did not load the change"
t0=$(now_ms)
at_both() {
	local p
	for p in $B_PORT $K_PORT; do
		[ "$(answer_at $p new-1.ec2.test A)" = "new-1.ec2.test.  IN A 10.0.3.1" ] &&
			[ -z "$(answer_at $p shadow.ec2.test A)" ] &&
			[ "$(answer_at $p -x 10.0.1.2)" = "2.1.0.10.in-addr.arpa.  IN PTR web-2b.ec2.test." ] ||
			return 1
	done
}
# Both serve it (bounded generously: 10 s), and awsdns's log says how
# long it took: each secondary's incremental transfer of each changed
# zone within refresh + 2 s = 3 s of the refresh that changed it.
wait_wall 10 at_both || fail "the change did not reach both secondaries in 10 s: BIND $(serial_at $B_PORT ec2.test) Knot $(serial_at $K_PORT ec2.test) awsdns $(serial_at $A_PORT ec2.test): $(tail -8 "$T/knot/knot.log") $(grep 'XFR of\|NOTIFY' "$T/a.log" | tail -8)"
echo "# the change reached both secondaries $(($(now_ms) - t0)) ms after awsdns served it (as dig saw it)"
log_ms() { # a line of awsdns's log: its time in ms
	local d
	d=$(cut -c1-23 <<<"$1")
	echo $(($(date -d "$d" +%s%N) / 1000000))
}
for z in ec2.test 10.in-addr.arpa; do
	changed=$(grep -m1 "zone $z [0-9]* -> [0-9]*:" "$T/a.log") || fail "$z: no change logged"
	new=$(sed -n 's/.* -> \([0-9]*\):.*/\1/p' <<<"$changed")
	n=0
	while read -r line; do
		d=$(($(log_ms "$line") - $(log_ms "$changed")))
		[ "$d" -le 3000 ] || fail "$z: an IXFR $d ms after the change: $line"
		echo "# $z: an incremental transfer $d ms after the refresh that changed it"
		n=$((n + 1))
	done < <(grep "IXFR of $z serial $new to 127.0.0.1 (TSIG): incremental" "$T/a.log" | head -2)
	[ "$n" = 2 ] || fail "$z: $n incremental transfers, not one per secondary: $(grep "XFR of $z" "$T/a.log")"
done
s1=$(serial_at $A_PORT ec2.test)
[ "$s1" -gt "$s0" ] || fail "serial $s0 -> $s1"
PTR_MORE="10.0.3.1" compare_all "after the change"
# the IXFR from the serial before: the change only
ixfr=$(at $A_PORT -y "$KEY" ec2.test IXFR=$s0)
ixfr_records=$(nrec <<<"$ixfr")
ixfr_bytes=$(sed -n 's/.*XFR size: [0-9]* records (messages [0-9]*, bytes \([0-9]*\)).*/\1/p' <<<"$ixfr")
# SOA new, SOA old, removed: web-2 A + TXT, shadow A; SOA new, added:
# web-2b A + TXT, new-1 A + TXT; SOA new
assert_eq "$ixfr_records" 11 "IXFR records (AXFR: $axfr_records)"
[ "$ixfr_bytes" -lt $((axfr_bytes / 20)) ] || fail "IXFR $ixfr_bytes bytes, AXFR $axfr_bytes"
echo "# AXFR: $axfr_records records, $axfr_bytes bytes; IXFR of the change: $ixfr_records records, $ixfr_bytes bytes"
ixfr=$(at $A_PORT -y "$KEY" 10.in-addr.arpa IXFR=$r0)
assert_eq "$(awk '!/^;/ && $4 == "PTR"' <<<"$ixfr" | wc -l)" 4 "reverse IXFR: 2.1.0.10 -/+, 6.1.0.10 -, 1.3.0.10 +"
# a serial older than the history: the whole zone
ixfr=$(at $A_PORT -y "$KEY" ec2.test IXFR=1)
assert_eq "$(nrec <<<"$ixfr")" "$(at $A_PORT -y "$KEY" ec2.test AXFR | nrec)" "IXFR without history: the zone"
pass "added, renamed and terminated reach both secondaries by NOTIFY and IXFR; the IXFR is the change"

# ---- NOTIFY was signed and acknowledged by both ----
for p in $B_PORT $K_PORT; do
	grep -q "NOTIFY of ec2.test serial $s1 to 127.0.0.1:$p: acknowledged" "$T/a.log" ||
		fail "NOTIFY to $p not acknowledged: $(grep NOTIFY "$T/a.log" | tail -3)"
done
pass "NOTIFY acknowledged by both secondaries"

# ---- a restart: the serial grows ----
kill $AWSDNS_PID
wait $AWSDNS_PID 2>/dev/null
sleep 1
start_awsdns b "$XFR_OPTS"
s2=$(serial_at $DNS_PORT ec2.test)
[ "$s2" -gt "$s1" ] || fail "serial after a restart: $s1 -> $s2"
pass "a restart keeps the serial growing ($s0 -> $s1 -> $s2)"
