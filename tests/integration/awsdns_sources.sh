#!/bin/bash
# awsdns with several sources: two accounts through STS AssumeRole and
# two regions in one index; a name two sources claim answers with the
# addresses of both; a source that fails keeps its last instances while
# the others refresh, and shows in the log and the metrics; no secret or
# session token in the log.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

ROLE_A="arn:aws:iam::111111111111:role/awsdns"
ROLE_B="arn:aws:iam::222222222222:role/awsdns"
cat >"$T/state.json" <<J
{"keys": {"AKIDTEST": "secrettest"}, "region": "us-east-1", "page_size": 2,
 "roles": {"$ROLE_A": {"external_id": "ext-a"}, "$ROLE_B": {}},
 "instances": [
  {"id": "i-001", "private_ip": "10.0.1.1", "tags": {"Name": "web-1"}},
  {"id": "i-a1", "account": "111111111111", "private_ip": "10.1.0.1", "tags": {"Name": "a1"}},
  {"id": "i-a2", "account": "111111111111", "private_ip": "10.1.0.2", "tags": {"Name": "shared"}},
  {"id": "i-b1", "account": "222222222222", "region": "eu-west-1", "private_ip": "10.2.0.1", "tags": {"Name": "b1"}},
  {"id": "i-eu", "region": "eu-west-1", "private_ip": "10.3.0.1", "tags": {"Name": "shared"}}
 ]}
J
start_fake_aws "$T/state.json"
export AWS_ENDPOINT_URL_STS="$FAKE"
MPORT=$(free_port)
AWSDNS_TOP="metrics_listen = \"127.0.0.1:$MPORT\" status_file = \"$T/status.json\""
start_awsdns a 'domain = "ec2.test" refresh = 1
	source "home" { }
	source "acct-a" { role_arn = "'"$ROLE_A"'" external_id = "ext-a" }
	source "acct-b-eu" { region = "eu-west-1" role_arn = "'"$ROLE_B"'" session_name = "awsdns-test" }
	source "eu" { region = "eu-west-1" }'

assert_eq "$(q web-1.ec2.test A)" "10.0.1.1" "home account"
assert_eq "$(q a1.ec2.test A)" "10.1.0.1" "account A through AssumeRole"
assert_eq "$(q b1.ec2.test A)" "10.2.0.1" "account B in eu-west-1 through AssumeRole"
assert_eq "$(q shared.ec2.test A)" "10.1.0.2 10.3.0.1" "a name of two sources: both addresses"
assert_eq "$(q -x 10.3.0.1)" "shared.ec2.test." "PTR from the eu-west-1 source"
[ "$(fake_stat sig_fail)" = 0 ] || fail "signature failures"
[ "$(fake_stat assume_role_denied)" = 0 ] || fail "AssumeRole refused"
pass "two accounts through AssumeRole and two regions in one index"

# eu-west-1 goes down while an instance is added at home: home refreshes,
# the eu-west-1 sources keep their last instances
fake_post /_fake/state '{"down_regions": ["eu-west-1"]}'
/usr/bin/python3 - "$T/state.json" "$T/state2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
s["instances"].append({"id": "i-new", "private_ip": "10.0.1.9", "tags": {"Name": "new-1"}})
json.dump({"instances": s["instances"]}, open(sys.argv[2], "w"))
PY
fake_post /_fake/state "$(cat "$T/state2.json")"
has_new() { [ "$(q new-1.ec2.test A)" = "10.0.1.9" ]; }
wait_for 10 has_new || fail "home did not refresh while eu-west-1 failed"
assert_eq "$(q b1.ec2.test A)" "10.2.0.1" "failing source B keeps its instances"
assert_eq "$(q shared.ec2.test A)" "10.1.0.2 10.3.0.1" "failing eu source keeps its instances"
wait_for 5 grep -q 'source "eu" failed, keeping its last instances' "$T/a.log" ||
	fail "failing source not logged: $(grep source "$T/a.log")"
[ "$(grep -c 'source "eu" failed' "$T/a.log")" = 1 ] || fail "a failing source logged more than once"
m=$(curl -sf "http://127.0.0.1:$MPORT/metrics")
assert_contains "$m" 'dnsfailover_awsdns_source_up{responder="vpc",source="eu"} 0' "eu down in metrics"
assert_contains "$m" 'dnsfailover_awsdns_source_up{responder="vpc",source="home"} 1' "home up in metrics"
assert_contains "$m" 'dnsfailover_awsdns_source_instances{responder="vpc",source="acct-a"} 2' "instances of a source"
pass "a failing source keeps its last instances while the others refresh"

# --status names each failing source and what it keeps (the refresh as a
# whole succeeds: "last refresh: ok" said nothing of them before)
status() { "$DFO" -C "$T/a.conf" --status 2>&1; }
shows() { status | grep -qF "$1"; }
wait_for 15 shows 'source "eu" failing (keeping its last 1 instance(s))' ||
	fail "--status does not show the failing source: $(status)"
out=$(status)
assert_contains "$out" 'responder vpc (awsdns): serving' "--status: still serving"
assert_contains "$out" 'source "acct-b-eu" failing (keeping its last 1 instance(s))' "--status: the other failing source"
assert_not_contains "$out" 'source "home"' "--status: a source that refreshes is not listed"
assert_not_contains "$out" 'last refresh: ok' "--status: not ok"
for s in secrettest stssecret ststoken; do
	assert_not_contains "$out" "$s" "secret $s in --status"
done
pass "--status shows each failing source and that it keeps its instances"

fake_post /_fake/state '{"down_regions": []}'
wait_for 10 grep -q 'source "eu" answers again' "$T/a.log" || fail "recovery not logged"
wait_for 15 shows 'last refresh: ok' || fail "--status after the recovery: $(status)"
assert_contains "$(curl -sf "http://127.0.0.1:$MPORT/metrics")" \
	'dnsfailover_awsdns_source_up{responder="vpc",source="eu"} 1' "eu up again in metrics"
for s in secrettest stssecret ststoken; do
	assert_not_contains "$(cat "$T/a.log")" "$s" "secret $s in the log"
done
kill -0 $AWSDNS_PID || fail "dnsfailover died"
pass "the source recovers; no secret in the log"
