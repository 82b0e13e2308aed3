#!/bin/bash
# One round over N peers (default 1,000) on loopback, 10 % of them
# blackholed (their SYNs dropped by an nftables rule), 1 s check timeout,
# the tcp check and the hosts provider.  Everything runs inside a network
# namespace this script creates and deletes.  Prints the round's wall
# time, the agent's peak RSS, and the time a sequential round (one check
# at a time, as the seed did) would take by the same checks' timings.
# Needs root and nft (Debian: nftables).  See bench/README.md.
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
# peak and current RSS in $W/NAME.mem, stop it.
run_round() {
	"${in_ns[@]}" "$DFO" -f -C "$W/$1.conf" -l warning 2>"$W/$1.log" &
	local agent=$! i
	pids+=($agent)
	for ((i = 0; i < 400; i++)); do [ -s "$W/$1.json" ] && break; sleep 0.05; done
	[ -s "$W/$1.json" ] || { echo "round.sh: no round in 20 s" >&2; cat "$W/$1.log" >&2; exit 1; }
	echo $(awk '/^(VmHWM|VmRSS|RssAnon|RssFile)/ { print $2 }' /proc/$agent/status) >"$W/$1.mem"
	kill -TERM $agent
	wait $agent || true
}
conf bench "$W/hosts" 1024
run_round bench
read -r hwm rss anon file <"$W/bench.mem"

# The sequential round (the seed's way), by the same timer: the blackholed
# peers cost a timeout each; a healthy one costs what one check takes
# alone, measured over 100 of them one at a time.
grep -v '^127.0.0.2' "$W/live" | head -100 | sed 's/$/\tbench.test/' >"$W/sample"
conf seq "$W/sample" 1
run_round seq
alone=$($PY -c 'import json, sys; s = json.load(open(sys.argv[1]))["pools"][0]; print(sum(p["latency"] for p in s["peers"]) / max(1, len(s["peers"])))' "$W/seq.json")

$PY - "$W/bench.json" "$hwm" "$rss" "$N" "$ndead" "$TIMEOUT" "$alone" "$anon" "$file" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))["pools"][0]
hwm, rss, n, ndead, timeout = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6])
alone = float(sys.argv[7])
anon, rfile = int(sys.argv[8]), int(sys.argv[9])
peers = s["peers"]
res = {}
for p in peers:
    res[p["result"]] = res.get(p["result"], 0) + 1
wall = s["round_duration"]
seq = ndead * timeout + (len(peers) + 1 - ndead) * alone
print("peers:            %d (%d blackholed), timeout %.1f s, results %s"
      % (len(peers), ndead, timeout, ", ".join("%s %d" % kv for kv in sorted(res.items()))))
print("round wall time:  %.3f s   (target < 1.5 s)  %s" % (wall, "ok" if wall < 1.5 else "MISSED"))
print("agent peak RSS:   %.2f MiB (VmHWM; VmRSS %.2f MiB; target < 8 MiB)  %s"
      % (hwm / 1024, rss / 1024, "ok" if hwm < 8192 else "MISSED"))
print("                  after the round: %.2f MiB anonymous, %.2f MiB shared library pages"
      % (anon / 1024, rfile / 1024))
print("sequential round: %.1f s   (%d x %.1f s timeouts + %d x %.2f ms per healthy check alone)"
      % (seq, ndead, timeout, len(peers) + 1 - ndead, alone * 1000))
print("ratio:            %.0f x faster than sequential" % (seq / wall))
PY
