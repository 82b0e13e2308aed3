# Shared helpers of the integration tests (sourced).  Each test is a bash
# script run by `make check`: exit 0 pass, 1 fail, 77 skip.
#
# Environment from tests/Makefile.am: DFO (the program), DFO_PLUGINS (the
# build tree's plugin dir), TOP_SRCDIR, TOP_BUILDDIR.
set -u

: "${DFO:?run through make check}"
export DNSFAILOVER_PLUGIN_DIR="${DFO_PLUGINS}"

T=$(mktemp -d "${TMPDIR:-/tmp}/dfo-test.XXXXXX")
# Registrations go to files, so that they also count when made in a
# subshell, e.g. NS=$(make_netns x).
: >"$T/.pids"
: >"$T/.cleanups"

# Remember a background process to kill at exit.
track() { echo "$1" >>"$T/.pids"; }
# Remember a command to run at exit (e.g. deleting a netns).
on_exit() { echo "$*" >>"$T/.cleanups"; }

_dfo_cleanup() {
	local p c
	if [ -f "$T/.pids" ]; then
		while read -r p; do kill "$p" 2>/dev/null; done <"$T/.pids"
		while read -r p; do wait "$p" 2>/dev/null; done <"$T/.pids"
	fi
	if [ -f "$T/.cleanups" ]; then
		while read -r c; do eval "$c" >/dev/null 2>&1; done <"$T/.cleanups"
	fi
	rm -rf "$T"
}
trap _dfo_cleanup EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }
# With CI=true (.ci/run, on its fresh root) a test skipped for a missing
# command or package is a missing install step of scripts/deps.sh: fail.
skip() {
	case "${CI:-}:$*" in
	"true:needs root") ;;
	"true:needs "*) fail "$* (CI=true: scripts/deps.sh test should install it)" ;;
	esac
	echo "SKIP: $*" >&2
	exit 77
}
pass() { echo "ok: $*"; }

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
# need_nobody: skip unless root and a user nobody to drop to.
need_nobody() {
	need_root
	id nobody >/dev/null 2>&1 || skip "no user nobody"
}
need_cmd() { local c; for c; do command -v "$c" >/dev/null 2>&1 || skip "needs $c"; done; }

# A network namespace for this test, deleted at exit: prints its name.
# Called as ns=$(make_netns x) || skip ..., since a skip inside $(...)
# only leaves the subshell.
make_netns() {
	need_root
	local ns="dfo$$-$1"
	ip netns add "$ns" || skip "cannot create a network namespace"
	on_exit "ip netns del $ns"
	ip -n "$ns" link set lo up
	echo "$ns"
}

# Wait until a TCP port accepts connections (addr port [seconds]).
wait_port() {
	local addr=$1 port=$2 secs=${3:-10} i
	for ((i = 0; i < secs * 20; i++)); do
		if (exec 3<>"/dev/tcp/$addr/$port") 2>/dev/null; then return 0; fi
		sleep 0.05
	done
	return 1
}

# start_fake NAME ARGS...: run tests/fake/NAME.py with ARGS on loopback,
# tracked, until it writes its port ($T/fake-NAME.port; its stderr goes
# to $T/fake-NAME.log): its pid in FAKE_PID, its base URL in FAKE_URL.
start_fake() {
	local name=$1 pf="$T/fake-$1.port" i
	shift
	rm -f "$pf"
	/usr/bin/python3 "$TOP_SRCDIR/tests/fake/$name.py" --port-file "$pf" "$@" \
		2>>"$T/fake-$name.log" &
	FAKE_PID=$!
	track $FAKE_PID
	for ((i = 0; i < 100; i++)); do
		[ -s "$pf" ] && break
		sleep 0.05
	done
	[ -s "$pf" ] || fail "the fake $name did not start: $(cat "$T/fake-$name.log")"
	FAKE_URL="http://127.0.0.1:$(cat "$pf")"
}

# A free TCP port on loopback.
free_port() {
	/usr/bin/python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# Write a config with the build tree's plugin dir and the given body.
write_conf() { # file, then body on stdin
	{ echo "plugin_dir = \"$DFO_PLUGINS\""; cat; } >"$1"
}

# rejected WHAT MESSAGE <<<CONFIG: `dnsfailover -t` refuses CONFIG (under
# the plugin_dir line) with MESSAGE in what it says; WHAT names the case.
rejected() {
	local o
	write_conf "$T/bad.conf"
	o=$("$DFO" -C "$T/bad.conf" -t 2>&1) && fail "accepted: $1"
	assert_contains "$o" "$2" "bad config: $1"
}

# Assert helpers.
assert_eq() { [ "$1" = "$2" ] || fail "${3:-}: expected '$2', got '$1'"; }
assert_contains() { # haystack needle what
	case "$1" in *"$2"*) ;; *) fail "${3:-}: '$2' not in: $1" ;; esac
}
assert_not_contains() {
	case "$1" in *"$2"*) fail "${3:-}: '$2' unexpectedly in: $1" ;; esac
}

# ---- helpers of the engine tests ----

ulimit -c 0 2>/dev/null

