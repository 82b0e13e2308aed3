#!/usr/bin/python3
"""A fake Zerigo DNS (REST API v1.1) for the tests, on 127.0.0.1 (a free
port, written to --port-file).  Python standard library only.

API (under /api/1.1, HTTP basic auth as --user / --key, 401 otherwise):
  GET    /zones.xml                       zones of the account (paged)
  GET    /zones/ID_OR_DOMAIN.xml          one zone, with its hosts (<= 300)
  GET    /zones/ID/hosts.xml              its hosts (fqdn=, page=, per_page=;
                                          X-Query-Count: how many matched)
  GET    /hosts.xml                       hosts of any zone (fqdn=, zone_id=)
  POST   /zones/ID/hosts.xml              create a host (201, Location)
  GET    /hosts/ID.xml                    one host
  DELETE /hosts/ID.xml                    delete a host (200)
Bad documents or values get 422 with <errors><error>...</error></errors>.

State comes from a JSON file (--state); --port binds a given port (to
restart the fake where a config expects it).
  {"zones": [{"id": 1, "domain": "example.test", "default_ttl": 900,
              "hosts": [{"id": 10, "hostname": "www", "host_type": "A",
                         "data": "192.0.2.1", "ttl": 120}, ...]}]}
(hostname null for the apex, ttl null for the zone's default).

Control, no auth, not under /api:
  GET  /_fake/state    the zones, as JSON
  POST /_fake/state    replace them (same JSON as --state)
  GET  /_fake/stats    request counters ({"GET": n, "POST": n, "DELETE": n,
                       "auth_fail": n, "faults": n})
  POST /_fake/fault    {"kind": "500" | "503" | "422" | "slow",
                        "count": N (default 1, -1 forever),
                        "method": "GET" | "POST" | "DELETE" (default any),
                        "delay": seconds for "slow" (default 30),
                        "answer": for "slow", answer after the delay
                                  (default false: close without doing
                                  anything, a silent service)}
  POST /_fake/clear    drop the queued faults
"""
import argparse
import base64
import ipaddress
import json
import re
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer
from xml.etree import ElementTree as ET
from xml.sax.saxutils import escape

import fakehttp

lock = threading.RLock()
ZONES = []
FAULTS = []
STATS = {"GET": 0, "POST": 0, "DELETE": 0, "auth_fail": 0, "faults": 0}
NEXT_ID = [100000]
AUTH = [""]
TYPES = ("A", "AAAA", "CNAME", "GEO", "MX", "NS", "SPF", "SRV", "TXT", "URL")


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def fqdn_of(zone, host):
    return "%s.%s" % (host["hostname"], zone["domain"]) \
        if host.get("hostname") else zone["domain"]


def int_el(name, value):
    if value is None:
        return '<%s type="integer" nil="true"/>' % name
    return '<%s type="integer">%d</%s>' % (name, value, name)


def str_el(name, value):
    if value is None:
        return '<%s nil="true"/>' % name
    return "<%s>%s</%s>" % (name, escape(str(value)), name)


def host_xml(zone, h):
    return ("<host>" + '<created-at type="datetime">%s</created-at>' % h.get(
        "created", "2008-12-07T02:51:13Z") + str_el("data", h["data"]) +
        str_el("fqdn", fqdn_of(zone, h)) + str_el("host-type", h["host_type"]) +
        str_el("hostname", h.get("hostname")) + int_el("id", h["id"]) +
        str_el("notes", h.get("notes")) + int_el("priority", h.get("priority")) +
        int_el("ttl", h.get("ttl")) +
        '<updated-at type="datetime">%s</updated-at>' % h.get(
            "updated", "2008-12-07T02:51:13Z") +
        int_el("zone-id", zone["id"]) + "</host>")


def zone_xml(z, with_hosts):
    out = ("<zone>" + '<created-at type="datetime">2008-12-07T02:40:02Z'
           '</created-at>' + str_el("custom-nameservers", None) +
           '<custom-ns type="boolean">false</custom-ns>' +
           int_el("default-ttl", z.get("default_ttl", 900)) +
           str_el("domain", z["domain"]) + str_el("hostmaster", None) +
           int_el("id", z["id"]) + str_el("notes", None) +
           str_el("ns1", None) + str_el("ns-type", "pri_sec") +
           int_el("nx-ttl", None) + str_el("slave-nameservers", None) +
           str_el("tag-list", "") +
           '<updated-at type="datetime">2008-12-07T02:40:02Z</updated-at>')
    if with_hosts:
        out += "<hosts-count>%d</hosts-count>" % len(z["hosts"])
        if len(z["hosts"]) <= 300:
            out += '<hosts type="array">%s</hosts>' % "".join(
                host_xml(z, h) for h in z["hosts"])
    return out + "</zone>"


