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
skip() { echo "SKIP: $*" >&2; exit 77; }
pass() { echo "ok: $*"; }

need_root() { [ "$(id -u)" = 0 ] || skip "needs root"; }
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

# A free TCP port on loopback.
free_port() {
	python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

# Write a config with the build tree's plugin dir and the given body.
write_conf() { # file, then body on stdin
	{ echo "plugin_dir = \"$DFO_PLUGINS\""; cat; } >"$1"
}

# Assert helpers.
assert_eq() { [ "$1" = "$2" ] || fail "${3:-}: expected '$2', got '$1'"; }
assert_contains() { # haystack needle what
	case "$1" in *"$2"*) ;; *) fail "${3:-}: '$2' not in: $1" ;; esac
}
assert_not_contains() {
	case "$1" in *"$2"*) fail "${3:-}: '$2' unexpectedly in: $1" ;; esac
}
