#!/bin/bash
# metrics_listen serves the Prometheus text format at /metrics from the
# agent's own loop: a real parser (python3-prometheus-client) reads it;
# a dead peer's eviction is counted, checks by result, rounds, peers up;
# idle connections do not hold up rounds; other paths and methods are
# refused.
. "$TOP_SRCDIR/tests/lib/common.sh"
/usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
	skip "needs python3-prometheus-client"

port=$(free_port)
mport=$(free_port)
H=$T/hosts
F=www.example.test
printf '127.0.0.2 %s\n127.0.0.3 %s\n127.0.0.9 %s\n' $F $F $F >"$H"
listen_tcp 127.0.0.2 "$port"
listen_tcp 127.0.0.3 "$port"

write_conf "$T/a.conf" <<C
status_file = "$T/status.json"
metrics_listen = "127.0.0.1:$mport"
$(hosts_pool 127.0.0.2 "tcp { port = $port }" "interval = 0.3 timeout = 0.3 retries = 1")
C
start_agent a "$T/a.conf"
wait_port 127.0.0.1 "$mport" 10 || fail "metrics port not open: $(cat "$T/a.log")"
wait_for 10 has_addrs "$H" $F "127.0.0.2 127.0.0.3" || fail "dead peer not evicted"
wait_rounds "$T/status.json" 1 5 || fail "rounds stopped"

# Idle connections (never sending a request) must not hold up rounds.
/usr/bin/python3 - "$mport" <<'PY' &
import socket, sys, time
conns = [socket.create_connection(("127.0.0.1", int(sys.argv[1]))) for _ in range(8)]
time.sleep(4)
PY
idle=$!
track $idle
sleep 0.3
r0=$(status_get "$T/status.json" 's["pools"][0]["rounds"]')
sleep 1.5
r1=$(status_get "$T/status.json" 's["pools"][0]["rounds"]')
[ $((r1 - r0)) -ge 3 ] || fail "rounds held up by idle metrics connections: $r0 -> $r1"

/usr/bin/python3 - "$mport" "$F" <<'PY' || fail "metrics"
import sys, urllib.request, urllib.error
from prometheus_client.parser import text_string_to_metric_families
port, fqdn = sys.argv[1], sys.argv[2]
base = "http://127.0.0.1:%s" % port
r = urllib.request.urlopen(base + "/metrics", timeout=5)
ctype = r.headers["Content-Type"]
assert ctype.startswith("text/plain; version=0.0.4"), ctype
text = r.read().decode()
fams = {f.name: f for f in text_string_to_metric_families(text)}
def value(name, **labels):
    for f in fams.values():
        for s in f.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise AssertionError("no sample %s %s in:\n%s" % (name, labels, text))
ev = value("dnsfailover_evictions_total", pool="www", fqdn=fqdn)
assert ev == 1, "evictions %s" % ev
assert fams["dnsfailover_evictions"].type == "counter"
rounds = value("dnsfailover_rounds_total", pool="www")
assert rounds >= 3, rounds
assert value("dnsfailover_checks_total", pool="www", result="healthy") >= 2 * rounds - 2
assert value("dnsfailover_checks_total", pool="www", result="failed") >= 1
assert value("dnsfailover_peers_up", pool="www") == 1
assert value("dnsfailover_peers", pool="www") == 1
assert value("dnsfailover_self_healthy", pool="www") == 1
assert 0 < value("dnsfailover_round_duration_seconds", pool="www") < 1
assert value("dnsfailover_round_seconds_total", pool="www") > 0
assert value("dnsfailover_dns_errors_total", pool="www", op="del") == 0
assert value("dnsfailover_ipsource_errors_total", pool="www", op="own_addr") == 0
assert value("dnsfailover_events_total", pool="www", event="evicted") == 1
assert value("dnsfailover_events_total", pool="www", event="peer_down") == 1
# Issue 18: the build, and a histogram of round durations.
info = fams["dnsfailover_build_info"]
assert info.type == "gauge", info.type
assert info.samples[0].value == 1 and info.samples[0].labels["version"], info.samples
h = fams["dnsfailover_round_length_seconds"]
assert h.type == "histogram", h.type
n = value("dnsfailover_round_length_seconds_count", pool="www")
assert n >= rounds - 1, (n, rounds)
assert value("dnsfailover_round_length_seconds_bucket", pool="www", le="+Inf") == n
assert value("dnsfailover_round_length_seconds_bucket", pool="www", le="0.01") <= \
    value("dnsfailover_round_length_seconds_bucket", pool="www", le="1") <= n
assert value("dnsfailover_round_length_seconds_sum", pool="www") > 0
for bad, code in (("/nope", 404),):
    try:
        urllib.request.urlopen(base + bad, timeout=5)
        raise AssertionError(bad + " answered")
    except urllib.error.HTTPError as e:
        assert e.code == code, (bad, e.code)
try:
    urllib.request.urlopen(urllib.request.Request(base + "/metrics", data=b"x"), timeout=5)
    raise AssertionError("POST answered")
except urllib.error.HTTPError as e:
    assert e.code == 405, e.code
print("evictions_total=%d rounds_total=%d families=%d" % (ev, rounds, len(fams)))
PY
kill $idle 2>/dev/null

# A bad address is a config error naming it.
write_conf "$T/bad.conf" <<C
metrics_listen = "localhost:http"
C
out=$("$DFO" -C "$T/bad.conf" -t 2>&1) && fail "bad metrics_listen accepted"
assert_contains "$out" "metrics_listen must be ADDRESS:PORT" "bad metrics_listen"
pass "metrics served and parsed; the eviction counted"
