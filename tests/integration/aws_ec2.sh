#!/bin/bash
# EC2 DescribeInstances against the fake: every page (NextToken), tags
# (XML-escaped), IPv6 addresses, filters, attribute lookup by awsdns
# names, and a malformed answer as a clear error.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

write_state "$T/state.json"   # 5 instances, 2 a page
start_fake_aws "$T/state.json"
aws_conf "$T/a.conf"
ec2() { "$DFO_AWS" -C "$T/a.conf" "$@" 2>"$T/err" || fail "$*: $(cat "$T/err")"; }

n0=$(fake_stat ec2)
out=$(ec2 describe-instances)
assert_eq "$(fake_stat ec2)" $((n0 + 3)) "3 pages fetched"
assert_eq "$(echo "$out" | awk '{print $1}' | tr '\n' ' ')" "i-001 i-002 i-003 i-004 i-005 " "every instance of every page"
line=$(echo "$out" | grep '^i-001 ')
assert_eq "$line" "i-001 running t3.small 10.0.0.1 198.51.100.1 k1 us-east-1b vpc-1 ipv6=2001:db8::1 tag:Name=web1 tag:Class=web" "i-001 parsed"
assert_contains "$(echo "$out" | grep '^i-003 ')" "stopped" "state"
assert_contains "$(echo "$out" | grep '^i-003 ')" "tag:Name=db1 & <co> tag:Class=db" "escaped tag value"
assert_contains "$(echo "$out" | grep '^i-004 ')" "ipv6=2001:db8::4,2001:db8::44" "two IPv6 addresses"
assert_eq "$(echo "$out" | grep '^i-005 ')" "i-005 running t3.micro 10.0.0.5 - - us-east-1a - ipv6=" "no tags, no IPv6"
pass "3 pages, tags, IPv6"

out=$(ec2 describe-instances tag:Class=web instance-state-name=running)
assert_eq "$(echo "$out" | awk '{print $1}' | tr '\n' ' ')" "i-001 i-002 i-004 " "filters"
out=$(ec2 describe-instances tag:Class=db,web instance-state-name=stopped)
assert_eq "$(echo "$out" | awk '{print $1}' | tr '\n' ' ')" "i-003 " "filter with two values"
pass "filters"

attr() { ec2 attr "$1" instance-id=i-001 | cut -d' ' -f2-; }
assert_eq "$(attr id)" i-001 id
assert_eq "$(attr private_ip_address)" 10.0.0.1 private_ip_address
assert_eq "$(attr ip_address)" 198.51.100.1 ip_address
assert_eq "$(attr key_name)" k1 key_name
assert_eq "$(attr instance_type)" t3.small instance_type
assert_eq "$(attr placement)" us-east-1b placement
assert_eq "$(attr availability_zone)" us-east-1b availability_zone
assert_eq "$(attr vpc_id)" vpc-1 vpc_id
assert_eq "$(attr ipv6_address)" 2001:db8::1 ipv6_address
assert_eq "$(attr tag:Class)" web tag:Class
assert_eq "$(attr tag:Nope)" - "absent tag"
pass "attributes by name"

# An unknown attribute name is an error (awsdns takes names from its
# config), before anything is asked of AWS; "tag:" needs a key.
n0=$(fake_stat ec2)
for bad in bogus tag: "" ID; do
	out=$("$DFO_AWS" -C "$T/a.conf" attr "$bad" 2>&1) && fail "attribute '$bad' accepted: $out"
	assert_contains "$out" "unknown attribute '$bad' (one of: id " "attribute '$bad'"
done
assert_eq "$(fake_stat ec2)" "$n0" "nothing asked of EC2 for a bad name"
pass "unknown attribute names refused"

# -C with a full config (pools, instances of plugins): plugin_dir is
# loaded as the daemon does, so the file parses.
cat >"$T/full.conf" <<C
plugin_dir = "$DFO_PLUGINS"
$(sed 1d "$T/a.conf")
dns      "local" { hosts  { file = "$T/hosts" } }
ipsource "me"    { static { address = "192.0.2.10" } }
check    "web"   { tcp    { port = 80 } }
timer    "10s"   { tick   { interval = 10 } }
pool "www" { fqdn = {"www.example.com"} dns = "local" ipsource = "me"
             check = "web" timer = "10s" }
C
out=$(DNSFAILOVER_PLUGIN_DIR=/nonexistent "$DFO_AWS" -C "$T/full.conf" attr id instance-id=i-002 2>&1) ||
	fail "-C with pools: $out"
assert_eq "$out" "i-002 i-002" "-C with pools and plugin instances"
pass "-C FILE with pools loads plugin_dir"

# A malformed page: a clear error, not retried, no partial result.
fake_post /_fake/fault '{"service": "ec2", "kind": "malformed"}'
n0=$(fake_stat ec2)
out=$("$DFO_AWS" -C "$T/a.conf" describe-instances 2>&1) && fail "malformed XML accepted: $out"
assert_contains "$out" "ec2 DescribeInstances: malformed answer: line " "malformed"
assert_eq "$(fake_stat ec2)" $((n0 + 1)) "malformed answer not retried"
assert_not_contains "$out" "i-00" "no instance from a malformed page"
pass "malformed XML: ${out#dnsfailover-aws: }"
