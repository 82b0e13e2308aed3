#!/bin/bash
# The credentials chain: each source, their precedence, instance-role
# credentials renewed before they expire and accepted with their session
# token; the region's sources; no secret in the log.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

write_state "$T/state.json"
start_fake_aws "$T/state.json"

# Config without keys: endpoints only.
write_conf "$T/nokeys.conf" <<C
aws { region = "us-east-1" ec2_endpoint = "$FAKE" route53_endpoint = "$FAKE"
      imds_endpoint = "$FAKE" timeout = 2 }
C
aws_conf "$T/keys.conf"
cat >"$T/credentials" <<'F'
[default]
aws_access_key_id = AKIDFILE
aws_secret_access_key = secretfile
[prof]
aws_access_key_id = AKIDPROF
aws_secret_access_key = secretprof
F
cat >"$T/config" <<'F'
[profile cfgonly]
region = sa-east-1
aws_access_key_id = AKIDPROF
aws_secret_access_key = secretprof
F

creds() { "$DFO_AWS" -C "$@" 2>"$T/err" || fail "creds $*: $(cat "$T/err")"; }

# 1. the aws {} section, even with the environment set
out=$(AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=secretenv creds "$T/keys.conf" creds)
assert_eq "$out" "aws {} config section AKIDTEST long-term" "config first"
# 2. the environment, before the shared files
out=$(AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=secretenv \
	AWS_SHARED_CREDENTIALS_FILE="$T/credentials" creds "$T/nokeys.conf" creds)
assert_eq "$out" "environment AKIDENV long-term" "environment second"
# 3. the shared credentials file: default profile, AWS_PROFILE, the config file
export AWS_SHARED_CREDENTIALS_FILE="$T/credentials" AWS_CONFIG_FILE="$T/config"
out=$(creds "$T/nokeys.conf" creds)
assert_eq "$out" "shared credentials file (profile default) AKIDFILE long-term" "default profile"
out=$(AWS_PROFILE=prof creds "$T/nokeys.conf" creds)
assert_eq "$out" "shared credentials file (profile prof) AKIDPROF long-term" "AWS_PROFILE"
out=$(AWS_PROFILE=cfgonly creds "$T/nokeys.conf" creds)
assert_eq "$out" "shared config file (profile cfgonly) AKIDPROF long-term" "[profile x] in config"
# ... and requests signed with them pass the fake's check
out=$(AWS_PROFILE=prof creds "$T/nokeys.conf" attr id tag:Class=db)
assert_eq "$out" "i-003 i-003" "signed with a profile's keys"
pass "config, environment, shared files, in that order"

# 4. the instance role, when nothing else has keys
unset AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE
out=$(creds "$T/nokeys.conf" creds 3)
assert_eq "$(echo "$out" | sort -u)" "instance role web-role ASIAROLE0001 temporary" "role credentials cached"
assert_eq "$(fake_stat role_creds)" 1 "role fetched once while far from expiry"
# signed with the role's key and session token (X-Amz-Security-Token)
out=$(creds "$T/nokeys.conf" attr id tag:Class=db)
assert_eq "$out" "i-003 i-003" "signed with role credentials"
# credentials that expire within 5 minutes are renewed before use
fake_post /_fake/imds '{"role_ttl": 200}'
out=$(creds "$T/nokeys.conf" creds 3)
assert_eq "$(echo "$out" | awk '{print $4}' | sort -u | wc -l)" 3 "renewed before expiry: $out"
fake_post /_fake/imds '{"role_ttl": 3600}'
pass "instance role, renewed before expiry"

# No source at all: one clear error naming the chain.
fake_post /_fake/imds '{"role": null}'
out=$("$DFO_AWS" -C "$T/nokeys.conf" creds 2>&1) && fail "no credentials, yet: $out"
assert_contains "$out" "no credentials (not in aws {}, the environment, the shared files for profile default, nor an instance role" "no credentials"
pass "no credentials: clear error"

# Region: config, AWS_REGION, AWS_DEFAULT_REGION, shared config, metadata.
write_conf "$T/noregion.conf" <<C
aws { imds_endpoint = "$FAKE" }
C
assert_eq "$("$DFO_AWS" -C "$T/keys.conf" region)" us-east-1 "region from config"
assert_eq "$(AWS_REGION=ap-south-1 AWS_DEFAULT_REGION=x "$DFO_AWS" -C "$T/noregion.conf" region)" ap-south-1 "AWS_REGION"
assert_eq "$(AWS_DEFAULT_REGION=eu-north-1 "$DFO_AWS" -C "$T/noregion.conf" region)" eu-north-1 "AWS_DEFAULT_REGION"
assert_eq "$(AWS_CONFIG_FILE="$T/config" AWS_PROFILE=cfgonly "$DFO_AWS" -C "$T/noregion.conf" region)" sa-east-1 "profile region"
assert_eq "$("$DFO_AWS" -C "$T/noregion.conf" region)" eu-west-1 "region from metadata"
pass "region sources"

# Secrets never reach the log, even at debug level.
fake_post /_fake/imds '{"role": "web-role"}'
AWS_SESSION_TOKEN=envtoken AWS_ACCESS_KEY_ID=AKIDENV AWS_SECRET_ACCESS_KEY=secretenv \
	"$DFO_AWS" -vv -C "$T/nokeys.conf" creds >"$T/out" 2>"$T/log" || fail "debug run"
"$DFO_AWS" -vv -C "$T/keys.conf" describe-instances >>"$T/out" 2>>"$T/log" || fail "debug run"
"$DFO_AWS" -vv -C "$T/nokeys.conf" describe-instances >>"$T/out" 2>>"$T/log" || fail "debug run"
assert_contains "$(cat "$T/log")" "credentials from" "the source is logged"
for s in secretenv envtoken secrettest rolesecret roletoken; do
	grep -q "$s" "$T/log" "$T/out" && fail "secret $s in the output"
done
pass "no secret in the log"
