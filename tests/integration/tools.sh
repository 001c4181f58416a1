#!/bin/bash
# The first tip commands end to end: import cof, dump, verify, stats.
#
# A generated COF fixture (a few thousand lines: every rdata form, hostile
# names with quotes, commas, newlines, markup and non-ASCII, malformed
# lines at known line numbers) is imported; the dump must give back every
# good line exactly (names, types, answers, times, counts) and name every
# bad one by FILE:LINE.  Then copies of a sound store are damaged (bit
# flips, truncations, foreign and garbage files, missing, stale and
# garbage indexes, empty segment files) and verify must say what and where
# with the right exit status.  No command may crash on any of it: an exit
# status >= 128 or a sanitizer report fails the test.
#
# Prints "ok NAME", "not ok NAME: why" or "skip NAME: why"; exits 1 when
# anything failed.  The build folder is $O (binaries $O/tip, $O/tests/*).
set -u
O=${O:-build}
TIP=$O/tip
fail=0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT

. "$(dirname "$0")/lib.sh"
skip() { echo "skip $1: $2"; }

if [ ! -x "$TIP" ]; then
	notok "tip_built" "$TIP is missing"
	exit 1
fi

# run CMD...: output in $d/out and $d/err, status in $rc; a crash, a hang
# or a sanitizer report is a failure of its own, named after the command.
crashes=0
run() {
	timeout 120 "$@" >"$d/out" 2>"$d/err"
	rc=$?
	if [ "$rc" -ge 124 ] || grep -qE 'Sanitizer|runtime error:|LeakSanitizer' "$d/err"; then
		crashes=$((crashes + 1))
		notok "no_crash" "exit $rc: $* ($(grep -m1 -E 'ERROR|runtime error' "$d/err"))"
	fi
}

# has_fault FILE PATH REGEX: a line "PATH:OFFSET: REASON" whose REASON matches REGEX
has_fault() {
	# ENVIRON, not -v: awk would expand backslash escapes in -v values
	P="$2:" RE="$3" awk '
		BEGIN { p = ENVIRON["P"]; re = ENVIRON["RE"] }
		index($0, p) == 1 {
			rest = substr($0, length(p) + 1)
			if (match(rest, /^[0-9]+: /) && substr(rest, RLENGTH + 1) ~ re) found = 1
		}
		END { exit !found }' "$1"
}

# a byte of FILE at OFF xor MASK
flip() {
	local f=$1 off=$2 mask=${3:-1} b
	b=$(od -An -tu1 -j "$off" -N1 "$f" | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ mask)))" | dd of="$f" bs=1 seek="$off" conv=notrunc status=none
}

