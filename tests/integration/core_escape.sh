#!/bin/bash
# Arbitrary bytes from a check's output and from config values never reach
# the status file or the log raw (issue 10, defect 21): the status file is
# valid UTF-8 JSON holding the reason (invalid bytes as U+FFFD, controls
# as \u escapes); log lines carry no control byte but the newline ending
# them, and no byte that is not UTF-8.
. "$TOP_SRCDIR/tests/lib/common.sh"

H=$T/hosts
: >"$H"
write_conf "$T/c.conf" <<C
status_file = "$T/status"
dns "h" { hosts { file = "$H" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "c" { exec { command = {"/bin/sh", "-c", "printf 'red \\\\033[31mX\\\\033[0m \\\\377\\\\376 caf\\\\303\\\\251 \\\\302\\\\233 end\\\\n'; exit 2", "sh"} } }
timer "t" { tick { interval = 0.5 timeout = 2 retries = 1 } }
pool "p" { fqdn = {"www.example.test"} dns = "h" ipsource = "me" check = "c" timer = "t" }
C
"$DFO" -C "$T/c.conf" -t >/dev/null 2>&1 || fail "config: $("$DFO" -C "$T/c.conf" -t 2>&1)"
start_agent a "$T/c.conf" -l debug
wait_for 10 rounds_ge "$T/status" 2 || fail "no rounds: $(cat "$T/a.log")"
kill -TERM $AGENT_PID
wait $AGENT_PID
/usr/bin/python3 - "$T/status" <<'PY' || fail "status file"
import json, sys
raw = open(sys.argv[1], "rb").read()
text = raw.decode("utf-8")          # strict: raises on invalid UTF-8
s = json.loads(text)
r = s["pools"][0]["self"]["reason"]
want = "red \x1b[31mX\x1b[0m \ufffd\ufffd caf\u00e9 \u009b end"
assert want in r, (r, want)
assert b"\x1b" not in raw and b"\xc2\x9b" not in raw, "raw control in the file"
print("status reason:", ascii(r))
PY
/usr/bin/python3 - "$T/a.log" <<'PY' || fail "log: $(od -c "$T/a.log" | grep -m3 033)"
import sys
raw = open(sys.argv[1], "rb").read()
raw.decode("utf-8")
for line in raw.split(b"\n"):
    bad = [b for b in line if b < 0x20 or b == 0x7f]
    assert not bad, ("control bytes in", line)
    assert b"\xc2\x9b" not in line, ("C1 control in", line)
assert b"\\x1b[31mX" in raw, "the escaped reason is not in the log"
PY
pass "status file valid UTF-8 JSON, log lines escaped"

# A config value with an escape sequence, in an error message of -t.
write_conf "$T/e.conf" <<C
check "c$(printf '\033')[2J" { tcp { port = 99999 } }
C
"$DFO" -C "$T/e.conf" -t >"$T/t.out" 2>&1 && fail "-t accepted port 99999"
grep -q $'\033' "$T/t.out" && fail "-t printed a raw escape: $(od -c "$T/t.out" | head)"
assert_contains "$(cat "$T/t.out")" 'check "c\x1b[2J"' "-t message"
pass "-t escapes config values"
