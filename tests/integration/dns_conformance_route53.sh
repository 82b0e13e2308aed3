#!/bin/bash
# The dns providers' conformance suite (tests/conformance/dns.sh) on dns
# "route53" against the fake AWS.
[ -f "$TOP_SRCDIR/tests/conformance/dns.sh" ] || { echo "SKIP: no tests/conformance/dns.sh yet" >&2; exit 77; }
exec bash "$TOP_SRCDIR/tests/conformance/dns.sh" "$TOP_SRCDIR/tests/conformance/route53.sh"