le32() { od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '; }
size() { stat -c %s "$1"; }

# ---- the fixture ----------------------------------------------------------
# gen_cof OUT EXPECT BAD N T0 BADEVERY: N good lines from time T0, a bad one
# every BADEVERY lines (0: none); EXPECT gets, per good line, what dump
# must print after the sensor, segment and offset; BAD the bad lines' numbers.
gen_cof() {
	awk -v n="$4" -v t0="$5" -v badevery="$6" -v out="$1" -v expf="$2" -v bad="$3" '
	function rnd() { seed = (seed * 1103515245 + 12345) % 2147483648; return int(seed / 65536) }
	function iso(t,   days, secs, z, era, doe, yoe, y, doy, mp, dd, m) {
		days = int(t / 86400); secs = t - days * 86400
		z = days + 719468; era = int(z / 146097); doe = z - era * 146097
		yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
		y = yoe + era * 400; doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
		mp = int((5 * doy + 2) / 153); dd = doy - int((153 * mp + 2) / 5) + 1
		m = mp < 10 ? mp + 3 : mp - 9; if (m <= 2) y++
		return sprintf("%04d-%02d-%02dT%02d:%02d:%02d.000000Z", y, m, dd,
			int(secs / 3600), int(secs % 3600 / 60), secs % 60)
	}
	function emit(s) { printf "%s\n", s > out; line++ }
	BEGIN {
		seed = 4242; line = 0
		# hostile name parts: the JSON we write, and what dump must print
		nf = 0
		fin[++nf] = "Q\\\"uote";                    fout[nf] = "q\\\"uote"
		fin[++nf] = "com,ma";                       fout[nf] = "com,ma"
		fin[++nf] = "new\\nline";                   fout[nf] = "new\\nline"
		fin[++nf] = "<script>alert(1)<\\/script>";  fout[nf] = "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e"
		fin[++nf] = "amp\\u0026";                   fout[nf] = "amp\\u0026"
		fin[++nf] = "caf\\u00e9";                   fout[nf] = "caf\303\251"
		fin[++nf] = "back\\\\slash";                fout[nf] = "back\\\\slash"
		fin[++nf] = "tab\\there";                   fout[nf] = "tab\\there"
		fin[++nf] = "bell\\u0007";                  fout[nf] = "bell\\u0007"
		fin[++nf] = "x\\u2028y";                    fout[nf] = "x\\u2028y"
		fin[++nf] = "emoji\\ud83d\\ude00";          fout[nf] = "emoji\360\237\230\200"
		fin[++nf] = "del\\u007f";                   fout[nf] = "del\\u007f"
		fin[++nf] = "\\\"},{\\\"rrname\\\":\\\"x";  fout[nf] = "\\\"},{\\\"rrname\\\":\\\"x"
		nb = 0
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"rdata\":\"300.1.2.3\",\"time_first\":1,\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"rdata\":[\"1.2.3.4\",],\"time_first\":1,\"time_last\":2}"
		b[++nb] = "not json at all"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"time_first\":1,\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"WHAT\",\"rdata\":\"x\",\"time_first\":1,\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\",\"time_first\":5,\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad\\ud800.example\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\",\"time_first\":1,\"time_last\":2}"
		b[++nb] = "[{\"rrname\":\"bad.example\"}]"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"AAAA\",\"rdata\":\"1.2.3.4\",\"time_first\":1,\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad\377.example\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\",\"time_first\":1,\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"rd"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\",\"time_first\":\"yesterday\",\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrname\":\"again\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\",\"time_first\":1,\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\",\"time_first\":1,\"time_last\":2,\"count\":-3}"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"rdata\":[1,2],\"time_first\":1,\"time_last\":2}"
		b[++nb] = "{\"rrname\":\"bad.example\",\"rrtype\":\"A\",\"rdata\":\"1.2.3.4\",\"time_first\":1,\"time_last\":2"
		nbad = 0
		for (i = 0; i < n; i++) {
			if (badevery && i % badevery == badevery - 1) {
				emit(b[nbad % nb + 1]); nbad++
				printf "%d\n", line > bad
			}
			if (i % 97 == 50)
				emit("")	# blank lines are no error
			t = t0 + i * 37
			tl = t + (i % 5) * 600
			cnt = 1 + i % 9
			if (i % 10 == 0) {
				k = int(i / 10) % nf + 1
				nin = fin[k] ".n" i ".Example.TEST."
				nout = fout[k] ".n" i ".example.test"
			} else {
				nin = "Host" i ".Zone" (i % 7) ".Example."
				nout = "host" i ".zone" (i % 7) ".example"
			}
			c = i % 8
			a = ""; aaaa = ""; names = ""
			if (c <= 3) {
				qin = (i % 16 == 0) ? "\"a\"" : "\"A\""; qout = "A"
				k = c == 3 ? 1 : 1 + rnd() % 6
				rin = ""
				for (j = 0; j < k; j++) {
					ip = sprintf("%d.%d.%d.%d", 1 + rnd() % 223, rnd() % 256, rnd() % 256, 1 + rnd() % 254)
					rin = rin (j ? "," : "") "\"" ip "\""
					a = a (j ? "," : "") "\"" ip "\""
				}
				if (c == 3) rin = substr(rin, 1)	# a string, not a list
				else rin = "[" rin "]"
			} else if (c == 4) {
				qin = (i % 16 == 4) ? "\"TYPE28\"" : "\"AAAA\""; qout = "AAAA"
				k = 1 + rnd() % 3; rin = ""
				for (j = 0; j < k; j++) {
					ip = sprintf("2001:db8::%x:%x", 1 + rnd() % 65535, 1 + rnd() % 65535)
					rin = rin (j ? "," : "") "\"" ip "\""
					aaaa = aaaa (j ? "," : "") "\"" ip "\""
				}
				rin = "[" rin "]"
			} else if (c == 5) {
				qin = "\"NS\""; qout = "NS"
				rin = "[\"NS1.Zone" i ".Example.\",\"ns2.zone" i ".example\"]"
				names = "\"ns1.zone" i ".example\",\"ns2.zone" i ".example\""
			} else if (c == 6) {
				qin = "\"TXT\""; qout = "TXT"
				rin = "\"v=spf1 \\\"Q\\\" <y> & z " i "\""
				names = "\"v=spf1 \\\"Q\\\" \\u003cy\\u003e \\u0026 z " i "\""
			} else if (i % 16 == 15) {
				qin = "15"; qout = "MX"
				rin = "\"10 Mail" i ".Example.\""
				names = "\"10 Mail" i ".Example.\""
			} else {
				qin = "\"CNAME\""; qout = "CNAME"
				rin = "\"Target" i ".CDN.Example.\""
				names = "\"target" i ".cdn.example\""
			}
			extra = (i % 7 == 0) ? ",\"bailiwick\":\"example.\",\"zone_time_first\":1" : ""
			cf = (i % 11 == 0) ? "" : ",\"count\":" cnt
			if (i % 11 == 0) cnt = 1
			if (i % 13 == 0)
				l = sprintf("{ \"rrname\" : \"%s\" , \"rrtype\" : %s , \"rdata\" : %s , \"time_first\" : %d , \"time_last\" : %d %s%s , \"sensor_id\" : \"fx\" }", nin, qin, rin, t, tl, cf, extra)
			else
				l = sprintf("{\"rrname\":\"%s\",\"rrtype\":%s,\"rdata\":%s,\"time_first\":%d,\"time_last\":%d%s%s,\"sensor_id\":\"fx\"}", nin, qin, rin, t, tl, cf, extra)
			if (i % 101 == 5) l = l "\r"	# a CRLF line
			emit(l)
			printf "\"type\":\"dns\",\"time\":\"%s\",\"ts_us\":%d000000,\"clock_unset\":false,\"name\":\"%s\",\"qtype\":\"%s\",\"rcode\":0,\"ttl\":0,\"server\":null,\"a\":[%s],\"aaaa\":[%s],\"names\":[%s],\"first\":\"%s\",\"last\":\"%s\",\"count\":%d}\n", iso(t), t, nout, qout, a, aaaa, names, iso(t), iso(tl), cnt > expf
		}
	}'
	: >>"$3"
}

# What dump prints after {"sensor":...,"segment":...,"offset":N,
strip_dump() { sed 's/^{"sensor":"[^"]*","segment":"[^"]*","offset":[0-9]*,//' "$@"; }

FX=$d/fixture.cof
gen_cof "$FX" "$d/expect" "$d/bad" 3000 1764000000 60
ngood=$(wc -l <"$d/expect")
nbad=$(wc -l <"$d/bad")

# ---- import ---------------------------------------------------------------
S=$d/store
run "$TIP" import cof "$FX" --store "$S" --sensor fx
if [ "$rc" -eq 1 ] && grep -q "imported $ngood, skipped $nbad" "$d/out"; then
	ok "import_fixture_skips_bad_lines"
else
	notok "import_fixture_skips_bad_lines" "exit $rc: $(cat "$d/out") $(head -3 "$d/err")"
fi
sed -n "s|^$FX:\([0-9][0-9]*\): .*|\1|p" "$d/err" >"$d/reported"
if cmp -s "$d/reported" "$d/bad" && [ "$(wc -l <"$d/err")" -eq "$nbad" ]; then
	ok "import_names_each_bad_line"
else
	notok "import_names_each_bad_line" "$(diff "$d/bad" "$d/reported" | head -5)"
fi
if grep -q "^$FX:[0-9]*: bad JSON: .* (column [0-9]*)$" "$d/err"; then
	ok "import_reason_has_column"
else
	notok "import_reason_has_column" "$(head -2 "$d/err")"
fi

run "$TIP" dump "$S"
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$d/out")" -eq "$ngood" ] && [ ! -s "$d/err" ]; then
	ok "dump_counts"
