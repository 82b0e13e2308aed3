#!/bin/bash
# Route 53 against the fake: zone by name, record sets of one name and
# type (with paging over set identifiers), change batches with the
# compare-and-set DELETE, GetChange until INSYNC within a bound, and
# AWS errors surfaced as code and message.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

write_state "$T/state.json"
start_fake_aws "$T/state.json"
aws_conf "$T/a.conf"
r53() { "$DFO_AWS" -C "$T/a.conf" "$@" 2>"$T/err" || fail "$*: $(cat "$T/err")"; }

assert_eq "$(r53 zone-id example.test)" Z1 "zone by name"
assert_eq "$(r53 zone-id other.test.)" Z2 "zone by name with a final dot"
out=$("$DFO_AWS" -C "$T/a.conf" zone-id nope.test 2>&1) && fail "unknown zone found"
assert_contains "$out" "no hosted zone named nope.test" "unknown zone"
pass "hosted zones by name"

assert_eq "$(r53 list-records Z1 www.example.test A)" "www.example.test. A 60 192.0.2.1 192.0.2.2" "list A"
assert_eq "$(r53 list-records /hostedzone/Z1 WWW.example.test. AAAA)" "www.example.test. AAAA 60 2001:db8::1" "list AAAA, any case"
assert_eq "$(r53 list-records Z1 none.example.test A)" "" "no records"
out=$("$DFO_AWS" -C "$T/a.conf" list-records ZNOPE www.example.test A 2>&1) && fail "no such zone listed"
assert_contains "$out" "NoSuchHostedZone: No hosted zone found with ID: ZNOPE" "AWS error code and message"
pass "list one name and type"

# Weighted sets, one a page: all pages of the name are read.
r53 change Z2 CREATE w.other.test A 30 192.0.2.10 >/dev/null
"$DFO_AWS" -C "$T/a.conf" change Z2 CREATE z.other.test A 30 192.0.2.99 >/dev/null
fake_post /_fake/state '{"r53_page": 1}'
# (the weighted sets are created through the fake's state: the CLI has
# no set identifiers)
curl -sf "$FAKE/_fake/records" >"$T/zones.json"
/usr/bin/python3 - "$T/zones.json" "$FAKE" <<'PY'
import json, sys, urllib.request
zones = json.load(open(sys.argv[1]))
for z in zones:
    if z["id"] == "Z2":
        z["records"] = [r for r in z["records"] if r["name"] != "w.other.test."]
        for i, ip in enumerate(["192.0.2.11", "192.0.2.12", "192.0.2.13"]):
            z["records"].append({"name": "w.other.test.", "type": "A", "ttl": 30,
                                 "set_id": "s%d" % i, "values": [ip]})
req = urllib.request.Request(sys.argv[2] + "/_fake/state", method="POST",
                             data=json.dumps({"zones": zones}).encode())
urllib.request.urlopen(req).read()
PY
n0=$(fake_stat route53)
out=$(r53 list-records Z2 w.other.test A)
assert_eq "$(echo "$out" | awk '{print $5}' | tr '\n' ' ')" "192.0.2.11 192.0.2.12 192.0.2.13 " "every weighted set"
assert_eq "$(echo "$out" | awk '{print $4}' | tr '\n' ' ')" "id=s0 id=s1 id=s2 " "set identifiers"
assert_eq "$(fake_stat route53)" $((n0 + 3)) "3 pages, and not the next name's"
fake_post /_fake/state '{"r53_page": 100}'
pass "paging"

# Compare-and-set: delete the exact set read, create the rest.
out=$(r53 change Z1 -w 5 DELETE www.example.test A 60 192.0.2.1,192.0.2.2 CREATE www.example.test A 60 192.0.2.2)
assert_contains "$out" "INSYNC" "waited for INSYNC"
assert_eq "$(r53 list-records Z1 www.example.test A)" "www.example.test. A 60 192.0.2.2" "peer removed"
# The same batch again: the set is no longer what was read.  Refused as
# a whole (exit 3: -ESTALE), nothing applied.
out=$("$DFO_AWS" -C "$T/a.conf" change Z1 DELETE www.example.test A 60 192.0.2.1,192.0.2.2 \
	CREATE www.example.test A 60 192.0.2.2 CREATE new.example.test A 60 192.0.2.7 2>&1)
