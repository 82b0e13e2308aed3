#!/bin/bash
# The route53 dns provider against the fake AWS (every request's SigV4
# signature verified by botocore; the zones also served over DNS):
# --try list/add/del, a compare-and-set lost to a concurrent change, TTL
# kept, throttling retried with back-off, the INSYNC wait, routing
# policies and aliases refused, read = "dns" costing no API request.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
/usr/bin/python3 -c 'import dns.message' 2>/dev/null || skip "needs python3-dnspython"

DRIVER="$TOP_BUILDDIR/tests/helpers/dns_driver"
write_state "$T/state.json"
start_fake_aws "$T/state.json"
aws_conf "$T/r.conf"
cat >>"$T/r.conf" <<C
dns "r53"   { route53 { zone = "example.test" } }
dns "byid"  { route53 { zone_id = "Z1" ttl = 300 } }
dns "wait"  { route53 { zone = "example.test." wait = 5 } }
dns "short" { route53 { zone_id = "Z1" wait = 0.6 } }
dns "viadns" { route53 { zone = "example.test" read = "dns" } }
dns "ns"    { route53 { zone_id = "Z1" read = "dns" nameservers = {"127.0.0.1:$FAKE_DNS_PORT"} } }
C
try() { "$DFO" -C "$T/r.conf" --try "$@" 2>&1; }
records() { "$DFO_AWS" -C "$T/r.conf" list-records Z1 "$1" "${2:-A}"; }

# -t: the options of the issue's block, checked without any request.
out=$("$DFO" -C "$T/r.conf" -t 2>&1) || fail "-t: $out"
n0=$(fake_stat route53)
for bad in 'zone = "a.test" zone_id = "Z1"' '' 'zone = "a.test" read = "ldap"' \
	'zone = "a.test" nameservers = {"127.0.0.1"}' 'zone = "a.test" ttl = -1' \
	'zone = "a.test" read = "dns" nameservers = {"127.0.0.1:99999"}' 'zone = "a.test" region = "x"'; do
	write_conf "$T/bad.conf" <<C
dns "x" { route53 { $bad } }
C
	out=$("$DFO" -C "$T/bad.conf" -t 2>&1) && fail "accepted: $bad"
done
assert_eq "$(fake_stat route53)" "$n0" "-t asks nothing of Route 53"
pass "options checked at -t, offline"

# --try list/add/del, by zone name and by id; a set created gets `ttl`.
out=$(try dns/r53 list www.example.test) || fail "list: $out"
assert_contains "$out" "192.0.2.1" "list"
assert_contains "$out" "192.0.2.2" "list"
out=$(try dns/r53 list www.example.test ipv6) || fail "list v6: $out"
assert_contains "$out" "2001:db8::1" "list AAAA"
out=$(try dns/r53 add new.example.test 192.0.2.7) || fail "add: $out"
assert_eq "$(records new.example.test)" "new.example.test. A 60 192.0.2.7" "CREATE with ttl 60"
out=$(try dns/byid add new.example.test 192.0.2.8) || fail "add 2: $out"
assert_eq "$(records new.example.test)" "new.example.test. A 60 192.0.2.7 192.0.2.8" "TTL kept (60, not the instance's 300)"
out=$(try dns/byid add id.example.test 192.0.2.9) || fail "add 3: $out"
assert_eq "$(records id.example.test)" "id.example.test. A 300 192.0.2.9" "new set with ttl 300"
out=$(try dns/r53 del new.example.test 192.0.2.7) || fail "del: $out"
assert_eq "$(records new.example.test)" "new.example.test. A 60 192.0.2.8" "del"
out=$(try dns/r53 add other.elsewhere.test 192.0.2.7) && fail "name outside the zone: $out"
assert_contains "$out" "not in zone example.test" "outside the zone"
pass "--try dns/NAME list|add|del, TTL kept"

