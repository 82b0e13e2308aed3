#!/bin/bash
# `-t` touches no network: create() only parses.  In a network namespace
# with no interface up (not even lo), a config naming every shipped
# provider, AWS endpoints included, checks in under 1 s with exit 0.  A
# provider that --list-plugins shows but this test has no section for
# fails the test: every new provider joins it.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_root
ns="dfo$$-offline"
ip netns add "$ns" || skip "cannot create a network namespace"
on_exit "ip netns del $ns"

# One instance per provider: KIND PROVIDER BODY.
sections() {
	cat <<'S'
dns hosts { file = "/nonexistent/hosts" }
dns rfc2136 { server = "192.0.2.53" zone = "example.com" key_name = "k" key_algorithm = "hmac-sha256" key_secret = "c2VjcmV0c2VjcmV0c2VjcmV0" }
dns route53 { zone = "example.com" }
dns zerigo { user = "ops@example.com" api_key = "k" zone = "example.com" endpoint = "https://192.0.2.1/api/1.1" }
ipsource ec2 { endpoint = "http://169.254.169.254" }
ipsource http { url = {"http://192.0.2.1/ip"} }
ipsource netlink { }
ipsource static { address = {"192.0.2.10"} }
check exec { command = {"/bin/true"} }
check http { port = 80 }
check icmp { }
check tcp { port = 22 }
timer tick { interval = 10 }
responder awsdns { listen = {"127.0.0.1:5353"} upstream = {"192.0.2.2"} forward = "tag:Name" reverse = "private_ip_address" }
S
}
want=$("$DFO" --list-plugins | awk '/^[a-z]+:$/ { k = substr($1, 1, length($1) - 1) } /^  [a-z0-9_-]+ / { print k, $1 }' | sort)
[ -n "$want" ] || fail "--list-plugins listed nothing"
have=$(sections | awk '{ print $1, $2 }' | sort)
missing=$(comm -23 <(echo "$want") <(echo "$have"))
[ -z "$missing" ] || fail "no section in this test for: $missing"

{
	echo "plugin_dir = \"$DFO_PLUGINS\""
	echo 'aws { region = "us-east-1" ec2_endpoint = "http://192.0.2.1:8080" route53_endpoint = "http://192.0.2.1:8081" imds_endpoint = "http://192.0.2.1:8082" access_key_id = "AKIDEXAMPLE" secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }'
	i=0
	while read -r kind prov body; do
		grep -qx "$kind $prov" <<<"$want" || continue
		echo "$kind \"i$i\" { $prov $body }"
		i=$((i + 1))
	done < <(sections)
} >"$T/all.conf"

t0=$(now_ms)
out=$(ip netns exec "$ns" timeout 10 "$DFO" -t -C "$T/all.conf" 2>&1)
rc=$?
t=$(($(now_ms) - t0))
[ $rc -eq 0 ] || fail "-t exit $rc: $out"
echo "$out"
echo "-t of $(echo "$want" | wc -l) providers offline: $t ms"
[ "$t" -lt 1000 ] || fail "-t took $t ms offline"
pass "-t offline in $t ms"
