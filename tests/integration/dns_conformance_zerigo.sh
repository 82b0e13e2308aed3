#!/bin/bash
# The dns conformance suite (tests/conformance/dns.sh) on dns "zerigo", against
# the fake Zerigo (tests/fake/zerigo.py).
exec bash "$TOP_SRCDIR/tests/conformance/dns.sh" "$TOP_SRCDIR/tests/conformance/zerigo.sh"
