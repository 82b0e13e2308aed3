# A lab of network namespaces for the tests of real network faults
# (sourced after common.sh; needs root, ip and nft).
#
# One "hub" namespace holds a bridge (10.77.0.1/24) and the services all
# hosts reach (named, through tests/lib/dnsserver.sh with DNS_RUN); each
# host is a namespace of its own with a veth to the bridge and one
# address.  The namespaces are named after the test's pid (dfo$$-...), so
# parallel tests never collide; the addresses live inside them only, so
# every lab may use the same ones.  Everything is deleted at exit, also
# on failure or SIGTERM/SIGINT: the tracked processes first (common.sh),
# then whatever still runs in a namespace (SIGKILL), then the namespace.
#
#   lab_init                  the hub: LAB_HUB (its netns), LAB_HUB_ADDR
#   lab_host NAME [N]         a host NAME with address 10.77.0.N (N: the
#                             next free one from .10); sets LAB_ADDR[NAME]
#   lab_exec NAME CMD...      run CMD in NAME's namespace (ip netns exec)
#   lab_listen NAME PORT      a TCP server (accepts, closes) on NAME's
#                             address, tracked; LISTEN_PID
#   lab_agent NAME CONF [ARGS]  dnsfailover -f -l info in NAME's namespace,
#                             log $T/NAME.log, tracked; AGENT_PID
#   lab_blind NAME ADDR...    NAME opens no connection to ADDR (its
#                             packets to them dropped, replies to
#                             connections they open still go out): it cannot
#                             see them, they still see it
#   lab_cut NAME ADDR...      no packet between NAME and ADDR, either way
#   lab_heal NAME             NAME's rules gone
#   lab_kill NAME             SIGKILL every process in NAME's namespace
#                             (the machine dies)
#   lab_sample OUT CMD...     every ~0.2 s (bounded by LAB_SAMPLE_SECS, 600)
#                             "MS ADDRS" of CMD (addresses, one line,
#                             sorted) into OUT, or "MS ERR" when CMD fails;
#                             in the background, tracked; SAMPLE_PID
#   lab_dig FQDN              the A records of FQDN at the hub's named
#                             (DNS_PORT), sorted, one line (for lab_sample)
#   lab_dns ZONE              the DNS service of the lab's agents: BIND
#                             named in the hub (RFC 2136 with TSIG), or
#                             with LAB_DNS=hosts a hosts file that all
#                             namespaces share (to tell a provider's fault
#                             from the engine's); sets
#                             LAB_DNS (named|hosts) and LAB_DNS_CONF (the
#                             dns section's body for the agents' configs)
#   lab_names FQDN            the A records of FQDN in the lab's DNS, sorted,
#                             one line (a sampler's command)
#   lab_sample_names OUT FQDN the A records of FQDN in the lab's DNS into
#                             OUT every ~0.2 s, as lab_sample does, by one
#                             process (dnspython asking named from the hub,
#                             or reading the hosts file): no fork per
#                             sample; returns once the first is written
#   lab_wait SECONDS CMD...   until CMD succeeds, every 0.1 s; 1 after
#                             SECONDS of wall time (wait_for counts
#                             tries, which a loaded machine stretches)
#   lab_samples_hold OUT ADDRS [FROM_MS [TO_MS]]
#                             every sample in the window answered and held
#                             each of ADDRS; fails the test with the first
#                             sample that did not (ERR samples, dig timing
#                             out under load, are allowed up to a third)
need_root
need_cmd ip nft

LAB_NET=10.77.0
LAB_HUB_ADDR=$LAB_NET.1
LAB_NEXT=10
declare -A LAB_ADDR LAB_NS
LAB_HUB=

# A fatal signal runs the EXIT trap too (bash skips it on signals left
# at their default).
trap 'exit 143' TERM
trap 'exit 130' INT

