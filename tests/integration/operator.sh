#!/bin/bash
# operator: tipd as a new operator meets it, against the real daemon.
#  - one writer per store: a second tipd, tip compact and tip import on a
#    store tipd writes are refused, naming tipd's pid; the store verifies;
#  - what `tipd -n` accepts runs as written, what cannot run fails -n with
#    FILE:LINE (seven servers, `servers localhost`, an unknown user or
#    group, a quota under two segments, relative paths, a misspelt module
#    that lists the built-in ones); a module that cannot start is fatal at
#    start and a logged error on reload;
#  - a detached tipd started with a relative -c reloads;
#  - a HUP back to the start-time store dir says nothing;
#  - tip submit prints tipd's answer; watch-list lines with two words or an
#    address are refused with FILE:LINE; stderr lines are dated;
#  - a DNS server that never answers is named ("no reply from ADDR in N s")
#    and said again when it answers (PowerDNS); "lookups" counts the same
#    in the log and in status.
# Run it in a network namespace of its own (tests/check.sh does not; it
# binds only 127.0.0.1 ports it found free).
# Prints "ok NAME" / "not ok NAME: why" / "skip NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
TIPD=$TOP/$O/tipd
TIP=$TOP/$O/tip
fail=0
PIDS=()
. tests/integration/lib.sh
skip() { echo "skip $1: $2"; }

if [ ! -x "$TIPD" ] || [ ! -x "$TIP" ]; then
	echo "not ok operator: $O/tipd or $O/tip not built"
	exit 1
fi
tmpdir_make T operator
chmod 755 "$T"
on_exit "kill_now \"\${PIDS[@]}\"; [ ! -f '$T/pdns/env' ] || python3 tests/pdns/harness.py down '$T/pdns' >/dev/null 2>&1"
modules=$("$TIPD" -V | sed -n 's/^modules://p')
has_ff() { case " $modules " in *" fastflux "*) return 0 ;; esac; return 1; }

conf() {	# conf NAME [top-level lines] [store lines] [module sections]: $T/NAME.conf
	cat > "$T/$1.conf" <<EOF
pidfile $T/$1.pid
log-level info
${2:-}
store {
	dir ${STORE:-$T/store}
	sync-interval 100ms
${3:-}
}
control {
	socket $T/$1.sock
}
${4:-}
EOF
}

up() {	# up NAME: tipd -f in the background; wait for its socket
	"$TIPD" -f -c "$T/$1.conf" 2>>"$T/$1.log" &
	local pid=$!
	PIDS+=("$pid")
	eval "PID_$1=$pid"
	for _ in $(seq 100); do
		"$TIP" status -s "$T/$1.sock" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	return 1
}

down() {	# down NAME: TERM, wait; the exit status
	local pid
	eval "pid=\$PID_$1"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
}

field() {	# field SOCK PREFIX KEY
	"$TIP" status -s "$1" | awk -v p="$2" -v k="$3" '$1 == p {
		for (i = 2; i <= NF; i++) { split($i, a, "="); if (a[1] == k) { print a[2]; exit } } }'
}
field_is() { [ "$(field "$1" "$2" "$3")" = "$4" ]; }	# field_is SOCK PREFIX KEY VALUE
gone() { ! kill -0 "$1" 2>/dev/null; }	# gone PID: the process has ended

expect_n() {	# expect_n NAME FILE WANT: tipd -n fails with exactly WANT
	local out
	out=$("$TIPD" -n -c "$2" 2>&1)
	local rc=$?
	if [ "$rc" -ne 0 ] && [ "$out" = "$3" ]; then ok "$1"; else notok "$1" "rc=$rc: $out"; fi
}

