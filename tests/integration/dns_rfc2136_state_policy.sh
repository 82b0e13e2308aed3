#!/bin/bash
# The update policies the README documents for quorum eviction, on BIND
# and on Knot: A/AAAA at the pool's name and TXT at its state name
# (_dfo.www.example.test) are allowed, and the provider's state writes go
# through; a state write the policy does not allow (TXT at another name,
# TXT at the pool's name) fails with the server's rcode, the server and
# what the policy must allow, and changes nothing.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd named knotd dig nsupdate
. "$TOP_SRCDIR/tests/lib/dnsserver.sh"

Z=example.test
F=www.$Z
SN=_dfo.$F
dns_key hmac-sha256
export DFO_TEST_TSIG=$DNS_KEY_SECRET

try() { # ARGS...
	OUT=$("$DFO" -C "$T/c.conf" --try dns/t "$@" 2>&1)
	RC=$?
	assert_not_contains "$OUT" "$DNS_KEY_SECRET" "secret in --try output"
}

policy_case() { # SERVER-NAME
	write_conf "$T/c.conf" <<C
dns "t" { $(rfc2136_section "zone = \"$Z\" timeout = 3") }
C
	try add "$F" 192.0.2.1
	[ "$RC" = 0 ] || fail "$1: add at the pool's name: $OUT"
	try txt-change "$SN" - "dfo1 192.0.2.1 1 u -"
	[ "$RC" = 0 ] || fail "$1: state write at the state name: $OUT"
	try txt-change "$SN" "dfo1 192.0.2.1 1 u -" "dfo1 192.0.2.1 2 u -"
	[ "$RC" = 0 ] || fail "$1: state replace at the state name: $OUT"
	assert_eq "$(dns_dig +short "$SN" TXT)" '"dfo1 192.0.2.1 2 u -"' "$1: TXT at $SN"
	try txt-list "$SN"
	assert_contains "$OUT" '"dfo1 192.0.2.1 2 u -"' "$1: txt-list"
	for n in "_dfo.other.$Z" "$F"; do
		try txt-change "$n" - "dfo1 192.0.2.1 3 u -"
		[ "$RC" = 1 ] || fail "$1: TXT at $n not refused: exit $RC: $OUT"
		grep -Eq "(REFUSED|NOTAUTH|BADKEY) from $DNS_ADDR:$DNS_PORT" <<<"$OUT" ||
			fail "$1: the refusal names no rcode and server: $OUT"
		assert_contains "$OUT" "allow TXT at that name" "$1: the refusal says why"
		assert_eq "$(dns_dig +short "$n" TXT)" "" "$1: TXT at $n after a refused write"
	done
	echo "$1: $OUT"
}

# BIND, the README's update-policy.
NAMED_GRANT="grant $DNS_KEY_NAME name $F. A AAAA; grant $DNS_KEY_NAME name $SN. TXT;"
start_named "$T/named" "$Z" || fail "named does not start"
unset NAMED_GRANT
policy_case named
stop_dns "$T/named"

# Knot, the README's acl entries.
KNOT_ACL="  - id: dfo-update
    key: $DNS_KEY_NAME
    action: update
    update-owner: name
    update-owner-match: equal
    update-owner-name: [$F.]
    update-type: [A, AAAA]
  - id: dfo-state
    key: $DNS_KEY_NAME
    action: update
    update-owner: name
    update-owner-match: equal
    update-owner-name: [$SN.]
    update-type: [TXT]"
KNOT_ZONE_ACL="[dfo-update, dfo-state]"
DNS_PORT=
start_knot "$T/knot" "$Z" || fail "knotd does not start"
policy_case knotd
stop_dns "$T/knot"
pass "the documented BIND and Knot policies let the state through and refuse the rest"
