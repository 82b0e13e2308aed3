#!/bin/bash
# awsdns started as root with user = "nobody" binds its sockets, then
# drops to nobody: the responder process runs with nobody's uid and gid
# (real, effective, saved) and no supplementary group of root, and still
# answers (its refresh thread too).
. "$TOP_SRCDIR/tests/lib/common.sh"
need_nobody
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"
uid=$(id -u nobody)
gid=$(id -g nobody)

start_vpc "user = \"nobody\" refresh = 1"
pid=$(sed -n 's/.*responder vpc (awsdns) started, pid \([0-9]*\).*/\1/p' "$T/a.log" | tail -1)
[ -n "$pid" ] || fail "no responder pid in the log"
st=$(cat /proc/$pid/status)
assert_eq "$(awk '/^Uid:/ {print $2, $3, $4, $5}' <<<"$st")" "$uid $uid $uid $uid" "Uid after the drop"
assert_eq "$(awk '/^Gid:/ {print $2, $3, $4, $5}' <<<"$st")" "$gid $gid $gid $gid" "Gid after the drop"
assert_not_contains " $(awk '/^Groups:/ {$1=""; print}' <<<"$st") " " 0 " "root's group kept"
for t in /proc/$pid/task/*; do
	assert_eq "$(awk '/^Uid:/ {print $3}' "$t/status")" "$uid" "thread $t uid"
done
assert_eq "$(q web-1.ec2.test A)" "10.0.1.1" "answers as nobody"
fake_post /_fake/state '{"instances": [{"id": "i-n", "private_ip": "10.0.5.1", "tags": {"Name": "late"}}]}'
late() { [ "$(q late.ec2.test A)" = "10.0.5.1" ]; }
wait_for 10 late || fail "refresh as nobody"
pass "responder $pid runs as nobody ($uid:$gid) after binding, and refreshes"
