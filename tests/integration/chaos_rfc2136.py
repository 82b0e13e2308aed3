#!/usr/bin/python3
"""Chaos on one BIND zone through dns "rfc2136" (driven by
chaos_rfc2136.sh, which builds the network namespaces, starts named in
the hub and writes the agents' configs; this runs in the hub).

- a proxy between the agents and named drops, delays, refuses a share of
  the UPDATE messages (and sometimes forwards one and drops its answer:
  applied, but the agent never hears so);
- the agents' servers (TCP listeners, each in its agent's namespace on
  its address) stop and start at random, agents are SIGKILLed and
  restarted;
- the network partitions at random, one partition at a time for 3 to
  12 s (nftables in the agents' namespaces): one agent blind to all its
  peers (its packets to them dropped; they still reach it), or two agents
  that cannot reach each other at all.  Quorum eviction must keep every
  healthy server in the name through each;
- the zone is read straight from named by a sampler many times a second.

At the end it prints the samples with the name empty, the healthy peers
evicted (a record that left while its server had been up for the whole
detection window before), and the time from a server stopping to its
record leaving the zone, against the bound it prints: interval + timeout
x retries plus a stated margin for the rounds the proxy's faults cost.
Exit 0 when the must-be-zero figures are zero and no removal took longer
than that bound.

argv: workdir named_port proxy_port check_port duration n_agents dfo
      interval timeout retries dns_timeout fqdn
env: CHAOS_HUB_ADDR (named's and the proxy's address), CHAOS_HOSTS
     ("ADDR=NETNS ..." of the agents), CHAOS_SEED
"""
import ctypes
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

import dns.message
import dns.query
import dns.rdatatype

(workdir, named_port, proxy_port, check_port, duration, n_agents, dfo,
 interval, timeout, retries, dns_timeout, fqdn) = sys.argv[1:13]
named_port, proxy_port, check_port = int(named_port), int(proxy_port), int(check_port)
duration, n_agents = float(duration), int(n_agents)
interval, timeout, retries = float(interval), float(timeout), int(retries)
dns_timeout = float(dns_timeout)
HUB = os.environ["CHAOS_HUB_ADDR"]
NAMED = (HUB, named_port)
NETNS = dict(h.split("=") for h in os.environ["CHAOS_HOSTS"].split())
ADDRS = sorted(NETNS, key=lambda a: tuple(int(x) for x in a.split(".")))
assert len(ADDRS) == n_agents
MAX_DELAY = 1.2
rnd = random.Random(int(os.environ.get("CHAOS_SEED", "0")) or None)
seed = rnd.randrange(1 << 30)
rnd.seed(seed)
print("chaos seed %d (CHAOS_SEED=%d to replay the choices)" % (seed, seed), flush=True)
T0 = time.monotonic()
stop_all = threading.Event()
# Set when the chaos ends: the proxy forwards every update from then on.
calm = threading.Event()


def now():
    return time.monotonic() - T0


# ---------------------------------------------------------------- proxy
stats = {"updates": 0, "dropped": 0, "answer_dropped": 0, "delayed": 0,
         "refused": 0, "queries": 0}
slock = threading.Lock()


def count(k):
    with slock:
        stats[k] += 1


def refusal(req):
    # A bare REFUSED: same id and opcode, QR set, no sections.
    flags = 0x8000 | (req[2] & 0x78) << 8 | 5
    return req[:2] + struct.pack(">HHHHH", flags, 0, 0, 0, 0)


def policy(req):
    """What to do with one request: (action, delay)."""
    if len(req) < 12 or (req[2] >> 3) & 0xF != 5:
        count("queries")
        return "forward", 0.0
    count("updates")
    if calm.is_set():
        return "forward", 0.0
    r = rnd.random()
    if r < 0.10:
        count("dropped")
        return "drop", 0.0
    if r < 0.15:
        count("answer_dropped")
        return "forward-no-answer", 0.0
    if r < 0.25:
        count("refused")
        return "refuse", 0.0
    if r < 0.40:
        count("delayed")
        return "forward", rnd.uniform(0.2, MAX_DELAY)
    return "forward", 0.0


def udp_upstream(req):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(3)
    try:
        s.sendto(req, NAMED)
        return s.recv(65535)
    except OSError:
        return None
    finally:
        s.close()


def udp_proxy(sock):
    def handle(req, client):
        action, delay = policy(req)
        if delay:
            time.sleep(delay)
        if action == "drop":
            return
        ans = refusal(req) if action == "refuse" else udp_upstream(req)
        if ans is not None and action != "forward-no-answer":
            try:
                sock.sendto(ans, client)
            except OSError:
                pass
    while not stop_all.is_set():
        r, _, _ = select.select([sock], [], [], 0.2)
        if r:
            req, client = sock.recvfrom(65535)
            threading.Thread(target=handle, args=(req, client), daemon=True).start()


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        x = c.recv(n - len(b))
        if not x:
            return None
        b += x
    return b


