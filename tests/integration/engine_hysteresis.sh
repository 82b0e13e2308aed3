#!/bin/bash
# rise and fall: a peer failing fewer than `fall` rounds running stays;
# at `fall` it goes; a host that withdrew comes back only after `rise`
# passing self-checks.  The checks fail a counted number of times
# ("failfor N TAG" of the fault check, which records each check it ran),
# and the assertions read what the agent and the check recorded, never
# how fast the rounds went.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\t%s\n127.0.0.3\t%s\n127.0.0.4\t%s\n' $F $F $F >"$H"
fault_conf "$T/a.conf" "interval = 0.25 timeout = 0.3 retries = 1" "fall = 3 rise = 3"
S=$T/status.json
start_agent a "$T/a.conf"
wait_for 10 test -s "$S" || fail "no status"
# checks ADDR TAG: how many checks of ADDR the mode tagged TAG has seen.
checks() { [ -f "$D/$1.$2" ] && wc -l <"$D/$1.$2" || echo 0; }
checks_ge() { [ "$(checks "$1" "$2")" -ge "$3" ]; }
mode() { echo "$2" >"$D/$1.new" && mv "$D/$1.new" "$D/$1"; }

# .3 flaps: fails two rounds (fall - 1), then passes two: it stays.
mode 127.0.0.3 "failfor 2 flap"
wait_for 30 checks_ge 127.0.0.3 flap 4 || fail "the flapping peer was not checked 4 times"
assert_eq "$(addrs "$H" "$F")" "127.0.0.2 127.0.0.3 127.0.0.4" "a peer down for 2 < fall rounds was evicted"
grep -q "evicted" "$T/a.log" && fail "evicted: $(grep evicted "$T/a.log")"

# Down for good: gone after its third failed check, not before.  Once
# out of the zone it is checked no more, so the count is exact.
mode 127.0.0.3 "failfor 1000 down"
wait_for 30 has_addrs "$H" "$F" "127.0.0.2 127.0.0.4" || fail "not evicted at fall"
assert_eq "$(checks 127.0.0.3 down)" 3 "checks of the peer until its eviction (fall = 3)"
assert_contains "$(cat "$T/a.log")" "evicted 127.0.0.3 from $F (failed 3 round(s)" "log"

# rise: withdraws on its first failed self-check, then rejoins after
# exactly 3 passes: the 4th check of the mode, with "1 of 3" and "2 of 3"
# logged before it.
mode 127.0.0.2 "failfor 1 rise"
wait_for 30 has_addrs "$H" "$F" "127.0.0.4" || fail "did not withdraw"
wait_for 30 has_addrs "$H" "$F" "127.0.0.2 127.0.0.4" || fail "did not rejoin"
log=$(sed -n '/withdrew 127.0.0.2/,$p' "$T/a.log")
echo "$log" | grep -E "passing|rejoined"
passing=$(echo "$log" | sed -n '1,/rejoined/p' | grep -c "127.0.0.2 passing")
assert_eq "$passing" 2 "passes logged before rejoining (rise = 3: the third rejoins)"
assert_contains "$log" "passing, 1 of 3 before rejoining" "log"
assert_contains "$log" "passing, 2 of 3 before rejoining" "log"
assert_contains "$log" "rejoined $F as 127.0.0.2" "log"
pass "fall = 3 and rise = 3 honoured"
