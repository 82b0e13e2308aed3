# Conformance backend: dns "hosts" on a file; read back with awk.
BE_ZONE=conf.test
H=$T/hosts
# The silent case: another writer holds FILE.lock; lock_timeout bounds it.
BE_TIMEOUT=2

be_setup() {
	cat >"$H" <<F
# a hosts file shared with others
127.0.0.1	localhost
192.0.2.99	unrelated.$BE_ZONE
F
	BE_SECTION="hosts { file = \"$H\" lock_timeout = $BE_TIMEOUT }"
}

# "ADDRESS NAME" pairs of the file, one per line (names lower case, no
# final dot), comments apart.
pairs() {
	awk '{ sub(/#.*/, "") } NF >= 2 { for (i = 2; i <= NF; i++) { n = tolower($i); sub(/\.$/, "", n); print $1, n } }' "$H" 2>/dev/null
}
be_rrs() { # NAME TYPE
	local n=${1,,}
	pairs | awk -v n="$n" -v t="$2" '$2 == n && ((t == "AAAA") == ($1 ~ /:/)) { print $1 }' |
		sort | tr '\n' ' ' | sed 's/ $//'
}
be_dump() { # [NAME TYPE]
	{ grep -o '#.*' "$H" 2>/dev/null; pairs | awk -v n="${1:-}" -v t="${2:-}" \
		'!(n != "" && $2 == tolower(n) && ((t == "AAAA") == ($1 ~ /:/)))'; } | sort
}
be_seed() { # NAME TYPE TTL(ignored) ADDR...
	local n=$1 t=$2 a
	shift 3
	awk -v n="${n,,}" -v t="$t" '{ l = $0; sub(/#.*/, "", l); split(l, f); x = tolower(f[2]); sub(/\.$/, "", x) }
		!(x == n && ((t == "AAAA") == (f[1] ~ /:/))) { print }' "$H" >"$H.new"
	for a; do printf '%s\t%s\n' "$a" "$n" >>"$H.new"; done
	mv "$H.new" "$H"
}
be_seed_other() { # NAME: another type, neighbours sharing a line
	printf '2001:db8::77\t%s\n192.0.2.12\tx%s\ty%s # shared\n' "$1" "$1" "$1" >>"$H"
}
be_txt() { # NAME: the texts of its state records, one a line
	awk -v n="$1" 'index($0, "#dfo-txt " n " ") == 1 { print substr($0, length(n) + 11) }' "$H"
}
# Down: the file's place is taken by a directory (unreadable as a file).
be_down() { mv "$H" "$H.away" && mkdir "$H"; }
be_up() { rmdir "$H" && mv "$H.away" "$H"; }
# Silent: another writer holds the lock and does not let go.
be_silent() {
	flock "$H.lock" sleep 60 &
	SILENT_PID=$!
	track $SILENT_PID
	sleep 0.2
}
be_unsilent() { kill "$SILENT_PID" 2>/dev/null; wait "$SILENT_PID" 2>/dev/null; }
