#!/bin/bash
# lifecycle: tipd's life on a temporary store and socket.  Start it in the
# foreground, submit domains with `tip submit`, reload with a valid and an
# invalid configuration, stop it with TERM, verify the store, restart and
# check a new segment was started and nothing was lost.  As root, also run
# it with `user nobody` and check the privilege drop.
# Prints "ok NAME" / "not ok NAME" / "skip NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
fail=0
PID=
. tests/integration/lib.sh
skip() { echo "skip $1: $2"; }

if [ ! -x "$TIPD" ] || [ ! -x "$TIP" ]; then
	echo "not ok lifecycle: $O/tipd or $O/tip not built"
	exit 1
fi
tmpdir_make T lifecycle
chmod 755 "$T"
on_exit "kill_now \$PID"
SOCK=$T/tipd.sock

write_conf() {	# write_conf FILE [extra top-level lines]
	cat > "$1" <<EOF
# written by tests/integration/lifecycle.sh
pidfile $T/tipd.pid
log-level ${LEVEL:-info}
${2:-}
store {
	dir $T/store
	sync-interval 100ms
}
control {
	socket $SOCK
}
module watchlist {
	file $T/watch.txt
	interval ${INTERVAL:-1s}
}
EOF
}

start() {	# start NAME: tipd -f in the background, wait for its socket
	"$TIPD" -f -c "$T/tipd.conf" 2>>"$T/tipd.log" &
	PID=$!
	for _ in $(seq 100); do
		[ -S "$SOCK" ] && "$TIP" status -s "$SOCK" >/dev/null 2>&1 && return 0
		kill -0 "$PID" 2>/dev/null || break
		sleep 0.05
	done
	notok "$1" "tipd did not come up: $(tail -3 "$T/tipd.log")"
	return 1
}

stop() {	# stop NAME: TERM, wait, expect exit 0
	kill -TERM "$PID"
	wait "$PID"
	local rc=$?
	PID=
	if [ "$rc" -eq 0 ]; then ok "$1"; else notok "$1" "exit $rc"; fi
}

status_field() {	# status_field LINE_PREFIX KEY
	"$TIP" status -s "$SOCK" | awk -v p="$1" -v k="$2" '$1 == p {
		for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) { print a[2]; exit } } }'
}

field_is() { [ "$(status_field "$1" "$2")" = "$3" ]; }	# field_is PREFIX KEY VALUE

wait_field() {	# wait_field PREFIX KEY VALUE: up to 5 s
	wait_for 5 field_is "$@"
}

segments() { ls "$T/store/log" 2>/dev/null | grep -c '\.tlog$'; }

printf 'watched.example\n# comment\nwww.watched.example\n' > "$T/watch.txt"
write_conf "$T/tipd.conf"

# ---- configuration checks
if out=$("$TIPD" -n -c "$T/tipd.conf" 2>&1); then ok "check_valid_config"; else notok "check_valid_config" "$out"; fi
printf 'user tip\nstore {\n  quota lots\n}\n' > "$T/bad.conf"
out=$("$TIPD" -n -c "$T/bad.conf" 2>&1)
if [ $? -ne 0 ] && [ "$out" = "$T/bad.conf:3: quota: bad size 'lots' (use 512k, 16M, 1G)" ]; then
	ok "check_invalid_config_has_line"
else
	notok "check_invalid_config_has_line" "$out"
fi
if "$TIPD" -V | grep -q '^tipd '; then ok "version"; else notok "version"; fi

# ---- first run
start "start" || exit 1
ok "start"
[ "$(cat "$T/tipd.pid" 2>/dev/null)" = "$PID" ] && ok "pidfile" || notok "pidfile"
mode=$(stat -c %a "$SOCK")
[ "$mode" = 660 ] && ok "socket_mode_0660" || notok "socket_mode_0660" "$mode"

if out=$("$TIP" submit -s "$SOCK" one.example Two.Example. 2>&1); then ok "submit"; else notok "submit" "$out"; fi
before=$(status_field bus published)
out=$("$TIP" submit -s "$SOCK" three.example 'bad!name' 2>&1)
rc=$?
after=$(status_field bus published)
if [ $rc -eq 1 ] && [ "$before" = "$after" ] && echo "$out" | grep -q 'not a domain name'; then
	ok "submit_malformed_changes_nothing"
else
	notok "submit_malformed_changes_nothing" "rc=$rc before=$before after=$after $out"
fi
# the time source tells tipd the clock is set, or not; a bad word changes nothing
if out=$("$TIP" clock -s "$SOCK" unsynced 2>&1) && [ "${out#ok }" = "clock not trusted" ] &&
	out=$("$TIP" clock -s "$SOCK" synced 2>&1) && [ "${out#ok }" = "clock trusted" ] &&
	! "$TIP" clock -s "$SOCK" sometimes >/dev/null 2>&1; then
	ok "clock"
else
	notok "clock" "$out"
