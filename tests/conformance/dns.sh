#!/bin/bash
# The conformance suite of dns providers: the same cases for every one,
# through `dnsfailover --try dns/t list|add|del [--expect SET]`, checked
# against what the service holds as read by the backend itself (dig,
# the file...), never through the provider under test.
#
#   bash tests/conformance/dns.sh BACKEND.sh
#
# BACKEND.sh (sourced) starts the service and says how to read it; see
# tests/conformance/README.md for the hooks and for running a third
# party's provider.  Under `make check` it is run by
# tests/integration/dns_conformance_*.sh.
#
# Exit 0 all cases passed (some may be skipped: the backend lacks the
# hook), 1 a case failed, 77 the backend cannot run here.

BACKEND=${1:?usage: dns.sh BACKEND.sh}
case $BACKEND in */*) ;; *) BACKEND=$(dirname "$0")/$BACKEND ;; esac
[ -f "$BACKEND" ] || BACKEND=$(dirname "${BASH_SOURCE[0]}")/$(basename "$BACKEND")

# Outside `make check`: the installed program and plugins.
if [ -z "${DFO:-}" ]; then
	DFO=$(command -v dnsfailover) || { echo "no dnsfailover in PATH (set DFO)" >&2; exit 77; }
	DFO_PLUGINS=${DFO_PLUGINS:-$(pkg-config --variable=plugindir dnsfailover 2>/dev/null)}
	TOP_SRCDIR=${TOP_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
	export DFO DFO_PLUGINS TOP_SRCDIR
fi
. "$TOP_SRCDIR/tests/lib/common.sh"

# Hooks a backend may define (the required ones fail loudly if missing).
be_ttl() { return 1; }
be_down() { return 1; }
be_up() { :; }
be_silent() { return 1; }
be_unsilent() { :; }
BE_MODULE=
BE_KNOWN_FAIL=
BE_TIMEOUT=5
. "$BACKEND"
for f in be_setup be_rrs be_dump be_seed be_seed_other; do
	declare -F $f >/dev/null || fail "backend $BACKEND lacks $f"
done

# The plugin dir: the build's (or installed) modules, plus the backend's.
PD=$T/plugins
mkdir -p "$PD"
ln -sf "$DFO_PLUGINS"/*.so "$PD/"
if [ -n "$BE_MODULE" ]; then
	[ -f "$BE_MODULE" ] || fail "BE_MODULE $BE_MODULE: no such file"
	ln -sf "$BE_MODULE" "$PD/"
fi

be_setup || exit $?
: "${BE_SECTION:?backend must set BE_SECTION}" "${BE_ZONE:?backend must set BE_ZONE}"
cat >"$T/c.conf" <<C
plugin_dir = "$PD"
dns "t" { $BE_SECTION }
C
Z=$BE_ZONE

# try OP ARGS...: run the provider; output in $OUT, status in $RC,
# seconds taken in $SECS.  Killed after BE_TIMEOUT + 5 s (exit 124).
try() {
	local t0 t1
	t0=$(now_ms)
	OUT=$(timeout -k 1 $((${BE_TIMEOUT%.*} + 5)) "$DFO" -C "$T/c.conf" --try dns/t "$@" 2>&1)
	RC=$?
	t1=$(now_ms)
	SECS=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", (b - a) / 1000 }')
}

NPASS=0 NSKIP=0 NXFAIL=0 NFAIL=0 CASE=
FAILED=()
case_begin() { CASE=$1; CASE_OK=1; }
# A failed check of the current case: note it and go on.
bad() {
	echo "  [$CASE] $*" >&2
	CASE_OK=0
}
case_end() {
	local known=0
	case " $BE_KNOWN_FAIL " in *" $CASE "*) known=1 ;; esac
	if [ "$CASE_OK" = 1 ] && [ $known = 1 ]; then
		echo "XPASS $CASE (listed in BE_KNOWN_FAIL: remove it)"
		NFAIL=$((NFAIL + 1)) FAILED+=("$CASE")
	elif [ "$CASE_OK" = 1 ]; then
		echo "PASS  $CASE"
		NPASS=$((NPASS + 1))
	elif [ $known = 1 ]; then
		echo "XFAIL $CASE (known: BE_KNOWN_FAIL)"
		NXFAIL=$((NXFAIL + 1))
	else
		echo "FAIL  $CASE"
		NFAIL=$((NFAIL + 1)) FAILED+=("$CASE")
	fi
}
case_skip() {
	echo "SKIP  $1 ($2)"
	NSKIP=$((NSKIP + 1))
}

expect_rrs() { # NAME TYPE WANT WHAT
	local got
	got=$(be_rrs "$1" "$2")
	[ "$got" = "$3" ] || bad "$4: $1 $2 is '$got', expected '$3'"
}
expect_rc() { # WANT WHAT
	[ "$RC" = "$1" ] || bad "$2: exit $RC (expected $1): $OUT"
}
same_dump() { # BEFORE-FILE WHAT
	be_dump >"$T/after"
	cmp -s "$1" "$T/after" || bad "$2: the service changed: $(diff "$1" "$T/after" | head -5 | tr '\n' ' ')"
}

# ---- the cases ----

case_begin list-empty
try list "nothing.$Z" ipv4
expect_rc 0 "list of a name with no records"
[ -z "$OUT" ] || bad "list printed records: $OUT"
try list "nothing.$Z" ipv6
expect_rc 0 "list ipv6 of a name with no records"
[ -z "$OUT" ] || bad "list ipv6 printed records: $OUT"
case_end

case_begin add
try add "a.$Z" 192.0.2.1
expect_rc 0 "add"
expect_rrs "a.$Z" A "192.0.2.1" "after add"
try list "a.$Z" ipv4
[ "$(echo "$OUT" | awk '{print $4}')" = 192.0.2.1 ] || bad "list after add: $OUT"
try add "a.$Z" 192.0.2.2
expect_rrs "a.$Z" A "192.0.2.1 192.0.2.2" "second add"
case_end

case_begin add-again
try add "a.$Z" 192.0.2.1
expect_rc 0 "add of a record already there"
expect_rrs "a.$Z" A "192.0.2.1 192.0.2.2" "no duplicate"
case_end

case_begin del
try del "a.$Z" 192.0.2.1
expect_rc 0 "del"
expect_rrs "a.$Z" A "192.0.2.2" "after del"
case_end

case_begin del-missing
be_dump >"$T/before"
try del "a.$Z" 192.0.2.9
expect_rc 0 "del of a record not there"
expect_rrs "a.$Z" A "192.0.2.2" "after del of a missing record"
try del "nothing.$Z" 192.0.2.9
expect_rc 0 "del at a name with no records"
same_dump "$T/before" "del of missing records"
case_end

case_begin last-record-refused
be_seed "l.$Z" A 60 192.0.2.2
be_dump >"$T/before"
try del "l.$Z" 192.0.2.2
[ "$RC" != 0 ] || bad "the last record was deleted: $OUT"
# DFO_ELAST, the dns contract's one code for it: --try exits 3.
expect_rc 3 "delete of the last record refused as DFO_ELAST"
be_seed "l.$Z" A 60 192.0.2.2
try del "l.$Z" 192.0.2.2 --expect 192.0.2.2
[ "$RC" != 0 ] || bad "the last record was deleted (compare-and-set): $OUT"
expect_rc 3 "compare-and-set delete of the last record refused as DFO_ELAST"
expect_rrs "l.$Z" A "192.0.2.2" "last record"
same_dump "$T/before" "refused delete of the last record"
case_end

case_begin cas-success
try add "c.$Z" 198.51.100.1 --expect ""
expect_rc 0 "add to an empty set, expecting it empty"
try add "c.$Z" 198.51.100.2 --expect 198.51.100.1
expect_rc 0 "add expecting the set as it is"
try add "c.$Z" 198.51.100.3 --expect 198.51.100.2,198.51.100.1
expect_rc 0 "add expecting the set as it is (other order)"
try del "c.$Z" 198.51.100.1 --expect 198.51.100.1,198.51.100.2,198.51.100.3
expect_rc 0 "del expecting the set as it is"
expect_rrs "c.$Z" A "198.51.100.2 198.51.100.3" "after compare-and-set changes"
case_end

case_begin cas-conflict
be_dump >"$T/before"
# Expected a record that is gone (the set shrank meanwhile).
try add "c.$Z" 198.51.100.4 --expect 198.51.100.1,198.51.100.2,198.51.100.3
expect_rc 2 "add against a set that shrank"
# Expected fewer than there are (the set grew meanwhile).
try add "c.$Z" 198.51.100.4 --expect 198.51.100.2
expect_rc 2 "add against a set that grew"
# Expected none, there are some.
try add "c.$Z" 198.51.100.4 --expect ""
expect_rc 2 "add expecting no set"
# Expected some, there are none.
try add "none.$Z" 198.51.100.4 --expect 198.51.100.9
expect_rc 2 "add expecting a set that is not there"
# The race the engine must survive: two agents read {2,3}; one deleted 2;
# the other now deletes 3, which would empty the name.
be_seed "r.$Z" A 60 198.51.100.3
be_dump >"$T/before"
try del "r.$Z" 198.51.100.3 --expect 198.51.100.2,198.51.100.3
expect_rc 2 "del against a set that shrank (would empty the name)"
expect_rrs "r.$Z" A "198.51.100.3" "the last record after a stale delete"
same_dump "$T/before" "conflicts change nothing"
case_end

case_begin aaaa
try add "six.$Z" 2001:db8::1
expect_rc 0 "add AAAA"
try add "six.$Z" 2001:db8::2 --expect 2001:db8::1
expect_rc 0 "add AAAA expecting the set"
expect_rrs "six.$Z" AAAA "2001:db8::1 2001:db8::2" "AAAA after adds"
expect_rrs "six.$Z" A "" "no A record made"
try list "six.$Z" ipv6
[ "$(echo "$OUT" | awk '$3 == "AAAA" {print $4}' | tr '\n' ' ')" = "2001:db8::1 2001:db8::2 " ] || bad "list ipv6: $OUT"
try list "six.$Z" ipv4
[ -z "$OUT" ] || bad "list ipv4 of an AAAA-only name: $OUT"
try del "six.$Z" 2001:db8::1 --expect 2001:db8::1,2001:db8::2
expect_rc 0 "del AAAA"
expect_rrs "six.$Z" AAAA "2001:db8::2" "AAAA after del"
try add "six.$Z" 2001:db8::3 --expect 2001:db8::1,2001:db8::2
expect_rc 2 "AAAA add against a set that shrank"
expect_rrs "six.$Z" AAAA "2001:db8::2" "AAAA after a conflict"
case_end

if be_ttl "a.$Z" A >/dev/null; then
	case_begin ttl-kept
	be_seed "t.$Z" A 300 203.0.113.1
	try list "t.$Z" ipv4
	[ "$(echo "$OUT" | awk '{print $2}')" = 300 ] || bad "list does not show TTL 300: $OUT"
	try add "t.$Z" 203.0.113.2
	expect_rc 0 "add to a set with TTL 300"
	[ "$(be_ttl "t.$Z" A)" = 300 ] || bad "TTL after add: $(be_ttl "t.$Z" A)"
	try add "t.$Z" 203.0.113.3 --expect 203.0.113.1,203.0.113.2
	[ "$(be_ttl "t.$Z" A)" = 300 ] || bad "TTL after compare-and-set add: $(be_ttl "t.$Z" A)"
	try del "t.$Z" 203.0.113.1
	expect_rc 0 "del from a set with TTL 300"
	[ "$(be_ttl "t.$Z" A)" = 300 ] || bad "TTL after del: $(be_ttl "t.$Z" A)"
	expect_rrs "t.$Z" A "203.0.113.2 203.0.113.3" "records after TTL cases"
	case_end
else
	case_skip ttl-kept "the service keeps no TTL"
fi

case_begin others-untouched
be_seed_other "o.$Z"
be_dump "o.$Z" A >"$T/before.others"
try add "o.$Z" 192.0.2.10
expect_rc 0 "add at a name with other types"
try add "o.$Z" 192.0.2.11 --expect 192.0.2.10
expect_rc 0 "compare-and-set add at a name with other types"
try del "o.$Z" 192.0.2.10
expect_rc 0 "del at a name with other types"
expect_rrs "o.$Z" A "192.0.2.11" "A records of o"
be_dump "o.$Z" A >"$T/after.others"
cmp -s "$T/before.others" "$T/after.others" ||
	bad "other records changed: $(diff "$T/before.others" "$T/after.others" | head -6 | tr '\n' ' ')"
case_end

# ---- state records (quorum eviction): txt-list / txt-change ----

expect_txt() { # NAME WANT(texts joined by |) WHAT
	local got
	got=$(be_txt "$1" | sort | paste -sd'|')
	[ "$got" = "$2" ] || bad "$3: TXT of $1 is '$got', expected '$2'"
}
expect_listed() { # NAME TEXT WHAT: txt-list of NAME prints TEXT, quoted
	try txt-list "$1"
	case $OUT in *"\"$2\""*) ;; *) bad "txt-list $3: $OUT" ;; esac
}
if ! declare -F be_txt >/dev/null; then
	for c in state-empty state-add state-replace state-del state-others-kept \
		state-long state-quoting state-exact state-records-untouched \
		state-service-down; do
		case_skip $c "no be_txt"
	done
else
	S1="dfo1 192.0.2.1 100 u -"
	S1b="dfo1 192.0.2.1 101 u 192.0.2.2"
	S2="dfo1 192.0.2.2 100 u 192.0.2.1,192.0.2.3"

	case_begin state-empty
	try txt-list "_dfo.q.$Z"
	expect_rc 0 "txt-list of a name with no records"
	[ -z "$OUT" ] || bad "txt-list printed records: $OUT"
	case_end

	case_begin state-add
	try txt-change "_dfo.q.$Z" - "$S1" --expect
	expect_rc 0 "txt-change adding a first record"
	expect_txt "_dfo.q.$Z" "$S1" "after the first add"
	expect_listed "_dfo.q.$Z" "$S1" "after add"
	try txt-change "_dfo.q.$Z" - "$S2" --expect "$S1"
	expect_rc 0 "txt-change adding a second record"
	expect_txt "_dfo.q.$Z" "$S1|$S2" "after the second add"
	case_end

	case_begin state-replace
	try txt-change "_dfo.q.$Z" "$S1" "$S1b" --expect "$S1" "$S2"
	expect_rc 0 "txt-change replacing one record"
	expect_txt "_dfo.q.$Z" "$S1b|$S2" "after replace"
	case_end

	case_begin state-del
	try txt-change "_dfo.q.$Z" "$S1b" - --expect "$S1b" "$S2"
	expect_rc 0 "txt-change removing a record"
	expect_txt "_dfo.q.$Z" "$S2" "after del"
	try txt-change "_dfo.q.$Z" "$S1b" -
	expect_rc 0 "removing a record that is not there"
	expect_txt "_dfo.q.$Z" "$S2" "after removing a missing record"
	case_end

	# Two agents write at once: B adds its record after A read the set.
	# A's change either goes through keeping B's (a provider that changes
	# single records) or is refused as stale (one that replaces the set):
	# never is B's record lost.
	case_begin state-others-kept
	try txt-change "_dfo.q.$Z" - "$S1" --expect "$S2"
	try txt-change "_dfo.q.$Z" "$S1" "$S1b" --expect "$S2"
	case $RC in
	0) expect_txt "_dfo.q.$Z" "$S1b|$S2" "a change with a stale view" ;;
	2) expect_txt "_dfo.q.$Z" "$S1|$S2" "a refused change" ;;
	*) bad "txt-change with a stale view: exit $RC: $OUT" ;;
	esac
	case_end

	case_begin state-long
	long="dfo1 192.0.2.9 1 u $(printf '192.0.2.%d,' $(seq 10 27) | sed 's/,$//')"
	long=$long$(printf '%*s' $((255 - ${#long})) '' | tr ' ' x)
	[ ${#long} = 255 ] || bad "test text is ${#long} bytes"
	try txt-change "_dfo.long.$Z" - "$long" --expect
	expect_rc 0 "a 255-byte record"
	expect_txt "_dfo.long.$Z" "$long" "a 255-byte record"
	expect_listed "_dfo.long.$Z" "$long" "of a 255-byte record"
	try txt-change "_dfo.long.$Z" - "$long"x
	[ "$RC" != 0 ] || bad "a 256-byte record was accepted"
	case_end

	# Every printable byte is text: quotes, backslashes, semicolons and
	# runs of spaces reach the service and come back as they are.
	case_begin state-quoting
	q1='dfo1 "quoted" back\\slash \" ;semi  two  spaces \\065 $HOME'
	try txt-change "_dfo.quote.$Z" - "$q1" --expect
	expect_rc 0 "a text with quotes and backslashes"
	expect_txt "_dfo.quote.$Z" "$q1" "a text with quotes and backslashes"
	expect_listed "_dfo.quote.$Z" "$q1" "of a text with quotes"
	try txt-change "_dfo.quote.$Z" "$q1" -
	expect_rc 0 "removing it"
	expect_txt "_dfo.quote.$Z" "" "after removing it"
	case_end

	# A delete removes the record of exactly that text: one that differs
	# in case or by a trailing space stays.
	case_begin state-exact
	for x in "dfo1 a" "DFO1 a" "dfo1 a "; do
		try txt-change "_dfo.exact.$Z" - "$x"
		expect_rc 0 "adding '$x'"
	done
	try txt-change "_dfo.exact.$Z" "dfo1 a" -
	expect_rc 0 "removing 'dfo1 a'"
	expect_txt "_dfo.exact.$Z" "DFO1 a|dfo1 a " "after removing one of three near-equal texts"
	case_end

	case_begin state-records-untouched
	be_seed "q.$Z" A 60 192.0.2.1 192.0.2.2
	other=$(be_txt "_dfo.q.$Z" | grep -v "^dfo1 192.0.2.2 ")
	try txt-change "_dfo.q.$Z" "$S2" "dfo1 192.0.2.2 101 f -"
	expect_rc 0 "txt-change"
	expect_txt "_dfo.q.$Z" "$other|dfo1 192.0.2.2 101 f -" "after the change"
	expect_rrs "q.$Z" A "192.0.2.1 192.0.2.2" "the pool's records"
	expect_rrs "_dfo.q.$Z" A "" "no A record at the state name"
	expect_txt "_dfo.long.$Z" "$long" "another state name"
	case_end

	if be_down; then
		case_begin state-service-down
		try txt-list "_dfo.q.$Z"
		[ "$RC" = 1 ] || bad "txt-list with the service down: exit $RC: $OUT"
		try txt-change "_dfo.q.$Z" - "$S1"
		[ "$RC" = 1 ] || bad "txt-change with the service down: exit $RC: $OUT"
		be_up
		case_end
	else
		case_skip state-service-down "no be_down"
	fi
fi

if be_seed "d.$Z" A 60 192.0.2.30 192.0.2.31 && be_down; then
	case_begin service-down
	try add "d.$Z" 192.0.2.32
	[ "$RC" = 1 ] || bad "add with the service down: exit $RC: $OUT"
	[ -n "$OUT" ] || bad "no error message"
	try del "d.$Z" 192.0.2.30
	[ "$RC" = 1 ] || bad "del with the service down: exit $RC: $OUT"
	try del "d.$Z" 192.0.2.31 --expect 192.0.2.30,192.0.2.31
	[ "$RC" = 1 ] || bad "compare-and-set del with the service down: exit $RC: $OUT"
	try list "d.$Z" ipv4
	[ "$RC" = 1 ] || bad "list with the service down: exit $RC: $OUT"
	be_up || fail "backend could not restart the service"
	expect_rrs "d.$Z" A "192.0.2.30 192.0.2.31" "after the service came back"
	case_end
else
	case_skip service-down "no be_down"
fi

# Silent: the service takes requests and never answers.  Every call
# gives up within the provider's timeout (plus the program's start-up);
# a change fails; a read may fail or, where reading needs no answer from
# the silent part (a hosts file read without its lock), succeed.
if be_seed "s.$Z" A 60 192.0.2.40 192.0.2.41 && be_silent; then
	case_begin service-silent
	limit=$(awk -v t="$BE_TIMEOUT" 'BEGIN { print t + 3 }')
	# The time --try reports for the call itself, "(1.502 s)", else the
	# program's whole run (+3 s for its start on a loaded machine).
	within() {
		local took l=$limit
		took=$(sed -n 's/.*(\([0-9.]*\) s)$/\1/p' <<<"$OUT" | tail -1)
		if [ -n "$took" ]; then
			l=$(awk -v t="$BE_TIMEOUT" 'BEGIN { print t + 1 }')
		else
			took=$SECS
		fi
		awk -v s="$took" -v l="$l" 'BEGIN { exit !(s <= l) }' ||
			bad "$1 took $took s, more than timeout $BE_TIMEOUT s (limit $l s)"
		TOOK=$took
	}
	try add "s.$Z" 192.0.2.42
	[ "$RC" = 1 ] || bad "add with the service silent: exit $RC: $OUT"
	within add
	echo "      (silent service: add gave up after $TOOK s, timeout $BE_TIMEOUT s)"
	try del "s.$Z" 192.0.2.40 --expect 192.0.2.40,192.0.2.41
	[ "$RC" = 1 ] || bad "del with the service silent: exit $RC: $OUT"
	within del
	try list "s.$Z" ipv4
	within list
	be_unsilent
	expect_rrs "s.$Z" A "192.0.2.40 192.0.2.41" "after the service spoke again"
	case_end
else
	case_skip service-silent "no be_silent"
fi

msg=
[ "$NFAIL" = 0 ] || msg=": ${FAILED[*]}"
echo "conformance ($(basename "$BACKEND")): $NPASS passed, $NSKIP skipped, $NXFAIL known failures, $NFAIL failed$msg"
[ "$NFAIL" = 0 ] || exit 1
exit 0
