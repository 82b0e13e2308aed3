#!/bin/bash
# The zerigo dns provider against the fake Zerigo (tests/fake/zerigo.py):
# list, add and del through --try; the TTL of an existing set kept and
# the configured one for a new set; other hosts and zones untouched; the
# last record of a name never deleted;
# refused credentials, an unknown zone, an error document (422) and a
# 500 as clear errors; a service that is down or silent bounded; the
# API key in no output.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/zerigo.sh"

cat >"$T/state.json" <<'J'
{"zones": [
 {"id": 1001, "domain": "example.test", "default_ttl": 900, "hosts": [
  {"id": 11, "hostname": "www", "host_type": "A", "data": "192.0.2.1", "ttl": 120},
  {"id": 12, "hostname": "www", "host_type": "A", "data": "192.0.2.2", "ttl": 120},
  {"id": 13, "hostname": "www", "host_type": "AAAA", "data": "2001:db8::1", "ttl": 120},
  {"id": 14, "hostname": "www", "host_type": "TXT", "data": "192.0.2.1", "ttl": 60},
  {"id": 15, "hostname": null, "host_type": "A", "data": "192.0.2.80", "ttl": null},
  {"id": 16, "hostname": "mail", "host_type": "A", "data": "192.0.2.1", "ttl": 3600},
  {"id": 17, "hostname": "www.eu", "host_type": "A", "data": "192.0.2.1", "ttl": 30}]},
 {"id": 2002, "domain": "other.test", "default_ttl": 300, "hosts": [
  {"id": 21, "hostname": "www", "host_type": "A", "data": "192.0.2.1", "ttl": 120}]}]}
J
start_fake_zerigo "$T/state.json"

write_conf "$T/c.conf" <<C
$(zg_conf zg ttl = 45)
$(zg_conf dflt)
dns "badkey" { zerigo { user = "$ZG_USER" api_key = "wrong-$ZG_KEY" zone = "example.test"
	endpoint = "$ZG/api/1.1" } }
dns "nozone" { zerigo { user = "$ZG_USER" api_key = "\${ZG_KEY}" zone = "nope.test"
	endpoint = "$ZG/api/1.1/" } }
dns "down" { zerigo { user = "$ZG_USER" api_key = "\${ZG_KEY}" zone = "example.test"
	endpoint = "http://ops:\${ZG_KEY}@127.0.0.1:$(free_port)/api/1.1" } }
C
OUT=$T/all-output
try() { "$DFO" -C "$T/c.conf" --try "$@" 2>&1 | tee -a "$OUT"; return "${PIPESTATUS[0]}"; }

# ---- list ----
out=$(try dns/zg list www.example.test ipv4) || fail "list: $out"
assert_eq "$out" "www.example.test	120	A	192.0.2.1
www.example.test	120	A	192.0.2.2" "A records with their TTL (not the TXT, not www.eu)"
out=$(try dns/zg list WWW.Example.TEST. ipv6) || fail "list v6: $out"
assert_eq "$out" "WWW.Example.TEST.	120	AAAA	2001:db8::1" "AAAA, any case, final dot"
out=$(try dns/zg list example.test ipv4) || fail "list apex: $out"
assert_eq "$out" "example.test	900	A	192.0.2.80" "apex; no ttl: the zone's default"
out=$(try dns/zg list none.example.test) || fail "list empty: $out"
assert_eq "$out" "" "a name with no hosts"
out=$(try dns/zg list www.other.test) && fail "a name outside the zone listed"
assert_contains "$out" "www.other.test is not in zone example.test" "outside the zone"
pass "list"

# ---- add ----
zg_snapshot "$T/before"
out=$(try dns/zg add www.example.test 192.0.2.3) || fail "add: $out"
assert_eq "$(zg_hosts www A)" "192.0.2.1 120
192.0.2.2 120
192.0.2.3 120" "added to an existing set: its TTL kept (not 45)"
posts=$(zg_stat POST)
out=$(try dns/zg add www.example.test 192.0.2.3) || fail "add again: $out"
assert_eq "$(zg_stat POST)" "$posts" "adding a present address creates nothing"
out=$(try dns/zg add new.example.test 192.0.2.9) || fail "add new: $out"
assert_eq "$(zg_hosts new A)" "192.0.2.9 45" "a new set gets the configured ttl"
out=$(try dns/dflt add new.example.test 2001:db8::9) || fail "add new v6: $out"
assert_eq "$(zg_hosts new AAAA)" "2001:db8::9 300" "default ttl 300"
out=$(try dns/zg add example.test 192.0.2.81) || fail "add apex: $out"
assert_eq "$(zg_hosts "" A)" "192.0.2.80 -
192.0.2.81 -" "apex set without TTL: the new host has none either"
zg_snapshot "$T/after"
# Everything that was there is still there, unchanged.
assert_eq "$(LC_ALL=C comm -23 "$T/before" "$T/after")" "" "hosts changed by add"
assert_eq "$(LC_ALL=C comm -13 "$T/before" "$T/after" | wc -l)" 4 "exactly 4 hosts created"
pass "add"