# ---- 1. one writer per store -----------------------------------------------------------
conf a
conf b
up a || notok "first_tipd_starts" "$(tail -3 "$T/a.log")"
"$TIP" submit -s "$T/a.sock" before.example >/dev/null
out=$(timeout 10 "$TIPD" -f -c "$T/b.conf" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && echo "$out" | grep -q "fatal: tipd: store: $T/store: in use by tipd (pid $PID_a): one writer per store"; then
	ok "second_tipd_refused_naming_pid"
else
	notok "second_tipd_refused_naming_pid" "rc=$rc $out"
fi
# detached, the refusal still reaches the terminal and the exit status
out=$(timeout 10 "$TIPD" -c "$T/b.conf" 2>&1)
rc=$?
if [ "$rc" -eq 1 ] && echo "$out" | grep -q "in use by tipd (pid $PID_a)"; then
	ok "second_tipd_detached_refused"
else
	notok "second_tipd_detached_refused" "rc=$rc $out"
fi
out=$("$TIP" compact "$T/store" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "in use by tipd (pid $PID_a)"; then
	ok "compact_refused_while_tipd_writes"
else
	notok "compact_refused_while_tipd_writes" "rc=$rc $out"
fi
printf '{"rrname":"imp.example","rrtype":"A","rdata":"192.0.2.1","time_first":1700000000,"time_last":1700000000}\n' > "$T/one.cof"
out=$("$TIP" import cof "$T/one.cof" --store "$T/store" 2>&1)
rc=$?
if [ "$rc" -ne 0 ] && echo "$out" | grep -q "in use by tipd (pid $PID_a)"; then
	ok "import_refused_while_tipd_writes"
else
	notok "import_refused_while_tipd_writes" "rc=$rc $out"
fi
"$TIP" submit -s "$T/a.sock" after.example >/dev/null
down a
rc=$?
out=$("$TIP" verify "$T/store" 2>&1)
vrc=$?
if [ "$rc" -eq 0 ] && [ "$vrc" -eq 0 ] && "$TIP" dump "$T/store" | grep -q 'candidate operator after.example"'; then
	ok "store_sound_after_refusals"
else
	notok "store_sound_after_refusals" "tipd rc=$rc verify rc=$vrc: $out"
fi
# once tipd is gone, the others may write
if "$TIP" import cof "$T/one.cof" --store "$T/store" >/dev/null 2>&1 &&
	"$TIP" compact -q "$T/store" >/dev/null 2>&1; then
	ok "import_and_compact_after_tipd"
else
	notok "import_and_compact_after_tipd"
fi

# ---- 2. what -n accepts runs; what cannot run fails -n with FILE:LINE ----------------------
if has_ff; then
	conf ff7 "" "" "module fastflux {
	servers 127.0.0.1 127.0.0.2 127.0.0.3 127.0.0.4 127.0.0.5 127.0.0.6 127.0.0.7
}"
	expect_n "n_seven_servers" "$T/ff7.conf" "$T/ff7.conf:13: servers: one to 6 addresses (7 given)"
	conf ffl "" "" "module fastflux {
	servers localhost
}"
	expect_n "n_servers_name" "$T/ffl.conf" \
		"$T/ffl.conf:13: servers: 'localhost' is not an address (1.2.3.4, 1.2.3.4:53, [::1]:53; no names)"
	conf ff6 "" "" "module fastflux {
	servers 127.0.0.1 127.0.0.2:53 [::1]:53 ::1 127.0.0.5 127.0.0.6
}"
	if out=$("$TIPD" -n -c "$T/ff6.conf" 2>&1); then ok "n_six_servers"; else notok "n_six_servers" "$out"; fi
else
	skip "n_servers" "tipd built without the fastflux module"
fi
conf user "user nosuchuser"
expect_n "n_no_such_user" "$T/user.conf" "$T/user.conf:3: user: no such user 'nosuchuser'"
sed -i "s|^\tsocket .*|&\n\tgroup nosuchgroup|" "$T/user.conf"
sed -i "/^user /d" "$T/user.conf"
expect_n "n_no_such_group" "$T/user.conf" "$T/user.conf:10: group: no such group 'nosuchgroup'"
conf quota "" "	segment-size 4k
	quota 1k"
expect_n "n_quota_under_two_segments" "$T/quota.conf" \
	"$T/quota.conf:8: quota: 1k is less than two segments (segment-size 4k): retention would keep no sealed segment"
