#!/bin/bash
# A check that could not run says nothing of its target.  A check failing
# for a reason of this host (out of descriptors) leaves its peer alone
# while a really dead one goes; an unknown self-check changes nothing and
# backs off; and an agent that runs out of processes (RLIMIT_NPROC, as an
# unprivileged user) evicts none of 40 healthy peers.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

for i in $(seq 2 12); do echo "127.0.0.$i	$F"; done >"$H"
echo local >"$D/127.0.0.3"
echo fail >"$D/127.0.0.12"
mport=$(free_port)
fault_conf "$T/a.conf" "interval = 0.2 timeout = 3 retries = 1" "fall = 1" "metrics_listen = \"127.0.0.1:$mport\""
S=$T/status.json
start_agent a "$T/a.conf"
agent=$AGENT_PID

# One unknown of eleven: the dead one goes, the unknown one stays.
wait_for 10 has_addrs "$H" "$F" "$(seq -f '127.0.0.%g' 2 11 | tr '\n' ' ' | sed 's/ $//')" ||
	fail "dead peer not evicted: $(addrs "$H" "$F")"
wait_rounds "$S" 3 10 || fail "no rounds"
assert_eq "$(status_get "$S" '[p["result"] for p in s["pools"][0]["peers"] if p["addr"] == "127.0.0.3"][0]')" \
	unknown "result of a check that could not run"
assert_eq "$(status_get "$S" '[p["fails"] for p in s["pools"][0]["peers"] if p["addr"] == "127.0.0.3"][0]')" \
	0 "an unknown result counted as a failure"
assert_not_contains "$(cat "$T/a.log")" "127.0.0.3 down" "log"

# The self-check cannot run: nothing changes (a dead peer stays), the
# pool backs off.
echo local >"$D/127.0.0.2"
in_doubt() { status_get "$S" 's["pools"][0]["error"]' | grep -q "could not run"; }
wait_for 10 in_doubt || fail "unknown self-check not shown as an error"
echo fail >"$D/127.0.0.11"
r0=$(status_get "$S" 's["pools"][0]["rounds"]')
sleep 3
assert_contains "$(addrs "$H" "$F")" "127.0.0.11" "a peer evicted while the self-check could not run"
assert_contains "$(addrs "$H" "$F")" "127.0.0.2" "withdrew on an unknown self-check"
n=$(grep -c "self-check of 127.0.0.2 could not run" "$T/a.log")
echo "unknown self-check logged $n times in ~3 s (15 rounds without back-off)"
[ "$n" -ge 1 ] && [ "$n" -le 7 ] || fail "logged $n times: no back-off?"
# Counted as checks that could not run, not as ipsource errors.
[ "$(metric_value "$mport" dnsfailover_check_errors_total op run)" -ge 1 ] ||
	fail "checks that could not run not counted: $(metric_value "$mport" dnsfailover_check_errors_total op run)"
assert_eq "$(metric_value "$mport" dnsfailover_ipsource_errors_total op own_addr)" 0 \
	"ipsource errors while only checks could not run"
echo ok >"$D/127.0.0.2"
wait_for 10 has_addrs "$H" "$F" "$(seq -f '127.0.0.%g' 2 10 | tr '\n' ' ' | sed 's/ $//')" ||
	fail "dead peer not evicted once the self-check runs: $(addrs "$H" "$F")"
kill $agent
wait $agent

# Out of processes, as an unprivileged user: forks fail in the runner
# and in the exec check.  No healthy peer may go.
command -v setpriv >/dev/null && command -v prlimit >/dev/null || skip "needs setpriv and prlimit"
[ "$(id -u)" = 0 ] || { pass "unknown results (the RLIMIT_NPROC part needs root)"; exit 0; }
U=$((61000 + $$ % 4000))
ps -u "$U" >/dev/null 2>&1 && skip "uid $U is in use"
W=$T/nproc
mkdir -p "$W"
chmod 755 "$T"
# The program and its plugins are copied where that user can read them:
# the checkout may be under a directory it cannot enter (/root is 0700).
mkdir -p "$W/plugins"
cp "$DFO" "$W/dnsfailover"
cp -L "$P"/*.so "$W/plugins/"
for i in 2 $(seq 10 49); do echo "127.0.0.$i	$F"; done >"$W/hosts"
cat >"$W/a.conf" <<C
plugin_dir = "$W/plugins"
status_file = "$W/status.json"
$(H=$W/hosts hosts_me 127.0.0.2)
check "x" { exec { command = {"/bin/true"} } }
timer "fast" { tick { interval = 0.3 timeout = 2 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "x"
             timer = "fast" fall = 1 }
C
chown -R "$U:$U" "$W"
prlimit --nproc=6 setpriv --reuid="$U" --regid="$U" --clear-groups -- \
	"$W/dnsfailover" -f -C "$W/a.conf" -l info 2>"$T/nproc.log" &
agent=$!
track $agent
sleep 5
kill -0 $agent 2>/dev/null || fail "agent died: $(tail -n 5 "$T/nproc.log")"
rounds=$(status_get "$W/status.json" 's["pools"][0]["rounds"]')
echo "rounds in 5 s with RLIMIT_NPROC = 6: ${rounds:-0}"
grep -c "could not run\|at most .* at once" "$T/nproc.log" | sed 's/^/lines about the shortage: /'
[ "$(wc -l <"$W/hosts")" = 41 ] || fail "healthy peers evicted: $(grep -c . "$W/hosts") records left; $(grep evicted "$T/nproc.log" | head -n 3)"
assert_not_contains "$(cat "$T/nproc.log")" "evicted" "log"
[ "${rounds:-0}" -ge 2 ] || fail "no rounds ran"
pass "unknown results evict no one; 40 healthy peers kept with RLIMIT_NPROC = 6"
