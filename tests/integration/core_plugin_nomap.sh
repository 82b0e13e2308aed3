#!/bin/bash
# A plugin that cannot be mapped (an address-space limit, prlimit --as)
# is reported with the system loader's reason ("libldns.so.3: failed to
# map segment from shared object"), not libltdl's last word "file not
# found" (issue 22 #14).  The limit is stepped from 6 to 60 MiB: the
# plain build fails to map some plugin (or one of its libraries) at some
# step and starts at a higher one.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd prlimit
seen=0
for m in $(seq 6 2 60); do
	OUT=$(prlimit --as=$((m * 1024 * 1024)) "$DFO" --list-plugins 2>&1)
	case $OUT in
	*AddressSanitizer* | *Sanitizer*)
		# The sanitizers reserve terabytes of shadow memory: no --as
		# limit lets such a build start.  The plain build checks this.
		pass "sanitizer build: an address-space limit stops it before any plugin (checked by the plain build)"
		exit 0 ;;
	esac
	lines=$(echo "$OUT" | grep "cannot load:")
	[ -n "$lines" ] || continue
	seen=$((seen + 1))
	echo "$m MiB: $lines" | head -1
	assert_not_contains "$lines" "file not found" "at $m MiB"
	echo "$lines" | grep -qE "failed to map|cannot allocate|Cannot allocate" ||
		fail "at $m MiB, not the loader's reason: $lines"
done
[ "$seen" -ge 1 ] || fail "no limit from 6 to 60 MiB stopped a plugin from loading"
pass "$seen limits failed to map a plugin; each said why"
