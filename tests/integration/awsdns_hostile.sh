#!/bin/bash
# awsdns and malformed or hostile packets, over UDP and TCP: short ones
# and responses (QR set) are dropped; wrong counts, QDCOUNT != 1,
# compression in the question (a loop), bad labels get FORMERR; an
# unknown opcode gets NOTIMP; EDNS version 1 gets BADVERS; AXFR gets
# NOTIMP; a flood of junk leaves the server answering.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"
. "$TOP_SRCDIR/tests/lib/awsdns.sh"

start_vpc

/usr/bin/python3 - "$DNS_PORT" <<'PY' || fail "hostile packets"
import random, socket, struct, sys
port = int(sys.argv[1])

def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"

def q(n="web-1.ec2.test", t=1, flags=0x0100, qd=1, an=0, ns=0, ar=0, extra=b"", qid=0x4242):
    return struct.pack(">HHHHHH", qid, flags, qd, an, ns, ar) + name(n) + struct.pack(">HH", t, 1) + extra

def udp(pkt, wait=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(wait)
    s.sendto(pkt, ("127.0.0.1", port))
    try:
        return s.recv(65535)
    except socket.timeout:
        return None
    finally:
        s.close()

def tcp(pkt):
    s = socket.create_connection(("127.0.0.1", port), timeout=2)
    s.sendall(struct.pack(">H", len(pkt)) + pkt)
    data = b""
    try:
        while True:
            d = s.recv(65535)
            if not d:
                break
            data += d
            if len(data) >= 2 and len(data) >= 2 + struct.unpack(">H", data[:2])[0]:
                break
    except socket.timeout:
        pass
    s.close()
    return data[2:] if len(data) >= 2 else None

def rcode(ans):
    r = ans[3] & 0xf
    # extended rcode from an OPT RR, if any (BADVERS = 16)
    if b"\x00\x00\x29" in ans[12:]:
        i = ans.index(b"\x00\x00\x29", 12)
        r |= ans[i + 5] << 4
    return r

opt = b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
optv1 = b"\0" + struct.pack(">HHIH", 41, 1232, 0x00010000, 0)
hdr = lambda qd, an=0: struct.pack(">HHHHHH", 0x4242, 0x0100, qd, an, 0, 0)
cases = [
    ("short", b"\x42\x42\x01", None),
    ("empty", b"", None),
    ("QR set", q(flags=0x8100), None),
    ("QDCOUNT 0", hdr(0), 1),
    ("QDCOUNT 2", q(qd=2), 1),
    ("ANCOUNT 1", q(an=1), 1),
    ("compression loop in question", hdr(1) + b"\xc0\x0c\x00\x01\x00\x01", 1),
    ("pointer forward", hdr(1) + b"\xc0\x20\x00\x01\x00\x01", 1),
    ("label type 0x40", hdr(1) + b"\x41abc\x00\x00\x01\x00\x01", 1),
    ("truncated name", hdr(1) + b"\x05web", 1),
    ("missing type", hdr(1) + b"\x03web\x00\x00", 1),
    ("name over 255", hdr(1) + (b"\x3f" + b"a" * 63) * 5 + b"\0\0\1\0\1", 1),
    ("ARCOUNT lies", q(ar=3, extra=opt), 1),
    ("OPT not at root", q(ar=1, extra=b"\x01a" + opt[1:]), 1),
    ("two OPTs", q(ar=2, extra=opt + opt), 1),
    ("pointer loop in additional", q(ar=1, extra=b"\xc0\x0c\xc0\x0c" + opt[1:]), None),
    ("opcode NOTIFY", q(flags=0x2000), 4),
    ("opcode 15", q(flags=0x7800), 4),
    ("EDNS version 1", q(ar=1, extra=optv1), 16),
    ("AXFR", q(t=252), 4),
]
bad = []
for label, pkt, want in cases:
    for via, send in (("udp", udp), ("tcp", tcp)):
        if via == "tcp" and len(pkt) == 0:
            continue
        ans = send(pkt)
        if want is None:
            if via == "udp" and ans is not None and label in ("short", "empty", "QR set"):
                bad.append("%s/%s: answered, should be dropped" % (label, via))
            continue
        if not ans:
            bad.append("%s/%s: no answer, want rcode %d" % (label, via, want))
        elif ans[:2] != b"\x42\x42" or not ans[2] & 0x80:
            bad.append("%s/%s: bad header %r" % (label, via, ans[:4]))
        elif rcode(ans) != want:
            bad.append("%s/%s: rcode %d, want %d" % (label, via, rcode(ans), want))
# junk: 3000 random packets, 1 to 600 bytes
rnd = random.Random(14)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    n = rnd.randint(1, 600)
    pkt = bytes(rnd.getrandbits(8) for _ in range(n))
    if i % 3 == 0:  # mostly valid header, junk after
        pkt = q()[:12] + pkt
    s.sendto(pkt, ("127.0.0.1", port))
s.close()
ans = udp(q(), 2)
if not ans or ans[-4:] != bytes([10, 0, 1, 1]):
    bad.append("no good answer after the junk: %r" % ans)
for b in bad:
    print("BAD:", b)
sys.exit(1 if bad else 0)
PY
assert_eq "$(q web-1.ec2.test A)" "10.0.1.1" "still serving"
assert_eq "$(q web-1.ec2.test A +tcp)" "10.0.1.1" "still serving over TCP"
kill -0 $AWSDNS_PID || fail "dnsfailover died"
pass "hostile packets: dropped, FORMERR, NOTIMP, BADVERS; serving continues"
