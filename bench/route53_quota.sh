#!/bin/bash
# How many agents one AWS account's Route 53 quota carries, per read mode.
#
# The fake AWS (tests/fake/aws.py) enforces one account-wide token bucket
# of 5 requests/s for Route 53, as AWS does (Throttling: Rate exceeded
# past it).  N agents at interval I share it: the route53 provider's own
# list/del code is driven N times per interval by tests/helpers/dns_driver
# (each simulated agent with its own name: agent-J.bench.test holding its
# own address and a peer's, rounds spread over the interval as the tick
# timer's splay spreads them), with DEAD% of the agents finding their peer
# dead in each round after the first (every (100/DEAD)-th agent: deaths in
# separate pools arrive spread over the interval), each then deleting it:
# one change batch.  The core's client retries a throttled request with back-off,
# so a quota overrun shows as throttled answers and, beyond max_retries,
# failed rounds.
#
# For each read mode it prints, per N tried, the API requests, throttled
# answers, failed rounds and the slowest eviction (from the start of the
# round the peer died in; bound: interval + timeout x retries + 0.2 s,
# with the agents' usual 1 s x 3), and the largest N with no throttled
# answer and every eviction within the bound.
#
# With quorum eviction (issue 19) an agent also reads and writes its
# pool's state records.  That part runs three real agents (the program
# itself, not the driver) at QINTERVAL on the fake, each signing with its
# own access key so that the fake counts every agent's Route 53 requests
# by kind (state reads: ListResourceRecordSets of the TXT state name;
# heartbeat writes: its change batches; record reads and changes), and
# prints them per agent and minute over QWINDOW seconds of each phase:
#   steady     all healthy;
#   partition  agent .2 blind to its peers (its checks of them fail; the
#              others outvote it);
#   death      machine .4 SIGKILLed (agent and server) at the start.
# and what one account (5 requests/s = 300 a minute) carries: 300 over
# the busiest agent's requests a minute.  No quota in the fake there: it
# measures demand.
#
#   bash bench/route53_quota.sh [BUILD_DIR]
#   env: PARTS ("rule quorum": the old rule's N sweep, the quorum part)
#        INTERVAL (10), ROUNDS (3), DEAD (1, % of agents per round),
#        API_N ("30 40 45 50 55"), DNS_N ("500 1000 2000 3000")
#        QRUNS ("api:2 dns:2 dns:10": read mode:heartbeat), QINTERVAL (1),
#        QWINDOW (30 s per phase)
set -u
BUILD=$(cd "${1:-build}" && pwd) || exit 1
SRC=$(cd "$(dirname "$0")/.." && pwd)
DRIVER=$BUILD/tests/helpers/dns_driver
[ -x "$DRIVER" ] || { echo "no $DRIVER: make -C $BUILD check TESTS= first" >&2; exit 1; }
INTERVAL=${INTERVAL:-10} ROUNDS=${ROUNDS:-3} DEAD=${DEAD:-1}
API_N=${API_N:-"30 40 45 50 55"} DNS_N=${DNS_N:-"500 1000 2000 3000"}
BOUND=$(echo "$INTERVAL + 1 * 3 + 0.2" | bc -l 2>/dev/null || /usr/bin/python3 -c "print($INTERVAL + 3.2)")
T=$(mktemp -d /tmp/dfo-r53q.XXXXXX)
FAKE_PID=
trap '[ -n "$FAKE_PID" ] && kill $FAKE_PID 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$T"' EXIT

start_fake() { # N: a zone of N agent names, the 5/s bucket on
	/usr/bin/python3 - "$1" >"$T/state.json" <<'PY'
import json, sys
n = int(sys.argv[1])
recs = [{"name": "agent-%d.bench.test." % j, "type": "A", "ttl": 60,
         "values": ["10.%d.%d.1" % ((j >> 8) & 255, j & 255),
                    "10.%d.%d.2" % ((j >> 8) & 255, j & 255)]} for j in range(n)]
print(json.dumps({"keys": {"AKIDBENCH": "secretbench"}, "r53_rate": 5,
                  "r53_page": 100, "insync_after": 0,
                  "zones": [{"id": "ZBENCH", "name": "bench.test.", "records": recs}]}))
PY
	rm -f "$T/port" "$T/dnsport"
	/usr/bin/python3 "$SRC/tests/fake/aws.py" --state "$T/state.json" --port-file "$T/port" \
		--dns-port-file "$T/dnsport" 2>>"$T/fake.log" &
	FAKE_PID=$!
	for _ in $(seq 600); do [ -s "$T/port" ] && break; sleep 0.05; done
	[ -s "$T/port" ] || { echo "the fake AWS did not start: $(cat "$T/fake.log")" >&2; exit 1; }
	FAKE="http://127.0.0.1:$(cat "$T/port")"
}
stat() { curl -sf "$FAKE/_fake/stats" | /usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }

