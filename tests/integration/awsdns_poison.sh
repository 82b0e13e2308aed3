#!/bin/bash
# awsdns against upstream cache poisoning (RFC 5452).  An off-path
# attacker learns awsdns's upstream source ports from queries for names
# of its own (answered by its server, here the upstream itself), then
# makes awsdns ask for victim0. while the upstream stays silent, and
# floods the learned ports from the upstream's address and port with
# 2 x 65,536 forged answers (every id, victim0. 3600 A 6.6.6.6).  With
# one long-lived socket per worker the forgery lands; with a fresh
# random port per upstream query it cannot, and the cache stays clean.
# Also: on the query's own socket, answers with the wrong id or the
# wrong question are dropped, counted (metrics), and the right one
# taken; and every upstream query leaves from a port of its own.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

UPP=$(free_dns_port)
cat >"$T/attacker.py" <<'PY'
import socket, struct, sys
port, portfile, donefile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
learned = []
flooded = False

def qname(pkt):
    i, labels = 12, []
    while pkt[i]:
        labels.append(pkt[i + 1:i + 1 + pkt[i]].decode().lower())
        i += 1 + pkt[i]
    return ".".join(labels) + ".", i + 5

def answer(pkt, qid, qend, addr, name_override=None):
    q = pkt[12:qend]
    if name_override:
        q = name_override
    hdr = struct.pack(">HHHHHH", qid, 0x8180, 1, 1, 0, 0)
    rr = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 3600, 4) + bytes(addr)
    return hdr + q + rr

while True:
    pkt, src = s.recvfrom(4096)
    name, qend = qname(pkt)
    qid = struct.unpack(">H", pkt[:2])[0]
    if name.startswith("learn"):
        learned.append(src[1])
        with open(portfile, "a") as f:
            f.write("%d\n" % src[1])
        s.sendto(answer(pkt, qid, qend, [192, 0, 2, 1]), src)
    elif name == "wrongid.":
        s.sendto(answer(pkt, qid ^ 0x5a5a, qend, [6, 6, 6, 6]), src)
        other = b"\x07wrongiX\x00" + pkt[qend - 4:qend]
        s.sendto(answer(pkt, qid, qend, [6, 6, 6, 7], other), src)
        s.sendto(answer(pkt, qid, qend, [192, 0, 2, 2]), src)
    elif name == "victim0." and not flooded:
        flooded = True
        # silent; the forgeries go to the ports seen before (at most 4)
        ports = sorted(set(learned[-8:]))[:4]
        sent = 0
        for rnd in range(2):
            for p in ports:
                for i in range(65536):
                    try:
                        s.sendto(answer(pkt, i, qend, [6, 6, 6, 6]),
                                 ("127.0.0.1", p))
                        sent += 1
                    except OSError:
                        pass
        with open(donefile, "w") as f:
            f.write("%d %s %d\n" % (sent, ",".join(map(str, ports)), src[1]))
PY
/usr/bin/python3 "$T/attacker.py" "$UPP" "$T/ports" "$T/flood" 2>"$T/attacker.log" &
track $!

write_awsdns_state "$T/state.json"
start_fake_aws "$T/state.json"
mport=$(free_port)
AWSDNS_TOP="metrics_listen = \"127.0.0.1:$mport\"" \
	start_awsdns a "upstream = {\"127.0.0.1:$UPP\"} upstream_timeout = 8 domain = \"ec2.test\""

# the attacker's own names: it learns the source ports
for i in $(seq 1 12); do
	assert_eq "$(q learn$i. A)" "192.0.2.1" "learn$i."
done
nports=$(sort -u "$T/ports" | wc -l)
echo "12 upstream queries came from $nports distinct ports"

# the attack
out=$(dig +time=12 +tries=1 -p "$DNS_PORT" @127.0.0.1 victim0. A 2>&1)
wait_for 30 test -s "$T/flood" || fail "the attacker did not flood: $(cat "$T/attacker.log")"
echo "forged answers sent, ports flooded, victim query's port: $(cat "$T/flood")"
assert_not_contains "$out" "6.6.6.6" "the victim's query got the forgery"
again=$(dig +time=12 +tries=1 -p "$DNS_PORT" @127.0.0.1 victim0. A 2>&1)
assert_not_contains "$again" "6.6.6.6" "the cache holds the forgery"
assert_eq "$nports" 12 "a fresh source port per upstream query"

# the wrong id, the wrong question, then the answer, on the query's port
assert_eq "$(q wrongid. A)" "192.0.2.2" "the matching answer is taken"
mm() {
	curl -sf "http://127.0.0.1:$mport/metrics" |
		sed -n 's/^dnsfailover_awsdns_upstream_mismatched_total{responder="vpc"} //p'
}
counted() { [ "$(mm)" -ge 2 ] 2>/dev/null; }
wait_for 10 counted || fail "mismatched answers not counted: '$(mm)'"
pass "fresh port per upstream query ($nports of 12), forgery of 2 x 65,536 answers not cached, $(mm) mismatched answers dropped"
