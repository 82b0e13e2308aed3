#!/bin/bash
# Names are checked in the core for every provider (issue 10, defect 15):
# a pool's fqdn at config time (-t says file:line), a name given to --try
# (dns list/add/del, check FQDN), so that no provider ever sees a name
# with a space, a newline or an over-long label.
. "$TOP_SRCDIR/tests/lib/common.sh"

H=$T/hosts
printf '127.0.0.1 localhost\n' >"$H"
cp "$H" "$T/orig"
write_conf "$T/bad.conf" <<C
dns "h" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "c" { tcp { port = 1 } }
timer "t" { tick { } }
pool "p" {
  fqdn = {"ok.example.test",
          "www demo.test"}
  dns = "h" ipsource = "me" check = "c" timer = "t" }
pool "q" { fqdn = {"$(printf 'a%.0s' $(seq 64)).test"} dns = "h" ipsource = "me" check = "c" timer = "t" }
C
out=$("$DFO" -C "$T/bad.conf" -t 2>&1) && fail "-t accepted bad names"
assert_contains "$out" "bad.conf:8: pool \"p\": fqdn \"www demo.test\" is not a valid name: a space (\\x20) at offset 3" "space in fqdn"
assert_contains "$out" "bad.conf:10: pool \"q\": fqdn \"aaaa" "long label file:line"
assert_contains "$out" "longer than 63" "long label"
pass "-t: $(echo "$out" | grep -c 'not a valid name') bad names reported with file:line"

write_conf "$T/c.conf" <<C
dns "h" { hosts { file = "$H" } }
check "c" { tcp { port = 1 } }
C
out=$("$DFO" -C "$T/c.conf" --try dns/h add $'evil.test\n10.6.6.6 bank.example.com' 127.0.0.9 2>&1) &&
	fail "--try add injected a line: $(cat "$H")"
assert_contains "$out" "not a valid name: a control byte (\\x0a) at offset 9" "--try add"
cmp "$T/orig" "$H" || fail "file changed: $(cat "$H")"
for op in "list" "del"; do
	args=("www demo.test")
	[ $op = del ] && args+=(127.0.0.1)
	out=$("$DFO" -C "$T/c.conf" --try dns/h $op "${args[@]}" 2>&1) && fail "--try $op accepted a bad name"
	assert_contains "$out" "not a valid name" "--try $op"
done
cmp "$T/orig" "$H" || fail "file changed: $(cat "$H")"
out=$("$DFO" -C "$T/c.conf" --try check/c 127.0.0.1 $'www.test\r\nX-Evil: 1' 2>&1) && fail "--try check accepted a bad name"
assert_contains "$out" "not a valid name" "--try check"
out=$("$DFO" -C "$T/c.conf" --try dns/h add www.example.test. 127.0.0.9 2>&1) || fail "final dot refused: $out"
pass "--try refuses bad names, the file unchanged"
