#!/bin/bash
# The program's operator interface: -t with each kind of config error
# (asserting file:line), --list-plugins, --try of the default plugins,
# -V and --help.
. "$TOP_SRCDIR/tests/lib/common.sh"

# expect_error NAME LINE 'message part' : write $T/NAME.conf from stdin,
# run -t and check exit 1 and "NAME.conf:LINE: ...message part".
expect_error() {
	local name=$1 line=$2 msg=$3 out rc
	write_conf "$T/$name.conf"
	out=$("$DFO" -C "$T/$name.conf" -t 2>&1) && fail "$name: -t accepted a bad config"
	assert_contains "$out" "$name.conf:$line: " "$name: file:line"
	assert_contains "$out" "$msg" "$name: message"
	pass "$name -> ${out##*error: }" | head -1
}

# Lines count from 1 and write_conf adds the plugin_dir line first.
expect_error unknown_option 3 "no such option 'bogus'" <<'C'
check "web" {
  tcp { port = 80 bogus = 1 }
}
C
expect_error unknown_provider 3 "unknown check provider 'htp' (loaded: " <<'C'
check "web" {
  htp { port = 80 }
}
C
expect_error missing_instance 6 'dns "nope" does not exist' <<'C'
timer "t" { tick { } }
check "c" { tcp { port = 1 } }
ipsource "i" { static { address = "127.0.0.1" } }
pool "p" { fqdn = {"a.test"}
  dns = "nope"
  ipsource = "i" check = "c" timer = "t" }
C
expect_error no_provider 3 'names no provider (one of: tick)' <<'C'

timer "t" {
}
C
expect_error two_providers 2 'has 2 providers' <<'C'
timer "t" {
  tick { interval = 1 }
  tick { interval = 2 }
}
C
expect_error wrong_type 3 "invalid floating point value for option 'interval'" <<'C'
timer "t" {
  tick { interval = "soon" }
}
C
expect_error bad_value 3 'port 99999 is not 1..65535' <<'C'
check "t" {
  tcp { port = 99999 }
}
C
expect_error bad_address 2 "is not an IPv4 or IPv6 address" <<'C'
ipsource "me" { static { address = "example.com" } }
C
out=$("$DFO" -C "$T/does-not-exist.conf" -t 2>&1) && fail "missing file accepted"
assert_contains "$out" "does-not-exist.conf: No such file or directory" "missing file"

# A good config.
write_conf "$T/good.conf" <<C
dns "local" { hosts { file = "$T/hosts" } }
ipsource "me" { static { address = {"127.0.0.2", "::1"} } }
check "web" { tcp { port = 1 } }
timer "fast" { tick { interval = 0.5 timeout = 0.25 retries = 2 } }
pool "www" { fqdn = {"www.example.test"} dns = "local" ipsource = "me"
             check = "web" timer = "fast" }
C
out=$("$DFO" -C "$T/good.conf" -t 2>&1) || fail "good config rejected: $out"
assert_contains "$out" "configuration ok" "-t"

# --list-plugins needs no config.
out=$("$DFO" --list-plugins) || fail "--list-plugins"
for p in hosts static tcp tick; do assert_contains "$out" "  $p " "--list-plugins"; done
assert_contains "$out" "module: $DFO_PLUGINS/dns_hosts.so" "--list-plugins module"
assert_contains "$out" "interval (number) = 10" "--list-plugins options"

# --try ipsource, both families.
out=$("$DFO" -C "$T/good.conf" --try ipsource/me) || fail "try ipsource"
assert_contains "$out" "ipsource/me: 127.0.0.2" "try ipsource"
out=$("$DFO" -C "$T/good.conf" --try ipsource/me ipv6) || fail "try ipsource v6"
assert_contains "$out" "ipsource/me: ::1" "try ipsource v6"

# --try dns: add, list, del; the file really changes.
"$DFO" -C "$T/good.conf" --try dns/local add www.example.test 127.0.0.3 >/dev/null || fail "try add"
"$DFO" -C "$T/good.conf" --try dns/local add www.example.test 127.0.0.4 >/dev/null || fail "try add"
grep -q "^127.0.0.3[[:space:]]www.example.test$" "$T/hosts" || fail "record not in file"
out=$("$DFO" -C "$T/good.conf" --try dns/local list www.example.test) || fail "try list"
assert_eq "$(echo "$out" | awk '{print $4}' | tr '\n' ' ')" "127.0.0.3 127.0.0.4 " "try list"
"$DFO" -C "$T/good.conf" --try dns/local del www.example.test 127.0.0.3 >/dev/null || fail "try del"
grep -q "127.0.0.3" "$T/hosts" && fail "deleted record still in file"
grep -q "127.0.0.4" "$T/hosts" || fail "other record lost"

# --try check: refused port is unhealthy (exit 1), with the reason.
out=$("$DFO" -C "$T/good.conf" --try check/web 127.0.0.1) && fail "check of a closed port passed"
assert_contains "$out" "Connection refused" "try check reason"

# --try timer.
out=$("$DFO" -C "$T/good.conf" --try timer/fast) || fail "try timer"
assert_contains "$out" "check timeout 0.250 s, 2 attempt(s)" "try timer"
assert_contains "$out" "round 2 at now + 1.500 s" "try timer schedule"

# Unknown instance.
out=$("$DFO" -C "$T/good.conf" --try check/nope 127.0.0.1 2>&1) && fail "unknown instance"
assert_contains "$out" 'no check instance "nope"' "try unknown"

"$DFO" -V | grep -q "plugin ABI" || fail "-V"
"$DFO" --help | grep -q "^SYNOPSIS" || fail "--help"
pass "core cli"

# The shipped example config is valid.
out=$("$DFO" -C "$TOP_SRCDIR/conf/dnsfailover.conf" -t 2>&1) || fail "conf/dnsfailover.conf: $out"
pass "example config"
