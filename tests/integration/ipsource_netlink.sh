#!/bin/bash
# ipsource "netlink" inside a network namespace of its own, on interfaces
# carrying global, link-local, secondary, deprecated and tentative
# addresses: each option selects what it should, in the documented order
# (scope, preferred, primary, interface index, address).  Also ipsource
# "static" through --try.  Needs root (skips otherwise).
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd ip
NS=$(make_netns nl) || exit $?
# make_netns ran in a subshell, so its own on_exit was lost: again here.
on_exit "ip netns del $NS"
nsip() { ip -n "$NS" "$@" || fail "ip $*"; }

# An interface that is up with carrier: dummy if the kernel has it, else
# one end of a veth pair whose other end is up too.  No automatic
# link-local address, so the test knows every address there is.
mkif() {
	if ! ip -n "$NS" link add "$1" type dummy 2>/dev/null; then
		nsip link add "$1" type veth peer name "$1p"
		nsip link set "$1p" addrgenmode none
		nsip link set "$1p" up
	fi
	nsip link set "$1" addrgenmode none
	nsip link set "$1" up
}

# b1 is made first, so it has the lowest interface index despite its name.
mkif b1
nsip addr add 198.51.100.7/24 dev b1          # listed first, not lowest
nsip addr add 192.0.2.20/24 dev b1
nsip addr add 2001:db8:2::20/64 dev b1 nodad
mkif a0
nsip addr add 10.1.0.10/24 dev a0             # primary
nsip addr add 10.1.0.9/24 dev a0              # secondary (same subnet), lower
nsip addr add 10.3.0.1/24 dev a0 preferred_lft 0 valid_lft forever # deprecated
nsip addr add 169.254.7.7/16 dev a0 scope link
nsip addr add 2001:db8:1::10/64 dev a0 nodad
nsip addr add 2001:db8:1::5/64 dev a0 nodad preferred_lft 0 valid_lft forever
nsip addr add fe80::a0/64 dev a0 nodad
# c2: up but without carrier (its veth peer is down), so duplicate address
# detection cannot run and its IPv6 address stays tentative.
nsip link add c2 type veth peer name c2p
nsip link set c2 addrgenmode none
nsip link set c2p addrgenmode none
nsip link set c2 up
nsip addr add 2001:db8:3::1/64 dev c2
nsip addr add 10.9.0.1/24 dev c2

# m3: many addresses, added highest first, so that the dump spans many
# netlink messages and the kernel's order is the reverse of the right one.
mkif m3
for ((i = 600; i >= 1; i--)); do
	printf 'addr add 2001:db8:9::%x/64 dev m3 nodad\n' $i
	printf 'addr add 10.99.%d.%d/16 dev m3\n' $((i / 200)) $((i % 200 + 1))
done >"$T/batch"
nsip -batch "$T/batch"

# The kernel must report what the cases rely on.
flags=$(ip -n "$NS" addr show dev a0)
assert_contains "$flags" "10.1.0.9/24 scope global secondary" "setup: secondary"
assert_contains "$flags" "10.3.0.1/24 scope global deprecated" "setup: IPv4 deprecated"
assert_contains "$flags" "2001:db8:1::5/64 scope global nodad deprecated" "setup: IPv6 deprecated"

C="$T/c.conf"
# src NAME 'options': one more instance in the config.
: >"$T/body"
src() { echo "ipsource \"$1\" { netlink { $2 } }" >>"$T/body"; }
src any ''
src a0 'interface = "a0"'
src a0_dep 'interface = "a0" allow_deprecated = true'
src a0_sec 'interface = "a0" allow_secondary = true'
src a0_all 'interface = "a0" allow_secondary = true allow_deprecated = true scope = "any"'
src dep5 'prefix = "2001:db8:1::5/128"'
src dep5_ok 'prefix = "2001:db8:1::5/128" allow_deprecated = true'
src dep4_ok 'prefix = "10.3.0.0/16" allow_deprecated = true'
src sec9 'prefix = "10.1.0.9"'
src sec9_ok 'prefix = "10.1.0.9/32" allow_secondary = true'
src net10 'prefix = "10.0.0.0/8"'
src net10_sec 'prefix = "10.1.0.0/24" allow_secondary = true'
src plist 'prefix = {"172.16.0.0/12", "10.9.0.0/16", "2001:db8:3::/48", "2001:db8:1::/48"}'
src link 'scope = "link"'
src link_a0 'scope = "link" interface = "a0"'
src host 'scope = "host"'
src anyscope 'scope = "any" interface = "a0"'
src only6 'family = "ipv6"'
src only4 'family = "ipv4" interface = "b1"'
src c2 'interface = "c2"'
src nope 'interface = "nope0"'
src many 'interface = "m3"'
src many_sec 'interface = "m3" allow_secondary = true'
src st 'prefix = "203.0.113.0/24"'
echo 'ipsource "static" { static { address = {"192.0.2.99", "2001:db8::99"} } }' >>"$T/body"
write_conf "$C" <"$T/body"