def tcp_proxy(lsock):
    def handle(c):
        c.settimeout(5)
        try:
            while True:
                h = recv_exact(c, 2)
                if not h:
                    return
                req = recv_exact(c, struct.unpack(">H", h)[0])
                if req is None:
                    return
                action, delay = policy(req)
                if delay:
                    time.sleep(delay)
                if action == "drop":
                    return
                if action == "refuse":
                    ans = refusal(req)
                else:
                    u = socket.create_connection(NAMED, timeout=3)
                    u.sendall(h + req)
                    uh = recv_exact(u, 2)
                    ans = recv_exact(u, struct.unpack(">H", uh)[0]) if uh else None
                    u.close()
                if ans is None or action == "forward-no-answer":
                    return
                c.sendall(struct.pack(">H", len(ans)) + ans)
        except OSError:
            pass
        finally:
            c.close()
    while not stop_all.is_set():
        r, _, _ = select.select([lsock], [], [], 0.2)
        if r:
            c, _ = lsock.accept()
            threading.Thread(target=handle, args=(c,), daemon=True).start()


us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
us.bind((HUB, proxy_port))
ts = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
ts.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ts.bind((HUB, proxy_port))
ts.listen(64)
threading.Thread(target=udp_proxy, args=(us,), daemon=True).start()
threading.Thread(target=tcp_proxy, args=(ts,), daemon=True).start()

# ------------------------------------------------------- peers' servers
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def in_netns(ns, fn):
    """fn() run in a thread that entered netns ns (the namespace is a
    thread's own): what it returns, e.g. a socket, stays there."""
    box = {}

    def run():
        try:
            with open("/run/netns/" + ns) as f:
                if libc.setns(f.fileno(), CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns " + ns)
            box["v"] = fn()
        except BaseException as e:
            box["e"] = e
    th = threading.Thread(target=run)
    th.start()
    th.join()
    if "e" in box:
        raise box["e"]
    return box["v"]


class Server:
    """The service an agent checks: a TCP listener on its address."""

    def __init__(self, addr):
        self.addr, self.sock, self.up = addr, None, False
        self.history = []  # (time, up)

    def start(self):
        def listen():
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.addr, check_port))
            s.listen(64)
            return s
        s = in_netns(NETNS[self.addr], listen)
        self.sock, self.up = s, True
        self.history.append((now(), True))
        threading.Thread(target=self.serve, args=(s,), daemon=True).start()

    def serve(self, s):
        while True:
            try:
                c, _ = s.accept()
                c.close()
            except OSError:
                return

    def stop(self):
        self.history.append((now(), False))
        self.up = False
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.sock.close()

    def up_throughout(self, a, b):
        """Up for the whole of [a, b]?"""
        before = [u for t, u in self.history if t <= a]
        if not before or not before[-1]:
            return False
        return all(u for t, u in self.history if a < t <= b)


servers = {a: Server(a) for a in ADDRS}
for s in servers.values():
    s.start()

# --------------------------------------------------------------- agents
agents = {}


def start_agent(a):
    log = open(os.path.join(workdir, "agent-%s.log" % a), "ab")
    agents[a] = subprocess.Popen(["ip", "netns", "exec", NETNS[a],
                                  dfo, "-f", "-l", "info", "-C",
                                  os.path.join(workdir, "agent-%s.conf" % a)],
                                 stdout=subprocess.DEVNULL, stderr=log)
    log.close()


for a in ADDRS:
    start_agent(a)

# -------------------------------------------------------------- sampler
samples = []  # (time, frozenset of addresses)


def sample():
    q = dns.message.make_query(fqdn, "A")
    q.flags = 0
    while not stop_all.is_set():
        t = time.monotonic()
        try:
            r = dns.query.udp(q, NAMED[0], port=NAMED[1], timeout=0.5)
            addrs = frozenset(rd.address for rrs in r.answer
                              if rrs.rdtype == dns.rdatatype.A for rd in rrs)
            samples.append((now(), addrs))
        except Exception:
            pass
        time.sleep(max(0.0, 0.04 - (time.monotonic() - t)))


