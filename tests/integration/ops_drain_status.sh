#!/bin/bash
# drain_file: while it exists this host withdraws its own record (never
# the last) and does not rejoin; --status shows the pool draining;
# removing the file lets it rejoin after `rise` passing checks.
# --status: per pool state, own address, last round, records with each
# peer's result; --status --json prints the file unchanged; exit 1 when
# a pool is failing or its last round is older than three intervals.
. "$TOP_SRCDIR/tests/lib/common.sh"

port=$(free_port)
H=$T/hosts
F=www.example.test
D=$T/run/drain-www
mkdir -p "$T/run"
printf '127.0.0.2 %s\n127.0.0.3 %s\n127.0.0.4 last.example.test\n' $F $F >"$H"
listen_tcp 127.0.0.2 "$port"
self_pid=$LISTEN_PID
listen_tcp 127.0.0.3 "$port"
listen_tcp 127.0.0.4 "$port"

write_conf "$T/a.conf" <<C
status_file = "$T/status.json"
$(hosts_pool 127.0.0.2 "tcp { port = $port }" "interval = 0.3 timeout = 0.3 retries = 1" "rise = 3 drain_file = \"$D\"")
ipsource "four" { static { address = "127.0.0.4" } }
pool "last" { fqdn = {"last.example.test"} dns = "local" ipsource = "four"
              check = "c" timer = "fast" drain_file = "$D" }
C
S=$T/status.json
state_is() { [ "$(status_get "$S" 's["pools"][0]["state"]')" = "$1" ]; }
start_agent a "$T/a.conf"
wait_for 5 test -s "$S" || fail "no status file"
wait_rounds "$S" 2 5 || fail "no rounds"

out=$("$DFO" -C "$T/a.conf" --status) || fail "--status of a healthy agent exited $?: $out"
echo "$out"
assert_contains "$out" "pool www: joined" "--status state"
assert_contains "$out" "own address:  127.0.0.2" "--status own"
assert_contains "$out" "last round:" "--status last round"
assert_contains "$out" "127.0.0.3" "--status peer"
grep -Eq "127\.0\.0\.3 +healthy, [0-9.]+ s" <<<"$out" || fail "--status peer result and latency: $out"
grep -Eq "127\.0\.0\.2 +this host" <<<"$out" || fail "--status own record: $out"
# --json: the file itself.
"$DFO" -C "$T/a.conf" --status --json >"$T/json" || fail "--status --json exited $?"
/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/json" || fail "--json not JSON"
head -c 40 "$T/json" | grep -q '^{"schema_version": 1, "pid": ' ||
	fail "--json not the status file, or without its schema version: $(head -c 60 "$T/json")"

# Drain: withdrawn from www; in "last" it holds the last record: kept.
touch "$D"
wait_for 5 has_addrs "$H" $F "127.0.0.3" || fail "not withdrawn while draining: $(cat "$H")"
wait_rounds "$S" 3 5
assert_eq "$(status_get "$S" 's["pools"][0]["state"]')" "draining" "status state"
assert_eq "$(status_get "$S" 's["pools"][0]["draining"]')" "True" "status draining"
has_addrs "$H" last.example.test "127.0.0.4" || fail "the last record was withdrawn"
grep -q "not withdrawing 127.0.0.4 from last.example.test: it is the last record" "$T/a.log" ||
	fail "last record not logged"
out=$("$DFO" -C "$T/a.conf" --status)
assert_contains "$out" "pool www: draining" "--status shows draining"
# Still out after more rounds (does not rejoin).
wait_rounds "$S" 4 5
has_addrs "$H" $F "127.0.0.3" || fail "rejoined while draining"

# Undrain: back after rise (3) passing checks, not before.
rm "$D"
t0=$(now_ms)
r0=$(status_get "$S" 's["pools"][0]["rounds"]')
wait_for 5 has_addrs "$H" $F "127.0.0.2 127.0.0.3" || fail "not rejoined after the drain file went"
r1=$(status_get "$S" 's["pools"][0]["rounds"]')
[ $((r1 - r0)) -ge 2 ] || fail "rejoined after $((r1 - r0)) round(s), rise is 3"
grep -q "pool www: rejoined $F as 127.0.0.2" "$T/a.log" || fail "rejoin not logged"
echo "rejoined $((r1 - r0)) rounds, $(($(now_ms) - t0)) ms after the drain file went"

# Failing pool: --status exits 1.
kill $self_pid
wait_for 5 state_is "self-check failing" ||
	fail "self-check failure not in the status"
out=$("$DFO" -C "$T/a.conf" --status) && fail "--status exited 0 with a failing pool: $out"
assert_contains "$out" "pool www: self-check failing  <- " "--status failing"
# The reason is the self-check's, not the state said twice (issue 18).
assert_not_contains "$out" "self-check failing  <- self-check failing" "--status failing reason"
grep -q "^pool www: self-check failing  <- .*$port" <<<"$out" ||
	fail "--status failing: the self-check's reason missing: $out"
"$DFO" -C "$T/a.conf" --status --json >/dev/null && fail "--status --json exited 0 with a failing pool"

# Stale: the agent stopped; after three intervals (0.9 s) --status says so.
listen_tcp 127.0.0.2 "$port"
wait_for 10 state_is joined || fail "not joined again"
kill "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
sleep 1.2
out=$("$DFO" -C "$T/a.conf" --status) && fail "--status exited 0 with a stale status: $out"
assert_contains "$out" "s ago (interval 0.3 s)" "--status stale"
# No status file at all.
rm -f "$S"
"$DFO" -C "$T/a.conf" --status 2>"$T/err" && fail "--status without a status file exited 0"
assert_contains "$(cat "$T/err")" "is the agent running?" "no status file"
pass "drain withdraws and holds; --status shows state and exits 1 when failing or stale"
