#!/bin/sh
# The public API of libdnsfailover: every dfo_* function declared in the
# installed headers.  Prints a linker version script (`map`: these names
# global, all else local) or a dynamic list (`list`: the names the
# dnsfailover program exports to the plugins it loads).
#   public-symbols.sh map|list HEADER...
set -eu
what=$1
shift
names=$(perl -0777 -pe 's{/\*.*?\*/}{}gs' "$@" | grep -oE '\bdfo_[a-z0-9_]+[[:space:]]*\(' |
	sed -e 's/[[:space:]]*($//' | sort -u)
case $what in
map)
	echo "{"
	echo "global:"
	for n in $names; do echo "	$n;"; done
	echo "local:"
	echo "	*;"
	echo "};"
	;;
list)
	echo "{"
	for n in $names; do echo "	$n;"; done
	echo "};"
	;;
*)
	echo "usage: $0 map|list HEADER..." >&2
	exit 2
	;;
esac
