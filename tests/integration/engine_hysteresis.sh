#!/bin/bash
# rise and fall: a peer failing fewer than `fall` rounds running stays;
# at `fall` it goes; a host that withdrew comes back only after `rise`
# passing self-checks.
. "$TOP_SRCDIR/tests/lib/common.sh"

P=$(test_plugin_dir)
H=$T/hosts
F=www.example.test
D=$T/state
mkdir -p "$D"
printf '127.0.0.2\t%s\n127.0.0.3\t%s\n127.0.0.4\t%s\n' $F $F $F >"$H"
cat >"$T/a.conf" <<C
plugin_dir = "$P"
status_file = "$T/status.json"
dns "local" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "f" { fault { state_dir = "$D" } }
timer "fast" { tick { interval = 0.5 timeout = 0.3 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "f"
             timer = "fast" fall = 3 rise = 3 }
C
S=$T/status.json
start_agent a "$T/a.conf"
wait_for 4 test -s "$S" || fail "no status"
fails() { status_get "$S" 's["pools"][0]["peers"][0]["fails"]'; }
fails_is() { [ "$(fails)" = "$1" ]; }

# .3 flaps: fails two rounds, then passes: it stays.
echo fail >"$D/127.0.0.3"
wait_for 3 fails_is 2 || fail "fails never reached 2 ($(fails))"
echo ok >"$D/127.0.0.3"
wait_for 2 fails_is 0 || fail "fails not reset ($(fails))"
wait_rounds "$S" 2 || fail "rounds"
assert_eq "$(addrs "$H" "$F")" "127.0.0.2 127.0.0.3 127.0.0.4" "a peer down for 2 < fall rounds was evicted"

# Down for good: gone after the third failed round, not before.
echo fail >"$D/127.0.0.3"
wait_for 3 fails_is 2 || fail "fails never reached 2"
assert_eq "$(addrs "$H" "$F")" "127.0.0.2 127.0.0.3 127.0.0.4" "evicted before fall"
wait_for 2 has_addrs "$H" "$F" "127.0.0.2 127.0.0.4" || fail "not evicted at fall"
assert_contains "$(cat "$T/a.log")" "evicted 127.0.0.3 from $F (failed 3 round(s)" "log"

# rise: withdraws on failure, then needs 3 passes.
echo fail >"$D/127.0.0.2"
wait_for 3 has_addrs "$H" "$F" "127.0.0.4" || fail "did not withdraw"
echo ok >"$D/127.0.0.2"
passes() { status_get "$S" 's["pools"][0]["self"]["passes"]'; }
seen=
for ((i = 0; i < 100; i++)); do
	p=$(passes)
	if addrs "$H" "$F" | grep -q 127.0.0.2; then break; fi
	seen="$seen $p"
	sleep 0.02
done
addrs "$H" "$F" | grep -q 127.0.0.2 || fail "did not rejoin"
echo "passes seen while out:$seen"
for p in $seen; do [ "$p" -lt 3 ] || fail "out with $p passes (rise = 3)"; done
assert_contains "$seen" "2" "rising counted"
pass "fall = 3 and rise = 3 honoured"
