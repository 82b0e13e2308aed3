#!/bin/bash
# -t refuses what cannot work (issue 10, defect 22), each with FILE:LINE:
# an unterminated /* comment, a status_file in a directory that does not
# exist, a second plugin_dir; ${VAR} is expanded in plugin_dir as in every
# other value; --try ... --timeout without a value is refused; a pool of
# a family its ipsource can never give is refused.  (The exec
# program checks are in check_exec.sh.)
. "$TOP_SRCDIR/tests/lib/common.sh"

ok_body='timer "t" { tick { } }'

# Unterminated comment: everything after it would be silently ignored.
write_conf "$T/c1.conf" <<C
$ok_body
/* the rest is commented out by mistake
timer "u" { tick { } }
C
out=$("$DFO" -C "$T/c1.conf" -t 2>&1) && fail "-t accepted an unterminated comment"
assert_contains "$out" "c1.conf:3: this comment is not closed" "unterminated comment"
pass "unterminated comment: ${out%%$'\n'*}"

# status_file in a directory that does not exist.
write_conf "$T/c2.conf" <<C
$ok_body
status_file = "$T/no-such-dir/status"
C
out=$("$DFO" -C "$T/c2.conf" -t 2>&1) && fail "-t accepted a status_file in a missing directory"
assert_contains "$out" "c2.conf:3: status_file $T/no-such-dir/status: directory $T/no-such-dir does not exist" "status dir"
pass "status directory missing"

# ${VAR} in plugin_dir, quoted and bare, and ${VAR:-default}.
printf 'plugin_dir = "${DFO_TEST_PD}"\n%s\n' "$ok_body" >"$T/c3.conf"
out=$(DFO_TEST_PD="$DFO_PLUGINS" DNSFAILOVER_PLUGIN_DIR=/nonexistent "$DFO" -C "$T/c3.conf" -t 2>&1) ||
	fail "\${VAR} in plugin_dir not expanded: $out"
printf 'plugin_dir = ${DFO_TEST_PD}\n%s\n' "$ok_body" >"$T/c4.conf"
out=$(DFO_TEST_PD="$DFO_PLUGINS" DNSFAILOVER_PLUGIN_DIR=/nonexistent "$DFO" -C "$T/c4.conf" -t 2>&1) ||
	fail "bare \${VAR} plugin_dir not expanded: $out"
printf 'plugin_dir = "${DFO_TEST_UNSET:-%s}"\n%s\n' "$DFO_PLUGINS" "$ok_body" >"$T/c5.conf"
out=$(DNSFAILOVER_PLUGIN_DIR=/nonexistent "$DFO" -C "$T/c5.conf" -t 2>&1) ||
	fail "\${VAR:-default} in plugin_dir not expanded: $out"
out=$(DFO_TEST_PD="$DFO_PLUGINS" DNSFAILOVER_PLUGIN_DIR=/nonexistent "$DFO" -C "$T/c3.conf" --list-plugins 2>&1) ||
	fail "--list-plugins: $out"
assert_contains "$out" "module: $DFO_PLUGINS/dns_hosts.so" "--list-plugins with \${VAR}"
pass "\${VAR} expanded in plugin_dir"

# A second plugin_dir is an error, not a silent override.
printf 'plugin_dir = "%s"\n%s\nplugin_dir = "/elsewhere"\n' "$DFO_PLUGINS" "$ok_body" >"$T/c6.conf"
out=$("$DFO" -C "$T/c6.conf" -t 2>&1) && fail "-t accepted two plugin_dir"
assert_contains "$out" "c6.conf:3: plugin_dir set a second time (first on line 1)" "second plugin_dir"
out=$("$DFO" -C "$T/c6.conf" -f 2>&1) && fail "daemon started with two plugin_dir"
assert_contains "$out" "c6.conf:3: plugin_dir set a second time" "second plugin_dir, daemon"
pass "second plugin_dir refused"

# --timeout without a value.
write_conf "$T/c7.conf" <<<'check "c" { tcp { port = 1 } }'
out=$("$DFO" -C "$T/c7.conf" --try check/c 127.0.0.1 --timeout 2>&1) && fail "--timeout without a value accepted"
assert_contains "$out" "--timeout wants a number of seconds" "--timeout"
pass "--timeout without a value refused"

# An IPv6 pool whose static ipsource has only an IPv4 address.
write_conf "$T/c8.conf" <<'C'
dns "d" { hosts { file = "/tmp/dfo-hosts-unused" } }
ipsource "me" { static { address = "192.0.2.10" } }
check "c" { tcp { port = 80 } }
timer "t" { tick { } }
pool "www" { fqdn = {"www.example.test"} dns = "d" ipsource = "me"
             check = "c" timer = "t" family = "ipv6" }
C
out=$("$DFO" -C "$T/c8.conf" -t 2>&1) && fail "-t accepted an ipv6 pool with only an IPv4 address"
assert_contains "$out" "c8.conf:6: pool \"www\": family ipv6, but ipsource \"me\" (static) has no ipv6 address" "family"
sed -i 's/address = "192.0.2.10"/address = {"192.0.2.10", "2001:db8::10"}/' "$T/c8.conf"
out=$("$DFO" -C "$T/c8.conf" -t 2>&1) || fail "-t refused an ipv6 pool with an IPv6 address: $out"
pass "ipv6 pool without an IPv6 address refused"
