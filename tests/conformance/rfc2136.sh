# Conformance backend: dns "rfc2136" on a real server started here, BIND
# (named) or Knot (knotd) as $DNS_SERVER says (named by default), with a
# TSIG key and a dynamic zone; read back with dig.
need_cmd dig nsupdate
DNS_SERVER=${DNS_SERVER:-named}
case $DNS_SERVER in
named) need_cmd named ;;
knotd) need_cmd knotd ;;
*) fail "DNS_SERVER: named or knotd" ;;
esac
. "$TOP_SRCDIR/tests/lib/dnsserver.sh"
BE_TIMEOUT=2.5
BE_ZONE=conf.test

be_start() {
	if [ "$DNS_SERVER" = named ]; then
		start_named "$T/ns" "$BE_ZONE"
	else
		start_knot "$T/ns" "$BE_ZONE"
	fi
}

be_setup() {
	dns_key hmac-sha256
	be_start || skip "$DNS_SERVER does not start here"
	BE_SECTION=$(rfc2136_section "zone = \"$BE_ZONE\" ttl = 60 timeout = $BE_TIMEOUT")
	# The secret comes from the environment, as an operator would.
	export DFO_TEST_TSIG=$DNS_KEY_SECRET
}

be_rrs() { zone_rrs "$BE_ZONE" "$1" "$2"; }
be_ttl() { zone_ttl "$BE_ZONE" "$1" "$2"; }
be_dump() { # [NAME TYPE]: the zone, without that RRset
	if [ $# = 2 ]; then
		zone_dump "$BE_ZONE" | awk -v n="${1,,}." -v t="$2" '!($1 == n && $4 == t)'
	else
		zone_dump "$BE_ZONE"
	fi
}
be_seed() { # NAME TYPE TTL ADDR...
	local n=$1 t=$2 ttl=$3 a
	shift 3
	{
		echo "update delete $n $t"
		for a; do echo "update add $n $ttl $t $a"; done
	} | nsupd "$BE_ZONE" || fail "nsupdate"
}
be_seed_other() { # NAME
	nsupd "$BE_ZONE" <<U || fail "nsupdate"
update add $1 120 TXT "keep me"
update add $1 120 MX 10 ns.$BE_ZONE.
update add $1 120 AAAA 2001:db8::77
update add x$1 120 A 192.0.2.10
U
}
# NAME: the texts of its TXT records, one a line, as the server holds
# them: dig's presentation form unquoted and unescaped (\" \\ \DDD).
# A record of several strings (no state text) is printed as dig shows it.
be_txt() {
	dns_dig +short "$1" TXT | /usr/bin/python3 -c '
import re, sys
for line in sys.stdin:
    line = line.rstrip("\n")
    parts = re.findall(r"\"((?:[^\"\\]|\\.)*)\"", line)
    if len(parts) != 1:
        print(line); continue
    print(re.sub(r"\\(\d{3}|.)", lambda m: chr(int(m.group(1))) if len(m.group(1)) == 3 else m.group(1), parts[0]))
'
}
be_down() { stop_dns "$T/ns"; }
be_up() { be_start; }
# Silent: the server's port taken by one that never answers.  (Not
# SIGSTOP: a stopped server would still apply the queued requests when
# it resumes, after the caller gave up.)
be_silent() { stop_dns "$T/ns" && dns_blackhole; }
be_unsilent() {
	kill "$SILENT_PID" 2>/dev/null
	wait "$SILENT_PID" 2>/dev/null
	be_start
}
