#!/bin/bash
# One round over N peers (default 1,000) on loopback, 10 % of them
# blackholed (their SYNs dropped by an nftables rule), 1 s check timeout,
# the tcp check and the hosts provider.  Everything runs inside a network
# namespace this script creates and deletes.  Prints the load average,
# and for the first round (check processes forked) and the second (the
# steady state: check processes reused) how many healthy peers were
# seen healthy and the round's wall and CPU time; then one healthy
# check's wall and CPU time alone in the steady state, the agent's peak
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
timer "t" { tick { interval = $INTERVAL timeout = $TIMEOUT retries = 1 } }
pool "bench" { fqdn = {"bench.test"} dns = "h" ipsource = "me"
               check = "tcp" timer = "t" }
C
}
# Two rounds, INTERVAL apart: the first forks the check processes, the
# second reuses them (the steady state).  Between them the agent forks
# again those that deadlines killed; a first round longer than INTERVAL
# leaves it no time to (said in the output).
INTERVAL=${INTERVAL:-5}
# run_round NAME: start an agent, wait for its first round and copy its
# status file to $W/NAME.1.json, then for its second ($W/NAME.2.json);
# the CPU time the agent and its children had used at each (in seconds:
# the agent's and its live children's run time from schedstat, plus what
# its reaped children used) in $W/NAME.cpu1 and .cpu2; its peak and
# current RSS in $W/NAME.mem; stop it.
run_round() {
	$PY - "$W/$1" "${LOGDIR:-$W}/$1.log" "${in_ns[@]}" "$DFO" -f -C "$W/$1.conf" \
		-l info <<'PY'
import json, os, shutil, signal, subprocess, sys, time
base, log = sys.argv[1:3]
p = subprocess.Popen(sys.argv[3:], stderr=open(log, "w"))
hz = os.sysconf("SC_CLK_TCK")
def run_time(pid):  # own run time (schedstat, ns) and reaped children's
    with open("/proc/%d/schedstat" % pid) as f:
        own = int(f.read().split()[0]) / 1e9
    with open("/proc/%d/stat" % pid) as f:
        st = f.read().rsplit(")", 1)[1].split()
    return own + (int(st[13]) + int(st[14])) / hz  # cutime, cstime
def cpu():
    total = run_time(p.pid)
    try:
        kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
    except OSError:
        kids = []
    for k in kids:
        try:
            total += run_time(int(k))
        except (OSError, IndexError, ValueError):
            pass  # gone meanwhile: its time is in the agent's cutime
    return total
def rounds():
    try:
        return json.load(open(base + ".json"))["pools"][0]["rounds"]
    except (OSError, ValueError, KeyError, IndexError):
        return 0
for n in (1, 2):
    for _ in range(3000):  # 60 s
        if rounds() >= n:
            break
        time.sleep(0.02)
    else:
        p.kill()
        sys.exit("round.sh: no round %d in 60 s\n" % n + open(log).read())
    open("%s.cpu%d" % (base, n), "w").write("%.6f\n" % cpu())
    shutil.copy(base + ".json", "%s.%d.json" % (base, n))
vals = {}
for line in open("/proc/%d/status" % p.pid):
    k, _, v = line.partition(":")
    vals[k] = v.split()[0] if v.split() else "0"
open(base + ".mem", "w").write(" ".join(vals.get(k, "0") for k in
                              ("VmHWM", "VmRSS", "RssAnon", "RssFile")) + "\n")
p.send_signal(signal.SIGTERM)
p.wait()
PY
}
conf bench "$W/hosts" 1024
run_round bench
read -r hwm rss anon file <"$W/bench.mem"

# One healthy check alone, in the steady state: SAMPLE live peers checked
# one at a time (one check process, reused).  Its wall time (the check
# process's start to its answer) is the status file's latency in the
# second round; its CPU time, what the agent and its children used in
# that round less what an agent that checks only itself used in its
# second round, divided by SAMPLE: the figure that a loaded machine
# changes least.
SAMPLE=${SAMPLE:-300}
awk -v n="$SAMPLE" '$1 != "127.0.0.2" && k++ < n { print $1 "\tbench.test" }' \
	"$W/live" >"$W/sample"
conf seq "$W/sample" 1
run_round seq
printf '127.0.0.2\tbench.test\n' >"$W/self"
conf base "$W/self" 1
run_round base

$PY - "$W" "$hwm" "$rss" "$N" "$ndead" "$TIMEOUT" "$anon" "$file" "$INTERVAL" \
	"${LOGDIR:-$W}/bench.log" <<'PY'
import json, re, sys
w = sys.argv[1]
hwm, rss, n, ndead = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
timeout = float(sys.argv[6])
anon, rfile = int(sys.argv[7]), int(sys.argv[8])
def pool(name, k):
    return json.load(open("%s/%s.%d.json" % (w, name, k)))["pools"][0]
def cpu(name, k):
    return float(open("%s/%s.cpu%d" % (w, name, k)).read())
def ok(c):
    return "ok" if c else "MISSED"
