# Helpers of the awsdns tests (sourced after common.sh and aws.sh): a
# real upstream (unbound) on loopback, the fake AWS with instances, and
# awsdns run by dnsfailover from a config with only the responder.

need_cmd dig unbound
UNBOUND=$(command -v unbound)

# A free UDP+TCP port on 127.0.0.1 and ::1 (both free at the time).
free_dns_port() {
	/usr/bin/python3 - <<'PY'
import socket
for _ in range(50):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    try:
        for fam, typ, addr in ((socket.AF_INET, socket.SOCK_STREAM, "127.0.0.1"),
                               (socket.AF_INET6, socket.SOCK_DGRAM, "::1"),
                               (socket.AF_INET6, socket.SOCK_STREAM, "::1")):
            t = socket.socket(fam, typ); t.bind((addr, p)); t.close()
    except OSError:
        s.close(); continue
    s.close(); print(p); break
PY
}

# start_upstream: unbound on 127.0.0.1:$UP_PORT answering only its local
# data (never recursing anywhere): "." is a static zone with a SOA, so
# unknown names get NXDOMAIN with a SOA.  Names: shadow. (also an
# instance), nodata. (TXT only: NODATA for A), up-only., www.up.test. and
# upstream.ec2.test. (under awsdns's domain: never asked).  UNBOUND_EXTRA:
# more lines of its server: section.
start_upstream() {
	UP_PORT=$(free_dns_port)
	cat >"$T/unbound.conf" <<U
server:
	interface: 127.0.0.1@$UP_PORT
	port: $UP_PORT
	do-ip6: no
	do-daemonize: no
	username: ""
	chroot: ""
	directory: "$T"
	pidfile: ""
	use-syslog: no
	logfile: "$T/unbound.log"
	verbosity: 1
	access-control: 127.0.0.0/8 allow
	module-config: "iterator"
	num-threads: 1
	so-reuseport: no
	local-zone: "." static
	local-data: ". 300 IN SOA up. hostmaster.up. 1 3600 600 86400 30"
	local-data: "shadow. 300 IN A 192.0.2.9"
	local-data: 'nodata. 300 IN TXT "only text"'
	local-data: "up-only. 300 IN A 192.0.2.1"
	local-data: "www.up.test. 300 IN A 192.0.2.80"
	local-data: "upstream.ec2.test. 300 IN A 192.0.2.77"
${UNBOUND_EXTRA:-}
remote-control:
	control-enable: no
U
	"$UNBOUND" -d -c "$T/unbound.conf" 2>>"$T/unbound.log" &
	UP_PID=$!
	track $UP_PID
	local i
	for ((i = 0; i < 100; i++)); do
		dig +short +time=1 +tries=1 -p "$UP_PORT" @127.0.0.1 up-only. A 2>/dev/null |
			grep -q 192.0.2.1 && return 0
		sleep 0.1
	done
	fail "unbound did not start: $(cat "$T/unbound.log")"
}

# The fake AWS's instances, state file $1.  web-1 has IPv6 and both extras;
# Web-2's tag has capitals; db-1 is stopped; multi is two instances;
# big is 60; i-0noname has no Name.
write_awsdns_state() {
	/usr/bin/python3 - "$1" <<'PY'
import json, sys
inst = [
 {"id": "i-001", "private_ip": "10.0.1.1", "public_ip": "198.51.100.1",
  "ipv6": ["2001:db8::1"], "key_name": "ops", "type": "t3.small",
  "tags": {"Name": "web-1", "Class": "web"}},
 {"id": "i-002", "private_ip": "10.0.1.2", "tags": {"Name": "Web-2", "Class": "web"}},
 {"id": "i-003", "private_ip": "10.0.1.3", "state": "stopped",
  "tags": {"Name": "db-1", "Class": "db"}},
 {"id": "i-004", "private_ip": "10.0.1.4", "tags": {"Name": "multi"}},
 {"id": "i-005", "private_ip": "10.0.1.5", "ipv6": ["2001:db8::5"],
  "tags": {"Name": "multi"}},
 {"id": "i-006", "private_ip": "10.0.1.6", "tags": {"Name": "shadow"}},
 {"id": "i-007", "private_ip": "10.0.1.7", "tags": {"Name": "nodata"}},
 {"id": "i-0noname", "private_ip": "10.0.1.99"},
 {"id": "i-008", "private_ip": "10.0.1.8",
  "tags": {"Name": "odd", "Class": "a=b`c", "k=`y": "v"}},
]
for k in range(60):
    inst.append({"id": "i-1%02d" % k, "private_ip": "10.0.2.%d" % (k + 1),
                 "tags": {"Name": "big"}})
json.dump({"keys": {"AKIDTEST": "secrettest"}, "page_size": 25,
           "instances": inst,
           "zones": [{"id": "ZCORP", "name": "corp.internal.", "records": [
               {"name": "corp.internal.", "type": "SOA", "ttl": 900,
                "values": ["ns-1.awsdns. hostmaster.amazon.com. 1 7200 900 1209600 86400"]},
               {"name": "app.corp.internal.", "type": "A", "ttl": 30,
                "values": ["10.9.0.1", "10.9.0.2"]},
               {"name": "app.corp.internal.", "type": "AAAA", "ttl": 30,
                "values": ["2001:db8:9::1"]},
               {"name": "alias.corp.internal.", "type": "CNAME", "ttl": 30,
                "values": ["app.corp.internal."]},
               {"name": "corp.internal.", "type": "MX", "ttl": 300,
                "values": ["10 mail.corp.internal."]},
               {"name": "_http._tcp.corp.internal.", "type": "SRV", "ttl": 300,
                "values": ["1 5 8080 app.corp.internal."]},
               {"name": "txt.corp.internal.", "type": "TXT", "ttl": 300,
                "values": ["\"hello world\" \"two\""]},
               {"name": "lb.corp.internal.", "type": "A",
                "alias": "app.corp.internal."}]}]},
          open(sys.argv[1], "w"))
PY
}

