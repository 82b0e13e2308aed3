#!/bin/bash
# The hosts provider handles the file as bytes (issue 10, defects 13, 14,
# 16): '\r' '\v' '\f' never make it spin, a NUL byte loses nothing, a
# change alters only the bytes it means to (asserted with cmp), a line of
# any length can be edited, a symlink is followed (the link stays), stale
# temporary files go, and a FIFO or device is refused at once.
. "$TOP_SRCDIR/tests/lib/common.sh"

H=$T/hosts
write_conf "$T/c.conf" <<C
dns "h" { hosts { file = "$H" } }
C
try() { timeout 10 "$DFO" -C "$T/c.conf" --try "$@"; }
# expect_file PRINTF-FORMAT...: the hosts file is exactly these bytes.
expect_file() {
	printf "$@" >"$T/expected"
	cmp "$T/expected" "$H" || fail "file differs: $(od -c "$H" | head -20)"
}

# Each file keeps one more record of the name, so that no delete below
# is of the last one (which the provider refuses).
KEEP='192.0.2.254\twww.example.test\n'

# --- 13: carriage return, vertical tab, form feed ---
for blank in '\r' '\v' '\f'; do
	printf "127.0.0.1 localhost$blank\n192.0.2.1\twww.example.test$blank\n192.0.2.2 $blank www.example.test other.test$blank\n$KEEP" >"$H"
	cp "$H" "$T/orig"
	out=$(try dns/h list www.example.test ipv4)
	rc=$?
	[ $rc = 124 ] && fail "list spins on '$blank'"
	[ $rc = 0 ] || fail "list with '$blank': $out"
	assert_eq "$(echo "$out" | awk '{print $4}' | tr '\n' ' ')" "192.0.2.1 192.0.2.2 192.0.2.254 " "records with '$blank'"
	try dns/h del www.example.test 192.0.2.2 >/dev/null || fail "del with '$blank'"
	expect_file "127.0.0.1 localhost$blank\n192.0.2.1\twww.example.test$blank\n192.0.2.2 other.test$blank\n$KEEP"
	try dns/h del www.example.test 192.0.2.1 >/dev/null || fail "del 2 with '$blank'"
	expect_file "127.0.0.1 localhost$blank\n192.0.2.2 other.test$blank\n$KEEP"
done
pass "blanks \\r \\v \\f: no spin, records found, only the name removed"

# A CRLF file gets CRLF lines.
printf '127.0.0.1 localhost\r\n' >"$H"
try dns/h add www.example.test 192.0.2.7 >/dev/null || fail "add to a CRLF file"
expect_file '127.0.0.1 localhost\r\n192.0.2.7\twww.example.test\r\n'
pass "CRLF kept"

# --- 14: NUL and other bytes are kept byte for byte ---
printf '127.0.0.1 localhost\n10.0.0.1 a\0b.test\n\0\0garbage \377\376 \033[31m\n192.0.2.1\0 www.example.test\n# tail\n192.0.2.254\twww.example.test\n192.0.2.9 other.test' >"$H"
cp "$H" "$T/orig"
out=$(try dns/h list www.example.test ipv4) || fail "list with NUL"
assert_eq "$(echo "$out" | awk '{print $4}')" "192.0.2.254" "an address with a NUL in it is no address"
try dns/h add www.example.test 192.0.2.5 >/dev/null || fail "add with NUL"
expect_file '127.0.0.1 localhost\n10.0.0.1 a\0b.test\n\0\0garbage \377\376 \033[31m\n192.0.2.1\0 www.example.test\n# tail\n192.0.2.254\twww.example.test\n192.0.2.9 other.test\n192.0.2.5\twww.example.test\n'
try dns/h del www.example.test 192.0.2.5 >/dev/null || fail "del with NUL"
expect_file '127.0.0.1 localhost\n10.0.0.1 a\0b.test\n\0\0garbage \377\376 \033[31m\n192.0.2.1\0 www.example.test\n# tail\n192.0.2.254\twww.example.test\n192.0.2.9 other.test\n'
pass "NUL and binary bytes kept"

# Spacing and comments of a shared line are kept; only the name goes.
printf '192.0.2.1   alias.test\t\tWWW.example.test.  third.test   # note\t\n%b' "$KEEP" >"$H"
try dns/h del www.example.test 192.0.2.1 >/dev/null || fail "del shared"
expect_file '192.0.2.1   alias.test  third.test   # note\t\n%b' "$KEEP"
pass "shared line spacing kept"

# --- 16: a line longer than 4 KB can be edited ---
long=$(for i in $(seq 1 400); do printf 'name%03d.example.test ' "$i"; done)
printf '192.0.2.1 %swww.example.test # end\n%b' "$long" "$KEEP" >"$H"
[ "$(wc -c <"$H")" -gt 8000 ] || fail "test line too short"
try dns/h del www.example.test 192.0.2.1 >/dev/null || fail "del on a long line"
expect_file '192.0.2.1 %s# end\n%b' "$long" "$KEEP"
pass "8 KB line edited"

# --- 16: a symlink is followed: the target is edited and locked ---
mkdir "$T/real"
printf '127.0.0.1 localhost\n' >"$T/real/hosts"
rm -f "$H"
ln -s real/hosts "$H"
try dns/h add www.example.test 192.0.2.3 >/dev/null || fail "add through a symlink"
[ -L "$H" ] || fail "the symlink was replaced by a regular file"
assert_eq "$(readlink "$H")" "real/hosts" "symlink target"
printf '127.0.0.1 localhost\n192.0.2.3\twww.example.test\n' >"$T/expected"
cmp "$T/expected" "$T/real/hosts" || fail "target not edited: $(cat "$T/real/hosts")"
[ -f "$T/real/hosts.lock" ] || fail "the target's lock was not used"
pass "symlink followed, link kept, target locked"

# --- 16: temporary files of a writer that died are removed ---
rm -f "$H"
printf '127.0.0.1 localhost\n' >"$H"
printf 'half' >"$H.tmp.4194999"
printf 'keep' >"$H.tmp.notapid"
try dns/h add www.example.test 192.0.2.4 >/dev/null || fail "add"
[ -e "$H.tmp.4194999" ] && fail "stale temporary file left"
[ -e "$H.tmp.notapid" ] || fail "a file that is not ours was removed"
ls "$T" | grep -q "hosts.tmp.[0-9]" && fail "temporary file left"
pass "stale temporary file removed"

# --- 16: a FIFO or a device is refused at once ---
rm -f "$H"
mkfifo "$H"
t0=$(now_ms)
out=$(try dns/h list www.example.test 2>&1) && fail "list of a FIFO succeeded"
[ $(($(now_ms) - t0)) -lt 5000 ] || fail "FIFO: took too long"
assert_contains "$out" "not a regular file" "FIFO"
out=$("$DFO" -C "$T/c.conf" -t 2>&1) && fail "-t accepted a FIFO"
assert_contains "$out" "c.conf:2: " "FIFO -t file:line"
assert_contains "$out" "is not a regular file" "FIFO -t"
write_conf "$T/z.conf" <<C
dns "h" { hosts { file = "/dev/zero" } }
C
out=$(timeout 10 "$DFO" -C "$T/z.conf" -t 2>&1) && fail "-t accepted /dev/zero"
assert_contains "$out" "is not a regular file" "/dev/zero -t"
pass "FIFO and /dev/zero refused"
