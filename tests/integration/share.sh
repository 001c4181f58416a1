#!/bin/bash
# Integration test of sharing: tip keygen, tipd's share module, tip pull.
#  - keys: the certificate is one openssl reads and whose self-signature
#    verifies; the fingerprint is the SHA-256 of the key's DER
#    SubjectPublicKeyInfo as openssl computes it;
#  - two stores on loopback: tipd serves one while its active segment
#    grows (tip submit), tip pull copies into the other; after the last
#    pull both give the same tip dump and tip query output, file for file;
#    the active segment is served up to whole frames only, and pulled: a
#    prefix of the source's during growth, its whole durable length after,
#    with identical dump and query output while it is still open, and
#    replaced by the sealed one (with its index) once tipd sealed it;
#  - refusals: no client certificate, an unlisted key, a listed
#    certificate with another private key, a server key that is not the
#    pinned one, plain HTTP to the TLS port, tip pull to a plain HTTP port;
#  - faults: a proxy that truncates, flips a byte, delays; a server that
#    lies about digests and sizes or sends a corrupt frame; a short
#    session limit (the pull reconnects); SIGKILL of tip pull at random
#    points, 52 times, each followed by tip verify and a file comparison:
#    the pulled store only ever holds whole sealed segments.
# Prints ok/not ok/skip lines; exits 1 when anything failed.
set -u
O=${O:-build}
tip=$O/tip
tipd=$O/tipd
cd "$(dirname "$0")/../.." || exit 2
py=tests/integration/share.py
fails=0
. tests/integration/lib.sh
for b in "$tip" "$tipd" "$O/tests/mkyear"; do
	if [ ! -x "$b" ]; then
		echo "not ok share: $b not built"
		exit 1
	fi
done
if ! "$tipd" -V | grep -q '^modules:.* share'; then
	echo "skip share: tipd is built without the share module (Kconfig MODULE_SHARE)"
	exit 0
fi
d=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
port() { python3 "$py" port; }

# ---- keys ------------------------------------------------------------------------
for k in srv cli other; do
	"$tip" keygen --out "$d/$k" --name "tip $k" >"$d/$k.fp" 2>"$d/$k.err" || nok "keygen $k" "$(cat "$d/$k.err")"
done
mkdir -p "$d/bad"
cp "$d/cli/cert.pem" "$d/bad/cert.pem"	# a listed certificate ...
cp "$d/other/key.pem" "$d/bad/key.pem"	# ... with another private key
FSRV=$(cat "$d/srv.fp") FCLI=$(cat "$d/cli.fp") FOTHER=$(cat "$d/other.fp")
openssl x509 -in "$d/srv/cert.pem" -noout -text >"$d/x509.txt" 2>&1
grep -q 'Version: 3' "$d/x509.txt" && grep -q 'ecdsa-with-SHA256' "$d/x509.txt" &&
	grep -q 'CN *= *tip srv' "$d/x509.txt" && grep -q 'CA:FALSE' "$d/x509.txt" &&
	grep -q 'prime256v1' "$d/x509.txt"
