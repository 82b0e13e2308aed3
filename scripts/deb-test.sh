#!/bin/bash
# The Debian packages: build them from a copy of this tree with
# `dpkg-buildpackage -us -uc -b`, install them with `dpkg -i` into a
# throw-away root, and from there run `dnsfailover -V`, --list-plugins,
# and the example plugin of dnsfailover-plugins(7) built out of tree
# against the installed dnsfailover-dev (pkg-config), loaded and tried.
# Slow (a full build): scripts/test.sh runs it once.  Exit 0 / 1 / 77.
set -uo pipefail
cd "$(dirname "$0")/.."
top=$PWD
fail() { echo "FAIL: deb: $*"; exit 1; }
for c in dpkg-buildpackage dh dpkg pkg-config cc; do
	command -v $c >/dev/null && continue
	# In CI (.ci/run's fresh root) a missing tool is a missing install step.
	[ "${CI:-}" = true ] && fail "no $c (scripts/deps.sh test should install it)"
	echo "SKIP: deb: no $c"
	exit 77
done
[ "$(id -u)" = 0 ] || { echo "SKIP: deb: dpkg --root needs root"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/dfo-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
t0=$(date +%s)
# The tree as git sees it (tracked and new files, no build dirs).
mkdir "$work/src"
(git ls-files -z -co --exclude-standard | tar --null -T - -cf -) | tar -C "$work/src" -xf - ||
	fail "cannot copy the tree"
(cd "$work/src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$work/build.log" 2>&1 ||
	{ tail -40 "$work/build.log"; fail "dpkg-buildpackage"; }
t1=$(date +%s)
debs=$(ls "$work"/dnsfailover_*.deb "$work"/dnsfailover-dev_*.deb 2>/dev/null)
[ "$(echo "$debs" | wc -w)" = 2 ] || fail "expected two packages, got: $(ls "$work")"
for d in $debs; do
	echo "built $(basename "$d"): $(stat -c %s "$d") bytes"
done

# Contents.
dpkg-deb -c "$work"/dnsfailover_*.deb >"$work/main.list"
dpkg-deb -c "$work"/dnsfailover-dev_*.deb >"$work/dev.list"
for f in ./usr/sbin/dnsfailover ./usr/bin/dnsfailover-aws ./lib/systemd/system/dnsfailover.service \
	./usr/share/man/man8/dnsfailover.8.gz ./usr/share/man/man5/dnsfailover.conf.5.gz \
	./usr/share/man/man1/dnsfailover-aws.1.gz ./usr/share/doc/dnsfailover/examples/dnsfailover.conf \
	/dnsfailover/dns_hosts.so /dnsfailover/check_tcp.so; do
	grep -q -- "$f" "$work/main.list" || fail "dnsfailover lacks $f"
done
for f in ./usr/include/dnsfailover/plugin.h ./usr/include/dnsfailover/metrics.h \
	/pkgconfig/dnsfailover.pc ./usr/share/man/man7/dnsfailover-plugins.7.gz; do
	grep -q -- "$f" "$work/dev.list" || fail "dnsfailover-dev lacks $f"
done

# Install into a throw-away root: its own dpkg database; the packages'
# dependencies are this machine's libraries (--force-depends), their
# scripts run outside a chroot (the root has no shell).
root=$work/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$root/var/lib/dpkg/triggers"
: >"$root/var/lib/dpkg/status"
: >"$root/var/lib/dpkg/available"
DPKG_ROOT=$root dpkg --root="$root" --log=/dev/null --force-depends \
	--force-script-chrootless --no-triggers -i $debs >"$work/dpkg.log" 2>&1 ||
	{ cat "$work/dpkg.log"; fail "dpkg -i"; }
dpkg --root="$root" -l | grep -E "^ii +dnsfailover(-dev)? " >"$work/installed"
[ "$(wc -l <"$work/installed")" = 2 ] || fail "not installed: $(dpkg --root="$root" -l)"

ma=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
export LD_LIBRARY_PATH=$root/usr/lib/$ma
plugins=$root/usr/lib/$ma/dnsfailover
dfo=$root/usr/sbin/dnsfailover
v=$("$dfo" -V) || fail "dnsfailover -V"
echo "$v"
case $v in "dnsfailover "*) ;; *) fail "-V said: $v" ;; esac
list=$(DNSFAILOVER_PLUGIN_DIR=$plugins "$dfo" --list-plugins) || fail "--list-plugins"
for p in hosts static tcp tick; do
	grep -q "^  $p " <<<"$list" || fail "--list-plugins lacks $p: $list"
done
grep -q "module: $plugins/" <<<"$list" || fail "modules not from the installed dir"
grep -q "$root" "$root/lib/systemd/system/dnsfailover.service" && fail "build paths in the unit"
grep -q "^ExecStart=/usr/sbin/dnsfailover -C /etc/dnsfailover.conf -f$" \
	"$root/lib/systemd/system/dnsfailover.service" || fail "unit paths"

# The example plugin of the installed man page, against the installed
# -dev package.
export PKG_CONFIG_PATH=$root/usr/lib/$ma/pkgconfig PKG_CONFIG_SYSROOT_DIR=$root
[ "$(pkg-config --variable=plugindir dnsfailover)" = "$plugins" ] ||
	fail "plugindir $(pkg-config --variable=plugindir dnsfailover)"
zcat "$root/usr/share/man/man7/dnsfailover-plugins.7.gz" |
	sed -n '/^\.\\" example-begin/,/^\.\\" example-end/p' | sed -e '1,2d' -e '$d' | sed '$d' \
	>"$work/check_flag.c"
grep -q DFO_MODULE "$work/check_flag.c" || fail "no example in dnsfailover-plugins(7)"
# shellcheck disable=SC2046
cc -Wall -Wextra -Werror -Wno-unused-parameter -fPIC -shared -fvisibility=hidden \
	-o "$work/check_flag.so" "$work/check_flag.c" $(pkg-config --cflags --libs dnsfailover) ||
	fail "the example plugin does not build against dnsfailover-dev"
mkdir -p "$work/plugins" "$work/maint"
ln -s "$plugins"/*.so "$work/check_flag.so" "$work/plugins/"
cat >"$work/t.conf" <<C
plugin_dir = "$work/plugins"
dns "local" { hosts { file = "$work/hosts" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "maint" { flag { dir = "$work/maint" } }
timer "t" { tick { interval = 1 timeout = 1 retries = 1 } }
pool "www" { fqdn = {"www.example.test"} dns = "local" ipsource = "me"
             check = "maint" timer = "t" }
C
# Captured, not piped into grep -q: under pipefail the early exit of
# grep -q makes the listing die of SIGPIPE and the pipeline fail.
out=$("$dfo" -C "$work/t.conf" --list-plugins) || fail "--list-plugins with the plugin"
grep -q "^  flag " <<<"$out" || fail "plugin not listed: $out"
"$dfo" -C "$work/t.conf" -t || fail "config with the plugin rejected"
touch "$work/maint/127.0.0.9"
"$dfo" -C "$work/t.conf" --try check/maint 127.0.0.2 || fail "--try: 127.0.0.2 should be healthy"
out=$("$dfo" -C "$work/t.conf" --try check/maint 127.0.0.9) && fail "--try: 127.0.0.9 flagged yet healthy"
grep -q "flagged by" <<<"$out" || fail "--try reason: $out"
echo "PASS: deb: built in $((t1 - t0)) s, installed, -V, --list-plugins, third-party plugin ($(($(date +%s) - t0)) s in all)"
