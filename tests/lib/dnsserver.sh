# Real DNS servers for the tests (sourced after common.sh): BIND (named)
# and Knot (knotd) on loopback, each with a TSIG key and one zone that
# takes dynamic updates signed with it.
#
#   dns_key [ALG]              -> DNS_KEY_NAME DNS_KEY_ALG DNS_KEY_SECRET
#   start_named DIR ZONE [ADDR] -> DNS_PORT DNS_PID (also AXFR with the key;
#                                 $NAMED_EXTRA: more config, $NAMED_POLICY:
#                                 more update-policy rules; $NAMED_GRANT:
#                                 the rules instead of "grant KEY zonesub ANY")
#   start_knot  DIR ZONE [ADDR] -> DNS_PORT DNS_PID ($KNOT_ACL: more acl
#                                 entries, $KNOT_ZONE_ACL: the zone's acl
#                                 list instead of the key's "upd")
#   knot_head DIR PORT         the top of a knotd config (server, log,
#                              database, the key), for a script's own
#   stop_dns DIR               kill the server started in DIR
#   zone_rrs ZONE NAME TYPE    the records of NAME/TYPE, by dig (sorted)
#   zone_ttl ZONE NAME TYPE    their TTL
#   zone_dump ZONE             the whole zone by AXFR (no SOA), sorted
#   nsupd ZONE <<<"commands"  nsupdate with the key
#   rfc2136_section OPTIONS    the rfc2136 provider's section for the
#                              server and key in use
# DNS_ADDR (127.0.0.1), DNS_PORT and DNS_KEY_* are the server in use.
# DNS_RUN: a prefix that runs the server and the clients above elsewhere
# (tests/lib/netns.sh sets it to "ip netns exec HUB"; it execs, so
# DNS_PID is the server's own pid).

DNS_ADDR=127.0.0.1

# A fresh key (base64 of 32 random bytes).
dns_key() {
	DNS_KEY_ALG=${1:-hmac-sha256}
	DNS_KEY_NAME=dfo-key
	DNS_KEY_SECRET=$(head -c 32 /dev/urandom | base64)
}

# A free port for both UDP and TCP on $DNS_ADDR.
dns_free_port() {
	${DNS_RUN:-} /usr/bin/python3 - "$DNS_ADDR" <<'PY'
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
for _ in range(100):
    t = socket.socket(fam); t.bind((sys.argv[1], 0)); port = t.getsockname()[1]
    u = socket.socket(fam, socket.SOCK_DGRAM)
    try:
        u.bind((sys.argv[1], port))
    except OSError:
        t.close(); continue
    print(port); break
PY
}

dns_zonefile() { # ZONE FILE
	cat >"$2" <<Z
\$TTL 3600
@	IN SOA	ns.$1. hostmaster.$1. 1 3600 600 86400 60
	IN NS	ns.$1.
ns	IN A	192.0.2.53
Z
}

# Wait until the server answers the zone's SOA (seconds).
dns_wait_up() {
	local i
	for ((i = 0; i < ${2:-10} * 10; i++)); do
		${DNS_RUN:-} dig +norec +time=1 +tries=1 @"$DNS_ADDR" -p "$DNS_PORT" "$1" SOA 2>/dev/null |
			grep -q "status: NOERROR" && return 0
		sleep 0.1
	done
	return 1
}

# _dns_setup DIR ZONE ADDR CONF: DIR with ZONE's zone file (made unless
# there), DNS_ADDR set to ADDR if given, and DNS_PORT a free port unless
# one is set and DIR/CONF exists (a restart keeps its port).
_dns_setup() {
	[ -n "$3" ] && DNS_ADDR=$3
	mkdir -p "$1"
	[ -f "$1/$2.zone" ] || dns_zonefile "$2" "$1/$2.zone"
	[ -n "${DNS_PORT:-}" ] && [ -f "$1/$4" ] || DNS_PORT=$(dns_free_port)
}

# _dns_run DIR ZONE LOG CMD...: run the server CMD (under $DNS_RUN, output
# to DIR/LOG), tracked, its pid in DNS_PID and DIR/server.pid, until it
# answers ZONE's SOA (15 s); 1 if it does not.
_dns_run() {
	local d=$1 z=$2 log=$1/$3
	shift 3
	${DNS_RUN:-} "$@" >"$log" 2>&1 &
	DNS_PID=$!
	echo "$DNS_PID" >"$d/server.pid"
	track "$DNS_PID"
	dns_wait_up "$z" 15 || { tail -20 "$log" >&2; return 1; }
}

start_named() { # DIR ZONE [ADDR]
	local d=$1 z=$2
	_dns_setup "$d" "$z" "${3:-}" named.conf
	local l4="none" l6="none"
	case $DNS_ADDR in *:*) l6="$DNS_ADDR" ;; *) l4="$DNS_ADDR" ;; esac
	cat >"$d/named.conf" <<C
