#!/bin/bash
# Install what dnsfailover needs to build (no argument), test (`test`) and
# benchmark (`bench`: the tests' packages and bench/'s), from Debian 12's
# packages.  Idempotent; does nothing when all is there.
set -euo pipefail

BUILD="autoconf automake libtool libltdl-dev pkg-config make gcc
  libcurl4-openssl-dev libconfuse-dev libmnl-dev libldns-dev libssl-dev libexpat1-dev
  libmicrohttpd-dev"
TEST="libcmocka-dev python3 python3-botocore python3-dnspython iproute2 bind9 bind9-dnsutils
  knot knot-dnsutils unbound nginx-light openssl procps psmisc curl nftables
  python3-prometheus-client systemd man-db clang llvm
  dpkg-dev debhelper dh-autoreconf"
# `deps.sh bench`: the peers and load generator of bench/ as well.
BENCH="dnsperf dnsmasq-base"

want=""
extra=""
[ "${1:-}" = bench ] && extra=$BENCH
for p in $BUILD ${1:+$TEST} $extra; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		want="$want $p"
done
[ -z "$want" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$want (run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d keeps Debian from starting the daemons it installs (named,
# nginx): the tests start their own on loopback.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -qq --no-install-recommends $want >/dev/null
