#!/bin/bash
# Crash test of the store writer: SIGKILL at 200+ random points (see
# tests/helpers/crashtest.c for what is checked after each kill).
set -u
O=${O:-build}
bin=$O/tests/crashtest
if [ ! -x "$bin" ]; then
	echo "not ok crash: $bin not built"
	exit 1
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
"$bin" "$d/store" 240
