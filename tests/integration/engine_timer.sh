#!/bin/bash
# Schedules are the pools': two pools sharing one timer instance each run
# at its rate.  tick's splay delays the first round by a random amount in
# [0, splay).
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/engine.sh"

printf '127.0.0.2\ta.example.test\n127.0.0.2\tb.example.test\n' >"$H"
cat >"$T/a.conf" <<C
$(engine_head)
check "f" { $FAULT }
timer "t" { tick { interval = 0.5 timeout = 0.3 retries = 1 } }
timer "s" { tick { interval = 10 timeout = 1 splay = 5 } }
pool "a" { fqdn = {"a.example.test"} dns = "local" ipsource = "me" check = "f" timer = "t" }
pool "b" { fqdn = {"b.example.test"} dns = "local" ipsource = "me" check = "f" timer = "t" }
C
S=$T/status.json
start_agent a "$T/a.conf"
wait_for 10 rounds_ge "$S" 2 || fail "no rounds"
rounds() { status_get "$S" '" ".join(str(p["rounds"]) for p in s["pools"])'; }
read -r a0 b0 <<<"$(rounds)"
t0=$(now_ms)
sleep 5
read -r a1 b1 <<<"$(rounds)"
secs=$((($(now_ms) - t0) / 1000))
echo "in ~$secs s at interval 0.5: pool a $((a1 - a0)) rounds, pool b $((b1 - b0))"
# ~10 each; sharing the instance's schedule gave ~5 each.
[ $((a1 - a0)) -ge 8 ] && [ $((b1 - b0)) -ge 8 ] || fail "pools sharing a timer run at half its rate"

# splay: the first round at now + 1 + [0, 5) s.
firsts=
for i in 1 2 3 4 5; do
	out=$("$DFO" -C "$T/a.conf" --try timer/s) || fail "--try timer/s: $out"
	f=$(sed -n 's/.*round 1 at now + \([0-9.]*\) s.*/\1/p' <<<"$out")
	[ -n "$f" ] || fail "no first round in: $out"
	awk -v f="$f" 'BEGIN { exit !(f >= 1 && f < 6) }' || fail "first round at now + $f s, not in [1, 6)"
	firsts="$firsts $f"
done
echo "first rounds with splay = 5: now +$firsts s"
[ "$(tr ' ' '\n' <<<"$firsts" | sed '/^$/d' | sort -u | wc -l)" -gt 1 ] || fail "splay is not random:$firsts"
out=$("$DFO" -C "$T/a.conf" --try timer/s)
assert_contains "$out" "round 2 at now + " "second round"
pass "two pools on one timer each run at its rate; splay spreads the first round"
