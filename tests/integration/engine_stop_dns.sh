#!/bin/bash
# SIGTERM inside a slow DNS or AWS call (issue 10 #5b): the agent stops
# within a second at any moment, not when the provider's own timeout or
# retry window runs out.  An RFC 2136 server that never answers (timeout
# 60 s), a Route 53 that throttles every request (retry_time 120 s);
# then withdraw_on_exit against that silent server: bounded by 10 s in
# all, and cut short by a second SIGTERM.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

# A UDP "server" on loopback that counts what it gets and never answers.
/usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
n = 0
while True:
    s.recvfrom(4096)
    n += 1
    open(sys.argv[2], "w").write(str(n))
' "$T/udp.port" "$T/udp.count" &
track $!
wait_for 5 test -s "$T/udp.port" || fail "no silent server"
PORT=$(cat "$T/udp.port")

conf() { # dns section, withdraw_on_exit
	cat <<C
plugin_dir = "$P"
$1
ipsource "me" { static { address = "127.0.0.2" } }
check "f" { fault { state_dir = "$D" } }
timer "t" { tick { interval = 1 timeout = 1 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "d" ipsource = "me" check = "f"
             timer = "t" withdraw_on_exit = $2 }
C
}
# SIGTERM the agent; sets took to the ms from SIGTERM to its exit.
stop_agent() {
	local t0 i
	t0=$(now_ms)
	kill -TERM $agent
	for ((i = 0; i < 400; i++)); do kill -0 $agent 2>/dev/null || break; sleep 0.05; done
	kill -0 $agent 2>/dev/null && fail "SIGTERM not honoured in 20 s"
	wait $agent
	assert_eq "$?" 0 "exit status"
	took=$(($(now_ms) - t0))
}
waiting_udp() { [ "$(cat "$T/udp.count" 2>/dev/null || echo 0)" -ge "$1" ]; }

RFC="dns \"d\" { rfc2136 { server = \"127.0.0.1:$PORT\" zone = \"example.test\" timeout = 60 } }"

# 1. Inside a 60 s RFC 2136 wait.
conf "$RFC" false >"$T/a.conf"
start_agent a "$T/a.conf"
agent=$AGENT_PID
wait_for 10 waiting_udp 1 || fail "the round did not ask the server"
sleep 0.3
stop_agent
echo "rfc2136, server silent: stopped $took ms after SIGTERM"
[ "$took" -lt 3000 ] || fail "SIGTERM inside an rfc2136 request took $took ms (must be ~1 s; 3 s on a loaded machine)"
assert_contains "$(cat "$T/a.log")" "interrupted: stopping" "log"

# 2. Inside Route 53's retry window (every request throttled).
. "$TOP_SRCDIR/tests/lib/aws.sh"
write_state "$T/aws.json"
start_fake_aws "$T/aws.json" --fault route53:Throttling:100000
aws="aws { region = \"us-east-1\" access_key_id = \"AKIDTEST\" secret_access_key = \"secrettest\"
      route53_endpoint = \"$FAKE\" timeout = 30 max_retries = 20 retry_time = 120 }"
conf "$aws
dns \"d\" { route53 { zone_id = \"Z1\" } }" false >"$T/b.conf"
start_agent b "$T/b.conf"
agent=$AGENT_PID
throttled() { [ "$(fake_stat faults)" -ge 3 ]; }
wait_for 20 throttled || fail "Route 53 was not asked"
stop_agent
echo "route53, throttled: stopped $took ms after SIGTERM"
[ "$took" -lt 3000 ] || fail "SIGTERM in Route 53's retry window took $took ms"
assert_contains "$(cat "$T/b.log")" "interrupted: stopping" "log"

# 3. withdraw_on_exit against the silent server: at most 10 s in all.
echo 0 >"$T/udp.count"
conf "$RFC" true >"$T/c.conf"
start_agent c "$T/c.conf"
agent=$AGENT_PID
wait_for 10 waiting_udp 1 || fail "the round did not ask the server"
stop_agent
echo "withdraw_on_exit, server silent: stopped $took ms after SIGTERM"
[ "$took" -ge 9000 ] && [ "$took" -lt 14000 ] ||
	fail "withdraw_on_exit took $took ms (bound: 10 s)"
waiting_udp 2 || fail "no withdraw attempt"

# 4. ... and a second SIGTERM ends it at once.
echo 0 >"$T/udp.count"
start_agent d "$T/c.conf"
agent=$AGENT_PID
wait_for 10 waiting_udp 1 || fail "the round did not ask the server"
kill -TERM $agent
wait_for 5 waiting_udp 2 || fail "no withdraw attempt"
sleep 0.2
stop_agent
echo "second SIGTERM during withdraw_on_exit: stopped $took ms after it"
[ "$took" -lt 3000 ] || fail "a second SIGTERM took $took ms"
pass "SIGTERM inside rfc2136 and Route 53 calls and during withdraw_on_exit is bounded"
