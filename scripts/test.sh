#!/bin/bash
# Set up and run the whole test suite: installs the packages, builds from
# scratch in build-test/ (plain) and build-test-san/ (AddressSanitizer +
# UBSan), runs
# `make check` in both and `make distcheck`, then every fuzz target under
# libFuzzer (scripts/fuzz.sh, FUZZ_SECONDS each, 5 by default: the whole
# run stays under CI's 30 minutes; scripts/fuzz.sh alone runs 30) and the
# Debian packages once (scripts/deb-test.sh), then prints
# "N passed, N failed, N skipped" over all of them.  First, the sources'
# layout (scripts/format.sh --check: .clang-format, clang-format 14).
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
jobs=$(nproc 2>/dev/null || echo 2)
# The plain suite runs twice as many tests as cores: most of them wait
# on timers and servers, not on the CPU (on 2 cores it took 320 s at -j4
# against about 470 s at -j2).  The sanitizer suite stays at one test a
# core: ASan multiplies the CPU each test needs, and its timing bounds
# (a check killed at its deadline) are stated for a machine not
# oversubscribed several times over.
check_jobs=${CHECK_JOBS:-$((jobs * 2))}

t_stage=$(date +%s)
# "== NAME took N s", since the previous one.
took() {
	local now
	now=$(date +%s)
	echo "== $1 took $((now - t_stage)) s"
	t_stage=$now
}

bash scripts/deps.sh test || exit 1
[ -x configure ] || ./autogen.sh >/dev/null || exit 1

pass=0 fail=0 skip=0
status=0
took deps

echo "== format"
if bash scripts/format.sh --check; then
	pass=$((pass + 1))
else
	echo "FAIL: format"
	fail=$((fail + 1))
	status=1
fi
run_suite() { # name, configure args...
	local name=$1
	shift
	echo "== $name: configure $*"
	rm -rf "${top:?}/$name"
	mkdir -p "$top/$name"
	(cd "$top/$name" && "$top/configure" -q "$@" >configure.out 2>&1) ||
		{ cat "$top/$name/configure.out"; status=1; fail=$((fail + 1)); return; }
	(cd "$top/$name" && make -j"$jobs" >make.out 2>&1) ||
		{ tail -40 "$top/$name/make.out"; status=1; fail=$((fail + 1)); return; }
	if grep -E "warning:" "$top/$name/make.out"; then
		echo "$name: compiler warnings (above)"
		status=1
		fail=$((fail + 1))
	fi
	(cd "$top/$name" && make -j"$check_jobs" check >check.out 2>&1)
	local rc=$?
	# The test programs are compiled by make check: their warnings too.
	if grep -E "warning:" "$top/$name/check.out"; then
		echo "$name: compiler warnings in the test programs (above)"
		status=1
		fail=$((fail + 1))
	fi
	grep -E "^(PASS|FAIL|SKIP|ERROR|XPASS|XFAIL):" "$top/$name/check.out" |
		sed "s/^/$name: /"
	local p f s e
	p=$(sed -n 's/^# PASS: *//p' "$top/$name/tests/test-suite.log" "$top/$name/check.out" 2>/dev/null | tail -1)
	f=$(sed -n 's/^# FAIL: *//p' "$top/$name/check.out" | tail -1)
	e=$(sed -n 's/^# ERROR: *//p' "$top/$name/check.out" | tail -1)
	s=$(sed -n 's/^# SKIP: *//p' "$top/$name/check.out" | tail -1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0} + ${e:-0}))
	skip=$((skip + ${s:-0}))
	if [ $rc -ne 0 ]; then
		status=1
		for log in $(grep -lE "^(FAIL|ERROR)" -r "$top/$name/tests" --include='*.log' 2>/dev/null); do
			case $log in */test-suite.log) continue ;; esac
			echo "---- $log"
			tail -40 "$log"
		done
		[ -z "$f$e" ] && fail=$((fail + 1)) # make check failed before any test
	fi
}

run_suite build-test
took build-test
check_jobs=${CHECK_JOBS:-$jobs} run_suite build-test-san --enable-sanitizers
took build-test-san

# distcheck proves the tarball: it builds, installs, uninstalls and runs
# tests out of tree.  The whole suite already ran twice above, so the
# tarball's build runs a subset that touches every installed part (core,
# plugins, headers and pkg-config, man pages, the awsdns command).
DISTCHECK_TESTS="unit/loader_test unit/config_test integration/core_cli.sh integration/core_exports.sh
  integration/third_party_plugin.sh integration/dns_conformance_hosts.sh
  integration/dns_hosts.sh integration/ops_man.sh integration/awsdns_ini.sh"
echo "== distcheck"
if (cd "$top/build-test" &&
	make -j"$jobs" distcheck TESTS="$(echo $DISTCHECK_TESTS)" >distcheck.out 2>&1); then
	pass=$((pass + 1))
	echo "PASS: distcheck"
else
	tail -40 "$top/build-test/distcheck.out"
	echo "FAIL: distcheck"
	fail=$((fail + 1))
	status=1
fi
took distcheck

# Fuzzing, after the corpus replay of make check: a crash fails, its
# input is printed above.
echo "== fuzz"
if bash scripts/fuzz.sh build-test "${FUZZ_SECONDS:-5}" 2; then
	pass=$((pass + 1))
else
	echo "FAIL: fuzz"
	fail=$((fail + 1))
	status=1
fi
took fuzz

# The Debian packages, once (a full package build: slow).
echo "== deb"
bash scripts/deb-test.sh
case $? in
0) pass=$((pass + 1)) ;;
77) skip=$((skip + 1)) ;;
*) fail=$((fail + 1)); status=1 ;;
esac
took deb

if [ $skip -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
exit $status