check keygen_certificate_reads_in_openssl $? "$(head -5 "$d/x509.txt")"
openssl verify -CAfile "$d/srv/cert.pem" "$d/srv/cert.pem" >/dev/null 2>&1
check keygen_certificate_self_signature_verifies $?
want=$(openssl x509 -in "$d/srv/cert.pem" -noout -pubkey | openssl pkey -pubin -outform DER |
	python3 -c 'import sys,hashlib,base64
b=base64.b32encode(hashlib.sha256(sys.stdin.buffer.read()).digest()).decode().rstrip("=")
print("-".join(b[i:i+4] for i in range(0,len(b),4)))')
[ "$want" = "$FSRV" ]; check keygen_fingerprint_is_openssl_spki_sha256 $? "$want vs $FSRV"
openssl ec -in "$d/srv/key.pem" -noout -check >/dev/null 2>&1 &&
	[ "$(stat -c %a "$d/srv/key.pem")" = 600 ]
check keygen_key_is_valid_and_private $?
"$tip" keygen --out "$d/srv" >/dev/null 2>"$d/err"; rc=$?
[ $rc = 2 ] && grep -q 'not overwritten' "$d/err"; check keygen_never_overwrites $? "rc=$rc $(cat "$d/err")"

# ---- the source store: a day of sample passive DNS, one segment an hour --------------
scripts/sample-cof.sh >"$d/day.cof"
python3 -c '
import json, sys
out = {}
for l in open(sys.argv[1]):
    h = (json.loads(l)["time_first"] - 1764000000) // 7200
    out.setdefault(h, []).append(l)
for h, ls in out.items():
    open("%s/part%03d.cof" % (sys.argv[2], h), "w").writelines(ls)' "$d/day.cof" "$d"
for f in "$d"/part*.cof; do
	"$tip" import cof "$f" --store "$d/src" --sensor s1 >/dev/null 2>&1 || nok "import $f"
done
P=$(port)
conf() {	# conf FILE STORE PORT SOCKET [extra share lines]
	local f=$1 s=$2 p=$3 sock=$4
	shift 4
	{
		echo "pidfile none"
		echo "store {"
		echo "	dir $s"
		echo "	segment-size 4k"
		echo "	sync-interval 100ms"
		echo "}"
		echo "control {"
		echo "	socket $sock"
		echo "}"
		echo "module fastflux {"
		echo "	enable no"
		echo "}"
		echo "module share {"
		echo "	listen 127.0.0.1:$p"
		echo "	key $d/srv"
		echo "	peer analysis=$FCLI"
		echo "	timeout 3s"
		for l in "$@"; do echo "	$l"; done
		echo "}"
	} >"$f"
}
# shellcheck disable=SC2317 # called through wait_for
listening() { grep -q 'share: listening' "$1" 2>/dev/null && ports_open "$2"; }	# listening LOG PORT
start_tipd() {	# start_tipd CONF LOG PORT: sets TIPD
	"$tipd" -f -c "$1" >>"$2" 2>&1 &
	TIPD=$!
	pids+=("$TIPD")
	wait_for 5 listening "$2" "$3"
}
stop_tipd() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
conf "$d/tipd.conf" "$d/src" "$P" "$d/ctl.sock"
"$tipd" -n -c "$d/tipd.conf" >"$d/n.out" 2>&1; check config_checks $? "$(cat "$d/n.out")"
start_tipd "$d/tipd.conf" "$d/tipd.log" "$P"; check tipd_listens $? "$(tail -5 "$d/tipd.log")"
URL=https://127.0.0.1:$P
pull() { "$tip" pull "$@" --store "$d/dst" --key "$d/cli" --peer "$FSRV"; }

# the active segment grows while we pull
( for i in $(seq 400); do "$tip" submit -s "$d/ctl.sock" "grow$i.example" >/dev/null 2>&1; sleep 0.005; done ) &
grow=$!
pids+=("$grow")
sleep 0.3
pull "$URL" >"$d/p1.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q '^tip pull: .* segments' "$d/p1.out"; check pull_while_growing $? "rc=$rc $(cat "$d/p1.out")"
"$tip" verify -q "$d/dst" >"$d/v.out" 2>&1; check pull_store_verifies $? "$(cat "$d/v.out")"
# the active segment, fetched by hand: whole frames, a prefix of what it becomes
# (segments of 4 KiB rotate fast: the one listed may be sealed by the time
# it is asked for, and is then not served until the next listing; ask again)
act=
for _ in 1 2 3 4 5 6 7 8; do
	python3 "$py" get "$P" "$d/cli/cert.pem" "$d/cli/key.pem" /segments >"$d/list.txt" 2>&1
	act=$(awk '$1 == "seg" && $5 == "active" {print $2, $4}' "$d/list.txt")
	[ -n "$act" ] || continue
	set -- $act
	aname=$1 asize=$2
	rm -rf "$d/act"
	mkdir -p "$d/act/log"
	cp "$d/src/sensor.id" "$d/act/"
	st=$(python3 "$py" get "$P" "$d/cli/cert.pem" "$d/cli/key.pem" "/seg/$aname" "$d/act/log/$aname.tlog" 2>&1)
	case $st in *" 200 "*) break ;; esac
	act=
