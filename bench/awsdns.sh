#!/bin/bash
# awsdns against dnsmasq, unbound and Knot DNS, serving the same N
# instance names (default 10,000: host-000000.ec2.bench ... from
# 10.1.0.0 up) on loopback, one after the other, each driven by dnsperf
# from the same machine: A queries, then PTR queries.  Prints qps, p50
# and p99 latency and RSS of each, and awsdns's ratios to the others.
# Then BIG (default 100,000) instances: awsdns's RSS and time to serve
# them against the time the fake AWS takes to hand them out.
#
# awsdns's EC2 index comes from the fake DescribeInstances of
# tests/fake/aws.py (--instances N); the peers get the same names from a
# hosts file (dnsmasq --addn-hosts), local-data (unbound) and two zones
# (knotd).  Everything bounded: dnsperf -l SECS, every wait has a limit.
# See bench/README.md.
#
#   BUILD=build bash bench/awsdns.sh
#   N=10000 BIG=100000 SECS=10 LAT_SECS=3 THREADS=1 CLIENTS=4 OUTSTANDING=100
#   LAT_OUTSTANDING=30 ONLY="awsdns knot" LOGDIR=DIR (keeps the logs)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
N=${N:-10000}
BIG=${BIG:-100000}
SECS=${SECS:-10}         # dnsperf -l of a throughput run
LAT_SECS=${LAT_SECS:-3}  # dnsperf -l -v of a latency run
THREADS=${THREADS:-1}    # server threads (awsdns, unbound, knot)
CLIENTS=${CLIENTS:-4}    # dnsperf -c
OUTSTANDING=${OUTSTANDING:-100} # dnsperf -q of a throughput run
# dnsperf -q of a latency run: enough to keep the server saturated (the
# qps of 30 outstanding match those of 100 here), no more: every further
# outstanding query only waits in the socket buffer, adding 1/qps to each
# reply's time, which measures dnsperf's queue, not the server.
LAT_OUTSTANDING=${LAT_OUTSTANDING:-30}
ONLY=${ONLY:-"awsdns dnsmasq unbound knot"}
BUILD=${BUILD:-$top/build}
DFO=$BUILD/dnsfailover
DFO_AWS=$BUILD/dnsfailover-aws
PLUGINS=$BUILD/plugins/.libs
PY=/usr/bin/python3
DOMAIN=ec2.bench
BENCH=awsdns.sh
UNTIL_STEP=0.05
. "$top/bench/lib.sh"

for c in dnsperf dig; do command -v $c >/dev/null || die "needs $c (scripts/deps.sh test)"; done
$PY -c 'import botocore' 2>/dev/null || die "needs $PY with botocore (python3-botocore)"

have_awsdns() { [ -e "$PLUGINS/awsdns.so" ] || [ -e "$PLUGINS/responder_awsdns.so" ]; }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# CPU time of a process, all its threads, user + system, in clock ticks.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0; }
TICK=$(getconf CLK_TCK)

# ---- the data: names, addresses, query files, the peers' files ----
$PY - "$N" "$W" "$DOMAIN" <<'PY'
import sys
n, w, dom = int(sys.argv[1]), sys.argv[2], sys.argv[3]
width = max(6, len(str(n - 1)))   # as tests/fake/aws.py --instances names them
rows = []
for i in range(n):
    a = 65536 + i
    ip = "10.%d.%d.%d" % (a >> 16, (a >> 8) & 255, a & 255)
    rows.append(("host-%0*d" % (width, i), ip))
with open(w + "/hosts", "w") as f:
    for name, ip in rows:
        f.write("%s %s.%s\n" % (ip, name, dom))
with open(w + "/queries.a", "w") as f:
    for name, ip in rows:
        f.write("%s.%s A\n" % (name, dom))
with open(w + "/queries.ptr", "w") as f:
    for name, ip in rows:
        f.write("%s.in-addr.arpa PTR\n" % ".".join(reversed(ip.split("."))))