assert_eq "$?" 3 "stale batch: exit 3"
assert_contains "$out" "InvalidChangeBatch: Tried to delete resource record set [name='www.example.test.', type='A'] but the values provided do not match the current values" "stale batch message"
assert_eq "$(r53 list-records Z1 www.example.test A)" "www.example.test. A 60 192.0.2.2" "nothing changed"
assert_eq "$(r53 list-records Z1 new.example.test A)" "" "nothing of the batch applied"
out=$("$DFO_AWS" -C "$T/a.conf" change Z1 CREATE www.example.test A 60 192.0.2.3 2>&1)
assert_eq "$?" 3 "create of an existing set"
assert_contains "$out" "but it already exists" "create existing"
r53 change Z1 UPSERT www.example.test A 120 192.0.2.2,192.0.2.5 >/dev/null
assert_eq "$(r53 list-records Z1 www.example.test A)" "www.example.test. A 120 192.0.2.2 192.0.2.5" "upsert"
pass "change batches, CAS delete"

# Only a lost compare-and-set is stale (exit 3).  A batch AWS refuses for
# what it holds (a value that is no address, a CNAME beside other
# records) is an error (exit 1): retrying it next round cannot help.
rc=0; out=$("$DFO_AWS" -C "$T/a.conf" change Z1 CREATE bad.example.test A 60 not-an-ip 2>&1) || rc=$?
assert_eq "$rc" 1 "invalid value: error, not stale"
assert_contains "$out" "InvalidChangeBatch: Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address" "invalid value message"
rc=0; out=$("$DFO_AWS" -C "$T/a.conf" change Z1 CREATE www.example.test CNAME 60 other.example.test 2>&1) || rc=$?
assert_eq "$rc" 1 "CNAME conflict: error, not stale"
assert_contains "$out" "RRSet of type CNAME with DNS name www.example.test. is not permitted" "CNAME conflict message"
# Stale and invalid in one batch (two messages): an error.
rc=0; out=$("$DFO_AWS" -C "$T/a.conf" change Z1 DELETE www.example.test A 60 192.0.2.9 \
	CREATE y.example.test A 60 300.1.1.1 2>&1) || rc=$?
assert_eq "$rc" 1 "stale + invalid: error"
assert_contains "$out" "but the values provided do not match the current values; Invalid Resource Record" "both messages kept"
# Two stale changes (two messages): stale.
rc=0; out=$("$DFO_AWS" -C "$T/a.conf" change Z1 DELETE www.example.test A 60 192.0.2.9 \
	DELETE gone.example.test A 60 192.0.2.9 2>&1) || rc=$?
assert_eq "$rc" 3 "two stale changes: stale"
assert_contains "$out" "[name='gone.example.test.', type='A'] but it was not" "not found (both messages)"
assert_eq "$(r53 list-records Z1 www.example.test A)" "www.example.test. A 120 192.0.2.2 192.0.2.5" "nothing applied"
assert_eq "$(r53 list-records Z1 bad.example.test A)" "" "invalid set not created"
pass "InvalidChangeBatch: stale only for a lost compare-and-set"

# GetChange bounded: a change that stays PENDING.
fake_post /_fake/state '{"insync_after": 1000}'
id=$(r53 change Z1 UPSERT x.example.test A 60 192.0.2.8 | awk '{print $2}')
start=$(date +%s%N)
out=$("$DFO_AWS" -C "$T/a.conf" wait "$id" 0.6 2>&1) && fail "PENDING change reported INSYNC"
ms=$((($(date +%s%N) - start) / 1000000))
assert_contains "$out" "change $id still PENDING after 0.6 s" "wait bound"
[ "$ms" -ge 550 ] && [ "$ms" -lt 3000 ] || fail "wait took $ms ms, bound 600"
pass "GetChange bounded ($ms ms for a 0.6 s bound)"
