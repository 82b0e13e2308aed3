#!/bin/bash
# Several pools in one agent take turns: a pool whose rounds always
# overrun (a hanging peer, timeout > interval) does not starve another;
# a pool of two FQDNs evicts a dead peer from each, and keeps the peer
# that only one of them holds.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\tslow.test\n127.0.0.3\tslow.test\n127.0.0.2\ta.test\n127.0.0.5\ta.test\n127.0.0.6\ta.test\n127.0.0.2\tb.test\n127.0.0.5\tb.test\n' >"$T/hosts"
echo hang >"$D/127.0.0.3"
echo fail >"$D/127.0.0.5"
cat >"$T/a.conf" <<C
$(engine_head)
check "f" { $FAULT }
timer "late" { tick { interval = 0.1 timeout = 0.5 retries = 1 } }
timer "fast" { tick { interval = 0.2 timeout = 0.2 retries = 1 } }
pool "slow" { fqdn = {"slow.test"} dns = "local" ipsource = "me" check = "f"
              timer = "late" fall = 1000 }
pool "two" { fqdn = {"a.test", "b.test"} dns = "local" ipsource = "me"
             check = "f" timer = "fast" }
C
start_agent a "$T/a.conf"
wait_for 6 eval 'has_addrs "$T/hosts" a.test "127.0.0.2 127.0.0.6" && has_addrs "$T/hosts" b.test 127.0.0.2' ||
	fail "pool two did not evict .5 from both names: a: $(addrs "$T/hosts" a.test), b: $(addrs "$T/hosts" b.test)"
assert_eq "$(addrs "$T/hosts" slow.test)" "127.0.0.2 127.0.0.3" "slow pool (fall = 1000)"
S=$T/status.json
assert_eq "$(status_get "$S" '" ".join(p["name"] for p in s["pools"])')" "slow two" "status pools"
assert_eq "$(status_get "$S" '" ".join(f["name"] for f in s["pools"][1]["fqdns"])')" "a.test b.test" "status fqdns"
assert_eq "$(status_get "$S" 's["pools"][0]["peers"][0]["result"]')" "timeout" "slow pool's peer"
pass "two pools take turns; a dead peer left both names of a pool"