def errors_xml(msgs):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<errors>%s</errors>' %
            "".join("<error>%s</error>" % escape(m) for m in msgs))


def find_zone(key):
    for z in ZONES:
        if str(z["id"]) == key or z["domain"].lower() == key.lower():
            return z
    return None


def find_host(hid):
    for z in ZONES:
        for h in z["hosts"]:
            if str(h["id"]) == hid:
                return z, h
    return None, None


def take_fault(method):
    with lock:
        for f in FAULTS:
            if f.get("method") in (None, method) and f.get("count", 1) != 0:
                if f.get("count", 1) > 0:
                    f["count"] = f.get("count", 1) - 1
                STATS["faults"] += 1
                return dict(f)
    return None


def match_fqdn(zone, h, fqdn):
    """Zerigo's search: by FQDN; the zone's own name means hostname nil."""
    if fqdn is None:
        return True
    fqdn = fqdn.rstrip(".").lower()
    if fqdn == zone["domain"].lower():
        return not h.get("hostname")
    return fqdn_of(zone, h).lower() == fqdn


def validate_host(zone, doc):
    """The fields of a <host> document, or a list of error messages."""
    try:
        root = ET.fromstring(doc)
    except ET.ParseError as e:
        return None, ["The document is not valid XML: %s" % e]
    if root.tag != "host":
        return None, ["Expected a <host> document"]
    f = {c.tag: (c.text or "").strip() for c in root}
    # A TXT host's data is kept as sent (its text, blanks included).
    if f.get("host-type") == "TXT" and root.find("data") is not None:
        f["data"] = root.find("data").text or ""
    errs = []
    typ = f.get("host-type", "")
    data = f.get("data", "")
    hostname = f.get("hostname") or None
    ttl = None
    if typ not in TYPES:
        errs.append("Host type is not included in the list")
    if not data:
        errs.append("Data can't be blank")
    elif typ == "A":
        try:
            ipaddress.IPv4Address(data)
        except ValueError:
            errs.append("Data is not a valid IPv4 address")
    elif typ == "AAAA":
        try:
            ipaddress.IPv6Address(data)
        except ValueError:
            errs.append("Data is not a valid IPv6 address")
    if hostname is not None and not re.fullmatch(r"[A-Za-z0-9_*.-]{1,200}",
                                                 hostname):
        errs.append("Hostname is invalid")
    if "ttl" in f and f["ttl"] != "":
        if not re.fullmatch(r"\d{1,10}", f["ttl"]) or int(f["ttl"]) > 2**31 - 1:
            errs.append("Ttl is not a number")
        else:
            ttl = int(f["ttl"])
    if errs:
        return None, errs
    return {"hostname": hostname, "host_type": typ, "data": data,
            "ttl": ttl}, None