live = set(open(w + "/live").read().split())
# What the agent logged (at info): the check processes it forked ahead
# of its first round.
log = open(sys.argv[10]).read()
m = re.search(r"checks: (\d+) check processes forked ahead of the first "
              r"round in ([\d.]+) s \(([\d.]+) ms each\)", log)
warm, warm_ms = (int(m.group(1)), float(m.group(3))) if m else (0, 0.0)
print("load average:     %s" % " ".join(open("/proc/loadavg").read().split()[:3]))
down = []
for k, what in ((1, "first round (check processes forked)"),
                (2, "steady round (check processes reused)")):
    s = pool("bench", k)
    peers = s["peers"]
    res = {}
    for p in peers:
        res[p["result"]] = res.get(p["result"], 0) + 1
    bad = [p for p in peers if p["addr"] in live and p["result"] != "healthy"]
    down += bad
    nlive = len([p for p in peers if p["addr"] in live])
    wall = s["round_duration"]
    if k == 1:
        print("peers:            %d (%d blackholed), timeout %.1f s" %
              (len(peers), ndead, timeout))
        round_cpu = cpu("bench", 1) - cpu("base", 1)
        note = "start-up less"
    else:
        round_cpu = (cpu("bench", 2) - cpu("bench", 1)) - \
            (cpu("base", 2) - cpu("base", 1))
        note = "an idle round less"
        steady = wall
        first = pool("bench", 1)
        late = s["round_started"] - first["round_started"] < \
            first["round_duration"] + 0.5
    print("%s:" % what)
    print("  results:        %s" % ", ".join("%s %d" % kv for kv in sorted(res.items())))
    print("  healthy seen:   %d of %d healthy peers  %s"
          % (nlive - len(bad), nlive, ok(not bad)))
    print("  wall time:      %.3f s   (target <= timeout + 0.15 s = %.2f s)  %s"
          % (wall, timeout + 0.15, ok(wall <= timeout + 0.15)))
    if k == 1:
        # The processes it ran its checks in: forked ahead of it while
        # the agent waited for it (1 s after the start), or in it.
        used = min(len(peers) + 1, 1024)
        print("  check processes: %d forked ahead of the round (%.2f ms each"
              " here), %d forked in it" % (warm, warm_ms, max(0, used - warm)))
        if wall > timeout + 0.15 and used > warm:
            print("  (MISSED because the agent could not fork the %d processes"
                  " at %.2f ms each in the 1 s before its first round and the"
                  " 2 s it waits past it for them: %d were left for the round,"
                  " whose last checks started that much later)"
                  % (used, warm_ms, used - warm))
        elif wall > timeout + 0.15:
            print("  (MISSED with every process forked ahead: a first round"
                  " has no earlier timeouts to start first, so its"
                  " blackholed checks start where they are in the list, the"
                  " last after the dispatch of the others, which competes"
                  " for the CPUs with a thousand fresh processes' first"
                  " checks)")
    else:
        gone = [p["addr"] for p in pool("bench", 1)["peers"]
                if p["addr"] not in {q["addr"] for q in peers}]
        print("  peers:          %d (%s evicted by the first round: one"
              " eviction per name and round)" % (len(peers), ", ".join(gone)
                                                  or "none"))
    print("  CPU time:       %.3f s   (agent and check processes, %s; %.3f ms a peer)"
          % (round_cpu, note, round_cpu / max(1, len(peers)) * 1000))
    if k == 2 and late:
        print("  (it began as the first ended, with no time to replace the"
              " check processes killed: INTERVAL=%s is too short here)"
              % sys.argv[9])
seqpeers = pool("seq", 2)["peers"]
alone = sum(p["latency"] for p in seqpeers) / max(1, len(seqpeers))
alone_cpu = ((cpu("seq", 2) - cpu("seq", 1)) - (cpu("base", 2) - cpu("base", 1))) \
    / max(1, len(seqpeers) - 1)
npeers = len(pool("bench", 2)["peers"])
seq = ndead * timeout + (npeers + 1 - ndead) * alone
print("one check alone:  %.3f ms wall, job sent to answer (target <= 0.5 ms)  %s;  %.3f ms CPU"
      % (alone * 1000, ok(alone <= 0.0005), alone_cpu * 1000))
print("agent peak RSS:   %.2f MiB (VmHWM; VmRSS %.2f MiB; target < 8 MiB)  %s"
      % (hwm / 1024, rss / 1024, ok(hwm < 8192)))
print("                  after the rounds: %.2f MiB anonymous, %.2f MiB shared library pages"
      % (anon / 1024, rfile / 1024))
print("sequential round: %.1f s   (%d x %.1f s timeouts + %d x %.2f ms per healthy check alone)"
      % (seq, ndead, timeout, npeers + 1 - ndead, alone * 1000))
print("ratio:            %.0f x faster than sequential (steady round)" % (seq / steady))
for p in down[:10]:
    print("reported down:    %s %s %s" % (p["addr"], p["result"], p.get("reason", "")))
# A healthy peer reported down is the agent's failure whatever the load:
# exit 1.  The time targets depend on the machine and are only printed.
sys.exit(1 if down else 0)
PY