def wait_all_in(secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if samples and samples[-1][1] == frozenset(ADDRS):
            return True
        time.sleep(0.1)
    return False


sampler = threading.Thread(target=sample, daemon=True)
sampler.start()
if not wait_all_in(30):
    print("FAIL: the agents did not all join within 30 s: %s"
          % (sorted(samples[-1][1]) if samples else "no sample"), flush=True)
    stop_all.set()
    for p in agents.values():
        p.kill()
    sys.exit(1)
joined = now()
first_sample = len(samples)
print("all %d agents joined after %.1f s; chaos for %.0f s" % (n_agents, joined, duration),
      flush=True)

# ----------------------------------------------------------- partitions
def nft(a, rules):
    subprocess.run(["ip", "netns", "exec", NETNS[a], "nft", "-f", "-"],
                   input=rules.encode(), check=True)


def blind(a, peers):
    """a's packets to peers dropped, but for replies: a cannot see them,
    they still see a."""
    nft(a, """table inet dfo_chaos {
    chain out {
        type filter hook output priority 0; policy accept;
        ct state established,related accept
        ip daddr { %s } drop
    }
}
""" % ", ".join(peers))


def cut(a, b):
    """No packet between a and b."""
    for x, y in ((a, b), (b, a)):
        nft(x, """table inet dfo_chaos {
    chain out {
        type filter hook output priority 0; policy accept;
        ip daddr %s drop
    }
    chain in {
        type filter hook input priority 0; policy accept;
        ip saddr %s drop
    }
}
""" % (y, y))


def heal(addrs):
    for a in addrs:
        subprocess.run(["ip", "netns", "exec", NETNS[a], "nft", "delete",
                        "table", "inet", "dfo_chaos"],
                       stderr=subprocess.DEVNULL)


# ---------------------------------------------------------------- chaos
events = []  # (time, text)
pending = []  # (due, kind, addr)
end = joined + duration
kills = stops = partitions = 0
partitioned = []  # the agents of the partition in force
while now() < end:
    t = now()
    for p in [p for p in pending if p[0] <= t]:
        pending.remove(p)
        if p[1] == "server":
            servers[p[2]].start()
            events.append((t, "server %s back" % p[2]))
        elif p[1] == "heal":
            heal(p[2])
            partitioned = []
            events.append((t, "partition of %s healed" % " ".join(p[2])))
        else:
            start_agent(p[2])
            events.append((t, "agent %s restarted" % p[2]))
    r = rnd.random()
    up = [a for a in ADDRS if servers[a].up]
    alive = [a for a in ADDRS if agents[a].poll() is None and
             not any(p[1] == "agent" and p[2] == a for p in pending)]
    if r < 0.5 and len(up) > 1 and t < end - 4:
        a = rnd.choice(up)
        servers[a].stop()
        stops += 1
        back = rnd.uniform(3, 9)
        pending.append((t + back, "server", a))
        events.append((t, "server %s stopped for %.1f s" % (a, back)))
    elif r < 0.8 and alive:
        a = rnd.choice(alive)
        agents[a].send_signal(signal.SIGKILL)
        agents[a].wait()
        kills += 1
        back = rnd.uniform(0.5, 4)
        pending.append((t + back, "agent", a))
        events.append((t, "agent %s SIGKILLed, back in %.1f s" % (a, back)))
    elif not partitioned and t < end - 4:
        back = rnd.uniform(3, 12)
        if rnd.random() < 0.5:
            a = rnd.choice(ADDRS)
            blind(a, [x for x in ADDRS if x != a])
            partitioned = [a]
            what = "%s blind to its peers" % a
        else:
            partitioned = rnd.sample(ADDRS, 2)
            cut(*partitioned)
            what = "%s and %s cut from each other" % tuple(partitioned)
        partitions += 1
        pending.append((t + back, "heal", partitioned))
        events.append((t, "partition: %s for %.1f s" % (what, back)))
    time.sleep(rnd.uniform(0.8, 2.0))

# Everything back, the proxy's faults too (an agent they kept failing is
# backing off: up to 15 rounds after 5 errors in a row, and with 25 % of
# its updates still failing it could back off again and again), then the
# name must hold every address again.
calm.set()
for p in pending:
    if p[1] == "server":
        servers[p[2]].start()
    elif p[1] == "heal":
        heal(p[2])
    else:
        start_agent(p[2])
pending = []
chaos_end = now()
converged = wait_all_in(20)
stop_all.set()
sampler.join(2)
for p in agents.values():
    if p.poll() is None:
        p.terminate()
for p in agents.values():
    try:
        p.wait(5)
    except subprocess.TimeoutExpired:
        p.kill()

# ------------------------------------------------------------- analysis
with open(os.path.join(workdir, "events.log"), "w") as f:
    for t, e in events:
        f.write("%7.2f %s\n" % (t, e))
ss = samples[first_sample:]
empty = sum(1 for _, s in ss if not s)
bound = interval + timeout * retries
window = bound + MAX_DELAY + dns_timeout + 0.5

# Removals: an address present in one sample and absent in the next.
removals = []  # (time, addr)
for (t0, s0), (t1, s1) in zip(ss, ss[1:]):
    for a in s0 - s1:
        removals.append((t1, a))
healthy_evicted = [(t, a) for t, a in removals
                   if servers[a].up_throughout(t - window, t)]

# Detection to removal: for each stop, the first removal of that address
# after it, if the server was still down then.
lat = []
unremoved = 0
for a, s in servers.items():
    h = s.history
    for i, (t, u) in enumerate(h):
        if u or t < joined:
            continue
        back = h[i + 1][0] if i + 1 < len(h) else float("inf")
        present = [x for x in ss if x[0] <= t]
        if not present or a not in present[-1][1]:
            continue  # already out (its own agent withdrew it...)
        rm = [tr for tr, ar in removals if ar == a and t < tr <= back]
        if rm:
            lat.append(rm[0] - t)
        else:
            unremoved += 1

rate = len(ss) / max(1e-9, (ss[-1][0] - ss[0][0])) if len(ss) > 1 else 0
print("events: %d server stops, %d agent SIGKILLs, %d partitions (events.log)"
      % (stops, kills, partitions))
print("proxy: %(updates)d updates: %(dropped)d dropped, %(answer_dropped)d applied "
      "with the answer dropped, %(refused)d refused, %(delayed)d delayed; "
      "%(queries)d queries passed" % stats)
print("samples: %d (%.1f a second)" % (len(ss), rate))
print("samples with the name empty: %d (must be 0)" % empty)
print("healthy peers evicted: %d (must be 0)%s" % (
    len(healthy_evicted),
    "".join("\n  %s at %.2f s" % (a, t) for t, a in healthy_evicted)))
# The removal bound, enforced.  Detection takes at most one round plus
# the self-check's retries (interval + timeout x retries).  The proxy then
# costs the removing agent at most MARGIN_ROUNDS rounds: an update dropped
# (dns_timeout lost), delayed (MAX_DELAY), refused, or applied with its
# answer lost, each followed by the next round or a one-round back-off.
# Other agents race for the same removal, so losing more rounds than that
# needs every one of them to be hit at once.
MARGIN_ROUNDS = int(os.environ.get("CHAOS_MARGIN_ROUNDS", "2"))
margin = MARGIN_ROUNDS * (interval + dns_timeout + MAX_DELAY)
limit = bound + margin
over = []
if lat:
    lat.sort()
    over = [x for x in lat if x > limit]
    print("server stop -> record out of the zone: %d measured, median %.2f s, "
          "longest %.2f s (all: %s)" % (len(lat), lat[len(lat) // 2], lat[-1],
                                        " ".join("%.2f" % x for x in lat)))
    print("removal bound: interval + timeout x retries = %.1f + %.1f x %d = "
          "%.1f s, plus a margin of %d rounds lost to the proxy's faults, "
          "%d x (interval + dns_timeout + max delay) = %d x (%.1f + %.1f + "
          "%.1f) = %.1f s: %.1f s; over it: %d (must be 0)"
          % (interval, timeout, retries, bound, MARGIN_ROUNDS, MARGIN_ROUNDS,
             MARGIN_ROUNDS, interval, dns_timeout, MAX_DELAY, margin, limit,
             len(over)))
else:
    print("server stop -> record out of the zone: none measured")
print("stops not followed by a removal before the server came back: %d" % unremoved)
print("all %d addresses back %s" % (n_agents, "within 20 s of the end of the chaos"
                                    if converged else "NOT within 20 s"))
if not converged:
    # What stayed out, and what its agent said last: enough to tell a
    # fault of the agent from one of the test.
    last = samples[-1][1] if samples else frozenset()
    for a in sorted(set(ADDRS) - last):
        print("  %s missing at the end; the last events that named it: %s"
              % (a, "; ".join(["%.1f s %s" % (t, e) for t, e in events
                               if a in e][-4:]) or "none"))
        try:
            with open(os.path.join(workdir, "agent-%s.log" % a), "rb") as f:
                tail = f.read().decode("utf-8", "replace").splitlines()[-12:]
            print("  its agent's log, last lines:\n    " + "\n    ".join(tail))
        except OSError as err:
            print("  its agent's log: %s" % err)
ok = empty == 0 and not healthy_evicted and converged and len(ss) > duration * 5
ok = ok and len(lat) >= 1 and not over and partitions >= 1
print("chaos: %s" % ("PASS" if ok else "FAIL"), flush=True)
sys.exit(0 if ok else 1)
