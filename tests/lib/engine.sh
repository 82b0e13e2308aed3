# What the engine tests (tests/integration/engine_*.sh) set up alike, sourced
# after common.sh: an agent at 127.0.0.2 whose checks are the fault check
# of the test modules (tests/plugins/check_fault.c: what a check of an
# address does is the word in $D/ADDRESS).
#   P  plugin_dir: the test modules and the plugins
#   F  the pool's name
#   D  the fault check's state directory (made here)
#   H  the hosts file of the hosts dns provider (a script may name another)
P=$(test_plugin_dir)
F=www.example.test
D=$T/state
H=$T/hosts
mkdir -p "$D"
# The fault check's plugin block, for hosts_pool (tests/lib/common.sh).
FAULT="fault { state_dir = \"$D\" }"

# engine_head: print the top of an engine test's config: plugin_dir $P,
# status_file $T/status.json, then hosts_me 127.0.0.2.
engine_head() {
	printf 'plugin_dir = "%s"\nstatus_file = "%s"\n' "$P" "$T/status.json"
	hosts_me 127.0.0.2
}

# fault_conf FILE TICK [POOL_OPTIONS] [CORE_LINES]: the agent's config:
# the hosts provider on $H, this host 127.0.0.2, the fault check on $D,
# the timer "fast" with the tick options TICK, and pool "www" of $F with
# POOL_OPTIONS; CORE_LINES (e.g. metrics_listen = ...) go on top.
fault_conf() {
	cat >"$1" <<C
plugin_dir = "$P"
status_file = "$T/status.json"
${4:-}
$(hosts_pool 127.0.0.2 "$FAULT" "$2" "${3:-}")
C
}
