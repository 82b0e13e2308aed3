#!/usr/bin/python3
"""A fake AWS for the tests, on 127.0.0.1 (a free port, written to
--port-file): the EC2 Query API (DescribeInstances), Route 53 (REST XML),
STS AssumeRole and instance metadata (IMDSv2).

Accounts and regions: a key belongs to an account (the state's "account",
default 000000000000, or the role's for AssumeRole's keys); an instance
with "account" or "region" is seen only by that account and in that
region (the signing region; the state's "region", when set, is that of
the instances that name none).  "roles": {ARN: {"external_id", "ttl",
"trust": [ACCOUNT...]}} are the roles AssumeRole grants; their keys
expire (ExpiredToken) after min(DurationSeconds, ttl).  "down_regions":
[REGION...] makes EC2 answer 503 there.

Every signed request is checked by recomputing its SigV4 signature with
botocore's signer over the request as received (same X-Amz-Date, only the
headers it names as signed); a mismatch gets the service's real error
document (SignatureDoesNotMatch, 403).

State comes from a JSON file (--state): "zones": [{"id", "name", "private",
"records": [...]}], several may share a name (a public and a private one;
the fake's DNS server answers for public zones only).  Faults are queued by --fault
SERVICE:KIND[:COUNT[:SECONDS]] or POST /_fake/fault {"service", "kind",
"count", "delay"} (POST /_fake/clear drops them), with KIND one of Throttling, RequestLimitExceeded,
429, 503, 500, slow (answered late), silent (never answered), malformed.  GET /_fake/stats gives counters.
POST /_fake/instances {"add": [INSTANCE...], "terminate": [ID...],
"tags": {ID: {TAG: VALUE}}} changes a few instances in place of sending
the whole list again (the benchmarks' 100,000).
"""
import argparse
import hashlib
import json
import re
import secrets
import sys
import threading
import time
import urllib.parse
from datetime import datetime, timezone
from http.server import ThreadingHTTPServer
from xml.sax.saxutils import escape

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import fakehttp

EC2_NS = "http://ec2.amazonaws.com/doc/2016-11-15/"
R53_NS = "https://route53.amazonaws.com/doc/2013-04-01/"
SIG_MSG = ("The request signature we calculated does not match the "
           "signature you provided. Check your AWS Secret Access Key and "
           "signing method. Consult the service documentation for details.")

lock = threading.Lock()
S = {}          # state
KEYS = {}       # access key id -> (secret, token or None)
KEY_ACCOUNT = {}  # access key id -> account (AssumeRole's keys)
KEY_EXPIRES = {}  # access key id -> time.time() it expires
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
TOKENS = {}     # IMDS token -> expiry (time.time())
FAULTS = []     # [{"service", "kind", "count", "delay"}]
STATS = {"r53_ops": {}, "ec2": 0, "route53": 0, "token_put": 0,
         "imds_get": 0,
         "imds_401": 0, "sig_fail": 0, "role_creds": 0, "faults": 0,
         "get_change": 0, "connections": 0, "throttled": 0,
         "dns_queries": 0, "get_zone": 0, "assume_role": 0,
         "assume_role_denied": 0, "expired": 0, "zones_by_name": 0}
DNS_PORT = [0]  # the fake's DNS server (UDP and TCP), once started


class Bucket:
    """Route 53's account-wide quota: `rate` requests a second (a token
    bucket of `rate` tokens refilled continuously); past it, Throttling,
    as AWS answers."""

    def __init__(self):
        self.tokens, self.last = None, time.monotonic()

    def take(self, rate):
        now = time.monotonic()
        if self.tokens is None:
            self.tokens = float(rate)
        self.tokens = min(float(rate), self.tokens + (now - self.last) * rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


R53_BUCKET = Bucket()
CHANGES = {}    # change id -> GetChange calls left before INSYNC
GENERATED = False  # --instances given
FILTERED = {}   # (list, length, filters) -> instances, when GENERATED


def rid():
    return "%08x-%04x-%04x-%04x-%012x" % tuple(
        secrets.randbits(b) for b in (32, 16, 16, 16, 48))


def ec2_error(code, msg):
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors>'
            '<Error><Code>%s</Code><Message>%s</Message></Error></Errors>'
            '<RequestID>%s</RequestID></Response>' % (code, escape(msg), rid()))


def r53_error(code, msg, typ="Sender"):
    return ('<?xml version="1.0"?>\n<ErrorResponse xmlns="%s"><Error>'
            '<Type>%s</Type><Code>%s</Code><Message>%s</Message></Error>'
            '<RequestId>%s</RequestId></ErrorResponse>'
            % (R53_NS, typ, code, escape(msg), rid()))


def sts_error(code, msg):
    return ('<?xml version="1.0"?>\n<ErrorResponse xmlns="%s"><Error>'
            '<Type>Sender</Type><Code>%s</Code><Message>%s</Message>'
            '</Error><RequestId>%s</RequestId></ErrorResponse>'
            % (STS_NS, code, escape(msg), rid()))


def take_fault(service):
    with lock:
        for f in FAULTS:
            if f["service"] in (service, "any") and f["count"] > 0:
                f["count"] -= 1
                STATS["faults"] += 1
                return dict(f)
    return None


