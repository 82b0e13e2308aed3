# What the awsdns benches (awsdns.sh, awsdns_xfr.sh) share, sourced once
# they have set BENCH (their name, for messages), top (the source tree),
# PY, PLUGINS and DOMAIN:
#   W          the work directory, made here and deleted at exit (with
#              LOGDIR=DIR its logs are copied there first)
#   pids       the processes a bench starts: at exit each gets SIGTERM,
#              then SIGKILL if it is still there 10 s later
#   start_fake the fake AWS of tests/fake/aws.py with N generated instances
#   awsdns_conf a config of awsdns alone, its index from that fake
#   until_s    every wait, bounded by the clock

die() { echo "$BENCH: $*" >&2; exit 1; }

W=$(mktemp -d "/tmp/dfo-bench-${BENCH%.sh}.XXXXXX")
pids=()
cleanup() {
	local p i
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	[ -n "${LOGDIR:-}" ] && mkdir -p "$LOGDIR" && cp "$W"/*.log "$W"/*/*.log "$LOGDIR"/ 2>/dev/null
	for p in "${pids[@]}"; do
		for ((i = 0; i < 100; i++)); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { # a port free for UDP and TCP on 127.0.0.1
	$PY - <<'PY'
import socket
for _ in range(100):
    t = socket.socket(); t.bind(("127.0.0.1", 0)); p = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", p)); print(p); break
    except OSError:
        pass
    finally:
        u.close(); t.close()
PY
}

now() { date +%s.%N; }
since() { echo "$(now) - $1" | bc; }
# until_s SECONDS CMD...: until CMD succeeds, bounded by the clock; a try
# every UNTIL_STEP seconds (0.2)
until_s() {
	local end=$(($(date +%s) + $1))
	shift
	while :; do
		"$@" && return 0
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep "${UNTIL_STEP:-0.2}"
	done
}
# answers PORT NAME TYPE: the server on 127.0.0.1:PORT gives an answer
# (dig +short prints its errors on stdout, as ";;" lines)
answers() {
	dig +short +norec +time=2 +tries=1 -p "$1" @127.0.0.1 "$2" "$3" 2>/dev/null | grep -q '^[^;]'
}

# host_name N I: the name of the fake's instance I of N (tests/fake/aws.py
# --instances: host-%06d, wider when N - 1 has more digits) in $DOMAIN
host_name() {
	local w=$(($1 - 1))
	w=${#w}
	printf "host-%0*d.%s" $((w > 6 ? w : 6)) "$2" "$DOMAIN"
}

# start_fake N [SECONDS]: the fake AWS holding N generated instances and
# the key AKIDBENCH, its log $W/fake.log: FAKE its URL, FAKE_PID; dies if
# it has not started within SECONDS (120)
start_fake() {
	rm -f "$W/fake.port"
	echo '{"keys": {"AKIDBENCH": "benchsecret"}}' >"$W/state.json"
	$PY "$top/tests/fake/aws.py" --state "$W/state.json" --port-file "$W/fake.port" \
		--instances "$1" 2>>"$W/fake.log" &
	FAKE_PID=$!
	pids+=("$FAKE_PID")
	until_s "${2:-120}" test -s "$W/fake.port" || die "the fake AWS did not start: $(cat "$W/fake.log")"
	FAKE=http://127.0.0.1:$(cat "$W/fake.port")
}

# awsdns_conf FILE PORT TIMEOUT OPTIONS: a config of awsdns alone,
# responder "bench" on 127.0.0.1:PORT for $DOMAIN without upstream, its
# index from the fake at $FAKE (each request bounded by TIMEOUT s, a
# call and its retries by 5 times that), ttl 60 and OPTIONS.
awsdns_conf() {
	cat >"$1" <<C
plugin_dir = "$PLUGINS"
aws { region = "us-east-1" access_key_id = "AKIDBENCH" secret_access_key = "benchsecret"
      ec2_endpoint = "$FAKE" timeout = $3 retry_time = $(($3 * 5)) }
responder "bench" { awsdns {
	listen = {"127.0.0.1:$2"} upstream = {} domain = "$DOMAIN"
	ttl = 60 $4 } }
C
}