# ---- del ----
zg_snapshot "$T/before"
out=$(try dns/zg del www.example.test 192.0.2.1) || fail "del: $out"
assert_eq "$(zg_hosts www A)" "192.0.2.2 120
192.0.2.3 120" "192.0.2.1 deleted from www, the rest kept with its TTL"
zg_snapshot "$T/after"
assert_eq "$(LC_ALL=C comm -23 "$T/before" "$T/after")" "example.test 11 www A 192.0.2.1 120" \
	"only www A 192.0.2.1 went (not its TXT, mail, www.eu, other.test)"
assert_eq "$(LC_ALL=C comm -13 "$T/before" "$T/after")" "" "nothing created by del"
dels=$(zg_stat DELETE)
out=$(try dns/zg del www.example.test 192.0.2.1) || fail "del absent: $out"
assert_eq "$(zg_stat DELETE)" "$dels" "deleting an absent address deletes nothing"
dels=$(zg_stat DELETE)
out=$(try dns/zg del www.example.test 2001:db8::1) && fail "the last AAAA record was deleted"
assert_contains "$out" "not deleting 2001:db8::1: it is the last AAAA record of www.example.test" "last record"
assert_eq "$(zg_hosts www AAAA)" "2001:db8::1 120" "the last AAAA record kept"
assert_eq "$(zg_stat DELETE)" "$dels" "no DELETE sent for the last record"
pass "del: other hosts untouched, never the last record"

# ---- errors ----
fails=$(zg_stat auth_fail)
out=$(try dns/badkey list www.example.test) && fail "a wrong key was accepted"
assert_contains "$out" "HTTP 401: authentication refused (check user and api_key)" "401"
assert_eq "$(zg_stat auth_fail)" $((fails + 1)) "one refused request, no retry storm"
out=$(try dns/nozone list www.nope.test) && fail "unknown zone accepted"
assert_contains "$out" "zone nope.test: no such zone for user $ZG_USER" "unknown zone"
zg_post /_fake/fault '{"kind": "500", "method": "GET"}'
out=$(try dns/zg list www.example.test) && fail "a 500 was accepted"
assert_contains "$out" "HTTP 500" "500"
zg_snapshot "$T/before"
zg_post /_fake/fault '{"kind": "422", "method": "POST"}'
out=$(try dns/zg add www.example.test 192.0.2.7) && fail "a 422 was accepted"
assert_contains "$out" "HTTP 422: Data is invalid (fault)" "the <errors> document quoted"
zg_snapshot "$T/after"
assert_eq "$(diff "$T/before" "$T/after")" "" "nothing changed by a refused add"
pass "errors: 401, unknown zone, 500, 422"

# Bounded: curl's own measure of the wait (process start-up on a loaded
# machine is not the provider's), and a wall-clock ceiling well below
# the fake's 20 s silence.
t0=$(now_ms)
out=$(try dns/down list www.example.test) && fail "a closed port answered"
ms=$(($(now_ms) - t0))
assert_contains "$out" "Couldn't connect" "service down"
assert_contains "$out" "GET http://***@127.0.0.1:" "credentials in the endpoint URL redacted"
[ "$ms" -lt 15000 ] || fail "service down took $ms ms"
zg_post /_fake/fault '{"kind": "slow", "delay": 20, "count": 5}'
t0=$(now_ms)
out=$(try dns/zg list www.example.test) && fail "a silent service answered"
ms=$(($(now_ms) - t0))
zg_post /_fake/clear '{}'
waited=$(sed -n 's/.*Operation timed out after \([0-9]*\) milliseconds.*/\1/p' <<<"$out")
[ -n "$waited" ] || fail "silent service: not a timeout: $out"
[ "$waited" -ge 4900 ] && [ "$waited" -le 5500 ] ||
	fail "silent service: waited $waited ms (want 5000, the operation's bound)"
[ "$ms" -lt 15000 ] || fail "silent service: $ms ms in all"
pass "service down or silent: bounded (silent: $waited ms waited, $ms ms in all)"

# ---- the API key is nowhere ----
"$DFO" -C "$T/c.conf" --list-plugins >>"$OUT" 2>&1 || fail "--list-plugins"
"$DFO" -C "$T/c.conf" -t >>"$OUT" 2>&1 || fail "-t: $(tail -3 "$OUT")"
grep -q "zerigo" "$OUT" || fail "--list-plugins does not show zerigo"
grep -Fq "$ZG_KEY" "$OUT" && fail "the API key was printed: $(grep -F "$ZG_KEY" "$OUT")"
grep -Fq "$ZG_KEY" "$T/fake-zerigo.log" && fail "the API key is in the fake's log"
pass "the API key is in no output"
