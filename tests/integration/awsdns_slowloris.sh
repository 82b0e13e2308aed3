#!/bin/bash
# TCP slowloris against awsdns (RFC 7766 section 6.2): 300 connections,
# each sending one byte every 4 s (and opened again when closed), more
# than its workers hold (2 x 128).  Every new TCP query must still be
# answered: a message has to arrive whole within a deadline, and with
# every slot taken a new connection closes the one quiet the longest,
# not itself.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_vpc

cat >"$T/slow.py" <<'PY'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
conns = []
def opened():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", port))
        s.send(b"\x00")
    except OSError:
        s.close()
        return None
    return s
end = time.monotonic() + secs
for i in range(300):
    conns.append(opened())
print("open", sum(c is not None for c in conns), flush=True)
while time.monotonic() < end:
    time.sleep(4)
    for i, c in enumerate(conns):
        try:
            if c is None:
                raise OSError
            c.send(b"\x20")
        except OSError:
            if c:
                c.close()
            conns[i] = opened()
PY
/usr/bin/python3 "$T/slow.py" "$DNS_PORT" 24 >"$T/slow.out" 2>&1 &
slow=$!
track $slow
wait_for 20 grep -q open "$T/slow.out" || fail "the slow clients did not start"
sleep 2
ok=0 bad=0
for i in $(seq 1 20); do
	out=$(dig +tcp +time=3 +tries=1 -p "$DNS_PORT" @127.0.0.1 web-1.ec2.test. A 2>&1)
	if grep -q "10.0.1.1" <<<"$out"; then
		ok=$((ok + 1))
	else
		bad=$((bad + 1))
		echo "query $i: $(grep -v '^;' <<<"$out" | head -3)"
	fi
	sleep 0.5
done
kill -0 $slow 2>/dev/null || fail "the slow clients ended early: $(cat "$T/slow.out")"
wait $slow
echo "$(cat "$T/slow.out"); answered $ok of 20 TCP queries"
assert_eq "$bad" 0 "TCP queries not answered under 300 slow connections"
pass "300 slow TCP connections: every new TCP query answered ($ok of 20)"
