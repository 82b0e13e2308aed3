#!/bin/bash
# SIGTERM while awsdns loads its index (a DescribeInstances that takes
# 20 s): the responder stops within its second (the supervisor never has
# to kill it after its grace) and the agent exits 0.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

write_awsdns_state "$T/state.json"
start_fake_aws "$T/state.json" --fault ec2:slow:5:20
aws_conf "$T/a.conf"
DNS_PORT=$(free_dns_port)
cat >>"$T/a.conf" <<C
responder "vpc" { awsdns { listen = {"127.0.0.1:$DNS_PORT"} threads = 2 domain = "ec2.test" } }
C
"$DFO" -f -C "$T/a.conf" -l info 2>"$T/a.log" &
agent=$!
track $agent
loading() { [ "$(fake_stat ec2)" -ge 1 ]; }
wait_for 15 loading || fail "no DescribeInstances: $(cat "$T/a.log")"
sleep 1
stop_timed $agent
ms=$STOP_MS
cat "$T/a.log" | tail -4
assert_eq "$STOP_RC" 0 "exit status"
assert_not_contains "$(cat "$T/a.log")" "did not stop" "the responder had to be killed"
grep -q "responder vpc stopped" "$T/a.log" || fail "no stop logged"
echo "stopped in $ms ms"
[ "$ms" -lt 2000 ] || fail "stop took $ms ms"
pass "SIGTERM during the index load: stopped in $ms ms"
