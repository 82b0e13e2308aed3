#!/bin/bash
# No AWS at boot: awsdns serves upstream names at once, answers SERVFAIL
# (never a cached NXDOMAIN) for its own names until the index comes, and
# keeps trying AWS.  First with a wrong secret (SignatureDoesNotMatch,
# which must not appear with the secret in the log), then with the EC2
# endpoint unreachable until the fake AWS comes up on its port: the index
# is then served without a restart.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_upstream
write_awsdns_state "$T/state.json"
start_fake_aws "$T/state.json"

# noaws_start NAME: append awsdns (refresh 4, upstream first) to
# $T/NAME.conf and run it, logging to $T/NAME.log; its pid in agent.
noaws_start() {
	cat >>"$T/$1.conf" <<C
responder "vpc" { awsdns {
	listen = {"127.0.0.1:$DNS_PORT"} threads = 2 refresh = 4
	upstream = {"127.0.0.1:$UP_PORT"} domain = "ec2.test"
} }
C
	"$DFO" -f -C "$T/$1.conf" -l info 2>"$T/$1.log" &
	agent=$!
	track $agent
}

# a wrong secret
aws_conf "$T/w.conf"
sed -i 's/secret_access_key = "secrettest"/secret_access_key = "wrongsecret42"/' "$T/w.conf"
cp "$T/w.conf" "$T/base.conf"
DNS_PORT=$(free_dns_port)
noaws_start w
upok() { [ "$(q up-only. A)" = "192.0.2.1" ]; }
wait_for 15 upok || fail "no upstream answer with a wrong secret: $(cat "$T/w.log")"
out=$(qfull web-1.ec2.test A)
assert_eq "$(status_of "$out")" SERVFAIL "an index name before the index"
wait_for 10 grep -q "cannot load the index" "$T/w.log" || fail "the failure is not logged: $(cat "$T/w.log")"
assert_not_contains "$(cat "$T/w.log")" "wrongsecret42" "the secret in the log"
grep "cannot load the index" "$T/w.log" | head -1
kill -0 $agent || fail "the agent died"
kill -TERM $agent
wait $agent

# an unreachable endpoint, reachable later
EP=$(free_port)
aws_conf "$T/u.conf"
sed -i "s|ec2_endpoint = \"[^\"]*\"|ec2_endpoint = \"http://127.0.0.1:$EP\"|" "$T/u.conf"
noaws_start u
wait_for 15 upok || fail "no upstream answer with AWS unreachable: $(cat "$T/u.log")"
assert_eq "$(status_of "$(qfull web-1.ec2.test A)")" SERVFAIL "index name, AWS unreachable"
wait_for 10 grep -q "cannot load the index" "$T/u.log" || fail "not logged"
pid=$(sed -n 's/.*responder vpc (awsdns) started, pid \([0-9]*\).*/\1/p' "$T/u.log" | tail -1)
/usr/bin/python3 "$TOP_SRCDIR/tests/fake/aws.py" --state "$T/state.json" --port "$EP" \
	--port-file "$T/late.port" 2>>"$T/fake-aws.log" &
track $!
served() { [ "$(q web-1.ec2.test A)" = "10.0.1.1" ]; }
wait_for 40 served || fail "the index never came: $(cat "$T/u.log")"
assert_eq "$(q up-only. A)" "192.0.2.1" "upstream still"
pid2=$(sed -n 's/.*responder vpc (awsdns) started, pid \([0-9]*\).*/\1/p' "$T/u.log" | tail -1)
assert_eq "$pid2" "$pid" "the same responder process (no restart)"
grep "instances indexed" "$T/u.log"
pass "no AWS at boot: upstream served at once, the index once AWS answers"