run() { # MODE N -> one result line
	local mode=$1 n=$2 dead
	start_fake "$n"
	dead=$(( (n * DEAD + 99) / 100 ))
	cat >"$T/b.conf" <<C
plugin_dir = "$BUILD/plugins/.libs"
aws { region = "us-east-1" access_key_id = "AKIDBENCH" secret_access_key = "secretbench"
      route53_endpoint = "$FAKE" timeout = 2 max_retries = 5 retry_time = 3 }
dns "r53" { route53 { zone_id = "ZBENCH" read = "$mode" } }
C
	local r0 th0 out
	r0=$(stat route53) th0=$(stat throttled)
	out=$("$DRIVER" "$T/b.conf" r53 bench "$n" "$INTERVAL" "$ROUNDS" "$dead" bench.test 2>"$T/driver.err")
	local reqs=$(( $(stat route53) - r0 )) thr=$(( $(stat throttled) - th0 ))
	kill $FAKE_PID; wait $FAKE_PID 2>/dev/null; FAKE_PID=
	local failed slow evicted
	failed=$(echo "$out" | sed -n 's/.*failed_rounds \([0-9]*\).*/\1/p')
	slow=$(echo "$out" | sed -n 's/.*slowest_eviction \([0-9.]*\).*/\1/p')
	evicted=$(echo "$out" | sed -n 's/.*evicted \([0-9]*\).*/\1/p')
	local ok=yes
	[ "$thr" = 0 ] && [ "${failed:-1}" = 0 ] && [ "$evicted" -ge 1 ] &&
		/usr/bin/python3 -c "import sys; sys.exit(0 if $slow <= $BOUND else 1)" || ok=no
	printf '%-4s %6d %9.1f %8d %9d %7s %8s %9ss %4s\n' "$mode" "$n" \
		"$(/usr/bin/python3 -c "print($reqs / ($ROUNDS * $INTERVAL))")" "$reqs" "$thr" \
		"${failed:-?}" "$evicted" "${slow:-?}" "$ok"
	[ $ok = yes ]
}

PARTS=${PARTS:-"rule quorum"}
QRUNS=${QRUNS:-"api:2 dns:2 dns:10"} QINTERVAL=${QINTERVAL:-1} QWINDOW=${QWINDOW:-30}

# ---- with quorum: three real agents ----