try() { # NAME FAMILY: sets $out, $rc
	out=$(ip netns exec "$NS" "$DFO" -C "$C" --try "ipsource/$1" "$2" 2>&1)
	rc=$?
}
good() { # NAME FAMILY ADDRESS
	try "$1" "$2"
	[ $rc = 0 ] || fail "$1 $2: exit $rc: $out"
	assert_contains "$out" "ipsource/$1: $3 (" "$1 $2"
	pass "$1 $2 -> $3"
}
bad() { # NAME FAMILY 'message part'...
	local name=$1 fam=$2 m
	shift 2
	try "$name" "$fam"
	[ $rc = 1 ] || fail "$name $fam: exit $rc, wanted 1: $out"
	for m; do assert_contains "$out" "$m" "$name $fam"; done
	pass "$name $fam -> ${out#*error: }"
}

# No option: global scope, lowest interface index (b1, not a0 by name),
# lowest address there (not the first listed); loopback is host scope.
good any ipv4 192.0.2.20
good any ipv6 2001:db8:2::20
# interface: primary, preferred, global; the secondary 10.1.0.9 and the
# deprecated 2001:db8:1::5 are lower but skipped.
good a0 ipv4 10.1.0.10
good a0 ipv6 2001:db8:1::10
# allow_deprecated / allow_secondary admit them, but after the others.
good a0_dep ipv6 2001:db8:1::10
good a0_sec ipv4 10.1.0.10
good a0_all ipv4 10.1.0.10
# ... and they are chosen when nothing better passes the other filters.
bad dep5 ipv6 "no usable ipv6 address (scope global)" "1 deprecated"
good dep5_ok ipv6 2001:db8:1::5
good dep4_ok ipv4 10.3.0.1
bad sec9 ipv4 "no usable ipv4 address" "1 secondary"
good sec9_ok ipv4 10.1.0.9
# prefix: one, or any of a list (mixed families allowed).
good net10 ipv4 10.1.0.10
good net10_sec ipv4 10.1.0.10
good plist ipv4 10.9.0.1
good plist ipv6 2001:db8:1::10
bad st ipv4 "no usable ipv4 address" "out of prefix"
# many: IPv6 all primary, lowest wins; IPv4 one primary (the first
# added, 10.99.3.1), the other 599 secondary.
good many ipv6 2001:db8:9::1
good many ipv4 10.99.3.1
good many_sec ipv4 10.99.3.1
# scope
good link ipv4 169.254.7.7
good link ipv6 fe80::a0
good link_a0 ipv6 fe80::a0
good host ipv4 127.0.0.1
good host ipv6 ::1
good anyscope ipv4 10.1.0.10 # global before link
# family
good only6 ipv6 2001:db8:2::20
bad only6 ipv4 "asked for an ipv4 address, but family is ipv6"
good only4 ipv4 192.0.2.20
# interface errors
bad nope ipv4 "no interface 'nope0'"
# tentative: never chosen.  The kernel must keep the address tentative
# while the link has no carrier; say so if this kernel does not.
good c2 ipv4 10.9.0.1
if ip -n "$NS" -6 addr show dev c2 | grep -q "2001:db8:3::1/64 .*tentative"; then
	bad c2 ipv6 "no usable ipv6 address on c2 (scope global)" "1 tentative"
	# Once it is no longer tentative it is chosen (re-added without DAD,
	# carrier on).
	nsip addr del 2001:db8:3::1/64 dev c2
	nsip addr add 2001:db8:3::1/64 dev c2 nodad
	nsip link set c2p up
	for ((i = 0; i < 40; i++)); do
		ip -n "$NS" -6 addr show dev c2 | grep -q tentative || break
		sleep 0.05
	done
	good c2 ipv6 2001:db8:3::1
else
	echo "SKIP (case): this kernel does not keep 2001:db8:3::1 tentative on c2"
fi

# The same answer every time (the dump order plays no part).
for i in 1 2 3; do good any ipv4 192.0.2.20 >/dev/null; done
pass "stable over runs"

# static, through --try too.
good static ipv4 192.0.2.99
good static ipv6 2001:db8::99

# Config errors name the option and the value.
cfg_error() { # 'options' 'message'
	write_conf "$T/bad.conf" <<<"ipsource \"x\" { netlink { $1 } }"
	local o
	o=$("$DFO" -C "$T/bad.conf" -t 2>&1) && fail "accepted: $1"
	assert_contains "$o" "bad.conf:2: " "$1: file:line"
	assert_contains "$o" "$2" "$1"
	pass "$1 -> $2"
}
cfg_error 'scope = "universe"' "scope 'universe' is not global, site, link, host or any"
cfg_error 'family = "ipx"' "family 'ipx' is not ipv4 or ipv6"
cfg_error 'prefix = "10.0.0.0/33"' "prefix '10.0.0.0/33' is not ADDRESS/LENGTH"
cfg_error 'prefix = "10.0.0.0/"' "prefix '10.0.0.0/' is not ADDRESS/LENGTH"
cfg_error 'prefix = "eth0"' "prefix 'eth0' is not ADDRESS/LENGTH"
cfg_error 'family = "ipv4" prefix = "2001:db8::/32"' "prefix '2001:db8::/32' is not of family ipv4"
cfg_error 'interface = "a/b"' "interface 'a/b' is not an interface name"
pass "ipsource netlink"
