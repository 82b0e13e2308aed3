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

# lintian at --pedantic: nothing but the overrides the packages carry
# (each justified in its file).
if command -v lintian >/dev/null; then
	lintian --pedantic --fail-on none -q "$work"/*.changes >"$work/lintian.log" 2>&1
	grep -E "^[EWIP]: " "$work/lintian.log" && fail "lintian --pedantic: $(wc -l <"$work/lintian.log") tag(s)"
	echo "lintian --pedantic: clean"
fi

# Contents.
dpkg-deb -c "$work"/dnsfailover_*.deb >"$work/main.list"
dpkg-deb -c "$work"/dnsfailover-dev_*.deb >"$work/dev.list"
for f in ./usr/sbin/dnsfailover ./usr/bin/dnsfailover-aws ./lib/systemd/system/dnsfailover.service \
	./usr/share/man/man8/dnsfailover.8.gz ./usr/share/man/man5/dnsfailover.conf.5.gz \
	./usr/share/man/man1/dnsfailover-aws.1.gz ./usr/share/doc/dnsfailover/examples/dnsfailover.conf \
	/dnsfailover/dns_hosts.so /dnsfailover/check_tcp.so; do
	grep -q -- "$f" "$work/main.list" || fail "dnsfailover lacks $f"
done
# Issue 18: the config a conffile; no shared library in a package not
# named after its soname; a copyright notice; awsdns(8) once doc/ has it.
dpkg-deb -e "$work"/dnsfailover_*.deb "$work/ctl"
grep -qx /etc/dnsfailover/dnsfailover.conf "$work/ctl/conffiles" 2>/dev/null ||
	fail "/etc/dnsfailover/dnsfailover.conf not a conffile: $(cat "$work/ctl/conffiles" 2>&1)"
grep -q "libdnsfailover\.so" "$work/main.list" "$work/dev.list" &&
	fail "libdnsfailover shipped outside a libdnsfailover1 package"
dpkg-deb --fsys-tarfile "$work"/dnsfailover_*.deb |
	tar -xOf - ./usr/share/doc/dnsfailover/copyright >"$work/copyright"
grep -Eq "^Copyright: [0-9]{4} " "$work/copyright" || fail "debian/copyright has no notice"
if [ -f doc/awsdns.8.in ] || [ -f doc/awsdns.8 ]; then
	grep -q ./usr/share/man/man8/awsdns.8.gz "$work/main.list" || fail "no awsdns(8)"
else
	echo "TODO: no awsdns(8) in doc/ yet"
fi
# Stopped on remove: prerm stops the unit (debhelper adds no stop for a
# unit it never starts).
grep -A2 '"$1" = remove' "$work/ctl/prerm" | grep -q "deb-systemd-invoke stop dnsfailover.service" ||
	fail "prerm does not stop the service on remove: $(cat "$work/ctl/prerm")"

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
grep -q "^ExecStart=/usr/sbin/dnsfailover -C /etc/dnsfailover/dnsfailover.conf -f$" \
	"$root/lib/systemd/system/dnsfailover.service" || fail "unit paths"
grep -q "^EnvironmentFile=-/etc/default/dnsfailover$" \
	"$root/lib/systemd/system/dnsfailover.service" || fail "unit environment file"
grep -q "^ExecReload=/bin/sh " "$root/lib/systemd/system/dnsfailover.service" || fail "ExecReload"
[ -f "$root/etc/dnsfailover/dnsfailover.conf" ] || fail "no /etc/dnsfailover/dnsfailover.conf"
"$dfo" -V >/dev/null

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
# Purge: the agent's state (the dynamic user's /var/lib/private) goes,
# and the conffile with it.
mkdir -p "$root/var/lib/private/dnsfailover"
echo "192.0.2.10 www.example.com" >"$root/var/lib/private/dnsfailover/hosts"
ln -s private/dnsfailover "$root/var/lib/dnsfailover"
DPKG_ROOT=$root dpkg --root="$root" --log=/dev/null --force-depends \
	--force-script-chrootless --no-triggers --purge dnsfailover-dev dnsfailover >"$work/purge.log" 2>&1 ||
	{ cat "$work/purge.log"; fail "dpkg --purge"; }
[ -e "$root/var/lib/private/dnsfailover" ] && fail "purge left /var/lib/private/dnsfailover"
[ -e "$root/var/lib/dnsfailover" ] || [ -L "$root/var/lib/dnsfailover" ] && fail "purge left /var/lib/dnsfailover"
[ -e "$root/etc/dnsfailover/dnsfailover.conf" ] && fail "purge left the conffile"
echo "PASS: deb: built in $((t1 - t0)) s, installed, -V, --list-plugins, third-party plugin ($(($(date +%s) - t0)) s in all)"
