#!/bin/bash
# Three agents (127.0.0.2-4, one pool) share one name at the fake Zerigo.
# When .4 dies (its agent and its server stop), the other two evict it
# through the zerigo provider: the fake's hosts end as .2 and .3 with
# their TTL and ids unchanged (never deleted and re-created), the other
# hosts of the zone untouched (only the agents' quorum state records
# added), .4 not coming back, and the API key in
# no log and no status file.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/zerigo.sh"

cat >"$T/state.json" <<'J'
{"zones": [
 {"id": 1001, "domain": "example.test", "default_ttl": 900, "hosts": [
  {"id": 12, "hostname": "www", "host_type": "A", "data": "127.0.0.2", "ttl": 60},
  {"id": 13, "hostname": "www", "host_type": "A", "data": "127.0.0.3", "ttl": 60},
  {"id": 14, "hostname": "www", "host_type": "A", "data": "127.0.0.4", "ttl": 60},
  {"id": 15, "hostname": "www", "host_type": "TXT", "data": "127.0.0.4", "ttl": 60},
  {"id": 16, "hostname": "mail", "host_type": "A", "data": "127.0.0.4", "ttl": 3600}]}]}
J
start_fake_zerigo "$T/state.json"
zg_snapshot "$T/before"

port=$(free_port)
pids=()
for n in 2 3 4; do
	listen_tcp "127.0.0.$n" "$port"
	eval "listen_$n=$LISTEN_PID"
	write_conf "$T/a$n.conf" <<C
status_file = "$T/status$n.json"
$(zg_conf zg)
ipsource "me" { static { address = "127.0.0.$n" } }
check "web" { tcp { port = $port } }
timer "fast" { tick { interval = 0.5 timeout = 1.5 retries = 2 } }
pool "www" { fqdn = {"www.example.test"} dns = "zg" ipsource = "me"
             check = "web" timer = "fast" }
C
	start_agent "a$n" "$T/a$n.conf"
	eval "agent_$n=$AGENT_PID"
done
for n in 2 3 4; do
	wait_for 10 test -s "$T/status$n.json" || fail "agent .$n wrote no status: $(cat "$T/a$n.log")"
	wait_rounds "$T/status$n.json" 2 5 || fail "agent .$n runs no rounds: $(tail -5 "$T/a$n.log")"
done
assert_eq "$(zg_hosts www A)" "127.0.0.2 60
127.0.0.3 60
127.0.0.4 60" "three healthy agents change nothing"

# .4 dies: its agent first (else it may see its own server fail and
# withdraw itself), then its server.
kill "$agent_4"
wait "$agent_4"
kill "$listen_4"
t0=$(now_ms)
gone() { [ "$(zg_hosts www A)" = "127.0.0.2 60
127.0.0.3 60" ]; }
wait_for 10 gone || fail "the dead peer was not evicted: $(zg_hosts www A)
$(tail -5 "$T/a2.log" "$T/a3.log")"
pass "dead peer evicted through zerigo in $(($(now_ms) - t0)) ms"

# A few more rounds: stable, .4 stays out, nothing else touched.
wait_rounds "$T/status2.json" 3 5 || fail "agent .2 stopped running rounds"
assert_eq "$(zg_hosts www A)" "127.0.0.2 60
127.0.0.3 60" "stable after more rounds"
zg_snapshot "$T/after"
assert_eq "$(LC_ALL=C comm -23 "$T/before" "$T/after")" "example.test 14 www A 127.0.0.4 60" \
	"only www A 127.0.0.4 went (ids of .2 and .3, the TXT and mail kept)"
# Created: only the agents' quorum state records (TXT at _dfo.www, one
# per agent; .4's may still be there, it goes after two windows).
created=$(LC_ALL=C comm -13 "$T/before" "$T/after")
assert_eq "$(grep -v '^example.test [0-9]* _dfo.www TXT dfo1 127.0.0.[234] ' <<<"$created")" "" \
	"no host created but the state records"
for n in 2 3; do
	grep -q " _dfo.www TXT dfo1 127.0.0.$n " <<<"$created" ||
		fail "no state record of agent .$n at the fake: $created"
done
n=$(grep -c "evicted 127.0.0.4 from" "$T/a2.log" "$T/a3.log" | awk -F: '{s += $2} END {print s}')
[ "$n" -ge 1 ] || fail "no agent logged the eviction: $(cat "$T"/a?.log)"
assert_eq "$(status_get "$T/status2.json" '" ".join(s["pools"][0]["fqdns"][0]["records"])')" \
	"127.0.0.2 127.0.0.3" "status records"
cat "$T"/a?.log "$T"/status?.json | grep -Fq "$ZG_KEY" && fail "the API key is in a log or status file"
pass "stable, other hosts untouched, no key in logs or status"

# The agents stop cleanly (and, built with --enable-sanitizers, without
# a report).
kill "$agent_2" "$agent_3"
wait "$agent_2" || fail "agent .2 exit status $?"
wait "$agent_3" || fail "agent .3 exit status $?"
grep -E "Sanitizer|runtime error" "$T"/a?.log && fail "sanitizer report in an agent's log"
pass "agents stopped cleanly"
