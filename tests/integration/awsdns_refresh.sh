#!/bin/bash
# awsdns refreshes its index in the background: an instance added at AWS
# is answered and a removed one is gone after `refresh`; when AWS fails
# during a refresh the last index is still served and the failure is
# logged once; when AWS works again the index follows.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_vpc "refresh = 1"
assert_eq "$(q web-2.ec2.test A)" "10.0.1.2" "web-2 before"
assert_eq "$(q new-1.ec2.test A)" "" "new-1 before"

# add new-1, remove web-2
/usr/bin/python3 - "$T/state.json" "$T/state2.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
inst = [i for i in s["instances"] if i["id"] != "i-002"]
inst.append({"id": "i-new", "private_ip": "10.0.3.1", "tags": {"Name": "new-1"}})
json.dump({"instances": inst}, open(sys.argv[2], "w"))
PY
fake_post /_fake/state "$(cat "$T/state2.json")"
has_new() { [ "$(q new-1.ec2.test A)" = "10.0.3.1" ]; }
wait_for 5 has_new || fail "added instance not answered after a refresh"
out=$(qfull web-2.ec2.test A)
assert_eq "$(status_of "$out")" NXDOMAIN "removed instance gone"
assert_eq "$(q -x 10.0.3.1)" "new-1.ec2.test." "PTR of the added instance"
wait_for 3 grep -q "refreshed: 67 instances (+0)" "$T/a.log" || fail "refresh not logged"

# AWS fails: the last index is served, the failure logged once
fake_post /_fake/fault '{"service": "ec2", "kind": "500", "count": 1000}'
failed() { grep -q "refresh failed" "$T/a.log"; }
wait_for 20 failed || fail "no refresh failure logged"
sleep 3
assert_eq "$(q new-1.ec2.test A)" "10.0.3.1" "old answers served while AWS fails"
assert_eq "$(q multi.ec2.test A)" "10.0.1.4 10.0.1.5" "old answers served while AWS fails (2)"
n=$(grep -c "refresh failed" "$T/a.log")
assert_eq "$n" 1 "a failing refresh is logged once"
assert_contains "$(grep "refresh failed" "$T/a.log")" "still serving the last index (67 instances)" "message"

# AWS back: refreshes resume, logged as such
fake_post /_fake/state '{"instances": [{"id": "i-z", "private_ip": "10.0.4.1", "tags": {"Name": "zed"}}]}'
curl -sf -X POST "$FAKE/_fake/clear" >/dev/null
has_zed() { [ "$(q zed.ec2.test A)" = "10.0.4.1" ]; }
wait_for 40 has_zed || fail "index not refreshed after AWS came back"
# (the log line follows the swap)
wait_for 5 grep -q "refreshed again: 1 instances" "$T/a.log" || fail "recovery not logged"
out=$(qfull new-1.ec2.test A)
assert_eq "$(status_of "$out")" NXDOMAIN "new index swapped in whole"
kill -0 $AWSDNS_PID || fail "dnsfailover died"
pass "refresh adds and removes instances; AWS failing keeps the last index"
