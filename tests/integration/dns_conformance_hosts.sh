#!/bin/bash
# The dns conformance suite (tests/conformance/dns.sh) on dns "hosts".
exec bash "$TOP_SRCDIR/tests/conformance/dns.sh" "$TOP_SRCDIR/tests/conformance/hosts.sh"
