#!/bin/bash
# awsdns as a hidden primary at scale (issue 23): with the fake AWS
# holding N instances (default 100,000: host-000000.ec2.bench ... on
# 10.1.0.0 up), the time and size of an AXFR of the forward zone and of
# the reverse zone (10.in-addr.arpa) from awsdns, asked by dig over
# loopback with the TSIG key; then the IXFR of a change of 10 instances
# (4 added, 3 renamed, 3 terminated at the fake), its size and time.
#
# Beside it, in the same run, Knot (knotd) as a secondary of awsdns: the
# time of Knot's own AXFR of each zone from awsdns (Knot's log), and the
# time of an AXFR of the same zone served by Knot itself (dig from
# knotd), with the ratio awsdns / knot for serving it; after the change,
# Knot's IXFR (NOTIFY from awsdns) and the IXFR Knot serves.
#
# Everything on 127.0.0.1, every wait bounded; the script stops every
# process it started.  See bench/README.md.
#
#   BUILD=build bash bench/awsdns_xfr.sh
#   N=100000 REPS=3 REFRESH=20 WAIT=600 LOGDIR=DIR (keeps the logs)
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
N=${N:-100000}
REPS=${REPS:-3}          # AXFRs asked of each server, of each zone
REFRESH=${REFRESH:-20}   # awsdns's refresh (seconds)
WAIT=${WAIT:-600}        # bound of every wait for a load or a transfer
BUILD=${BUILD:-$top/build}
DFO=$BUILD/dnsfailover
PLUGINS=$BUILD/plugins/.libs
PY=/usr/bin/python3
DOMAIN=ec2.bench
REV=10.in-addr.arpa
BENCH=awsdns_xfr.sh
. "$top/bench/lib.sh"

for c in dig knotd curl bc; do command -v $c >/dev/null || die "needs $c (scripts/deps.sh bench)"; done
[ -x "$DFO" ] || die "no $DFO (build first)"
[ -e "$PLUGINS/awsdns.so" ] || [ -e "$PLUGINS/responder_awsdns.so" ] || die "no awsdns module in $PLUGINS"

serial_at() { # PORT ZONE
	dig +short +norec +time=2 +tries=1 -p "$1" @127.0.0.1 "$2" SOA 2>/dev/null | awk '{ print $3 }'
}

# ---- the key, the fake, awsdns ----
SECRET=$(head -c 32 /dev/urandom | base64)
KEYNAME=xfr-bench
KEY="hmac-sha256:$KEYNAME:$SECRET"
printf 'key "%s" {\n\talgorithm hmac-sha256;\n\tsecret "%s";\n};\n' "$KEYNAME" "$SECRET" >"$W/xfr.key"

t0=$(now)
start_fake "$N" "$WAIT"
echo "# the fake AWS holds $N instances ($(printf %.1f "$(since "$t0")") s to make them)" >&2

