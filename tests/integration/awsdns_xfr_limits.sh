#!/bin/bash
# awsdns's zone transfers cannot be held by a stalled secondary (issue
# 23): with transfer_timeout = 3 and transfer_max = 2,
#
# - two secondaries ask an AXFR of a zone larger than the socket buffers
#   can hold (20,000 instances, about 600 KB) and stall: one never reads,
#   one reads a byte a second (each with a 4 KiB receive buffer);
# - while they hold both transfers, queries are answered (UDP and TCP)
#   and a third transfer is refused at once (REFUSED, logged with
#   "transfer_max");
# - each stalled transfer is cut at its deadline: awsdns logs it "not
#   finished" after transfer_timeout (3 s; bounded above by 3 s + 20 s of
#   a loaded machine), and a transfer asked afterwards, the two stalled
#   clients still connected, gets the whole zone.  Without the deadline
#   the two would hold both places for as long as they stay connected
#   (60 s here) and the last transfer would be refused.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

N=20000
write_awsdns_state "$T/state.json"
start_fake_aws "$T/state.json" --instances $N
# (start_awsdns's 10 s are short for 20,000 instances on a loaded machine)
DNS_PORT=$(free_dns_port)
aws_conf "$T/a.conf"
cat >>"$T/a.conf" <<C
responder "vpc" { awsdns {
	listen = {"127.0.0.1:$DNS_PORT"} threads = 2 upstream = {}
	domain = "ec2.test" refresh = 3600
	ns = {"ns1.example.net"}
	transfer_allow = {"127.0.0.1"}
	transfer_timeout = 3
	transfer_max = 2
} }
C
"$DFO" -f -C "$T/a.conf" -l info 2>"$T/a.log" &
AWSDNS_PID=$!
track $AWSDNS_PID
last=$(printf "host-%06d.ec2.test" $((N - 1)))
a=$((65536 + N - 1))
last_ip="10.$((a >> 16)).$(((a >> 8) & 255)).$((a & 255))"
served() { [ "$(q "$last" A)" = "$last_ip" ]; }
wait_for 90 served || fail "awsdns does not serve the $N instances in 90 s: $(tail -5 "$T/a.log")"

# stall MODE: (STALL_PID) ask an AXFR of ec2.test over TCP, 4 KiB receive buffer, then
# "never" read or read one byte a "trickle"; stays connected 60 s at most
# (or until awsdns closes); writes "bytes seconds" to $T/MODE.out when
# it ends.
stall() {
	/usr/bin/python3 - "$DNS_PORT" "$1" >"$T/$1.out" 2>&1 <<'PY' &
import socket, struct, sys, time
port, mode = int(sys.argv[1]), sys.argv[2]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
# a small MSS: the kernel sizes awsdns's send buffer by it (on loopback,
# 64 KiB segments would let it grow to hold the whole zone)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_MAXSEG, 536)
s.connect(("127.0.0.1", port))
q = struct.pack(">HHHHHH", 0x1234, 0, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l for l in b"ec2.test".split(b".")) + b"\0"
q += struct.pack(">HH", 252, 1)
s.sendall(struct.pack(">H", len(q)) + q)
t0, got = time.monotonic(), 0
while time.monotonic() - t0 < 60:
    if mode == "never":
        time.sleep(0.5)
        continue
    s.settimeout(2)
    try:
        b = s.recv(1)
    except socket.timeout:
        continue
    except OSError:
        break
    if not b:
        break
    got += 1
    time.sleep(1)
print(got, round(time.monotonic() - t0, 1))
PY
	STALL_PID=$!
	track $STALL_PID
}
axfr() { dig +norec +time=5 +tries=1 -p "$DNS_PORT" @127.0.0.1 ec2.test AXFR 2>&1; }
cut_lines() { grep -c "AXFR of ec2.test serial [0-9]* to 127.0.0.1: whole, .*not finished" "$T/a.log"; }

# the zone is larger than what the sockets hold: an AXFR read at once
out=$(axfr)
records=$(sed -n 's/^;; XFR size: \([0-9]*\) records.*/\1/p' <<<"$out")
[ "${records:-0}" -gt $N ] || fail "a whole AXFR first: ${records:-0} records: $(tail -3 <<<"$out")"
bytes=$(sed -n 's/.*bytes \([0-9]*\)).*/\1/p' <<<"$out")
[ "${bytes:-0}" -gt 500000 ] || fail "the zone is only ${bytes:-0} bytes"

t0=$(now_ms)
stall never
p1=$STALL_PID
stall trickle
# both transfers started (awsdns logs a transfer when it ends: wait for
# the kernel to show the two connections established to the port)
conns() { [ "$(ss -Htn state established "( sport = :$DNS_PORT )" | wc -l)" -ge 2 ]; }
wait_for 10 conns || fail "the stalled clients did not connect"
sleep 0.5

# ---- while stalled: queries answered, a third transfer refused ----
assert_eq "$(q web-1.ec2.test A)" "10.0.1.1" "a UDP query during the stall"
assert_eq "$(q +tcp host-000007.ec2.test A)" "10.1.0.7" "a TCP query during the stall"
out=$(axfr)
el=$(($(now_ms) - t0))
if [ "$el" -lt 3000 ]; then
	# only meaningful while both are surely still held
	assert_contains "$out" "Transfer failed" "a third transfer while two are held"
	grep -q "a transfer refused: 2 running (transfer_max)" "$T/a.log" ||
		fail "the refusal is not logged: $(tail -3 "$T/a.log")"
	pass "with transfer_max transfers held, one more is refused at once; queries answered"
else
	echo "# the machine is too slow to ask a third transfer within the deadline ($el ms): not checked"
fi

# ---- each stalled transfer cut at the deadline ----
both_cut() { [ "$(cut_lines)" -ge 2 ]; }
wait_for 40 both_cut ||
	fail "the stalled transfers were not cut within 40 s: $(grep 'XFR' "$T/a.log" | tail -5)"
cut_ms=$(($(now_ms) - t0))
grep "not finished" "$T/a.log" | while read -r line; do
	s=$(sed -n 's/.*bytes, \([0-9.]*\) s: not finished.*/\1/p' <<<"$line")
	awk -v s="$s" 'BEGIN { exit !(s >= 2.9 && s <= 23) }' ||
		fail "a stalled transfer cut after $s s (transfer_timeout 3): $line"
	echo "# cut after $s s: $line"
done || exit 1
# the two stalled clients are still connected (60 s): the places are free
kill -0 "$p1" 2>/dev/null || fail "the client that never reads has left ($cut_ms ms)"
out=$(axfr)
assert_contains "$out" "XFR size: $records records" "a transfer after the stalled ones were cut"
pass "stalled transfers (never read; a byte a second) cut at transfer_timeout; the places freed"
kill -0 $AWSDNS_PID || fail "dnsfailover died"
