#!/bin/bash
# The daemon maps only the modules its config uses (all are still loaded
# and checked, in a child), so an agent without HTTP providers carries no
# libcurl; a reload that names a provider of a module not mapped yet
# loads it; a bad new config is rejected and the agent goes on.
. "$TOP_SRCDIR/tests/lib/common.sh"

maps() { cat "/proc/$AGENT_PID/maps" 2>/dev/null; }
mapped() { maps | grep -q "$1"; }

write_conf "$T/a.conf" <<C
status_file = "$T/status.json"
dns "h" { hosts { file = "$T/hosts" } }
ipsource "me" { static { address = "127.0.0.1" } }
check "c" { tcp { port = 1 } }
timer "t" { tick { interval = 0.2 timeout = 0.2 retries = 1 } }
pool "p" { fqdn = {"www.example.test"} dns = "h" ipsource = "me" check = "c" timer = "t" }
C
cp "$T/a.conf" "$T/live.conf"
start_agent agent "$T/live.conf"
wait_for 5 test -s "$T/status.json" || fail "no round ran: $(cat "$T/agent.log")"

mapped dns_hosts.so || fail "hosts module not mapped"
mapped check_tcp.so || fail "tcp module not mapped"
mapped check_http.so && fail "an unused module is mapped"
mapped libcurl && fail "libcurl mapped by an agent that needs no HTTP"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$AGENT_PID/status")
echo "idle agent RSS: $rss kB"

# Reload with an http check: its module (and libcurl) come in.
sed 's/check "c" { tcp { port = 1 } }/check "c" { http { port = 1 } }/' "$T/a.conf" >"$T/live.conf"
kill -HUP "$AGENT_PID"
wait_for 5 grep -q "configuration reloaded" "$T/agent.log" || fail "reload: $(cat "$T/agent.log")"
mapped check_http.so || fail "http module not loaded on reload"
mapped libcurl || fail "libcurl not loaded for the http check"
# The tcp check said "connect to port 1: ..."; the http one names the URL.
http_ran() { status_get "$T/status.json" 's["pools"][0]["self"]["reason"]' | grep -q "connect to 127.0.0.1 port 1"; }
wait_for 5 http_ran || fail "the http check did not run: $(cat "$T/status.json")"

# A bad config: rejected, with file:line from the checking child, and the
# agent keeps running its rounds.
printf 'check "d" {\n  htp { }\n}\n' >>"$T/live.conf"
kill -HUP "$AGENT_PID"
wait_for 5 grep -q "new configuration rejected" "$T/agent.log" || fail "bad reload not rejected"
grep -q "live.conf:[0-9]*: unknown check provider 'htp'" "$T/agent.log" ||
	fail "no file:line for the bad config: $(cat "$T/agent.log")"
kill -0 "$AGENT_PID" || fail "agent died on a bad reload"
wait_rounds "$T/status.json" 2 5 || fail "rounds stopped after a bad reload"
pass "modules mapped on demand"
