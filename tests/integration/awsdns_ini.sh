#!/bin/bash
# The drop-in for the original awsdns: awsdns.ini read as Python's
# ConfigParser read it, mapped onto the awsdns responder; errors as
# FILE:LINE; the search order ./, /etc/, ~/; `dnsfailover --awsdns-ini`
# prints a config that -t accepts as written (notes as comments, the keys
# left to the environment), answering as the original did (TTL 3600,
# "attribute = value", the SOA always) unless the file says otherwise.
. "$TOP_SRCDIR/tests/lib/common.sh"

SECRET='wJalrXUtnFEMI/K7MDENG+bPxRfiCYzzSECRETzz'
awsdns() { "$DFO" --awsdns "$@"; }

# ---- the original's example file ----
cat >"$T/awsdns.ini" <<EOF
[awsdns]
dns_server = 10.0.0.2        
aws_access_key_id = AKIDEXAMPLE
aws_secret_access_key = $SECRET
aws_region = us-east-1
forward = tag:Name
reverse = private_ip_address
extra = 
    tag:Class
    id
    key_pair
loglevel = debug
logfile = awsdns.log
autorefresh = False
EOF
out=$("$DFO" --awsdns-ini "$T/awsdns.ini" 2>"$T/err") || fail "--awsdns-ini: $(cat "$T/err")"
err=$(cat "$T/err")
assert_not_contains "$out$err" "$SECRET" "secret printed"
assert_contains "$out" 'upstream = {"10.0.0.2"}' "dns_server"
assert_not_contains "$out" 'access_key_id =' "no key in the config"
assert_contains "$out" "# environment, AWS_ACCESS_KEY_ID (AKIDEXAMPLE) and AWS_SECRET_ACCESS_KEY." "the comment says where the keys go"
assert_contains "$out" 'region = "us-east-1"' "region"
assert_contains "$out" 'forward = "tag:Name"' "forward"
assert_contains "$out" 'reverse = "private_ip_address"' "reverse"
assert_contains "$out" 'extra = {"tag:Class", "id", "key_name"}' "extra, continued lines, boto's key_pair"
assert_contains "$out" 'log_level = "debug"' "loglevel"
assert_contains "$out" 'listen = {"0.0.0.0:53"' "port 53 of every address"
assert_not_contains "$out" 'allow =' "allow left at its default"
assert_eq "$err" "" "nothing on stderr"
assert_contains "$out" "# $T/awsdns.ini:11: note: extra: boto's 'key_pair' is 'key_name' here" "alias noted (a comment)"
assert_contains "$out" "# $T/awsdns.ini:14: note: autorefresh ignored" "autorefresh noted (a comment)"
assert_contains "$out" 'ttl = 3600' "the original's TTL when none is given"
assert_contains "$out" 'txt_format = "spaced"' "the original's TXT"
assert_contains "$out" 'soa = "always"' "the original's SOA"
pass "the original's example converted, secret not printed"

# ---- ConfigParser's syntax: ':' too, comments, case, [DEFAULT], other sections ----
cat >"$T/syntax.ini" <<'EOF'
# a comment
; another
[DEFAULT]
ttl = 300
forward = tag:Default
[other]
dns_server = 192.0.2.99
[awsdns]
DNS_Server: 192.0.2.1 [2001:db8::53]:5353  ; inline comment
Forward = tag:Host Name
extra = id

	tag:Role   
	vpc_id ; trailing comment
rem this line is a comment too
EOF
out=$("$DFO" --awsdns-ini "$T/syntax.ini" 2>"$T/err") || fail "syntax.ini: $(cat "$T/err")"
assert_contains "$out" 'upstream = {"192.0.2.1", "[2001:db8::53]:5353"}' "two upstreams, ':' separator, inline comment"
assert_contains "$out" 'forward = "tag:Host Name"' "[awsdns] beats [DEFAULT]; tag with a space"
assert_contains "$out" 'extra = {"id", "tag:Role", "vpc_id"}' "continuation over a blank line"
assert_contains "$out" 'ttl = 300' "[DEFAULT] fills in"
assert_not_contains "$out" '192.0.2.99' "other sections ignored"
assert_not_contains "$out" 'aws {' "no aws section without keys or region"
pass "ConfigParser syntax"

