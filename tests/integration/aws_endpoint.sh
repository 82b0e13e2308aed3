#!/bin/bash
# The core client honours the SDKs' endpoint variables (a config-less
# awsdns has no other way to be pointed elsewhere): AWS_ENDPOINT_URL,
# overridden per service by AWS_ENDPOINT_URL_EC2 / AWS_ENDPOINT_URL_ROUTE_53,
# and a config setting wins over both.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

write_state "$T/state.json"
start_fake_aws "$T/state.json"
DEAD="http://127.0.0.1:$(free_port)"   # nothing listens there
export AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=secretenv AWS_REGION=us-east-1

ids() { awk '{print $1}' | tr '\n' ' '; }
out=$(AWS_ENDPOINT_URL="$FAKE" "$DFO_AWS" describe-instances tag:Class=web 2>&1) || fail "AWS_ENDPOINT_URL: $out"
assert_eq "$(echo "$out" | ids)" "i-001 i-002 i-004 " "EC2 at AWS_ENDPOINT_URL"
out=$(AWS_ENDPOINT_URL="$FAKE" "$DFO_AWS" zone-id example.test 2>&1) || fail "AWS_ENDPOINT_URL r53: $out"
assert_eq "$out" Z1 "Route 53 at AWS_ENDPOINT_URL"
pass "AWS_ENDPOINT_URL"

n0=$(fake_stat ec2)
out=$(AWS_ENDPOINT_URL="$DEAD" AWS_ENDPOINT_URL_EC2="$FAKE" "$DFO_AWS" describe-instances 2>&1) ||
	fail "AWS_ENDPOINT_URL_EC2: $out"
assert_eq "$(echo "$out" | ids)" "i-001 i-002 i-003 i-004 i-005 " "EC2 at AWS_ENDPOINT_URL_EC2"
assert_eq "$(fake_stat ec2)" $((n0 + 3)) "the service's variable wins over the generic one"
out=$(AWS_ENDPOINT_URL="$DEAD" AWS_ENDPOINT_URL_ROUTE_53="$FAKE" "$DFO_AWS" list-records Z1 www.example.test A 2>&1) ||
	fail "AWS_ENDPOINT_URL_ROUTE_53: $out"
assert_eq "$out" "www.example.test. A 60 192.0.2.1 192.0.2.2" "Route 53 at AWS_ENDPOINT_URL_ROUTE_53"
pass "AWS_ENDPOINT_URL_EC2, AWS_ENDPOINT_URL_ROUTE_53"

# The config wins over the environment.
write_conf "$T/c.conf" <<C
aws { ec2_endpoint = "$FAKE" route53_endpoint = "$FAKE" max_retries = 0 }
C
out=$(AWS_ENDPOINT_URL="$DEAD" AWS_ENDPOINT_URL_EC2="$DEAD" AWS_ENDPOINT_URL_ROUTE_53="$DEAD" \
	"$DFO_AWS" -C "$T/c.conf" attr id instance-id=i-003 2>&1) || fail "config over env: $out"
assert_eq "$out" "i-003 i-003" "ec2_endpoint over AWS_ENDPOINT_URL_EC2"
out=$(AWS_ENDPOINT_URL_ROUTE_53="$DEAD" "$DFO_AWS" -C "$T/c.conf" zone-id other.test 2>&1) || fail "config over env r53: $out"
assert_eq "$out" Z2 "route53_endpoint over AWS_ENDPOINT_URL_ROUTE_53"
# ...and the variable is really used when the config sets nothing.
write_conf "$T/d.conf" <<C
aws { max_retries = 0 timeout = 1 }
C
out=$(AWS_ENDPOINT_URL_EC2="$DEAD" "$DFO_AWS" -C "$T/d.conf" describe-instances 2>&1) && fail "dead endpoint answered: $out"
assert_contains "$out" "${DEAD#http://}" "the variable's endpoint was tried"
pass "a config setting wins over the environment"