else
	notok "dump_counts" "exit $rc, $(wc -l <"$d/out") lines, want $ngood"
fi
cp "$d/out" "$d/dump"
strip_dump "$d/dump" >"$d/got"
if cmp -s "$d/expect" "$d/got"; then
	ok "dump_round_trip"
else
	notok "dump_round_trip" "$(diff "$d/expect" "$d/got" | head -4)"
fi
if grep -q '^{"sensor":"fx","segment":"[0-9]\{8\}T[0-9]\{6\}Z-[0-9]\{8\}","offset":32,"type":"dns"' "$d/dump"; then
	ok "dump_header_fields"
else
	notok "dump_header_fields" "$(head -c 200 "$d/dump")"
fi
# every line is one JSON value, whatever the names held
if command -v jq >/dev/null 2>&1; then
	if jq -c . "$d/dump" >/dev/null 2>"$d/jq.err" && [ "$(jq -s length "$d/dump")" -eq "$ngood" ] &&
		[ "$(jq -r 'select(.name | test("<script>")) | .name' "$d/dump" | wc -l)" -gt 0 ]; then
		ok "dump_is_json_lines"
	else
		notok "dump_is_json_lines" "$(head -2 "$d/jq.err")"
	fi
else
	notok "dump_is_json_lines" "jq not installed (a missing package is a fault of scripts/deps.sh, which installs it)"
