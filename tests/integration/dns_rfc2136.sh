#!/bin/bash
# dns "rfc2136" beyond the conformance suite, on BIND: option checks,
# every TSIG algorithm through key files written by tsig-keygen, wrong
# key / wrong zone / no key refused with the rcode and the server named
# and nothing changed, the zone found by SOA, an IPv6 server, answers too
# large for UDP (TCP), tcp = true, and the secret never shown.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd named dig nsupdate tsig-keygen
. "$TOP_SRCDIR/tests/lib/dnsserver.sh"

Z=rfc.test
D=$T/ns
mkdir -p "$D"
dns_key hmac-sha256
# One key file per algorithm, as tsig-keygen writes them.
ALGS="hmac-sha1 hmac-sha224 hmac-sha256 hmac-sha384 hmac-sha512"
for a in $ALGS; do tsig-keygen -a "$a" "k-$a" >"$T/$a.key"; done
NAMED_EXTRA=$(for a in $ALGS; do cat "$T/$a.key"; done)
NAMED_POLICY=$(for a in $ALGS; do printf 'grant k-%s zonesub ANY; ' "$a"; done)
start_named "$D" "$Z" || fail "named does not start"
unset NAMED_EXTRA NAMED_POLICY

SRV="$DNS_ADDR:$DNS_PORT"
SECRET=$DNS_KEY_SECRET
conf() { # NAME, section body on stdin
	write_conf "$T/$1.conf" <<C
dns "t" { rfc2136 { $(cat) } }
C
}
try() { # CONF ARGS...
	local c=$1
	shift
	OUT=$("$DFO" -C "$T/$c.conf" --try dns/t "$@" 2>&1)
	RC=$?
	assert_not_contains "$OUT" "$SECRET" "secret in --try output"
}
check_conf() { # CONF, expected message part
	OUT=$("$DFO" -C "$T/$1.conf" -t 2>&1) && fail "-t accepted $1: $(cat "$T/$1.conf")"
	assert_contains "$OUT" "$2" "-t on $1"
	assert_not_contains "$OUT" "$SECRET" "secret in -t output"
}

# ---- options ----
conf noserver <<<"zone = \"$Z\""
check_conf noserver "option 'server' is required"
conf badserver <<<"server = \"ns.example\""
check_conf badserver "not ADDRESS, ADDRESS:PORT or [IPV6]:PORT"
conf badport <<<"server = \"127.0.0.1:99999\""
check_conf badport "not ADDRESS"
conf badalg <<<"server = \"$SRV\" key_name = \"k\" key_algorithm = \"hmac-md5\" key_secret = \"$SECRET\""
check_conf badalg "hmac-sha1, hmac-sha224"
conf nosecret <<<"server = \"$SRV\" key_name = \"k\""
check_conf nosecret "key_name needs key_secret or key_file"
conf noname <<<"server = \"$SRV\" key_secret = \"$SECRET\""
check_conf noname "key_secret needs key_name"
conf notb64 <<<"server = \"$SRV\" key_name = \"k\" key_secret = \"${SECRET}!!\""
check_conf notb64 "is not base64"
conf both <<<"server = \"$SRV\" key_name = \"k\" key_secret = \"$SECRET\" key_file = \"$T/hmac-sha1.key\""
check_conf both "give one of them"
conf nofile <<<"server = \"$SRV\" key_file = \"$T/none.key\""
check_conf nofile "No such file"
printf 'key "x" { algorithm hmac-sha256 secret "%s"; };\n' "$SECRET" >"$T/broken.key"
conf badfile <<<"server = \"$SRV\" key_file = \"$T/broken.key\""
check_conf badfile "broken.key:1: not a key file"
conf otherkey <<<"server = \"$SRV\" key_name = \"nope\" key_file = \"$T/hmac-sha1.key\""
check_conf otherkey "no key 'nope'"
conf algconflict <<<"server = \"$SRV\" key_algorithm = \"hmac-sha512\" key_file = \"$T/hmac-sha1.key\""
check_conf algconflict "says hmac-sha1"
conf badttl <<<"server = \"$SRV\" ttl = -1"
check_conf badttl "ttl -1"
conf badtimeout <<<"server = \"$SRV\" timeout = 0"
check_conf badtimeout "timeout"
conf good <<<"server = \"$SRV\" zone = \"$Z\" key_name = \"$DNS_KEY_NAME\" key_secret = \"$SECRET\" timeout = 2"
"$DFO" -C "$T/good.conf" -t >/dev/null 2>&1 || fail "-t refused a good config"
OUT=$("$DFO" -C "$T/good.conf" --list-plugins 2>&1)
assert_contains "$OUT" "rfc2136" "--list-plugins"
assert_contains "$OUT" "key_secret" "--list-plugins options"
assert_not_contains "$OUT" "$SECRET" "secret in --list-plugins"
pass "options checked, secret never shown"

