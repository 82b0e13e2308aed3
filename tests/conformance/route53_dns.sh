# Conformance backend: dns "route53" with read = "dns": the route53.sh
# backend (the fake AWS, its records read back from the fake itself), with
# reads going to the fake's name server instead of the API.  Silent means
# both the API and the name server take requests and never answer.
R53_READ=dns
. "$(dirname "${BASH_SOURCE[0]}")/route53.sh"

be_silent() {
	curl -sf -X POST --data '{"service": "route53", "kind": "silent", "delay": 30, "count": 1000}' \
		"$FAKE/_fake/fault" >/dev/null &&
		curl -sf -X POST --data '{"dns_silent": true}' "$FAKE/_fake/state" >/dev/null
}
be_unsilent() {
	curl -sf -X POST --data '{}' "$FAKE/_fake/clear" >/dev/null
	curl -sf -X POST --data '{"dns_silent": false}' "$FAKE/_fake/state" >/dev/null
}
