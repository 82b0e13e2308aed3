#!/bin/bash
# STS AssumeRole through the core's client (dfo_aws_derive, here through
# dnsfailover-aws -r): a role of another account gives that account's
# instances, the request is signed with the base credentials (the fake
# checks the signature), the external id is sent, the temporary
# credentials are renewed before they expire, a refused role is a clear
# error, and no secret or session token shows in any output.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

ROLE_A="arn:aws:iam::111111111111:role/awsdns"
ROLE_B="arn:aws:iam::222222222222:role/awsdns-b"
cat >"$T/state.json" <<J
{"keys": {"AKIDTEST": "secrettest"}, "region": "us-east-1",
 "page_size": 2,
 "roles": {"$ROLE_A": {"external_id": "ext-a", "ttl": 310},
           "$ROLE_B": {"trust": ["000000000000"]}},
 "instances": [
  {"id": "i-home", "private_ip": "10.0.0.1", "tags": {"Name": "home"}},
  {"id": "i-a1", "account": "111111111111", "private_ip": "10.1.0.1", "tags": {"Name": "a1"}},
  {"id": "i-a2", "account": "111111111111", "private_ip": "10.1.0.2", "tags": {"Name": "a2"}},
  {"id": "i-b1", "account": "222222222222", "private_ip": "10.2.0.1", "tags": {"Name": "b1"}},
  {"id": "i-eu", "region": "eu-west-1", "private_ip": "10.3.0.1", "tags": {"Name": "eu"}}
 ]}
J
start_fake_aws "$T/state.json"
write_conf "$T/aws.conf" <<C
aws { region = "us-east-1" access_key_id = "AKIDTEST" secret_access_key = "secrettest"
      ec2_endpoint = "$FAKE" sts_endpoint = "$FAKE" timeout = 2 max_retries = 2 retry_time = 5 }
C
run() { "$DFO_AWS" -v -C "$T/aws.conf" "$@" 2>>"$T/err"; }
ids() { run "$@" attr id | awk '{print $1}' | sort | tr '\n' ' '; }

# 1. the home account and region, then each role, then another region
assert_eq "$(ids)" "i-home " "home account, us-east-1"
assert_eq "$(ids -r "$ROLE_A" -x ext-a)" "i-a1 i-a2 " "role A: account 111111111111"
assert_eq "$(ids -r "$ROLE_B" -s awsdns-test)" "i-b1 " "role B: account 222222222222"
assert_eq "$(ids -R eu-west-1)" "i-eu " "eu-west-1"
[ "$(fake_stat sig_fail)" = 0 ] || fail "signature failures: $(cat "$T/err")"
out=$(run -r "$ROLE_A" -x ext-a creds)
[[ "$out" =~ ^"role $ROLE_A ASIASTS"[0-9]+" temporary"$ ]] ||
	fail "the role's temporary credentials: $out"
pass "two accounts through AssumeRole and two regions, signed as the fake checks"

# 2. refused: no external id, a wrong one, an unknown role, a bad ARN
for args in "-r $ROLE_A" "-r $ROLE_A -x wrong" "-r arn:aws:iam::9:role/none"; do
	out=$("$DFO_AWS" -C "$T/aws.conf" $args creds 2>&1) && fail "$args accepted"
	assert_contains "$out" "AssumeRole" "$args"
	assert_contains "$out" "AccessDenied" "$args"
done
out=$("$DFO_AWS" -C "$T/aws.conf" -r nope creds 2>&1) && fail "a bad ARN accepted"
assert_contains "$out" "not an ARN" "bad ARN"
out=$("$DFO_AWS" -C "$T/aws.conf" -x e creds 2>&1) && fail "external id without a role"
assert_contains "$out" "external_id needs role_arn" "external id alone"
pass "refused roles are clear errors"

# 3. the base credentials sign AssumeRole: a wrong secret is refused
sed 's/secret_access_key = "secrettest"/secret_access_key = "wrong"/' "$T/aws.conf" >"$T/bad.conf"
out=$("$DFO_AWS" -C "$T/bad.conf" -r "$ROLE_A" -x ext-a creds 2>&1) && fail "bad signature accepted"
assert_contains "$out" "SignatureDoesNotMatch" "AssumeRole signature checked"
pass "AssumeRole signed with the base credentials"

# 4. renewal: role A's credentials last 310 s, renewed 300 s before they
# expire: a second call 12 s later gets new ones, which the fake accepts
n0=$(fake_stat assume_role)
out=$(run -r "$ROLE_A" -x ext-a creds 2 12)
first=$(echo "$out" | sed -n 1p | awk '{print $3}')
second=$(echo "$out" | sed -n 2p | awk '{print $3}')
[ -n "$first" ] && [ -n "$second" ] && [ "$first" != "$second" ] ||
	fail "credentials not renewed: $out"
assert_eq "$(($(fake_stat assume_role) - n0))" 2 "one AssumeRole per renewal"
# far from expiry (3600 s): kept
n0=$(fake_stat assume_role)
out=$(run -r "$ROLE_B" creds 3)
assert_eq "$(echo "$out" | awk '{print $3}' | sort -u | wc -l)" 1 "kept while valid"
assert_eq "$(($(fake_stat assume_role) - n0))" 1 "one AssumeRole while valid"
assert_contains "$(cat "$T/err")" "credentials renewed from role $ROLE_A" "renewal logged"
pass "temporary credentials renewed before they expire"

# 5. no secret or token in any output
all="$(cat "$T/err") $out"
for s in secrettest stssecret ststoken; do
	assert_not_contains "$all" "$s" "secret $s in the output"
done
pass "no secret or session token in the output"