options {
	directory "$d";
	pid-file "$d/named.pid";
	listen-on port $DNS_PORT { $l4; };
	listen-on-v6 port $DNS_PORT { $l6; };
	recursion no;
	dnssec-validation no;
	notify no;
	session-keyfile none;
	managed-keys-directory "$d";
	allow-query { any; };
};
controls { };
key "$DNS_KEY_NAME" { algorithm $DNS_KEY_ALG; secret "$DNS_KEY_SECRET"; };
${NAMED_EXTRA:-}
zone "$z" {
	type primary;
	file "$d/$z.zone";
	update-policy { ${NAMED_GRANT:-grant $DNS_KEY_NAME zonesub ANY;} ${NAMED_POLICY:-} };
	allow-transfer { key $DNS_KEY_NAME; };
};
C
	_dns_run "$d" "$z" named.log named -g -c "$d/named.conf" -n 1
}

# knot_head DIR PORT: the top of a knotd config: run and store in DIR,
# listen on $DNS_ADDR@PORT with one worker of each kind, log to stderr
# at info, and the key DNS_KEY_*.
knot_head() {
	cat <<C
server:
    rundir: "$1"
    listen: $DNS_ADDR@$2
    background-workers: 1
    udp-workers: 1
    tcp-workers: 1
log:
  - target: stderr
    any: info
database:
    storage: "$1"
key:
  - id: $DNS_KEY_NAME
    algorithm: $DNS_KEY_ALG
    secret: $DNS_KEY_SECRET
C
}

start_knot() { # DIR ZONE [ADDR]
	local d=$1 z=$2
	_dns_setup "$d" "$z" "${3:-}" knot.conf
	{
		knot_head "$d" "$DNS_PORT"
		cat <<C
acl:
  - id: upd
    key: $DNS_KEY_NAME
    action: [update, transfer]
${KNOT_ACL:-}
zone:
  - domain: $z
    storage: "$d"
    file: "$z.zone"
    zonefile-sync: 0
    acl: ${KNOT_ZONE_ACL:-upd}
C
	} >"$d/knot.conf"
	_dns_run "$d" "$z" knot.log knotd -c "$d/knot.conf"
}

stop_dns() { # DIR
	local p
	p=$(cat "$1/server.pid" 2>/dev/null) || return 0
	kill -CONT "$p" 2>/dev/null
	kill "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	rm -f "$1/server.pid"
}

dns_dig() { # args...
	${DNS_RUN:-} dig +norec +time=2 +tries=2 -y "$DNS_KEY_ALG:$DNS_KEY_NAME:$DNS_KEY_SECRET" \
		@"$DNS_ADDR" -p "$DNS_PORT" "$@"
}

zone_rrs() { # ZONE NAME TYPE: the addresses, sorted, one line
	dns_dig +noall +answer "$2" "$3" | awk -v t="$3" '$4 == t { print $5 }' |
		sort | tr '\n' ' ' | sed 's/ $//'
}

zone_ttl() { # ZONE NAME TYPE
	dns_dig +noall +answer "$2" "$3" | awk -v t="$3" '$4 == t { print $2; exit }'
}

zone_dump() { # ZONE: every record but the SOA and the TSIG, sorted
	dns_dig +noall +answer "$1" AXFR | awk '$4 != "SOA" && $4 != "TSIG"' |
		awk '{ $1 = tolower($1); print }' | sort -u
}

# rfc2136_section OPTIONS: the section of an rfc2136 provider of the
# server in use and its key, whose secret the config takes from the
# environment as an operator would (the caller exports DFO_TEST_TSIG),
# then OPTIONS.
rfc2136_section() {
	cat <<C
rfc2136 {
	server = "$DNS_ADDR:$DNS_PORT"
	key_name = "$DNS_KEY_NAME"
	key_algorithm = "$DNS_KEY_ALG"
	key_secret = "\${DFO_TEST_TSIG}"
	$*
}
C
}

nsupd() { # ZONE, commands on stdin
	{
		echo "server $DNS_ADDR $DNS_PORT"
		echo "zone $1"
		cat
		echo "send"
	} | ${DNS_RUN:-} nsupdate -y "$DNS_KEY_ALG:$DNS_KEY_NAME:$DNS_KEY_SECRET" -t 5
}

# A server that takes every request and never answers, on
# $DNS_ADDR:$DNS_PORT (UDP and TCP), tracked; its pid in SILENT_PID.
dns_blackhole() {
	/usr/bin/python3 - "$DNS_ADDR" "$DNS_PORT" <<'PY' &
import select, socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
addr = (sys.argv[1], int(sys.argv[2]))
u = socket.socket(fam, socket.SOCK_DGRAM)
t = socket.socket(fam, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
u.bind(addr); t.bind(addr); t.listen(64)
conns = []
while True:
    r, _, _ = select.select([u, t] + conns, [], [], 1)
    for s in r:
        if s is u: u.recv(65535)
        elif s is t: conns.append(t.accept()[0])
        elif not s.recv(65535): conns.remove(s); s.close()
PY
	SILENT_PID=$!
	track "$SILENT_PID"
	sleep 0.3
}
