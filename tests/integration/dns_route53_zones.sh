#!/bin/bash
# Two hosted zones with one name (issue 22 #3): a public (Z1) and a
# private (Z3) example.test at the fake, which lists both as Route 53
# does (ListHostedZonesByName: Config/PrivateZone, paged by maxitems with
# NextDNSName/NextHostedZoneId).  Never one of them guessed:
# dnsfailover-aws zone-id exits 1 naming both ids, also when they come on
# two pages; --try and the agent refuse with both ids and ask for
# zone_id; the agent backs off (its log: next try in 1, 2, 4, 8 rounds,
# one lookup a try) and changes nothing in either zone, its peers failing
# their checks.  With zone_id = "Z3" the private zone is the one read and
# changed, the public one untouched.  -t asks AWS nothing, so it cannot
# see two zones (core_offline.sh): it says ok and sends no request.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

P=$(test_plugin_dir)
D=$T/checks
mkdir -p "$D"
cat >"$T/state.json" <<'J'
{"keys": {"AKIDTEST": "secrettest"},
 "zones": [
  {"id": "Z3", "name": "example.test.", "private": true, "records": [
   {"name": "www.example.test.", "type": "A", "ttl": 60,
    "values": ["10.0.0.1", "10.0.0.2"]}]},
  {"id": "Z2", "name": "other.test.", "records": []},
  {"id": "Z1", "name": "example.test.", "records": [
   {"name": "www.example.test.", "type": "A", "ttl": 60,
    "values": ["192.0.2.1", "192.0.2.2"]}]}],
 "insync_after": 0}
J
start_fake_aws "$T/state.json"
aws_conf "$T/a.conf"
records() { "$DFO_AWS" -C "$T/a.conf" list-records "$1" www.example.test A; }
pub="www.example.test. A 60 192.0.2.1 192.0.2.2"
both="2 hosted zones are named example.test: Z1 (public), Z3 (private)"

# dnsfailover-aws zone-id: exit 1, both ids; any case, a final dot.
for name in example.test EXAMPLE.test.; do
	rc=0
	out=$("$DFO_AWS" -C "$T/a.conf" zone-id "$name" 2>&1) || rc=$?
	assert_eq "$rc" 1 "zone-id $name: exit status (output: $out)"
	assert_contains "$out" "dnsfailover-aws: route53: ${both/example.test/$name}" "zone-id $name"
done
assert_eq "$("$DFO_AWS" -C "$T/a.conf" zone-id other.test)" Z2 "a zone of its own name"
# One zone a page: the second zone of the name is on the next page.
fake_post /_fake/state '{"r53_page": 1}'
n0=$(fake_stat zones_by_name)
out=$("$DFO_AWS" -C "$T/a.conf" zone-id example.test 2>&1) && fail "zone-id picked a zone over two pages: $out"
assert_contains "$out" "$both" "zone-id over two pages"
assert_eq "$(fake_stat zones_by_name)" $((n0 + 2)) "two pages read, not the third (other.test)"
n0=$(fake_stat zones_by_name)
assert_eq "$("$DFO_AWS" -C "$T/a.conf" zone-id other.test)" Z2 "paged, a zone of its own name"
assert_eq "$(fake_stat zones_by_name)" $((n0 + 1)) "one page for other.test"
fake_post /_fake/state '{"r53_page": 100}'
pass "zone-id refuses two zones of one name with both ids"

# The provider, through --try: both ids and what to set.
cat >>"$T/a.conf" <<C
dns "amb" { route53 { zone = "example.test" } }
dns "priv" { route53 { zone_id = "Z3" } }
C
out=$("$DFO" -C "$T/a.conf" --try dns/amb list www.example.test 2>&1) && fail "--try list picked a zone: $out"
assert_contains "$out" "dns \"amb\" (route53): cannot start: route53: $both: set zone_id (in place of zone) to the one meant" "--try"
out=$("$DFO" -C "$T/a.conf" --try dns/priv list www.example.test 2>&1) || fail "--try zone_id: $out"
assert_contains "$out" "10.0.0.1" "zone_id Z3 reads the private zone"
assert_not_contains "$out" "192.0.2.1" "zone_id Z3 reads the private zone only"
# -t asks nothing: it cannot know.
n0=$(fake_stat route53)
out=$("$DFO" -C "$T/a.conf" -t 2>&1) || fail "-t: $out"
assert_eq "$(fake_stat route53)" "$n0" "-t sent no request"
pass "--try refuses, names both ids, asks for zone_id; zone_id works"