# Kill what still runs in a namespace, then delete it (at exit).
lab_ns_del() {
	local p
	for p in $(ip netns pids "$1" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break
		sleep 0.1
	done
	ip netns del "$1" 2>/dev/null
}

_lab_ns_add() { # NAME -> the netns
	local ns="dfo$$-$1"
	ip netns add "$ns" || skip "cannot create a network namespace"
	on_exit "lab_ns_del $ns"
	ip -n "$ns" link set lo up
	LAB_NS[$1]=$ns
}

lab_init() {
	_lab_ns_add hub
	LAB_HUB=${LAB_NS[hub]}
	ip -n "$LAB_HUB" link add br0 type bridge || skip "no bridge"
	ip -n "$LAB_HUB" addr add "$LAB_HUB_ADDR/24" dev br0
	ip -n "$LAB_HUB" link set br0 up
	DNS_RUN="ip netns exec $LAB_HUB"
	DNS_ADDR=$LAB_HUB_ADDR
}

lab_host() { # NAME [N]
	local name=$1 n=${2:-$LAB_NEXT}
	[ -n "$LAB_HUB" ] || fail "lab_host before lab_init"
	[ "$n" -ge "$LAB_NEXT" ] && LAB_NEXT=$((n + 1))
	_lab_ns_add "$name"
	local ns=${LAB_NS[$name]}
	ip -n "$LAB_HUB" link add "v$n" type veth peer name eth0 netns "$ns" ||
		skip "no veth"
	ip -n "$LAB_HUB" link set "v$n" master br0 up
	ip -n "$ns" addr add "$LAB_NET.$n/24" dev eth0
	ip -n "$ns" link set eth0 up
	LAB_ADDR[$name]=$LAB_NET.$n
}

lab_exec() { # NAME CMD...
	local ns=${LAB_NS[$1]:?no such lab host: $1}
	shift
	ip netns exec "$ns" "$@"
}

# Can the hub open a TCP connection to ADDR PORT?
_lab_port_open() {
	ip netns exec "$LAB_HUB" bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

lab_listen() { # NAME PORT
	ip netns exec "${LAB_NS[$1]}" /usr/bin/python3 -c "$ACCEPT_PY" \
		"${LAB_ADDR[$1]}" "$2" &
	LISTEN_PID=$!
	track $LISTEN_PID
	wait_for 10 _lab_port_open "${LAB_ADDR[$1]}" "$2" ||
		fail "listener on ${LAB_ADDR[$1]}:$2 did not start"
}

lab_agent() { # NAME CONF [ARGS]
	local name=$1 conf=$2
	shift 2
	ip netns exec "${LAB_NS[$name]}" "$DFO" -f -C "$conf" -l info "$@" \
		2>>"$T/$name.log" &
	AGENT_PID=$!
	track $AGENT_PID
}

_lab_set() { echo "$*" | tr ' ' ','; }

# _lab_drop NAME BLIND ADDR...: load table dfo_lab in NAME dropping the
# packets to ADDR (but for established connections' when BLIND is
# "blind") and, unless BLIND, those from ADDR.
_lab_drop() {
	local name=$1 blind=$2
	shift 2
	local set
	set=$(_lab_set "$@")
	lab_exec "$name" nft -f - <<N || fail "nft in $name"
table inet dfo_lab {
	chain out {
		type filter hook output priority 0; policy accept;
		$([ "$blind" = blind ] && echo "ct state established,related accept")
		ip daddr { $set } drop
	}
	$([ "$blind" = blind ] || echo "chain in {
		type filter hook input priority 0; policy accept;
		ip saddr { $set } drop
	}")
}
N
}

lab_blind() { _lab_drop "$1" blind "${@:2}"; } # NAME ADDR...
lab_cut() { _lab_drop "$1" cut "${@:2}"; }     # NAME ADDR...

lab_heal() { lab_exec "$1" nft delete table inet dfo_lab 2>/dev/null || :; }

lab_kill() { # NAME
	local p
	for p in $(ip netns pids "${LAB_NS[$1]}"); do kill -9 "$p" 2>/dev/null; done
}

lab_dig() { # FQDN
	local out
	out=$(ip netns exec "$LAB_HUB" dig +norec +time=1 +tries=1 +short \
		@"$LAB_HUB_ADDR" -p "$DNS_PORT" "$1" A) || return 1
	echo "$out" | grep -v '^;' | sort -t. -k1,1n -k2,2n -k3,3n -k4,4n |
		tr '\n' ' ' | sed 's/ *$//'
}

lab_sample() { # OUT CMD...
	local out=$1
	shift
	(
		end=$(($(now_ms) + ${LAB_SAMPLE_SECS:-600} * 1000))
		while [ "$(now_ms)" -lt "$end" ]; do
			t=$(now_ms)
			if r=$("$@"); then
				echo "$t $r"
			else
				echo "$t ERR"
			fi
			sleep 0.2
		done
	) >"$out" 2>/dev/null &
	SAMPLE_PID=$!
	track $SAMPLE_PID
}

lab_samples_hold() { # OUT ADDRS [FROM_MS [TO_MS]]
	/usr/bin/python3 - "$@" <<'PY' || fail "$(tail -n 3 "$1")"
import sys
out, want = sys.argv[1], set(sys.argv[2].split())
lo = int(sys.argv[3]) if len(sys.argv) > 3 else 0
hi = int(sys.argv[4]) if len(sys.argv) > 4 else 1 << 62
n = err = 0
for line in open(out):
    f = line.split()
    if not f or not lo <= int(f[0]) <= hi:
        continue
    n += 1
    if f[1:] == ["ERR"]:
        err += 1
        continue
    have = set(f[1:])
    if not have or not want <= have:
        print("FAIL: sample at %d ms (%.1f s into the window): '%s', "
              "missing %s" % (int(f[0]), (int(f[0]) - lo) / 1000,
                              " ".join(sorted(have)),
                              " ".join(sorted(want - have))), file=sys.stderr)
        sys.exit(1)
print("%s: %d samples, %d unanswered, each held %s" % (
    out.rsplit("/", 1)[-1], n, err, " ".join(sorted(want))))
if n < 10 or 3 * err > n:
    print("FAIL: too few answered samples (%d of %d)" % (n - err, n),
          file=sys.stderr)
    sys.exit(1)
PY
}

lab_dns() { # ZONE
	local z=$1
	LAB_DNS=${LAB_DNS:-named}
	. "$TOP_SRCDIR/tests/lib/dnsserver.sh"
	dns_key hmac-sha256
	if [ "$LAB_DNS" = hosts ]; then
		LAB_HOSTS=$T/hosts
		: >"$LAB_HOSTS"
		LAB_DNS_CONF="hosts { file = \"$LAB_HOSTS\" }"
		return 0
	fi
	need_cmd named dig
	DNS_RUN="ip netns exec $LAB_HUB"
	DNS_ADDR=$LAB_HUB_ADDR
	start_named "$T/ns" "$z" || fail "named does not start in the hub"
	export DFO_TEST_TSIG=$DNS_KEY_SECRET
	LAB_DNS_CONF="rfc2136 { server = \"$LAB_HUB_ADDR:$DNS_PORT\" zone = \"$z\"
	key_name = \"$DNS_KEY_NAME\" key_algorithm = \"$DNS_KEY_ALG\"
	key_secret = \"\${DFO_TEST_TSIG}\" ttl = 30 timeout = 2 }"
}

lab_names() { # FQDN
	if [ "$LAB_DNS" = hosts ]; then
		addrs "$LAB_HOSTS" "$1"
	else
		lab_dig "$1"
	fi
}

lab_sample_names() { # OUT FQDN
	local out=$1 fq=$2 run=()
	[ "$LAB_DNS" = hosts ] || run=(ip netns exec "$LAB_HUB")
	"${run[@]}" /usr/bin/python3 - "$out" "$fq" "$LAB_DNS" "${LAB_HOSTS:-}" \
		"$LAB_HUB_ADDR" "${DNS_PORT:-0}" "${LAB_SAMPLE_SECS:-600}" <<'PY' &
import ipaddress, sys, time
out, fq, kind, hosts, addr, port, secs = sys.argv[1:8]
if kind != "hosts":
    import dns.message, dns.query, dns.rdatatype
def names():
    if kind == "hosts":
        got = []
        for line in open(hosts):
            f = line.split()
            if f and not f[0].startswith("#") and fq in f[1:]:
                got.append(f[0])
        return got
    q = dns.message.make_query(fq, "A")
    q.flags = 0
    r = dns.query.udp(q, addr, port=int(port), timeout=1)
    return [rd.address for rrs in r.answer if rrs.rdtype == dns.rdatatype.A
            for rd in rrs]
end = time.monotonic() + float(secs)
with open(out, "w", buffering=1) as f:
    while time.monotonic() < end:
        t = time.monotonic()
        try:
            got = " ".join(sorted(names(), key=ipaddress.ip_address))
        except Exception:
            got = "ERR"
        f.write("%d %s\n" % (time.time() * 1000, got))
        time.sleep(max(0.0, 0.2 - (time.monotonic() - t)))
PY
	SAMPLE_PID=$!
	track $SAMPLE_PID
	# python and dnspython take seconds to start on a loaded machine
	lab_wait 60 test -s "$out" || fail "the sampler of $fq did not start"
}

lab_wait() { # SECONDS CMD...
	local end=$(($(now_ms) + $1 * 1000))
	shift
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.1
	done
}
