#!/bin/bash
# The hosts dns provider: format kept, names case-insensitive, IPv6,
# compare-and-set, and many writers at once never losing a record nor
# leaving a half-written file.
. "$TOP_SRCDIR/tests/lib/common.sh"

H=$T/hosts
cat >"$H" <<'F'
# managed in part by dnsfailover
127.0.0.1	localhost
192.0.2.1	www.example.test	alias.example.test # keep me
192.0.2.2	WWW.Example.Test.
2001:db8::1	www.example.test
F
write_conf "$T/c.conf" <<C
dns "h" { hosts { file = "$H" } }
C
try() { "$DFO" -C "$T/c.conf" --try "$@"; }

out=$(try dns/h list www.example.test ipv4) || fail "list"
assert_eq "$(echo "$out" | awk '{print $4}' | tr '\n' ' ')" "192.0.2.1 192.0.2.2 " "A records (case, final dot)"
out=$(try dns/h list www.example.test ipv6) || fail "list v6"
assert_eq "$(echo "$out" | awk '{print $3, $4}')" "AAAA 2001:db8::1" "AAAA record"

# Deleting one name of a shared line keeps the line's other name and comment.
try dns/h del www.example.test 192.0.2.1 >/dev/null || fail "del"
grep -q "^192.0.2.1[[:space:]]alias.example.test # keep me$" "$H" || fail "shared line mangled: $(cat "$H")"
grep -q "^# managed in part by dnsfailover$" "$H" || fail "comment lost"
grep -q "^127.0.0.1[[:space:]]localhost$" "$H" || fail "unrelated line lost"
try dns/h add www.example.test 192.0.2.3 >/dev/null || fail "add 3"
try dns/h del www.example.test 192.0.2.2 >/dev/null || fail "del 2"
grep -qi "192.0.2.2" "$H" && fail "line left with no name"
# The last A record of a name is never deleted, even when asked.
cp "$H" "$T/before"
out=$(try dns/h del www.example.test 192.0.2.3 2>&1) && fail "the last record was deleted"
assert_contains "$out" "not deleting 192.0.2.3: it is the last A record of www.example.test" "last record"
cmp -s "$H" "$T/before" || fail "the file changed on a refused delete"
try dns/h add www.example.test 2001:db8::2 >/dev/null || fail "add v6"
grep -q "^2001:db8::2[[:space:]]www.example.test$" "$H" || fail "v6 add"

# at_once OP N: N writers at once, the I-th doing OP of 10.9.0.I at
# pool.example.test; fail if one fails.
at_once() {
	local i p pids=()
	for i in $(seq 1 "$2"); do
		try dns/h "$1" pool.example.test "10.9.0.$i" >/dev/null &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fail "a concurrent $1 failed"; done
}
# 40 writers at once, each adding its own address: all 40 are there and
# the file parses whole (no torn writes).
at_once add 40
n=$(try dns/h list pool.example.test ipv4 | wc -l)
assert_eq "$n" 40 "records after 40 concurrent adds"
# ...then 39 concurrent deletes: the one left is 10.9.0.40.
at_once del 39
out=$(try dns/h list pool.example.test ipv4)
assert_eq "$(echo "$out" | awk '{print $4}')" "10.9.0.40" "after concurrent deletes"
ls "$T" | grep -q "hosts.tmp" && fail "temporary file left behind"
pass "hosts provider"
