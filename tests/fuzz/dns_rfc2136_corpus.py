#!/usr/bin/python3
"""Write the seed corpus of tests/fuzz/dns_rfc2136_answer.c (dnspython):
answers to signed and unsigned queries and updates, TSIG errors, a
truncated answer, a compressed TSIG, garbage.  Run from the source tree:
    python3 tests/fuzz/dns_rfc2136_corpus.py tests/fuzz/corpus/dns_rfc2136
"""
import os
import sys

import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.tsig
import dns.tsigkeyring
import dns.update

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
keyring = dns.tsigkeyring.from_text(
    {"dfo-key.": ("hmac-sha256", "c2VjcmV0LW9mLXRoZS1mdXp6LXRhcmdldC0wMTIzNDU2Nzg5")})
other = dns.tsigkeyring.from_text({"dfo-key.": ("hmac-sha256", "b3RoZXI=")})


def write(name, keyed, reqmac, wire):
    with open(os.path.join(out, name), "wb") as f:
        f.write(bytes([1 if keyed else 0, len(reqmac)]) + reqmac + wire)


def answer(q, addrs, rcode=dns.rcode.NOERROR, ttl=60):
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    r.set_rcode(rcode)
    for a in addrs:
        t = "AAAA" if ":" in a else "A"
        r.answer.append(dns.rrset.from_text("www.example.test.", ttl, "IN", t, a))
    return r


import dns.flags

# Signed query, signed answers.
q = dns.message.make_query("www.example.test", "A")
q.flags &= ~dns.flags.RD
q.use_tsig(keyring, "dfo-key.", algorithm="hmac-sha256")
q.to_wire()
r = answer(q, ["192.0.2.1", "192.0.2.2"])
write("signed-a", True, q.mac, r.to_wire())
r = answer(q, [], dns.rcode.NXDOMAIN)
write("signed-nxdomain", True, q.mac, r.to_wire())
q6 = dns.message.make_query("www.example.test", "AAAA")
q6.use_tsig(keyring, "dfo-key.", algorithm="hmac-sha256")
q6.to_wire()
write("signed-aaaa", True, q6.mac, answer(q6, ["2001:db8::1"]).to_wire())
# Signed with another secret: must not verify.
r = answer(q, ["192.0.2.66"])
r.use_tsig(other, "dfo-key.", algorithm="hmac-sha256")
r.request_mac = q.mac
write("badmac", True, q.mac, r.to_wire())
# Unsigned answers.
q0 = dns.message.make_query("www.example.test", "A")
write("unsigned-a", False, b"", answer(q0, ["192.0.2.1"]).to_wire())
write("unsigned-a-keyed", True, q.mac, answer(q0, ["192.0.2.1"]).to_wire())
write("unsigned-refused", True, q.mac, answer(q0, [], dns.rcode.REFUSED).to_wire())
tc = answer(q0, [])
tc.flags |= dns.flags.TC
write("truncated", False, b"", tc.to_wire())
# State records (TXT): one string each, quotes and backslashes, a
# 255-byte one, one of two strings, one with a byte outside ASCII.
qt = dns.message.make_query("www.example.test", "TXT")
qt.use_tsig(keyring, "dfo-key.", algorithm="hmac-sha256")
qt.to_wire()
r = dns.message.make_response(qt)
r.flags |= dns.flags.AA
r.answer.append(dns.rrset.from_text(
    "www.example.test.", 10, "IN", "TXT", '"dfo1 192.0.2.1 5 u -"',
    '"dfo1 192.0.2.2 7 f 192.0.2.1,192.0.2.3"', '"a \\"quoted\\" \\\\ text"',
    '"' + "x" * 255 + '"', '"two" "strings"', '"bin\\200ary"'))
write("signed-txt", True, qt.mac, r.to_wire())
# Updates: NOERROR, YXRRSET, NXRRSET, NOTAUTH with BADKEY.
u = dns.update.UpdateMessage("example.test", keyring=keyring, keyname="dfo-key.",
                             keyalgorithm="hmac-sha256")
u.present("www", "A", "192.0.2.1")
u.add("www", 60, "A", "192.0.2.3")
u.to_wire()
for n, rc in (("update-ok", dns.rcode.NOERROR), ("update-yxrrset", dns.rcode.YXRRSET),
              ("update-nxrrset", dns.rcode.NXRRSET), ("update-notzone", dns.rcode.NOTZONE)):
    r = dns.message.make_response(u)
    r.set_rcode(rc)
    write(n, True, u.mac, r.to_wire())
r = dns.message.make_response(u)
r.set_rcode(dns.rcode.NOTAUTH)
r.use_tsig(keyring, "dfo-key.", algorithm="hmac-sha256", tsig_error=dns.rcode.BADKEY)
r.request_mac = u.mac
wire = r.to_wire()
write("update-badkey", True, u.mac, wire)
# Garbage and edge shapes.
write("empty", False, b"", b"")
write("short", True, b"", b"\x12\x34\x80")
write("pointer-loop", True, b"", bytes.fromhex("123481800001000000000000") + b"\xc0\x0c\x00\x01\x00\x01")
write("tsig-not-last", True, q.mac, bytes.fromhex("12348180000000000000000207646666") +
      b"-key\x00\x00\xfa\x00\xff\x00\x00\x00\x00\x00\x00" + b"\x00\x00\x01\x00\x01\x00\x00\x00\x00\x00\x00")