STORE=store/rel conf rel
expect_n "n_relative_store_dir" "$T/rel.conf" "$T/rel.conf:5: dir: use an absolute path"
conf relpid
sed -i "s|^pidfile .*|pidfile run/tipd.pid|" "$T/relpid.conf"
expect_n "n_relative_pidfile" "$T/relpid.conf" "$T/relpid.conf:1: pidfile: use an absolute path"
conf typo "" "" "module fastflx {
}"
want=$(echo "$modules" | sed 's/^ *//; s/ *$//; s/  */, /g')
expect_n "n_unknown_module_lists_known" "$T/typo.conf" \
	"$T/typo.conf:12: unknown module 'fastflx' (built in: $want)"

# A module that cannot start: fatal at start, whichever module (here the
# fast-flux module's resolver, with a resolv.conf that is not there).
if has_ff; then
	conf ffbad "" "" "module fastflux {
	resolv-conf $T/no-resolv.conf
}"
	if "$TIPD" -n -c "$T/ffbad.conf" >/dev/null 2>&1; then
		out=$(timeout 10 "$TIPD" -f -c "$T/ffbad.conf" 2>&1)
		rc=$?
		if [ "$rc" -eq 1 ] && echo "$out" | grep -q "fastflux: resolver: cannot read resolv.conf (resolv-conf $T/no-resolv.conf)" &&
			echo "$out" | grep -q "fatal: tipd: module fastflux cannot start" &&
			! echo "$out" | grep -q " started "; then
			ok "module_that_cannot_start_is_fatal"
		else
			notok "module_that_cannot_start_is_fatal" "rc=$rc $out"
		fi
	else
		notok "module_that_cannot_start_is_fatal" "-n refused the configuration"
	fi
	# ... and a logged error on reload: tipd keeps running, status says failed
	STORE=$T/store2 conf rl
	up rl || notok "reload_module_failure_start" "$(tail -3 "$T/rl.log")"
	STORE=$T/store2 conf rl "" "" "module fastflux {
	resolv-conf $T/no-resolv.conf
}"
	kill -HUP "$PID_rl"
	wait_for 5 field_is "$T/rl.sock" conf reloads 1
	if kill -0 "$PID_rl" 2>/dev/null &&
		"$TIP" status -s "$T/rl.sock" | grep -q '^module name=fastflux state=failed' &&
		grep -q "error: conf: reload: module fastflux is configured but not running" "$T/rl.log"; then
		ok "module_failing_on_reload_is_logged"
	else
		notok "module_failing_on_reload_is_logged" "$(tail -4 "$T/rl.log")"
	fi
	down rl >/dev/null
fi

# ---- 3. a detached tipd with a relative -c reloads ------------------------------------------
mkdir -p "$T/etc"
STORE=$T/store3 conf det
mv "$T/det.conf" "$T/etc/det.conf"
( cd "$T/etc" && "$TIPD" -c det.conf ) 2>"$T/det.err"
rc=$?
dpid=$(cat "$T/det.pid" 2>/dev/null)
[ -n "$dpid" ] && PIDS+=("$dpid")
if [ "$rc" -eq 0 ] && [ -n "$dpid" ] && "$TIP" status -s "$T/det.sock" >/dev/null 2>&1; then
	sed -i 's/^log-level info/log-level warn/' "$T/etc/det.conf"
	kill -HUP "$dpid"
	wait_for 5 field_is "$T/det.sock" conf reloads 1
	if [ "$(field "$T/det.sock" conf reloads)" = 1 ] && [ "$(field "$T/det.sock" conf reload_errors)" = 0 ] &&
		[ "$(field "$T/det.sock" tipd level)" = warn ] &&
		[ "$(field "$T/det.sock" tipd config)" = "$T/etc/det.conf" ]; then
		ok "detached_relative_config_reloads"
	else
		notok "detached_relative_config_reloads" "$("$TIP" status -s "$T/det.sock" | grep -E '^(tipd|conf)')"
	fi
	kill -TERM "$dpid"
	wait_for 5 gone "$dpid"
else
	notok "detached_relative_config_reloads" "rc=$rc $(cat "$T/det.err")"
fi

