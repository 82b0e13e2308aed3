#!/bin/bash
# The man pages render without a warning (man --warnings), every option
# that --list-plugins shows is documented in dnsfailover.conf(5) under
# its provider's section, every core/pool/aws option of the config
# schema is documented, every long option of --help is in
# dnsfailover(8), and the example plugin of dnsfailover-plugins(7)
# compiles against the headers.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd man

D=$TOP_BUILDDIR/doc
# The pages name installed paths, which are as long as the operator's
# prefix: distcheck's prefix is deep enough that a justified line holding
# it "cannot adjust".  The markup is checked with the prefix shortened to
# /usr, so the test judges the page, not the directory it was built in.
prefix=$(sed -n 's/^prefix = //p' "$TOP_BUILDDIR/Makefile")
for page in dnsfailover.8 dnsfailover.conf.5 dnsfailover-aws.1 dnsfailover-plugins.7 awsdns.8; do
	[ -f "$D/$page" ] || fail "$page not built"
	grep -n "@[a-zA-Z_]*@" "$D/$page" && fail "$page: unsubstituted"
	if [ -n "$prefix" ] && [ "$prefix" != /usr ]; then
		sed "s|$prefix/|/usr/|g" "$D/$page" >"$T/$page"
	else
		cp "$D/$page" "$T/$page"
	fi
	warn=$(MANWIDTH=80 man --warnings -l "$T/$page" 2>&1 >"$T/$page.txt")
	[ -z "$warn" ] || fail "$page: man --warnings: $warn"
	[ "$(wc -l <"$T/$page.txt")" -gt 30 ] || fail "$page renders to nothing"
done

# awsdns(8) documents every option of the awsdns command's usage.
"$DFO" --awsdns -h >"$T/awsdns.usage" 2>&1 || fail "awsdns -h: $(cat "$T/awsdns.usage")"
for o in $(grep -o '^  -[a-z]' "$T/awsdns.usage"); do
	grep -q "^\.B[IR]* *[\\]$o" "$D/awsdns.8" || fail "awsdns.8 lacks $o"
done

"$DFO" --list-plugins >"$T/list" 2>&1 || fail "--list-plugins: $(cat "$T/list")"
/usr/bin/python3 - "$T/list" "$D/dnsfailover.conf.5" "$TOP_SRCDIR/src/lib/config.c" <<'PY' || exit 1
import re, sys
listing, page, config_c = (open(p).read() for p in sys.argv[1:4])
# Sections of the page: .SS "kind provider" up to the next .SS/.SH.
sections, cur = {}, None
for line in page.splitlines():
    m = re.match(r'\.S[SH] "?([^"]*)"?$', line)
    if m:
        cur = m.group(1).strip()
        sections[cur] = ""
    elif cur:
        sections[cur] += line + "\n"
def documented(text, opt):
    o = re.escape(opt.replace("-", r"\-"))
    return re.search(r'(^\.BR? (\S+ ", " )*' + o + r'(\s|$))|\\fB' + o + r'\\f', text, re.M)
missing, kind, prov, checked = [], None, None, 0
for line in listing.splitlines():
    m = re.match(r'^([a-z]+):$', line)
    if m:
        kind = m.group(1)
        continue
    m = re.match(r'^  (\S+)\s', line)
    if m and m.group(1) != "(none)":
        prov = m.group(1)
        if "%s %s" % (kind, prov) not in sections:
            missing.append('no section .SS "%s %s"' % (kind, prov))
        continue
    m = re.match(r'^ {13}(\w+) \(', line)
    if m:
        checked += 1
        text = sections.get("%s %s" % (kind, prov), "")
        if not documented(text, m.group(1)):
            missing.append("%s %s: option %s" % (kind, prov, m.group(1)))
# The core's own options (root, aws, pool) from the schema in config.c.
core = set(re.findall(r'CFG_[A-Z_]+\("([a-z_0-9]+)"', config_c))
for opt in sorted(core):
    checked += 1
    if not documented(page, opt):
        missing.append("core option %s" % opt)
if missing:
    print("FAIL: not documented in dnsfailover.conf(5) (doc/dnsfailover.conf.5.in):")
    for m in missing:
        print("  " + m)
    sys.exit(1)
print("%d options documented" % checked)
PY

# Long options of --help are in dnsfailover(8).
for o in $("$DFO" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u); do
	grep -qF -- "\\-\\-${o#--}" "$D/dnsfailover.8" || grep -qF -- "${o//-/\\-}" "$D/dnsfailover.8" ||
		fail "dnsfailover(8) does not document $o"
done

# The example plugin compiles (ABI 2 headers).
if grep -q "size_t size;" "$TOP_SRCDIR/include/dnsfailover/plugin.h"; then
	sed -n '/^\.\\" example-begin/,/^\.\\" example-end/p' "$D/dnsfailover-plugins.7" |
		sed -e '1,2d' -e '$d' | sed '$d' >"$T/check_flag.c"
	grep -q DFO_MODULE "$T/check_flag.c" || fail "example not extracted"
	cc -Wall -Wextra -Werror -Wno-unused-parameter -fsyntax-only -I"$TOP_SRCDIR/include" \
		$(pkg-config --cflags libconfuse) "$T/check_flag.c" ||
		fail "the example of dnsfailover-plugins(7) does not compile"
else
	echo "plugin.h is not ABI 2 yet: example not compiled"
fi
pass "man pages render cleanly and document every option"
