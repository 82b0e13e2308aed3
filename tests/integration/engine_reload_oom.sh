#!/bin/bash
# A reload whose pool table cannot be allocated (calloc fails once, by
# LD_PRELOAD) resets the pool states and goes on with the new config;
# the old one is freed, so nothing may still read it: the notify program
# of an event after that reload is the new config's (issue 20: events.c
# kept a pointer to the freed config).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"
LIB=$TEST_MODULES/fail_calloc.so
[ -e "$LIB" ] || skip "no $LIB"
# ASan must come first among the libraries: no preload under it.
ldd "$DFO" | grep -q libasan && skip "sanitizer build (LD_PRELOAD)"

printf '127.0.0.2\t%s\n127.0.0.3\t%s\n' $F $F >"$H"
for n in old new; do
	printf '#!/bin/sh\necho "%s $DFO_EVENT $DFO_ADDRESS" >>"%s"\n' "$n" "$T/events" >"$T/$n.sh"
	chmod +x "$T/$n.sh"
done
# conf FILE NOTIFY NPOOLS: NPOOLS pools (the first one real, the others
# with names of their own on the same hosts file, never checked: their
# timer is an hour).
conf() {
	{
		cat <<C
plugin_dir = "$P"
status_file = "$T/status.json"
notify = {"$T/$2.sh"}
dns "local" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "f" { fault { state_dir = "$D" } }
timer "fast" { tick { interval = 0.2 timeout = 2 retries = 1 } }
timer "slow" { tick { interval = 3600 timeout = 2 retries = 1 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "f"
             timer = "fast" fall = 1 }
C
		for ((i = 2; i <= $3; i++)); do
			echo "pool \"p$i\" { fqdn = {\"p$i.example.test\"} dns = \"local\" ipsource = \"me\" check = \"f\" timer = \"slow\" }"
		done
	} >"$1"
}
conf "$T/a.conf" old 1
DFO_FAIL_CALLOC_N=7 DFO_FAIL_CALLOC_SKIP=${SKIP:-1} DFO_FAIL_CALLOC_FILE=$T/fail LD_PRELOAD=$LIB \
	start_agent a "$T/a.conf"
agent=$AGENT_PID
wait_rounds "$T/status.json" 2 20 || fail "no rounds: $(cat "$T/a.log")"

# Reload into 7 pools, the pool table's calloc failing once.
conf "$T/a.conf" new 7
touch "$T/fail"
kill -HUP $agent
wait_for 20 grep -q "pool states reset" "$T/a.log" ||
	fail "the allocation did not fail: $(tail -5 "$T/a.log")"
[ ! -e "$T/fail" ] || fail "the fault did not fire"
wait_for 10 grep -q "configuration reloaded" "$T/a.log" || fail "no reload"

# An event after the reload: the dead peer's eviction.
echo fail >"$D/127.0.0.3"
wait_for 20 grep -q "evicted" "$T/events" 2>/dev/null ||
	fail "no notify program ran: $(tail -5 "$T/a.log")"
kill -0 $agent || fail "the agent died"
assert_eq "$(grep evicted "$T/events")" "new evicted 127.0.0.3" "notify program after the failed allocation"
pass "after a reload whose pool table could not be allocated, the new config's notify program runs"