# ---- 6. the smaller things ---------------------------------------------------------------------
# a HUP away from the start-time store dir warns once; back to it, nothing
STORE=$T/store4 conf hup
up hup || notok "hup_start"
STORE=$T/elsewhere conf hup
kill -HUP "$PID_hup"
wait_for 5 field_is "$T/hup.sock" conf reloads 1
STORE=$T/store4 conf hup
kill -HUP "$PID_hup"
wait_for 5 field_is "$T/hup.sock" conf reloads 2
n=$(grep -c 'conf: reload: store dir: changed in the file' "$T/hup.log")
if [ "$(field "$T/hup.sock" conf reloads)" = 2 ] && [ "$n" = 1 ]; then
	ok "hup_back_to_same_store_dir_is_quiet"
else
	notok "hup_back_to_same_store_dir_is_quiet" "$n warnings: $(grep 'conf: reload' "$T/hup.log")"
fi
out=$("$TIP" submit -s "$T/hup.sock" one.example two.example 2>&1)
if [ $? -eq 0 ] && [ "$out" = "submitted 2" ]; then ok "submit_prints_the_answer"; else notok "submit_prints_the_answer" "'$out'"; fi
if head -1 "$T/hup.log" | grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z tipd: '; then
	ok "stderr_lines_are_dated"
else
	notok "stderr_lines_are_dated" "$(head -1 "$T/hup.log")"
fi
down hup >/dev/null

printf 'bad name.flux.test\n  1.2.3.4\ngood.flux.test  # a comment\n' > "$T/watch.txt"
STORE=$T/store5 conf wl "" "" "module watchlist {
	file $T/watch.txt
	interval 1s
}"
up wl || notok "watchlist_start" "$(tail -3 "$T/wl.log")"
wl_read() { [ -n "$(field "$T/wl.sock" module bad_lines)" ] && [ "$(field "$T/wl.sock" module reads)" = 1 ]; }
wait_for 5 wl_read
down wl >/dev/null
dump=$("$TIP" dump "$T/store5" 2>&1)
if grep -q "watchlist: $T/watch.txt:1:1: not a domain name: \"bad name.flux.test\"" "$T/wl.log" &&
	grep -q "watchlist: $T/watch.txt:2:3: not a domain name: \"1.2.3.4\"" "$T/wl.log" &&
	echo "$dump" | grep -q 'candidate watchlist good.flux.test"' &&
	! echo "$dump" | grep -q 'candidate watchlist bad"' &&
	! echo "$dump" | grep -q 'candidate watchlist 1.2.3.4"'; then
	ok "watchlist_lines_validated_with_file_line_col"
else
	notok "watchlist_lines_validated_with_file_line_col" "$(grep watchlist "$T/wl.log" | head -4)"
fi

# make install: the programs, tip(1), tipd.conf(5), tipd(8), the example
# configuration; an operator's tipd.conf is never overwritten
if make -s --no-print-directory O="$O" DESTDIR="$T/inst" install >"$T/install.log" 2>&1 &&
	[ -x "$T/inst/usr/local/bin/tip" ] && [ -x "$T/inst/usr/local/sbin/tipd" ] &&
	[ -f "$T/inst/usr/local/share/man/man1/tip.1" ] && [ -f "$T/inst/usr/local/share/man/man8/tipd.8" ] &&
	[ -f "$T/inst/usr/local/share/man/man5/tipd.conf.5" ] &&
	cmp -s configs/tipd.conf.example "$T/inst/etc/tipd.conf.example" &&
	cmp -s configs/tipd.conf.example "$T/inst/etc/tipd.conf" &&
	echo '# mine' > "$T/inst/etc/tipd.conf" &&
	make -s --no-print-directory O="$O" DESTDIR="$T/inst" install >>"$T/install.log" 2>&1 &&
	[ "$(cat "$T/inst/etc/tipd.conf")" = '# mine' ]; then
	ok "make_install_man_pages_and_example_config"
else
	notok "make_install_man_pages_and_example_config" "$(tail -3 "$T/install.log")"
fi
if "$TIPD" -n -c configs/tipd.conf.example >/dev/null 2>&1; then ok "example_config_passes_n"; else notok "example_config_passes_n"; fi
# tip(1) has every command `tip help` lists, and renders without a warning
missing=
for c in $("$TIP" help | awk '$1 == "tip" { print $2 }' | sort -u); do
	grep -q "^\.It Cm $c\( \|\$\)" doc/tip.1 || missing="$missing $c"
