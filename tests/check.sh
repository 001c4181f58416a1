#!/bin/bash
# make check: every test TIP has, in one run, ending with one tally line.
#  1. unit tests (cmocka), plain build
#  2. the same under ASan + UBSan (a separate build in $O/asan)
#  3. integration tests with real servers (tests/integration/*.sh), against
#     the plain build and again against the ASan+UBSan build
#  4. the fuzz targets' corpora replayed and each run briefly
#     (tests/fuzz/check.sh)
#  5. store tests on big-endian s390x and 32-bit armhf under qemu-user
# As root, 3-5 run side by side (below); otherwise one after the other.
# Integration scripts print "ok NAME", "not ok NAME" or "skip NAME: why"
# lines and exit non-zero on failure.
set -u
O=${1:-build}
cd "$(dirname "$0")/.." || exit 2
pass=0; fail=0; skip=0

tally() {	# read "label: N passed, N failed[, N skipped]" lines
	local line p f s
	while IFS= read -r line; do
		echo "$line"
		case "$line" in
		*" passed, "*" failed"*)
			p=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) passed.*/\1/p')
			f=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) failed.*/\1/p')
			s=$(echo "$line" | sed -n 's/.* \([0-9][0-9]*\) skipped.*/\1/p')
			pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0})); skip=$((skip + ${s:-0}))
			;;
		esac
	done
}

# Each stage and each integration script says how long it took, so the
# wall time of make check (and of CI) can be read off its output.
stage_t=$SECONDS stage_name=""
stage() {
	[ -n "$stage_name" ] && echo "($stage_name: $((SECONDS - stage_t)) s)"
	stage_t=$SECONDS stage_name=$*
	echo; echo "=== $*"
}

stage "unit tests"
tally < <(tests/run-unit.sh "$O"; echo "rc=$?" >/dev/null)

stage "unit tests under ASan+UBSan"
mkdir -p "$O/asan"
cp "$O/.config" "$O/asan/.config"
if make -s --no-print-directory O="$O/asan" SANITIZE=1 CFLAGS="-O1 -g" tests >"$O/asan.log" 2>&1; then
	tally < <(ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		LABEL=asan tests/run-unit.sh "$O/asan")
else
	cat "$O/asan.log" | tail -30
	echo "asan build: 0 passed, 1 failed"; fail=$((fail + 1))
fi

fuzz_stage() { tests/fuzz/check.sh "$O" 2>&1; }
cross_stage() { [ -x tests/cross/run.sh ] && tests/cross/run.sh "$O" 2>&1; }
fuzz_title="fuzz targets: corpora replayed (plain, ASan+UBSan), each libFuzzer target for a few seconds"
cross_title="cross-architecture store tests"

# integration BUILD LABEL: every tests/integration/*.sh against the
# programs in BUILD.  Under ASan a script whose text has the line
# "# asan: skip" (it builds its own programs, e.g. for another target) is
# left out.  $isolate, when set, runs each script in a network namespace
# of its own (only a loopback), so that two passes can run at once without
# their servers meeting on a port.  A script with the line
# "# network: package archives" downloads from Debian's archive or the npm
# registry (a cross sysroot, playwright-core) and so keeps the machine's
# network; such a script binds only port 0 or runs in one pass.
integration() {
	local b=$1 label=$2 t name out rc p f s t0 iso
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		[ "$t" = tests/integration/lib.sh ] && continue	# sourced by the others, not a test
		name=$(basename "$t" .sh)
		if [ -n "$label" ] && grep -qx '# asan: skip' "$t"; then
			continue
		fi
		iso=$isolate
		grep -qx '# network: package archives' "$t" && iso=
		t0=$SECONDS
		out=$(O="$b" $iso timeout 900 bash "$t" 2>&1); rc=$?
		p=$(printf '%s\n' "$out" | grep -c '^ok ')
		f=$(printf '%s\n' "$out" | grep -c '^not ok ')
		s=$(printf '%s\n' "$out" | grep -c '^skip ')
		if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
			# A failure must say what failed, even when the script did not.
			out=$(printf '%s\nnot ok %s: exited %s without a "not ok" line (last lines above)\n' "$out" "$name" "$rc")
			f=1
		fi
		if [ "$f" -ne 0 ] || [ -n "${VERBOSE:-}" ]; then printf '%s\n' "$out" | tail -40; fi
		printf '%s\n' "$out" | grep '^skip ' || true
		echo "$name${label:+ ($label)}: $p passed, $f failed, $s skipped ($((SECONDS - t0)) s)"
		pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	done
}

asan_env() { export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1; }

# The two integration passes mostly wait on servers and timeouts, so as
# root (who may make network namespaces) they run side by side, each
# script in its own namespace: the stage takes the longer pass's time, not
# the sum.  Otherwise, or with CHECK_SERIAL=1, one after the other on the
# machine's own loopback.
isolate=
if [ "$(id -u)" -eq 0 ] && [ -z "${CHECK_SERIAL:-}" ] &&
	unshare -n sh -c 'ip link set lo up' 2>/dev/null; then
	isolate="unshare -n tests/helpers/lo-up"
fi
# Each pass counts in its own subshell and reports through $res.
# shellcheck disable=SC2030,SC2031
if [ -n "$isolate" ] && [ -x "$O/asan/tip" ]; then
	# The fuzz stage and the cross stage (CPU-bound, no timing in them)
	# run beside the two passes too: they fill the cores the passes leave
	# idle while they wait.  Each part reports when it ends, with its time.
	stage "integration tests, plain and under ASan+UBSan side by side (a network namespace each), with the fuzz and cross stages"
	res=$(mktemp -d)
	(t0=$SECONDS; fuzz_stage >"$res/fuzz"; echo $((SECONDS - t0)) >"$res/fuzz.t") &
	(t0=$SECONDS; cross_stage >"$res/cross"; echo $((SECONDS - t0)) >"$res/cross.t") &
	(pass=0 fail=0 skip=0; integration "$O" "" >"$res/plain" 2>&1; echo "$pass $fail $skip" >"$res/plain.n") &
	(pass=0 fail=0 skip=0; asan_env; integration "$O/asan" asan >"$res/asan" 2>&1
	 echo "$pass $fail $skip" >"$res/asan.n") &
	wait
	for r in plain asan; do
		cat "$res/$r"
		read -r p f s <"$res/$r.n" 2>/dev/null || { p=0 f=1 s=0; echo "integration ($r): no result"; }
		pass=$((pass + p)); fail=$((fail + f)); skip=$((skip + s))
	done
	for r in fuzz cross; do
		title=${r}_title
		echo; echo "--- ${!title} ($(cat "$res/$r.t" 2>/dev/null || echo '?') s)"
		tally < <(cat "$res/$r" 2>/dev/null || echo "$r stage: no result: 0 passed, 1 failed")
	done
	rm -rf "$res"
else
	stage "$fuzz_title"
	tally < <(fuzz_stage)

	stage "integration tests"
	integration "$O" ""

	stage "integration tests under ASan+UBSan"
	if [ -x "$O/asan/tip" ]; then
		asan_env
		integration "$O/asan" asan
		unset ASAN_OPTIONS UBSAN_OPTIONS
	fi

	stage "$cross_title"
	tally < <(cross_stage)
fi


echo "($stage_name: $((SECONDS - stage_t)) s; all stages: $SECONDS s)"
echo
echo "check: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
