#!/bin/bash
# sandbox: tipd's least privilege.  With Kconfig SECCOMP, tipd says the
# filter is on and a forbidden system call kills it with SIGSYS (the test's
# shim tests/fault/forbidden.c makes one, execve, on SIGUSR2, as injected
# code would); no_new_privs is set; store files are 0640 and directories
# 0750; the control socket is 0660 and of the configured group.
# Prints "ok NAME" / "not ok NAME: why" / "skip NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
SHIM=$PWD/$O/tests/forbidden.so
fail=0
PID=
. tests/integration/lib.sh
[ -x "$TIPD" ] && [ -e "$SHIM" ] || { echo "not ok sandbox: $O/tipd or $SHIM not built"; exit 1; }
tmpdir_make T sandbox
chmod 755 "$T"
on_exit "kill_now \$PID"
SOCK=$T/tipd.sock
grp=$(getent group nogroup >/dev/null && echo nogroup || id -gn)
cat > "$T/tipd.conf" <<CONF
pidfile none
store {
	dir $T/store
	sync-interval 50ms
}
control {
	socket $SOCK
	group $grp
}
CONF
seccomp=$(sed -n 's/^#define ENABLE_SECCOMP //p' "$O/include/tip_config.h")
# the sanitizer builds run without the filter (sensor/sandbox.c says why)
nm "$TIPD" 2>/dev/null | grep -q __asan_init && seccomp=0
export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0

start() {
	LD_PRELOAD=$SHIM "$TIPD" -f -c "$T/tipd.conf" 2>"$T/tipd.log" &
	PID=$!
	wait_for 5 tip_answers "$SOCK"
}
start
"$TIP" submit -s "$SOCK" a.sandbox.example b.sandbox.example >/dev/null 2>&1
sleep 0.3
if grep -q 'NoNewPrivs:[[:space:]]*1' "/proc/$PID/status"; then ok "no_new_privs"
else notok "no_new_privs" "$(grep NoNewPrivs "/proc/$PID/status")"; fi
if [ "$seccomp" = 1 ]; then
	if grep -q 'Seccomp:[[:space:]]*2' "/proc/$PID/status" && grep -q 'seccomp filter on' "$T/tipd.log"
	then ok "seccomp_filter_on"
	else notok "seccomp_filter_on" "$(grep Seccomp "/proc/$PID/status") $(tail -2 "$T/tipd.log")"; fi
fi
# modes: the store (files 0640, directories 0750) and the socket (0660, group)
bad=$(find "$T/store" \( -type f ! -perm 0640 \) -o \( -type d ! -perm 0750 \) 2>/dev/null)
if [ -z "$bad" ] && [ -n "$(find "$T/store" -type f)" ]; then ok "store_modes_0640_0750"
else notok "store_modes_0640_0750" "$(ls -ld $bad 2>/dev/null | head -3)"; fi
m=$(stat -c '%a %G' "$SOCK" 2>/dev/null)
[ "$m" = "660 $grp" ] && ok "socket_mode_and_group ($m)" || notok "socket_mode_and_group" "$m, want 660 $grp"

if [ "$seccomp" = 1 ]; then
	kill -USR2 "$PID"
	wait "$PID"; rc=$?; PID=
	# 128 + SIGSYS (31 on most Linux targets)
	[ "$rc" -eq $((128 + $(kill -l SIGSYS))) ] && ok "forbidden_call_kills (exit $rc)" ||
		notok "forbidden_call_kills" "exit $rc: $(tail -2 "$T/tipd.log")"
	if out=$("$TIP" verify -q "$T/store" 2>&1); then ok "store_verifies_after_kill"
	else notok "store_verifies_after_kill" "$out"; fi
else
	echo "skip forbidden_call_kills: the filter is off in this build (Kconfig SECCOMP off, or a sanitizer build)"
	kill -TERM "$PID"; wait "$PID"; PID=
fi
# OpenWrt's ujail policy is the same table (procd's JSON format)
want=$(sed -n '/^static const int allowed/,/__SANITIZE_ADDRESS__/p' sensor/sandbox.c |
	sed 's/#ifdef __NR_[a-z0-9_]*//' | grep -o '__NR_[a-z0-9_]*' | sed 's/__NR_//' | sort -u)
have=$(python3 -c 'import json,sys; print("\n".join(sorted(json.load(open(sys.argv[1]))["syscalls"][0]["names"])))' \
	ports/openwrt/net/tip/files/tipd.seccomp.json)
[ "$want" = "$have" ] && ok "ujail_policy_matches_filter ($(echo "$want" | wc -l) calls)" ||
	notok "ujail_policy_matches_filter" "$(diff <(echo "$want") <(echo "$have") | head -5)"
[ "$fail" -eq 0 ]
