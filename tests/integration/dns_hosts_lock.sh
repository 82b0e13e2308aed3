#!/bin/bash
# Every wait for the hosts file's lock is bounded (issue 10, defect 5a):
# with `flock FILE.lock sleep 60` beside it, --try gives up after
# lock_timeout (default 10 s) with a clear message, and a running agent waiting for the
# lock still stops at once on SIGTERM.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd flock timeout

H=$T/hosts
printf '127.0.0.1 localhost\n' >"$H"
cp "$H" "$T/orig"
flock "$H.lock" sleep 60 &
track $!
wait_for 5 test -e "$H.lock" || fail "flock did not start"
sleep 0.2

write_conf "$T/c.conf" <<C
dns "h" { hosts { file = "$H" } }
C
t0=$(now_ms)
out=$(timeout 30 "$DFO" -C "$T/c.conf" --try dns/h add www.example.test 192.0.2.1 2>&1)
rc=$?
ms=$(($(now_ms) - t0))
[ $rc = 124 ] && fail "--try waited for the lock without a bound"
[ $rc = 1 ] || fail "--try add under a held lock: exit $rc: $out"
assert_contains "$out" "hosts.lock: still locked by another process after 10 s" "--try message"
[ $ms -ge 9900 ] && [ $ms -lt 15000 ] || fail "--try gave up after $ms ms, not ~10000"
cmp "$T/orig" "$H" || fail "file changed under another's lock"
pass "--try gives up after lock_timeout ($ms ms): $out"

# An agent that must add its record waits for the lock (a long
# lock_timeout); SIGTERM stops it at once.
write_conf "$T/a.conf" <<C
dns "h" { hosts { file = "$H" lock_timeout = 30 } }
ipsource "me" { static { address = "127.0.0.2" } }
check "c" { tcp { port = 1 } }
timer "t" { tick { interval = 1 timeout = 0.5 retries = 1 } }
pool "p" { fqdn = {"www.example.test"} dns = "h" ipsource = "me" check = "c"
           timer = "t" on_self_failure = "withdraw" }
C
# The self-check must pass for the agent to add itself.
port=$(free_port)
sed -i "s/port = 1/port = $port/" "$T/a.conf"
listen_tcp 127.0.0.2 "$port"
start_agent a "$T/a.conf"
pid=$AGENT_PID
# The default rise is 2: the add is tried in the second round.
sleep 3.5
kill -0 $pid 2>/dev/null || fail "agent died: $(cat "$T/a.log")"
t0=$(now_ms)
kill -TERM $pid
for ((i = 0; i < 100; i++)); do kill -0 $pid 2>/dev/null || break; sleep 0.05; done
ms=$(($(now_ms) - t0))
kill -0 $pid 2>/dev/null && fail "agent waiting for the lock ignores SIGTERM (log: $(cat "$T/a.log"))"
[ $ms -lt 1500 ] || fail "agent took $ms ms to stop"
assert_contains "$(cat "$T/a.log")" "gave up waiting for the lock" "agent was waiting for the lock"
cmp "$T/orig" "$H" || fail "file changed under another's lock"
pass "agent waiting for the lock stopped $ms ms after SIGTERM"
