#!/bin/bash
# tipd's blacklist module against a real HTTPS server: nginx on loopback
# with a CA this test makes, serving the real samples; one source answering
# 404, one server that stalls (cut at its timeout).  Checked: the round
# completes with the failing sources logged and recorded as failed fetches;
# the store's listed records equal the parser's count of each sample (a
# gzip file among them); after a restart every source is answered 304 and
# nothing is listed again; a list that shrinks on the server is recorded as
# the right delistings; tip query source reads it all; the domains of a
# feed become fast-flux candidates at candidate-rate, candidate-queue and
# candidates no limit them.  Prints ok/not ok lines.  ~25 s.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
case "$O" in /*) ;; *) O=$TOP/$O ;; esac
TIPD=$O/tipd TIP=$O/tip F=$O/tests/feedcat
DATA=$TOP/../shared/data/blacklists
fails=0
PIDS=
. tests/integration/lib.sh
for b in "$TIPD" "$TIP" "$F"; do [ -x "$b" ] || { echo "not ok blacklist: $b not built"; exit 1; }; done
if ! grep -q 'blacklist: round' "$TIPD"; then
	echo "skip blacklist: tipd built without the blacklist module (Kconfig)"; exit 0
fi
[ -d "$DATA" ] || { echo "skip blacklist: no shared test data"; exit 0; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for p in "$NGINX" openssl python3; do
	command -v "$p" >/dev/null 2>&1 || { echo "not ok blacklist: $p missing (scripts/deps.sh check)"; exit 1; }
done
tmpdir_make T bl
on_exit "stop_pids \$PIDS"

# ---- a CA and a certificate for localhost ---------------------------------------------------
C=$T/pki
test_pki "$C" blacklist

# ---- the files served ---------------------------------------------------------------------------
W=$T/www
mkdir -p "$W"
cp "$DATA/spamhaus/drop.txt" "$W/drop.txt"
cp "$DATA/hosts/nocoin.hosts" "$W/nocoin.hosts"
cp "$DATA/csv/feodo-ipblocklist.csv" "$W/feodo.csv"
cp "$DATA/json/eth-phishing-detect-config.json" "$W/eth.json"
gzip -9 -c "$DATA/urls/openphish-feed.txt" >"$W/openphish.txt.gz"

P=$(freeport) PS=$(freeport)
{
	nginx_conf_head "$T"
	printf '\tdefault_type text/plain;\n\tgzip on;\n\tgzip_types text/plain;\n'
	nginx_server "$P" "$C/srv" "$W"
	echo "}"
} >"$T/nginx.conf"
nginx_start "$T"
# a TLS server that sends the head and then one byte every half second
cat >"$T/slow.py" <<'PY'
import socket, ssl, sys, threading, time
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", int(sys.argv[1]))); ls.listen(8)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(sys.argv[2], sys.argv[3])
def serve(c):
	try:
		s = ctx.wrap_socket(c, server_side=True); s.recv(4096)
		s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
		for i in range(120):
			s.sendall(b"a"); time.sleep(0.5)
	except Exception:
		pass
while True:
	c, _ = ls.accept(); threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
python3 "$T/slow.py" "$PS" "$C/srv.pem" "$C/srv.key" 2>/dev/null &
PIDS="$PIDS $!"
wait_for 5 ports_open "$P" "$PS"

S=$T/store
{
	printf 'pidfile none\nstore {\n\tdir %s\n\tfsync no\n}\ncontrol {\n\tsocket %s\n}\n' "$S" "$T/sock"
	printf 'module blacklist {\n\tinterval 3s\n\tbackoff-min 30s\n\tcandidates no\n'
	src() {	# src NAME URL FORMAT [key value]...
		printf '\tsource %s {\n\t\turl %s\n\t\tformat %s\n\t\tca-file %s\n' "$1" "$2" "$3" "$C/ca.pem"
		shift 3
		while [ $# -ge 2 ]; do printf '\t\t%s %s\n' "$1" "$2"; shift 2; done
		printf '\t}\n'
	}
	src drop "https://localhost:$P/drop.txt" cidr
	src nocoin "https://localhost:$P/nocoin.hosts" hosts
	src feodo "https://localhost:$P/feodo.csv" csv column dst_ip
	src eth "https://localhost:$P/eth.json" json path blacklist
	src openphish "https://localhost:$P/openphish.txt.gz" urls
	src missing "https://localhost:$P/no-such-list.txt" domains
	src stall "https://localhost:$PS/list.txt" domains timeout 2s
	printf '}\n'
} >"$T/tipd.conf"
if ! "$TIPD" -n -c "$T/tipd.conf" >"$T/check.out" 2>&1; then
	nok blacklist-config "$(cat "$T/check.out")"; exit 1
fi

# run tipd until its log has N lines matching PATTERN (at most 20 s)
run_until() {
	local pat=$1 n=$2 log=$3 pid i
	"$TIPD" -f -c "$T/tipd.conf" 2>>"$log" &
	pid=$!
	wait_for 20 log_has "$log" "$pat" "$n"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

run_until 'round [0-9]* done' 1 "$T/log1"
if grep -q 'blacklist: round 1 done: 7 sources, 2 failing' "$T/log1"; then ok blacklist-round-completes
else nok blacklist-round-completes "$(grep blacklist "$T/log1" | tail -3 | tr '\n' ' ')"; fi
grep -q 'warn: blacklist: missing: http' "$T/log1" && grep 'blacklist: missing' "$T/log1" | grep -q 404 &&
	ok blacklist-404-logged || nok blacklist-404-logged "$(grep missing "$T/log1" | head -2)"
grep -q 'warn: blacklist: stall: timeout' "$T/log1" && ok blacklist-stall-cut ||
	nok blacklist-stall-cut "$(grep stall "$T/log1" | head -2)"

"$TIP" dump "$S" >"$T/dump1" 2>/dev/null
count() {	# count FILE SOURCE OP|OUTCOME
	python3 - "$@" <<'PY'
import json, sys
n = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get('type') == 'feed' and r['source'] == sys.argv[2] and (r['op'] == sys.argv[3] or
            (r['op'] == 'fetch' and r['outcome'] == sys.argv[3])):
        n += 1
print(n)
PY
}
distinct() {	# distinct FORMAT FILE [feedcat args]: the parser's distinct entries
	local fmt=$1 f=$2
	shift 2
	"$F" "$fmt" "$@" "$f" 2>/dev/null | sed '$d' | cut -f1,2 | sort -u | wc -l
}
bad=""
for spec in "drop cidr $W/drop.txt" "nocoin hosts $W/nocoin.hosts" "feodo csv $W/feodo.csv -c dst_ip" \
	"eth json $W/eth.json -p blacklist"; do
	set -- $spec
	want=$(distinct "$2" "$3" "${@:4}")
	got=$(count "$T/dump1" "$1" listed)
	{ [ "$got" = "$want" ] && [ "$got" -gt 0 ]; } || bad="$bad $1:$got/$want"
done
gzip -dc "$W/openphish.txt.gz" >"$T/op.txt"
want=$(distinct urls "$T/op.txt"); got=$(count "$T/dump1" openphish listed)
[ "$got" = "$want" ] || bad="$bad openphish(gzip):$got/$want"
[ -z "$bad" ] && ok blacklist-listed-equals-parsed || nok blacklist-listed-equals-parsed "$bad"
if [ "$(count "$T/dump1" missing failed)" -ge 1 ] && [ "$(count "$T/dump1" stall failed)" -ge 1 ] &&
	[ "$(count "$T/dump1" stall listed)" = 0 ]; then ok blacklist-failed-recorded-nothing-else
else nok blacklist-failed-recorded-nothing-else; fi

# ---- restart: 304 for every source, nothing listed again --------------------------------------
run_until 'round [0-9]* done' 1 "$T/log2"
"$TIP" dump "$S" >"$T/dump2" 2>/dev/null
nm=0
for s in drop nocoin feodo eth openphish; do
	[ "$(count "$T/dump2" $s not_modified)" -ge 1 ] && nm=$((nm + 1))
done
l1=$(grep -c '"op":"listed"' "$T/dump1"); l2=$(grep -c '"op":"listed"' "$T/dump2")
if [ "$nm" = 5 ] && [ "$l1" = "$l2" ]; then ok blacklist-304-across-restart
else nok blacklist-304-across-restart "$nm of 5 not modified; listed $l1 then $l2"; fi

# ---- the list shrinks on the server: the right delistings -------------------------------------
grep -v '^;' "$DATA/spamhaus/drop.txt" | sed -n 1,700p >"$W/drop.txt"
run_until 'blacklist: drop: [0-9]* entries' 1 "$T/log3"
"$TIP" dump "$S" >"$T/dump3" 2>/dev/null
want=$(( $(distinct cidr "$DATA/spamhaus/drop.txt") - $(distinct cidr "$W/drop.txt") ))
got=$(count "$T/dump3" drop delisted)
if [ "$got" = "$want" ] && [ "$want" -gt 0 ]; then ok blacklist-delisted-on-change
else nok blacklist-delisted-on-change "delisted $got, want $want"; fi

if "$TIP" query source drop --store "$S" >"$T/q" 2>&1 && grep -q '^drop  *700 ' "$T/q"; then
	ok blacklist-query-source; else nok blacklist-query-source "$(head -3 "$T/q")"; fi
if "$TIP" verify "$S" >/dev/null 2>&1; then ok blacklist-store-verifies; else nok blacklist-store-verifies; fi
# the web view: the sources page and an address's indicator page
PW=$(freeport)
"$TIP" serve --listen "127.0.0.1:$PW" --store "$S" >"$T/serve.log" 2>&1 &
SPID=$!
PIDS="$PIDS $SPID"
wait_for 5 curl -s -o /dev/null "http://127.0.0.1:$PW/sources"
cidr=$(grep -v '^;' "$W/drop.txt" | sed -n 5p | cut -d' ' -f1)
addr=$(echo "$cidr" | awk -F'[./]' '{ print $1 "." $2 "." $3 "." ($4 + 1) }')
curl -s "http://127.0.0.1:$PW/sources" >"$T/sources.html"
curl -s "http://127.0.0.1:$PW/indicator?v=$addr" >"$T/ind.html"
if grep -q '<tr><td>drop</td><td class="n">700<' "$T/sources.html" &&
	grep -q "<tr><td>$cidr</td><td>drop</td>" "$T/ind.html"; then ok blacklist-web-pages
else nok blacklist-web-pages "sources page or /indicator?v=$addr lacks drop"; fi
kill "$SPID" 2>/dev/null

# ---- feed domains become fast-flux candidates, at the configured rate -------------------------
# A list of NC names made here, served by nginx; tipd with the fast-flux
# module asking a DNS server on loopback that logs each query (time, name)
# and answers NXDOMAIN.  Checked: every listed name is looked up, the
# first lookups of the names spread at candidate-rate (not all at once),
# candidate-queue drops what does not fit, `candidates no` hands none over.
NC=60 RATE=20
for i in $(seq "$NC"); do echo "c$i.cand-flux.test"; done >"$W/cand.txt"
PD=$(freeport)
cat >"$T/dnslog.py" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
s.bind(("127.0.0.1", int(sys.argv[1])))
log = open(sys.argv[2], "a", buffering=1)
while True:
	q, a = s.recvfrom(4096)
	if len(q) < 12:
		continue
	i, labels = 12, []
	while i < len(q) and q[i] and len(labels) < 128:
		labels.append(q[i + 1:i + 1 + q[i]].decode("ascii", "replace")); i += 1 + q[i]
	log.write("%.3f %s\n" % (time.monotonic(), ".".join(labels).lower()))
	end = i + 5
	s.sendto(q[:2] + bytes([0x81, 0x83]) + q[4:6] + b"\0\0\0\0\0\0" + q[12:end], a)
PY
python3 "$T/dnslog.py" "$PD" "$T/dns.log" &
PIDS="$PIDS $!"
cand_conf() {	# cand_conf NAME [blacklist keys]: a configuration of its own (store, socket)
	printf 'pidfile none\nstore {\n\tdir %s\n\tfsync no\n}\ncontrol {\n\tsocket %s\n}\n' \
		"$T/store-$1" "$T/$1.sock"
	printf 'module blacklist {\n\tinterval 1h\n\tcandidate-rate %s\n%s\n' "$RATE" "${2:-}"
	printf '\tsource %s {\n\t\turl https://localhost:%s/cand.txt\n\t\tformat domains\n\t\tca-file %s\n\t}\n}\n' \
		"$1" "$P" "$C/ca.pem"
	printf 'module fastflux {\n\tservers 127.0.0.1:%s\n\ttimeout 1s\n\ttries 3\n\tlog-interval 0\n}\n' "$PD"
}
stat_of() {	# stat_of SOCK MODULE KEY: a counter from tip status
	"$TIP" status -s "$1" 2>/dev/null | awk -v m="name=$2" -v k="$3" '$1 == "module" && $2 == m {
		for (i = 3; i <= NF; i++) { split($i, a, "="); if (a[1] == k) { print a[2]; exit } } }'
}
# cand_run NAME KEYS WANT: tipd until WANT names were published and looked up
# (or, WANT 0, until the round is done and 2 s more); prints nothing
cand_run() {
	local name=$1 keys=$2 want=$3 pid i
	cand_conf "$name" "$keys" >"$T/$name.conf"
	"$TIPD" -n -c "$T/$name.conf" >"$T/$name.check" 2>&1 || { nok "blacklist-candidates-$name-config" "$(cat "$T/$name.check")"; return 1; }
	"$TIPD" -f -c "$T/$name.conf" 2>"$T/log-$name" &
	pid=$!
	for i in $(seq 300); do
		if [ "$want" -gt 0 ]; then
			echo "$(date +%s.%N) $(stat_of "$T/$name.sock" blacklist candidates_published)" >>"$T/$name.pub"
			[ "$(awk '$2 ~ /\.cand-flux\.test$/ && !seen[$2]++' "$T/dns.log" | wc -l)" -ge "$((seen0 + want))" ] &&
				[ "$(stat_of "$T/$name.sock" blacklist candidates_queued)" = 0 ] && break
		elif grep -q 'round [0-9]* done' "$T/log-$name"; then
			sleep 2; break
		fi
		sleep 0.1
	done
	# the loop may stop in the poll where the count reached WANT, after
	# recording the count of a moment before: the last count, recorded
	[ "$want" -gt 0 ] && echo "$(date +%s.%N) $(stat_of "$T/$name.sock" blacklist candidates_published)" >>"$T/$name.pub"
	for k in candidates_published candidates_dropped candidates_queued; do
		eval "${k}_$name=\$(stat_of \"\$T/\$name.sock\" blacklist \$k)"
	done
	eval "ffcand_$name=\$(stat_of \"\$T/\$name.sock\" fastflux candidates)"
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
: >"$T/dns.log"
seen0=0
cand_run cand "" "$NC"
# the first lookup of each listed name, in order of time
awk '$2 ~ /\.cand-flux\.test$/ && !seen[$2]++' "$T/dns.log" >"$T/first.log"
looked=$(wc -l <"$T/first.log")
want_names=$(sort -u "$W/cand.txt" | wc -l)
miss=$(cut -d' ' -f2 "$T/first.log" | sort -u | comm -13 - <(sort -u "$W/cand.txt") | wc -l)
if [ "$looked" = "$NC" ] && [ "$miss" = 0 ] && [ "${candidates_published_cand:-}" = "$NC" ] &&
	[ "${ffcand_cand:-0}" -ge "$NC" ]; then ok blacklist-candidates-looked-up
else nok blacklist-candidates-looked-up "$looked of $want_names names asked ($miss missing), published ${candidates_published_cand:-?}, fastflux candidates ${ffcand_cand:-?}"; fi
# The hand-off itself, polled every 0.1 s (candidates_published): at RATE
# a second NC names take NC / RATE - 0.1 s (2.9 s; 0.8 of it allowed for
# the polling), where a limiter that does nothing hands all NC over at once.
# (Not the DNS log: the module's lookups may bunch or be retried.)
span=$(awk -v n="$NC" '$2 > 0 && !a { a = $1 } $2 >= n && !b { b = $1 } END { if (a && b) printf "%.2f", b - a; else print "-1" }' "$T/cand.pub")
if awk -v s="$span" -v n="$NC" -v r="$RATE" 'BEGIN { exit !(s >= (n / r - 0.1) * 0.8) }'; then
	ok blacklist-candidate-rate
else nok blacklist-candidate-rate "$NC candidates published within $span s at rate $RATE"; fi
# candidate-queue 10: ten handed over, the rest dropped and never asked
seen0=$(awk '$2 ~ /\.cand-flux\.test$/ && !seen[$2]++' "$T/dns.log" | wc -l)
sed -i 's/^c/q/' "$W/cand.txt"	# names not asked yet
cand_run queue "$(printf '\tcandidate-queue 10')" 10
qlooked=$(awk '$2 ~ /^q[0-9]*\.cand-flux\.test$/ && !seen[$2]++' "$T/dns.log" | wc -l)
if [ "$qlooked" = 10 ] && [ "${candidates_published_queue:-}" = 10 ] &&
	[ "${candidates_dropped_queue:-}" = "$((NC - 10))" ]; then ok blacklist-candidate-queue
else nok blacklist-candidate-queue "asked $qlooked, published ${candidates_published_queue:-?}, dropped ${candidates_dropped_queue:-?} (want 10, 10, $((NC - 10)))"; fi
# candidates no: none handed over, none asked
sed -i 's/^q/n/' "$W/cand.txt"
cand_run off "$(printf '\tcandidates no')" 0
nlooked=$(awk '$2 ~ /^n[0-9]*\.cand-flux\.test$/' "$T/dns.log" | wc -l)
if grep -q 'round [0-9]* done' "$T/log-off" && [ "$nlooked" = 0 ] &&
	[ "${candidates_published_off:-}" = 0 ] && [ "${ffcand_off:-}" = 0 ]; then ok blacklist-candidates-off
else nok blacklist-candidates-off "asked $nlooked, published ${candidates_published_off:-?}, fastflux candidates ${ffcand_off:-?}"; fi

if grep -q 'Sanitizer\|runtime error' "$T"/log1 "$T"/log2 "$T"/log3 "$T"/log-cand "$T"/log-queue "$T"/log-off; then
	nok blacklist-tipd-clean "$(grep -h -m3 'Sanitizer\|runtime error' "$T"/log*)"
else ok blacklist-tipd-clean; fi
echo "blacklist: $fails failed"
[ "$fails" -eq 0 ]
