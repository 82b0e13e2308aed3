#!/bin/bash
# A SIGHUP that changes awsdns's section is made before it is broken: the
# new process loads its index beside the old one (AWS slow: 6 s) as
# nobody with only CAP_NET_BIND_SERVICE, and the old one serves until the
# new one is ready; a probe every 0.2 s must never go unanswered.  Then a
# change whose new process cannot load (AWS failing): the old one keeps
# serving, the failure is logged, and once AWS answers again the new one
# takes over.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_nobody
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_vpc "ttl = 45 user = \"nobody\""
agent=$AWSDNS_PID
wait_for 10 grep -q "responder vpc ready" "$T/a.log" || fail "not ready"
child() { sed -n 's/.*responder vpc (awsdns) started, pid \([0-9]*\).*/\1/p' "$T/a.log" | tail -1; }
pid1=$(child)

# probes: every answer must come (10.0.1.1), whatever its TTL
probe() {
	: >"$T/probes"
	while [ ! -e "$T/stop-probes" ]; do
		if dig +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 web-1.ec2.test. A |
			grep -q "IN	A	10.0.1.1"; then
			echo ok >>"$T/probes"
		else
			echo lost >>"$T/probes"
		fi
		sleep 0.2
	done
}
probe &
prober=$!
track $prober

# 1. slow AWS: the new one loads beside the old one
fake_post /_fake/fault '{"service": "ec2", "kind": "slow", "count": 3, "delay": 4}'
sed -i 's/ttl = 45/ttl = 33/' "$T/a.conf"
kill -HUP $agent
newpid() { [ "$(child)" != "$pid1" ]; }
wait_for 10 newpid || fail "no new process: $(cat "$T/a.log")"
pid2=$(child)
sleep 2
kill -0 "$pid1" || fail "the old process stopped before the new one was ready"
st=$(cat /proc/$pid2/status)
assert_eq "$(awk '/^Uid:/ {print $2, $3, $4, $5}' <<<"$st")" "$(id -u nobody) $(id -u nobody) $(id -u nobody) $(id -u nobody)" "new process's uid while loading"
assert_eq "$(awk '/^CapEff:/ {print $2}' <<<"$st")" "0000000000000400" "only CAP_NET_BIND_SERVICE while loading ($(grep CapPrm <<<"$st"); $(tail -n 8 "$T/a.log"))"
ttl33() { qfull web-1.ec2.test A | grep -q "33	IN	A	10.0.1.1"; }
wait_for 40 ttl33 || fail "new ttl not served: $(cat "$T/a.log")"
wait_for 10 grep -q "the previous one (pid $pid1) stopped" "$T/a.log" || fail "old not stopped"
[ -e /proc/$pid1 ] && fail "old responder $pid1 still running"
assert_eq "$(awk '/^CapEff:/ {print $2}' /proc/$pid2/status)" "0000000000000000" "capabilities after binding"
n1=$(grep -c ok "$T/probes")
assert_eq "$(grep -c lost "$T/probes")" 0 "probes lost during the make-before-break reload ($n1 answered)"

# 2. the new one cannot load: the old one keeps serving
fake_post /_fake/fault '{"service": "ec2", "kind": "500", "count": 1000}'
sed -i 's/ttl = 33/ttl = 22/' "$T/a.conf"
kill -HUP $agent
wait_for 30 grep -q "failed before it was ready; the previous one (pid $pid2) keeps serving" "$T/a.log" ||
	fail "the failed load is not logged: $(tail -n 20 "$T/a.log")"
grep "cannot load the index" "$T/a.log" | tail -1
kill -0 "$pid2" || fail "the old process stopped although the new one failed"
assert_contains "$(qfull web-1.ec2.test A)" "IN	A	10.0.1.1" "old one serving"
curl -sf -X POST "$FAKE/_fake/clear" >/dev/null
ttl22() { qfull web-1.ec2.test A | grep -q "22	IN	A	10.0.1.1"; }
wait_for 40 ttl22 || fail "the new section never took over: $(tail -n 20 "$T/a.log")"
touch "$T/stop-probes"
wait $prober
n=$(grep -c ok "$T/probes")
assert_eq "$(grep -c lost "$T/probes")" 0 "probes lost ($n answered)"
pass "make before break: $n probes, none lost, over a slow and a failing reload"
