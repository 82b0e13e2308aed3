#!/bin/bash
# ipsource "http" against a local what-is-my-address service
# (tests/lib/myip_server.py on loopback): good, padded, malformed, empty,
# HTML, binary, wrong-family, non-2xx and slow answers, the URL list
# fallback in order, and the family the request goes out over.
. "$TOP_SRCDIR/tests/lib/common.sh"
PY=/usr/bin/python3
[ -x $PY ] || skip "needs $PY"

$PY "$TOP_SRCDIR/tests/lib/myip_server.py" "$T/port" "$T/requests" &
track $!
for ((i = 0; i < 100; i++)); do [ -s "$T/port" ] && break; sleep 0.05; done
[ -s "$T/port" ] || fail "test server did not start"
read -r PORT HAVE6 <"$T/port"
U="http://127.0.0.1:$PORT"
U6="http://[::1]:$PORT"
CLOSED=$(free_port) # nothing listens there

# try NAME FAMILY: run --try, set $out and $rc.
try() {
	out=$("$DFO" -C "$T/c.conf" --try "ipsource/$1" "$2" 2>"$T/stderr")
	rc=$?
}
# good NAME FAMILY ADDRESS
good() {
	try "$1" "$2"
	[ $rc = 0 ] || fail "$1 $2: exit $rc: $out"
	assert_contains "$out" "ipsource/$1: $3 (" "$1 $2"
	pass "$1 $2 -> $3"
}
# bad NAME FAMILY 'message part'...
bad() {
	local name=$1 fam=$2 m
	shift 2
	try "$name" "$fam"
	[ $rc = 1 ] || fail "$name $fam: exit $rc, wanted 1: $out"
	assert_contains "$out" "ipsource/$name: error: " "$name $fam"
	for m; do assert_contains "$out" "$m" "$name $fam"; done
	pass "$name $fam -> ${out#*error: }"
}

write_conf "$T/c.conf" <<C
ipsource "good4"    { http { url = "$U/body/good4" } }
ipsource "spaced"   { http { url = "$U/body/good4_spaced" } }
ipsource "good6"    { http { url = "$U/body/good6" } }
ipsource "over6"    { http { url = {"$U6/body/good4", "$U6/body/good6"} } }
ipsource "malformed" { http { url = "$U/body/malformed" } }
ipsource "two"      { http { url = "$U/body/two" } }
ipsource "withport" { http { url = "$U/body/withport" } }
ipsource "empty"    { http { url = "$U/body/empty" } }
ipsource "blank"    { http { url = "$U/body/blank" } }
ipsource "html"     { http { url = "$U/body/html" } }
ipsource "binary"   { http { url = "$U/body/binary" } }
ipsource "nul"      { http { url = "$U/body/nul" } }
ipsource "long"     { http { url = "$U/body/long" } }
ipsource "notfound" { http { url = "$U/status/404" } }
ipsource "redirect" { http { url = "$U/status/302" } }
ipsource "slow"     { http { url = "$U/slow" timeout = 0.5 } }
ipsource "refused"  { http { url = "http://127.0.0.1:$CLOSED/" } }
ipsource "fallback" { http { url = {"http://127.0.0.1:$CLOSED/", "$U/body/html",
                                    "$U/status/500", "$U/body/good4",
                                    "$U/body/good6"} } }
ipsource "allbad"   { http { url = {"$U/body/empty", "$U/body/html"} } }
ipsource "mine"     { http { url = "$U/remote_addr" } }
ipsource "secret"   { http { url = {"http://ops:hunter2@127.0.0.1:$CLOSED/",
                                    "http://ops:hunter2@127.0.0.1:$PORT/body/html"} } }
ipsource "mine6"    { http { url = "$U6/remote_addr" } }
ipsource "v4first"  { http { url = {"$U/remote_addr", "$U6/remote_addr"} } }
C
"$DFO" -C "$T/c.conf" -t >/dev/null 2>&1 || fail "config rejected: $("$DFO" -C "$T/c.conf" -t 2>&1)"

good good4 ipv4 127.0.0.7
good spaced ipv4 127.0.0.8
good mine ipv4 127.0.0.1

