#!/bin/bash
# dnsfailover --status with only a responder (issue 21 #15): each
# responder's state, index size and age and last refresh error; exit 1
# when it does not serve (a failing refresh still serves the last index;
# a dead agent does not); and no AWS secret needed in --status's
# environment.  It said "no pools" and exited 0, even with the agent dead.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

write_awsdns_state "$T/state.json"
start_fake_aws "$T/state.json"
DNS_PORT=$(free_dns_port)
# the secret from the environment, as the README says to keep it
cat >"$T/s.conf" <<C
status_file = "$T/status.json"
aws { region = "us-east-1" access_key_id = "AKIDTEST"
      secret_access_key = "\${AWS_SECRET_ACCESS_KEY}"
      ec2_endpoint = "$FAKE" route53_endpoint = "$FAKE" imds_endpoint = "$FAKE"
      timeout = 2 max_retries = 0 retry_time = 2 }
responder "vpc" { awsdns {
	listen = {"127.0.0.1:$DNS_PORT"}
	threads = 1
	refresh = 1
} }
C
AWS_SECRET_ACCESS_KEY=secrettest "$DFO" -f -C "$T/s.conf" 2>"$T/s.log" &
agent=$!
track $agent
status() { env -u AWS_SECRET_ACCESS_KEY -u AWS_ACCESS_KEY_ID "$DFO" -C "$T/s.conf" --status; }
# until_status PATTERN: --status shows it (each try loads every plugin:
# at most 60 tries, half a second apart)
until_status() {
	local i
	for ((i = 0; i < 60; i++)); do
		status 2>/dev/null | grep -q "$1" && return 0
		sleep 0.5
	done
	return 1
}

until_status 'vpc (awsdns): serving' ||
	fail "--status never showed the responder serving: $(status 2>&1; tail -5 "$T/s.log")"
out=$(status 2>&1)
assert_eq "$?" 0 "serving: exit 0 (without the secret in --status's environment)"
assert_not_contains "$out" "no pools" "not 'no pools'"
assert_contains "$out" "responder vpc (awsdns): serving" "state"
assert_contains "$out" "index:        67 item(s), loaded " "index size"
assert_contains "$out" " s ago)" "index age"
assert_contains "$out" "last refresh: ok" "no refresh error"
assert_contains "$(cat "$T/status.json")" '"provider": "awsdns"' "in the status file"
pass "--status shows the responder serving"

# refreshes fail: still serving the last index, the error shown
fake_post /_fake/fault '{"service": "ec2", "kind": "503", "count": 100000}'
until_status 'last refresh: ec2 .*ServiceUnavailable' ||
	fail "no refresh error shown: $(status 2>&1)"
out=$(status 2>&1)
assert_eq "$?" 0 "a failing refresh still serves: exit 0"
assert_contains "$out" "index:        67 item(s)" "the last index still counted"
assert_not_contains "$out" "secrettest" "no secret in --status"
fake_post /_fake/clear '{}'
pass "--status shows the last refresh error"

# the agent dies: not serving, exit 1
kill -KILL "$agent"
wait "$agent" 2>/dev/null
out=$(status 2>&1) && fail "--status exit 0 with the agent dead: $out"
assert_contains "$out" "is not running  <- not serving" "the dead agent said"
pass "--status exits non-zero when the agent is dead"
