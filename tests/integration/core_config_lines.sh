#!/bin/bash
# -t names the file and line of the option at fault (issue 22, #8-#13,
# #17): options of aws {}, max_parallel, metrics_listen, notify,
# notify_timeout, a provider's option (not its section's line); an unset
# ${VAR} said to be unset; endpoints without an http(s) scheme; interval
# and timeout below their lower bounds; a UTF-8 BOM accepted; a NUL byte,
# a line or a file past the documented size named; a status_file that is
# a directory refused.
. "$TOP_SRCDIR/tests/lib/common.sh"

t_refuses() { # name expected-substring (config on stdin)
	local name=$1 want=$2 out
	write_conf "$T/$name.conf"
	out=$("$DFO" -C "$T/$name.conf" -t 2>&1) && fail "$name: -t accepted it"
	assert_contains "$out" "$want" "$name"
	pass "$name: ${out%%$'\n'*}"
}
t_accepts() { # name (config on stdin)
	local out
	write_conf "$T/$1.conf"
	out=$("$DFO" -C "$T/$1.conf" -t 2>&1) || fail "$1: -t refused it: $out"
	pass "$1 accepted"
}

# 8: the aws section and the core's own options, at their line.
t_refuses aws-unknown "aws-unknown.conf:5: no such option 'secret_key'" <<'C'
aws {
	region = "us-east-1"

	secret_key = "x"
}
C
t_refuses aws-retries "aws-retries.conf:3: aws: max_retries must be 0..20" <<'C'
aws {
	max_retries = 50
}
C
t_refuses aws-pair "aws-pair.conf:5: " <<'C'
aws {
	region = "us-east-1"
	# no secret
	access_key_id = "AKIDEXAMPLE"
}
C
# A core option on line 3, below a timer: NAME|OPTION|MESSAGE.
while IFS='|' read -r name opt want; do
	t_refuses "$name" "$name.conf:3: $want" <<<"timer \"t\" { tick { } }
$opt"
done <<'L'
max-parallel|max_parallel = 0|max_parallel must be 1..4096
metrics-listen|metrics_listen = "nowhere"|metrics_listen must be
notify|notify = {"relative"}|notify: the program must be an absolute path
notify-timeout|notify_timeout = 0|notify_timeout must be
log-level|log_level = "loud"|log_level must be
L

# 9: a provider's error at the line of the option it names.
t_refuses provider-option "provider-option.conf:5: dns \"d\" (rfc2136): " <<'C'
dns "d" { rfc2136 {
	zone = "edge.test"

	server = "ns1 edge test"
} }
C

# 10: an unset variable is said to be one.
unset DFO_TSIG_UNSET
t_refuses unset-var "unset-var.conf:6: " <<'C'
dns "d" { rfc2136 {
	server = "127.0.0.1"
	zone = "edge.test"
	key_name = "k"
	key_secret = "${DFO_TSIG_UNSET}"
} }
C
assert_contains "$("$DFO" -C "$T/unset-var.conf" -t 2>&1)" "empty (is its environment variable set?)" "unset variable"

# 11: endpoints need an http:// or https:// scheme.
t_refuses endpoint-gopher "endpoint-gopher.conf:3: aws: route53_endpoint must be an http:// or https:// URL" <<'C'
aws {
	route53_endpoint = "gopher://x"
}
C
t_refuses endpoint-bare "endpoint-bare.conf:2: aws: ec2_endpoint must be an http:// or https:// URL" <<'C'
aws { ec2_endpoint = "127.0.0.1:8080" }
C

# 12: lower bounds of a round.
t_refuses interval-tiny "interval-tiny.conf:3: timer \"t\" (tick): interval" <<'C'
timer "t" { tick {
	interval = 0.0000001
	timeout = 0.5
} }
C
t_refuses timeout-tiny "timeout-tiny.conf:4: timer \"t\" (tick): timeout" <<'C'
timer "t" { tick {
	interval = 1
	timeout = 0.0000001
} }
C

# 13: a UTF-8 BOM is accepted (as CRLF is); a NUL byte is named.
printf '\xef\xbb\xbfplugin_dir = "%s"\r\ntimer "t" { tick { } }\r\n' "$DFO_PLUGINS" >"$T/bom.conf"
out=$("$DFO" -C "$T/bom.conf" -t 2>&1) || fail "a BOM was refused: $out"
pass "a UTF-8 BOM accepted"
printf 'plugin_dir = "%s"\ntimer "t" { tick {\n interval = 1\x00 } }\n' "$DFO_PLUGINS" >"$T/nul.conf"
out=$("$DFO" -C "$T/nul.conf" -t 2>&1) && fail "a NUL byte accepted"
assert_contains "$out" "nul.conf:3: a NUL byte (column 14)" "NUL"
pass "NUL: $out"
printf 'plugin_dir = "%s"\nstatus_file = "a\x00b"\ntimer "t" { tick { } }\n' "$DFO_PLUGINS" >"$T/nul2.conf"
out=$("$DFO" -C "$T/nul2.conf" -t 2>&1) && fail "a NUL byte in a string accepted"
assert_contains "$out" "nul2.conf:2: a NUL byte" "NUL in a string"
mkdir "$T/statusdir"
t_refuses status-dir "status-dir.conf:3: status_file $T/statusdir is a directory" <<C
timer "t" { tick { } }
status_file = "$T/statusdir"
C

# 17: a line or a file past the documented size, before libconfuse.
{ echo "plugin_dir = \"$DFO_PLUGINS\""; echo 'timer "t" { tick { } }';
  printf '# %070000d\n' 0; } >"$T/longline.conf"
out=$("$DFO" -C "$T/longline.conf" -t 2>&1) && fail "a 70,000-byte line accepted"
assert_contains "$out" "longline.conf:3: line longer than 65536 bytes" "long line"
pass "long line: $out"
{ echo "plugin_dir = \"$DFO_PLUGINS\""; echo 'timer "t" { tick { } }';
  for i in $(seq 1 300); do printf '# %060000d\n' "$i"; done; } >"$T/big.conf"
out=$("$DFO" -C "$T/big.conf" -t 2>&1) && fail "an 18 MB file accepted"
assert_contains "$out" "big.conf: larger than 16 MiB" "big file"
pass "big file: $out"
# A 60,000-byte line is within the limit.
{ echo "plugin_dir = \"$DFO_PLUGINS\""; echo 'timer "t" { tick { } }';
  printf '# %060000d\n' 0; } >"$T/okline.conf"
out=$("$DFO" -C "$T/okline.conf" -t 2>&1) || fail "a 60,000-byte line refused: $out"
pass "a 60,000-byte line accepted"

# 6: a key file naming its key "dfo-key." (as named-checkconf accepts)
# and starting with a UTF-8 BOM holds key_name "dfo-key".
printf '\xef\xbb\xbfkey "dfo-key." {\n\talgorithm hmac-sha256;\n\tsecret "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";\n};\n' >"$T/dfo.key"
write_conf "$T/keyfile.conf" <<C
dns "d" { rfc2136 { server = "127.0.0.1" zone = "edge.test"
	key_name = "dfo-key" key_file = "$T/dfo.key" } }
C
out=$("$DFO" -C "$T/keyfile.conf" -t 2>&1) || fail "key \"dfo-key.\" with a BOM not found: $out"
pass "a key file's \"dfo-key.\" after a BOM is key_name dfo-key"