fi
"$TIP" submit -s "$SOCK" three.example >/dev/null || notok "submit_three"
st=$("$TIP" status -s "$SOCK")
if echo "$st" | grep -q '^module name=watchlist state=running' &&
	echo "$st" | grep -q '^task name=watchlist state=' &&
	echo "$st" | grep -q '^writer queued='; then
	ok "status"
else
	notok "status" "$st"
fi

# reload with a valid configuration: new interval, trace on
INTERVAL=2s write_conf "$T/tipd.conf" "trace sched"
kill -HUP "$PID"
if wait_field conf reloads 1 && [ "$(status_field tipd trace)" = sched ]; then
	ok "reload_valid"
else
	notok "reload_valid" "$(tail -3 "$T/tipd.log")"
fi
# reload with an invalid one: logged, the running configuration stays
echo 'frobnicate yes' >> "$T/tipd.conf"
kill -HUP "$PID"
if wait_field conf reload_errors 1 && [ "$(status_field conf reloads)" = 1 ] &&
	grep -q "tipd.conf:[0-9]*: unknown key 'frobnicate'; keeping the running configuration" "$T/tipd.log" &&
	[ "$(status_field tipd trace)" = sched ]; then
	ok "reload_invalid_keeps_running_config"
else
	notok "reload_invalid_keeps_running_config" "$(tail -3 "$T/tipd.log")"
fi
write_conf "$T/tipd.conf"

kill -USR1 "$PID"
sleep 0.2
grep -q 'status: module name=watchlist' "$T/tipd.log" && ok "usr1_logs_status" || notok "usr1_logs_status"

stop "term_exits_0"
[ ! -e "$SOCK" ] && ok "socket_removed" || notok "socket_removed"
[ ! -e "$T/tipd.pid" ] && ok "pidfile_removed" || notok "pidfile_removed"

if "$TIP" help 2>&1 | grep -q 'tip verify'; then
	if out=$("$TIP" verify "$T/store" 2>&1); then ok "verify"; else notok "verify" "$out"; fi
else
	skip "verify" "tip verify is not built yet"
fi
n1=$(segments)

# ---- restart: a new segment, nothing lost
start "restart" || exit 1
"$TIP" submit -s "$SOCK" four.example >/dev/null || notok "submit_after_restart"
stop "term_again"
n2=$(segments)
if [ "$n2" -gt "$n1" ]; then ok "restart_new_segment"; else notok "restart_new_segment" "$n1 -> $n2"; fi
if "$TIP" help 2>&1 | grep -q 'tip dump'; then
	dump=$("$TIP" dump "$T/store" 2>&1)
	missing=
	for name in watched.example www.watched.example one.example two.example three.example four.example; do
		echo "$dump" | grep -q "candidate [a-z]* $name\"" || missing="$missing $name"
	done
	starts=$(echo "$dump" | grep -c '"kind":"start"')
	stops=$(echo "$dump" | grep -c '"kind":"stop"')
	if [ -z "$missing" ] && [ "$starts" = 2 ] && [ "$stops" = 2 ]; then
		ok "nothing_lost"
	else
		notok "nothing_lost" "missing:$missing starts=$starts stops=$stops"
	fi
	if echo "$dump" | grep -q '"kind":"config"'; then ok "reload_recorded"; else notok "reload_recorded"; fi
else
	skip "nothing_lost" "tip dump is not built yet"
fi
if "$TIP" help 2>&1 | grep -q 'tip verify'; then
	if out=$("$TIP" verify "$T/store" 2>&1); then ok "verify_after_restart"; else notok "verify_after_restart" "$out"; fi
fi

# ---- privilege drop
if [ "$(id -u)" != 0 ]; then
	skip "privilege_drop" "not root"
elif ! id nobody >/dev/null 2>&1; then
	skip "privilege_drop" "no user nobody"
else
	write_conf "$T/tipd.conf" "user nobody"
	if start "privilege_drop_start"; then
		uid=$(awk '/^Uid:/ {print $2 $3 $4 $5}' "/proc/$PID/status")
		nnp=$(awk '/^NoNewPrivs:/ {print $2}' "/proc/$PID/status")
		groups=$(awk '/^Groups:/ {print $2 $3}' "/proc/$PID/status")
		want=$(id -u nobody)
		"$TIP" submit -s "$SOCK" five.example >/dev/null
		if [ "$uid" = "$want$want$want$want" ] && [ "$nnp" = 1 ] && [ "$groups" = "$(id -g nobody)" ]; then
			ok "privilege_drop"
		else
			notok "privilege_drop" "uid=$uid nnp=$nnp groups=$groups"
		fi
		stop "privilege_drop_term"
		if "$TIP" dump "$T/store" 2>/dev/null | grep -q 'candidate operator five.example"'; then
			ok "privilege_drop_store_written"
		else
			notok "privilege_drop_store_written" "$(tail -3 "$T/tipd.log")"
		fi
	fi
fi

[ "$fail" -eq 0 ]