with open(w + "/unbound.data", "w") as f:
    f.write('local-zone: "%s." static\n' % dom)
    for name, ip in rows:
        f.write('local-data: "%s.%s. 60 IN A %s"\n' % (name, dom, ip))
        f.write('local-data-ptr: "%s 60 %s.%s."\n' % (ip, name, dom))
soa = "@ 60 IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 60\n@ 60 IN NS ns.%s.\n" % (dom, dom, dom)
with open(w + "/%s.zone" % dom, "w") as f:
    f.write("$ORIGIN %s.\n" % dom + soa + "ns 60 IN A 127.0.0.1\n")
    for name, ip in rows:
        f.write("%s 60 IN A %s\n" % (name, ip))
with open(w + "/10.in-addr.arpa.zone", "w") as f:
    f.write("$ORIGIN 10.in-addr.arpa.\n" + soa)
    for name, ip in rows:
        o = ip.split(".")
        f.write("%s.%s.%s 60 IN PTR %s.%s.\n" % (o[3], o[2], o[1], name, dom))
with open(w + "/first_last", "w") as f:
    f.write("%s.%s %s\n" % (rows[-1][0], dom, ".".join(reversed(rows[-1][1].split("."))) + ".in-addr.arpa"))
PY
read -r LAST_NAME LAST_PTR <"$W/first_last"

