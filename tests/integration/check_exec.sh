#!/bin/bash
# check "exec": exit statuses and the first output line as the reason
# (Nagios convention), the address appended as the last argument with no
# shell in between, a program that cannot be run, one killed by a
# signal, and one that hangs (killed with its children at the deadline).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/check.sh"

# A probe that records its arguments and environment, then exits with
# the status and prints the lines named in its first arguments.
cat >"$T/probe" <<'S'
#!/bin/sh
dir=$1 status=$2
shift 2
for a in "$@"; do printf '[%s]' "$a"; done >"$dir/args"
printf 'address=%s fqdn=%s\n' "$DFO_ADDRESS" "${DFO_FQDN-unset}" >"$dir/env"
case $status in
0) ;;
2) echo "CRITICAL - disk full"; echo "second line" ;;
esac
exit "$status"
S
cat >"$T/hang" <<S
#!/bin/sh
sleep 30 &
echo \$! >"$T/hang.pid"
wait
S
# Executable, but its interpreter does not exist: execvp() fails.
printf '#!%s/no-such-interpreter\n' "$T" >"$T/badinterp"
chmod +x "$T/probe" "$T/hang" "$T/badinterp"

write_conf "$CONF" <<C
check "ok"     { exec { command = {"$T/probe", "$T", "0", "a b", "\$(touch $T/pwned)"} } }
check "warn"   { exec { command = {"$T/probe", "$T", "1"} } }
check "crit"   { exec { command = {"$T/probe", "$T", "2"} } }
check "path"   { exec { command = {"true"} } }
check "none"   { exec { command = {"$T/badinterp"} } }
check "signal" { exec { command = {"/bin/sh", "-c", "kill -TERM \$\$"} } }
check "shell"  { exec { command = {"/bin/sh", "-c", "echo down \$1; exit 3", "sh"} } }
check "hang"   { exec { command = {"$T/hang"} } }
C

healthy ok 127.0.0.1 www.example.test
assert_eq "$(cat "$T/args")" "[a b][\$(touch $T/pwned)][127.0.0.1]" "arguments, no shell"
[ -e "$T/pwned" ] && fail "a shell ran the command"
assert_eq "$(cat "$T/env")" "address=127.0.0.1 fqdn=www.example.test" "environment"
healthy ok 2001:db8::7
assert_eq "$(cat "$T/args")" "[a b][\$(touch $T/pwned)][2001:db8::7]" "IPv6 argument"
assert_eq "$(cat "$T/env")" "address=2001:db8::7 fqdn=unset" "no FQDN"
unhealthy warn 127.0.0.1 -- "failed: exit 1 (WARNING) ("
unhealthy crit 127.0.0.1 -- "failed: exit 2 (CRITICAL): CRITICAL - disk full ("
assert_not_contains "$out" "second line" "only the first line"
healthy path 127.0.0.1 # found on $PATH
unhealthy none 127.0.0.1 -- "cannot run $T/badinterp: No such file or directory"
unhealthy signal 127.0.0.1 -- "/bin/sh killed by signal 15 (Terminated)"
unhealthy shell 192.0.2.9 -- "exit 3 (UNKNOWN): down 192.0.2.9"

# A command that hangs is killed at the deadline, its children with it.
TIMEOUT=1 unhealthy hang 127.0.0.1 -- "timeout: timed out after 1 s"
((ms >= 900 && ms < 2500)) || fail "hanging command took $ms ms, want about 1000"
pid=$(cat "$T/hang.pid") || fail "hang did not start"
# Alive: present and not a zombie (its new parent may reap it late).
alive() { local s; s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; }
for ((i = 0; i < 20; i++)); do alive "$pid" || break; sleep 0.05; done
alive "$pid" && { kill "$pid"; fail "the hanging command's child survived"; }

rejected "missing command" "option 'command' is required" <<<'check "b" { exec { } }'
rejected "empty program" "empty program name" <<<'check "b" { exec { command = {""} } }'
# A program that cannot run is a config error (issue 10, defect 22).
rejected "missing program" "bad.conf:2: check \"b\" (exec): command: program $T/does-not-exist: No such file or directory" <<<"check \"b\" { exec { command = {\"$T/does-not-exist\"} } }"
rejected "non-executable program" "program $T/args: not executable" <<<"check \"b\" { exec { command = {\"$T/args\"} } }"
rejected "program not in PATH" "program 'no-such-program-dfo' not found in PATH" <<<'check "b" { exec { command = {"no-such-program-dfo"} } }'
pass "check exec"
