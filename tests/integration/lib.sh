# The result lines every integration script prints, sourced from the
# repository root (after the script's cd there):
#   ok NAME                  a check passed
#   nok NAME [WHY]           it failed: "not ok NAME: WHY"; counted in fails, and fail=1
#   notok NAME [WHY]         the same (the scripts that test fail=1 call it so)
#   check NAME RC [WHY]      ok when RC is 0, else nok
# A script ends with [ $fails = 0 ] or exit $fail; both stay in step.
fails=${fails:-0}
fail=${fail:-0}
ok() { echo "ok $1"; }
nok() { echo "not ok $1${2:+: $2}"; fails=$((fails + 1)); fail=1; }
notok() { nok "$@"; }
check() { if [ "$2" = 0 ]; then ok "$1"; else nok "$1" "${3:-}"; fi; }
