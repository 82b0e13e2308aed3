#!/bin/bash
# The dns conformance suite (tests/conformance/dns.sh) on dns "rfc2136" with Knot (knotd).
DNS_SERVER=knotd exec bash "$TOP_SRCDIR/tests/conformance/dns.sh" "$TOP_SRCDIR/tests/conformance/rfc2136.sh"
