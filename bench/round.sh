#!/bin/bash
# One round over N peers (default 1,000) on loopback, 10 % of them
# blackholed (their SYNs dropped by an nftables rule), 1 s check timeout,
# the tcp check and the hosts provider.  Everything runs inside a network
# namespace this script creates and deletes.  Prints the load average,
# how many healthy peers were seen healthy, the round's wall and CPU
# time, one healthy check's wall and CPU time alone, the agent's peak
# RSS, and the time a sequential round (one check at a time, as the seed
# did) would take by the same checks' timings.
# Exits 1 if a healthy peer is reported down.  Needs root and nft
# (Debian: nftables).  See bench/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
N=${N:-1000}
DEAD_EVERY=${DEAD_EVERY:-10} # every 10th peer is blackholed
TIMEOUT=${TIMEOUT:-1}
BUILD=${BUILD:-$top/build}
DFO=$BUILD/dnsfailover
PLUGINS=$BUILD/plugins/.libs
PY=/usr/bin/python3
PORT=8080

[ "$(id -u)" = 0 ] || { echo "round.sh: needs root (network namespace, nft)" >&2; exit 1; }
command -v nft >/dev/null || { echo "round.sh: needs nft (apt-get install nftables)" >&2; exit 1; }
[ -x "$DFO" ] || { echo "round.sh: build first (no $DFO)" >&2; exit 1; }

W=$(mktemp -d /tmp/dfo-bench.XXXXXX)
NS=dfobench$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
# nsenter execs the command itself, so "${in_ns[@]}" CMD & leaves the
# command's pid in $! and signals reach it (ip netns exec, or a shell
# function, would stand in between).
in_ns=(nsenter --net="/run/netns/$NS")