# The agent: an error of the round, backed off, nothing changed, though
# every peer fails its check.
agent_conf() {
	cat >"$1" <<C
plugin_dir = "$P"
status_file = "$T/status.json"
aws { region = "us-east-1" access_key_id = "AKIDTEST" secret_access_key = "secrettest"
      route53_endpoint = "$FAKE" timeout = 2 max_retries = 3 retry_time = 10 }
dns "d" { route53 { $2 } }
ipsource "me" { static { address = "10.0.0.9" } }
check "f" { fault { state_dir = "$D" } }
timer "fast" { tick { interval = 0.2 timeout = 1 } }
pool "www" { fqdn = {"www.example.test"} dns = "d" ipsource = "me" check = "f"
             timer = "fast" }
C
}
for a in 192.0.2.1 192.0.2.2 10.0.0.1 10.0.0.2; do echo fail >"$D/$a"; done
agent_conf "$T/amb.conf" 'zone = "example.test"'
n0=$(fake_stat zones_by_name)
start_agent amb "$T/amb.conf"
backed_off() { grep -q "next try in 8 round(s)" "$T/amb.log"; }
# 4 tries over 1 + 2 + 4 = 7 skipped rounds of 0.2 s: about 2 s; 60 s
# for a loaded machine.
wait_for 60 backed_off || fail "no back-off to 8 rounds in 60 s: $(cat "$T/amb.log")"
tries1=$(grep -c "hosted zones are named" "$T/amb.log")
n=$(($(fake_stat zones_by_name) - n0))
tries2=$(grep -c "hosted zones are named" "$T/amb.log")
for k in 1 2 4 8; do
	assert_contains "$(cat "$T/amb.log")" "pool www: dns: dns \"d\" (route53): cannot start: route53: $both: set zone_id (in place of zone) to the one meant; nothing changed this round, next try in $k round(s)" "try backed off to $k round(s)"
done
# Each try one lookup (one page), none in the rounds skipped; the
# requests of a try come before its log line.
[ "$n" -ge "$tries1" ] && [ "$n" -le $((tries2 + 1)) ] ||
	fail "$n zone lookups for $tries1..$tries2 tries"
assert_eq "$(status_get "$T/status.json" 's["pools"][0]["state"]')" error "status state"
assert_contains "$(status_get "$T/status.json" 's["pools"][0]["error"]')" "$both" "status error"
assert_eq "$(records Z1)" "$pub" "public zone untouched"
assert_eq "$(records Z3)" "www.example.test. A 60 10.0.0.1 10.0.0.2" "private zone untouched"
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
assert_eq "$(records Z1)" "$pub" "public zone untouched after exit"
assert_eq "$(records Z3)" "www.example.test. A 60 10.0.0.1 10.0.0.2" "private zone untouched after exit"
pass "agent: both ids, backed off (1, 2, 4, 8 rounds; $n lookups for $tries1 tries), nothing changed"

# zone_id = "Z3": the agent joins the private zone only.
for a in 10.0.0.1 10.0.0.2; do rm -f "$D/$a"; done
agent_conf "$T/priv.conf" 'zone_id = "Z3"'
start_agent priv "$T/priv.conf"
joined() { [ "$(records Z3)" = "www.example.test. A 60 10.0.0.1 10.0.0.2 10.0.0.9" ]; }
wait_for 60 joined || fail "not joined in 60 s: $(records Z3); $(cat "$T/priv.log")"
assert_eq "$(records Z1)" "$pub" "public zone untouched"
assert_not_contains "$(cat "$T/priv.log")" "hosted zones are named" "no lookup by name"
pass "zone_id: the private zone joined, the public one untouched"
