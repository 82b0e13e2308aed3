#!/bin/bash
# Detection-to-removal on BIND through dns "rfc2136": N agents (default 5,
# 127.0.0.40...) share one name at a 1 s interval; one server at a time
# hangs (SIGSTOP: connections are accepted by the kernel, no answer comes,
# so each check costs its whole timeout) or dies (killed: refused at once);
# the time from that moment to its record leaving the zone, read from named
# 50 times a second, is printed against the bound interval + timeout x
# retries + 0.2 s.  Runs on loopback, no root needed.  See bench/README.md.
#   N=5 ROUNDS=10 INTERVAL=1 TIMEOUT=0.5 RETRIES=2 BUILD=build bash bench/rfc2136.sh
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
BUILD=${BUILD:-$top/build}
N=${N:-5}
ROUNDS=${ROUNDS:-10}
INTERVAL=${INTERVAL:-1}
TIMEOUT=${TIMEOUT:-0.5}
RETRIES=${RETRIES:-2}
export DFO=$BUILD/dnsfailover DFO_PLUGINS=$BUILD/plugins/.libs TOP_SRCDIR=$top
[ -x "$DFO" ] || { echo "rfc2136.sh: build first (no $DFO)" >&2; exit 1; }
command -v named >/dev/null || { echo "rfc2136.sh: needs named (bind9)" >&2; exit 1; }
. "$top/tests/lib/common.sh"
. "$top/tests/lib/dnsserver.sh"

Z=bench.test
F=www.$Z
dns_key hmac-sha256
start_named "$T/ns" "$Z" || fail "named does not start"
port=$(free_port)
export DFO_TEST_TSIG=$DNS_KEY_SECRET
for i in $(seq 0 $((N - 1))); do
	a=127.0.0.$((40 + i))
	write_conf "$T/$a.conf" <<C
dns "zone" { rfc2136 { server = "$DNS_ADDR:$DNS_PORT" zone = "$Z"
	key_name = "$DNS_KEY_NAME" key_secret = "\${DFO_TEST_TSIG}" timeout = 1 } }
ipsource "me" { static { address = "$a" } }
check "svc" { tcp { port = $port expect = "OK" } }
timer "1s" { tick { interval = $INTERVAL timeout = $TIMEOUT retries = $RETRIES } }
pool "www" { fqdn = {"$F"} dns = "zone" ipsource = "me" check = "svc"
             timer = "1s" rise = 1 fall = 1 }
C
done

/usr/bin/python3 - "$T" "$DNS_PORT" "$port" "$N" "$ROUNDS" "$DFO" "$INTERVAL" "$TIMEOUT" "$RETRIES" "$F" <<'PY'
import os, random, signal, socket, subprocess, sys, threading, time
import dns.message, dns.query, dns.rdatatype
w, nport, port, n, rounds, dfo = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
interval, timeout, retries, fqdn = float(sys.argv[7]), float(sys.argv[8]), int(sys.argv[9]), sys.argv[10]
addrs = ["127.0.0.%d" % (40 + i) for i in range(n)]
SERVER = r'''
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(256)
while True:
    c, _ = s.accept(); c.sendall(b"OK\n"); c.close()
'''
procs = []
def server(a):
    p = subprocess.Popen(["/usr/bin/python3", "-c", SERVER, a, str(port)])
    procs.append(p)
    return p
servers = {a: server(a) for a in addrs}
agents = [subprocess.Popen([dfo, "-f", "-l", "notice", "-C", "%s/%s.conf" % (w, a)],
                           stderr=open("%s/agent-%s.log" % (w, a), "w")) for a in addrs]
procs += agents
q = dns.message.make_query(fqdn, "A"); q.flags = 0
def records():
    try:
        r = dns.query.udp(q, "127.0.0.1", port=nport, timeout=0.5)
        return {rd.address for rrs in r.answer if rrs.rdtype == dns.rdatatype.A for rd in rrs}
    except Exception:
        return None
def wait(pred, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        s = records()
        if s is not None and pred(s):
            return time.monotonic()
        time.sleep(0.02)
    return None
try:
    if wait(lambda s: s == set(addrs), 60) is None:
        sys.exit("agents did not all join within 60 s")
    bound = interval + timeout * retries + 0.2
    res = {"hung": [], "dead": []}
    rnd = random.Random(1)
    for i in range(rounds):
        for mode in ("hung", "dead"):
            a = rnd.choice(addrs)
            t0 = time.monotonic()
            if mode == "hung":
                servers[a].send_signal(signal.SIGSTOP)
            else:
                servers[a].kill(); servers[a].wait()
            t1 = wait(lambda s: a not in s, 30)
            if mode == "hung":
                servers[a].send_signal(signal.SIGKILL); servers[a].wait()
            servers[a] = server(a)
            if t1 is None:
                print("  %s %s: not removed within 30 s" % (mode, a))
            else:
                res[mode].append(t1 - t0)
                print("  round %2d %-4s %s removed after %.2f s" % (i + 1, mode, a, t1 - t0), flush=True)
            if wait(lambda s: s == set(addrs), 30) is None:
                sys.exit("%s did not rejoin within 30 s" % a)
    print()
    print("agents: %d sharing %s, interval %.1f s, check timeout %.1f s x %d attempts"
          % (n, fqdn, interval, timeout, retries))
    print("bound: interval + timeout x retries + 0.2 s = %.1f s" % bound)
    for mode, what in (("hung", "server hung (checks time out)"), ("dead", "server dead (refused at once)")):
        v = sorted(res[mode])
        if not v:
            continue
        over = sum(1 for x in v if x > bound)
        print("%-31s n=%d  min %.2f  median %.2f  p90 %.2f  max %.2f s   %d over the bound"
              % (what + ":", len(v), v[0], v[len(v) // 2], v[min(len(v) - 1, int(len(v) * 0.9))], v[-1], over))
finally:
    for p in procs:
        try:
            p.send_signal(signal.SIGCONT); p.terminate(); p.wait(5)
        except Exception:
            p.kill()
PY
