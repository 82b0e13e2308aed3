#!/bin/bash
# Never evict on doubt: while the dns provider fails (list or del) or the
# ipsource does, nobody is evicted and the failures do not count against
# peers; the pool backs off; once the provider answers, the dead peer
# goes.  Each error is counted under its own operation in /metrics.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

H=$T/records
X=$T/fail
printf '127.0.0.2\t%s\n127.0.0.3\t%s\n127.0.0.4\t%s\n' $F $F $F >"$H"
echo fail >"$D/127.0.0.3"
echo 127.0.0.2 >"$T/ip"
echo list >"$X"

mport=$(free_port)
cat >"$T/a.conf" <<C
plugin_dir = "$P"
status_file = "$T/status.json"
metrics_listen = "127.0.0.1:$mport"
dns "d" { flaky { file = "$H" fail_file = "$X" } }
ipsource "me" { fault { file = "$T/ip" } }
check "f" { fault { state_dir = "$D" } }
timer "fast" { tick { interval = 0.1 timeout = 0.2 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "d" ipsource = "me" check = "f"
             timer = "fast" fall = 2 }
C
start_agent a "$T/a.conf"
S=$T/status.json
metric() { metric_value "$mport" "$1" op "$2"; }

# list fails: ~15 rounds in 2.5 s, but with back-off only a few tries.
sleep 2.5
assert_eq "$(addrs "$H" "$F")" "127.0.0.2 127.0.0.3 127.0.0.4" "records while list fails"
n=$(wc -l <"$X.count")
echo "list failures in 2.5 s: $n"
[ "$n" -ge 2 ] && [ "$n" -le 6 ] || fail "list tried $n times: no back-off?"
assert_contains "$(status_get "$S" 's["pools"][0]["error"]')" "injected list failure" "status error"
assert_eq "$(status_get "$S" 's["pools"][0]["state"]')" "error" "status state"
assert_eq "$(status_get "$S" 'len(s["pools"][0]["peers"])')" 0 "no peer judged"
assert_contains "$(cat "$T/a.log")" "nothing changed this round" "error logged"
[ "$(metric dnsfailover_dns_errors_total list)" -ge "$n" ] || fail "dns list errors not counted"
assert_eq "$(metric dnsfailover_ipsource_errors_total own_addr)" 0 "no ipsource error yet"

# ipsource fails instead: still nothing.
echo fail >"$T/ip"
rm -f "$X" "$X.count"
ipsource_failed() { status_get "$S" 's["pools"][0]["error"]' | grep -q "^ipsource"; }
wait_for 4 ipsource_failed || fail "ipsource error not in the status"
assert_eq "$(addrs "$H" "$F")" "127.0.0.2 127.0.0.3 127.0.0.4" "records while the ipsource fails"
[ "$(metric dnsfailover_ipsource_errors_total own_addr)" -ge 1 ] ||
	fail "ipsource error not counted as one"

# del fails: the dead peer is judged dead, but stays.
echo del >"$X"
echo 127.0.0.2 >"$T/ip"
wait_for 8 test -s "$X.count" || fail "del never tried"
assert_eq "$(addrs "$H" "$F")" "127.0.0.2 127.0.0.3 127.0.0.4" "records while del fails"
assert_eq "$(status_get "$S" 's["pools"][0]["peers"][0]["fails"] >= 2')" True "peer counted dead"
ip=$(metric dnsfailover_ipsource_errors_total own_addr)
[ "$(metric dnsfailover_dns_errors_total del)" -ge 1 ] || fail "dns del error not counted"

# The provider answers again: the dead peer goes, the live one stays.
rm -f "$X"
wait_for 6 has_addrs "$H" "$F" "127.0.0.2 127.0.0.4" ||
	fail "dead peer not evicted once dns works: $(addrs "$H" "$F")"
assert_contains "$(cat "$T/a.log")" "dns and ipsource answer again" "recovery logged"
# A failed del is a dns error, never an ipsource one; nothing else counted.
assert_eq "$(metric dnsfailover_ipsource_errors_total own_addr)" "$ip" "ipsource errors after the del failures"
assert_eq "$(metric dnsfailover_dns_errors_total add)" 0 "dns add errors"
assert_eq "$(metric dnsfailover_dns_errors_total start)" 0 "dns start errors"
assert_eq "$(metric dnsfailover_check_errors_total run)" 0 "checks that could not run"
pass "provider and ipsource errors evict no one; $n list tries in 2.5 s (back-off)"