done
if [ -n "$act" ]; then
	got=$(stat -c %s "$d/act/log/$aname.tlog" 2>/dev/null || echo 0)
	"$tip" verify "$d/act" >"$d/va.out" 2>&1
	[ "$got" -ge "$asize" ] && [ "$got" -ge 32 ] && ! grep -q 'torn' "$d/va.out" &&
		cmp -s -n "$got" "$d/act/log/$aname.tlog" "$d/src/log/$aname.tlog"
	check active_segment_served_to_whole_durable_frames $? "listed $asize got $got $(cat "$d/va.out")"
else
	nok active_segment_listed_and_served "$(cat "$d/list.txt")"
fi
# what the pull published of the active segment is a prefix of it, in whole frames
prefix_ok() {	# prefix_ok PULLED SOURCE: the pulled store's unindexed newest segment
	local last f n
	last=$(ls "$1/log/"*.tlog 2>/dev/null | tail -1)
	[ -n "$last" ] || return 0
	f=${last##*/}
	[ -e "${last%.tlog}.cdb" ] && return 0
	n=$(stat -c %s "$last")
	cmp -s -n "$n" "$last" "$2/log/$f" || { echo "# $f: not a prefix of the source's"; return 1; }
}
prefix_ok "$d/dst" "$d/src"; check pull_active_segment_is_a_prefix $?
wait "$grow" 2>/dev/null
# tip submit returns once tipd has the name; the writer may still be behind
# (under load, by hundreds of records and a segment). Wait until the last
# name is in the store and the log has not changed for 0.5 s (five
# sync-intervals): everything written is durable then, and nothing more comes.
settled=no
last=
for _ in $(seq 40); do
	now=$(stat -c '%n %s' "$d/src/log/"* 2>/dev/null)
	if [ "$now" = "$last" ] && "$tip" dump "$d/src" 2>/dev/null | grep -q 'grow400.example'; then
		settled=yes
		break
	fi
	last=$now
	sleep 0.5
done
[ $settled = yes ]; check source_store_settles_after_growth $?
pull "$URL" -q >"$d/p2.out" 2>&1; check pull_again_after_growth $? "$(cat "$d/p2.out")"
# the active segment came too, up to its last durable record: the same bytes
alast=$(ls "$d/src/log/"*.tlog | tail -1)
[ ! -e "${alast%.tlog}.cdb" ] && cmp -s "$alast" "$d/dst/log/${alast##*/}" &&
	[ ! -e "$d/dst/log/$(basename "${alast%.tlog}").cdb" ]
check pull_fetches_active_segment_whole_durable "$?" "$(ls -l "$alast" "$d/dst/log/${alast##*/}" 2>&1)"
"$tip" verify -q "$d/dst" >"$d/v2.out" 2>&1; check pull_store_with_active_verifies $? "$(cat "$d/v2.out")"
# identical output on both sides while the source's active segment is open
"$tip" dump "$d/src" | sed "s|$d/src|S|g" >"$d/a0.dump"
"$tip" dump "$d/dst" | sed "s|$d/dst|S|g" >"$d/b0.dump"
grep -q 'grow400.example' "$d/a0.dump" && cmp -s "$d/a0.dump" "$d/b0.dump"
check dump_identical_with_active_segment $? "$(diff "$d/a0.dump" "$d/b0.dump" | head -3)"
qa=$("$tip" query domain grow400.example --format csv --store "$d/src" 2>&1 | sed "s|$d/src|S|g")
qb=$("$tip" query domain grow400.example --format csv --store "$d/dst" 2>&1 | sed "s|$d/dst|S|g")
[ -n "$qa" ] && [ "$qa" = "$qb" ]; check query_identical_with_active_segment $? "$qa vs $qb"
# seal everything: stop tipd, keep what it sealed, start it again, pull the rest
stop_tipd "$TIPD"
cp -a "$d/src" "$d/snap"
start_tipd "$d/tipd.conf" "$d/tipd.log" "$P" || nok tipd_restarts
pull "$URL" >"$d/p3.out" 2>&1; check pull_after_seal $? "$(cat "$d/p3.out")"
# the active segment pulled before was sealed by the stop: now it is the sealed one
nsnap=$(ls "$d/snap/log/"*.tlog | wc -l)
ndst=$(ls "$d/dst/log/"*.tlog | wc -l)
same=0
for f in "$d/snap/log/"*; do cmp -s "$f" "$d/dst/log/${f##*/}" || { same=1; echo "# ${f##*/} differs"; }; done
# beyond them, only the restarted tipd's new active segment (no index), a prefix of it
extra=$(cd "$d/dst/log" && for f in *; do [ -e "$d/snap/log/$f" ] || echo "$f"; done)
case $extra in *.cdb*) same=1 ;; esac
[ "$ndst" -le $((nsnap + 1)) ] && [ $same = 0 ] && prefix_ok "$d/dst" "$d/src"
check pulled_files_identical $? "$nsnap vs $ndst segments; extra: $extra"
"$tip" dump "$d/snap" | sed "s|$d/snap|S|g" >"$d/a.dump"
"$tip" dump "$d/dst" | sed "s|$d/dst|S|g" >"$d/b.dump"
[ -s "$d/a.dump" ] && cmp -s "$d/a.dump" "$d/b.dump"; check dump_identical $? "$(diff "$d/a.dump" "$d/b.dump" | head -3)"
qs=0
for q in "flux --min-score 0 --format csv" "domain www.site7.example --format json" \
	"domain flux.example --format cof" "ip 192.0.2.17 --format csv" "flux --format table"; do
	# shellcheck disable=SC2086
	a=$("$tip" query $q --store "$d/snap" 2>&1 | sed "s|$d/snap|S|g")
	# shellcheck disable=SC2086
	b=$("$tip" query $q --store "$d/dst" 2>&1 | sed "s|$d/dst|S|g")
	[ -n "$a" ] && [ "$a" = "$b" ] || { qs=1; echo "# query $q differs"; }
done
check query_identical $qs
pull "$URL" -q >"$d/p4.out" 2>&1; rc=$?
[ $rc = 0 ] && grep -q ': 0 segments' "$d/p4.out"; check pull_up_to_date_fetches_nothing $? "$(cat "$d/p4.out")"
"$tip" compact "$d/dst" -q >/dev/null 2>&1 && "$tip" verify -q "$d/dst" >/dev/null 2>&1
check pulled_store_compacts $?

# ---- refusals --------------------------------------------------------------------------
python3 "$py" get "$P" - - /segments >"$d/r1.out" 2>&1; rc=$?
sleep 0.2
[ $rc = 1 ] && grep -q 'no client certificate' "$d/tipd.log"; check refuse_no_client_certificate $? "rc=$rc $(cat "$d/r1.out")"
"$tip" pull "$URL" --store "$d/r2" --key "$d/other" --peer "$FSRV" --retries 0 >"$d/r2.out" 2>&1; rc=$?
sleep 0.2
[ $rc = 4 ] && grep -q 'does not accept our key' "$d/r2.out" && grep -q "key $FOTHER is not a listed peer" "$d/tipd.log" &&
	[ ! -d "$d/r2/log" ]
check refuse_unlisted_key $? "rc=$rc $(cat "$d/r2.out")"
"$tip" pull "$URL" --store "$d/r3" --key "$d/bad" --peer "$FSRV" --retries 0 >"$d/r3.out" 2>&1; rc=$?
sleep 0.2
[ $rc = 4 ] && grep -q 'key.pem is not the key of cert.pem' "$d/r3.out" &&
	grep -q 'does not hold the private key' "$d/tipd.log"
check refuse_listed_certificate_wrong_private_key $? "rc=$rc $(cat "$d/r3.out")"
"$tip" pull "$URL" --store "$d/r4" --key "$d/cli" --peer "$FOTHER" --retries 0 >"$d/r4.out" 2>&1; rc=$?
[ $rc = 4 ] && grep -q "server's key $FSRV is not the pinned one" "$d/r4.out"
check refuse_server_key_not_pinned $? "rc=$rc $(cat "$d/r4.out")"
out=$(curl -s -m 5 "http://127.0.0.1:$P/segments" 2>&1); rc=$?
echo "$out" | grep -q 'speaks TLS only' && grep -q 'plain text on the TLS port' "$d/tipd.log"
check refuse_plain_http $? "rc=$rc $out"
HP=$(port)
python3 -m http.server "$HP" --bind 127.0.0.1 --directory "$d/snap" >/dev/null 2>&1 &
pids+=($!)
wait_for 5 ports_open "$HP"
"$tip" pull "https://127.0.0.1:$HP" --store "$d/r5" --key "$d/cli" --peer "$FSRV" --retries 0 --timeout 3 \
	>"$d/r5.out" 2>&1; rc=$?
[ $rc = 3 ] && grep -q 'does not speak TLS' "$d/r5.out"; check refuse_plain_http_server $? "rc=$rc $(cat "$d/r5.out")"
"$tip" pull "$URL" --store "$d/r6" --key "$d/cli" --peer "not-a-key" >"$d/r6.out" 2>&1; rc=$?
[ $rc = 2 ] && grep -q 'not a key fingerprint' "$d/r6.out"; check refuse_bad_fingerprint_argument $?
stop_tipd "$TIPD"

# ---- a bigger store, for faults and kills ------------------------------------------------
"$O/tests/mkyear" "$d/y" --sensors 1 --hours 24 --names 400,100,100 >/dev/null 2>&1
BIG=$d/y/s1
BP=$(port)
# session-max 5s while the faults run: the delay fault must meet the client's
# 1 s timeout, not a session limit of the same second (they raced); the
# session-limit check below reloads it to 1s
conf "$d/big.conf" "$BIG" "$BP" none "session-max 5s"
start_tipd "$d/big.conf" "$d/big.log" "$BP"; check big_tipd_listens $? "$(tail -3 "$d/big.log")"
bigurl=https://127.0.0.1:$BP
bpull() { "$tip" pull "$1" --store "$2" --key "$d/cli" --peer "$FSRV" "${@:3}"; }
# sound: verifies, and every segment it holds is the source's, byte for byte
sound() {
	local s=$1 f
	[ -d "$s/log" ] || return 0
	"$tip" verify -q "$s" >/dev/null 2>&1 || { echo "# verify: $("$tip" verify "$s" 2>&1 | head -3)"; return 1; }
	for f in "$s/log/"*.tlog; do
		[ -e "$f" ] || continue
		if [ -e "${f%.tlog}.cdb" ]; then
			cmp -s "$f" "$BIG/log/${f##*/}" || { echo "# $f differs"; return 1; }
		else	# the active segment: a prefix of the source's
			cmp -s -n "$(stat -c %s "$f")" "$f" "$BIG/log/${f##*/}" || { echo "# $f no prefix"; return 1; }
		fi
	done
	# nothing half-written in log/: every index is of its whole segment (verify), no temporaries
	! ls "$s/log/" | grep -q 'part\|tmp' || { echo "# a temporary in log/"; return 1; }
	return 0
}
complete() {	# every sealed source segment is there
	local f
	for f in "$BIG/log/"*.tlog; do
		[ -e "$1/log/${f##*/}" ] || [ "$f" = "$(ls "$BIG/log/"*.tlog | tail -1)" ] || return 1
	done
}
t0=$(date +%s%N)
bpull "$bigurl" "$d/full" -q >"$d/full.out" 2>&1; rc=$?
t1=$(date +%s%N)
full_ms=$(((t1 - t0) / 1000000))
sound "$d/full" && complete "$d/full" && [ $rc = 0 ]; check big_pull_complete $? "rc=$rc $(cat "$d/full.out")"

PX=$(port)
fault() {	# fault NAME MODE ARG EXPECT-RC GREP
	local name=$1 mode=$2 arg=$3 want=$4 pat=$5 p rc
	python3 "$py" proxy "$PX" "$BP" "$mode" "$arg" >/dev/null 2>&1 &
	p=$!
	wait_for 2.5 ports_open "$PX"
	rm -rf "$d/f"
	bpull "https://127.0.0.1:$PX" "$d/f" --retries 0 --timeout 1 -q >"$d/f.out" 2>&1; rc=$?
	kill $p 2>/dev/null; wait $p 2>/dev/null
	[ $rc = "$want" ] && grep -q "$pat" "$d/f.out" && sound "$d/f"
	check "fault_${name}_detected" $? "rc=$rc $(cat "$d/f.out")"
	bpull "$bigurl" "$d/f" -q >"$d/f2.out" 2>&1 && sound "$d/f" && complete "$d/f"
	check "fault_${name}_resumes" $? "$(cat "$d/f2.out")"
}
fault truncate truncate 300000 3 'cut short\|closed'
fault flip flip 200000 3 'MAC\|corrupt\|cut short\|closed'
fault delay delay 1.5 3 'timed out'

# a server that lies (the sensor's own key: only the data is wrong)
seg1=$(ls "$BIG/log/"*.tlog | head -1)
LP=$(port)
for mode in digest size corrupt short; do
	python3 "$py" liar "$LP" "$d/srv/cert.pem" "$d/srv/key.pem" "$seg1" "$mode" >/dev/null 2>&1 &
	p=$!
	wait_for 2.5 ports_open "$LP"
	rm -rf "$d/l"
	bpull "https://127.0.0.1:$LP" "$d/l" --retries 0 --timeout 2 -q >"$d/l.out" 2>&1; rc=$?
	kill $p 2>/dev/null; wait $p 2>/dev/null
	case $mode in
	digest) want=5 pat='SHA-256 does not match' ;;
	size) want=5 pat='listing said' ;;
	corrupt) want=5 pat='offset' ;;
	short) want=3 pat='cut short\|closed' ;;
	esac
	n=$(ls "$d/l/log/"*.tlog 2>/dev/null | wc -l)
	[ $rc = $want ] && grep -q "$pat" "$d/l.out" && [ "$n" = 0 ]
	check "lying_server_${mode}_refused_nothing_published" $? "rc=$rc n=$n $(cat "$d/l.out")"
