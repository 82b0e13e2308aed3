"""What the fakes (tests/fake/aws.py, tests/fake/zerigo.py) share: an
HTTP/1.1 request handler that reads a request's body, answers with a
sized body, and hands GET, POST and PUT to the fake's route(method).
Python standard library only; imported from the fake's own folder."""
from http.server import BaseHTTPRequestHandler


class Handler(BaseHTTPRequestHandler):
    """A keep-alive handler; a fake sets CTYPE and defines route()."""
    protocol_version = "HTTP/1.1"
    CTYPE = "text/xml"  # the Content-Type of a reply that names none

    def reply(self, status, body="", ctype=None, headers=()):
        """Send STATUS with BODY (str or bytes) and its length."""
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype or self.CTYPE)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        """The request's body (Content-Length bytes), b"" without one."""
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_PUT(self):
        self.route("PUT")
