#!/bin/bash
# check "http" against a real nginx on loopback (IPv4 and ::1, plain and
# TLS with a CA made here) and a silent server: status codes, body, the
# Host header and TLS name the server saw, verification, the deadline.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/check.sh"
need_cmd nginx openssl
PY=/usr/bin/python3
[ -x $PY ] || skip "needs $PY"

# ---- a CA and a certificate for www.example.test, 127.0.0.1 and ::1 ----
ssl() { openssl "$@" >>"$T/openssl.log" 2>&1 || fail "openssl $1: $(tail -3 "$T/openssl.log")"; }
EC="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
ssl req -x509 $EC -keyout "$T/ca.key" -out "$T/ca.pem" -days 2 -subj "/CN=dfo test CA"
ssl req $EC -keyout "$T/srv.key" -out "$T/srv.csr" -subj "/CN=www.example.test"
printf 'subjectAltName=DNS:www.example.test,IP:127.0.0.1,IP:::1\n' >"$T/san.ext"
ssl x509 -req -in "$T/srv.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
	-CAcreateserial -out "$T/srv.pem" -days 2 -extfile "$T/san.ext"

# ---- nginx: plain on $P, TLS on $S, both on 127.0.0.1 and [::1] -------
P=$(free_port)
S=$(free_port)
mkdir -p "$T/nginx"
cat >"$T/nginx.conf" <<C
daemon off;
user root;
worker_processes 1;
pid $T/nginx.pid;
error_log $T/error.log;
events { worker_connections 64; }
http {
  client_body_temp_path $T/nginx/body;
  proxy_temp_path $T/nginx/proxy;
  fastcgi_temp_path $T/nginx/fastcgi;
  uwsgi_temp_path $T/nginx/uwsgi;
  scgi_temp_path $T/nginx/scgi;
  log_format seen '\$host \$request_method \$request_uri x-check=\$http_x_check sni=\$ssl_server_name';
  access_log $T/access.log seen;
  default_type text/plain;
  server {
    listen 127.0.0.1:$P;
    listen [::1]:$P;
    listen 127.0.0.1:$S ssl;
    listen [::1]:$S ssl;
    ssl_certificate $T/srv.pem;
    ssl_certificate_key $T/srv.key;
    location = /ok { return 200 "healthy host=\$host\n"; }
    location = /moved { return 302 /ok; }
    location = /down { return 503 "down\n"; }
  }
}
C
nginx -p "$T" -c "$T/nginx.conf" &
track $!
wait_port 127.0.0.1 "$P" 5 || fail "nginx did not start: $(cat "$T/error.log")"
wait_port 127.0.0.1 "$S" 5 || fail "nginx (TLS) did not start"

# ---- a server that accepts, reads the request and never answers -------
$PY - "$T/slow.port" "$T/slow.seen" <<'PY' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    c.recv(4096)
    open(sys.argv[2], "a").write("request\n")
    time.sleep(60)
PY
track $!
for ((i = 0; i < 100; i++)); do [ -s "$T/slow.port" ] && break; sleep 0.05; done
SLOW=$(cat "$T/slow.port") || fail "slow server did not start"

# A port nobody listens on.
CLOSED=$(free_port)

write_conf "$CONF" <<C
check "ok"       { http { port = $P path = "/ok" } }
check "ok200"    { http { port = $P path = "/ok" status = {200} expect = "healthy" } }
check "moved"    { http { port = $P path = "/moved" } }
check "moved200" { http { port = $P path = "/moved" status = {200} } }
check "follow"   { http { port = $P path = "/moved" status = {200} follow = true } }
check "down"     { http { port = $P path = "/down" } }
check "down503"  { http { port = $P path = "/down" status = {503} expect = "down" } }
check "body"     { http { port = $P path = "/ok" expect = "all good" } }
check "named"    { http { port = $P path = "/ok" host = "site.example.test"
                          expect = "host=site.example.test" } }
check "post"     { http { port = $P path = "/ok" method = "POST" body = "x=1"
                          headers = {"X-Check: dfo-42"} } }
check "url"      { http { url = "http://url.example.test:$P/ok?q=1" } }
check "closed"   { http { port = $CLOSED } }
check "slow"     { http { port = $SLOW } }
check "tls"      { http { https = true port = $S path = "/ok" ca_file = "$T/ca.pem"
                          expect = "healthy" } }
check "tls_noca" { http { https = true port = $S path = "/ok" } }
check "tls_off"  { http { https = true port = $S path = "/ok" verify = false } }
check "tls_name" { http { https = true port = $S path = "/ok" ca_file = "$T/ca.pem"
                          host = "other.example.test" } }
