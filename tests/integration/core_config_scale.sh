#!/bin/bash
# Parsing grows linearly with the number of instances (issue 10 #19):
# libconfuse compares each new titled section with every earlier one, so
# 32,000 checks took 16x the CPU of 8,000 (about 6 s).  The test compares
# the CPU time (user + system, not wall time) of `-t` on 4,000 and on
# 32,000 instances: 8x the work must cost well under 8^2 = 64x; the
# threshold 24x sits between the two on a log scale.  Duplicate titles are
# still found, with both lines.
. "$TOP_SRCDIR/tests/lib/common.sh"

gen() { # n file
	{
		echo 'dns "d" { hosts { file = "'"$T"'/hosts" } }'
		echo 'ipsource "me" { static { address = "127.0.0.1" } }'
		echo 'timer "t" { tick { interval = 10 } }'
		for ((i = 0; i < $1; i++)); do
			echo "check \"c$i\" { tcp { port = 80 } }"
		done
		echo 'pool "p" { fqdn = {"www.t"} dns = "d" ipsource = "me" check = "c0" timer = "t" }'
	} >"$2"
}
cpu() { # file: CPU seconds of -t, in ms
	local TIMEFORMAT='%3U %3S' out
	out=$({ time "$DFO" -t -C "$1" >/dev/null 2>"$T/err"; } 2>&1) ||
		fail "-t $1: $(cat "$T/err")"
	echo "$out" | awk '{ printf "%d\n", ($1 + $2) * 1000 }'
}
gen 4000 "$T/small.conf"
gen 32000 "$T/big.conf"
cpu "$T/small.conf" >/dev/null # warm the page cache and the loader
small=$(cpu "$T/small.conf")
big=$(cpu "$T/big.conf")
[ "$small" -gt 0 ] || small=1
echo "4,000 instances: $small ms CPU; 32,000: $big ms ($((big / small))x)"
[ $((big)) -lt $((small * 24)) ] ||
	fail "32,000 instances cost $((big / small))x the CPU of 4,000 (linear: 8x; quadratic: 64x)"

# Duplicates: each later one is an error with the line of the first.
cat >"$T/dup.conf" <<CONF
timer "t" { tick { interval = 10 } }
check "a" { tcp { port = 1 } }
check "b" { tcp { port = 1 } }
check "a" {
	tcp { port = 2 }
}
check "a" { tcp { port = 3 } }
CONF
"$DFO" -t -C "$T/dup.conf" >"$T/out" 2>&1 && fail "duplicate titles accepted"
grep -q "dup.conf:4: check \"a\" is defined twice (first on line 2)" "$T/out" ||
	fail "no error for line 4: $(cat "$T/out")"
grep -q "dup.conf:7: check \"a\" is defined twice (first on line 2)" "$T/out" ||
	fail "no error for line 7: $(cat "$T/out")"
pass "parse is linear ($small ms / $big ms); duplicate titles found with their lines"
