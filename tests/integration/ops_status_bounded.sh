#!/bin/bash
# The status file (issue 22, #18 and #19): --status on a FIFO ends at once
# with an error (it is a monitoring check); a status file that cannot be
# written is warned about with a back-off, not every round, and said
# written again; FILE.tmp.XXXXXX left by a SIGKILLed agent are removed at
# start.  Asserted on what the agent logged (-l debug logs each round).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\t%s\n' $F >"$H"
conf() { # status-file
	cat <<C
plugin_dir = "$P"
status_file = "$1"
$(hosts_pool 127.0.0.2 "fault { }" "interval = 0.1 timeout = 0.1 retries = 1")
C
}

# 18: --status on a FIFO.
mkfifo "$T/fifo"
conf "$T/fifo" >"$T/fifo.conf"
rc=0
out=$(timeout 20 "$DFO" -C "$T/fifo.conf" --status 2>&1) || rc=$?
[ $rc = 124 ] && fail "--status hung on a FIFO"
[ $rc = 0 ] && fail "--status accepted a FIFO"
assert_contains "$out" "$T/fifo" "--status names the FIFO"
pass "--status on a FIFO: exit $rc, ${out%%$'\n'*}"

# 19: stale temporary files removed at start.
mkdir "$T/sd"
S=$T/sd/status.json
touch "$S.tmp.Ab3xY9" "$S.tmp.q1w2e3" "$T/sd/other.tmp.Ab3xY9"
conf "$S" >"$T/a.conf"
L=$T/a.log
"$DFO" -f -C "$T/a.conf" -l debug 2>"$L" &
agent=$!
track $agent
wait_for 20 test -s "$S" || fail "no status file"
ls "$T/sd"
[ -e "$S.tmp.Ab3xY9" ] || [ -e "$S.tmp.q1w2e3" ] && fail "stale status temporaries left"
[ -e "$T/sd/other.tmp.Ab3xY9" ] || fail "another file's temporary was removed"
assert_contains "$(cat "$L")" "left by an agent that died while writing its status" "log"
pass "stale status temporaries removed at start"

# 19: the directory goes: warnings back off.
rounds() { grep -c "round [0-9]* took" "$L"; }
# Moved away in one rename: `rm -rf` raced the agent's writes (a
# temporary created between its unlink and its rmdir left the directory
# in place, and no warning came).
mv "$T/sd" "$T/sd.gone"
[ -e "$T/sd" ] && fail "the status directory is still there"
r0=$(rounds)
rounds_past() { [ "$(rounds)" -ge $((r0 + $1)) ]; }
wait_for 120 rounds_past 30 || fail "no 30 rounds"
warned=$(grep -c "status file $S: " "$L")
echo "rounds without a status directory: $(($(rounds) - r0)); warnings: $warned"
[ "$warned" -ge 1 ] || fail "the failed write was never warned about"
[ "$warned" -le 6 ] || fail "$warned warnings in $(($(rounds) - r0)) rounds: no back-off"
mkdir "$T/sd"
wait_for 30 test -s "$S" || fail "status not written again"
wait_for 10 grep -q "status file $S written again" "$L" || fail "recovery not logged"
pass "status write failures warned $warned times over 30+ rounds, recovery logged"
