#!/bin/bash
# More than 256 instances (issue 10, defect 6): the daemon starts with
# the modules of all of them, as -t says it should.
. "$TOP_SRCDIR/tests/lib/common.sh"

{
	echo "dns \"h\" { hosts { file = \"$T/hosts\" } }"
	echo "ipsource \"me\" { static { address = \"127.0.0.2\" } }"
	for i in $(seq 1 300); do echo "check \"c$i\" { tcp { port = 1 } }"; done
	echo "timer \"t\" { tick { interval = 0.5 } }"
	echo "pool \"p\" { fqdn = {\"www.example.test\"} dns = \"h\" ipsource = \"me\" check = \"c300\" timer = \"t\" }"
} | write_conf "$T/c.conf"
out=$("$DFO" -C "$T/c.conf" -t 2>&1) || fail "-t: $out"
assert_contains "$out" "303 instance(s)" "-t"
echo "status_file = \"$T/status\"" >>"$T/c.conf"
start_agent a "$T/c.conf"
wait_for 10 test -s "$T/status" || fail "daemon did not run a round: $(cat "$T/a.log")"
kill -0 $AGENT_PID 2>/dev/null || fail "daemon exited: $(cat "$T/a.log")"
assert_not_contains "$(cat "$T/a.log")" "error" "log"
kill -TERM $AGENT_PID
wait $AGENT_PID
assert_eq "$?" 0 "exit status"
pass "303 instances: the daemon starts and runs rounds"
