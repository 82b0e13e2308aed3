#!/bin/bash
# Faults: throttling (400 Throttling / RequestLimitExceeded, 429, 503)
# and 500s retried until success; retries bounded in count and in time;
# slow answers time out; AWS errors as code and message; a wrongly
# signed request rejected by the fake's botocore check, and libcurl's
# unsorted query signing with it.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

write_state "$T/state.json"
start_fake_aws "$T/state.json"
aws_conf "$T/a.conf"        # timeout 2, max_retries 3, retry_time 10
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Each kind twice, then success: 3 attempts.
for f in ec2:Throttling ec2:RequestLimitExceeded ec2:429 ec2:503 ec2:500 \
	route53:Throttling route53:503 route53:500; do
	svc=${f%%:*} kind=${f#*:}
	fake_post /_fake/fault "{\"service\": \"$svc\", \"kind\": \"$kind\", \"count\": 2}"
	n0=$(fake_stat "$svc")
	if [ "$svc" = ec2 ]; then
		out=$("$DFO_AWS" -C "$T/a.conf" -v attr id instance-id=i-002 2>"$T/log") || fail "$f: $(cat "$T/log")"
		assert_eq "$out" "i-002 i-002" "$f answer after retries"
	else
		out=$("$DFO_AWS" -C "$T/a.conf" -v list-records Z1 www.example.test A 2>"$T/log") || fail "$f: $(cat "$T/log")"
		assert_contains "$out" "192.0.2.1" "$f answer after retries"
	fi
	assert_eq "$(fake_stat "$svc")" $((n0 + 3)) "$f: 3 attempts"
	assert_contains "$(cat "$T/log")" "retry 2 in" "$f retries logged"
done
pass "throttling, 429, 503, 500: retried, then success"

# Bounded in count: max_retries 3 means 4 attempts, then the AWS error.
fake_post /_fake/fault '{"service": "ec2", "kind": "RequestLimitExceeded", "count": 10}'
n0=$(fake_stat ec2)
out=$("$DFO_AWS" -C "$T/a.conf" describe-instances 2>&1) && fail "throttled forever, yet: $out"
assert_eq "$(fake_stat ec2)" $((n0 + 4)) "1 + max_retries attempts"
assert_contains "$out" "ec2 POST: RequestLimitExceeded: Rate exceeded" "code and message"
fake_post /_fake/clear '{}'
pass "retries bounded in count"

# Bounded in time: slow answers (3 s) with timeout 0.4 and retry_time 1.2.
aws_conf "$T/slow.conf" 'timeout = 0.4 max_retries = 10 retry_time = 1.2'
sed -i 's/timeout = 2 max_retries = 3 retry_time = 10//' "$T/slow.conf"
fake_post /_fake/fault '{"service": "ec2", "kind": "slow", "count": 20, "delay": 3}'
t0=$(now_ms)
out=$("$DFO_AWS" -C "$T/slow.conf" describe-instances 2>&1) && fail "slow answers, yet: $out"
ms=$(($(now_ms) - t0))
assert_contains "$out" "ec2 POST: $FAKE/: Operation timed out" "timeout error names the service"
[ "$ms" -lt 2500 ] || fail "retries took $ms ms with retry_time 1.2 s"
[ "$ms" -ge 400 ] || fail "gave up after $ms ms, before one timeout"
fake_post /_fake/clear '{}'
pass "retries bounded in time: gave up after $ms ms (retry_time 1.2 s)"
# the fake is still sleeping on those: use a fresh one
start_fake_aws "$T/state.json"
aws_conf "$T/a.conf"

# Wrong secret: the fake's botocore check rejects the signature, not
# retried, and the message is AWS's.
aws_conf "$T/bad.conf"
sed -i 's/secrettest/wrongsecret/' "$T/bad.conf"
n0=$(fake_stat ec2) s0=$(fake_stat sig_fail)
out=$("$DFO_AWS" -C "$T/bad.conf" describe-instances 2>&1) && fail "wrong signature accepted: $out"
assert_contains "$out" "ec2 POST: SignatureDoesNotMatch: The request signature we calculated does not match" "EC2 signature error"
assert_eq "$(fake_stat ec2)" $((n0 + 1)) "signature errors are not retried"
assert_eq "$(fake_stat sig_fail)" $((s0 + 1)) "the fake recomputed and refused it"
out=$("$DFO_AWS" -C "$T/bad.conf" list-records Z1 www.example.test A 2>&1) && fail "wrong signature accepted: $out"
assert_contains "$out" "route53 GET: SignatureDoesNotMatch: The request signature" "Route 53 signature error"
sed -i 's/AKIDTEST/AKIDUNKNOWN/' "$T/bad.conf"
out=$("$DFO_AWS" -C "$T/bad.conf" describe-instances 2>&1) && fail "unknown key accepted: $out"
assert_contains "$out" "AuthFailure: AWS was not able to validate the provided access credentials" "unknown key"
pass "wrongly signed requests rejected with AWS's error"

# Why the query is sorted before signing: libcurl 7.88 signs it as given.
q='name=www.example.test&type=A&maxitems=1'
st=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:route53 \
	-u AKIDTEST:secrettest "$FAKE/2013-04-01/hostedzone/Z1/rrset?$q")
st2=$(curl -s -o /dev/null -w '%{http_code}' --aws-sigv4 aws:amz:us-east-1:route53 \
	-u AKIDTEST:secrettest "$FAKE/2013-04-01/hostedzone/Z1/rrset?maxitems=1&name=www.example.test&type=A")
if [ "$st" = 403 ]; then
	pass "libcurl $(curl -V | head -1 | awk '{print $2}') signs an unsorted query as given: refused (403); sorted: $st2"
else
	pass "this libcurl sorts the query itself ($st)"
fi
assert_eq "$st2" 200 "sorted query accepted"
