#!/bin/bash
# awsdns serves the records of route53_zones (A, AAAA, CNAME, TXT, MX,
# SRV; an alias as its target's addresses) from its index, next to the
# instances, after upstream's NXDOMAIN like any AWS answer, and follows
# the zone on refresh.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_vpc_upstream "route53_zones = {\"corp.internal\"} refresh = 1"
assert_contains "$(cat "$T/a.log")" "7 names, 69 addresses, 7 records" "zone records indexed"
out=$(qfull app.corp.internal A)
assert_contains "$(flags_of "$out")" "aa" "AA"
assert_eq "$(q app.corp.internal A)" "10.9.0.1 10.9.0.2" "A"
assert_contains "$out" "30	IN	A	10.9.0.1" "the record's TTL"
assert_eq "$(q app.corp.internal AAAA)" "2001:db8:9::1" "AAAA"
assert_eq "$(q alias.corp.internal CNAME)" "app.corp.internal." "CNAME"
assert_contains "$(qfull alias.corp.internal A)" "CNAME	app.corp.internal." "CNAME for an A query"
assert_eq "$(q corp.internal MX)" "10 mail.corp.internal." "MX"
assert_eq "$(q _http._tcp.corp.internal SRV)" "1 5 8080 app.corp.internal." "SRV"
assert_eq "$(q txt.corp.internal TXT)" '"hello world" "two"' "TXT"
assert_eq "$(q lb.corp.internal A)" "10.9.0.1 10.9.0.2" "alias resolved to its target's addresses"
out=$(qfull app.corp.internal MX)
assert_eq "$(status_of "$out")" NOERROR "NODATA for a type the name lacks"
assert_contains "$out" "ANSWER: 0," "NODATA"
assert_eq "$(q web-1 A)" "10.0.1.1" "instances still served"

# the zone changes at AWS: the next refresh follows
fake_post /_fake/state "$(/usr/bin/python3 - "$T/state.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
z = s["zones"][0]
z["records"] = [r for r in z["records"] if r["name"] != "app.corp.internal." or r["type"] != "A"]
z["records"].append({"name": "new.corp.internal.", "type": "A", "ttl": 30, "values": ["10.9.0.9"]})
print(json.dumps({"zones": s["zones"]}))
PY
)"
has_new() { [ "$(q new.corp.internal A)" = "10.9.0.9" ]; }
wait_for 10 has_new || fail "zone change not followed"
out=$(qfull app.corp.internal A)
assert_contains "$out" "ANSWER: 0," "deleted A gone"
assert_eq "$(q lb.corp.internal A)" "" "alias of a deleted target gone"
pass "route53_zones: A, AAAA, CNAME, MX, SRV, TXT, alias; refreshed"
