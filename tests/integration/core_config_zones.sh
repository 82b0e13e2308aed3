#!/bin/bash
# -t refuses a pool name outside its dns instance's zone (issue 22 #4):
# a pool fqdn, or a quorum state_name, that is neither the zone's apex nor
# under it fails every round at run time, so -t names it with FILE:LINE of
# that name.  Names compare as DNS names: any case, final dot optional,
# label by label ("badexample.test" is not under "example.test").  An
# instance without a zone (route53 by zone_id, rfc2136 finding the zone
# by its SOA, hosts) checks nothing.  Offline: -t asks no server.
. "$TOP_SRCDIR/tests/lib/common.sh"

# Every provider with a `zone` option, its zone example.test.
rfc='rfc2136 { server = "192.0.2.53" zone = "Example.TEST." key_name = "k" key_algorithm = "hmac-sha256" key_secret = "c2VjcmV0c2VjcmV0c2VjcmV0" }'
r53='route53 { zone = "example.test" }'
zg='zerigo { user = "ops@example.test" api_key = "k" zone = "example.test" endpoint = "https://192.0.2.1/api/1.1" }'

# conf FILE DNS NAME1 NAME2 [POOL_OPTIONS]: dns instance "d" and pool "www"; the
# pool's fqdn option is on line 9 (plugin_dir is line 1), its names one
# a line (10, 11).
conf() {
	write_conf "$1" <<C
aws { region = "us-east-1" access_key_id = "AKIDEXAMPLE" secret_access_key = "secret" route53_endpoint = "http://192.0.2.1:8081" }
dns "d" { $2 }
ipsource "me" { static { address = "192.0.2.10" } }
check "c" { tcp { port = 80 } }
timer "t" { tick { } }
pool "www" { dns = "d" ipsource = "me"
             check = "c" timer = "t"
             fqdn = {
               "$3",
               "$4" }
             ${5:-} }
C
}

for dns in "$rfc" "$r53" "$zg"; do
	prov=${dns%% *}
	# Inside: the apex, names under it, any case, with a final dot.
	conf "$T/in.conf" "$dns" "example.test" "WWW.Example.Test."
	out=$("$DFO" -C "$T/in.conf" -t 2>&1) || fail "$prov: -t refused names in the zone: $out"
	conf "$T/in2.conf" "$dns" "a.b.example.test." "_x.example.test"
	out=$("$DFO" -C "$T/in2.conf" -t 2>&1) || fail "$prov: -t refused names in the zone: $out"

	# Outside: another zone, a suffix that is not a label, the parent.
	for bad in www.other.test badexample.test test example.test.evil; do
		conf "$T/out.conf" "$dns" "www.example.test" "$bad"
		out=$("$DFO" -C "$T/out.conf" -t 2>&1) && fail "$prov: -t accepted $bad outside the zone: $out"
		assert_contains "$out" "out.conf:11: pool \"www\": fqdn \"$bad\" is not in zone" "$prov: $bad"
		assert_contains "$out" "of dns \"d\" ($prov)" "$prov: the instance named"
	done
	# The first name at fault, on its own line.
	conf "$T/out1.conf" "$dns" "www.other.test" "www.example.test"
	out=$("$DFO" -C "$T/out1.conf" -t 2>&1) && fail "$prov: -t accepted the first name outside: $out"
	assert_contains "$out" "out1.conf:10: pool \"www\": fqdn \"www.other.test\" is not in zone" "$prov: line of the first name"
	assert_not_contains "$out" "www.example.test\" is not in zone" "$prov: a name inside refused"

	# A quorum state_name outside the zone, at its own line.
	conf "$T/sn.conf" "$dns" "www.example.test" "example.test" \
		'quorum = true
             state_name = "_dfo.elsewhere.test"'
	out=$("$DFO" -C "$T/sn.conf" -t 2>&1) && fail "$prov: -t accepted a state_name outside the zone: $out"
	assert_contains "$out" "sn.conf:13: pool \"www\": state_name \"_dfo.elsewhere.test\" is not in zone" "$prov: state_name"
	conf "$T/sn2.conf" "$dns" "www.example.test" "example.test" 'state_name = "_dfo.EXAMPLE.test."'
	out=$("$DFO" -C "$T/sn2.conf" -t 2>&1) || fail "$prov: -t refused a state_name in the zone: $out"
	pass "$prov: names outside the zone refused with FILE:LINE, the apex and names under it accepted"
done

# No zone known without a server: nothing to compare.
for dns in 'route53 { zone_id = "Z1" }' \
	'rfc2136 { server = "192.0.2.53" key_name = "k" key_algorithm = "hmac-sha256" key_secret = "c2VjcmV0c2VjcmV0c2VjcmV0" }' \
	"hosts { file = \"$T/hosts\" }"; do
	conf "$T/nz.conf" "$dns" "www.example.test" "www.other.test"
	out=$("$DFO" -C "$T/nz.conf" -t 2>&1) || fail "-t refused a pool of an instance without a zone (${dns%% *}): $out"
done
pass "instances without a zone: no check"
