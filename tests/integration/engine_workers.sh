#!/bin/bash
# Check processes are reused (issue 20): forked ahead of the first round,
# the same processes answer round after round; a hung check's process is killed at its deadline and
# replaced; a reload retires every check process of the old config (none
# keeps the metrics port it held a copy of); a SIGKILLed agent leaves no
# check process behind, idle or busy (parent-death signal).
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd ss

H=$T/hosts
F=www.example.test
for a in 2 3 4; do echo "127.0.0.$a	$F"; done >"$H"
K=44.$$ # a duration only this test uses, to find its sleepers
# Each check appends the pid of its check process (the shell's parent)
# to ppid.ADDRESS; the check of 127.0.0.4 hangs.
cat >"$T/check.sh" <<S
echo \$PPID >>"$T/ppid.\$1"
# The check process's and this shell's start (clock ticks since boot).
echo "\$(cut -d' ' -f22 /proc/\$PPID/stat) \$(cut -d' ' -f22 /proc/\$\$/stat)" >>"$T/start.\$1"
[ "\$1" = 127.0.0.4 ] && exec sleep $K
exit 0
S
m1=$(free_port)
m2=$(free_port)
# Rounds shorter than their interval: an engine whose rounds overrun
# never looks at the reload's descriptor.
conf() { # metrics port
	write_conf "$T/a.conf" <<C
status_file = "$T/status.json"
metrics_listen = "127.0.0.1:$1"
dns "local" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "x" { exec { command = {"/bin/sh", "$T/check.sh"} } }
timer "fast" { tick { interval = 1.5 timeout = 1 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "x"
             timer = "fast" fall = 1000 }
C
}
conf "$m1"
start_agent a "$T/a.conf"
agent=$AGENT_PID
wait_port 127.0.0.1 "$m1" 10 || fail "metrics port not open: $(cat "$T/a.log")"
wait_for 60 rounds_ge "$T/status.json" 4 || fail "no 4 rounds: $(cat "$T/a.log")"

alive() { kill -0 "$1" 2>/dev/null; }
distinct() { sort -u "$@" | wc -l; }
# The healthy checks: 2 processes between them, round after round, both
# the agent's children, each leading its own process group.
n=$(cat "$T/ppid.127.0.0.2" "$T/ppid.127.0.0.3" | wc -l)
[ "$n" -ge 8 ] || fail "only $n healthy checks in 4 rounds"
assert_eq "$(distinct "$T/ppid.127.0.0.2" "$T/ppid.127.0.0.3")" 2 \
	"check processes of $n healthy checks"
for p in $(sort -u "$T/ppid.127.0.0.2" "$T/ppid.127.0.0.3"); do
	assert_eq "$(ps -o ppid= -p "$p" | tr -d ' ')" "$agent" "parent of $p"
	assert_eq "$(ps -o pgid= -p "$p" | tr -d ' ')" "$p" "process group of $p"
done
# The first round's checks ran in check processes forked ahead of it,
# while the agent waited for it (1 s after the start): this host's check,
# the first job, took the first of them, forked about 1 s before it ran
# (asserted: at least 0.3 s; forked in the round, it would be 0 s).
grep -q "check processes forked ahead of the first round" "$T/a.log" ||
	fail "no check process forked ahead of the first round: $(cat "$T/a.log")"
read -r wstart cstart <"$T/start.127.0.0.2"
hz=$(getconf CLK_TCK)
[ $((cstart - wstart)) -ge $((hz * 3 / 10)) ] ||
	fail "the first round's self-check ran in a check process forked $((cstart - wstart)) ticks (of 1/$hz s) before it"
# The hung check: a new process each round, the old ones killed (with
# the sleep they ran: at most the running check's sleeper is left).
n=$(wc -l <"$T/ppid.127.0.0.4")
assert_eq "$(distinct "$T/ppid.127.0.0.4")" "$n" "processes of $n hung checks"
for p in $(head -n -1 "$T/ppid.127.0.0.4"); do
	! alive "$p" || fail "the process of a hung check, $p, is still there"
done
[ "$(pgrep -c -f -x "sleep $K")" -le 1 ] || fail "hung checks' sleepers left: $(pgrep -a -f "sleep $K")"
echo "healthy: $(distinct "$T/ppid.127.0.0.2" "$T/ppid.127.0.0.3") processes; hung: $n processes in $n rounds"

# Reload with the metrics on another port: every check process of the
# old config goes (they held a copy of the old listener), new ones
# answer the next rounds.
old=$(pgrep -P "$agent" | tr '\n' ' ')
[ -n "$old" ] || fail "no check process under the agent"
conf "$m2"
kill -HUP "$agent"
wait_for 30 grep -q "configuration reloaded" "$T/a.log" || fail "no reload: $(cat "$T/a.log")"
# (Checks of the rounds before the reload ended before it.)
: >"$T/ppid.127.0.0.3"
wait_port 127.0.0.1 "$m2" 10 || fail "new metrics port not open"
oldgone() { for p in $old; do ! alive "$p" || return 1; done; }
# Bounded: the engine reaps them within 1 s, a later sweep the rest.
wait_for 5 oldgone || fail "check processes of the old config left: $(for p in $old; do alive $p && ps -o pid=,stat=,args= -p $p; done)"
[ -z "$(ss -Hltn "sport = :$m1")" ] || fail "the old metrics port is still bound: $(ss -Hltnp "sport = :$m1")"
wait_rounds "$T/status.json" 2 30 || fail "no rounds after the reload"
test -s "$T/ppid.127.0.0.3" || fail "no check after the reload"
for p in $(cat "$T/ppid.127.0.0.3"); do
	case " $old " in *" $p "*) fail "check process $p of the old config answered after the reload" ;; esac
done
# (An old process given the new config's pointers would crash.)
assert_not_contains "$(grep -e "127.0.0.[23] down" -e crash "$T/a.log")" "127" \
	"healthy peers after the reload"
assert_eq "$(status_get "$T/status.json" 's["pools"][0]["peers"][0]["result"]')" healthy \
	"127.0.0.3 after the reload"

# SIGKILL the agent: its check processes, idle and hung, and the hung
# one's sleeper die with it.
sleeping() { [ "$(pgrep -c -f -x "sleep $K")" = 1 ]; }
wait_for 10 sleeping || fail "the hung check is not running"
kids=$(pgrep -P "$agent" | tr '\n' ' ')
[ "$(echo $kids | wc -w)" -ge 3 ] || fail "expected 2 idle check processes and a hung one: $kids"
kill -KILL "$agent"
wait "$agent" 2>/dev/null
gone() { ! pgrep -f -x "sleep $K" >/dev/null && for p in $kids; do ! alive "$p" || return 1; done; }
wait_for 5 gone || fail "check processes survive a SIGKILLed agent: $(ps -o pid=,stat=,args= -p "${kids// /,}")"
pass "check processes reused, a hung one replaced, retired at reload, gone with the agent"
