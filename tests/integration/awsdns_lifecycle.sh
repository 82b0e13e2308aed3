#!/bin/bash
# awsdns under the core's responder contract (ABI 2), in a config with no
# pool (dnsfailover is then just awsdns): ready is reported once the
# index is loaded; SIGHUP with its section unchanged keeps the same
# process (and sockets); a changed section (ttl) gets a new process that
# serves the new ttl; SIGTERM stops it within a second.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_vpc "ttl = 45"
agent=$AWSDNS_PID
log=$(cat "$T/a.log")
assert_contains "$log" "0 pool(s)" "a config of one responder and no pool"
wait_for 5 grep -q "responder vpc ready" "$T/a.log" || fail "no readiness logged"
child() { sed -n 's/.*responder vpc (awsdns) started, pid \([0-9]*\).*/\1/p' "$T/a.log" | tail -1; }
pid1=$(child)
assert_contains "$(qfull web-1.ec2.test A)" "45	IN	A	10.0.1.1" "ttl 45"

# SIGHUP, section unchanged: same process
kill -HUP $agent
sleep 1.5
assert_eq "$(child)" "$pid1" "unchanged section: same responder process"
kill -0 "$pid1" || fail "responder gone after an unchanged reload"
assert_eq "$(q web-1.ec2.test A)" "10.0.1.1" "serving after an unchanged reload"

# SIGHUP, section changed: a new process with the new ttl
sed -i 's/ttl = 45/ttl = 33/' "$T/a.conf"
kill -HUP $agent
newpid() { [ "$(child)" != "$pid1" ]; }
wait_for 10 newpid || fail "changed section: no new responder"
ttl33() { qfull web-1.ec2.test A | grep -q "33	IN	A	10.0.1.1"; }
wait_for 10 ttl33 || fail "new ttl not served"
# make before break: the old one stops once the new one is ready
old_gone() { [ ! -e /proc/$pid1 ]; }
wait_for 10 old_gone || fail "old responder $pid1 still running"
pid2=$(child)

# SIGTERM: everything stops, quickly
stop_timed $agent
ms=$STOP_MS
assert_eq "$STOP_RC" 0 "exit status"
[ -e /proc/$pid2 ] && fail "responder $pid2 still running"
echo "stopped in $ms ms"
[ "$ms" -lt 2500 ] || fail "stop took $ms ms"
pass "ready after loading, reload keeps or restarts as due, SIGTERM stops in $ms ms"