# ---- every algorithm, from tsig-keygen's files ----
for a in $ALGS; do
	conf "$a" <<<"server = \"$SRV\" key_file = \"$T/$a.key\" timeout = 2"
	try "$a" add "$a.$Z" 192.0.2.1
	[ $RC = 0 ] || fail "$a: add: $OUT"
	try "$a" add "$a.$Z" 192.0.2.2 --expect 192.0.2.1
	[ $RC = 0 ] || fail "$a: compare-and-set add: $OUT"
	try "$a" list "$a.$Z" ipv4
	[ "$(echo "$OUT" | awk '{print $4}' | tr '\n' ' ')" = "192.0.2.1 192.0.2.2 " ] || fail "$a: list: $OUT"
	try "$a" del "$a.$Z" 192.0.2.1
	[ $RC = 0 ] || fail "$a: del: $OUT"
	assert_eq "$(zone_rrs "$Z" "$a.$Z" A)" "192.0.2.2" "$a: zone after add, add, del"
done
pass "hmac-sha1/224/256/384/512 from key files: add, compare-and-set, list, del"

# ---- refusals: the rcode and the server named, nothing changed ----
zone_dump "$Z" >"$T/before"
refused() { # CONF RCODE WHAT
	try "$1" add "w.$Z" 192.0.2.9
	[ $RC = 1 ] || fail "$3: exit $RC: $OUT"
	assert_contains "$OUT" "$2" "$3"
	assert_contains "$OUT" "$SRV" "$3 names the server"
}
conf wrongsecret <<<"server = \"$SRV\" zone = \"$Z\" key_name = \"$DNS_KEY_NAME\" key_secret = \"$(head -c 32 /dev/urandom | base64)\""
refused wrongsecret BADSIG "wrong secret"
conf wrongname <<<"server = \"$SRV\" zone = \"$Z\" key_name = \"stranger\" key_secret = \"$SECRET\""
refused wrongname BADKEY "unknown key"
conf wrongalg <<<"server = \"$SRV\" zone = \"$Z\" key_name = \"$DNS_KEY_NAME\" key_algorithm = \"hmac-sha512\" key_secret = \"$SECRET\""
refused wrongalg BAD "wrong algorithm"
conf wrongzone <<<"server = \"$SRV\" zone = \"elsewhere.test\" key_name = \"$DNS_KEY_NAME\" key_secret = \"$SECRET\""
try wrongzone add "w.elsewhere.test" 192.0.2.9
[ $RC = 1 ] || fail "wrong zone: exit $RC: $OUT"
assert_contains "$OUT" "$SRV" "wrong zone names the server"
case "$OUT" in *NOTAUTH* | *REFUSED*) ;; *) fail "wrong zone: no rcode: $OUT" ;; esac
try good add "w.elsewhere.test" 192.0.2.9
assert_contains "$OUT" "is not in zone $Z" "name outside the configured zone"
conf nokey <<<"server = \"$SRV\" zone = \"$Z\""
refused nokey REFUSED "unsigned update"
# A signed list with the wrong secret is not believed either.
try wrongsecret list "$DNS_KEY_ALG.$Z" ipv4
[ $RC = 1 ] || fail "list with a wrong secret: exit $RC: $OUT"
zone_dump "$Z" >"$T/after"
cmp -s "$T/before" "$T/after" || fail "refused updates changed the zone: $(diff "$T/before" "$T/after")"
pass "wrong secret (BADSIG), unknown key (BADKEY), wrong zone, no key (REFUSED): refused, zone unchanged"

