#!/bin/bash
# dns "rfc2136" on zones that are not what the agent assumes, on BIND and
# on Knot (issue 22 #1, #2, #4, #5, #7):
#  - a name that is a CNAME: list and add (zone set or not) say so, the
#    same message, and change nothing; an agent on it backs off and never
#    logs "joined" or "removed by another agent";
#  - a name covered by a wildcard: list gives no records (the answer is
#    the wildcard's), said at warning level; an agent joins it;
#  - a name outside the configured zone: list refuses it as add does;
#  - a server whose clock is 1000 s ahead (run under faketime): BADTIME
#    names the skew;
#  - Knot, a key whose acl allows A updates only: an AAAA add says the
#    server's policy refused that type.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd named knotd dig nsupdate faketime
. "$TOP_SRCDIR/tests/lib/dnsserver.sh"

Z=odd.test
dns_key hmac-sha256
export DFO_TEST_TSIG=$DNS_KEY_SECRET

zonefile() { # FILE
	dns_zonefile "$Z" "$1"
	cat >>"$1" <<R
cname	IN CNAME target.elsewhere.example.
incname	IN CNAME ns.$Z.
*.wild	IN A	192.0.2.99
R
}

conf() { # FILE ZONE-LINE [FQDN]: a dns "t" and, with FQDN, a pool on it
	write_conf "$1" <<C
status_file = "$1.status"
dns "t" { $(rfc2136_section "$2 timeout = 2") }
ipsource "me" { static { address = "127.0.0.7" } }
check "ok" { exec { command = {"/bin/true"} } }
timer "fast" { tick { interval = 0.2 timeout = 1 retries = 1 } }
pool "p" { fqdn = {"${3:-x.$Z}"} dns = "t" ipsource = "me" check = "ok"
           timer = "fast" }
C
}
try() { # CONF ARGS...: OUT RC
	local c=$1
	shift
	OUT=$("$DFO" -C "$c" --try dns/t "$@" 2>&1)
	RC=$?
}

server_start() { # named|knotd DIR
	mkdir -p "$2"
	zonefile "$2/$Z.zone"
	DNS_PORT=
	if [ "$1" = named ]; then start_named "$2" "$Z"; else start_knot "$2" "$Z"; fi
}

