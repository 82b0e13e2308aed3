#!/bin/bash
# Quorum eviction on a shared hosts file (issue 19).  Three agents on
# 127.0.0.2-4 with real TCP servers; agent .2's checks of its peers fail
# (it is blind to them, its self-check passes):
#  - no healthy peer leaves the name, .2 logs once that it is outvoted
#    (before the fix .2 evicted .3 and .4 within a second: quorum = false
#    shows it here too);
#  - server .4 dies with its agent alive: .4 withdraws itself at once;
#  - machine .3 dies (agent and server SIGKILLed together): .3 leaves on
#    the votes of .2 and .4, within fall rounds and a few heartbeats;
#  - the status file shows each peer's votes and each agent's liveness,
#    and the state records sit in the file as "#dfo-txt" comment lines.
. "$TOP_SRCDIR/tests/lib/common.sh"

port=$(free_port)
H=$T/hosts
F=www.example.test
: >"$H"
cat >"$T/blind.sh" <<'S'
#!/bin/sh
# Agent .2 cannot see its peers: only its own server answers.
[ "$1" = 127.0.0.2 ] || { echo "blind to $1"; exit 2; }
exec bash -c 'exec 3<>"/dev/tcp/$1/$2"' bash "$1" "$2"
S
chmod +x "$T/blind.sh"
declare -A srv agent
mport=$(free_port)
conf() { # addr check-section quorum
	write_conf "$T/$1.conf" <<C
status_file = "$T/$1.status"
$([ "$1" = 2 ] && echo "metrics_listen = \"127.0.0.1:$mport\"")
dns "local" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.$1" } }
check "web" { $2 }
timer "fast" { tick { interval = 0.3 timeout = 2 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "web"
             timer = "fast" rise = 1 fall = 2 heartbeat = 0.5 quorum = $3 }
C
}
tcp="tcp { port = $port }"
blind="exec { command = {\"/bin/sh\", \"-c\", \"$T/blind.sh \\\"\$1\\\" $port\", \"sh\"} }"
for a in 2 3 4; do
	listen_tcp 127.0.0.$a "$port"
	srv[$a]=$LISTEN_PID
done
conf 2 "$blind" true
conf 3 "$tcp" true
conf 4 "$tcp" true
for a in 2 3 4; do
	start_agent $a "$T/$a.conf"
	agent[$a]=$AGENT_PID
done
wait_for 10 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3 127.0.0.4" ||
	fail "agents did not join: $(addrs "$H" "$F")"

# -t says nothing of partition safety for this pool.
out=$("$DFO" -t -C "$T/3.conf" 2>&1) || fail "-t: $out"
assert_not_contains "$out" "partition" "-t with quorum"

# 1. The blind agent is outvoted for 8 s: nothing leaves.
holds 8 "127.0.0.2 127.0.0.3 127.0.0.4" addrs "$H" "$F"
outvoted_once "$T/2.log"
grep -q "^#dfo-txt _dfo.$F dfo1 127.0.0.3 [0-9]* u 127.0.0.2\?" "$H" ||
	grep -q "^#dfo-txt _dfo.$F dfo1 127.0.0.3 [0-9]* u -$" "$H" ||
	fail "no state record of .3: $(cat "$H")"
grep -q "^#dfo-txt _dfo.$F dfo1 127.0.0.2 [0-9]* u 127.0.0.3,127.0.0.4$" "$H" ||
	fail "the blind agent's view is not in its record: $(cat "$H")"
S=$T/3.status
wait_rounds "$S" 2 5
assert_eq "$(status_get "$S" 's["pools"][0]["quorum"]["live"]')" 3 "3 live agents"
assert_eq "$(status_get "$S" '" ".join(a["addr"] + "=" + str(a["live"]) for a in s["pools"][0]["quorum"]["agents"])')" \
	"127.0.0.2=True 127.0.0.4=True" "agents' liveness"
S2=$T/2.status
assert_eq "$(status_get "$S2" '" ".join("%s=%d/%d" % (p["addr"], p["votes"], p["voters"]) for p in s["pools"][0]["peers"])')" \
	"127.0.0.3=1/3 127.0.0.4=1/3" "votes seen by the blind agent"
show=$("$DFO" --status -C "$T/2.conf" 2>&1)
assert_contains "$show" "1 of 3 live agents see it failing" "--status shows votes"
assert_contains "$show" "quorum:" "--status shows the quorum"

m=$(curl -s "http://127.0.0.1:$mport/metrics")
assert_contains "$m" 'dnsfailover_peer_down_votes{pool="www",peer="127.0.0.3"} 1' "metrics: votes"
assert_contains "$m" 'dnsfailover_quorum_live_agents{pool="www"} 3' "metrics: live agents"
assert_contains "$m" 'dnsfailover_quorum_outvoted{pool="www"} 1' "metrics: outvoted"

# 2. Server .4 dies, its agent lives: it withdraws itself.
kill "${srv[4]}"
wait_for 10 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3" ||
	fail ".4 did not leave: $(addrs "$H" "$F")"
grep -q "withdrew 127.0.0.4" "$T/4.log" || fail ".4 did not withdraw itself"
listen_tcp 127.0.0.4 "$port"
srv[4]=$LISTEN_PID
wait_for 10 has_addrs "$H" "$F" "127.0.0.2 127.0.0.3 127.0.0.4" ||
	fail ".4 did not rejoin: $(addrs "$H" "$F")"

# 3. Machine .3 dies: agent and server together.
t0=$(now_ms)
kill -9 "${agent[3]}" "${srv[3]}"
wait_for 20 has_addrs "$H" "$F" "127.0.0.2 127.0.0.4" ||
	fail ".3 did not leave: $(addrs "$H" "$F")"
took=$(($(now_ms) - t0))
grep -q "evicted 127.0.0.3" "$T/2.log" "$T/4.log" || fail "no eviction of .3"
echo "dead machine .3 left in $took ms"

# 4. The same blindness without quorum evicts healthy peers (the issue's
# defect), and -t says the pool is not partition-safe.
kill "${agent[2]}" "${agent[4]}"
wait "${agent[2]}" "${agent[4]}" 2>/dev/null
listen_tcp 127.0.0.3 "$port"
printf '127.0.0.2\t%s\n127.0.0.3\t%s\n127.0.0.4\t%s\n' "$F" "$F" "$F" >"$H"
conf 2 "$blind" false
out=$("$DFO" -t -C "$T/2.conf" 2>&1) || fail "-t: $out"
assert_contains "$out" "not partition-safe" "-t warns with quorum = false"
start_agent 2b "$T/2.conf"
wait_for 10 grep -q "evicted" "$T/2b.log" ||
	fail "without quorum the blind agent evicted nothing"
pass "blind agent outvoted, dead server and dead machine leave (.3 in $took ms)"