class Handler(fakehttp.Handler):
    def setup(self):
        # One per TCP connection: a client that keeps its connection
        # open makes many requests on one.
        super().setup()
        with lock:
            STATS["connections"] += 1

    def log_message(self, fmt, *args):
        if ARGS.verbose:
            sys.stderr.write("fake-aws: " + (fmt % args) + "\n")

    def route(self, method):
        data = self.body()
        path = urllib.parse.urlsplit(self.path).path
        if path.startswith("/_fake/"):
            return self.control(method, path, data)
        if path.startswith("/latest/"):
            return self.imds(method, path)
        if path.startswith("/2013-04-01/"):
            return self.route53(method, data)
        if method == "POST" and path == "/":
            form = dict(urllib.parse.parse_qsl(data.decode(errors="replace")))
            if form.get("Action") == "AssumeRole":
                return self.sts(data, form)
            return self.ec2(data)
        self.reply(404, "not found", "text/plain")

    # ---- control ----
    def control(self, method, path, data):
        if path == "/_fake/stats":
            with lock:
                return self.reply(200, json.dumps(STATS), "application/json")
        if path == "/_fake/fault" and method == "POST":
            f = json.loads(data)
            f.setdefault("count", 1)
            f.setdefault("delay", 0)
            with lock:
                FAULTS.append(f)
            return self.reply(200, "{}", "application/json")
        if path == "/_fake/clear" and method == "POST":
            with lock:
                FAULTS.clear()
            return self.reply(200, "{}", "application/json")
        if path == "/_fake/imds" and method == "POST":
            with lock:
                S.setdefault("imds", {}).update(json.loads(data))
            return self.reply(200, "{}", "application/json")
        if path == "/_fake/state" and method == "POST":
            with lock:
                S.update(json.loads(data))
            return self.reply(200, "{}", "application/json")
        if path == "/_fake/instances" and method == "POST":
            ch = json.loads(data)
            gone = set(ch.get("terminate", []))
            tags = ch.get("tags", {})
            with lock:
                insts = []  # a new list: the filter cache sees the change
                for x in S.get("instances", []):
                    if x["id"] in gone:
                        continue
                    if x["id"] in tags:
                        x = {k: v for k, v in x.items() if k != "_xml"}
                        x["tags"] = dict(x.get("tags", {}), **tags[x["id"]])
                    insts.append(x)
                insts.extend(ch.get("add", []))
                S["instances"] = insts
            return self.reply(200, "{}", "application/json")
        if path == "/_fake/records":
            with lock:
                return self.reply(200, json.dumps(S.get("zones", [])),
                                  "application/json")
        self.reply(404, "no such control", "text/plain")

    # ---- instance metadata ----
    def imds(self, method, path):
        m = S.setdefault("imds", {})
        if method == "PUT" and path == "/latest/api/token":
            with lock:
                STATS["token_put"] += 1
            if "X-Forwarded-For" in self.headers:
                return self.reply(403, "Forbidden", "text/plain")
            if m.get("put_status"):
                return self.reply(m["put_status"], "refused", "text/plain")
            ttl = self.headers.get("X-aws-ec2-metadata-token-ttl-seconds")
            if not ttl or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.reply(400, "Bad Request", "text/plain")
            ttl = min(int(ttl), m.get("token_ttl_cap") or 21600)
            tok = "AQAE" + secrets.token_urlsafe(40)
            with lock:
                TOKENS[tok] = time.time() + ttl
            return self.reply(200, tok, "text/plain",
                              [("X-aws-ec2-metadata-token-ttl-seconds",
                                str(ttl))])
        if method != "GET":
            return self.reply(405, "Method Not Allowed", "text/plain")
        with lock:
            STATS["imds_get"] += 1
        tok = self.headers.get("X-aws-ec2-metadata-token")
        if tok is not None or not m.get("v1"):
            with lock:
                ok = tok in TOKENS and TOKENS[tok] > time.time()
                if not ok:
                    STATS["imds_401"] += 1
            if not ok:
                return self.reply(401, "Unauthorized", "text/plain")
        md = "/latest/meta-data/"
        mac = m.get("mac", "0e:00:00:00:00:01")
        simple = {
            md + "public-ipv4": m.get("public-ipv4"),
            md + "local-ipv4": m.get("local-ipv4"),
            md + "mac": mac,
            md + "placement/region": m.get("region"),
            md + "instance-id": m.get("instance-id", "i-0fake"),
            md + "network/interfaces/macs/%s/ipv6s" % mac:
                "\n".join(m.get("ipv6s", [])) or None,
        }
        role = m.get("role")
        creds = md + "iam/security-credentials/"
        if role and path == creds:
            return self.reply(200, role, "text/plain")
        if role and path == creds + role:
            with lock:
                STATS["role_creds"] += 1
                n = STATS["role_creds"]
                akid = "ASIAROLE%04d" % n
                secret = "rolesecret%d" % n
                token = "roletoken%d/+=" % n
                KEYS[akid] = (secret, token)
            exp = datetime.fromtimestamp(time.time() + m.get("role_ttl", 3600),
                                         timezone.utc)
            doc = {"Code": "Success", "LastUpdated": "2026-01-01T00:00:00Z",
                   "Type": "AWS-HMAC", "AccessKeyId": akid,
                   "SecretAccessKey": secret, "Token": token,
                   "Expiration": exp.strftime("%Y-%m-%dT%H:%M:%SZ")}
            return self.reply(200, json.dumps(doc, indent=2), "text/plain")
        val = simple.get(path)
        if val is None:
            return self.reply(404, "Not Found", "text/plain")
        return self.reply(200, val, "text/plain")

    # ---- SigV4 check with botocore ----
    def verify(self, data, service, error):
        """None if the signature is right, else the reply already sent."""
        auth = self.headers.get("Authorization", "")
        m = re.fullmatch(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/"
                         r"([^/]+)/([^/]+)/aws4_request, SignedHeaders="
                         r"([^,]+), Signature=([0-9a-f]{64})", auth)
        if not m:
            return self.reply(403, error("IncompleteSignature",
                                         "Authorization header malformed"))
        akid, day, region, svc, signed, sig = m.groups()
        with lock:
            key = KEYS.get(akid)
        if not key:
            code = ("AuthFailure" if service == "ec2"
                    else "InvalidClientTokenId")
            return self.reply(401 if service == "ec2" else 403, error(
                code, "AWS was not able to validate the provided access "
                "credentials"))
        secret, token = key
        if token and self.headers.get("X-Amz-Security-Token") != token:
            return self.reply(403, error(
                "InvalidClientTokenId" if service != "ec2" else "AuthFailure",
                "The security token included in the request is invalid."))
        with lock:
            expires = KEY_EXPIRES.get(akid)
        if expires and time.time() > expires:
            with lock:
                STATS["expired"] += 1
            return self.reply(403 if service != "ec2" else 400, error(
                "ExpiredToken" if service != "ec2" else "RequestExpired",
                "The security token included in the request is expired"))
        date = self.headers.get("X-Amz-Date", "")
        try:
            when = datetime.strptime(date, "%Y%m%dT%H%M%SZ").replace(
                tzinfo=timezone.utc).timestamp()
        except ValueError:
            return self.reply(403, error("IncompleteSignature",
                                         "bad X-Amz-Date"))
        if abs(when - time.time()) > 900:
            return self.reply(403, error("RequestExpired",
                                         "Request has expired."))
        headers = {}
        for name in signed.split(";"):
            vals = self.headers.get_all(name)
            if vals is None:
                return self.fail_sig(error, "signed header %s absent" % name)
            headers[name] = ",".join(" ".join(v.split()) for v in vals)
        req = AWSRequest(method=self.command,
                         url="http://%s%s" % (self.headers["Host"], self.path),
                         headers=headers, data=data)
        signer = SigV4Auth(Credentials(akid, secret, token), svc, region)
        req.context["timestamp"] = date
        creq = signer.canonical_request(req)
        want = signer.signature(signer.string_to_sign(req, creq), req)
        if svc != service or day != date[:8] or want != sig:
            return self.fail_sig(error, creq)
        with lock:
            self.account = KEY_ACCOUNT.get(akid, S.get("account",
                                                      "000000000000"))
        self.region = region
        return None

    def fail_sig(self, error, why):
        with lock:
            STATS["sig_fail"] += 1
        if ARGS.verbose:
            sys.stderr.write("fake-aws: signature mismatch; canonical "
                             "request:\n%s\n" % why)
        return self.reply(403, error("SignatureDoesNotMatch", SIG_MSG)) or True

    def fault(self, service, error, body_ok):
        f = take_fault(service)
        if not f:
            return False
        k = f["kind"]
        if k == "slow":
            time.sleep(float(f["delay"]))
            return False
        if k == "silent":
            # taken, never answered nor applied: the connection is
            # dropped after `delay`
            time.sleep(float(f["delay"]))
            self.close_connection = True
            return True
        if k in ("Throttling", "RequestLimitExceeded"):
            self.reply(400 if service == "ec2" or k == "Throttling" else 400,
                       error(k, "Rate exceeded"))
        elif k == "429":
            self.reply(429, error("TooManyRequestsException",
                                  "Too Many Requests"))
        elif k == "503":
            self.reply(503, error("ServiceUnavailable",
                                  "Service Unavailable"))
        elif k == "500":
            self.reply(500, error("InternalError",
                                  "An internal error has occurred"))
        elif k == "malformed":
            self.reply(200, body_ok[: len(body_ok) // 2] + "<<&>")
        return True

    # ---- STS ----
    def sts(self, data, p):
        with lock:
            STATS["assume_role"] += 1
        if self.verify(data, "sts", sts_error):
            return
        arn = p.get("RoleArn", "")
        if p.get("Version") != "2011-06-15":
            return self.reply(400, sts_error("InvalidAction", "bad Version"))
        name = p.get("RoleSessionName", "")
        if not re.fullmatch(r"[\w+=,.@-]{2,64}", name):
            return self.reply(400, sts_error(
                "ValidationError", "1 validation error detected: Value at "
                "'roleSessionName' failed to satisfy constraint"))
        dur = int(p.get("DurationSeconds") or 3600)
        if not 900 <= dur <= 43200:
            return self.reply(400, sts_error(
                "ValidationError", "DurationSeconds out of range"))
        role = S.get("roles", {}).get(arn)
        denied = (role is None or
                  role.get("external_id") != p.get("ExternalId") or
                  ("trust" in role and self.account not in role["trust"]))
        if denied:
            with lock:
                STATS["assume_role_denied"] += 1
            return self.reply(403, sts_error(
                "AccessDenied", "User: arn:aws:iam::%s:user/test is not "
                "authorized to perform: sts:AssumeRole on resource: %s"
                % (self.account, arn)))
        account = arn.split(":")[4]
        ttl = min(dur, role.get("ttl", dur))
        with lock:
            n = STATS["assume_role"]
            akid = "ASIASTS%08d" % n
            secret = "stssecret%d" % n
            token = "ststoken%d/+=" % n
            KEYS[akid] = (secret, token)
            KEY_ACCOUNT[akid] = account
            KEY_EXPIRES[akid] = time.time() + ttl
        exp = datetime.fromtimestamp(time.time() + ttl, timezone.utc)
        xml = ('<AssumeRoleResponse xmlns="%s"><AssumeRoleResult>'
               '<SourceIdentity/><AssumedRoleUser><AssumedRoleId>AROAFAKE:%s'
               '</AssumedRoleId><Arn>arn:aws:sts::%s:assumed-role/%s/%s</Arn>'
               '</AssumedRoleUser><Credentials><AccessKeyId>%s</AccessKeyId>'
               '<SecretAccessKey>%s</SecretAccessKey><SessionToken>%s'
               '</SessionToken><Expiration>%s</Expiration></Credentials>'
               '</AssumeRoleResult><ResponseMetadata><RequestId>%s'
               '</RequestId></ResponseMetadata></AssumeRoleResponse>' % (
                   STS_NS, escape(name), account, arn.split("/")[-1],
                   escape(name), akid, secret, escape(token),
                   exp.strftime("%Y-%m-%dT%H:%M:%SZ"), rid()))
        if self.fault("sts", sts_error, xml):
            return
        self.reply(200, xml)

    # ---- EC2 ----
    def ec2(self, data):
        with lock:
            STATS["ec2"] += 1
        if self.verify(data, "ec2", ec2_error):
            return
        p = dict(urllib.parse.parse_qsl(data.decode(), keep_blank_values=True))
        if p.get("Action") != "DescribeInstances":
            return self.reply(400, ec2_error("InvalidAction", "The action %s "
                              "is not valid for this web service." %
                              p.get("Action")))
        if p.get("Version") != "2016-11-15":
            return self.reply(400, ec2_error("InvalidParameterValue",
                                             "bad Version"))
        filters = []
        i = 1
        while "Filter.%d.Name" % i in p:
            vals, j = [], 1
            while "Filter.%d.Value.%d" % (i, j) in p:
                vals.append(p["Filter.%d.Value.%d" % (i, j)])
                j += 1
            filters.append((p["Filter.%d.Name" % i], vals))
            i += 1
        if self.region in S.get("down_regions", []):
            return self.reply(503, ec2_error("Unavailable", "The service "
                                             "is unavailable. Please try "
                                             "again shortly."))
        insts = self.filtered(filters)
        start = int(p.get("NextToken", "0") or 0)
        size = S.get("page_size", 1000)
        page = insts[start:start + size]
        nxt = start + size if start + size < len(insts) else None
        xml = self.ec2_page(page, nxt)
        if self.fault("ec2", ec2_error, xml):
            return
        self.reply(200, xml)

    def filtered(self, filters):
        """The instances that pass the filters (with --instances, cached
        per filter set: paging through 100,000 stays linear)."""
        key = (id(S.get("instances")), len(S.get("instances", [])),
               repr(filters), self.account, self.region)
        if GENERATED and key in FILTERED:
            return FILTERED[key]
        dflt = S.get("account", "000000000000")
        insts = [x for x in S.get("instances", [])
                 if x.get("account", dflt) == self.account and
                 x.get("region", S.get("region", self.region)) ==
                 self.region and
                 all(self.match(x, n, v) for n, v in filters)]
        if GENERATED:
            FILTERED.clear()
            FILTERED[key] = insts
        return insts

    @staticmethod
    def match(inst, name, vals):
        if name.startswith("tag:"):
            return inst.get("tags", {}).get(name[4:]) in vals
        if name == "instance-state-name":
            return inst.get("state", "running") in vals
        if name == "instance-id":
            return inst["id"] in vals
        return True

    @staticmethod
    def ec2_page(page, nxt):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
               '<DescribeInstancesResponse xmlns="%s"><requestId>%s'
               '</requestId><reservationSet>' % (EC2_NS, rid())]
        for x in page:
            e = lambda k, v: "<%s>%s</%s>" % (k, escape(v), k) if v else ""
            tags = "".join("<item><key>%s</key><value>%s</value></item>" %
                           (escape(k), escape(v))
                           for k, v in x.get("tags", {}).items())
            v6 = "".join("<item><ipv6Address>%s</ipv6Address></item>" % a
                         for a in x.get("ipv6", []))
            out.append(
                "<item><reservationId>r-%s</reservationId><ownerId>1234"
                "</ownerId><groupSet/><instancesSet><item>" % x["id"][2:] +
                e("instanceId", x["id"]) + e("imageId", x.get("image", "ami-1")) +
                "<instanceState><code>16</code>%s</instanceState>" %
                e("name", x.get("state", "running")) +
                e("privateDnsName", x.get("private_dns")) +
                e("dnsName", x.get("public_dns")) +
                e("keyName", x.get("key_name")) +
                e("instanceType", x.get("type", "t3.micro")) +
                "<placement>%s<tenancy>default</tenancy></placement>" %
                e("availabilityZone", x.get("az", "us-east-1a")) +
                e("subnetId", x.get("subnet")) + e("vpcId", x.get("vpc")) +
                e("privateIpAddress", x.get("private_ip")) +
                e("ipAddress", x.get("public_ip")) +
                "<tagSet>%s</tagSet>" % tags +
                "<networkInterfaceSet><item><networkInterfaceId>eni-1"
                "</networkInterfaceId><attachment><deviceIndex>0"
                "</deviceIndex></attachment>%s<privateIpAddressesSet><item>"
                "%s<primary>true</primary></item></privateIpAddressesSet>"
                "<ipv6AddressesSet>%s</ipv6AddressesSet></item>"
                "</networkInterfaceSet>" % (
                    e("privateIpAddress", x.get("private_ip")),
                    e("privateIpAddress", x.get("private_ip")), v6) +
                "</item></instancesSet></item>")
        out.append("</reservationSet>")
        if nxt is not None:
            out.append("<nextToken>%d</nextToken>" % nxt)
        out.append("</DescribeInstancesResponse>")
        return "".join(out)

    # ---- Route 53 ----
    def route53(self, method, data):
        with lock:
            STATS["route53"] += 1
        if self.verify(data, "route53", r53_error):
            return
        self.count_r53(method, data)
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        parts = u.path.rstrip("/").split("/")[2:]
        if self.fault("route53", r53_error, "<ListResourceRecordSetsResponse>"
                      "<ResourceRecordSets><ResourceRecordSet><Name>x"):
            return
        rate = S.get("r53_rate")
        if rate:
            with lock:
                ok = R53_BUCKET.take(rate)
                if not ok:
                    STATS["throttled"] += 1
            if not ok:
                return self.reply(400, r53_error("Throttling",
                                                 "Rate exceeded"))
        with lock:
            if parts == ["hostedzonesbyname"] and method == "GET":
                return self.zones_by_name(q)
            if len(parts) == 2 and parts[0] == "hostedzone" and \
                    method == "GET":
                return self.get_zone(parts[1])
            if len(parts) == 2 and parts[0] == "change":
                return self.get_change(parts[1])
            if len(parts) == 3 and parts[0] == "hostedzone" and \
                    parts[2] == "rrset":
                zone = next((z for z in S.get("zones", [])
                             if z["id"] == parts[1]), None)
                if not zone:
                    return self.reply(404, r53_error(
                        "NoSuchHostedZone", "No hosted zone found with ID: "
                        + parts[1]))
                if method == "GET":
                    return self.list_rrsets(zone, q)
                return self.change(zone, data)
        self.reply(404, r53_error("UnknownOperationException", "no such path"))

    def count_r53(self, method, data):
        """Route 53 requests by access key and kind, for the quota bench:
        "list TXT", "list A", "change TXT", "change A", "other"."""
        m = re.search(r"Credential=([^/]+)/", self.headers.get(
            "Authorization", ""))
        u = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
        if not u.path.rstrip("/").endswith("/rrset"):
            kind = "other"
        elif method == "GET":
            kind = "list " + ("TXT" if q.get("type") == "TXT" else "A")
        else:
            kind = "change " + ("TXT" if b"<Type>TXT</Type>" in (data or b"")
                                else "A")
        with lock:
            per = STATS["r53_ops"].setdefault(m.group(1) if m else "?", {})
            per[kind] = per.get(kind, 0) + 1

    def get_zone(self, zid):
        STATS["get_zone"] += 1
        zone = next((z for z in S.get("zones", []) if z["id"] == zid), None)
        if not zone:
            return self.reply(404, r53_error(
                "NoSuchHostedZone", "No hosted zone found with ID: " + zid))
        private = bool(zone.get("private"))
        # The delegation set names this fake's own DNS server (with its
        # port: a real one lists ns-N.awsdns-NN.com names).
        ns = zone.get("nameservers") or [
            "127.0.0.1:%d" % DNS_PORT[0], "127.0.0.1:%d" % DNS_PORT[0]]
        deleg = "" if private else (
            "<DelegationSet><NameServers>%s</NameServers></DelegationSet>" %
            "".join("<NameServer>%s</NameServer>" % escape(n) for n in ns))
        self.reply(200, '<?xml version="1.0"?>\n<GetHostedZoneResponse '
                   'xmlns="%s"><HostedZone><Id>/hostedzone/%s</Id><Name>%s'
                   '</Name><CallerReference>x</CallerReference><Config>'
                   '<PrivateZone>%s</PrivateZone></Config>'
                   '<ResourceRecordSetCount>%d</ResourceRecordSetCount>'
                   '</HostedZone>%s</GetHostedZoneResponse>' % (
                       R53_NS, zid, zone["name"],
                       "true" if private else "false",
                       len(zone["records"]), deleg))

    @staticmethod
    def zkey(z):
        """ListHostedZonesByName's order: the name read from its last
        label ("test.example"), then the id."""
        return (".".join(reversed(z["name"].lower().rstrip(".").split("."))),
                z["id"])

    def zones_by_name(self, q):
        """From dnsname (and hostedzoneid) on, at most maxitems zones (and
        the fake's r53_page), with NextDNSName/NextHostedZoneId when
        truncated; a zone's Config/PrivateZone, as Route 53 answers.
        Several zones may share a name (a public and a private one)."""
        STATS["zones_by_name"] += 1
        dnsname, hzid = q.get("dnsname"), q.get("hostedzoneid")
        if hzid is not None and not dnsname:
            return self.reply(400, r53_error(
                "InvalidInput", "HostedZoneId requires DNSName"))
        try:
            maxitems = int(q.get("maxitems", "100"))
        except ValueError:
            maxitems = 0
        if maxitems < 1:
            return self.reply(400, r53_error(
                "InvalidInput", "maxitems must be a positive integer"))
        page = min(maxitems, 100, S.get("r53_page", 100))
        zones, more = self.marker_page(
            S.get("zones", []), self.zkey,
            self.zkey({"name": dnsname, "id": hzid or ""}) if dnsname else None,
            page)
        out = ['<?xml version="1.0"?>\n<ListHostedZonesByNameResponse '
               'xmlns="%s"><HostedZones>' % R53_NS]
        for z in zones:
            out.append("<HostedZone><Id>/hostedzone/%s</Id><Name>%s"
                       "</Name><CallerReference>x</CallerReference>"
                       "<Config><PrivateZone>%s</PrivateZone></Config>"
                       "<ResourceRecordSetCount>%d</ResourceRecordSetCount>"
                       "</HostedZone>" % (
                           z["id"], z["name"],
                           "true" if z.get("private") else "false",
                           len(z["records"])))
        out.append("</HostedZones>")
        if dnsname:
            out.append("<DNSName>%s</DNSName>" % escape(dnsname))
        if hzid:
            out.append("<HostedZoneId>%s</HostedZoneId>" % escape(hzid))
        nxt = ""
        if more:
            nxt = ("<NextDNSName>%s</NextDNSName><NextHostedZoneId>%s"
                   "</NextHostedZoneId>" % (more[0]["name"], more[0]["id"]))
        out.append(self.list_end("ListHostedZonesByNameResponse", nxt,
                                 maxitems))
        self.reply(200, "".join(out))

    @staticmethod
    def marker_page(items, key, start, n):
        """Route 53's paging by marker: the first N of ITEMS in KEY order
        from the key START (None: from the first), and the rest."""
        items = sorted(items, key=key)
        if start is not None:
            items = [x for x in items if key(x) >= start]
        return items[:n], items[n:]

    @staticmethod
    def list_end(root, nxt, maxitems):
        """The end of the Route 53 list response ROOT: IsTruncated, NXT
        (the markers of the next page, "" on the last) and MaxItems."""
        return ("<IsTruncated>%s</IsTruncated>%s<MaxItems>%d</MaxItems></%s>"
                % ("true" if nxt else "false", nxt, maxitems, root))

    @staticmethod
    def rkey(r):
        return (".".join(reversed(r["name"].rstrip(".").split("."))),
                r["type"], r.get("set_id") or "")

    def list_rrsets(self, zone, q):
        maxitems = int(q.get("maxitems", S.get("r53_page", 100)))
        maxitems = min(maxitems, S.get("r53_page", 100))
        start = None
        if "name" in q:
            start = self.rkey({"name": q["name"].lower().rstrip(".") + ".",
                               "type": q.get("type", ""),
                               "set_id": q.get("identifier")})
        page, rest = self.marker_page(zone["records"], self.rkey, start,
                                      maxitems)
        out = ['<?xml version="1.0"?>\n<ListResourceRecordSetsResponse '
               'xmlns="%s"><ResourceRecordSets>' % R53_NS]
        for r in page:
            out.append(self.rrset_xml(r))
        out.append("</ResourceRecordSets>")
        nxt = ""
        if rest:
            nxt = ("<NextRecordName>%s</NextRecordName><NextRecordType>%s"
                   "</NextRecordType>" % (rest[0]["name"], rest[0]["type"]))
            if rest[0].get("set_id"):
                nxt += ("<NextRecordIdentifier>%s</NextRecordIdentifier>"
                        % rest[0]["set_id"])
        out.append(self.list_end("ListResourceRecordSetsResponse", nxt,
                                 maxitems))
        self.reply(200, "".join(out))

    @staticmethod
    def rrset_xml(r):
        if r.get("alias"):
            return ("<ResourceRecordSet><Name>%s</Name><Type>%s</Type>"
                    "<AliasTarget><HostedZoneId>Z1</HostedZoneId><DNSName>%s"
                    "</DNSName><EvaluateTargetHealth>false"
                    "</EvaluateTargetHealth></AliasTarget>"
                    "</ResourceRecordSet>" % (r["name"], r["type"],
                                              r["alias"]))
        sid = ("<SetIdentifier>%s</SetIdentifier><Weight>1</Weight>" %
               r["set_id"]) if r.get("set_id") else ""
        vals = "".join("<ResourceRecord><Value>%s</Value></ResourceRecord>" %
                       escape(v) for v in r["values"])
        return ("<ResourceRecordSet><Name>%s</Name><Type>%s</Type>%s<TTL>%d"
                "</TTL><ResourceRecords>%s</ResourceRecords>"
                "</ResourceRecordSet>" % (r["name"], r["type"], sid, r["ttl"],
                                          vals))

    def change(self, zone, data):
        import xml.etree.ElementTree as ET
        try:
            root = ET.fromstring(data)
        except ET.ParseError as e:
            return self.reply(400, r53_error("InvalidInput", str(e)))
        ns = "{%s}" % R53_NS
        recs = [dict(r) for r in zone["records"]]
        errors = []
        changes = root.findall(".//%sChange" % ns)
        if not changes:
            return self.reply(400, r53_error("InvalidInput", "no changes"))
        for ch in changes:
            action = ch.findtext(ns + "Action")
            rs = ch.find(ns + "ResourceRecordSet")
            r = {"name": rs.findtext(ns + "Name").lower().rstrip(".") + ".",
                 "type": rs.findtext(ns + "Type"),
                 "ttl": int(rs.findtext(ns + "TTL") or 0),
                 "set_id": rs.findtext(ns + "SetIdentifier"),
                 "values": [v.text for v in rs.iter(ns + "Value")]}
            desc = "[name='%s', type='%s'%s]" % (
                r["name"], r["type"],
                ", set-identifier='%s'" % r["set_id"] if r["set_id"] else "")
            cur = next((x for x in recs if self.rkey(x) == self.rkey(r)), None)
            if action == "CREATE":
                if cur:
                    errors.append("Tried to create resource record set %s "
                                  "but it already exists" % desc)
                else:
                    recs.append(r)
            elif action == "DELETE":
                if not cur:
                    errors.append("Tried to delete resource record set %s "
                                  "but it was not found" % desc)
                elif cur["ttl"] != r["ttl"] or \
                        sorted(cur["values"]) != sorted(r["values"]):
                    errors.append("Tried to delete resource record set %s "
                                  "but the values provided do not match the "
                                  "current values" % desc)
                else:
                    recs.remove(cur)
            elif action == "UPSERT":
                if cur:
                    recs.remove(cur)
                recs.append(r)
            else:
                return self.reply(400, r53_error("InvalidInput",
                                                 "bad Action %s" % action))
            if action != "DELETE":
                errors += self.invalid(recs, r, zone)
        if errors:
            if len(errors) == 1:
                # what Route 53 sends for one problem
                return self.reply(400, r53_error("InvalidChangeBatch",
                                                 errors[0]))
            msgs = "".join("<Message>%s</Message>" % escape(m) for m in errors)
            return self.reply(400, '<?xml version="1.0"?>\n<InvalidChangeBatch'
                              ' xmlns="%s"><Messages>%s</Messages><RequestId>'
                              '%s</RequestId></InvalidChangeBatch>'
                              % (R53_NS, msgs, rid()))
        zone["records"] = recs
        cid = "C%010d" % (len(CHANGES) + 1)
        CHANGES[cid] = S.get("insync_after", 1)
        self.reply(200, self.change_info(cid, "PENDING",
                                         "ChangeResourceRecordSetsResponse"))

    @staticmethod
    def invalid(recs, r, zone):
        """Route 53's checks of a set created: values, CNAME exclusivity."""
        import ipaddress
        out = []
        if r["type"] == "TXT":
            for v in r["values"]:
                why = txt_invalid(v)
                if why:
                    out.append("Invalid Resource Record: 'FATAL problem: %s "
                               "encountered with '%s''" % (why, v))
        for v in r["values"]:
            try:
                if r["type"] == "A":
                    ipaddress.IPv4Address(v)
                elif r["type"] == "AAAA":
                    ipaddress.IPv6Address(v)
            except ValueError:
                out.append("Invalid Resource Record: 'FATAL problem: %s "
                           "(Value is not a valid %s address) encountered "
                           "with '%s''" % (
                               "ARRDATAIllegalIPv4Address" if r["type"] == "A"
                               else "AAAARRDATAIllegalIPv6Address",
                               "IPv4" if r["type"] == "A" else "IPv6", v))
        others = [x for x in recs if x["name"] == r["name"] and x is not r]
        if others and (r["type"] == "CNAME" or
                       any(x["type"] == "CNAME" for x in others)):
            out.append("RRSet of type %s with DNS name %s is not permitted "
                       "as it conflicts with other records with the same "
                       "DNS name in zone %s" % (r["type"], r["name"],
                                                zone["name"]))
        return out

    def get_change(self, cid):
        STATS["get_change"] += 1
        if cid not in CHANGES:
            return self.reply(404, r53_error("NoSuchChange",
                                             "No change found: " + cid))
        CHANGES[cid] -= 1
        status = "INSYNC" if CHANGES[cid] < 0 else "PENDING"
        self.reply(200, self.change_info(cid, status, "GetChangeResponse"))

    @staticmethod
    def change_info(cid, status, root):
        return ('<?xml version="1.0"?>\n<%s xmlns="%s"><ChangeInfo><Id>'
                '/change/%s</Id><Status>%s</Status><SubmittedAt>'
                '2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></%s>'
                % (root, R53_NS, cid, status, root))


def generate_instances(n, domain=None):
    """--instances N: N running instances named host-NNNNNN (tag Name,
    with a Class tag), private addresses from 10.1.0.0 up, made in one go
    and rendered to XML once, so that handing out 100,000 costs the fake
    little (the benchmark measures the server, not the fake)."""
    global GENERATED
    GENERATED = True
    width = max(6, len(str(n - 1)))
    insts = []
    for i in range(n):
        a = 65536 + i
        insts.append({
            "id": "i-%017x" % (0x10000000 + i),
            "private_ip": "10.%d.%d.%d" % (a >> 16, (a >> 8) & 255, a & 255),
            "tags": {"Name": "host-%0*d" % (width, i),
                     "Class": "bench"},
        })
    S.setdefault("instances", []).extend(insts)
    for x in insts:
        xml = Handler.ec2_page([x], None)
        a = xml.index("<reservationSet>") + len("<reservationSet>")
        x["_xml"] = xml[a:xml.index("</reservationSet>")]
    render = Handler.ec2_page

    def ec2_page(page, nxt):
        out = ['<?xml version="1.0" encoding="UTF-8"?>\n'
               '<DescribeInstancesResponse xmlns="%s"><requestId>%s'
               '</requestId><reservationSet>' % (EC2_NS, rid())]
        for x in page:
            if "_xml" in x:
                out.append(x["_xml"])
            else:
                xml = render([x], None)
                a = xml.index("<reservationSet>") + len("<reservationSet>")
                out.append(xml[a:xml.index("</reservationSet>")])
        out.append("</reservationSet>")
        if nxt is not None:
            out.append("<nextToken>%d</nextToken>" % nxt)
        out.append("</DescribeInstancesResponse>")
        return "".join(out)
    Handler.ec2_page = staticmethod(ec2_page)


# ---- DNS: the zones' records, answered authoritatively ----
def txt_invalid(v):
    """Route 53's check of a TXT value: one or more character-strings,
    each enclosed in quotation marks ('\\"' and '\\\\' escaped, '\\DDD' an
    octal code), each at most 255 bytes, separated by spaces.  None if
    valid, else its reason as Route 53 words it."""
    i, n = 0, 0
    while i < len(v):
        if v[i] == " ":
            i += 1
            continue
        if v[i] != '"':
            return ("InvalidCharacterString (Value should be enclosed in "
                    "quotation marks)")
        i += 1
        size = 0
        while i < len(v) and v[i] != '"':
            if v[i] == "\\":
                if v[i + 1:i + 4].isdigit() and len(v[i + 1:i + 4]) == 3:
                    i += 3
                else:
                    i += 1
                if i >= len(v):
                    break
            size += 1
            i += 1
        if i >= len(v):
            return ("InvalidCharacterString (Value should be enclosed in "
                    "quotation marks)")
        if size > 255:
            return "CharacterStringTooLong (Value is too long)"
        i += 1
        n += 1
    if n == 0:
        return ("InvalidCharacterString (Value should be enclosed in "
                "quotation marks)")
    return None


def dns_answer(wire):
    import dns.flags
    import dns.message
    import dns.rcode
    import dns.rdatatype
    import dns.rrset
    try:
        q = dns.message.from_wire(wire)
    except Exception:
        return None
    r = dns.message.make_response(q)
    r.flags &= ~dns.flags.RA
    if len(q.question) != 1:
        r.set_rcode(dns.rcode.FORMERR)
        return r.to_wire()
    qn = q.question[0].name.to_text().lower()
    qt = dns.rdatatype.to_text(q.question[0].rdtype)
    with lock:
        STATS["dns_queries"] += 1
        if S.get("dns_silent"):
            return None
        # A private zone is not on the public name servers.
        zones = [z for z in S.get("zones", []) if not z.get("private") and
                 (qn == z["name"] or qn.endswith("." + z["name"]))]
        if not zones:
            r.set_rcode(dns.rcode.REFUSED)
            return r.to_wire()
        zone = max(zones, key=lambda z: len(z["name"]))
        recs = [x for x in zone["records"] if x["name"] == qn]
    r.flags |= dns.flags.AA
    if not recs:
        r.set_rcode(dns.rcode.NXDOMAIN)
    cname = [x for x in recs if x["type"] == "CNAME"]
    for x in (cname or [x for x in recs if x["type"] == qt]):
        if x.get("alias"):
            continue
        r.answer.append(dns.rrset.from_text_list(
            qn, x["ttl"], "IN", x["type"], x["values"]))
    return r.to_wire()


def serve_dns():
    import socket
    import socketserver

    class UDP(socketserver.BaseRequestHandler):
        def handle(self):
            data, sock = self.request
            out = dns_answer(data)
            if out:
                sock.sendto(out, self.client_address)

    class TCP(socketserver.BaseRequestHandler):
        def handle(self):
            c = self.request
            while True:
                hdr = c.recv(2)
                if len(hdr) < 2:
                    return
                n = int.from_bytes(hdr, "big")
                data = b""
                while len(data) < n:
                    more = c.recv(n - len(data))
                    if not more:
                        return
                    data += more
                out = dns_answer(data)
                if out:
                    c.sendall(len(out).to_bytes(2, "big") + out)

    class UDPServer(socketserver.ThreadingMixIn, socketserver.UDPServer):
        daemon_threads = True

    class TCPServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
        daemon_threads = True
        allow_reuse_address = True

    for _ in range(50):
        u = UDPServer(("127.0.0.1", 0), UDP)
        port = u.server_address[1]
        try:
            t = TCPServer(("127.0.0.1", port), TCP)
            break
        except OSError:
            u.server_close()
    else:
        raise SystemExit("fake-aws: no port free for UDP and TCP")
    DNS_PORT[0] = port
    for srv in (u, t):
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    return port


def main():
    global ARGS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--state", help="JSON state file")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--port", type=int, default=0,
                    help="HTTP port (default: any free one)")
    ap.add_argument("--dns-port-file",
                    help="also answer DNS for the zones (UDP and TCP); the "
                    "port is written here")
    ap.add_argument("--fault", action="append", default=[])
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--instances", type=int, default=0,
                    help="add N generated instances (benchmarks)")
    ARGS = ap.parse_args()
    if ARGS.state:
        with open(ARGS.state) as f:
            S.update(json.load(f))
    if ARGS.instances > 0:
        generate_instances(ARGS.instances)
    for k, v in S.get("keys", {}).items():
        KEYS[k] = (v, None) if isinstance(v, str) else tuple(v)
    for spec in ARGS.fault:
        p = spec.split(":")
        FAULTS.append({"service": p[0], "kind": p[1],
                       "count": int(p[2]) if len(p) > 2 else 1,
                       "delay": float(p[3]) if len(p) > 3 else 0})
    if ARGS.dns_port_file:
        port = serve_dns()
        with open(ARGS.dns_port_file + ".tmp", "w") as f:
            f.write("%d\n" % port)
        import os
        os.rename(ARGS.dns_port_file + ".tmp", ARGS.dns_port_file)
    ThreadingHTTPServer.allow_reuse_address = True
    srv = ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    srv.request_queue_size = 256
    with open(ARGS.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    import os
    os.rename(ARGS.port_file + ".tmp", ARGS.port_file)
    srv.serve_forever()


if __name__ == "__main__":
    main()