one_server() { # named|knotd
	local s=$1 D=$T/$1
	server_start "$s" "$D" || fail "$s does not start"
	conf "$T/$s.conf" "zone = \"$Z\""
	conf "$T/$s-nozone.conf" ""

	# ---- a CNAME: an error for list and add, zone set or not ----
	for c in "$T/$s.conf" "$T/$s-nozone.conf"; do
		for n in cname incname; do
			try "$c" list "$n.$Z"
			[ $RC != 0 ] || fail "$s: list $n accepted: $OUT"
			assert_contains "$OUT" "$n.$Z is a CNAME (to " "$s: list $n ($c)"
			assert_contains "$OUT" "cannot hold addresses" "$s: list $n"
			local lmsg
			lmsg=$(echo "$OUT" | sed -n 's/.*: error: \(.*\) ([0-9.]* s)$/\1/p')
			[ -n "$lmsg" ] || fail "$s: no error line: $OUT"
			try "$c" add "$n.$Z" 192.0.2.5
			[ $RC != 0 ] || fail "$s: add at $n accepted: $OUT"
			assert_contains "$OUT" "$n.$Z is a CNAME (to " "$s: add $n ($c)"
			# The same message from both (issue 22 #7).
			assert_contains "$OUT" "error: $lmsg (" "$s: add $n says what list says"
		done
	done
	assert_eq "$(dns_dig +noall +answer cname.$Z A | awk '$4 == "A"')" "" "$s: an A at the CNAME"

	# An agent on the CNAME: an error, backed off; no joins, no evictions.
	conf "$T/$s-agent.conf" "zone = \"$Z\"" "cname.$Z"
	start_agent "$s-cname" "$T/$s-agent.conf"
	local pid=$AGENT_PID S=$T/$s-agent.conf.status
	# Five rounds that ran (skipped ones are not counted): the back-off
	# grew to its 16 rounds, as the agent logs it.
	wait_for 60 rounds_ge "$S" 5 || fail "$s: the agent on the CNAME ran no 5 rounds"
	wait_for 10 grep -q "next try in 16 round" "$T/$s-cname.log" ||
		fail "$s: no back-off to 16 rounds: $(grep "next try" "$T/$s-cname.log")"
	kill "$pid"
	wait "$pid"
	local L=$T/$s-cname.log
	assert_contains "$(cat "$L")" "is a CNAME" "$s: agent log"
	grep -E "joined|removed by another agent|rejoined" "$L" &&
		fail "$s: the agent joined/was removed at a CNAME"
	assert_eq "$(status_get "$S" 's["pools"][0]["state"]')" "error" "$s: status state"

	# ---- a wildcard: no records of its own, at warning level ----
	try "$T/$s.conf" list foo.wild.$Z
	[ $RC = 0 ] || fail "$s: list foo.wild: $OUT"
	assert_contains "$OUT" "has no A records of its own" "$s: wildcard said"
	assert_contains "$OUT" "192.0.2.99 from a wildcard" "$s: wildcard named"
	assert_not_contains "$(echo "$OUT" | grep -v "from a wildcard")" "192.0.2.99" "$s: wildcard record listed"
	conf "$T/$s-wild.conf" "zone = \"$Z\"" "foo.wild.$Z"
	start_agent "$s-wild" "$T/$s-wild.conf"
	pid=$AGENT_PID
	joined() { [ "$(zone_rrs "$Z" "foo.wild.$Z" A)" = 127.0.0.7 ]; }
	wait_for 20 joined || fail "$s: the agent did not join foo.wild: $(zone_rrs "$Z" "foo.wild.$Z" A); $(tail -5 "$T/$s-wild.log")"
	wait_for 10 grep -q "joined foo.wild.$Z" "$T/$s-wild.log" || fail "$s: no 'joined' logged"
	kill "$pid"
	wait "$pid"
	assert_contains "$(grep "from a wildcard" "$T/$s-wild.log")" "warning" "$s: wildcard at warning level"
	# Now it has its own record: listed as such.
	try "$T/$s.conf" list foo.wild.$Z
	assert_contains "$OUT" "127.0.0.7" "$s: own record after the join"
	assert_not_contains "$OUT" "wildcard" "$s: own record taken for a wildcard's"

	# ---- outside the zone: list refuses what add refuses ----
	try "$T/$s.conf" list ns.other.test
	[ $RC != 0 ] || fail "$s: list outside the zone accepted: $OUT"
	assert_contains "$OUT" "ns.other.test is not in zone $Z" "$s: list outside"
	try "$T/$s.conf" add ns.other.test 192.0.2.5
	assert_contains "$OUT" "ns.other.test is not in zone $Z" "$s: add outside"

	# ---- this host's clock 1000 s behind the server's (the agent run
	# under faketime): BADTIME names the skew ----
	conf "$T/$s-skew.conf" "zone = \"$Z\""
	local lib F=$D
	lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 | head -1)
	OUT=$(env FAKETIME=-1000s LD_PRELOAD="$lib" ASAN_OPTIONS=verify_asan_link_order=0 \
		"$DFO" -C "$T/$s-skew.conf" --try dns/t list x.$Z 2>&1)
	RC=$?
	[ $RC != 0 ] || fail "$s: skewed clock accepted: $OUT"
	assert_contains "$OUT" "BADTIME" "$s: skew"
	local skew
	skew=$(echo "$OUT" | sed -n 's/.*clock is \([0-9]*\) s ahead of this host.*/\1/p' | head -1)
	[ -n "$skew" ] && [ "$skew" -ge 990 ] && [ "$skew" -le 1010 ] ||
		fail "$s: skew not named (1000 s ahead): $OUT"
	echo "$s: $OUT"
	stop_dns "$F"
}

one_server named
one_server knotd

# ---- Knot: a key that may update A records only ----
KNOT_ACL="  - id: a-only
    key: $DNS_KEY_NAME
    action: update
    update-type: [A]"
KNOT_ZONE_ACL=a-only
server_start knotd "$T/knot-a" || fail "knotd does not start"
unset KNOT_ACL KNOT_ZONE_ACL
conf "$T/ka.conf" "zone = \"$Z\""
try "$T/ka.conf" add h.$Z 192.0.2.8
[ $RC = 0 ] || fail "knot: A add refused: $OUT"
assert_eq "$(zone_rrs "$Z" "h.$Z" A)" 192.0.2.8 "knot: A added"
try "$T/ka.conf" add h.$Z 2001:db8::8
[ $RC != 0 ] || fail "knot: AAAA add accepted: $OUT"
assert_contains "$OUT" "policy refused this type of update" "knot: AAAA refused"
assert_contains "$OUT" "add AAAA h.$Z 2001:db8::8" "knot: the update named"
echo "knot: $OUT"
assert_eq "$(zone_rrs "$Z" "h.$Z" AAAA)" "" "knot: AAAA added"
pass "CNAME, wildcard, out-of-zone names, clock skew and type policy said as they are, on BIND and Knot"
