# Helpers of the zerigo tests (sourced after common.sh): the fake Zerigo
# of tests/fake/zerigo.py on loopback.
need_cmd curl

ZG_USER="ops@example.test"
# The API key: from the environment into the config, so that a test can
# look for it anywhere it must not be.
export ZG_KEY="zgkey-$$-Secret-9f2c"

# start_fake_zerigo STATE.json [--port N]: sets ZG (its base URL) and
# ZG_PID.
start_fake_zerigo() {
	local state=$1
	shift
	start_fake zerigo --state "$state" --user "$ZG_USER" --key "$ZG_KEY" "$@"
	ZG_PID=$FAKE_PID
	ZG=$FAKE_URL
}

# zg_conf NAME [OPTIONS...]: the body of a dns instance at the fake.
zg_conf() {
	local name=$1
	shift
	echo "dns \"$name\" { zerigo { user = \"$ZG_USER\" api_key = \"\${ZG_KEY}\"" \
		"zone = \"example.test\" endpoint = \"$ZG/api/1.1\" $* } }"
}

# zg_post PATH JSON: change the fake (faults, state).
zg_post() {
	curl -sf -X POST --data "$2" "$ZG$1" >/dev/null || fail "zg_post $1"
}

# zg_stat NAME: a request counter of the fake.
zg_stat() {
	curl -sf "$ZG/_fake/stats" |
		/usr/bin/python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"
}

# zg_hosts HOSTNAME TYPE: the fake's hosts of that hostname ("" for the
# apex) and type, "DATA TTL" one a line, sorted; TTL "-" when nil.
zg_hosts() {
	curl -sf "$ZG/_fake/state" | /usr/bin/python3 -c '
import json, sys
name, typ = sys.argv[1] or None, sys.argv[2]
out = []
for z in json.load(sys.stdin)["zones"]:
    if z["domain"] != "example.test":
        continue
    for h in z["hosts"]:
        if h.get("hostname") == name and h["host_type"] == typ:
            out.append("%s %s" % (h["data"], "-" if h.get("ttl") is None else h["ttl"]))
print("\n".join(sorted(out)))' "$1" "$2"
}

# zg_snapshot FILE: every host of every zone ("zone id hostname type data
# ttl" lines, sorted), to compare what an operation left alone.
zg_snapshot() {
	curl -sf "$ZG/_fake/state" | /usr/bin/python3 -c '
import json, sys
rows = []
for z in json.load(sys.stdin)["zones"]:
    for h in z["hosts"]:
        rows.append("%s %s %s %s %s %s" % (z["domain"], h["id"], h.get("hostname"),
                    h["host_type"], h["data"], h.get("ttl")))
print("\n".join(sorted(rows)))' >"$1"
}
