#!/bin/bash
# tests/fuzz/check.sh BUILD: the fuzz stage of `make check`.
#  1. every corpus and regression input replayed by the plain build of each
#     target ($BUILD/tests/fuzz_*), then by the ASan+UBSan build
#     ($BUILD/asan/tests/fuzz_*, when check.sh made it);
#  2. each libFuzzer target ($BUILD/fuzz/, `make fuzz-build`) run for
#     FUZZ_CHECK_S seconds (default 2) from its corpus, so that a change
#     which makes a target crash shows in CI.  New inputs go to a temporary
#     directory, not into the tree; a crash input is kept in
#     $BUILD/fuzz/artifacts/ and named in the "not ok" line.
# Prints ok / not ok lines and "fuzz: N passed, N failed".
set -u
O=${1:-build}
cd "$(dirname "$0")/../.." || exit 2
S=${FUZZ_CHECK_S:-2}
pass=0; fail=0

res() {	# res RC NAME [WHY]
	if [ "$1" -eq 0 ]; then echo "ok $2"; pass=$((pass + 1))
	else echo "not ok $2: ${3:-exit $1}"; fail=$((fail + 1)); fi
}

inputs() {	# the corpus and regression directories of target $1
	local d
	for d in tests/fuzz/corpus/$1 tests/fuzz/regress/$1; do
		[ -d "$d" ] && echo "$d"
	done
}

names=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)

for b in "$O" "$O/asan"; do
	label=replay; [ "$b" = "$O/asan" ] && label=replay-asan
	[ "$b" = "$O/asan" ] && [ ! -d "$O/asan/tests" ] && continue
	for n in $names; do
		if [ ! -x "$b/tests/$n" ]; then res 1 "$label $n" "$b/tests/$n not built"; continue; fi
		if [ -z "$(inputs "$n")" ]; then res 1 "$label $n" "no tests/fuzz/corpus/$n (see tests/fuzz/README.md)"; continue; fi
		out=$(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			REPLAY_VERBOSE=1 timeout 300 "$b/tests/$n" $(inputs "$n") 2>&1); rc=$?
		if [ $rc -ne 0 ]; then
			printf '%s\n' "$out" | tail -15
			res $rc "$label $n" "$(printf '%s\n' "$out" | grep '^replay: ' | tail -1)"
		else
			res 0 "$label $n"
		fi
	done
done

if make -s --no-print-directory O="$O" fuzz-build >"$O/fuzz-build.log" 2>&1; then
	art="$O/fuzz/artifacts"
	mkdir -p "$art"
	for n in $names; do
		tmp=$(mktemp -d)
		out=$(timeout $((S * 4 + 60)) "$O/fuzz/$n" -max_total_time="$S" -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix="$art/$n-" -print_final_stats=1 \
			"$tmp" $(inputs "$n") 2>&1); rc=$?
		rm -rf "$tmp"
		runs=$(printf '%s\n' "$out" | sed -n 's/^stat::number_of_executed_units: *//p')
		if [ $rc -ne 0 ]; then
			printf '%s\n' "$out" | grep -v '^#\|^INFO\|^stat::' | tail -20
			res $rc "libfuzzer $n" "$(printf '%s\n' "$out" | grep -o "Test unit written to .*" | tail -1)"
		else
			res 0 "libfuzzer $n ($runs runs in ${S}s)"
		fi
	done
else
	tail -30 "$O/fuzz-build.log"
	res 1 "fuzz-build" "clang build failed ($O/fuzz-build.log)"
fi

echo "fuzz: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
