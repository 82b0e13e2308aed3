#!/bin/bash
# check "tcp": a listening port, a refused one, a silent one (SYNs
# dropped inside a network namespace: the check ends at the deadline),
# banners that match and do not, send + expect, IPv4 and IPv6.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/check.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip "needs $PY"

# Servers on 127.0.0.1 and ::1 (same port):
#   banner: sends "SSH-2.0-dfotest" and closes;
#   echo:   answers "pong <line>" to the first line it reads;
#   mute:   accepts and says nothing.
$PY - "$T/ports" <<'PY' &
import socket, sys, threading, time

def serve(sock, handle):
    while True:
        c, _ = sock.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()

def banner(c):
    c.sendall(b"SSH-2.0-dfotest\r\n"); c.close()

def echo(c):
    data = b""
    while b"\n" not in data:
        d = c.recv(100)
        if not d: break
        data += d
    c.sendall(b"pong " + data); c.close()

def mute(c):
    time.sleep(60)

ports = []
for handle in (banner, echo, mute):
    for _ in range(20):
        s4 = socket.socket(); s4.bind(("127.0.0.1", 0)); s4.listen(8)
        port = s4.getsockname()[1]
        s6 = socket.socket(socket.AF_INET6)
        try:
            s6.bind(("::1", port)); s6.listen(8); break
        except OSError:
            s4.close(); s6.close()
    for s in (s4, s6):
        threading.Thread(target=serve, args=(s, handle), daemon=True).start()
    ports.append(str(port))
with open(sys.argv[1] + ".tmp", "w") as f: f.write(" ".join(ports) + "\n")
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True: time.sleep(60)
PY
track $!
for ((i = 0; i < 100; i++)); do [ -s "$T/ports" ] && break; sleep 0.05; done
read -r BANNER ECHO MUTE <"$T/ports" || fail "test servers did not start"
CLOSED=$(free_port)

write_conf "$CONF" <<C
check "open"     { tcp { port = $BANNER } }
check "closed"   { tcp { port = $CLOSED } }
check "ssh"      { tcp { port = $BANNER expect = "SSH-2.0" } }
check "smtp"     { tcp { port = $BANNER expect = "220 " } }
check "ping"     { tcp { port = $ECHO send = "ping\n" expect = "pong ping" } }
check "pingbad"  { tcp { port = $ECHO send = "ping\n" expect = "PONG" } }
check "mute"     { tcp { port = $MUTE expect = "SSH-2.0" } }
check "silent"   { tcp { port = 80 } }
C

for a in 127.0.0.1 ::1; do
	healthy open $a
	unhealthy closed $a -- "connect to port $CLOSED: Connection refused"
	healthy ssh $a
	unhealthy smtp $a -- 'expected "220 ", got "SSH-2.0-dfotest.." then EOF'
	healthy ping $a
	unhealthy pingbad $a -- 'expected "PONG", got "pong ping." then EOF'
done

# Connected, but the expected banner never comes: killed at the deadline.
TIMEOUT=1 unhealthy mute 127.0.0.1 -- "timeout: timed out after 1 s"
((ms >= 900 && ms < 2500)) || fail "mute check took $ms ms, want about 1000"

# Silent: from namespace $ns, 192.0.2.2 and 2001:db8::2 are reached
# through a veth pair whose far end, in namespace $far, has neither
# address and does not forward: SYNs go out (the neighbour entries are
# static) and are dropped there without an answer.
need_root
ns=$(make_netns tcp) || skip "cannot create a network namespace"
far=$(make_netns far) || skip "cannot create a network namespace"
ip -n "$ns" link add v0 type veth peer name v1 netns "$far" || skip "no veth"
ip -n "$ns" addr add 192.0.2.1/24 dev v0
ip -n "$ns" addr add 2001:db8::1/64 dev v0 nodad
ip -n "$ns" link set v0 up
ip -n "$far" link set v1 up
mac=$(ip netns exec "$far" cat /sys/class/net/v1/address)
ip -n "$ns" neigh replace 192.0.2.2 lladdr "$mac" dev v0 nud permanent
ip -n "$ns" neigh replace 2001:db8::2 lladdr "$mac" dev v0 nud permanent
for a in 192.0.2.2 2001:db8::2; do
	RUN_IN="ip netns exec $ns" TIMEOUT=1 unhealthy silent $a -- "timeout: timed out after 1 s"
	((ms >= 900 && ms < 2500)) || fail "silent check took $ms ms, want about 1000"
done
# The SYNs did reach the far end (and went no further).
rx=$(ip netns exec "$far" cat /sys/class/net/v1/statistics/rx_packets)
((rx >= 2)) || fail "far end received $rx packets, want the SYNs"
# And nothing of the check is left running in the namespace.
[ -z "$(ip netns pids "$ns")" ] || fail "processes left in $ns: $(ip netns pids "$ns")"

# Config errors.
rejected "empty expect" "expect must not be empty" <<<'check "b" { tcp { port = 1 expect = "" } }'
rejected "missing port" "option 'port' is required" <<<'check "b" { tcp { send = "x" } }'
pass "check tcp"