# No dns_server: AWS only.
printf '[awsdns]\nforward = tag:Name\n' >"$T/min.ini"
out=$("$DFO" --awsdns-ini "$T/min.ini" 2>"$T/err") || fail "min.ini: $(cat "$T/err")"
assert_contains "$out" 'upstream = {}' "no upstream"
assert_contains "$out" "# $T/min.ini: note: no dns_server: answering from AWS only" "said so, as a comment"

# ---- errors, each with FILE:LINE ----
cat >"$T/bad.ini" <<'EOF'
dns_server = 10.0.0.1
[awsdns]
dns_server = 10.0.0.300
forward = tag:
reverse = private_ip
extra = id bogus_attr tag:Ok
ttl = soon
loglevel = loud
forward = tag:Name
what is this
aws_secret_access_key = s3cr3t"$x
aws_region = us east
EOF
"$DFO" --awsdns-ini "$T/bad.ini" >"$T/out" 2>"$T/err" && fail "bad.ini accepted"
err=$(cat "$T/err")
echo "$err"
[ -s "$T/out" ] && fail "bad.ini: something printed on stdout"
f=$T/bad.ini
assert_contains "$err" "$f:1: 'key = value' before any [section] header" "no section"
assert_contains "$err" "$f:3: dns_server: '10.0.0.300' is not an IPv4 or IPv6 address" "dns_server"
assert_contains "$err" "$f:4: forward: '' is not a tag key" "empty tag"
assert_contains "$err" "$f:5: reverse: unknown attribute 'private_ip'" "reverse"
assert_contains "$err" "$f:6: extra: unknown attribute 'bogus_attr'" "extra"
assert_contains "$err" "$f:7: ttl: 'soon' is not a number of seconds" "ttl"
assert_contains "$err" "$f:8: loglevel: 'loud' is not one of" "loglevel"
assert_contains "$err" "$f:9: forward given twice (first on line 4)" "duplicate"
assert_contains "$err" "$f:10: not 'key = value' nor a [section] header" "garbage line"
assert_contains "$err" "$f:11: aws_secret_access_key: not a secret access key" "bad secret"
assert_contains "$err" "$f:11: aws_secret_access_key without aws_access_key_id" "secret alone"
assert_contains "$err" "$f:12: aws_region: 'us east' is not a region name" "region"
assert_not_contains "$err" 's3cr3t' "a bad secret is not echoed"
printf '[other]\nx = 1\n' >"$T/nosect.ini"
err=$("$DFO" --awsdns-ini "$T/nosect.ini" 2>&1) && fail "no [awsdns] accepted"
assert_contains "$err" "$T/nosect.ini: no [awsdns] section" "no [awsdns]"
err=$("$DFO" --awsdns-ini "$T/missing.ini" 2>&1) && fail "missing file accepted"
assert_contains "$err" "$T/missing.ini: No such file or directory" "missing file"
pass "errors reported with FILE:LINE, secrets not echoed"

# ---- the awsdns command's arguments ----
err=$(awsdns -l 127.0.0.1:99999 2>&1) && fail "bad -l accepted"
assert_contains "$err" "-l: '127.0.0.1:99999' is not ADDRESS" "-l checked"
err=$(awsdns -x 2>&1) && fail "bad option accepted"
assert_contains "$err" "usage: awsdns [-c FILE]" "usage"
assert_contains "$(awsdns -h)" "-l ADDRESS[:PORT]" "-h"
err=$(awsdns -c "$T/bad.ini" -f 2>&1) && fail "awsdns ran with bad.ini"
assert_contains "$err" "$T/bad.ini:7: ttl: 'soon'" "the command reports the file's errors"

