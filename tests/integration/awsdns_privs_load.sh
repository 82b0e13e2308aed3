#!/bin/bash
# awsdns with user = "nobody" binds, drops privileges, and only then
# talks to AWS: while its first DescribeInstances is in progress (made
# slow), every thread of the responder runs as nobody with no
# capability left.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_nobody
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"
uid=$(id -u nobody)

write_awsdns_state "$T/state.json"
start_fake_aws "$T/state.json" --fault ec2:slow:3:4
aws_conf "$T/a.conf"
DNS_PORT=$(free_dns_port)
cat >>"$T/a.conf" <<C
responder "vpc" { awsdns { listen = {"127.0.0.1:$DNS_PORT"} threads = 2
	domain = "ec2.test" user = "nobody" } }
C
"$DFO" -f -C "$T/a.conf" -l info 2>"$T/a.log" &
track $!
loading() { [ "$(fake_stat ec2)" -ge 1 ]; }
wait_for 15 loading || fail "no DescribeInstances: $(cat "$T/a.log")"
pid=$(sed -n 's/.*responder vpc (awsdns) started, pid \([0-9]*\).*/\1/p' "$T/a.log" | tail -1)
[ -n "$pid" ] || fail "no responder pid"
grep -q "instances indexed" "$T/a.log" && fail "loaded already: cannot look during the load"
for t in /proc/$pid/task/*; do
	st=$(cat "$t/status")
	assert_eq "$(awk '/^Uid:/ {print $2, $3, $4, $5}' <<<"$st")" "$uid $uid $uid $uid" "thread $t uid during the load"
	assert_eq "$(awk '/^CapEff:/ {print $2}' <<<"$st")" "0000000000000000" "thread $t capabilities during the load"
done
ntask=$(ls /proc/$pid/task | wc -l)
served() { [ "$(q web-1.ec2.test A)" = "10.0.1.1" ]; }
wait_for 40 served || fail "never served: $(cat "$T/a.log")"
pass "the index loaded as nobody ($ntask threads checked during the load), no capability"
