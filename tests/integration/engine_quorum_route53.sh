#!/bin/bash
# Quorum eviction on the fake Route 53 (issue 19): three agents on
# 127.0.0.2-4 at interval 1 with the default heartbeat, real TCP servers;
# agent .2's checks of its peers fail (an exec check: it is blind to
# them, its own server answers; timeout 2 s, as a loaded machine forks
# slowly); .3 and .4 check with the tcp check, which forks nothing (with
# an exec check, .4 once timed out on .3 at load 10 and, with the blind
# agent's vote, evicted it):
#  - every agent's heartbeat is a TXT value of _dfo.www.example.test at
#    the fake, and each one changes (the agents write through change
#    batches that the fake checks as Route 53 does);
#  - `-t` does not call the pool unsafe (route53 has the state operations);
#  - for 10 s no healthy peer leaves the name and .2 logs once that it is
#    outvoted (quorum = false evicts them: the last step shows it);
#  - machine .3 dies (agent and server SIGKILLed together): .3 leaves
#    within the README's bound at interval 1 (15 s), on the votes of .2
#    and .4, and the name is never empty.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

cat >"$T/state.json" <<'J'
{"keys": {"AKIDTEST": "secrettest"},
 "zones": [{"id": "Z1", "name": "example.test.", "records": []}],
 "insync_after": 0}
J
start_fake_aws "$T/state.json"
port=$(free_port)
F=www.example.test
# The fake's own records, never through the provider under test.
r53() { # NAME TYPE: the values, sorted, space-separated
	curl -sf "$FAKE/_fake/records" | /usr/bin/python3 -c '
import json, sys
n, t = sys.argv[1] + ".", sys.argv[2]
for z in json.load(sys.stdin):
    for r in z["records"]:
        if r["name"] == n and r["type"] == t:
            print(" ".join(sorted(r["values"])))' "$1" "$2"
}
has() { [ "$(r53 "$F" A)" = "$1" ]; }
beats() { # the TXT values of the state name, one a line
	r53 "_dfo.$F" TXT | grep -o '"dfo1 [^"]*"' | tr -d '"'
}

# Agent .2 cannot see its peers: only its own server answers (the
# address is the last argument).
cat >"$T/blind.sh" <<S
#!/bin/sh
[ "\$1" = 127.0.0.2 ] || { echo "blind to \$1"; exit 2; }
exec bash -c 'exec 3<>"/dev/tcp/\$1/$port"' bash "\$1"
S
chmod +x "$T/blind.sh"
blind="exec { command = {\"$T/blind.sh\"} }"
see="tcp { port = $port }"
declare -A srv agent
conf() { # addr check quorum
	aws_conf "$T/$1.conf"
	cat >>"$T/$1.conf" <<C
status_file = "$T/$1.status"
dns "r53" { route53 { zone = "example.test" } }
ipsource "me" { static { address = "127.0.0.$1" } }
check "web" { $2 }
timer "1s" { tick { interval = 1 timeout = 2 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "r53" ipsource = "me" check = "web"
             timer = "1s" rise = 1 quorum = $3 }
C
}
for a in 2 3 4; do
	listen_tcp 127.0.0.$a "$port"
	srv[$a]=$LISTEN_PID
done
conf 2 "$blind" true
conf 3 "$see" true
conf 4 "$see" true

out=$("$DFO" -t -C "$T/3.conf" 2>&1) || fail "-t: $out"
assert_not_contains "$out" "partition" "-t of a route53 pool with quorum"

for a in 2 3 4; do
	start_agent $a "$T/$a.conf"
	agent[$a]=$AGENT_PID
done
wait_for 20 has "127.0.0.2 127.0.0.3 127.0.0.4" ||
	fail "agents did not join: '$(r53 "$F" A)'; $(tail -n 5 "$T"/*.log)"

# 1. Heartbeats at the fake: one record per agent, each rewritten.
three() { [ "$(beats | awk '{print $2}' | sort | tr '\n' ' ')" = "127.0.0.2 127.0.0.3 127.0.0.4 " ]; }
wait_for 10 three || fail "not one state record per agent: $(beats)"
first=$(beats | sort)
changed() { # every agent's record differs from its first one
	local a
	for a in 2 3 4; do
		[ "$(beats | grep "^dfo1 127.0.0.$a ")" != "$(grep "^dfo1 127.0.0.$a " <<<"$first")" ] || return 1
	done
}
wait_for 10 changed || fail "heartbeats not rewritten: before '$first', now '$(beats)'"
echo "state records at the fake:"; beats | sed 's/^/  /'
blind_view() { beats | grep -q "^dfo1 127.0.0.2 [0-9]* u 127.0.0.3,127.0.0.4$"; }
wait_for 10 blind_view ||
	fail "the blind agent's view is not in its record: $(beats)"

# 2. The blind agent is outvoted for 10 s: nothing leaves.
holds 10 "127.0.0.2 127.0.0.3 127.0.0.4" r53 "$F" A
outvoted_once "$T/2.log"
assert_eq "$(status_get "$T/2.status" '" ".join("%s=%d/%d" % (p["addr"], p["votes"], p["voters"]) for p in s["pools"][0]["peers"])')" \
	"127.0.0.3=1/3 127.0.0.4=1/3" "votes seen by the blind agent"

# 3. Machine .3 dies: it leaves within the bound, the name never empty.
BOUND=15
t0=$(now_ms)
kill -9 "${agent[3]}" "${srv[3]}"
while :; do
	cur=$(r53 "$F" A)
	[ -n "$cur" ] || fail "the name is empty"
	[ "$cur" = "127.0.0.2 127.0.0.4" ] && break
	[ $(($(now_ms) - t0)) -lt $((BOUND * 1000 + 10000)) ] || break
	sleep 0.1
done
took=$(($(now_ms) - t0))
[ "$cur" = "127.0.0.2 127.0.0.4" ] || fail ".3 did not leave: '$cur'; $(tail -n 5 "$T/4.log")"
echo "dead machine .3 left in $took ms (bound $BOUND s)"
[ "$took" -le $((BOUND * 1000)) ] || fail "took $took ms, over the bound of $BOUND s"
grep -q "evicted 127.0.0.3" "$T/2.log" "$T/4.log" || fail "no eviction of .3 logged"
assert_eq "$(fake_stat sig_fail)" 0 "every request's signature verified"

# 4. The same blindness without quorum evicts a healthy peer (the
# issue's defect), and -t says the pool is not partition-safe.
kill "${agent[2]}" "${agent[4]}"
wait "${agent[2]}" "${agent[4]}" 2>/dev/null
conf 2 "$blind" false
out=$("$DFO" -t -C "$T/2.conf" 2>&1) || fail "-t: $out"
assert_contains "$out" "not partition-safe" "-t warns with quorum = false"
start_agent 2b "$T/2.conf"
wait_for 10 grep -q "evicted 127.0.0.4" "$T/2b.log" ||
	fail "without quorum the blind agent evicted nothing: $(tail -n 5 "$T/2b.log")"
pass "route53: heartbeats at the fake, blind agent outvoted, dead machine out in $took ms"
