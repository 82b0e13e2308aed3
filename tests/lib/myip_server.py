"""A what-is-my-address web service for the ipsource http tests.

Usage: myip_server.py PORTFILE LOGFILE
Listens on a free port of 127.0.0.1, and of ::1 when the host has IPv6
loopback; once it accepts connections, writes "PORT HAVE_IPV6" to PORTFILE
and logs each request path to LOGFILE, one a line.  Paths:
  /remote_addr  the caller's address (as myip.enix.org/REMOTE_ADDR)
  /body/NAME    a fixed body from BODIES below
  /status/N     status N with a good address as body
  /slow         answers after 5 s
"""
import http.server
import os
import socket
import sys
import threading
import time

BODIES = {
    "good4": b"127.0.0.7\n",
    "good4_spaced": b" \t127.0.0.8 \r\n\r\n",
    "good6": b"2001:db8::7\r\n",
    "malformed": b"127.0.0.300\n",
    "two": b"127.0.0.1 127.0.0.2\n",
    "withport": b"127.0.0.1:80\n",
    "empty": b"",
    "blank": b" \r\n\t\n",
    "html": b"<html><body>Your address is 127.0.0.1</body></html>\n",
    "binary": b"\x01\x02\x1b[31m127.0.0.1\x00",
    "nul": b"127.0.0.1\x00junk",
    "long": b"1" * 5000,
}

portfile, logfile = sys.argv[1], sys.argv[2]
log = open(logfile, "a", buffering=1)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        log.write(self.path + "\n")
        p = self.path
        if p == "/remote_addr":
            addr = self.client_address[0]
            if addr.startswith("::ffff:"):
                addr = addr[7:]
            self.answer(200, (addr + "\n").encode())
        elif p.startswith("/body/") and p[6:] in BODIES:
            self.answer(200, BODIES[p[6:]])
        elif p.startswith("/status/"):
            self.answer(int(p[8:]), b"127.0.0.9\n")
        elif p == "/slow":
            time.sleep(5)
            self.answer(200, b"127.0.0.10\n")
        else:
            self.answer(404, b"no such page\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


class Server6(Server):
    address_family = socket.AF_INET6


# 127.0.0.1 on a free port, and ::1 on the same port when it can be had.
servers = []
for attempt in range(20):
    v4 = Server(("127.0.0.1", 0), Handler)
    port = v4.server_address[1]
    try:
        servers = [v4, Server6(("::1", port), Handler)]
        break
    except OSError:
        v4.server_close()
if not servers:
    servers = [Server(("127.0.0.1", 0), Handler)]
    port = servers[0].server_address[1]
for s in servers[1:]:
    threading.Thread(target=s.serve_forever, daemon=True).start()
with open(portfile + ".tmp", "w") as f:
    f.write("%d %d\n" % (port, len(servers) > 1))
os.rename(portfile + ".tmp", portfile)
servers[0].serve_forever()