# TTL kept across a change batch the agent builds: a 300 s set stays 300.
fake_post /_fake/state "$(curl -sf "$FAKE/_fake/records" | /usr/bin/python3 -c '
import json, sys
z = json.load(sys.stdin)
z[0]["records"].append({"name": "ttl.example.test.", "type": "A", "ttl": 3600, "values": ["192.0.2.1", "192.0.2.2"]})
print(json.dumps({"zones": z}))')"
out=$("$DRIVER" "$T/r.conf" r53 list ttl.example.test , del ttl.example.test 192.0.2.1 , add ttl.example.test 192.0.2.3)
assert_contains "$out" "list ttl.example.test: 192.0.2.1 192.0.2.2 ttl 3600" "read with TTL"
assert_eq "$(records ttl.example.test)" "ttl.example.test. A 3600 192.0.2.2" "TTL 3600 kept by del"
out=$("$DRIVER" "$T/r.conf" r53 list ttl.example.test , add ttl.example.test 192.0.2.3)
assert_eq "$(records ttl.example.test)" "ttl.example.test. A 3600 192.0.2.2 192.0.2.3" "TTL 3600 kept by add"
pass "TTL of an existing set kept"

# Compare-and-set: the set changes between the read and the delete.
out=$("$DRIVER" "$T/r.conf" r53 list ttl.example.test , \
	sh "'$DFO_AWS' -C '$T/r.conf' change Z1 UPSERT ttl.example.test A 3600 192.0.2.2,192.0.2.3,192.0.2.4 >/dev/null" , \
	del ttl.example.test 192.0.2.2)
assert_contains "$out" "del ttl.example.test 192.0.2.2: stale" "lost race is DFO_ESTALE"
assert_eq "$(records ttl.example.test)" "ttl.example.test. A 3600 192.0.2.2 192.0.2.3 192.0.2.4" "nothing lost"
# An empty name gets a CREATE, which fails if someone created it first.
out=$("$DRIVER" "$T/r.conf" r53 list race.example.test , \
	sh "'$DFO_AWS' -C '$T/r.conf' change Z1 CREATE race.example.test A 60 192.0.2.50 >/dev/null" , \
	add race.example.test 192.0.2.51)
assert_contains "$out" "list race.example.test: ttl 0" "empty name"
assert_contains "$out" "add race.example.test 192.0.2.51: stale" "CREATE raced"
assert_eq "$(records race.example.test)" "race.example.test. A 60 192.0.2.50" "the other's record kept"
# An invalid batch is an error, not stale.
out=$(try dns/r53 add cname.example.test 192.0.2.1)
"$DFO_AWS" -C "$T/r.conf" change Z1 CREATE cn.example.test CNAME 60 www.example.test >/dev/null
out=$(try dns/r53 add cn.example.test 192.0.2.1) && fail "A beside a CNAME: $out"
assert_contains "$out" "is not permitted as it conflicts" "CNAME conflict is an error"
pass "compare-and-set: concurrent change refused as a whole"

# Throttling: retried with back-off, then an error naming it.
fake_post /_fake/fault '{"service": "route53", "kind": "Throttling", "count": 3}'
f0=$(fake_stat faults)
out=$(try dns/r53 list www.example.test) || fail "list through 3 throttled answers: $out"
assert_eq "$(fake_stat faults)" $((f0 + 3)) "3 throttled answers retried"
fake_post /_fake/fault '{"service": "route53", "kind": "Throttling", "count": 50}'
out=$(try dns/r53 list www.example.test) && fail "throttling storm: $out"
assert_contains "$out" "Throttling: Rate exceeded" "storm: a clear error"
fake_post /_fake/clear '{}'
pass "throttling retried with back-off"

# INSYNC wait: GetChange polled until INSYNC (the fake: after 2 polls).
g0=$(fake_stat get_change)
out=$(try dns/wait add w.example.test 192.0.2.20) || fail "wait: $out"
[ "$(fake_stat get_change)" -ge $((g0 + 2)) ] || fail "no INSYNC wait"
fake_post /_fake/state '{"insync_after": 1000}'
start=$(now_ms)
out=$("$DFO" -C "$T/r.conf" -l notice --try dns/short add w.example.test 192.0.2.21 2>&1) || fail "wait bound: $out"
ms=$(($(now_ms) - start))
assert_contains "$out" "still PENDING after 0.6 s" "bounded wait logged"
[ "$ms" -lt 5000 ] || fail "wait bound 0.6 s took $ms ms"
assert_eq "$(records w.example.test)" "w.example.test. A 60 192.0.2.20 192.0.2.21" "change applied"
fake_post /_fake/state '{"insync_after": 2}'
pass "INSYNC wait, bounded"

