#!/bin/bash
# Run every fuzz target under libFuzzer for a while (CI, after the
# corpus replay of `make check`):  scripts/fuzz.sh BUILD_DIR [SECONDS] [JOBS]
#
# Builds the targets with clang (`make -C BUILD_DIR/tests fuzz`), then runs
# each for SECONDS (30) with JOBS (2) at a time, starting from its seed
# corpus (tests/fuzz/corpus/NAME, left untouched: new inputs go to a
# scratch copy).  A crash, leak, timeout or sanitizer report fails the
# run; the input is printed in the log (hex and base64) and kept under
# BUILD_DIR/fuzz-artifacts/.  Exit 0 when every target ran clean.
#
# libFuzzer's -timeout counts wall-clock seconds, which a loaded machine
# stretches.  An input reported as a timeout is therefore replayed alone
# and judged on the CPU time the kernel accounted to that replay: over
# 10 s (or no end within 300 s of wall clock) it is a failure, under it a
# slow machine, said so and not counted.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${1:?usage: scripts/fuzz.sh BUILD_DIR [SECONDS] [JOBS]}
secs=${2:-${FUZZ_SECONDS:-30}}
jobs=${3:-${FUZZ_JOBS:-2}}
case $build in /*) ;; *) build=$top/$build ;; esac

command -v clang >/dev/null || { echo "fuzz: clang not installed (scripts/deps.sh test)"; exit 1; }
if ! make -C "$build/tests" fuzz >"$build/fuzz-build.out" 2>&1; then
	tail -30 "$build/fuzz-build.out"
	echo "FAIL: fuzz targets do not build"
	exit 1
fi
out=$build/fuzz-artifacts
rm -rf "$out"
mkdir -p "$out"

# One target: NAME -> exit status; its log in $out/NAME.log.
run_one() {
	local name=$1 corpus seed work
	corpus=$(sed -n 's/^#define FUZZ_CORPUS "\(.*\)"$/\1/p' "$top/tests/fuzz/$name.c")
	seed=$top/tests/fuzz/corpus/${corpus:-$name}
	work=$out/$name.corpus
	mkdir -p "$work" "$out/$name"
	"$build/tests/fuzz/$name.fuzz" -max_total_time="$secs" -timeout="${FUZZ_TIMEOUT:-10}" \
		-rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$out/$name/" "$work" "$seed" \
		>"$out/$name.log" 2>&1
	local rc=$?
	if [ $rc -ne 0 ] && grep -q "ERROR: libFuzzer: timeout" "$out/$name.log" &&
		! grep -qE "ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|libFuzzer: (deadly|out-of-memory|crash))" "$out/$name.log"; then
		local t cpu
		for t in "$out/$name"/timeout-*; do
			[ -f "$t" ] || continue
			cpu=$(cpu_of timeout 300 "$build/tests/fuzz/$name.fuzz" -runs=1 "$t")
			if [ "${cpu%% *}" = 0 ] && awk -v c="${cpu#* }" 'BEGIN { exit !(c <= 10) }'; then
				echo "note: fuzz $name: a wall-clock timeout; the input replays in ${cpu#* } s of CPU (limit 10): the machine was slow, not the code"
				rm -f "$t"
				rc=0
			else
				echo "fuzz $name: the timeout input replays with exit ${cpu%% *} after ${cpu#* } s of CPU (limit 10)"
				rc=1
			fi
		done
	fi
	local execs
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$name.log")
	if [ $rc -eq 0 ]; then
		echo "PASS: fuzz $name (${secs} s, ${execs:-?} runs, corpus $(ls "$work" | wc -l) inputs)"
		return 0
	fi
	echo "FAIL: fuzz $name (exit $rc)"
	grep -E "ERROR: |SUMMARY: |^    #[0-9]+ " "$out/$name.log" | head -30
	local f
	for f in "$out/$name"/*; do
		[ -f "$f" ] || continue
		echo "---- input $f ($(stat -c %s "$f") bytes), hex:"
		od -A x -t x1z -v "$f" | head -64
		echo "---- base64:"
		base64 -w 76 "$f" | head -64
	done
	return 1
}
# cpu_of CMD...: runs CMD (output discarded), prints "EXIT CPU_SECONDS" with
# the user + system time the kernel accounted to it and its children.
cpu_of() {
	/usr/bin/python3 - "$@" <<'PY'
import resource, subprocess, sys
rc = subprocess.call(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print(rc, "%.2f" % (u.ru_utime + u.ru_stime))
PY
}
export -f run_one cpu_of
export top build out secs

names=$(cd "$build/tests/fuzz" && ls *.fuzz 2>/dev/null | sed 's/\.fuzz$//')
[ -n "$names" ] || { echo "FAIL: no fuzz targets built"; exit 1; }
echo "fuzzing $(echo "$names" | wc -w) targets, ${secs} s each, $jobs at a time"
# xargs exits 123 when any run failed.
printf '%s\n' $names | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {}
