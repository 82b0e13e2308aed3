# Conformance backend: dns "route53" on the fake AWS (tests/fake/aws.py:
# every request's SigV4 signature verified by botocore), read back from
# the fake's own records, never through the provider.
#
# The provider section is followed by an aws {} section of short timeouts
# (dns.sh writes `dns "t" { BE_SECTION }`: BE_SECTION closes the dns
# section and opens aws {}, which the template's last brace closes).
. "$TOP_SRCDIR/tests/lib/aws.sh"
BE_ZONE=conf.test
BE_TIMEOUT=3 # the aws {} retry_time below

be_setup() {
	cat >"$T/state.json" <<'J'
{"keys": {"AKIDTEST": "secrettest"},
 "zones": [{"id": "ZCONF", "name": "conf.test.", "records": [
   {"name": "unrelated.conf.test.", "type": "A", "ttl": 60, "values": ["192.0.2.99"]}]}],
 "insync_after": 0}
J
	start_fake_aws "$T/state.json"
	BE_SECTION="route53 { zone = \"$BE_ZONE\"${R53_READ:+ read = \"$R53_READ\"} } }
aws { region = \"us-east-1\" access_key_id = \"AKIDTEST\" secret_access_key = \"secrettest\"
      route53_endpoint = \"$FAKE\" timeout = 1 max_retries = 2 retry_time = $BE_TIMEOUT"
}

# The fake's records as JSON lines "name type ttl v1,v2" (sorted values).
r53_lines() {
	curl -sf "$FAKE/_fake/records" | /usr/bin/python3 -c '
import json, sys
for z in json.load(sys.stdin):
    for r in z["records"]:
        print(r["name"].rstrip("."), r["type"], r.get("ttl", 0), ",".join(sorted(r["values"])), r.get("set_id") or "")'
}
be_rrs() { # NAME TYPE
	r53_lines | awk -v n="${1,,}" -v t="$2" '$1 == n && $2 == t { print $4 }' | tr ',' '\n' |
		sort -V | tr '\n' ' ' | sed 's/ $//'
}
be_ttl() { r53_lines | awk -v n="${1,,}" -v t="$2" '$1 == n && $2 == t { print $3 }'; }
be_dump() { # [NAME TYPE]
	r53_lines | awk -v n="${1:-}" -v t="${2:-}" '!(n != "" && $1 == tolower(n) && $2 == t)' | sort
}
# The texts of NAME's TXT set, one a line: each value's one quoted
# character-string with its escapes undone, as the fake stores it.
be_txt() { # NAME
	curl -sf "$FAKE/_fake/records" | /usr/bin/python3 -c '
import json, sys
n = sys.argv[1].lower().rstrip(".") + "."
bs, q = chr(92), chr(34)
for z in json.load(sys.stdin):
    for r in z["records"]:
        if r["name"] != n or r["type"] != "TXT":
            continue
        for v in r["values"]:
            if len(v) < 2 or v[0] != q or v[-1] != q:
                continue
            out, i, body = "", 0, v[1:-1]
            while i < len(body):
                if body[i] == bs and i + 1 < len(body):
                    i += 1
                elif body[i] == q:
                    break  # several strings: not a state text
                out += body[i]
                i += 1
            else:
                print(out)' "$1"
}
# Rewrite the zone through the fake's control API (out of band).
r53_edit() { # PYTHON acting on `recs` (the zone's records) and sys.argv[2:]
	local py=$1
	shift
	curl -sf "$FAKE/_fake/records" | /usr/bin/python3 -c '
import json, sys
zones = json.load(sys.stdin)
recs = zones[0]["records"]
'"$py"'
print(json.dumps({"zones": zones}))' "$@" >"$T/zones.json" || return 1
	curl -sf -X POST --data @"$T/zones.json" "$FAKE/_fake/state" >/dev/null
}
be_seed() { # NAME TYPE TTL ADDR...
	r53_edit '
n, t, ttl = sys.argv[1].lower().rstrip(".") + ".", sys.argv[2], int(sys.argv[3])
recs[:] = [r for r in recs if not (r["name"] == n and r["type"] == t)]
if sys.argv[4:]:
    recs.append({"name": n, "type": t, "ttl": ttl, "values": sys.argv[4:]})' "$@"
}
be_seed_other() { # NAME: other types there, neighbour names
	r53_edit '
n = sys.argv[1].lower() + "."
recs.append({"name": n, "type": "TXT", "ttl": 60, "values": ["\"v=keep\""]})
recs.append({"name": n, "type": "MX", "ttl": 60, "values": ["10 mx." + n]})
recs.append({"name": n, "type": "AAAA", "ttl": 60, "values": ["2001:db8::77"]})
recs.append({"name": "x" + n, "type": "A", "ttl": 60, "values": ["192.0.2.12"]})' "$1"
}
# Down: the endpoint refuses connections; up: the same port, same data.
be_down() {
	curl -sf "$FAKE/_fake/records" >"$T/zones.saved" || return 1
	FAKE_PORT=${FAKE##*:}
	kill "$FAKE_PID" && wait "$FAKE_PID" 2>/dev/null
	return 0
}
be_up() {
	/usr/bin/python3 - "$T/state.json" "$T/zones.saved" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["zones"] = json.load(open(sys.argv[2]))
json.dump(s, open(sys.argv[1], "w"))
PY
	rm -f "$T/fake-aws.port"
	/usr/bin/python3 "$TOP_SRCDIR/tests/fake/aws.py" --state "$T/state.json" \
		--port-file "$T/fake-aws.port" --port "$FAKE_PORT" 2>>"$T/fake-aws.log" &
	FAKE_PID=$!
	track $FAKE_PID
	for _ in $(seq 200); do [ -s "$T/fake-aws.port" ] && return 0; sleep 0.05; done
	return 1
}
# Silent: every Route 53 request taken and never answered.
be_silent() {
	curl -sf -X POST --data '{"service": "route53", "kind": "silent", "delay": 30, "count": 1000}' \
		"$FAKE/_fake/fault" >/dev/null
}
be_unsilent() { curl -sf -X POST --data '{}' "$FAKE/_fake/clear" >/dev/null; }
