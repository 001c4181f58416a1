#!/bin/sh
# deps-graph: the include layering of TIP, checked.  Usage:
#     scripts/deps-graph.sh          print the folder and module graph, check it
#     scripts/deps-graph.sh -q       check only (make check runs this)
#
# Rules (doc/decisions.md, "Layering"): store/ (libtipstore, linked by both
# programs) includes only store/ headers; sensor/ (tipd) store/ and
# sensor/; tools/ (tip) store/ and tools/; tests/ anything.  Every quoted
# include names a header by its bare file name (no "../sensor/x.h", which
# the compiler's own-directory search would let through); tip_config.h is
# generated into $(O)/include and allowed everywhere.  Inside store/ the
# modules layer one way as well: a module may include only headers of its
# own layer or a lower one (STORE_LAYERS below, lowest first).
#
# Each violation is printed as "FILE:LINE: includes X: why"; the exit
# status is 1 when there is one, 0 otherwise.  The Makefile compiles each
# folder with only the include paths it may use, so most violations fail
# to compile anyway; this check also catches the ones the compiler lets
# through and says which rule they break.
set -eu
cd "$(dirname "$0")/.."
quiet=0
[ "${1:-}" = "-q" ] && quiet=1

# store/ modules, lowest layer first; modules joined by commas share a
# layer (they include each other).  A module not listed is in the top
# layer, so a new module that a listed one includes must be listed below it.
STORE_LAYERS="cdefs errmsg hbuf modes ctl_proto dnstype buf crc32c clock lock flux_score asn_db feed feedset rec,rec_spam,mail
	seg index store seg_writer compact feedingest"

grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' \
	store/*.[ch] sensor/*.[ch] tools/*.[ch] 2>/dev/null |
awk -v quiet="$quiet" -v layers="$STORE_LAYERS" '
BEGIN {
	FS = ":"
	gsub(/[[:space:]]+/, " ", layers)
	n = split(layers, l, " ")
	for (i = 1; i <= n; i++) {
		m = split(l[i], g, ",")
		for (k = 1; k <= m; k++) layer[g[k]] = i
	}
	top = n + 1
	split("store sensor tools", dirs, " ")
	allow["store"] = " store "
	allow["sensor"] = " store sensor "
	allow["tools"] = " store tools "
	says["store"] = "store/"; says["sensor"] = "store/ and sensor/"; says["tools"] = "store/ and tools/"
	bad = 0
}
function module(path,   m) {
	m = path; sub(/^.*\//, "", m); sub(/\.[ch]$/, "", m); return m
}
function exists(f,   r) { r = (getline line < f) >= 0; close(f); return r }
{
	file = $1; lineno = $2
	inc = $0; sub(/^[^"]*"/, "", inc); sub(/".*$/, "", inc)
	dir = file; sub(/\/.*$/, "", dir)
	if (inc == "tip_config.h") next
	if (inc ~ /\//) {
		printf "%s:%s: includes \"%s\": name headers by file name, the folder rules decide where they come from\n", file, lineno, inc
		bad = 1; next
	}
	found = ""
	if (exists(dir "/" inc)) found = dir
	else for (i = 1; i <= 3; i++) if (exists(dirs[i] "/" inc)) { found = dirs[i]; break }
	if (found == "") {
		printf "%s:%s: includes \"%s\": no such header in store/, sensor/ or tools/\n", file, lineno, inc
		bad = 1; next
	}
	if (index(allow[dir], " " found " ") == 0) {
		printf "%s:%s: includes %s/%s: %s/ may use only %s headers\n", file, lineno, found, inc, dir, says[dir]
		bad = 1; next
	}
	edge[dir " -> " found]++
	if (dir == "store") {
		from = module(file); to = module(inc)
		lf = (from in layer) ? layer[from] : top
		lt = (to in layer) ? layer[to] : top
		if (lt > lf) {
			printf "%s:%s: includes store/%s: %s is below %s in the store layers (scripts/deps-graph.sh)\n", file, lineno, inc, from, to
			bad = 1; next
		}
		if (from != to) medge[from " -> " to] = 1
	}
}
END {
	if (!quiet) {
		print "folders (quoted includes):"
		for (e in edge) printf "  %-18s %d\n", e, edge[e] | "sort"
		close("sort")
		print "store modules:"
		for (e in medge) printf "  %s\n", e | "sort"
		close("sort")
	}
	if (bad) { print "deps-graph: layering violated" > "/dev/stderr"; exit 1 }
	if (!quiet) print "deps-graph: ok"
}'