check "tls_url"  { http { url = "https://www.example.test:$S/ok" ca_file = "$T/ca.pem" } }
C

# last_seen: the last line of nginx's access log.
last_seen() { tail -n 1 "$T/access.log"; }
FQDN=www.example.test

healthy ok 127.0.0.1 $FQDN
assert_eq "$(last_seen)" "$FQDN GET /ok x-check=- sni=-" "Host header from the pool's FQDN"
healthy ok 127.0.0.1
assert_eq "$(last_seen)" "127.0.0.1 GET /ok x-check=- sni=-" "Host header without FQDN"
healthy ok200 127.0.0.1 $FQDN
healthy moved 127.0.0.1 $FQDN
unhealthy moved200 127.0.0.1 $FQDN -- "status 302 (want 200)"
healthy follow 127.0.0.1 $FQDN
unhealthy down 127.0.0.1 $FQDN -- "status 503 (want 200, 302)"
healthy down503 127.0.0.1 $FQDN
unhealthy body 127.0.0.1 $FQDN -- 'body mismatch: "all good" not in "healthy host=www.example.test."'
healthy named 127.0.0.1 $FQDN
assert_eq "$(last_seen)" "site.example.test GET /ok x-check=- sni=-" "host option"
healthy post 127.0.0.1 $FQDN
assert_eq "$(last_seen)" "$FQDN POST /ok x-check=dfo-42 sni=-" "method, headers"
healthy url 127.0.0.1 $FQDN
assert_eq "$(last_seen)" "url.example.test GET /ok?q=1 x-check=- sni=-" "url"
unhealthy closed 127.0.0.1 -- "connect to 127.0.0.1 port $CLOSED: Connection refused"

# The deadline: killed by the core after 1 s, the request was received.
TIMEOUT=1 unhealthy slow 127.0.0.1 $FQDN -- "timeout: timed out after 1 s"
((ms >= 900 && ms < 2500)) || fail "slow check took $ms ms, want about 1000"
grep -q request "$T/slow.seen" || fail "slow server saw no request"

# TLS: verified with the CA, rejected without it or under another name.
healthy tls 127.0.0.1 $FQDN
assert_eq "$(last_seen)" "$FQDN GET /ok x-check=- sni=$FQDN" "SNI and Host over TLS"
healthy tls 127.0.0.1 # the certificate names the address too
assert_eq "$(last_seen)" "127.0.0.1 GET /ok x-check=- sni=-" "no SNI for an address"
unhealthy tls_noca 127.0.0.1 $FQDN -- "TLS error: "
assert_contains "$out" "certificate" "TLS error names the certificate"
healthy tls_off 127.0.0.1 $FQDN
unhealthy tls_name 127.0.0.1 $FQDN -- "TLS error: "
assert_contains "$out" "other.example.test" "TLS name mismatch"
healthy tls_url 127.0.0.1 $FQDN
assert_eq "$(last_seen)" "$FQDN GET /ok x-check=- sni=$FQDN" "url over TLS"

# IPv6 on ::1, plain and TLS.
healthy ok ::1 $FQDN
assert_eq "$(last_seen)" "$FQDN GET /ok x-check=- sni=-" "Host over IPv6"
healthy ok ::1
assert_eq "$(last_seen)" "[::1] GET /ok x-check=- sni=-" "Host of an IPv6 address"
healthy tls ::1 $FQDN
assert_eq "$(last_seen)" "$FQDN GET /ok x-check=- sni=$FQDN" "SNI over IPv6"
unhealthy down ::1 $FQDN -- "status 503"
unhealthy closed ::1 -- "connect to [::1] port $CLOSED: Connection refused"

# The name is never looked up: nothing but the target address was used.
grep -q -v -e "^$FQDN " -e "^127.0.0.1 " -e "^\[::1\] " -e "^site.example.test " \
	-e "^url.example.test " "$T/access.log" && fail "unexpected Host in log"

# Config errors name the option.
bad() { # 'section body' 'message'
	rejected "$1" "$2" <<<"check \"b\" { http { $1 } }"
}
bad 'url = "http://a.test/" path = "/x"' "url replaces path, port and https"
bad 'url = "ftp://a.test/"' "not http or https"
bad 'path = "x"' "path must start with '/'"
bad 'status = {200, 42}' "status 42 is not 100..599"
bad 'headers = {"no colon"}' 'header "no colon" is not "Name: value"'
bad 'port = 70000' "port 70000 is not 1..65535"
pass "check http"
