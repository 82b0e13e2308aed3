#!/bin/bash
# The quick start: installs what is needed (Debian 12, as root), builds in
# build/ if not built, then shows dnsfailover at work on loopback:
# three TCP servers on 127.0.0.2-4 and an agent beside each, sharing one
# hosts file.  One server is stopped, its record leaves the file; it is
# started again, its record comes back.  Unattended; ends by itself.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

bash scripts/deps.sh demo
if [ ! -x build/dnsfailover ] || [ ! -e build/plugins/.libs/check_tcp.so ]; then
	echo "== building in build/"
	[ -x configure ] || ./autogen.sh
	mkdir -p build
	(cd build && { [ -e Makefile ] || ../configure -q; } && make -j"$(nproc)" >/dev/null)
fi

DIR=$(mktemp -d /tmp/dfo-demo.XXXXXX)
PLUGINS=$top/build/plugins/.libs
PY=/usr/bin/python3
PORT=$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.2", 0)); print(s.getsockname()[1])')
declare -A server agent
watchdog=
cleanup() {
	local p
	# The watchdog's sleep too: it holds our stdout open.
	[ -z "$watchdog" ] || pkill -P "$watchdog" 2>/dev/null || true
	for p in $watchdog "${agent[@]}" "${server[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$DIR"
}
trap cleanup EXIT
# Bound the whole demo, whatever happens.
( sleep 90; echo "demo: timed out" >&2; kill -TERM $$ ) 2>/dev/null &
watchdog=$!

start_server() { # a tiny TCP server that accepts and closes
	$PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2]))); s.listen(64)
while True:
    c, _ = s.accept(); c.close()' "$1" "$PORT" &
	server[$1]=$!
}
ms() { echo $(($(date +%s%N) / 1000000)); }
records() { awk '$2 == "www.demo.test" { print $1 }' "$DIR/hosts" 2>/dev/null | sort | tr '\n' ' '; }
show() { echo "---- $DIR/hosts: $1"; cat "$DIR/hosts"; echo "----"; }
wait_records() { # expected, seconds
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		[ "$(records)" = "$1" ] && return 0
		sleep 0.1
	done
	echo "demo: records are '$(records)', expected '$1'" >&2
	exit 1
}

echo "== three TCP servers on 127.0.0.2-4 port $PORT, three agents, one hosts file"
: >"$DIR/hosts"
for a in 127.0.0.2 127.0.0.3 127.0.0.4; do
	start_server $a
	sed -e "s|@DIR@|$DIR|g" -e "s|@PORT@|$PORT|g" -e "s|@ADDR@|$a|g" \
		-e "s|@PLUGINS@|$PLUGINS|g" conf/demo.conf >"$DIR/$a.conf"
	DNSFAILOVER_PLUGIN_DIR=$PLUGINS ./build/dnsfailover -f -C "$DIR/$a.conf" \
		2> >(sed -u "s/^/  [agent $a] /" >&2) </dev/null &
	agent[$a]=$!
done
wait_records "127.0.0.2 127.0.0.3 127.0.0.4 " 15
show "all three joined"

echo "== stopping the server on 127.0.0.3"
kill "${server[127.0.0.3]}"
t0=$(ms)
wait_records "127.0.0.2 127.0.0.4 " 15
echo "== its record left after $(($(ms) - t0)) ms"
show "127.0.0.3 is gone"

echo "== starting it again"
start_server 127.0.0.3
t0=$(ms)
wait_records "127.0.0.2 127.0.0.3 127.0.0.4 " 15
echo "== its record came back after $(($(ms) - t0)) ms (rise = 2 passing checks)"
show "127.0.0.3 is back"

echo "== stopping everything"
for a in "${!agent[@]}"; do kill -TERM "${agent[$a]}"; done
for a in "${!agent[@]}"; do wait "${agent[$a]}" || true; done
agent=()
echo "== demo done"