# start_awsdns NAME [awsdns options...]: dnsfailover running only the
# awsdns responder "vpc" on 127.0.0.1:$DNS_PORT and [::1]:$DNS_PORT,
# upstream the unbound of start_upstream (unless the options name one);
# waits until it answers.  AWSDNS_PID is the agent.  AWSDNS_TOP: lines
# for the top of the config (metrics_listen...).
start_awsdns() {
	local name=$1
	shift
	DNS_PORT=$(free_dns_port)
	aws_conf "$T/$name.conf"
	cat >>"$T/$name.conf" <<C
${AWSDNS_TOP:-}
responder "vpc" { awsdns {
	listen = {"127.0.0.1:$DNS_PORT", "[::1]:$DNS_PORT"}
	threads = 2
	$*
} }
C
	"$DFO" -f -C "$T/$name.conf" -l "${AWSDNS_LOG_LEVEL:-info}" 2>"$T/$name.log" &
	AWSDNS_PID=$!
	track $AWSDNS_PID
	local i
	for ((i = 0; i < 100; i++)); do
		# serving, and the index loaded (upstream is served before)
		dig +time=1 +tries=1 -p "$DNS_PORT" @127.0.0.1 web-1.ec2.test. A \
			>/dev/null 2>&1 && grep -q "instances indexed" "$T/$name.log" &&
			return 0
		kill -0 $AWSDNS_PID 2>/dev/null || break
		sleep 0.1
	done
	fail "awsdns did not start: $(cat "$T/$name.log")"
}

# start_vpc [OPTIONS]: the fake AWS on write_awsdns_state's instances,
# then awsdns "a" (start_awsdns) for domain ec2.test with OPTIONS.
start_vpc() {
	write_awsdns_state "$T/state.json"
	start_fake_aws "$T/state.json"
	start_awsdns a "domain = \"ec2.test\" $*"
}

# start_vpc_upstream [OPTIONS]: start_vpc with unbound (start_upstream)
# as awsdns's upstream.
start_vpc_upstream() {
	write_awsdns_state "$T/state.json"
	start_fake_aws "$T/state.json"
	start_upstream
	start_awsdns a "upstream = {\"127.0.0.1:$UP_PORT\"} domain = \"ec2.test\" $*"
}

# q ARGS...: dig against awsdns, short answers sorted on one line.
q() {
	dig +short +time=2 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$@" | sort | tr '\n' ' ' | sed 's/ $//'
}
# qfull ARGS...: the whole dig output.
qfull() {
	dig +time=3 +tries=1 -p "$DNS_PORT" @127.0.0.1 "$@"
}
# status_of DIG-OUTPUT: NOERROR, NXDOMAIN, ...
status_of() { sed -n 's/.*status: \([A-Z]*\),.*/\1/p' <<<"$1" | head -1; }
flags_of() { sed -n 's/.*flags: \([a-z ]*\);.*/\1/p' <<<"$1" | head -1; }
# qtime DIG-OUTPUT: dig's own "Query time" in ms.
qtime() { sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' <<<"$1" | head -1; }