# A plugin dir of the build's modules plus the test-only ones: prints it.
test_plugin_dir() {
	local d=$T/plugins
	mkdir -p "$d"
	ln -sf "$DFO_PLUGINS"/*.so "$d/"
	ln -sf "${TEST_MODULES:?}"/test_*.so "$d/"
	echo "$d"
}

# The program of a TCP listener that accepts and closes, on IPv4 or IPv6
# as its address is: /usr/bin/python3 -c "$ACCEPT_PY" ADDR PORT.
ACCEPT_PY='
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
while True:
    c, _ = s.accept(); c.close()
'

# listen_tcp ADDR PORT: a TCP listener that accepts and closes, tracked;
# its pid is left in LISTEN_PID.
listen_tcp() {
	/usr/bin/python3 -c "$ACCEPT_PY" "$1" "$2" &
	LISTEN_PID=$!
	track $LISTEN_PID
	wait_port "$1" "$2" 5 || fail "listener on $1:$2 did not start"
}

# hosts_me ADDR: print dns "local" (the hosts provider on $H, or the
# plugin block $DNS when set) and ipsource "me" (ADDR).
hosts_me() {
	cat <<C
dns "local" { ${DNS:-"hosts { file = \"$H\" }"} }
ipsource "me" { static { address = "$1" } }
C
}

# hosts_pool ADDR CHECK TICK [POOL_OPTIONS]: print an agent's instances:
# dns "local" (the hosts provider on $H, or the plugin block $DNS when
# set), ipsource "me" (ADDR), check "c" (the plugin block CHECK, e.g.
# "tcp { port = 80 }"), timer "fast" (the tick options TICK), and pool
# "www" of $F over them with POOL_OPTIONS.
hosts_pool() {
	hosts_me "$1"
	cat <<C
check "c" { $2 }
timer "fast" { tick { $3 } }
pool "www" { fqdn = {"$F"} dns = "local" ipsource = "me" check = "c"
             timer = "fast" ${4:-} }
C
}

# start_agent NAME CONF [ARGS]: run an agent in the foreground at info
# level, logging to $T/NAME.log, tracked; its pid in AGENT_PID.
start_agent() {
	local name=$1 conf=$2
	shift 2
	"$DFO" -f -C "$conf" -l info "$@" 2>"$T/$name.log" &
	AGENT_PID=$!
	track $AGENT_PID
}

# wait_for SECONDS CMD...: until CMD succeeds (every 50 ms); 1 on timeout.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < ${secs%.*} * 20 + 1; i++)); do
		"$@" && return 0
		sleep 0.05
	done
	return 1
}

# wait_wall SECONDS CMD...: until CMD succeeds, at most SECONDS of wall
# clock, a try every 0.2 s: for a CMD that may itself take a while (a
# dig or two on a loaded machine), where wait_for's count of tries would
# stretch the bound.
wait_wall() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	until "$@"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.2
	done
}

# holds SECONDS WANT CMD...: CMD prints WANT at every try (each 0.05 s)
# for SECONDS of wall clock; fails at the first try that prints another.
# For "nothing leaves": CMD prints the name's addresses.
holds() {
	local end=$(($(now_ms) + $1 * 1000)) want=$2 cur
	shift 2
	while [ "$(now_ms)" -lt "$end" ]; do
		cur=$("$@")
		[ "$cur" = "$want" ] || fail "a healthy peer left: '$cur'; $(tail -n 12 "$T"/*.log)"
		sleep 0.05
	done
}

# outvoted_once LOG: the agent of LOG says within 10 s that it is
# outvoted, and says it once; no agent ($T/*.log) evicted anything.
outvoted_once() {
	wait_for 10 grep -q "outvoted:" "$1" || fail "no outvoted line: $(tail "$1")"
	assert_eq "$(grep -c 'outvoted:' "$1")" 1 "outvoted logged once"
	grep -q "evicted" "$T"/*.log && fail "an eviction: $(grep -h evicted "$T"/*.log)"
}

# addrs FILE NAME: the addresses of NAME in a hosts file, numerically
# sorted, on one line.
addrs() {
	[ -f "$1" ] || return 0
	awk -v n="$2" '!/^[[:space:]]*#/ { for (i = 2; i <= NF; i++) if ($i == n) { print $1; break } }' "$1" |
		sort -t. -k1,1n -k2,2n -k3,3n -k4,4n | tr '\n' ' ' | sed 's/ $//'
}

has_addrs() { [ "$(addrs "$1" "$2")" = "$3" ]; }

# status_get FILE PYTHON-EXPR: evaluate EXPR with `s` the parsed status.
status_get() {
	/usr/bin/python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null
}

# rounds_ge STATUS N: the first pool of the status file has run N rounds.
rounds_ge() {
	local r
	r=$(status_get "$1" 's["pools"][0]["rounds"]')
	[ "${r:-0}" -ge "$2" ]
}
# wait_rounds STATUS K [SECONDS]: until K more rounds have run.
wait_rounds() {
	local r
	r=$(status_get "$1" 's["pools"][0]["rounds"]')
	wait_for "${3:-5}" rounds_ge "$1" $((${r:-0} + $2))
}

# metric_value PORT NAME LABEL VALUE: the value of the first sample of
# NAME whose LABEL is VALUE at http://127.0.0.1:PORT/metrics (integer),
# "absent" if there is none.
metric_value() {
	/usr/bin/python3 - "$@" <<'PY'
import re, sys, urllib.request
port, name, label, value = sys.argv[1:5]
text = urllib.request.urlopen("http://127.0.0.1:%s/metrics" % port,
                              timeout=5).read().decode()
m = re.search(r'^%s\{[^}]*%s="%s"[^}]*\} (\S+)$' % (name, label, value),
              text, re.M)
print(int(float(m.group(1))) if m else "absent")
PY
}

# Milliseconds on a monotonic-enough clock, for durations.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# stop_timed PID: SIGTERM the agent PID and wait for it: its exit status
# in STOP_RC, the milliseconds it took in STOP_MS.
stop_timed() {
	local t0
	t0=$(now_ms)
	kill -TERM "$1"
	wait "$1"
	STOP_RC=$?
	STOP_MS=$(($(now_ms) - t0))
}