# Peers 127.1.0.1 ... in numeric order; every DEAD_EVERY-th one dead.
$PY - "$N" "$DEAD_EVERY" "$W" <<'PY'
import sys
n, every, w = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
live, dead = ["127.0.0.2"], []
for i in range(n):
    a = "127.1.%d.%d" % (i // 250, i % 250 + 1)
    (dead if i % every == every - 1 else live).append(a)
with open(w + "/hosts", "w") as f:
    for a in ["127.0.0.2"] + sorted(live[1:] + dead, key=lambda s: tuple(map(int, s.split(".")))):
        f.write("%s\tbench.test\n" % a)
open(w + "/live", "w").write("\n".join(live) + "\n")
open(w + "/dead", "w").write(", ".join(dead) + "\n")
PY
ndead=$(tr ',' '\n' <"$W/dead" | grep -c . || true)
[ "$ndead" = 0 ] || "${in_ns[@]}" nft -f - <<NFT
table ip dfobench {
	chain out {
		type filter hook output priority 0; policy accept;
		ip daddr { $(cat "$W/dead") } tcp dport $PORT tcp flags syn drop
	}
}
NFT

# One asyncio server listening on every live address; bounded lifetime.
"${in_ns[@]}" timeout 300 $PY - "$W/live" "$PORT" "$W/ready" <<'PY' &
import asyncio, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
addrs = open(sys.argv[1]).read().split()
async def handle(r, w):
    w.close()
async def main():
    for a in addrs:
        await asyncio.start_server(handle, a, int(sys.argv[2]), backlog=1024)
    open(sys.argv[3], "w").write("ok")
    await asyncio.sleep(290)
asyncio.run(main())
PY
pids+=($!)
for ((i = 0; i < 200; i++)); do [ -e "$W/ready" ] && break; sleep 0.05; done
[ -e "$W/ready" ] || { echo "round.sh: server did not start" >&2; exit 1; }

conf() { # name, hosts file, max_parallel
	cat >"$W/$1.conf" <<C
plugin_dir = "$PLUGINS"
status_file = "$W/$1.json"
max_parallel = $3
dns "h" { hosts { file = "$2" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "tcp" { tcp { port = $PORT } }
timer "t" { tick { interval = 3600 timeout = $TIMEOUT retries = 1 } }
pool "bench" { fqdn = {"bench.test"} dns = "h" ipsource = "me"
               check = "tcp" timer = "t" }
C
}
# run_round NAME: start an agent, wait for its first round, leave its
# peak and current RSS in $W/NAME.mem, stop it, and leave the CPU time it
# used, its children's included (wait4's rusage, in seconds), in
# $W/NAME.cpu.
run_round() {
	$PY - "$W/$1.json" "$W/$1.mem" "$W/$1.cpu" "$W/$1.log" "${in_ns[@]}" \
		"$DFO" -f -C "$W/$1.conf" -l warning <<'PY'
import os, signal, subprocess, sys, time
status, mem, cpu, log = sys.argv[1:5]
p = subprocess.Popen(sys.argv[5:], stderr=open(log, "w"))
for _ in range(1200):  # 60 s
    if os.path.exists(status) and os.path.getsize(status) > 0:
        break
    time.sleep(0.05)
else:
    p.kill()
    sys.exit("round.sh: no round in 60 s\n" + open(log).read())
vals = {}
for line in open("/proc/%d/status" % p.pid):
    k, _, v = line.partition(":")
    vals[k] = v.split()[0] if v.split() else "0"
open(mem, "w").write(" ".join(vals.get(k, "0") for k in
                              ("VmHWM", "VmRSS", "RssAnon", "RssFile")) + "\n")
p.send_signal(signal.SIGTERM)
_, _, ru = os.wait4(p.pid, 0)
open(cpu, "w").write("%.6f\n" % (ru.ru_utime + ru.ru_stime))
PY
}
conf bench "$W/hosts" 1024
run_round bench
read -r hwm rss anon file <"$W/bench.mem"

# One healthy check alone, by the same timer: SAMPLE live peers checked
# one at a time.  Its wall time (fork to answer) is the status file's
# latency; its CPU time, the agent's (children included) less that of an
# agent that checks only itself, divided by SAMPLE: the figure that a
# loaded machine changes least.
SAMPLE=${SAMPLE:-300}
awk -v n="$SAMPLE" '$1 != "127.0.0.2" && k++ < n { print $1 "\tbench.test" }' \
	"$W/live" >"$W/sample"
conf seq "$W/sample" 1
run_round seq
printf '127.0.0.2\tbench.test\n' >"$W/self"
conf base "$W/self" 1
run_round base

$PY - "$W" "$hwm" "$rss" "$N" "$ndead" "$TIMEOUT" "$anon" "$file" <<'PY'
import json, sys
w = sys.argv[1]
hwm, rss, n, ndead = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
timeout = float(sys.argv[6])
anon, rfile = int(sys.argv[7]), int(sys.argv[8])
def pool(name):
    return json.load(open("%s/%s.json" % (w, name)))["pools"][0]
def cpu(name):
    return float(open("%s/%s.cpu" % (w, name)).read())
def ok(c):
    return "ok" if c else "MISSED"
s = pool("bench")
peers = s["peers"]
live = set(open(w + "/live").read().split())
res = {}
for p in peers:
    res[p["result"]] = res.get(p["result"], 0) + 1
down = [p for p in peers if p["addr"] in live and p["result"] != "healthy"]
nlive = len([p for p in peers if p["addr"] in live])
wall = s["round_duration"]
seqpeers = pool("seq")["peers"]
alone = sum(p["latency"] for p in seqpeers) / max(1, len(seqpeers))
alone_cpu = (cpu("seq") - cpu("base")) / max(1, len(seqpeers) - 1)
round_cpu = cpu("bench") - cpu("base")
seq = ndead * timeout + (len(peers) + 1 - ndead) * alone
print("load average:     %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
print("peers:            %d (%d blackholed), timeout %.1f s, results %s"
      % (len(peers), ndead, timeout, ", ".join("%s %d" % kv for kv in sorted(res.items()))))
print("healthy seen:     %d of %d healthy peers  %s"
      % (nlive - len(down), nlive, ok(not down)))
print("round wall time:  %.3f s   (target <= timeout + 0.15 s = %.2f s)  %s"
      % (wall, timeout + 0.15, ok(wall <= timeout + 0.15)))
print("round CPU time:   %.3f s   (agent and children, start-up less; %.3f ms a peer)"
      % (round_cpu, round_cpu / max(1, len(peers)) * 1000))
print("one check alone:  %.3f ms wall, fork to answer (target <= 0.5 ms)  %s;  %.3f ms CPU"
      % (alone * 1000, ok(alone <= 0.0005), alone_cpu * 1000))
print("agent peak RSS:   %.2f MiB (VmHWM; VmRSS %.2f MiB; target < 8 MiB)  %s"
      % (hwm / 1024, rss / 1024, ok(hwm < 8192)))
print("                  after the round: %.2f MiB anonymous, %.2f MiB shared library pages"
      % (anon / 1024, rfile / 1024))
print("sequential round: %.1f s   (%d x %.1f s timeouts + %d x %.2f ms per healthy check alone)"
      % (seq, ndead, timeout, len(peers) + 1 - ndead, alone * 1000))
print("ratio:            %.0f x faster than sequential" % (seq / wall))
for p in down[:10]:
    print("reported down:    %s %s %s" % (p["addr"], p["result"], p.get("reason", "")))
# A healthy peer reported down is the agent's failure whatever the load:
# exit 1.  The time targets depend on the machine and are only printed.
sys.exit(1 if down else 0)
PY
