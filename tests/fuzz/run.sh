#!/bin/bash
# tests/fuzz/run.sh BUILD SECONDS [NAME...]: `make fuzz`.  Runs each
# libFuzzer target (all, or the NAMEs: fuzz_rec or rec) for SECONDS from a
# working corpus in BUILD/fuzz/corpus/<target>, seeded from the committed
# one, on one core (FUZZ_JOBS=N for more; FUZZ_RUNS=N stops a target after
# N executions instead, as SECONDS still caps it).  Targets that read files
# write them under TMPDIR, /dev/shm when there is one: on a disk the page
# cache work of rewriting one file per input costs 4x the executions.
# Prints one line per target:
#   fuzz NAME runs=N exec/s=N cov=N ft=N corpus=N crash=none|FILE
# A crash input is left in BUILD/fuzz/artifacts/; to keep it as a
# regression case, copy it to tests/fuzz/regress/<target>/ with a name
# that says what it was.
set -u
O=${1:-build}; S=${2:-60}; shift 2 || true
cd "$(dirname "$0")/../.." || exit 2
names="$*"
[ -z "${TMPDIR:-}" ] && [ -d /dev/shm ] && [ -w /dev/shm ] && export TMPDIR=/dev/shm
[ -z "$names" ] && names=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
art="$O/fuzz/artifacts"
mkdir -p "$art"
rc_all=0
for n in $names; do
	case "$n" in fuzz_*) ;; *) n=fuzz_$n ;; esac
	[ -x "$O/fuzz/$n" ] || { echo "fuzz $n: not built (make fuzz-build)"; rc_all=1; continue; }
	c="$O/fuzz/corpus/$n"
	mkdir -p "$c"
	[ -d "tests/fuzz/corpus/$n" ] && cp -n tests/fuzz/corpus/$n/* "$c"/ 2>/dev/null
	[ -d "tests/fuzz/regress/$n" ] && cp -n tests/fuzz/regress/$n/* "$c"/ 2>/dev/null
	log="$O/fuzz/$n.log"
	before=$(ls "$art" | grep -c "^$n-")
	"$O/fuzz/$n" -max_total_time="$S" -timeout=10 -rss_limit_mb=2048 \
		${FUZZ_JOBS:+-jobs=$FUZZ_JOBS -workers=$FUZZ_JOBS} ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -artifact_prefix="$art/$n-" \
		-print_final_stats=1 "$c" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
	last=$(grep -E '^#[0-9]+' "$log" | tail -1)
	cov=$(printf '%s' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	corp=$(printf '%s' "$last" | sed -n 's/.* corp: \([0-9]*\).*/\1/p')
	crash=none
	if [ $rc -ne 0 ] || [ "$(ls "$art" | grep -c "^$n-")" -gt "$before" ]; then
		crash=$(grep -o 'Test unit written to .*' "$log" | tail -1 | sed 's/Test unit written to //')
		[ -z "$crash" ] && crash="exit $rc (see $log)"
		rc_all=1
	fi
	echo "fuzz $n runs=${runs:-0} exec/s=${eps:-0} cov=${cov:-0} ft=${ft:-0} corpus=${corp:-0} crash=$crash"
done
exit $rc_all
