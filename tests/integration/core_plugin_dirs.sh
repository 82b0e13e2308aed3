#!/bin/bash
# plugin_dir is a list searched in order (issue 18): a third-party plugin
# in a drop-in directory beside the stock one, without copying or linking
# the stock modules; the default path ($DNSFAILOVER_PLUGIN_DIR here, the
# stock dir then SYSCONFDIR/dnsfailover/plugins.d when installed); a name
# registered twice is an error naming both modules.
. "$TOP_SRCDIR/tests/lib/common.sh"
need_cmd cc pkg-config

# A third-party check, built on its own: healthy for even last octets.
mkdir -p "$T/plugins.d" "$T/src"
cat >"$T/src/even.c" <<'C'
#include <dnsfailover/dnsfailover.h>

static int even_create(const char *instance, cfg_t *sec, void **state,
		       struct dfo_err *err)
{
	*state = NULL;
	return 0;
}
static int even_check(void *state, const struct dfo_check_target *t,
		      struct dfo_err *err)
{
	unsigned last = ntohl(t->addr.u.v4.s_addr) & 0xff;
	return last % 2 ? dfo_err_set(err, -EINVAL, "odd (%u)", last) : 0;
}
static const struct dfo_check_provider even = {
	.size = sizeof(struct dfo_check_provider),
	.name = "even", .description = "drop-in test check",
	.create = even_create, .check = even_check,
};
static int even_init(struct dfo_registry *reg, struct dfo_err *err)
{
	return dfo_register_check(reg, &even);
}
DFO_MODULE("check_even", even_init);
C
# shellcheck disable=SC2046
cc -Wall -Werror -Wno-unused-parameter -fPIC -shared -I"$TOP_SRCDIR/include" \
	$(pkg-config --cflags libconfuse) -o "$T/plugins.d/check_even.so" "$T/src/even.c" ||
	fail "building the drop-in plugin"

# The config's list: the stock dir, then the drop-in one.
cat >"$T/c.conf" <<C
plugin_dir = { "$DFO_PLUGINS",
               "$T/plugins.d" }
dns "local" { hosts { file = "$T/hosts" } }
ipsource "me" { static { address = "127.0.0.2" } }
check "parity" { even {} }
timer "t" { tick { interval = 1 timeout = 1 } }
pool "www" { fqdn = {"www.example.test"} dns = "local" ipsource = "me"
             check = "parity" timer = "t" }
C
out=$("$DFO" -C "$T/c.conf" -t 2>&1) || fail "-t with a plugin_dir list: $out"
out=$("$DFO" -C "$T/c.conf" --list-plugins 2>&1) || fail "--list-plugins: $out"
assert_contains "$out" "module: $T/plugins.d/check_even.so" "drop-in module listed"
assert_contains "$out" "module: $DFO_PLUGINS/check_tcp.so" "stock module listed"
out=$("$DFO" -C "$T/c.conf" --try check/parity 127.0.0.3 2>&1) && fail "odd address healthy: $out"
assert_contains "$out" "odd (3)" "drop-in check ran"
pass "plugin_dir = { stock, drop-in }"

# Run the agent on it: the drop-in check decides, the stock hosts
# provider writes.
printf '127.0.0.2 www.example.test\n127.0.0.3 www.example.test\n' >"$T/hosts"
sed -i 's|^timer .*|timer "t" { tick { interval = 0.3 timeout = 1 } }|' "$T/c.conf"
sed -i "1i status_file = \"$T/status\"" "$T/c.conf"
start_agent a "$T/c.conf"
wait_for 30 has_addrs "$T/hosts" www.example.test 127.0.0.2 ||
	fail "odd peer not evicted by the drop-in check: $(cat "$T/hosts"; tail -5 "$T/a.log")"
kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null
pass "agent with a drop-in check evicts"

# The default path, as DNSFAILOVER_PLUGIN_DIR lists it.
sed '/^plugin_dir/,/plugins.d" }$/d' "$T/c.conf" >"$T/nodir.conf"
grep -q plugin_dir "$T/nodir.conf" && fail "test setup: plugin_dir left"
DNSFAILOVER_PLUGIN_DIR="$DFO_PLUGINS:$T/plugins.d" "$DFO" -C "$T/nodir.conf" -t ||
	fail "-t with DNSFAILOVER_PLUGIN_DIR=stock:drop-in"
out=$(DNSFAILOVER_PLUGIN_DIR="$DFO_PLUGINS:$T/plugins.d" "$DFO" --list-plugins) ||
	fail "--list-plugins, default path"
assert_contains "$out" "module: $T/plugins.d/check_even.so" "default path: drop-in"
pass "default path of two directories"

# A directory named in the list that does not exist is an error.
sed "s|\"$T/plugins.d\" }|\"$T/nowhere\" }|" "$T/c.conf" >"$T/missing.conf"
out=$("$DFO" -C "$T/missing.conf" -t 2>&1) && fail "missing plugin dir accepted"
assert_contains "$out" "plugin_dir $T/nowhere: No such file or directory" "missing dir"

# A stock module dropped in again: its name is registered twice, and the
# error names both files.
cp "$DFO_PLUGINS/check_tcp.so" "$T/plugins.d/"
out=$("$DFO" -C "$T/c.conf" -t 2>&1) && fail "a name registered twice was accepted"
assert_contains "$out" "$T/plugins.d/check_tcp.so: module" "duplicate: the second file"
assert_contains "$out" "check provider \"tcp\" is already registered by $DFO_PLUGINS/check_tcp.so" \
	"duplicate: the first file"
out=$("$DFO" -C "$T/c.conf" -f 2>&1) && fail "daemon started with a name registered twice"
assert_contains "$out" "already registered by $DFO_PLUGINS/check_tcp.so" "duplicate, daemon"
pass "a name registered twice names both modules"