A_PORT=$(free_port)
K_PORT=$(free_port)
awsdns_conf "$W/awsdns.conf" "$A_PORT" 120 "refresh = $REFRESH threads = 1
	reverse_zones = {\"$REV\"}
	ns = {\"ns1.example.net\"}
	transfer_allow = {\"127.0.0.1\"}
	transfer_key = \"$W/xfr.key\"
	transfer_timeout = $WAIT
	notify = {\"127.0.0.1:$K_PORT\"}"
LAST=$(host_name "$N" $((N - 1)))
t0=$(now)
"$DFO" -f -C "$W/awsdns.conf" -l info 2>"$W/awsdns.log" &
pids+=($!)
AGENT=$!
until_s "$WAIT" answers "$A_PORT" "$LAST" A ||
	die "awsdns did not serve $LAST in $WAIT s: $(tail -5 "$W/awsdns.log")"
echo "# awsdns serves the $N instances after $(printf %.1f "$(since "$t0")") s" >&2

# ---- Knot, a secondary of awsdns (notified by it), serving the zones ----
mkdir -p "$W/knot"
cat >"$W/knot/knot.conf" <<C
server:
    rundir: "$W/knot"
    listen: 127.0.0.1@$K_PORT
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "$W/knot"
key:
  - id: $KEYNAME
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: awsdns
    address: 127.0.0.1@$A_PORT
    key: $KEYNAME
acl:
  - id: from-awsdns
    address: 127.0.0.1
    key: $KEYNAME
    action: notify
  - id: transfer
    address: 127.0.0.1
    key: $KEYNAME
    action: transfer
template:
  - id: default
    storage: "$W/knot"
    master: awsdns
    acl: [from-awsdns, transfer]
    zonefile-sync: -1
    zonefile-load: none
    journal-content: changes
    semantic-checks: off
zone:
  - domain: $DOMAIN
  - domain: $REV
C
knotd -c "$W/knot/knot.conf" >"$W/knot/knot.log" 2>&1 &
pids+=($!)
same_serial() { # ZONE
	local s
	s=$(serial_at "$A_PORT" "$1")
	[ -n "$s" ] && [ "$(serial_at "$K_PORT" "$1")" = "$s" ]
}
for z in $DOMAIN $REV; do
	until_s "$WAIT" same_serial $z ||
		die "Knot did not load $z from awsdns in $WAIT s: $(tail -5 "$W/knot/knot.log")"
done

# Knot's log: "[ZONE.] AXFR, incoming, remote ..., finished, 1.23 seconds,
# 45 messages, 3456789 bytes"
knot_xfr() { # ZONE KIND(AXFR/IXFR): "seconds messages bytes" of its last one
	grep "\[$1\.\] $2, incoming.*finished" "$W/knot/knot.log" | tail -1 |
		sed -n 's/.*finished, \([0-9.]*\) seconds, \([0-9]*\) messages, \([0-9]*\) bytes.*/\1 \2 \3/p'
}
# awsdns's log: "AXFR of ZONE serial S to 127.0.0.1 (TSIG): whole, R
# records, M messages, B bytes, T s"
awsdns_xfr() { # ZONE KIND SERIAL: "records messages bytes seconds" of its last one
	grep "$2 of $1 serial $3 to " "$W/awsdns.log" | tail -1 |
		sed -n 's/.*: [a-z ()]*, \([0-9]*\) records, \([0-9]*\) messages, \([0-9]*\) bytes, \([0-9.]*\) s.*/\1 \2 \3 \4/p'
}

# xfr PORT ZONE TYPE: one transfer asked by dig: "seconds records messages
# bytes" (wall time around dig, its output thrown away but the stats)
xfr() {
	local t out
	t=$(now)
	out=$(dig +norec +time=60 +tries=1 -p "$1" @127.0.0.1 -y "$KEY" "$2" "$3" 2>&1 |
		grep -E '^;; (XFR size|Transfer failed|; Transfer failed|communications error)|failed|Couldn.t verify')
	t=$(printf %.3f "$(since "$t")")
	local sz
	sz=$(sed -n 's/^;; XFR size: \([0-9]*\) records (messages \([0-9]*\), bytes \([0-9]*\)).*/\1 \2 \3/p' <<<"$out")
	if [ -z "$sz" ] || grep -q "failed\|verify" <<<"$out"; then
		echo "  dig $3 of $2 at port $1: $out" >&2
		echo "- - - -"
		return 1
	fi
	echo "$t $sz"
}
median() { sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else print v[int((NR + 1) / 2)] }'; }
declare -A T REC MSG BYTES
# axfr_runs NAME PORT ZONE: REPS transfers; the median time
axfr_runs() {
	local name=$1 port=$2 zone=$3 i r times=""
	for ((i = 0; i < REPS; i++)); do
		r=$(xfr "$port" "$zone" AXFR) || continue
		read -r t rec msg bytes <<<"$r"
		times+="$t"$'\n'
		REC[$name.$zone]=$rec MSG[$name.$zone]=$msg BYTES[$name.$zone]=$bytes
	done
	T[$name.$zone]=$(printf %s "$times" | median)
}

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for z in $DOMAIN $REV; do
	axfr_runs awsdns "$A_PORT" $z
	axfr_runs knot "$K_PORT" $z
done
S0=$(serial_at "$A_PORT" $DOMAIN)
R0=$(serial_at "$A_PORT" $REV)
# the servers' own times of the AXFRs dig asked (their logs: from the
# request to the last message written), medians
declare -A ST
for z in $DOMAIN $REV; do
	[ $z = $DOMAIN ] && ser=$S0 || ser=$R0
	ST[awsdns.$z]=$(grep "AXFR of $z serial $ser to 127.0.0.1 (TSIG): whole" "$W/awsdns.log" |
		tail -n "$REPS" | sed -n 's/.*, \([0-9.]*\) s$/\1/p' | median)
	ST[knot.$z]=$(grep "\[$z\.\] AXFR, outgoing.*finished" "$W/knot/knot.log" | tail -n "$REPS" |
		sed -n 's/.*finished, \([0-9.]*\) seconds.*/\1/p' | median)
done

# ---- a change of 10 instances: 4 added, 3 renamed, 3 terminated ----
$PY - "$N" >"$W/change.json" <<'PY'
import json, sys
n = int(sys.argv[1])
iid = lambda i: "i-%017x" % (0x10000000 + i)
add = []
for k in range(4):
    a = 65536 + n + k
    add.append({"id": "i-%017x" % (0x20000000 + k),
                "private_ip": "10.%d.%d.%d" % (a >> 16, (a >> 8) & 255, a & 255),
                "tags": {"Name": "added-%d" % k, "Class": "bench"}})
print(json.dumps({"add": add,
                  "tags": {iid(i): {"Name": "renamed-%d" % i} for i in (1, n // 2, n - 2)},
                  "terminate": [iid(i) for i in (0, n // 3, n - 1)]}))
PY
# Posted as a refresh ends: a change made while awsdns pages through
# DescribeInstances shows in part (pages before and after it, as AWS
# would), spreading it over two refreshes; the next one begins REFRESH s
# later.
refreshes() { grep -c "instances indexed\|: refreshed: " "$W/awsdns.log"; }
n0=$(refreshes)
more_refreshes() { [ "$(refreshes)" -gt "$n0" ]; }
until_s $((REFRESH + WAIT)) more_refreshes || die "awsdns does not refresh: $(tail -3 "$W/awsdns.log")"
curl -sf -X POST --data @"$W/change.json" "$FAKE/_fake/instances" >/dev/null ||
	die "the fake did not take the change"
tc=$(now)
changed() { [ "$(serial_at "$A_PORT" $DOMAIN)" != "$S0" ] && [ "$(serial_at "$A_PORT" $REV)" != "$R0" ]; }
until_s "$WAIT" changed || die "awsdns did not load the change in $WAIT s: $(tail -5 "$W/awsdns.log")"
SEEN=$(since "$tc")
S1=$(serial_at "$A_PORT" $DOMAIN)
R1=$(serial_at "$A_PORT" $REV)
answers "$A_PORT" added-0.$DOMAIN A || die "the change is not served"
# Knot: NOTIFY, then its IXFR
for z in $DOMAIN $REV; do
	until_s "$WAIT" same_serial $z || die "Knot did not take the change of $z: $(tail -5 "$W/knot/knot.log")"
done
KNOT_LAG=$(since "$tc")
REFRESH_LINE=$(grep ": refreshed: " "$W/awsdns.log" | tail -1 | sed 's/.*: refreshed: //')
DIFF_LINE=$(grep "zone $DOMAIN $S0 -> " "$W/awsdns.log" | tail -1 | sed 's/.*: zone //')
declare -A IX
for z in $DOMAIN $REV; do
	[ $z = $DOMAIN ] && from=$S0 || from=$R0
	IX[awsdns.$z]=$(xfr "$A_PORT" $z "IXFR=$from")
	IX[knot.$z]=$(xfr "$K_PORT" $z "IXFR=$from")
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ---- the figures ----
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0 && a != "-") printf "%.2f", a / b; else print "-" }'; }
mb() { awk -v b="$1" 'BEGIN { if (b + 0 > 0) printf "%.2f", b / 1e6; else print "-" }'; }
echo "awsdns_xfr.sh: $N instances, TSIG hmac-sha256, dig over 127.0.0.1, $(nproc) cores;" \
	"load average $LOAD0 (at the AXFRs), $LOAD1 (at the end)"
echo
echo "AXFR served (dig's wall time, median of $REPS; records, messages, bytes of the last):"
printf "  %-16s %-7s %9s %9s %9s %10s\n" zone server seconds records messages MB
for z in $DOMAIN $REV; do
	for s in awsdns knot; do
		printf "  %-16s %-7s %9s %9s %9s %10s\n" $z $s "${T[$s.$z]:--}" "${REC[$s.$z]:--}" \
			"${MSG[$s.$z]:--}" "$(mb "${BYTES[$s.$z]:-}")"
	done
	echo "  $z: awsdns / knot serving the AXFR: $(ratio "${T[awsdns.$z]:--}" "${T[knot.$z]:-0}") x the time (dig's);" \
		"the servers' logs: awsdns ${ST[awsdns.$z]:--} s, knot ${ST[knot.$z]:--} s"
done
echo
echo "Knot's own AXFR from awsdns (Knot's log: seconds, messages, bytes), and awsdns's side (its log):"
for z in $DOMAIN $REV; do
	read -r ks km kb <<<"$(knot_xfr $z AXFR)"
	first=$(grep -m1 "AXFR of $z serial .* to 127.0.0.1 (TSIG): whole" "$W/awsdns.log" |
		sed -n 's/.*, \([0-9.]*\) s$/\1/p')
	echo "  $z: Knot ${ks:--} s, ${km:--} messages, $(mb "${kb:-}") MB; awsdns sent it in ${first:--} s"
done
echo
echo "A change of 10 instances (4 added, 3 renamed, 3 terminated): awsdns served it" \
	"$(printf %.1f "$SEEN") s after the fake had it (refresh $REFRESH s), Knot $(printf %.1f "$KNOT_LAG") s after"
echo "  awsdns's refresh: $REFRESH_LINE; zone $DIFF_LINE"
for z in $DOMAIN $REV; do
	[ $z = $DOMAIN ] && s="$S0 -> $S1" || s="$R0 -> $R1"
	read -r ks km kb <<<"$(knot_xfr $z IXFR)"
	echo "  $z ($s): Knot's IXFR from awsdns ${ks:--} s, ${km:--} messages, ${kb:--} bytes"
	for x in awsdns knot; do
		read -r t rec msg bytes <<<"${IX[$x.$z]:-- - - -}"
		echo "  $z: IXFR served by $x: $t s, $rec records, $msg messages, $bytes bytes" \
			"($(awk -v a="$bytes" -v b="${BYTES[$x.$z]:-0}" 'BEGIN { if (b > 0 && a != "-") printf "%.4f %%", 100 * a / b; else print "-" }') of its AXFR)"
	done
done
kill -0 "$AGENT" 2>/dev/null || die "dnsfailover died: $(tail -5 "$W/awsdns.log")"
exit 0