done

# the server ends sessions after 1 s: a slow pull reconnects and resumes
conf "$d/big.conf" "$BIG" "$BP" none "session-max 1s"
n=$(grep -c 'conf: reloaded' "$d/big.log") at=$(wc -l <"$d/big.log")
kill -HUP "$TIPD"
# shellcheck disable=SC2317 # called through wait_for
reloaded() { [ "$(grep -c 'conf: reloaded' "$d/big.log")" -gt "$n" ]; }
wait_for 5 reloaded; check big_tipd_reloads_session_max $? "$(tail -3 "$d/big.log")"
python3 "$py" proxy "$PX" "$BP" throttle 300000 >/dev/null 2>&1 &
p=$!
wait_for 2.5 ports_open "$PX"
rm -rf "$d/s"
bpull "https://127.0.0.1:$PX" "$d/s" --retries 3 -q >"$d/s.out" 2>&1; rc=$?
kill $p 2>/dev/null; wait $p 2>/dev/null
[ $rc = 0 ] && sound "$d/s" && complete "$d/s" && tail -n +"$((at + 1))" "$d/big.log" | grep -q 'session time limit'
check session_limit_reconnects_and_resumes $? "rc=$rc $(cat "$d/s.out")"

# ---- SIGKILL at random points ------------------------------------------------------------
kills=0 bad=0 rounds=0 i=0
span=$((full_ms > 60 ? full_ms / 3 : 20))
RANDOM=12
while [ $kills -lt 52 ] && [ $i -lt 150 ]; do
	i=$((i + 1))
	if complete "$d/k" 2>/dev/null; then rm -rf "$d/k"; rounds=$((rounds + 1)); fi
	# tip itself in the background (a function would fork a shell: the kill would miss tip)
	"$tip" pull "$bigurl" --store "$d/k" --key "$d/cli" --peer "$FSRV" -q >/dev/null 2>&1 &
	p=$!
	ms=$((RANDOM % span))
	sleep "$(printf '%d.%03d' $((ms / 1000)) $((ms % 1000)))"
	kill -9 $p 2>/dev/null && kills=$((kills + 1))
	wait $p 2>/dev/null
	sound "$d/k" || bad=$((bad + 1))
done
bpull "$bigurl" "$d/k" -q >"$d/k.out" 2>&1; rc=$?
[ $bad = 0 ] && [ $rc = 0 ] && sound "$d/k" && complete "$d/k" && [ $kills -ge 50 ]
check "sigkill_${kills}_times_always_sound_then_complete" $? "bad=$bad rc=$rc rounds=$rounds $(cat "$d/k.out")"
stop_tipd "$TIPD"

[ $fails = 0 ] || exit 1
exit 0