# ---- measuring one server ----
declare -A QPS P50 P99 RSS CPU
# measure NAME PORT PID: A and PTR, throughput then latency.
measure() {
	local name=$1 port=$2 pid=$3 kind out lat t0 t1 done_q
	for kind in a ptr; do
		t0=$(cpu_ticks "$pid")
		out=$(dnsperf -s 127.0.0.1 -p "$port" -d "$W/queries.$kind" -l "$SECS" \
			-c "$CLIENTS" -T 1 -q "$OUTSTANDING" -t 2 2>&1)
		t1=$(cpu_ticks "$pid")
		QPS[$name.$kind]=$(echo "$out" | awk '/Queries per second:/ { printf "%.0f", $4 }')
		# The server's CPU per answered query: what it leaves to the
		# client on a shared machine, steadier than the qps.
		done_q=$(echo "$out" | awk '/Queries completed:/ { print $3 }')
		CPU[$name.$kind]=$(awk -v d="$((t1 - t0))" -v n="${done_q:-0}" -v hz="$TICK" \
			'BEGIN { if (n > 0) printf "%.2f", d / hz * 1e6 / n; else print "-" }')
		local lost
		lost=$(echo "$out" | awk '/Queries lost:/ { print $3 }')
		[ "${lost:-0}" = 0 ] || echo "  $name $kind: $lost queries lost" >&2
		echo "$out" | grep -q "NOERROR" || echo "  $name $kind: $(echo "$out" | grep 'Response codes')" >&2
		# Latency: every reply's time (-v), a shorter run at the same load.
		dnsperf -s 127.0.0.1 -p "$port" -d "$W/queries.$kind" -l "$LAT_SECS" \
			-c "$CLIENTS" -T 1 -q "$LAT_OUTSTANDING" -t 2 -v 2>/dev/null |
			awk '/^> / { print $NF }' | sort -g >"$W/lat"
		lat=$(awk '{ v[NR] = $1 }
			END {
				if (!NR) { print "- -"; exit }
				i = int(NR * 0.5); if (i < 1) i = 1
				j = int(NR * 0.99); if (j < 1) j = 1
				printf "%.3f %.3f", v[i] * 1000, v[j] * 1000
			}' "$W/lat")
		P50[$name.$kind]=${lat% *}
		P99[$name.$kind]=${lat#* }
	done
	RSS[$name]=$(rss_kib "$pid")
}

stop() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# The responder's process: the agent's child.
child_of() {
	local i c
	for ((i = 0; i < 100; i++)); do
		c=$(pgrep -P "$1" | head -1)
		[ -n "$c" ] && { echo "$c"; return; }
		sleep 0.05
	done
}

run_awsdns() {
	have_awsdns || { echo "awsdns: no awsdns module in $PLUGINS (not built yet): skipped" >&2; return; }
	start_fake "$N"
	local port
	port=$(free_port)
	awsdns_conf "$W/awsdns.conf" "$port" 60 "refresh = 3600 threads = $THREADS"
	"$DFO" -f -C "$W/awsdns.conf" -l warning 2>"$W/awsdns.log" &
	local agent=$!
	pids+=("$agent")
	until_s 300 answers "$port" "$LAST_NAME" A ||
		{ cat "$W/awsdns.log" >&2; stop "$agent"; stop "$FAKE_PID"; echo "awsdns did not serve" >&2; return; }
	local child
	child=$(child_of "$agent")
	measure awsdns "$port" "${child:-$agent}"
	RSS[awsdns]=$((RSS[awsdns] + $(rss_kib "$agent")))
	RSS_CHILD=$(rss_kib "${child:-$agent}")
	stop "$agent"
	stop "$FAKE_PID"
}

# installed CMD NAME: whether CMD is there; if not, says NAME is skipped.
installed() {
	command -v "$1" >/dev/null || { echo "$2: not installed: skipped" >&2; return 1; }
}

# serve NAME PORT QNAME QTYPE CMD...: run the server CMD (stderr to
# $W/NAME.log) until it answers QNAME QTYPE on PORT (60 s), measure it
# as NAME, stop it.
serve() {
	local name=$1 port=$2 qname=$3 qtype=$4
	shift 4
	"$@" 2>"$W/$name.log" &
	local pid=$!
	pids+=("$pid")
	until_s 60 answers "$port" "$qname" "$qtype" || { cat "$W/$name.log" >&2; return; }
	measure "$name" "$port" "$pid"
	stop "$pid"
}

run_dnsmasq() {
	installed dnsmasq dnsmasq || return
	local port
	port=$(free_port)
	serve dnsmasq "$port" "$LAST_NAME" A dnsmasq -k --no-resolv --no-hosts --no-poll \
		--addn-hosts="$W/hosts" --port="$port" --listen-address=127.0.0.1 --bind-interfaces \
		--local-ttl=60 --pid-file= --user="$(id -un)" --log-facility=- -q
}

run_unbound() {
	installed unbound unbound || return
	local port
	port=$(free_port)
	cat >"$W/unbound.conf" <<C
server:
	interface: 127.0.0.1
	port: $port
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$W"
	pidfile: ""
	use-syslog: no
	logfile: ""
	verbosity: 0
	num-threads: $THREADS
	so-reuseport: yes
	access-control: 127.0.0.0/8 allow
	do-ip6: no
	include: "$W/unbound.data"
remote-control:
	control-enable: no
C
	serve unbound "$port" "$LAST_NAME" A unbound -d -c "$W/unbound.conf"
}

run_knot() {
	installed knotd knot || return
	local port
	port=$(free_port)
	mkdir -p "$W/knot"
	cat >"$W/knot.conf" <<C
server:
    rundir: "$W/knot"
    listen: 127.0.0.1@$port
    udp-workers: $THREADS
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$W/knot"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$W"
    file: "%s.zone"
    journal-content: none
    zonefile-sync: -1
    semantic-checks: off
zone:
  - domain: $DOMAIN
  - domain: 10.in-addr.arpa
C
	serve knot "$port" "$LAST_PTR" PTR knotd -c "$W/knot.conf"
}

echo "awsdns.sh: $N names, dnsperf -l $SECS -c $CLIENTS -q $OUTSTANDING (latency: -l $LAT_SECS -q $LAT_OUTSTANDING -v),"
echo "           server threads $THREADS, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for s in $ONLY; do
	echo "== $s" >&2
	"run_$s"
done

mib() { [ -n "${1:-}" ] && [ "$1" != 0 ] && awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }' || echo "-"; }
ratio() { [ -n "${1:-}" ] && [ -n "${2:-}" ] && [ "${2:-0}" != 0 ] && awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }' || echo "-"; }

echo
printf "%-8s %9s %8s %8s %8s %9s %8s %8s %8s %7s\n" server "A qps" "A us/q" "A p50" "A p99" \
	"PTR qps" "PTR us/q" "PTR p50" "PTR p99" "RSS MiB"
for s in $ONLY; do
	printf "%-8s %9s %8s %8s %8s %9s %8s %8s %8s %7s\n" "$s" "${QPS[$s.a]:--}" "${CPU[$s.a]:--}" \
		"${P50[$s.a]:--}" "${P99[$s.a]:--}" "${QPS[$s.ptr]:--}" "${CPU[$s.ptr]:--}" \
		"${P50[$s.ptr]:--}" "${P99[$s.ptr]:--}" "$(mib "${RSS[$s]:-}")"
done
echo "(us/q: the server's CPU microseconds per answered query; p50/p99 in ms)"
if [ -n "${QPS[awsdns.a]:-}" ]; then
	echo
	echo "awsdns RSS: $(mib "${RSS_CHILD:-}") MiB the responder, $(mib "${RSS[awsdns]}") MiB with the agent"
	for s in dnsmasq unbound knot; do
		[ -n "${QPS[$s.a]:-}" ] || continue
		echo "awsdns / $s: A $(ratio "${QPS[awsdns.a]}" "${QPS[$s.a]}") x, PTR $(ratio "${QPS[awsdns.ptr]}" "${QPS[$s.ptr]}") x qps;" \
			"CPU per query A $(ratio "${CPU[$s.a]}" "${CPU[awsdns.a]}") x, PTR $(ratio "${CPU[$s.ptr]}" "${CPU[awsdns.ptr]}") x less"
	done
	echo "targets: A >= knot and >= 1.3 x dnsmasq; PTR >= knot; p99 < 0.8 ms"
fi

# ---- BIG instances: index size and time to serve ----
if [ "$BIG" -gt 0 ] && have_awsdns && [[ " $ONLY " == *" awsdns "* ]]; then
	echo
	echo "== $BIG instances" >&2
	start_fake "$BIG"
	# What the fake needs to hand them out: every page, fetched by a
	# minimal signed client that only counts them.
	read -r got handout < <($PY - "$FAKE" <<'PY'
import re, sys, time, urllib.request
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
url, creds = sys.argv[1] + "/", Credentials("AKIDBENCH", "benchsecret")
n, tok, t0 = 0, None, time.monotonic()
while True:
    body = ("Action=DescribeInstances&Version=2016-11-15&Filter.1.Name="
            "instance-state-name&Filter.1.Value.1=running")
    if tok:
        body += "&NextToken=" + tok
    req = AWSRequest(method="POST", url=url, data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(creds, "ec2", "us-east-1").add_auth(req)
    x = urllib.request.urlopen(urllib.request.Request(
        url, data=body.encode(), headers=dict(req.headers.items()),
        method="POST"), timeout=120).read().decode()
    n += x.count("<instanceId>")
    m = re.search("<nextToken>([^<]*)</nextToken>", x)
    if not m:
        break
    tok = m.group(1)
print(n, time.monotonic() - t0)
PY
)
	[ "${got:-0}" = "$BIG" ] || echo "  the fake handed out ${got:-0} instances, not $BIG" >&2
	port=$(free_port)
	awsdns_conf "$W/awsdns-big.conf" "$port" 60 "refresh = 3600 threads = $THREADS"
	big_last=$(host_name "$BIG" $((BIG - 1)))
	t0=$(now)
	"$DFO" -f -C "$W/awsdns-big.conf" -l warning 2>"$W/awsdns-big.log" &
	agent=$!
	pids+=("$agent")
	if until_s 300 answers "$port" "$big_last" A; then
		serve=$(since "$t0")
		child=$(child_of "$agent")
		echo "$BIG instances: fake hands them out in $(printf %.2f "$handout") s; awsdns serves after $(printf %.2f "$serve") s" \
			"($(printf %+.2f "$(echo "$serve - $handout" | bc)") s, target < +2 s); responder RSS $(mib "$(rss_kib "${child:-$agent}")") MiB (target < 50 MiB)"
	else
		echo "$BIG instances: awsdns did not serve within 300 s: $(tail -5 "$W/awsdns-big.log")"
	fi
	stop "$agent"
	stop "$FAKE_PID"
fi
exit 0
