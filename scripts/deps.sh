#!/bin/bash
# Install from Debian 12's packages what each command needs, and no more:
#   scripts/deps.sh         build dnsfailover (configure, make)
#   scripts/deps.sh demo    build, plus what scripts/demo.sh runs
#   scripts/deps.sh test    all of that, plus every tool the test suite,
#                           the sanitizer build, the fuzzers and the
#                           Debian package build use (scripts/test.sh)
#   scripts/deps.sh bench   all of that, plus bench/'s peers and load
# Recommends are not installed (--no-install-recommends): a package the
# tests need only because another package recommends it is named here.
# Idempotent; does nothing when all is there.  Retries apt on network
# errors a bounded number of times.
set -euo pipefail

# configure and make.  gcc only recommends libc6-dev.
BUILD="autoconf automake libtool libltdl-dev pkg-config make gcc libc6-dev
  libcurl4-openssl-dev libconfuse-dev libmnl-dev libldns-dev libssl-dev libexpat1-dev
  libmicrohttpd-dev"
# scripts/demo.sh: its TCP servers and port pick (python3), pkill (procps).
DEMO="python3 procps"
# scripts/test.sh.  libc6-dbg: LeakSanitizer unwinds through ld.so with
# its symbols (without them: "Direct leak of 16 byte(s) ... ld-linux").
# libclang-rt-14-dev: libFuzzer (clang only recommends it).  clang-format:
# scripts/format.sh --check (the sources' layout).  git,
# build-essential: scripts/deb-test.sh (git ls-files, dpkg-buildpackage's
# build-dependency check).
TEST="libcmocka-dev python3-botocore python3-dnspython iproute2 bind9 bind9-dnsutils
  knot knot-dnsutils faketime unbound nginx-light openssl psmisc curl nftables
  python3-prometheus-client systemd man-db clang clang-format llvm libclang-rt-14-dev libc6-dbg
  git build-essential dpkg-dev debhelper dh-autoreconf"
# bench/: the peers and load generator.
BENCH="dnsperf dnsmasq-base"

case ${1:-} in
"") list=$BUILD ;;
demo) list="$BUILD $DEMO" ;;
test) list="$BUILD $DEMO $TEST" ;;
bench) list="$BUILD $DEMO $TEST $BENCH" ;;
*) echo "usage: scripts/deps.sh [demo|test|bench]" >&2; exit 2 ;;
esac
want=""
for p in $list; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q "install ok installed" ||
		want="$want $p"
done
[ -z "$want" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "missing packages:$want (run as root to install them)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# policy-rc.d keeps Debian from starting the daemons it installs (named,
# nginx): the tests start their own on loopback.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
echo "deps.sh ${1:-build}: installing$want"
# A mirror that drops a connection is retried: by apt for each file, then
# the whole step, three times in all.
apt_retry() {
	local i
	for i in 1 2 3; do
		apt-get -o Acquire::Retries=3 "$@" && return 0
		[ $i = 3 ] || { echo "deps.sh: apt-get $1 failed, retrying in $((i * 10)) s" >&2; sleep $((i * 10)); }
	done
	echo "deps.sh: apt-get $* failed" >&2
	return 1
}
apt_retry update -qq
apt_retry install -y -qq --no-install-recommends $want >/dev/null
