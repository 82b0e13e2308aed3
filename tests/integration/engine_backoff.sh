#!/bin/bash
# add and del errors back off like list errors, although the read that
# comes first succeeds; a failed withdrawal names the address.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

H=$T/records
X=$T/fail
printf '127.0.0.3\t%s\n127.0.0.4\t%s\n' $F $F >"$H"
echo add >"$X"
cat >"$T/a.conf" <<C
plugin_dir = "$P"
status_file = "$T/status.json"
$(DNS="flaky { file = \"$H\" fail_file = \"$X\" }" hosts_pool 127.0.0.2 "$FAULT" "interval = 0.1 timeout = 0.5 retries = 1" "rise = 1")
C
S=$T/status.json
start_agent a "$T/a.conf"

# add fails: ~15 rounds in 2.5 s after the first, a few tries only.
wait_for 10 test -s "$X.count" || fail "add never tried"
sleep 2.5
n=$(wc -l <"$X.count")
r=$(status_get "$S" 's["pools"][0]["rounds"]')
echo "add failures in 2.5 s: $n"
[ "$n" -ge 2 ] && [ "$n" -le 6 ] || fail "add tried $n times in $r rounds: no back-off?"
assert_contains "$(status_get "$S" 's["pools"][0]["error"]')" "injected add failure" "status error"
assert_eq "$(status_get "$S" 's["pools"][0]["state"]')" "error" "status state"

# add works again: joined, the error is gone.
rm -f "$X"
wait_for 20 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3 127.0.0.4" || fail "did not join once add works"
wait_for 5 test "$(status_get "$S" 's["pools"][0]["error"]')" = "" || fail "error not cleared"

# The self-check fails and the withdrawal's delete fails: logged with
# the address, backed off.
echo del >"$X"
rm -f "$X.count"
echo fail >"$D/127.0.0.2"
wait_for 10 grep -q "cannot withdraw" "$T/a.log" || fail "withdrawal not tried"
assert_contains "$(grep "cannot withdraw" "$T/a.log" | head -n 1)" \
	"cannot withdraw 127.0.0.2 from $F: injected del failure" "log"
sleep 2.5
n=$(wc -l <"$X.count")
echo "withdrawal failures: $n"
[ "$n" -le 6 ] || fail "withdrawal tried $n times in 2.5 s: no back-off?"
pass "add and del errors back off ($n tries in 2.5 s); the withdrawal's error names the address"
