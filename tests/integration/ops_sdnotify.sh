#!/bin/bash
# systemd's notify protocol against a fake NOTIFY_SOCKET: READY=1 once
# the config is loaded (and the responders up), WATCHDOG=1 at least
# every half of WATCHDOG_USEC from the main loop, RELOADING=1 then
# READY=1 around SIGHUP (also when the new config is rejected),
# STOPPING=1 on SIGTERM.  Checks and notify programs do not see the
# variables.
. "$TOP_SRCDIR/tests/lib/common.sh"

port=$(free_port)
H=$T/hosts
F=www.example.test
: >"$H"
listen_tcp 127.0.0.2 "$port"
cat >"$T/env" <<'S'
#!/bin/sh
env >"$1"
S
chmod +x "$T/env"
write_conf "$T/a.conf" <<C
notify = {"$T/env", "$T/notify-env"}
$(hosts_pool 127.0.0.2 "tcp { port = $port }" "interval = 5 timeout = 0.3 retries = 1")
C
cp "$T/a.conf" "$T/good.conf"

# The fake systemd: a datagram socket logging what arrives, with times.
/usr/bin/python3 - "$T/notify.sock" "$T/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
t0 = time.monotonic()
with open(sys.argv[2], "a", buffering=1) as log:
    while True:
        msg = s.recv(4096).decode()
        for line in msg.split("\n"):
            log.write("%.3f %s\n" % (time.monotonic() - t0, line))
PY
track $!
wait_for 5 test -S "$T/notify.sock" || fail "fake notify socket"

NOTIFY_SOCKET=$T/notify.sock WATCHDOG_USEC=400000 start_agent a "$T/a.conf"
wait_for 5 grep -q " READY=1" "$T/notify.log" || fail "no READY=1: $(cat "$T/a.log")"
# Idle between rounds (5 s interval): the watchdog still gets pinged.
sleep 1.5
n=$(grep -c " WATCHDOG=1" "$T/notify.log")
[ "$n" -ge 4 ] || fail "only $n WATCHDOG=1 in 1.5 s with WATCHDOG_USEC=400000"
# Longest gap between two pings (or READY and the first).
gap=$(awk '/ (READY|WATCHDOG)=1/ { if (p != "") { d = $1 - p; if (d > m) m = d } p = $1 } END { print m }' "$T/notify.log")
awk -v g="$gap" 'BEGIN { exit !(g < 0.4) }' || fail "watchdog gap $gap s >= WATCHDOG_USEC"

kill -HUP "$AGENT_PID"
wait_for 5 grep -q "configuration reloaded" "$T/a.log" || fail "no reload"
wait_for 2 sh -c "grep -A9 ' RELOADING=1' '$T/notify.log' | grep -q ' READY=1'" ||
	fail "no RELOADING=1 then READY=1: $(cat "$T/notify.log")"
# A rejected config: READY=1 all the same (the old one runs).
echo "bogus = 1" >>"$T/a.conf"
kill -HUP "$AGENT_PID"
wait_for 5 grep -q "new configuration rejected" "$T/a.log" || fail "bad config not rejected"
wait_for 2 sh -c "[ \$(grep -c ' READY=1' '$T/notify.log') -ge 3 ]" ||
	fail "no READY=1 after a rejected reload: $(cat "$T/notify.log")"

# Children never see the variables.
wait_for 5 test -s "$T/notify-env" || fail "notify program not run"
grep -E "^(NOTIFY_SOCKET|WATCHDOG_USEC|WATCHDOG_PID)=" "$T/notify-env" &&
	fail "notify program saw systemd's variables"

kill -TERM "$AGENT_PID"
wait "$AGENT_PID"
rc=$?
assert_eq "$rc" 0 "exit status"
grep -q " STOPPING=1" "$T/notify.log" || fail "no STOPPING=1"
echo "--- notifications (first 12):"
head -12 "$T/notify.log"
echo "watchdog pings in 1.5 s idle: $n, longest gap ${gap} s"
pass "READY, WATCHDOG, RELOADING/READY and STOPPING arrive"