bad good6 ipv4 "$U/body/good6: answer '2001:db8::7' is not an IPv4 address"
# Credentials in a URL never reach a message or the log.
try secret ipv4
[ $rc = 1 ] || fail "secret: exit $rc"
assert_contains "$out$(cat "$T/stderr")" "http://***@127.0.0.1:$PORT/body/html: answer '<html>" "secret redacted"
assert_not_contains "$out$(cat "$T/stderr")" "hunter2" "secret in a message"
pass "credentials in URLs redacted"
bad malformed ipv4 "$U/body/malformed: answer '127.0.0.300' is not an address"
bad two ipv4 "answer '127.0.0.1 127.0.0.2' is not an address"
bad withport ipv4 "answer '127.0.0.1:80' is not an address"
bad empty ipv4 "$U/body/empty: empty answer"
bad blank ipv4 "$U/body/blank: empty answer"
bad html ipv4 "$U/body/html: answer '<html><body>Your address is 127.0.0.1</b...' is not an address"
bad binary ipv4 "answer '...[31m127.0.0.1.' is not an address"
bad nul ipv4 "answer '127.0.0.1.junk' is not an address"
bad long ipv4 "answer '1111111111111111111111111111111111111111...' is not an address"
bad notfound ipv4 "$U/status/404: HTTP status 404, answer '127.0.0.9'"
bad redirect ipv4 "HTTP status 302"
bad refused ipv4 "http://127.0.0.1:$CLOSED/:" "onnect"

# Slow: the timeout (0.5 s) ends the request, well before the 5 s answer.
t0=$(date +%s%N)
bad slow ipv4 "$U/slow:" "timed out"
ms=$((($(date +%s%N) - t0) / 1000000))
[ $ms -lt 2500 ] || fail "slow: took $ms ms with a 0.5 s timeout"
pass "slow gave up after $ms ms"

# The list: refused, HTML and 500 are passed over, in order, with a
# warning each; the first good answer wins and the rest is not asked.
: >"$T/requests"
good fallback ipv4 127.0.0.7
assert_eq "$(tr '\n' ' ' <"$T/requests")" "/body/html /status/500 /body/good4 " "fallback order"
assert_eq "$(grep -c 'warning: ipsource http: .*; trying' "$T/stderr")" 3 "fallback warnings"
assert_contains "$(cat "$T/stderr")" "$U/body/html: answer '<html>" "fallback warning names URL and answer"
bad allbad ipv4 "all 2 URLs failed, last: $U/body/html: answer '<html>"

# The request goes out over the family asked for (CURLOPT_IPRESOLVE): over
# IPv6 the IPv4 URL cannot be reached, so the service on ::1 answers.
if [ "$HAVE6" = 1 ]; then
	# Over IPv6 an IPv4 answer is of the wrong family: on to the next URL.
	: >"$T/requests"
	good over6 ipv6 2001:db8::7
	assert_eq "$(tr '\n' ' ' <"$T/requests")" "/body/good4 /body/good6 " "over6 order"
	assert_contains "$(cat "$T/stderr")" "$U6/body/good4: answer '127.0.0.7' is not an IPv6 address" "over6 warning"
	good mine6 ipv6 ::1
	good v4first ipv4 127.0.0.1
	good v4first ipv6 ::1
	bad mine ipv6 "$U/remote_addr:"
else
	echo "no IPv6 loopback: IPv6 transport cases skipped"
fi

# Config errors name the option.
write_conf "$T/bad.conf" <<'C'
ipsource "x" { http { url = "ftp://example.test/" } }
C
out=$("$DFO" -C "$T/bad.conf" -t 2>&1) && fail "ftp URL accepted"
assert_contains "$out" "url 'ftp://example.test/' is not http:// or https://" "bad url"
write_conf "$T/bad.conf" <<C
ipsource "x" { http { url = "$U/" timeout = 0 } }
C
out=$("$DFO" -C "$T/bad.conf" -t 2>&1) && fail "timeout 0 accepted"
assert_contains "$out" "timeout 0 is not in (0, 3600] seconds" "bad timeout"
# The default is the seed's service (not asked here: no internet in tests).
out=$("$DFO" --list-plugins) || fail "--list-plugins"
assert_contains "$out" "myip.enix.org/REMOTE_ADDR" "default url"
pass "ipsource http"