fi
if grep -q '[<>&]' "$d/dump"; then notok "dump_escapes_markup"; else ok "dump_escapes_markup"; fi

run "$TIP" verify "$S"
if [ "$rc" -eq 0 ] && grep -q ": ok: 1 segments (1 sealed, 0 active), $ngood records, 0 errors, 0 warnings" "$d/out"; then
	ok "verify_sound_store"
else
	notok "verify_sound_store" "exit $rc: $(head -3 "$d/out")"
fi

run "$TIP" stats "$S"
first=$(sed -n 1p "$d/expect" | sed 's/.*"first":"\([^"]*\)".*/\1/')
last=$(sed 's/.*"last":"\([^"]*\)".*/\1/' "$d/expect" | sort | tail -1)
if [ "$rc" -eq 0 ] && grep -q "^sensor: fx$" "$d/out" &&
	grep -q "^segments: 1 (1 sealed, 0 active)$" "$d/out" &&
	grep -q "^records: $ngood (dns $ngood, enrich 0, score 0, event 0, feed 0, spam 0, other 0)$" "$d/out" &&
	grep -q "^bytes: $(size "$S"/log/*.tlog) in segments, $(size "$S"/log/*.cdb) in indexes$" "$d/out" &&
	grep -q "^time: $first .. $last$" "$d/out"; then
	ok "stats"
else
	notok "stats" "exit $rc: $(tr '\n' '|' <"$d/out")"
fi

# ---- more imports: stdin, a second segment, the sensor, bad input --------
gen_cof "$d/clean.cof" "$d/expect2" "$d/bad2" 400 1765000000 0
n2=$(wc -l <"$d/expect2")
run "$TIP" import cof - --store "$S" <"$d/clean.cof"
if [ "$rc" -eq 0 ] && grep -q "imported $n2, skipped 0" "$d/out"; then
	ok "import_stdin_into_existing_store"
else
	notok "import_stdin_into_existing_store" "exit $rc: $(cat "$d/out" "$d/err")"
fi
run "$TIP" dump "$S"
strip_dump "$d/out" >"$d/got2"
if [ "$rc" -eq 0 ] && cat "$d/expect" "$d/expect2" | cmp -s - "$d/got2" &&
	[ "$(ls "$S"/log/*.tlog | wc -l)" -eq 2 ] && [ "$(ls "$S"/log/*.cdb | wc -l)" -eq 2 ]; then
	ok "second_import_second_segment"
else
	notok "second_import_second_segment" "exit $rc"
fi
run "$TIP" import cof "$d/clean.cof" --store "$S" --sensor other
if [ "$rc" -eq 2 ] && grep -q "belongs to sensor fx" "$d/err"; then ok "import_sensor_mismatch"; else notok "import_sensor_mismatch" "exit $rc"; fi
mkdir -p "$d/notstore" && echo precious >"$d/notstore/file"
run "$TIP" import cof "$d/clean.cof" --store "$d/notstore"
if [ "$rc" -eq 2 ] && [ ! -e "$d/notstore/log" ]; then ok "import_refuses_foreign_dir"; else notok "import_refuses_foreign_dir" "exit $rc"; fi
# the sensor comes from the data when a new store is made without --sensor
run "$TIP" import cof "$d/clean.cof" --store "$d/s3"
if [ "$rc" -eq 0 ] && [ "$(cat "$d/s3/sensor.id")" = fx ]; then ok "import_sensor_from_data"; else notok "import_sensor_from_data" "exit $rc"; fi
# a line over 1 MiB, binary junk, an empty file
{ printf '{"rrname":"'; head -c 1100000 /dev/zero | tr '\0' a; printf '"}\n'; sed -n 1p "$d/clean.cof"; } >"$d/long.cof"
run "$TIP" import cof "$d/long.cof" --store "$d/s4"
if [ "$rc" -eq 1 ] && grep -q "^$d/long.cof:1: line longer than 1 MiB" "$d/err" && grep -q "imported 1, skipped 1" "$d/out"; then
	ok "import_long_line"