ops() { # the fake's Route 53 requests by key and kind, as "KEY KIND N" lines
	curl -sf "$FAKE/_fake/records" >/dev/null || return 1
	curl -sf "$FAKE/_fake/stats" | /usr/bin/python3 -c '
import json, sys
for k, per in json.load(sys.stdin)["r53_ops"].items():
    for kind, n in per.items():
        print(k, kind.replace(" ", "_"), n)'
}
live_all() { # every agent alive sees the others live
	local a
	for a in "$@"; do
		/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
sys.exit(0 if s["pools"][0]["quorum"]["live"] == int(sys.argv[2]) else 1)' "$QT/$a.status" "$#" 2>/dev/null || return 1
	done
}
phase() { # NAME SECONDS AGENTS...: requests per agent and minute
	local name=$1 secs=$2 t0 t1
	shift 2
	ops >"$QT/before" || { echo "the fake does not answer" >&2; return 1; }
	t0=$(date +%s.%N)
	sleep "$secs"
	ops >"$QT/after"
	t1=$(date +%s.%N)
	/usr/bin/python3 - "$QT/before" "$QT/after" "$t0" "$t1" "$name" "$QMODE" "$QHB" "$@" <<'PY2' | tee -a "$T/table"
import sys
def load(f):
    d = {}
    for line in open(f):
        k, kind, n = line.split()
        d[(k, kind)] = int(n)
    return d
b, a = load(sys.argv[1]), load(sys.argv[2])
mins = (float(sys.argv[4]) - float(sys.argv[3])) / 60
name, mode, hb = sys.argv[5:8]
for agent in sys.argv[8:]:
    key = "AKIDQ" + agent
    n = lambda kind: (a.get((key, kind), 0) - b.get((key, kind), 0)) / mins
    row = [n("list_TXT"), n("change_TXT"), n("list_A"), n("change_A"), n("other")]
    print("%-4s %3s %-10s .%-3s %7.1f %7.1f %7.1f %7.1f %6.1f %7.1f" % (
        mode, hb, name, agent, row[0], row[1], row[2], row[3], row[4], sum(row)))
PY2
}
quorum_run() { # MODE HEARTBEAT
	QMODE=$1 QHB=$2
	QT=$T/q-$1-$2
	mkdir -p "$QT"
	cat >"$T/state.json" <<'J'
{"keys": {"AKIDQ2": "secretq2", "AKIDQ3": "secretq3", "AKIDQ4": "secretq4"},
 "zones": [{"id": "ZQ", "name": "q.test.", "records": []}], "insync_after": 0}
J
	rm -f "$T/port" "$T/dnsport"
	/usr/bin/python3 "$SRC/tests/fake/aws.py" --state "$T/state.json" --port-file "$T/port" \
		--dns-port-file "$T/dnsport" 2>>"$T/fake.log" &
	FAKE_PID=$!
	for _ in $(seq 600); do [ -s "$T/port" ] && [ -s "$T/dnsport" ] && break; sleep 0.05; done
	FAKE="http://127.0.0.1:$(cat "$T/port")"
	local port a pids=() srv=()
	port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	for a in 2 3 4; do
		/usr/bin/python3 -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' 127.0.0.$a "$port" &
		srv[$a]=$!
		cat >"$QT/check$a.sh" <<S
#!/bin/sh
# blind to its peers while $QT/blind$a exists
[ -e "$QT/blind$a" ] && [ "\$1" != 127.0.0.$a ] && { echo blind; exit 2; }
exec bash -c 'exec 3<>"/dev/tcp/\$1/$port"' bash "\$1"
S
		chmod +x "$QT/check$a.sh"
		cat >"$QT/$a.conf" <<C
plugin_dir = "$BUILD/plugins/.libs"
status_file = "$QT/$a.status"
aws { region = "us-east-1" access_key_id = "AKIDQ$a" secret_access_key = "secretq$a"
      route53_endpoint = "$FAKE" timeout = 2 max_retries = 3 retry_time = 3 }
dns "r53" { route53 { zone_id = "ZQ" read = "$QMODE"
                      nameservers = {"127.0.0.1:$(cat "$T/dnsport")"} } }
ipsource "me" { static { address = "127.0.0.$a" } }
check "web" { exec { command = {"$QT/check$a.sh"} } }
timer "t" { tick { interval = $QINTERVAL timeout = 2 retries = 1 } }
pool "www" { fqdn = {"www.q.test"} dns = "r53" ipsource = "me" check = "web"
             timer = "t" rise = 1 heartbeat = $QHB }
C
		[ "$QMODE" = dns ] || sed -i '/nameservers/s/ nameservers = .*} }/ } }/' "$QT/$a.conf"
		"$BUILD/dnsfailover" -f -C "$QT/$a.conf" -l info 2>"$QT/$a.log" &
		pids[$a]=$!
	done
	local ok=0
	for _ in $(seq 120); do live_all 2 3 4 && { ok=1; break; }; sleep 0.5; done
	[ $ok = 1 ] || echo "  (the agents did not all see each other live in 60 s: $(tail -n 2 "$QT"/2.log))" >&2
	phase steady "$QWINDOW" 2 3 4
	touch "$QT/blind2"
	phase partition "$QWINDOW" 2 3 4
	rm -f "$QT/blind2"
	sleep $((3 * ${QHB%.*} + 2))
	{ kill -9 "${pids[4]}" "${srv[4]}"; wait "${pids[4]}" "${srv[4]}"; } 2>/dev/null
	phase death "$QWINDOW" 2 3
	grep -h "evicted\|outvoted:" "$QT"/*.log | sed 's/^/      /' >&2
	for a in 2 3; do kill "${pids[$a]}" "${srv[$a]}" 2>/dev/null; done
	for a in 2 3; do wait "${pids[$a]}" "${srv[$a]}" 2>/dev/null; done
	kill $FAKE_PID 2>/dev/null; wait $FAKE_PID 2>/dev/null; FAKE_PID=
}

if [[ " $PARTS " == *" quorum "* ]]; then
	echo "With quorum: 3 agents at interval $QINTERVAL s, $QWINDOW s per phase; Route 53 requests per"
	echo "agent and minute (state reads, heartbeat writes, record reads and changes):"
	echo
	printf '%-4s %3s %-10s %-4s %7s %7s %7s %7s %6s %7s\n' read hb phase agt st-read st-write rec-read rec-chg other total
	: >"$T/table"
	for r in $QRUNS; do quorum_run "${r%%:*}" "${r##*:}"; done
	echo
	echo "one account (300 requests a minute) carries, at the busiest agent's rate:"
	/usr/bin/python3 - "$T/table" <<'PY2'
import sys
worst = {}
for line in open(sys.argv[1]):
    f = line.split()
    key = (f[0], f[1], f[2])
    worst[key] = max(worst.get(key, 0), float(f[-1]))
for (mode, hb, name), v in sorted(worst.items(), key=lambda x: (x[0][0], float(x[0][1]), x[0][2])):
    print("  read = %-5s heartbeat = %-3s %-10s %6.1f requests/min/agent -> %4d agents" % (
        '"%s"' % mode, hb, name, v, int(300 // v) if v else 0))
PY2
	echo
fi
[[ " $PARTS " == *" rule "* ]] || exit 0

echo "Route 53 quota: 5 requests/s per account (fake AWS bucket); interval $INTERVAL s,"
echo "$ROUNDS rounds per N, ${DEAD}% of agents lose a peer per round; eviction bound $BOUND s"
echo
printf '%-4s %6s %9s %8s %9s %7s %8s %10s %4s\n' read agents "req/s" requests throttled \
	failed evicted slowest ok
best_api=0 best_dns=0
for n in $API_N; do run api "$n" && best_api=$n || break; done
for n in $DNS_N; do run dns "$n" && best_dns=$n || break; done
echo
echo "largest N without throttling, every dead peer out within $BOUND s:"
echo "  read = \"api\": $best_api agents    read = \"dns\": $best_dns agents (largest tried: ${DNS_N##* })"