# ---- the zone found by SOA ----
conf nozone <<<"server = \"$SRV\" key_name = \"$DNS_KEY_NAME\" key_secret = \"$SECRET\""
try nozone add "deep.sub.$Z" 192.0.2.7
[ $RC = 0 ] || fail "add with the zone found by SOA: $OUT"
assert_eq "$(zone_rrs "$Z" "deep.sub.$Z" A)" "192.0.2.7" "zone found by SOA"
try nozone add "www.not-served.test" 192.0.2.7
[ $RC = 1 ] || fail "add to a zone the server does not serve: exit $RC: $OUT"
assert_contains "$OUT" "$SRV" "unserved zone names the server"
pass "zone found by SOA; an unserved name refused"

# ---- large sets: UDP answer truncated, then TCP; tcp = true ----
{
	echo "update delete big.$Z A"
	for i in $(seq 1 60); do echo "update add big.$Z 60 A 10.0.0.$i"; done
} | nsupd "$Z" >/dev/null || fail "nsupdate big"
try good list "big.$Z" ipv4
assert_eq "$(echo "$OUT" | wc -l)" 60 "records of a set larger than a UDP answer"
exp=$(seq -s, 1 60 | sed 's/\([0-9]*\)/10.0.0.\1/g')
try good add "big.$Z" 10.0.1.1 --expect "$exp"
[ $RC = 0 ] || fail "compare-and-set add with 60 expected records (TCP): $OUT"
assert_eq "$(zone_rrs "$Z" "big.$Z" A | wc -w)" 61 "records after a large compare-and-set"
conf tcp <<<"server = \"$SRV\" zone = \"$Z\" key_name = \"$DNS_KEY_NAME\" key_secret = \"$SECRET\" tcp = true"
try tcp del "big.$Z" 10.0.1.1
[ $RC = 0 ] || fail "del over TCP: $OUT"
assert_eq "$(zone_rrs "$Z" "big.$Z" A | wc -w)" 60 "records after a del over TCP"
grep -q "TCP" "$D/named.log" 2>/dev/null || true
pass "60-record set read over TCP after truncation; large update over TCP; tcp = true"

# ---- an IPv6 server ----
if dig +time=1 +tries=1 @::1 -p 1 . >/dev/null 2>&1 || ip -6 addr show dev lo 2>/dev/null | grep -q "::1"; then
	unset DNS_PORT
	start_named "$T/ns6" "$Z" ::1 || fail "named on ::1 does not start"
	conf v6 <<<"server = \"[::1]:$DNS_PORT\" zone = \"$Z\" key_name = \"$DNS_KEY_NAME\" key_secret = \"$SECRET\""
	try v6 add "six.$Z" 2001:db8::5
	[ $RC = 0 ] || fail "add through [::1]:$DNS_PORT: $OUT"
	assert_eq "$(zone_rrs "$Z" "six.$Z" AAAA)" "2001:db8::5" "zone on the IPv6 server"
	try v6 del "six.$Z" 2001:db8::5
	assert_contains "$OUT" "last AAAA record" "last AAAA refused"
	pass "server \"[::1]:PORT\""
else
	echo "no ::1 here: IPv6 server case skipped"
fi
grep -F -q "$SECRET" "$D/named.log" && fail "secret in named's log?!"
exit 0
