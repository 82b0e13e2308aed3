# Conformance backend: dns "zerigo" on the fake Zerigo (tests/fake/
# zerigo.py), read back through the fake's own state (/_fake/state),
# never through the provider.
. "$TOP_SRCDIR/tests/lib/zerigo.sh"
BE_ZONE=conf.test
BE_TIMEOUT=5 # the provider's bound for one operation (not configurable)

be_setup() {
	cat >"$T/zg-state.json" <<J
{"zones": [
 {"id": 3003, "domain": "$BE_ZONE", "default_ttl": 900, "hosts": [
  {"id": 31, "hostname": "unrelated", "host_type": "A", "data": "192.0.2.99", "ttl": 60}]},
 {"id": 3004, "domain": "other.test", "default_ttl": 900, "hosts": [
  {"id": 41, "hostname": "a", "host_type": "A", "data": "192.0.2.1", "ttl": 60}]}]}
J
	ZG_PORT=$(free_port)
	start_fake_zerigo "$T/zg-state.json" --port "$ZG_PORT"
	BE_SECTION="zerigo { user = \"$ZG_USER\" api_key = \"\${ZG_KEY}\" zone = \"$BE_ZONE\" endpoint = \"$ZG/api/1.1\" }"
}

# zg_py CODE [ARGS...]: run CODE with `zones` the fake's zones; if it sets
# `changed`, the zones are written back.
zg_py() {
	local code=$1
	shift
	curl -sf "$ZG/_fake/state" | ZG="$ZG" /usr/bin/python3 -c '
import json, os, sys, urllib.request
zones = json.load(sys.stdin)["zones"]
args = sys.argv[2:]
changed = False
def fqdn(z, h):
    return (h["hostname"] + "." + z["domain"]) if h.get("hostname") else z["domain"]
def parts(name):
    name = name.lower().rstrip(".")
    for z in zones:
        d = z["domain"].lower()
        if name == d:
            return z, None
        if name.endswith("." + d):
            return z, name[:-len(d) - 1]
    raise SystemExit("no zone for " + name)
exec(sys.argv[1])
if changed:
    req = urllib.request.Request(os.environ["ZG"] + "/_fake/state",
                                 data=json.dumps({"zones": zones}).encode(), method="POST")
    urllib.request.urlopen(req).read()
' "$code" "$@"
}

be_rrs() { # NAME TYPE
	zg_py '
z, hn = parts(args[0])
import ipaddress
out = sorted((h["data"] for h in z["hosts"]
              if (h.get("hostname") or None) == hn and h["host_type"] == args[1]),
             key=lambda a: ipaddress.ip_address(a))
print(" ".join(out))' "$1" "$2"
}
be_dump() { # [NAME TYPE]
	zg_py '
skip = None
if args:
    skip = (args[0].lower().rstrip("."), args[1])
rows = []
for z in zones:
    for h in z["hosts"]:
        f = fqdn(z, h).lower()
        if skip and (f, h["host_type"]) == skip:
            continue
        rows.append("%s %s %s %s %s" % (f, h["host_type"], h["data"], h.get("ttl"), h["id"]))
print("\n".join(sorted(rows)))' "$@"
}
be_seed() { # NAME TYPE TTL ADDR...
	zg_py '
z, hn = parts(args[0])
typ, ttl = args[1], int(args[2])
z["hosts"] = [h for h in z["hosts"]
              if not ((h.get("hostname") or None) == hn and h["host_type"] == typ)]
n = max([h["id"] for zz in zones for h in zz["hosts"]] + [50000])
for a in args[3:]:
    n += 1
    z["hosts"].append({"id": n, "hostname": hn, "host_type": typ, "data": a, "ttl": ttl})
changed = True' "$@"
}
be_seed_other() { # NAME: other types at NAME, and neighbour names
	zg_py '
z, hn = parts(args[0])
n = max([h["id"] for zz in zones for h in zz["hosts"]] + [60000])
for typ, data, name in (("TXT", "v=spf1 -all", hn), ("MX", "mail." + z["domain"], hn),
                        ("AAAA", "2001:db8::77", hn), ("A", "192.0.2.12", "x" + (hn or "")),
                        ("A", "192.0.2.13", (hn + ".sub") if hn else "sub")):
    n += 1
    z["hosts"].append({"id": n, "hostname": name, "host_type": typ, "data": data,
                       "ttl": 60, "priority": 10 if typ == "MX" else None})
changed = True' "$1"
}
be_ttl() { # NAME TYPE: the set's TTL (its hosts all have the same)
	zg_py '
z, hn = parts(args[0])
ttls = sorted(set(str(h.get("ttl")) for h in z["hosts"]
                  if (h.get("hostname") or None) == hn and h["host_type"] == args[1]))
print(" ".join(ttls))' "$1" "$2"
}
be_txt() { # NAME: the data of its TXT hosts, one a line
	zg_py '
z, hn = parts(args[0])
for h in z["hosts"]:
    if (h.get("hostname") or None) == hn and h["host_type"] == "TXT":
        print(h["data"])' "$1"
}
# Down: the fake stops (connections refused), and comes back on the same
# port with the data it had.
be_down() {
	curl -sf "$ZG/_fake/state" >"$T/zg-saved.json" || return 1
	kill "$ZG_PID" && wait "$ZG_PID" 2>/dev/null
	return 0
}
be_up() { start_fake_zerigo "$T/zg-saved.json" --port "$ZG_PORT"; }
# Silent: requests are taken and never answered (nor acted on).
be_silent() { zg_post /_fake/fault '{"kind": "slow", "delay": 60, "count": -1}'; }
be_unsilent() { zg_post /_fake/clear '{}'; }