class Handler(fakehttp.Handler):
    CTYPE = "application/xml; charset=utf-8"

    def log_message(self, fmt, *args):  # quiet; never the auth header
        pass

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        data = self.body()
        if url.path.startswith("/_fake/"):
            return self.control(method, url.path, data)
        if not url.path.startswith("/api/1.1/"):
            return self.reply(404, "<html>Not found</html>", "text/html")
        if self.headers.get("Authorization", "") != AUTH[0]:
            with lock:
                STATS["auth_fail"] += 1
            return self.reply(401, "HTTP Basic: Access denied.\n",
                              "text/html; charset=utf-8",
                              [("WWW-Authenticate",
                                'Basic realm="Application"')])
        with lock:
            if method in STATS:
                STATS[method] += 1
        f = take_fault(method)
        if f:
            kind = str(f.get("kind"))
            if kind == "slow":
                time.sleep(float(f.get("delay", 30)))
                if not f.get("answer"):
                    self.close_connection = True
                    return
            elif kind == "422":
                return self.reply(422, errors_xml(["Data is invalid (fault)"]))
            else:
                return self.reply(int(kind), "<html><body><h1>%s</h1>"
                                  "</body></html>" % kind, "text/html")
        self.api(method, url.path[len("/api/1.1"):], q, data)

    def api(self, method, path, q, data):
        m = re.fullmatch(r"/zones/([^/]+)\.xml", path)
        if method == "GET" and path == "/zones.xml":
            with lock:
                zs = list(ZONES)
            return self.paged("zones", zs, q, lambda z: zone_xml(z, False))
        if method == "GET" and m:
            with lock:
                z = find_zone(m.group(1))
                body = zone_xml(z, True) if z else None
            if not z:
                return self.reply(404, "")
            return self.reply(200, '<?xml version="1.0" encoding="UTF-8"?>\n'
                              + body)
        m = re.fullmatch(r"/zones/(\d+)/hosts\.xml", path)
        if m or (method == "GET" and path == "/hosts.xml"):
            with lock:
                if m:
                    z = find_zone(m.group(1))
                    if not z:
                        return self.reply(404, "")
                    zones = [z]
                elif "zone_id" in q:
                    z = find_zone(q["zone_id"])
                    zones = [z] if z else []
                else:
                    zones = list(ZONES)
                if method == "GET":
                    items = [(z, h) for z in zones for h in z["hosts"]
                             if match_fqdn(z, h, q.get("fqdn"))]
                    return self.paged("hosts", items, q,
                                      lambda zh: host_xml(*zh))
            if method != "POST":
                return self.reply(405, "")
            if not (self.headers.get("Content-Type", "")
                    .startswith("application/xml")):
                return self.reply(415, errors_xml(
                    ["Content-Type must be application/xml"]))
            fields, errs = validate_host(z, data)
            if errs:
                return self.reply(422, errors_xml(errs))
            with lock:
                # ids are never reused, whatever the state was given
                NEXT_ID[0] = max([NEXT_ID[0]] + [h["id"] for zz in ZONES
                                                 for h in zz["hosts"]]) + 1
                fields["id"] = NEXT_ID[0]
                fields["created"] = fields["updated"] = now()
                z["hosts"].append(fields)
                body = host_xml(z, fields)
            return self.reply(201, '<?xml version="1.0" encoding="UTF-8"?>\n'
                              + body, headers=[
                                  ("Location", "http://%s:%d/api/1.1/hosts/%d"
                                   ".xml" % (self.server.server_address[0],
                                             self.server.server_address[1],
                                             fields["id"]))])
        m = re.fullmatch(r"/hosts/(\d+)\.xml", path)
        if m:
            with lock:
                z, h = find_host(m.group(1))
                if not h:
                    return self.reply(404, "")
                if method == "DELETE":
                    z["hosts"].remove(h)
                    return self.reply(200, "")
                if method == "GET":
                    return self.reply(200, host_xml(z, h))
            return self.reply(405, "")
        return self.reply(404, "")

    def paged(self, root, items, q, render):
        try:
            page = max(1, int(q.get("page", 1)))
            per = min(1000, max(1, int(q.get("per_page", 100))))
        except ValueError:
            return self.reply(422, errors_xml(["Page is not a number"]))
        with lock:
            chunk = "".join(render(i) for i in
                            items[(page - 1) * per:page * per])
        return self.reply(200, '<?xml version="1.0" encoding="UTF-8"?>\n'
                          '<%s type="array">%s</%s>' % (root, chunk, root),
                          headers=[("X-Query-Count", str(len(items)))])

    def control(self, method, path, data):
        global ZONES, FAULTS
        if path == "/_fake/state" and method == "GET":
            with lock:
                body = json.dumps({"zones": ZONES})
            return self.reply(200, body, "application/json")
        if path == "/_fake/state" and method == "POST":
            with lock:
                ZONES = json.loads(data)["zones"]
            return self.reply(200, "{}", "application/json")
        if path == "/_fake/stats":
            with lock:
                body = json.dumps(STATS)
            return self.reply(200, body, "application/json")
        if path == "/_fake/fault" and method == "POST":
            with lock:
                FAULTS.append(json.loads(data))
            return self.reply(200, "{}", "application/json")
        if path == "/_fake/clear" and method == "POST":
            with lock:
                FAULTS = []
            return self.reply(200, "{}", "application/json")
        return self.reply(404, "{}", "application/json")


def main():
    global ZONES
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--port", type=int, default=0,
                    help="port to bind (default: any free one)")
    a = ap.parse_args()
    ZONES = json.load(open(a.state))["zones"]
    AUTH[0] = "Basic " + base64.b64encode(
        ("%s:%s" % (a.user, a.key)).encode()).decode()
    srv = ThreadingHTTPServer(("127.0.0.1", a.port), Handler)
    srv.daemon_threads = True
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(tmp, a.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
