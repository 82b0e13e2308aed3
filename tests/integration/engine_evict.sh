#!/bin/bash
# Dead peers are evicted one per round, in numeric address order (.9
# before .10), with the other names and comments of the file untouched;
# the live ones and this host stay; its own address is not among the
# peers it checks; the status file says what happened.
. "$TOP_SRCDIR/tests/lib/common.sh"

port=$(free_port)
H=$T/hosts
F=www.example.test
cat >"$H" <<H
# managed by a test
127.0.0.1	localhost
127.0.0.2	$F
127.0.0.3	$F
127.0.0.10	$F other.example.test # keep me
127.0.0.9	$F
H
listen_tcp 127.0.0.2 "$port"
listen_tcp 127.0.0.3 "$port"

write_conf "$T/a.conf" <<C
status_file = "$T/status.json"
$(hosts_pool 127.0.0.2 "tcp { port = $port }" "interval = 0.3 timeout = 0.3 retries = 1")
C
start_agent a "$T/a.conf"

# Snapshots every 20 ms until both dead peers are gone.
seen=()
prev=
t0=$(now_ms)
for ((i = 0; i < 250; i++)); do
	cur=$(addrs "$H" "$F")
	[ "$prev" = "$cur" ] || seen+=("$cur")
	prev=$cur
	[ "$cur" = "127.0.0.2 127.0.0.3" ] && break
	sleep 0.02
done
took=$(($(now_ms) - t0))
printf 'states: %s\n' "${seen[@]/#/| }"
assert_eq "$cur" "127.0.0.2 127.0.0.3" "both dead peers evicted (in ${took} ms)"
assert_eq "${#seen[@]}" 3 "one eviction per round: ${seen[*]}"
assert_eq "${seen[0]}" "127.0.0.2 127.0.0.3 127.0.0.9 127.0.0.10" "start"
assert_eq "${seen[1]}" "127.0.0.2 127.0.0.3 127.0.0.10" ".9 evicted first (numeric order)"

# The rest of the file is as it was.
grep -q "^# managed by a test$" "$H" || fail "comment lost"
grep -q "^127.0.0.1[[:space:]]localhost$" "$H" || fail "other line lost"
grep -Eq "^127.0.0.10[[:space:]]+other.example.test # keep me$" "$H" ||
	fail "other name of an evicted address lost: $(cat "$H")"

# The status file, after one more round.
wait_for 3 test -s "$T/status.json" || fail "no status file"
wait_rounds "$T/status.json" 1 3 || fail "status not rewritten each round"
S=$T/status.json
assert_eq "$(status_get "$S" 's["pools"][0]["name"]')" "www" "status pool"
assert_eq "$(status_get "$S" 's["pools"][0]["own"]')" "127.0.0.2" "status own"
assert_eq "$(status_get "$S" 's["pools"][0]["state"]')" "joined" "status state"
assert_eq "$(status_get "$S" 's["pools"][0]["self"]["result"]')" "healthy" "status self"
assert_eq "$(status_get "$S" '" ".join(s["pools"][0]["fqdns"][0]["records"])')" \
	"127.0.0.2 127.0.0.3" "status records"
assert_eq "$(status_get "$S" '" ".join(p["addr"] + "=" + p["result"] for p in s["pools"][0]["peers"])')" \
	"127.0.0.3=healthy" "status peers (own address not among them)"
assert_eq "$(status_get "$S" 's["pools"][0]["fqdns"][0]["last_eviction"]["addr"]')" \
	"127.0.0.10" "status last eviction"
lat=$(status_get "$S" 's["pools"][0]["peers"][0]["latency"] < 0.3 and s["pools"][0]["round_duration"] < 0.5')
assert_eq "$lat" "True" "status latency and round duration"

# One log line per state change, none per healthy round.
log=$(cat "$T/a.log")
assert_eq "$(grep -c 'evicted 127.0.0.9 from' <<<"$log")" 1 "evicted .9 logged once"
assert_eq "$(grep -c 'evicted 127.0.0.10 from' <<<"$log")" 1 "evicted .10 logged once"
assert_eq "$(grep -c 'peer 127.0.0.9 down' <<<"$log")" 1 "peer down logged once"
assert_contains "$log" "joined $F as 127.0.0.2" "joined logged"
pass "dead peers evicted one per round in numeric order in ${took} ms"
