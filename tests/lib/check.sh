# Helpers of the check plugin tests (sourced after common.sh).  Each runs
# `dnsfailover --try check/NAME ADDR [FQDN]` against $CONF, with $TIMEOUT
# (seconds, default 2) as the deadline, options $DFO_ARGS (e.g. "-l
# debug") and with $RUN_IN (e.g.
# "ip netns exec NS") in front when set.  They leave the output in $out
# and the wall time in milliseconds in $ms.

CONF=${CONF:-$T/dfo.conf}
TIMEOUT=${TIMEOUT:-2}
RUN_IN=${RUN_IN:-}

# try_check NAME ADDR [FQDN]: run it; returns the program's exit status.
try_check() {
	local t0 t1 rc
	t0=$(date +%s%N)
	out=$($RUN_IN "$DFO" ${DFO_ARGS:-} -C "$CONF" --try "check/$1" "${@:2}" --timeout "$TIMEOUT" 2>&1)
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	return $rc
}

# healthy NAME ADDR [FQDN]: the check must pass.
healthy() {
	try_check "$@" || fail "check/$1 $2: expected healthy, got: $out"
	assert_contains "$out" "check/$1 $2: healthy" "check/$1 $2"
	pass "check/$1 $2${3:+ ($3)} healthy (${ms} ms)"
}

# unhealthy NAME ADDR [FQDN] -- 'reason part': the check must fail, exit
# 1, and print the reason.
unhealthy() {
	local args=() rc
	while [ "$1" != "--" ]; do args+=("$1"); shift; done
	shift
	try_check "${args[@]}"
	rc=$?
	[ $rc = 1 ] || fail "check/${args[0]} ${args[1]}: exit $rc, want 1: $out"
	assert_contains "$out" "check/${args[0]} ${args[1]}: unhealthy" "check/${args[0]}"
	assert_contains "$out" "$1" "check/${args[0]} ${args[1]} reason"
	pass "check/${args[0]} ${args[1]} unhealthy: ${out#*unhealthy, } "
}
