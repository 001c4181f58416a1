#!/bin/sh
# Run every unit-test binary in $1/tests (test_*), cmocka style, and print
# a tally line "unit: N passed, N failed" for tests/check.sh.  A wrapper
# (qemu-user) may be given in $RUN_WRAP.  Exit 1 when anything failed.
set -u
O=${1:-build}
pass=0; fail=0; failed=""
for t in "$O"/tests/test_*; do
	[ -x "$t" ] || continue
	case "$t" in *.o|*.d) continue ;; esac
	out=$(cd tests && ${RUN_WRAP:-} "../$t" 2>&1 || true)
	[ -n "${VERBOSE:-}" ] && printf '%s\n' "$out"
	p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n1)
	p=${p:-0}; f=${f:-0}
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		# crashed before cmocka's summary: count the binary as one failure
		f=1
	fi
	if [ "$f" -ne 0 ]; then
		failed="$failed $(basename "$t")"
		printf '%s\n' "$out" | grep -E '^\[  (FAILED|  ERROR ) \]|Error|error|ERROR|Sanitizer|runtime error' | head -20 >&2
	fi
	pass=$((pass + p)); fail=$((fail + f))
done
[ -n "$failed" ] && echo "failed suites:$failed" >&2
echo "unit${LABEL:+ ($LABEL)}: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