else
	notok "import_long_line" "exit $rc: $(head -c 300 "$d/err")"
fi
head -c 20000 /dev/urandom >"$d/junk.cof"
: >"$d/empty.cof"
run "$TIP" import cof "$d/junk.cof" "$d/empty.cof" --store "$d/s5"
if [ "$rc" -eq 1 ] && grep -q "imported 0" "$d/out"; then ok "import_binary_junk"; else notok "import_binary_junk" "exit $rc"; fi
run "$TIP" import cof "$d/empty.cof" --store "$d/s6"
if [ "$rc" -eq 0 ] && grep -q "imported 0, skipped 0" "$d/out"; then ok "import_empty_file"; else notok "import_empty_file" "exit $rc"; fi
run "$TIP" import cof "$d/clean.cof" "$d/missing.cof" --store "$d/s7"
if [ "$rc" -eq 2 ] && grep -q "missing.cof: No such file" "$d/err" && grep -q "imported $n2" "$d/out"; then
	ok "import_missing_file"
else
	notok "import_missing_file" "exit $rc"
fi

# ---- damage ---------------------------------------------------------------
# B: three sealed segments; copies of it are damaged one way each.
B=$d/base
gen_cof "$d/b1.cof" "$d/eb1" /dev/null 300 1766000000 0
gen_cof "$d/b2.cof" "$d/eb2" /dev/null 300 1766100000 0
gen_cof "$d/b3.cof" "$d/eb3" /dev/null 300 1766200000 0
for f in b1 b2 b3; do "$TIP" import cof "$d/$f.cof" --store "$B" --sensor base >/dev/null 2>&1 || notok "base_store_$f"; done
segs=($(ls "$B"/log/*.tlog | sed 's|.*/||; s|\.tlog$||'))
if [ "${#segs[@]}" -ne 3 ]; then
	notok "base_store" "${#segs[@]} segments"
	exit 1
fi
nbase=$(cat "$d/eb1" "$d/eb2" "$d/eb3" | wc -l)
n=0
copy() { n=$((n + 1)); C=$d/c$n; cp -a "$B" "$C"; S0=$C/log/${segs[0]}; S1=$C/log/${segs[1]}; S2=$C/log/${segs[2]}; }

# check NAME RC PATH REGEX: verify on $C exits RC with a fault line for PATH
check() {
	run "$TIP" verify "$C"
	if [ "$rc" -eq "$2" ] && has_fault "$d/out" "$3" "$4"; then
		ok "$1"
	else
		notok "$1" "exit $rc (want $2): $(grep -v ': ok: \|: FAULTY: ' "$d/out" | head -3 | tr '\n' '|')"
	fi
}

# where the seal frame of a sealed segment starts: after its last record
seal_off() {
	local last
	last=$("$TIP" dump "$C" | grep "\"segment\":\"$1\"" | tail -1 | sed 's/.*"offset":\([0-9]*\).*/\1/')
	echo $((last + 8 + $(le32 "$C/log/$1.tlog" $((last + 4))) % 16777216))
}

copy
flip "$S0.tlog" 500 4
check "bitflip_in_sealed_segment" 1 "$S0.tlog" "^bad CRC|record payload"
if has_fault "$d/out" "$S0.cdb" "the index|points at" || grep -q "lacks\|no record" "$d/out"; then
	ok "bitflip_index_entries_disagree"
else
	notok "bitflip_index_entries_disagree"
fi
run "$TIP" dump "$C"
nd=$(wc -l <"$d/out")
if [ "$rc" -eq 1 ] && [ "$nd" -lt "$nbase" ] && [ "$nd" -ge $((nbase - 3)) ] && has_fault "$d/err" "$S0.tlog" "bad CRC|payload"; then
	ok "dump_skips_damaged_record"
else
	notok "dump_skips_damaged_record" "exit $rc, $nd of $nbase"
fi
run "$TIP" stats "$C"
[ "$rc" -lt 2 ] && ok "stats_on_damaged_store" || notok "stats_on_damaged_store" "exit $rc"

# the active segment: the newest without seal and index; a torn tail is a warning
copy
so=$(seal_off "${segs[2]}")
rm "$S2.cdb"
truncate -s "$so" "$S2.tlog"
run "$TIP" verify "$C"
if [ "$rc" -eq 0 ] && grep -q "0 errors, 0 warnings" "$d/out"; then ok "active_clean_end"; else notok "active_clean_end" "exit $rc: $(head -3 "$d/out" | tr '\n' '|')"; fi
truncate -s $((so - 5)) "$S2.tlog"
run "$TIP" verify "$C"
if [ "$rc" -eq 0 ] && has_fault "$d/out" "$S2.tlog" "^warning: torn tail$" &&
	grep -q "(2 sealed, 1 active).* 0 errors, 1 warnings" "$d/out"; then
	ok "active_torn_tail_is_warning"
else
	notok "active_torn_tail_is_warning" "exit $rc: $(head -3 "$d/out" | tr '\n' '|')"
fi
run "$TIP" dump "$C"
if [ "$rc" -eq 0 ] && [ "$(wc -l <"$d/out")" -eq $((nbase - 1)) ] && has_fault "$d/err" "$S2.tlog" "^warning: torn tail"; then
	ok "dump_active_torn_tail"
else
	notok "dump_active_torn_tail" "exit $rc"
fi
run "$TIP" stats "$C"
if [ "$rc" -eq 0 ] && grep -q "^segments: 3 (2 sealed, 1 active)$" "$d/out" && grep -q "^records: $((nbase - 1)) " "$d/out"; then
	ok "stats_active_segment"
else
	notok "stats_active_segment" "exit $rc: $(tr '\n' '|' <"$d/out")"
fi

# a sealed segment cut short: an error (and its index is stale)
copy
truncate -s $(($(size "$S0.tlog") - 30)) "$S0.tlog"
check "truncated_sealed_segment" 1 "$S0.tlog" "torn tail|no seal"
if has_fault "$d/out" "$S0.tlog" "^warning" ; then notok "truncated_sealed_not_warning"; else ok "truncated_sealed_not_warning"; fi
has_fault "$d/out" "$S0.cdb" "^stale index" && ok "truncated_sealed_stale_index" || notok "truncated_sealed_stale_index"
# the newest sealed one cut short, its index kept: still an error
copy
truncate -s $(($(size "$S2.tlog") - 3)) "$S2.tlog"
check "truncated_newest_sealed_segment" 1 "$S2.tlog" "torn tail|no seal"

# garbage and foreign files in log/: warnings
copy
head -c 3000 /dev/urandom >"$C/log/garbage.bin"
echo notes >"$C/log/README"
evil=$'evil\nok forged line'
echo x >"$C/log/$evil"
run "$TIP" verify "$C"
if [ "$rc" -eq 0 ] && has_fault "$d/out" "$C/log/garbage.bin" "^warning: foreign file" &&
	has_fault "$d/out" "$C/log/README" "^warning: foreign file" &&
	has_fault "$d/out" "$C/log/evil\\x0aok forged line" "^warning: foreign file" &&
	! grep -q "^ok forged" "$d/out"; then
	ok "foreign_files_are_warnings"
else
	notok "foreign_files_are_warnings" "exit $rc: $(head -4 "$d/out" | tr '\n' '|')"
fi
run "$TIP" dump "$C"
[ "$rc" -eq 0 ] && [ "$(wc -l <"$d/out")" -eq "$nbase" ] && ok "dump_ignores_foreign_files" || notok "dump_ignores_foreign_files" "exit $rc"

# garbage appended after the seal of a sealed segment
copy
head -c 100 /dev/urandom >>"$S1.tlog"
check "data_after_seal" 1 "$S1.tlog" "data after the seal"
# a frame that checks, appended after the seal: a copy of the first record
copy
dd if="$S1.tlog" bs=1 skip=32 count=$(($(seal_off "${segs[1]}") - 32)) status=none >>"$S1.tlog"
check "records_after_seal" 1 "$S1.tlog" "data after the seal"

# a deleted index
copy
rm "$S1.cdb"
check "missing_index" 1 "$S1.tlog" "sealed segment without its index"
# a stale index: another segment's copied over
copy
cp "$S0.cdb" "$S1.cdb"
check "stale_index" 1 "$S1.cdb" "^stale index"
# a garbage index, small and large
copy
head -c 10 /dev/urandom >"$S1.cdb"
check "garbage_small_index" 1 "$S1.cdb" "not a TIP index"
copy
head -c 9000 /dev/urandom >"$S1.cdb"
check "garbage_large_index" 1 "$S1.cdb" "not a TIP index|stale"
run "$TIP" dump "$C"
[ "$rc" -eq 0 ] && [ "$(wc -l <"$d/out")" -eq "$nbase" ] && ok "dump_needs_no_index" || notok "dump_needs_no_index" "exit $rc"
# bytes flipped inside the index's entries (the data area after the 2048-byte table)
dend=$(le32 "$B/log/${segs[1]}.cdb" 0)
for at in 2052 2060 $(((2048 + dend) / 2)) $((dend - 2)); do
	copy
	flip "$S1.cdb" "$at" 8
	check "index_entry_flip_$at" 1 "$S1.cdb" "."
done
# an entry's first offset moved by one: it points at no record (the first
# CDB entry is the meta data; the second is a key)
copy
e2=$((2048 + 8 + $(le32 "$S1.cdb" 2048) + $(le32 "$S1.cdb" 2052)))
flip "$S1.cdb" $((e2 + 8 + $(le32 "$S1.cdb" "$e2"))) 1
check "index_entry_wrong_offset" 1 "$S1.cdb" "points at|cannot be looked up|damaged"

# segment headers
copy
flip "$S1.tlog" 2 1
check "bad_segment_magic" 1 "$S1.tlog" "bad magic"
copy
flip "$S1.tlog" 20 1
check "bad_segment_header_crc" 1 "$S1.tlog" "header CRC"

# empty files named like segments: older than the newest = error, newest = a torn header
copy
: >"$C/log/19700101T000000Z-00000000.tlog"
check "empty_old_segment_file" 1 "$C/log/19700101T000000Z-00000000.tlog" "short segment header"
copy
: >"$C/log/29991231T235959Z-00000009.tlog"
run "$TIP" verify "$C"
if [ "$rc" -eq 0 ] && has_fault "$d/out" "$C/log/29991231T235959Z-00000009.tlog" "^warning: torn tail"; then
	ok "empty_newest_segment_file"
else
	notok "empty_newest_segment_file" "exit $rc: $(head -2 "$d/out")"
fi
# an index without its segment, a segment copied under another sequence number
copy
cp "$S1.cdb" "$C/log/20000101T000000Z-00000077.cdb"
run "$TIP" verify "$C"
[ "$rc" -eq 0 ] && has_fault "$d/out" "$C/log/20000101T000000Z-00000077.cdb" "^warning: index without" &&
	ok "orphan_index_warning" || notok "orphan_index_warning" "exit $rc"
copy
cp "$S0.tlog" "$C/log/20000101T000000Z-00000002.tlog"
cp "$S0.cdb" "$C/log/20000101T000000Z-00000002.cdb"
check "sequence_twice" 1 "$C/log/20000101T000000Z-00000002.tlog" "sequence"
# no sensor.id: a warning
copy
rm "$C/sensor.id"
run "$TIP" verify "$C"
[ "$rc" -eq 0 ] && has_fault "$d/out" "$C/sensor.id" "^warning: missing sensor.id" && ok "missing_sensor_id" ||
	notok "missing_sensor_id" "exit $rc"

# several stores side by side, and one damaged among them
mkdir "$d/sensors" && cp -a "$B" "$d/sensors/a" && cp -a "$B" "$d/sensors/b"
run "$TIP" verify "$d/sensors"
[ "$rc" -eq 0 ] && [ "$(grep -c ': ok: 3 segments' "$d/out")" -eq 2 ] && ok "verify_store_set" || notok "verify_store_set" "exit $rc"
run "$TIP" dump "$d/sensors"
[ "$rc" -eq 0 ] && [ "$(wc -l <"$d/out")" -eq $((2 * nbase)) ] && ok "dump_store_set" || notok "dump_store_set" "exit $rc"
flip "$d/sensors/b/log/${segs[0]}.tlog" 700 2
run "$TIP" verify "$d/sensors/a" "$d/sensors/b"
[ "$rc" -eq 1 ] && grep -q "sensors/a: ok" "$d/out" && grep -q "sensors/b: FAULTY" "$d/out" &&
	ok "verify_names_the_bad_store" || notok "verify_names_the_bad_store" "exit $rc"

# random damage: whatever happens, no crash and a sane exit status
RANDOM=7
for i in $(seq 1 40); do
	copy
	files=("$C"/log/*)
	f=${files[RANDOM % ${#files[@]}]}
	sz=$(size "$f")
	case $((RANDOM % 4)) in
	0 | 1) for k in 1 2 3; do flip "$f" $(((RANDOM * 32768 + RANDOM) % sz)) $((1 << (RANDOM % 8))); done ;;
	2) truncate -s $(((RANDOM * 32768 + RANDOM) % sz)) "$f" ;;
	3) head -c $((RANDOM % 5000)) /dev/urandom | dd of="$f" bs=1 seek=$(((RANDOM * 32768 + RANDOM) % sz)) conv=notrunc status=none ;;
	esac
	for cmd in verify dump stats; do
		run "$TIP" "$cmd" "$C"
		[ "$rc" -le 2 ] || notok "random_damage_${i}_${cmd}" "exit $rc"
	done
	rm -rf "$C"
done
[ "$crashes" -eq 0 ] && ok "random_damage_no_crash" || notok "random_damage_no_crash" "$crashes crashes"

# ---- a store written by the store library itself: every record type ------
if [ -x "$O/tests/mkstore" ]; then
	"$O/tests/mkstore" "$d/mk" >/dev/null 2>&1
	run "$TIP" verify "$d/mk"
	if [ "$rc" -eq 0 ] && grep -q "0 errors, 1 warnings" "$d/out" && grep -q "warning: torn tail" "$d/out"; then
		ok "verify_all_record_types"
	else
		notok "verify_all_record_types" "exit $rc: $(head -3 "$d/out" | tr '\n' '|')"
	fi
	run "$TIP" dump "$d/mk"
	cp "$d/out" "$d/mkdump"
	run "$TIP" stats "$d/mk"
	total=$(sed -n 's/^records: \([0-9]*\) .*/\1/p' "$d/out")
	if [ "$(wc -l <"$d/mkdump")" = "$total" ] && [ "$rc" -eq 0 ] &&
		grep -q '"type":"enrich",.*"ip":"2001:db8:2::2","asn":4294967295' "$d/mkdump" &&
		grep -q '"type":"score",.*"n_a":8,"n_asn":8,.*"score":158.88' "$d/mkdump" &&
		grep -q '"type":"event",.*"kind":"stop"' "$d/mkdump" &&
		grep -q '"type":"feed",.*"op":"delisted","source":"src-\\u00fe","kind":"url",.*"host":"a.example"' "$d/mkdump" &&
		grep -q '"type":"feed",.*"op":"fetch",.*"bytes":8589934592,"entries":1385' "$d/mkdump" &&
		grep -q '"type":"spam",.*"op":"extract",.*"sender":"2001:db8::25",.*"host":"www.x.co.uk","domain":"x.co.uk".*"size":4,"sha256":"[0-9a-f]\{64\}"' "$d/mkdump" &&
		grep -q '"type":"spam",.*"op":"repeat",.*"source":"import"' "$d/mkdump" &&
		grep -q '"type":"unknown",.*"type_num":42' "$d/mkdump" &&
		grep -q '"clock_unset":true' "$d/mkdump"; then
		ok "dump_all_record_types"
	else
		notok "dump_all_record_types" "dump $(wc -l <"$d/mkdump") lines, stats $total"
	fi
else
	skip "all_record_types" "$O/tests/mkstore not built"
fi

# ---- bad arguments: a clear error and exit 2 -----------------------------
badargs() {	# NAME REGEX ARGS...
	local name=$1 re=$2
	shift 2
	run "$TIP" "$@"
	if [ "$rc" -eq 2 ] && grep -qE -- "$re" "$d/err"; then ok "args_$name"; else notok "args_$name" "exit $rc: $(head -2 "$d/err")"; fi
}
badargs no_command "usage: tip COMMAND"
badargs unknown_command "unknown command: frobnicate" frobnicate
badargs import_no_store "--store DIR is required" import cof "$FX"
badargs import_no_file "no input FILE" import cof --store "$d/x"
badargs import_no_format "usage: tip import" import
badargs import_unknown_format "unknown format: xml" import xml "$FX" --store "$d/x"
badargs import_unknown_option "unknown option: --bogus" import cof "$FX" --store "$d/x" --bogus
badargs import_store_value "--store needs a value" import cof "$FX" --store
badargs import_store_is_file "not a directory" import cof "$FX" --store "$FX"
badargs dump_nonexistent "nonexistent.*No such file" dump "$d/nonexistent"
badargs dump_no_store "usage: tip dump" dump
badargs dump_not_a_store "not a store" dump "$d/notstore"
badargs verify_nonexistent "nonexistent.*No such file" verify "$d/nonexistent"
badargs verify_no_store "usage: tip verify" verify
badargs verify_unknown_option "unknown option: -x" verify -x "$S"
badargs stats_nonexistent "nonexistent.*No such file" stats "$d/nonexistent"
badargs stats_no_store "usage: tip stats" stats

[ "$fail" -eq 0 ]
