# Helpers of the AWS tests (sourced after common.sh): the fake AWS of
# tests/fake/aws.py on loopback and a clean AWS environment.

/usr/bin/python3 -c 'import botocore' 2>/dev/null ||
	skip "needs /usr/bin/python3 with botocore (apt-get install python3-botocore)"
need_cmd curl

DFO_AWS="${TOP_BUILDDIR}/dnsfailover-aws"
[ -x "$DFO_AWS" ] || fail "no $DFO_AWS"

# Nothing from this machine's AWS setup, and no real AWS.
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
	AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
export HOME="$T/home"
mkdir -p "$HOME"

# start_fake_aws STATE.json [--fault SPEC]... : sets FAKE (its base URL)
# and FAKE_DNS_PORT (its DNS server on 127.0.0.1).
start_fake_aws() {
	local state=$1
	shift
	rm -f "$T/fake-dns.port"
	start_fake aws --state "$state" --dns-port-file "$T/fake-dns.port" "$@"
	FAKE=$FAKE_URL
	# The same zones over DNS (UDP and TCP), authoritative.
	FAKE_DNS_PORT=$(cat "$T/fake-dns.port")
}

# fake_stat NAME: a counter of the fake.
fake_stat() {
	curl -sf "$FAKE/_fake/stats" |
		/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# fake_post PATH JSON: change the fake (faults, metadata).
fake_post() {
	curl -sf -X POST --data "$2" "$FAKE$1" >/dev/null || fail "fake_post $1"
}

# aws_conf FILE [extra aws options]: a config with every endpoint at the
# fake and the test key.
aws_conf() {
	write_conf "$1" <<C
aws { region = "us-east-1" access_key_id = "AKIDTEST" secret_access_key = "secrettest"
      ec2_endpoint = "$FAKE" route53_endpoint = "$FAKE" imds_endpoint = "$FAKE"
      timeout = 2 max_retries = 3 retry_time = 10 ${2:-} }
C
}

# A state with the test key, metadata and a few instances and records.
write_state() {
	cat >"$1" <<'J'
{"keys": {"AKIDTEST": "secrettest", "AKIDENV": "secretenv",
          "AKIDFILE": "secretfile", "AKIDPROF": "secretprof"},
 "imds": {"public-ipv4": "203.0.113.10", "local-ipv4": "10.0.0.5",
          "mac": "0e:11:22:33:44:55", "ipv6s": ["2001:db8::5", "2001:db8::6"],
          "region": "eu-west-1", "role": "web-role", "role_ttl": 3600},
 "page_size": 2,
 "instances": [
  {"id": "i-001", "private_ip": "10.0.0.1", "public_ip": "198.51.100.1",
   "key_name": "k1", "type": "t3.small", "az": "us-east-1b", "vpc": "vpc-1",
   "tags": {"Name": "web1", "Class": "web"}, "ipv6": ["2001:db8::1"]},
  {"id": "i-002", "private_ip": "10.0.0.2", "tags": {"Name": "web2", "Class": "web"}},
  {"id": "i-003", "private_ip": "10.0.0.3", "state": "stopped",
   "tags": {"Name": "db1 & <co>", "Class": "db"}},
  {"id": "i-004", "private_ip": "10.0.0.4", "tags": {"Name": "web3", "Class": "web"},
   "ipv6": ["2001:db8::4", "2001:db8::44"]},
  {"id": "i-005", "private_ip": "10.0.0.5"}
 ],
 "zones": [{"id": "Z1", "name": "example.test.", "records": [
   {"name": "www.example.test.", "type": "A", "ttl": 60,
    "values": ["192.0.2.1", "192.0.2.2"]},
   {"name": "www.example.test.", "type": "AAAA", "ttl": 60,
    "values": ["2001:db8::1"]}]},
   {"id": "Z2", "name": "other.test.", "records": []}],
 "insync_after": 2
}
J
}
