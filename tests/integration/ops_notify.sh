#!/bin/bash
# notify: the operator's program runs on each state change with the
# event in its environment, no shell involved; a pool's own notify
# replaces the core's; a program that hangs is killed at notify_timeout
# without holding up rounds, and one that fails is logged.
. "$TOP_SRCDIR/tests/lib/common.sh"

port=$(free_port)
H=$T/hosts
F=www.example.test
printf '127.0.0.2 %s\n127.0.0.3 %s\n127.0.0.9 %s\n' $F $F $F >"$H"
listen_tcp 127.0.0.2 "$port"
self_pid=$LISTEN_PID
listen_tcp 127.0.0.3 "$port"
printf '127.0.0.2 slow.example.test\n127.0.0.7 slow.example.test\n' >>"$H"

# The program records its arguments and environment, one line per event.
cat >"$T/record" <<'S'
#!/bin/sh
echo "args=$*|event=$DFO_EVENT|pool=$DFO_POOL|fqdn=$DFO_FQDN|addr=$DFO_ADDRESS|reason=$DFO_REASON" >>"$1"
S
chmod +x "$T/record"
cat >"$T/hang" <<'S'
#!/bin/sh
echo "$DFO_EVENT" >>"$1"
exec sleep 30
S
chmod +x "$T/hang"

write_conf "$T/a.conf" <<C
status_file = "$T/status.json"
notify = {"$T/record", "$T/core-events", "a b;\$(touch $T/injected)"}
notify_timeout = 0.5
$(hosts_pool 127.0.0.2 "tcp { port = $port }" "interval = 0.3 timeout = 0.3 retries = 1")
pool "slow" { fqdn = {"slow.example.test"} dns = "local" ipsource = "me"
              check = "c" timer = "fast" fall = 1000 }
pool "hung" { fqdn = {"hung.example.test"} dns = "local" ipsource = "me"
              check = "c" timer = "fast"
              notify = {"$T/hang", "$T/hang-events"} }
C
start_agent a "$T/a.conf"
wait_for 10 has_addrs "$H" $F "127.0.0.2 127.0.0.3" || fail "dead peer not evicted"
wait_for 5 grep -q "event=evicted" "$T/core-events" || fail "no evicted event: $(cat "$T/core-events" 2>&1)"
ev=$(cat "$T/core-events")
echo "$ev"
assert_contains "$ev" "event=peer_down|pool=www|fqdn=|addr=127.0.0.9|reason=" "peer_down"
assert_contains "$ev" "event=evicted|pool=www|fqdn=$F|addr=127.0.0.9|reason=" "evicted"
# Arguments pass as they are, no shell: the odd one is one argument.
assert_contains "$ev" "args=$T/core-events a b;\$(touch $T/injected)|" "arguments"
[ -e "$T/injected" ] && fail "a shell interpreted the arguments"
# The pool with its own notify: that program, not the core's.
wait_for 5 grep -q "^joined" "$T/hang-events" || fail "hung pool's program not run"
assert_not_contains "$ev" "pool=hung" "pool notify replaces the core's"

# The hung program is killed at its deadline and logged; rounds go on.
wait_for 5 grep -q "notify $T/hang (joined) killed at its deadline" "$T/a.log" ||
	fail "hung notify not killed: $(cat "$T/a.log")"
wait_rounds "$T/status.json" 3 5 || fail "rounds held up by a hung notify program"
pgrep -f "sleep 30" -P "$AGENT_PID" >/dev/null && fail "hung program's child left running"

# A peer that comes back: peer_up.
wait_for 5 grep -q "event=peer_down|pool=slow|fqdn=|addr=127.0.0.7" "$T/core-events" ||
	fail "no peer_down of .7"
listen_tcp 127.0.0.7 "$port"
wait_for 5 grep -q "event=peer_up|pool=slow|fqdn=|addr=127.0.0.7" "$T/core-events" ||
	fail "no peer_up: $(cat "$T/core-events")"

# This host fails its own check: self_failing and withdrew (not the
# last record), then self_ok and rejoined (rise 2).
kill $self_pid
wait_for 5 grep -q "event=withdrew|pool=www|fqdn=$F|addr=127.0.0.2" "$T/core-events" ||
	fail "no withdrew: $(cat "$T/core-events")"
grep -q "event=self_failing|pool=www|fqdn=|addr=127.0.0.2" "$T/core-events" || fail "no self_failing"
listen_tcp 127.0.0.2 "$port"
wait_for 5 grep -q "event=rejoined|pool=www|fqdn=$F|addr=127.0.0.2" "$T/core-events" ||
	fail "no rejoined: $(cat "$T/core-events")"
grep -q "event=self_ok|pool=www" "$T/core-events" || fail "no self_ok"
n=$(grep -c "event=self_failing|pool=www" "$T/core-events")
assert_eq "$n" 1 "self_failing notified once"

# A program that fails is logged.
write_conf "$T/b.conf" <<C
notify = {"/bin/false"}
$(H=$T/hosts2 hosts_pool 127.0.0.2 "tcp { port = $port }" "interval = 0.3 timeout = 0.3 retries = 1")
C
: >"$T/hosts2"
start_agent b "$T/b.conf"
wait_for 5 grep -q "notify /bin/false (joined) exited with status 1" "$T/b.log" ||
	fail "failing notify not logged: $(cat "$T/b.log")"

# Not an absolute path: a config error.
write_conf "$T/c.conf" <<C
notify = {"page-me"}
C
out=$("$DFO" -C "$T/c.conf" -t 2>&1) && fail "relative notify accepted"
assert_contains "$out" "notify: the program must be an absolute path" "relative notify"
pass "notify programs run on state changes, without a shell, bounded"
