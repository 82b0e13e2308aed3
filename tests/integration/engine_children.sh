#!/bin/bash
# What checks leave behind.  The agent is a child subreaper: an exec
# check whose shell starts `setsid sleep` and exits leaves neither zombies
# nor escaped sleepers round after round.  Checks die with an agent or a
# --try that is SIGKILLed (parent-death signal), down to the program an
# exec check runs.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

for a in 2 3 4; do echo "127.0.0.$a	$F"; done >"$H"
# Durations only this test uses, to find its processes.
Z=0.2$$
E=41.$$
K=43.$$
cat >"$T/a.conf" <<C
$(engine_head)
check "x" { exec { command = {"/bin/sh", "-c", "setsid sleep $Z & setsid sleep $E & exit 0"} } }
check "hang" { exec { command = {"/bin/sh", "-c", "/bin/sleep $K & exec /bin/sleep $K"} } }
timer "fast" { tick { interval = 0.2 timeout = 1 retries = 1 } }
timer "slow" { tick { interval = 30 timeout = 60 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "x"
             timer = "fast" }
C
start_agent a "$T/a.conf"
agent=$AGENT_PID
wait_rounds "$T/status.json" 10 20 || fail "no rounds"

zombies() { ps --ppid "$agent" -o stat= | grep -c '^Z'; }
escaped() { pgrep -f -x "sleep $E" | wc -l; }
minz=9999 maxz=0 maxe=0
for i in $(seq 20); do
	z=$(zombies) e=$(escaped)
	[ "$z" -lt "$minz" ] && minz=$z
	[ "$z" -gt "$maxz" ] && maxz=$z
	[ "$e" -gt "$maxe" ] && maxe=$e
	sleep 0.1
done
r=$(status_get "$T/status.json" 's["pools"][0]["rounds"]')
echo "after $r rounds: $minz to $maxz zombie(s), at most $maxe escaped sleeper(s) at once"
# A round's processes may be caught between their exit and their reaping
# (three checks, their sleepers), but none may pile up: without reaping,
# three more stay after every round.
[ "$minz" -le 2 ] && [ "$maxz" -le 9 ] || fail "$minz to $maxz zombies under the agent"
[ "$maxe" -le 6 ] || fail "$maxe escaped sleepers alive (they outlive their rounds)"
kill $agent
wait $agent
sleep 0.3
assert_eq "$(escaped)" 0 "escaped sleepers after the agent stopped"

# SIGKILL the agent during a long check: the check, the program it runs
# and that program's own child (a background sleep of the shell) die too.
sed -i 's/check = "x"/check = "hang"/; s/timer = "fast"/timer = "slow"/' "$T/a.conf"
start_agent b "$T/a.conf"
agent=$AGENT_PID
# Two sleepers per check: the self-check and the two peers' = 6.
sleepers() { [ "$(pgrep -f -x "/bin/sleep $K" | wc -l)" = "$1" ]; }
wait_for 10 sleepers 6 || fail "the checks did not start: $(pgrep -a -f "sleep $K")"
checks=$(pgrep -P "$agent" | tr '\n' ' ')
[ -n "$checks" ] || fail "no check process under the agent"
kill -KILL $agent
wait $agent 2>/dev/null
gone() { ! pgrep -f -x "/bin/sleep $K" >/dev/null && for c in $checks; do ! kill -0 "$c" 2>/dev/null || return 1; done; }
wait_for 5 gone || fail "checks survive a SIGKILLed agent: $(pgrep -a -f "sleep $K")"

# The same for --try.
"$DFO" -C "$T/a.conf" --try check/hang 127.0.0.3 --timeout 60 >/dev/null 2>&1 &
try=$!
track $try
wait_for 10 sleepers 2 || fail "--try did not start the check: $(pgrep -a -f "sleep $K")"
kill -KILL $try
wait $try 2>/dev/null
wait_for 5 gone || fail "the check survives a SIGKILLed --try: $(pgrep -a -f "sleep $K")"
pass "no zombie, no escaped process; checks die with the agent and with --try"