# Routing policies and aliases are refused, never edited.
fake_post /_fake/state "$(curl -sf "$FAKE/_fake/records" | /usr/bin/python3 -c '
import json, sys
z = json.load(sys.stdin)
for i, ip in enumerate(["192.0.2.31", "192.0.2.32"]):
    z[0]["records"].append({"name": "wt.example.test.", "type": "A", "ttl": 60, "set_id": "s%d" % i, "values": [ip]})
z[0]["records"].append({"name": "al.example.test.", "type": "A", "ttl": 0, "alias": "elb.example.net.", "values": []})
print(json.dumps({"zones": z}))')"
out=$(try dns/r53 list wt.example.test) && fail "weighted set listed: $out"
assert_contains "$out" "uses a routing policy (SetIdentifier 's0')" "weighted refused"
out=$(try dns/r53 del wt.example.test 192.0.2.31) && fail "weighted set edited: $out"
out=$(try dns/r53 list al.example.test) && fail "alias listed: $out"
assert_contains "$out" "is an alias (to elb.example.net.)" "alias refused"
out=$("$DRIVER" "$T/r.conf" viadns list wt.example.test , del wt.example.test 192.0.2.31)
assert_contains "$out" "list wt.example.test: 192.0.2.31 192.0.2.32" "DNS shows the weighted values"
assert_contains "$out" "uses a routing policy" "read = dns: refused once the batch is"
assert_eq "$("$DFO_AWS" -C "$T/r.conf" list-records Z1 wt.example.test A | wc -l)" 2 "weighted sets untouched"
pass "routing policies and aliases refused"

# read = "dns": the delegation set (GetHostedZone) or nameservers; reads
# cost no API request.
r0=$(fake_stat route53) q0=$(fake_stat dns_queries)
out=$("$DRIVER" "$T/r.conf" viadns list www.example.test , list www.example.test ipv6 , list nx.example.test , list ttl.example.test)
assert_contains "$out" "list www.example.test: 192.0.2.1 192.0.2.2 ttl 60" "A over DNS"
assert_contains "$out" "list www.example.test: 2001:db8::1 ttl 60" "AAAA over DNS"
assert_contains "$out" "list nx.example.test: ttl 0" "NXDOMAIN: no records"
assert_contains "$out" "list ttl.example.test: 192.0.2.2 192.0.2.3 192.0.2.4 ttl 3600" "TTL over DNS"
assert_eq "$(fake_stat route53)" $((r0 + 2)) "2 API requests at start (zone id, delegation set), none per read"
[ "$(fake_stat dns_queries)" -ge $((q0 + 4)) ] || fail "no DNS queries"
r0=$(fake_stat route53)
out=$("$DRIVER" "$T/r.conf" ns list www.example.test , del www.example.test 192.0.2.1)
assert_contains "$out" "del www.example.test 192.0.2.1: ok" "change after a DNS read"
assert_eq "$(fake_stat route53)" $((r0 + 1)) "zone_id and nameservers: 1 request, the change"
assert_eq "$(records www.example.test)" "www.example.test. A 60 192.0.2.2" "deleted"
fake_post /_fake/state '{"dns_silent": true}'
out=$("$DRIVER" "$T/r.conf" ns list www.example.test) && fail "silent servers: $out"
assert_contains "$out" "DNS query www.example.test A" "silent name servers: an error"
# ...and once they answer again, the same instance reads again (ldns
# would otherwise keep a server that failed once marked unreachable).
out=$("$DRIVER" "$T/r.conf" ns list www.example.test , \
	sh "curl -sf -X POST --data '{\"dns_silent\": false}' $FAKE/_fake/state >/dev/null" , \
	list www.example.test) && fail "silent server answered"
assert_contains "$out" "list www.example.test: error: " "silent: error"
assert_contains "$out" "list www.example.test: 192.0.2.2 ttl 60" "read again once the server answers"
pass "read = \"dns\""
