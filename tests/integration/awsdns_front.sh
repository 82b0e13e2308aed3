#!/bin/bash
# End to end: `awsdns -c x.ini -l 127.0.0.1:PORT -f`, the original's
# command line, answers dig from the fake AWS (pointed at by
# AWS_ENDPOINT_URL, as a config-less awsdns has no other way), serves as
# nobody, and shows its secret key nowhere.  Everything runs in a network
# namespace of its own: nothing can reach a real AWS.
. "$TOP_SRCDIR/tests/lib/common.sh"

need_root
need_cmd dig ip
{ [ -e "$DFO_PLUGINS/awsdns.so" ] || [ -e "$DFO_PLUGINS/responder_awsdns.so" ]; } || skip "no awsdns plugin built"
grep -qa AWS_ENDPOINT_URL "$TOP_BUILDDIR"/.libs/libdnsfailover.so* 2>/dev/null ||
	skip "the AWS client does not read AWS_ENDPOINT_URL yet"
/usr/bin/python3 -c 'import botocore' 2>/dev/null || skip "needs python3-botocore"
ns=$(make_netns front) || skip "no network namespace"
IN=(ip netns exec "$ns")
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE \
	AWS_REGION AWS_DEFAULT_REGION AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
export HOME=$T/home
mkdir -p "$HOME"

SECRET='fR0ntS3cr3t/only+for=this-test'
SECRET=${SECRET//-/x}
cat >"$T/state.json" <<J
{"keys": {"AKIDFRONT": "$SECRET"}, "page_size": 2,
 "instances": [
  {"id": "i-001", "private_ip": "10.0.0.1", "tags": {"Name": "web1", "Class": "web"}},
  {"id": "i-002", "private_ip": "10.0.0.2", "tags": {"Name": "web2", "Class": "web"}},
  {"id": "i-003", "private_ip": "10.0.0.3", "tags": {"Name": "web2", "Class": "web"}},
  {"id": "i-004", "private_ip": "10.0.0.4", "state": "stopped", "tags": {"Name": "old"}}
 ]}
J
"${IN[@]}" /usr/bin/python3 "$TOP_SRCDIR/tests/fake/aws.py" --state "$T/state.json" \
	--port-file "$T/fake.port" 2>"$T/fake.log" &
track $!
wait_for 20 test -s "$T/fake.port" || fail "the fake AWS did not start: $(cat "$T/fake.log")"

cat >"$T/x.ini" <<EOF
[awsdns]
aws_access_key_id = AKIDFRONT
aws_secret_access_key = $SECRET
aws_region = us-east-1
forward = tag:Name
reverse = private_ip_address
extra = tag:Class id
ttl = 30
EOF
"${IN[@]}" env AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$T/fake.port")" \
	"$DFO" --awsdns -c "$T/x.ini" -l 127.0.0.1:5300 -l '[::1]:5300' -f 2>"$T/awsdns.log" &
agent=$!
track $agent
q() { "${IN[@]}" dig +tries=1 +time=2 -p 5300 "$@"; }
wait_for 20 sh -c "ip netns exec $ns dig +short +tries=1 +time=1 -p 5300 @127.0.0.1 web1 | grep -q 10.0.0.1" ||
	fail "no answer for web1: $(cat "$T/awsdns.log")"

assert_eq "$(q +short @127.0.0.1 web1 A)" "10.0.0.1" "forward"
assert_eq "$(q +short @127.0.0.1 web2 A | sort | tr '\n' ' ')" "10.0.0.2 10.0.0.3 " "every instance of a name"
assert_eq "$(q +short @::1 -x 10.0.0.1)" "web1." "reverse over IPv6"
out=$(q @127.0.0.1 web1 A)
# as the original answered (issue 21 #14): "attribute = value", the SOA
# in every answer, the file's TTL
assert_contains "$out" '"tag:Class = web"' "extra as TXT, the original's text"
assert_contains "$out" '"id = i-001"' "extra id"
assert_contains "$out" "flags: qr aa" "authoritative"
assert_contains "$out" "AUTHORITY: 1," "the SOA with a positive answer, as the original"
assert_contains "$out" "web1.			30	IN	A	10.0.0.1" "ttl of the file"
assert_contains "$(q +tcp @127.0.0.1 web1 A)" "10.0.0.1" "TCP"
assert_contains "$(q @127.0.0.1 old A)" "status: NXDOMAIN" "stopped instance not served"
pass "awsdns -c x.ini -l ... answers from the fake AWS"

child=$(pgrep -P "$agent" | head -1)
[ -n "$child" ] || fail "no responder process"
assert_eq "$(ps -o user= -p "$child" | tr -d ' ')" "nobody" "the server runs as nobody"
for p in "$agent" "$child"; do
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -qF "$SECRET" && fail "secret on the command line"
done
assert_not_contains "$(cat "$T/awsdns.log")" "$SECRET" "secret in the log"
grep -qF "$SECRET" "$T/x.ini" || fail "test broken"
conf=
for f in /proc/$agent/fd/*; do
	case $(readlink "$f") in */memfd:*) conf=$f ;; esac
done
[ -n "$conf" ] || fail "the config is not an anonymous file"
grep -q 'txt_format = "spaced"' "$conf" || fail "config: $(cat "$conf")"
grep -q 'secret_access_key' "$conf" && fail "a key in the generated config"
grep -qF "$SECRET" "$conf" && fail "secret in the generated config"
pass "serves as nobody; the secret is in no argument, log or file"

# SIGHUP re-reads the generated config (/proc/self/fd/N): unchanged, so
# the server is left running.
kill -HUP "$agent"
wait_for 10 grep -q "configuration reloaded" "$T/awsdns.log" ||
	fail "no reload: $(tail -5 "$T/awsdns.log")"
# The server is still the agent's child (not "the first child": PIDs
# wrap, and the reload's checking child may still be there).
pgrep -P "$agent" | grep -qx "$child" ||
	fail "same server after SIGHUP: $child is gone ($(pgrep -P "$agent" | tr '\n' ' '))"
[ "$(ps -o user= -p "$child" | tr -d ' ')" = nobody ] || fail "server $child is not the responder"
assert_eq "$(q +short @127.0.0.1 web1 A)" "10.0.0.1" "answers after SIGHUP"
pass "SIGHUP re-reads the generated config"

kill -TERM "$agent"
wait "$agent"
assert_eq "$?" 0 "clean stop"
pass "stopped"
