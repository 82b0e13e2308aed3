#!/bin/bash
# The ec2 ipsource through `dnsfailover --try` against the fake instance
# metadata service, which enforces IMDSv2 as the real one does; and the
# metadata client's token reuse and renewal.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

write_state "$T/state.json"
start_fake_aws "$T/state.json"

# The fake itself: no token 401, X-Forwarded-For on PUT 403, no TTL 400.
st=$(curl -s -o /dev/null -w '%{http_code}' "$FAKE/latest/meta-data/local-ipv4")
assert_eq "$st" 401 "GET without a token"
st=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' \
	-H 'X-Forwarded-For: 10.1.1.1' "$FAKE/latest/api/token")
assert_eq "$st" 403 "PUT with X-Forwarded-For"
st=$(curl -s -o /dev/null -w '%{http_code}' -X PUT "$FAKE/latest/api/token")
assert_eq "$st" 400 "PUT without a TTL"

write_conf "$T/ec2.conf" <<C
ipsource "pub" { ec2 { endpoint = "$FAKE" } }
ipsource "priv" { ec2 { endpoint = "$FAKE" address = "local-ipv4" } }
ipsource "v6" { ec2 { endpoint = "$FAKE" address = "ipv6" } }
ipsource "v1" { ec2 { endpoint = "$FAKE" imdsv1_fallback = true } }
C

puts0=$(fake_stat token_put) e401=$(fake_stat imds_401)
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/pub 2>&1) || fail "public-ipv4: $out"
assert_contains "$out" "ipsource/pub: 203.0.113.10" "public-ipv4"
assert_eq "$(fake_stat token_put)" $((puts0 + 1)) "one token for one lookup"
assert_eq "$(fake_stat imds_401)" "$e401" "no request without a valid token"
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/priv 2>&1) || fail "local-ipv4: $out"
assert_contains "$out" "ipsource/priv: 10.0.0.5" "local-ipv4"
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/pub ipv6 2>&1) || fail "ipv6: $out"
assert_contains "$out" "ipsource/pub: 2001:db8::5" "first IPv6 of the primary interface"
# mac + ipv6s: two GETs, one token reused
assert_eq "$(fake_stat token_put)" $((puts0 + 3)) "the token is reused within a process"
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/v6 2>&1) && fail "address = ipv6 gave an IPv4: $out"
assert_contains "$out" "gives no IPv4 address" "ipv6 for an IPv4 pool"
pass "addresses, token reused"

# No endpoint of its own: the core client's metadata client, at
# aws { imds_endpoint } (it was ignored, and 169.254.169.254 asked).
write_conf "$T/core.conf" <<C
aws { imds_endpoint = "$FAKE" timeout = 2 }
ipsource "core" { ec2 { address = "local-ipv4" } }
C
puts0=$(fake_stat token_put)
out=$("$DFO" -C "$T/core.conf" --try ipsource/core 2>&1) || fail "aws { imds_endpoint }: $out"
assert_contains "$out" "ipsource/core: 10.0.0.5" "ipsource through aws { imds_endpoint }"
assert_eq "$(fake_stat token_put)" $((puts0 + 1)) "the core's metadata client asked"
# dnsfailover-aws imds without -e: the config's endpoint too.
out=$("$DFO_AWS" -C "$T/core.conf" imds /latest/meta-data/local-ipv4) || fail "imds -C: $out"
assert_contains "$out" "10.0.0.5" "dnsfailover-aws imds uses aws { imds_endpoint }"
pass "ec2 ipsource and dnsfailover-aws honour aws { imds_endpoint }"

# Token reuse across GETs and renewal when the service refuses an
# expired one (tokens here live 1 s).
out=$("$DFO_AWS" imds -e "$FAKE" /latest/meta-data/local-ipv4 3) || fail "imds: $out"
assert_contains "$out" "tokens 1 requests 3" "one token for three GETs"
fake_post /_fake/imds '{"token_ttl_cap": 1}'
out=$("$DFO_AWS" imds -e "$FAKE" /latest/meta-data/local-ipv4 2 1.3) || fail "imds expiry: $out"
assert_contains "$out" "tokens 2 requests 3" "expired token renewed after a 401"
fake_post /_fake/imds '{"token_ttl_cap": null}'
pass "token expiry"

# No public address: a clear error.
fake_post /_fake/imds '{"public-ipv4": null}'
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/pub 2>&1) && fail "404 public-ipv4 accepted: $out"
assert_contains "$out" "no public IPv4 address" "public-ipv4 404"
pass "public-ipv4 404 is a clear error"

# No token to be had (PUT refused): IMDSv1 only when enabled.
fake_post /_fake/imds '{"public-ipv4": "203.0.113.10", "put_status": 405}'
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/pub 2>&1) && fail "no token, no fallback, yet: $out"
assert_contains "$out" "latest/api/token: HTTP 405" "no token, no fallback"
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/v1 2>&1) && fail "IMDSv1 used while the service requires v2: $out"
assert_contains "$out" "401 Unauthorized" "v1 fallback refused by a v2-only service"
fake_post /_fake/imds '{"v1": true}'
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/pub 2>&1) && fail "fallback used while disabled: $out"
out=$("$DFO" -C "$T/ec2.conf" --try ipsource/v1 2>&1) || fail "v1 fallback: $out"
assert_contains "$out" "ipsource/v1: 203.0.113.10" "IMDSv1 fallback when enabled"
pass "IMDSv1 only when enabled"
