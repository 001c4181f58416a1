#!/bin/sh
# make bench: run every benchmark program $O/tests/bench_* (built from
# tests/bench/bench_*.c), each given one argument, a fresh scratch folder
# under $O, so what it writes lands on the build folder's filesystem.
# They print "bench NAME VALUE UNIT [ANCHOR=VALUE ratio=X]" lines with the
# anchors measured in the same run; nothing is asserted.  Exit 1 only when
# a benchmark could not run.
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
rc=0
echo "# $(uname -m) $(nproc 2>/dev/null || echo '?') cores, $(uname -r)," \
	"$(df -PT "$O" 2>/dev/null | awk 'NR == 2 { print $2 " on " $1 }')"
for b in "$O"/tests/bench_*; do
	[ -f "$b" ] && [ -x "$b" ] || continue
	name=$(basename "$b")
	tmp=$(mktemp -d "$O/bench.XXXXXX") || exit 2
	echo "# $name"
	start=$(date +%s)
	"$b" "$tmp"
	st=$?
	if [ "$st" -ne 0 ]; then
		echo "$name: failed (exit $st)" >&2
		rc=1
	fi
	echo "# $name: $(( $(date +%s) - start )) s"
	rm -rf "$tmp"
done
# Benchmarks that drive whole programs (tipd, tip, servers) are scripts:
# tests/bench/*.sh, each given the build folder.
for sh in tests/bench/*.sh; do
	[ -f "$sh" ] || continue
	[ "$(basename "$sh")" = run.sh ] && continue
	echo "# $(basename "$sh")"
	start=$(date +%s)
	if ! bash "$sh" "$O"; then
		echo "$(basename "$sh"): failed" >&2
		rc=1
	fi
	echo "# $(basename "$sh"): $(( $(date +%s) - start )) s"
done
exit $rc
