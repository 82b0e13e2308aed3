#!/bin/bash
# dfo_aws_clone (ABI 2): a thread calls DescribeInstances (3 pages a
# call) on its own clone while the main thread does on the original;
# both succeed, each keeps its libcurl handle, and the fake AWS counts one
# TCP connection per client for all their pages and calls.
. "$TOP_SRCDIR/tests/lib/common.sh"
. "$TOP_SRCDIR/tests/lib/aws.sh"

DRIVER="$TOP_BUILDDIR/tests/helpers/aws_threads"
[ -x "$DRIVER" ] || fail "no $DRIVER"
write_state "$T/state.json"   # 5 instances, 2 a page
start_fake_aws "$T/state.json"

n0=$(fake_stat ec2)
c0=$(fake_stat connections)
out=$("$DRIVER" "$FAKE" 4 2>&1) || fail "threads: $out"
c1=$(fake_stat connections)
echo "$out"
assert_contains "$out" "main ok 4 instances 5 requests 12 connections 1" "main thread: 4 calls, 12 pages, 1 connection"
assert_contains "$out" "clone ok 4 instances 5 requests 12 connections 1" "clone in a thread: 4 calls, 12 pages, 1 connection"
assert_eq "$(fake_stat ec2)" $((n0 + 24)) "24 signed requests verified by the fake"
assert_eq "$(fake_stat sig_fail)" 0 "no signature refused"
assert_eq "$c1" $((c0 + 2 + 1)) "2 connections for 24 requests (+1: the stats query)"
pass "clone in a thread, connections reused across pages and calls"

# dnsfailover-aws: every page of a call on one connection too.
aws_conf "$T/a.conf"
c0=$(fake_stat connections)
"$DFO_AWS" -C "$T/a.conf" describe-instances >/dev/null || fail "describe-instances"
c1=$(fake_stat connections)
assert_eq "$c1" $((c0 + 1 + 1)) "3 pages, 1 connection (+1: the stats query)"
pass "pages of one call share a connection"