# ---- search order: ./ then /etc/ then ~/ (first found) ----
# Each candidate has an error naming its place, so that the command stops
# before serving and says which file it read.
mkdir -p "$T/cwd" "$T/home" "$T/empty"
printf '[awsdns]\nttl = from_home\n' >"$T/home/awsdns.ini"
err=$(cd "$T/cwd" && HOME=$T/home "$DFO" --awsdns -f 2>&1) && fail "ran"
assert_contains "$err" "$T/home/awsdns.ini:2: ttl: 'from_home'" "~/awsdns.ini"
printf '[awsdns]\nttl = from_cwd\n' >"$T/cwd/awsdns.ini"
err=$(cd "$T/cwd" && HOME=$T/home "$DFO" --awsdns -f 2>&1) && fail "ran"
assert_contains "$err" "./awsdns.ini:2: ttl: 'from_cwd'" "./awsdns.ini first"
err=$(cd "$T/empty" && HOME=$T/nohome "$DFO" --awsdns -f 2>&1) && fail "ran"
[ -e /etc/awsdns.ini ] ||
	assert_contains "$err" "no awsdns.ini (looked for ./awsdns.ini, /etc/awsdns.ini, $T/nohome/awsdns.ini)" "none found"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null; then
	# /etc/ in a private mount namespace, under an overlay.
	mkdir -p "$T/ov/u" "$T/ov/w"
	printf '[awsdns]\nttl = from_etc\n' >"$T/ov/u/awsdns.ini"
	err=$(cd "$T/cwd" && HOME=$T/home unshare -m bash -c '
		mount -t overlay overlay -o "lowerdir=/etc,upperdir=$1/u,workdir=$1/w" /etc || exit 99
		"$2" --awsdns -f 2>&1
		cd ../empty && "$2" --awsdns -f 2>&1' x "$T/ov" "$DFO")
	case $err in
	*"ttl: 'from_cwd'"*"/etc/awsdns.ini:2: ttl: 'from_etc'"*) ;;
	*) fail "search order with /etc: $err" ;;
	esac
	pass "search order ./, /etc/, ~/"
else
	pass "search order ./, ~/ (/etc/ needs root for a mount namespace)"
fi

# ---- the printed config is one that -t accepts (with the awsdns plugin) ----
if { [ -e "$DFO_PLUGINS/awsdns.so" ] || [ -e "$DFO_PLUGINS/responder_awsdns.so" ]; }; then
	# as written: stdout and stderr in one file, no secret in the
	# environment (issue 21 #16: a note on stderr broke it)
	(unset AWS_SECRET_ACCESS_KEY AWS_ACCESS_KEY_ID
	 "$DFO" --awsdns-ini "$T/awsdns.ini" >"$T/native.conf" 2>&1 &&
		"$DFO" -C "$T/native.conf" -t >"$T/t.out" 2>&1) ||
		fail "-t rejects the printed config: $(cat "$T/t.out")"
	assert_not_contains "$(cat "$T/t.out" "$T/native.conf")" "$SECRET" "no secret"
	# what the file says wins over the original's defaults
	printf '[awsdns]\nttl = 30\ntxt_format = rfc1464\nsoa = negative\n' >"$T/own.ini"
	out=$("$DFO" --awsdns-ini "$T/own.ini" 2>&1) || fail "own.ini: $out"
	assert_contains "$out" 'ttl = 30' "ttl of the file"
	assert_contains "$out" 'txt_format = "rfc1464"' "txt_format of the file"
	assert_contains "$out" 'soa = "negative"' "soa of the file"
	printf '[awsdns]\nsoa = sometimes\n' >"$T/own.ini"
	out=$("$DFO" --awsdns-ini "$T/own.ini" 2>&1) && fail "soa = sometimes accepted"
	assert_contains "$out" "$T/own.ini:2: soa: 'sometimes' is not always or negative" "soa checked"
	"$DFO" --awsdns-ini="$T/awsdns.ini" >/dev/null || fail "--awsdns-ini=FILE"
	pass "--awsdns-ini output accepted by -t as written"
else
	echo "no awsdns plugin built: -t of the printed config not run"
fi
exit 0