done
warn=$(groff -mdoc -ww -z doc/tip.1 doc/tipd.8 doc/tipd.conf.5 2>&1)
if [ -z "$missing" ] && [ -z "$warn" ]; then
	ok "tip_1_covers_every_command"
else
	notok "tip_1_covers_every_command" "missing:$missing $warn"
fi

# ---- 5. a DNS server that never answers, then answers (PowerDNS) ---------------------------------
if ! has_ff; then
	skip "mute_server_named" "tipd built without the fastflux module"
elif ! command -v pdns_server >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	notok "mute_server_named" "pdns_server or python3 missing (scripts/deps.sh check)"
else
	port=$(python3 -c 'import sys; sys.path.insert(0, "tests/pdns"); import harness; print(harness.free_port())')
	STORE=$T/store6 conf dns "" "" "module fastflux {
	servers 127.0.0.1:$port
	timeout 1s
	tries 1
	silence 2s
	ttl-min 1s
	log-interval 1s
	ptr no
	asn-zone origin.asn.test
}"
	up dns || notok "mute_server_start" "$(tail -3 "$T/dns.log")"
	"$TIP" submit -s "$T/dns.sock" ff1.flux.test >/dev/null
	wait_for 10 grep -q "resolver: no reply from 127.0.0.1:$port in 2 s" "$T/dns.log"
	if grep -q "warn: resolver: no reply from 127.0.0.1:$port in 2 s" "$T/dns.log" &&
		[ "$(field "$T/dns.sock" module res_servers_silent)" = 1 ]; then
		ok "mute_server_named"
	else
		notok "mute_server_named" "$(grep -E 'resolver|fastflux' "$T/dns.log" | tail -3)"
	fi
	if python3 tests/pdns/harness.py up "$T/pdns" --port "$port" >"$T/pdns.up" 2>&1; then
		"$TIP" submit -s "$T/dns.sock" ff2.flux.test >/dev/null
		wait_for 10 grep -q "answers again" "$T/dns.log"
		if grep -Eq "warn: resolver: 127.0.0.1:$port answers again after [0-9]+ s" "$T/dns.log" &&
			[ "$(grep -c "no reply from 127.0.0.1:$port" "$T/dns.log")" = 1 ] &&
			[ "$(field "$T/dns.sock" module res_servers_silent)" = 0 ]; then
			ok "server_answering_again_said"
		else
			notok "server_answering_again_said" "$(grep -E 'resolver' "$T/dns.log" | tail -3)"
		fi
	else
		notok "server_answering_again_said" "PowerDNS did not start: $(tail -3 "$T/pdns.up")"
	fi
	# "lookups": the periodic line and status count the same thing
	sleep 1.5
	st_l=$(field "$T/dns.sock" module lookups)
	st_ns=$(field "$T/dns.sock" module ns_lookups)
	sleep 1.2
	line=$(grep 'fastflux: .*lookups=' "$T/dns.log" | tail -1)
	lg_l=$(echo "$line" | sed -n 's/.* lookups=\([0-9]*\) .*/\1/p')
	lg_ns=$(echo "$line" | sed -n 's/.* ns_lookups=\([0-9]*\) .*/\1/p')
	st_l2=$(field "$T/dns.sock" module lookups)
	st_ns2=$(field "$T/dns.sock" module ns_lookups)
	# both counts bracketed by status before and after the line: a lookup may
	# complete between the readings
	if [ -n "$lg_l" ] && [ -n "$st_l" ] && [ "$lg_l" -ge "$st_l" ] && [ "$lg_l" -le "$st_l2" ] &&
		[ -n "$lg_ns" ] && [ -n "$st_ns" ] && [ "$lg_ns" -ge "$st_ns" ] && [ "$lg_ns" -le "$st_ns2" ]; then
		ok "lookups_same_in_log_and_status"
	else
		notok "lookups_same_in_log_and_status" "status $st_l..$st_l2 ns=$st_ns..$st_ns2; log: $line"
	fi
	down dns >/dev/null
fi

[ "$fail" -eq 0 ]
