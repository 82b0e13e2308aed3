#!/bin/bash
# An IPv6 pool (AAAA records in the hosts file).  On ::1: the agent joins
# after a real TCP check of itself, and evicts a dead peer (peers judged
# by the fault check, so nothing leaves loopback) while the name's A
# record is left alone.  In a network namespace (root): three agents on
# fd00:df0::2-4 with real TCP checks; a dead one is evicted, and comes
# back.
. "$TOP_SRCDIR/tests/lib/common.sh"

ip -6 addr show lo 2>/dev/null | grep -q '::1/128' || skip "no IPv6 on loopback"
P=$(test_plugin_dir)
H=$T/hosts
F=www.example.test
D=$T/state
mkdir -p "$D"

# addrs6 FILE NAME: the IPv6 addresses of NAME, sorted, on one line.
addrs6() {
	awk -v n="$2" '!/^[[:space:]]*#/ && $1 ~ /:/ { for (i = 2; i <= NF; i++) if ($i == n) { print $1; break } }' "$1" |
		sort | tr '\n' ' ' | sed 's/ $//'
}
has6() { [ "$(addrs6 "$1" "$2")" = "$3" ]; }

# listen6 ADDR PORT [NETNS]: a TCP listener on an IPv6 address.
listen6() {
	local pre=()
	[ -n "${3:-}" ] && pre=(ip netns exec "$3")
	"${pre[@]}" /usr/bin/python3 -c "$ACCEPT_PY" "$1" "$2" &
	LISTEN_PID=$!
	track $LISTEN_PID
}

port=$(/usr/bin/python3 -c '
import socket
s = socket.socket(socket.AF_INET6); s.bind(("::1", 0)); print(s.getsockname()[1])')
listen6 ::1 "$port"

# 1. ::1 joins after a real check of itself.
printf '127.0.0.9\t%s\n' $F >"$H"
cat >"$T/a.conf" <<C
plugin_dir = "$P"
status_file = "$T/status.json"
$(hosts_pool ::1 "tcp { port = $port }" "interval = 0.2 timeout = 1 retries = 1" "family = \"ipv6\"")
C
start_agent a "$T/a.conf"
wait_for 10 has6 "$H" "$F" "::1" || fail "::1 did not join: $(cat "$H")"
assert_eq "$(addrs "$H" "$F" | tr ' ' '\n' | grep -v : | tr -d '\n')" "127.0.0.9" "the A record"
kill $AGENT_PID
wait $AGENT_PID

# 2. A dead IPv6 peer is evicted; the A record stays.
printf '127.0.0.9\t%s\n::1\t%s\nfd00::3\t%s\nfd00::4\t%s\n' $F $F $F $F >"$H"
echo fail >"$D/fd00::3"
sed -i "s|check \"c\" { tcp { port = $port } }|check \"c\" { fault { state_dir = \"$D\" } }|" "$T/a.conf"
start_agent b "$T/a.conf"
wait_for 10 has6 "$H" "$F" "::1 fd00::4" || fail "dead IPv6 peer not evicted: $(cat "$H")"
assert_contains "$(cat "$H")" "127.0.0.9" "the A record after an AAAA eviction"
assert_contains "$(cat "$T/b.log")" "evicted fd00::3 from $F" "log"
assert_eq "$(status_get "$T/status.json" 's["pools"][0]["own"]')" "::1" "own address in the status"
kill $AGENT_PID
wait $AGENT_PID

# 3. A namespace with three IPv6 servers and agents, real checks.
[ "$(id -u)" = 0 ] || { pass "IPv6 pool on ::1 (the namespace part needs root)"; exit 0; }
ns=$(make_netns v6) || skip "cannot create a network namespace"
for a in 2 3 4; do ip -n "$ns" addr add "fd00:df0::$a/128" dev lo nodad || fail "ip addr"; done
: >"$H"
declare -A srv
for a in 2 3 4; do
	listen6 "fd00:df0::$a" "$port" "$ns"
	srv[$a]=$LISTEN_PID
	cat >"$T/n$a.conf" <<C
plugin_dir = "$P"
status_file = "$T/n$a.status"
$(hosts_pool fd00:df0::$a "tcp { port = $port }" "interval = 0.2 timeout = 1 retries = 1" "family = \"ipv6\" rise = 1")
C
done
for a in 2 3 4; do
	ip netns exec "$ns" "$DFO" -f -C "$T/n$a.conf" -l info 2>"$T/n$a.log" &
	track $!
done
all="fd00:df0::2 fd00:df0::3 fd00:df0::4"
wait_for 15 has6 "$H" "$F" "$all" || fail "agents did not join: $(addrs6 "$H" "$F")"
kill ${srv[3]}
wait_for 15 has6 "$H" "$F" "fd00:df0::2 fd00:df0::4" || fail "dead server not evicted: $(addrs6 "$H" "$F")"
listen6 "fd00:df0::3" "$port" "$ns"
wait_for 15 has6 "$H" "$F" "$all" || fail "did not rejoin: $(addrs6 "$H" "$F")"
pass "IPv6 pools: ::1 joins and evicts; three agents in a namespace evict and rejoin"
