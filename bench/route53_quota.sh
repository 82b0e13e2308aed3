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
#   bash bench/route53_quota.sh [BUILD_DIR]
#   env: INTERVAL (10), ROUNDS (3), DEAD (1, % of agents per round),
#        API_N ("30 40 45 50 55"), DNS_N ("500 1000 2000 3000")
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
