#!/bin/bash
# fetch: the fetch client (sensor/fetch.c) through tests/helpers/fetchget
# against real servers on loopback: nginx over HTTPS and HTTP with a CA this
# test makes with openssl, serving the real blacklist samples; a small
# Python TLS server for the broken servers (truncated body, slowloris,
# silence); a Python DNS responder so a name goes through the daemon's
# udns resolver.
#   good certificate fetched, body identical; expired, not yet valid, wrong
#   host, unknown CA, self-signed: refused, each with its log line; the
#   clock policy (clock not set: refused; insecure: fetched, warned); 304
#   on ETag and on Last-Modified; redirects (relative, chain, too many,
#   https -> http refused); chunked; gzip (Content-Encoding and a .gz
#   file); IPv6; oversized (Content-Length and decoded); truncated;
#   slowloris; a server that never answers; a name resolved by udns.
# Prints "ok NAME" / "not ok NAME: why"; exits 1 on failure.  ~15 s.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
case "$O" in /*) ;; *) O=$TOP/$O ;; esac
FG=$O/tests/fetchget
DATA=$TOP/../shared/data/blacklists
fail=0
PIDS=
. tests/integration/lib.sh

if [ ! -x "$FG" ]; then
	echo "not ok fetch: $FG not built (make tests)"
	exit 1
fi
for p in nginx openssl python3; do
	command -v $p >/dev/null 2>&1 || [ -x /usr/sbin/$p ] || { echo "not ok fetch: $p missing (scripts/deps.sh check)"; exit 1; }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
tmpdir_make T fetch
on_exit "stop_pids \$PIDS"


# ---- a CA, and certificates good and bad -------------------------------------------------
C=$T/pki
mkdir -p "$C/db"
: > "$C/db/index"
echo 1000 > "$C/db/serial"
cat > "$C/ca.cnf" <<EOF
[ca]
default_ca = tca
[tca]
dir = $C
database = $C/db/index
serial = $C/db/serial
new_certs_dir = $C/db
default_md = sha256
policy = any
copy_extensions = copy
unique_subject = no
[any]
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = serverAuth
EOF
ossl() { openssl "$@" >>"$T/openssl.log" 2>&1 || { echo "not ok fetch: openssl $1 failed"; tail -5 "$T/openssl.log"; exit 1; }; }
mkca() {	# mkca NAME
	ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$C/$1.key" \
		-out "$C/$1.pem" -days 3650 -subj "/CN=TIP test $1" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
}
mkleaf() {	# mkleaf NAME CA SAN START END
	ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$C/$1.key" \
		-out "$C/$1.csr" -subj "/CN=$1" -addext "subjectAltName=$3"
	ossl ca -batch -config "$C/ca.cnf" -cert "$C/$2.pem" -keyfile "$C/$2.key" -extensions leaf \
		-startdate "$4" -enddate "$5" -in "$C/$1.csr" -out "$C/$1.pem" -notext
}
now=$(date -u +%Y%m%d%H%M%SZ -d '-1 day')
later=$(date -u +%Y%m%d%H%M%SZ -d '+30 days')
mkca ca
mkca otherca
mkleaf good ca "DNS:localhost,DNS:feeds.test" "$now" "$later"
mkleaf expired ca "DNS:localhost" 20200101000000Z 20210101000000Z
mkleaf future ca "DNS:localhost" 20400101000000Z 20410101000000Z
mkleaf wronghost ca "DNS:other.example" "$now" "$later"
mkleaf unknownca otherca "DNS:localhost" "$now" "$later"
ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$C/self.key" \
	-out "$C/self.pem" -days 30 -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost"
CA=$C/ca.pem

# ---- the files served ------------------------------------------------------------------------
W=$T/www
mkdir -p "$W/chunked"
cp "$DATA/hosts/blocklistproject-ransomware.hosts" "$W/list.txt"
cp "$W/list.txt" "$W/chunked/list.txt"
gzip -9 -c "$W/list.txt" > "$W/list.txt.gz"
head -c 300000 /dev/urandom | base64 > "$W/big.txt"

# ---- nginx: one HTTPS server per certificate, and plain HTTP -----------------------------------
P_GOOD=$(freeport); P_HTTP=$(freeport)
V6LISTEN=
if python3 -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' 2>/dev/null; then
	V6LISTEN="listen [::1]:$P_GOOD ssl;"
fi
declare -A PORT
for n in expired future wronghost unknownca self; do PORT[$n]=$(freeport); done
{
	nginx_conf_head "$T"
	cat <<EOF
	types { text/plain txt; application/gzip gz; }
	default_type application/octet-stream;
	gzip on;
	gzip_types text/plain;
	gzip_min_length 100;
	gzip_http_version 1.0;
	server {
		listen 127.0.0.1:$P_GOOD ssl;
		$V6LISTEN
		ssl_certificate $C/good.pem;
		ssl_certificate_key $C/good.key;
		root $W;
		location /chunked/ { gzip off; ssi on; ssi_types text/plain; }
		location = /r1 { return 301 /r2; }
		location = /r2 { return 302 r3; }
		location = /r3 { return 307 https://localhost:$P_GOOD/list.txt; }
		location = /loop { return 302 /loop; }
		location = /tohttp { return 302 http://127.0.0.1:$P_HTTP/list.txt; }
		location = /nolocation { return 302; }
	}
	server {
		listen 127.0.0.1:$P_HTTP;
		root $W;
		location /chunked/ { gzip off; ssi on; ssi_types text/plain; }
	}
EOF
	for n in expired future wronghost unknownca self; do nginx_server "${PORT[$n]}" "$C/$n" "$W"; done
	echo "}"
} >"$T/nginx.conf"
nginx_start "$T"

# ---- Python: broken TLS servers and a DNS responder --------------------------------------------
P_TRUNC=$(freeport); P_SLOW=$(freeport); P_SILENT=$(freeport); P_DNS=$(freeport)
cat > "$T/bad.py" <<'EOF'
import socket, ssl, sys, threading, time
mode, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
ls = socket.socket(); ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind(("127.0.0.1", port)); ls.listen(8)
if mode == "silent":		# TCP accepted by the kernel, never a byte back
	time.sleep(600)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain(cert, key)
def serve(c):
	try:
		s = ctx.wrap_socket(c, server_side=True)
		s.recv(4096)
		if mode == "trunc":
			s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n" + b"a.example\n" * 100)
			s.close()
		elif mode == "slow":
			s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")
			for i in range(600):
				s.sendall(b"x"); time.sleep(0.2)
	except Exception:
		pass
while True:
	c, _ = ls.accept()
	threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
cat > "$T/dns.py" <<'EOF'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", int(sys.argv[1])))
while True:
	q, a = s.recvfrom(512)
	qid, flags, qd = struct.unpack(">HHH", q[:6])
	i = 12
	while q[i]: i += 1 + q[i]
	qname = q[12:i + 1]; qtype, = struct.unpack(">H", q[i + 1:i + 3]); qend = i + 5
	name = b".".join(qname[j + 1:j + 1 + qname[j]] for j in range(0, 0) ) if False else qname
	ans = b""
	if qname == b"\x05feeds\x04test\x00" and qtype == 1:
		ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 60, 4) + socket.inet_aton("127.0.0.1")
	rcode = 0 if qname == b"\x05feeds\x04test\x00" else 3
	hdr = struct.pack(">HHHHHH", qid, 0x8400 | rcode, 1, 1 if ans else 0, 0, 0)
	s.sendto(hdr + q[12:qend] + ans, a)
EOF
for m in trunc slow silent; do
	eval p=\$P_$(echo $m | tr a-z A-Z)
	python3 "$T/bad.py" $m "$p" "$C/good.pem" "$C/good.key" 2>>"$T/bad.log" &
	PIDS="$PIDS $!"
done
python3 "$T/dns.py" "$P_DNS" 2>>"$T/dns.log" &
PIDS="$PIDS $!"

# wait for every server
if ! wait_for 5 ports_open "$P_GOOD" "$P_HTTP" "${PORT[@]}" "$P_TRUNC" "$P_SLOW" "$P_SILENT"; then
	echo "not ok fetch: servers did not start"; cat "$T/nginx-error.log" "$T/nginx.out" 2>/dev/null | tail -5
	exit 1
fi

# ---- the checks ---------------------------------------------------------------------------------
# run NAME ARGS...: fetchget with the test CA; output in $T/NAME.body, $T/NAME.err
run() {
	local n=$1; shift
	"$FG" -c "$CA" -C 2 -R 2 -T 10 -o "$T/$n.body" "$@" 2>"$T/$n.err"
	echo $? > "$T/$n.rc"
}
res() { sed -n 's/^result //p' "$T/$1.err"; }
field() { res "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
logline() { grep -v '^result ' "$T/$1.err" | head -3 | tr '\n' ' '; }
# expect NAME ERR [GREP]: the fetch ended with err=ERR and (when given) its log line matches
expect() {
	local n=$1 want=$2 pat=${3:-} got
	got=$(field "$n" err)
	if [ "$got" != "$want" ]; then
		notok "$n" "err=$got, want $want; $(logline "$n")"
	elif [ -n "$pat" ] && ! grep -v '^result ' "$T/$n.err" | grep -q -- "$pat"; then
		notok "$n" "no log line matching '$pat': $(logline "$n")"
	else
		ok "$n: $(logline "$n" | sed 's/^[0-9:]* //')"
	fi
}
same() {	# same NAME FILE: fetched ok and identical to FILE
	if [ "$(field "$1" err)" = ok ] && cmp -s "$T/$1.body" "$2"; then
		ok "$1: $(res "$1" | cut -d' ' -f1-6)"
	else
		notok "$1" "$(res "$1") $(logline "$1")"
	fi
}

U=https://localhost:$P_GOOD
run good "$U/list.txt"
same good "$W/list.txt"
# gzip: nginx compressed it (chunked, Content-Encoding: gzip): fewer bytes on the wire than the body
if grep -q '"GET /list.txt HTTP/1.1" 200' "$T/nginx-access.log" &&
	[ "$(field good wire)" -lt "$(field good body)" ]; then
	ok "gzip+chunked from nginx: wire $(field good wire) < body $(field good body)"
else
	notok "gzip+chunked from nginx" "wire=$(field good wire) body=$(field good body)"
fi
run chunked "$U/chunked/list.txt"
same chunked "$W/list.txt"
run gzfile "$U/list.txt.gz"
same gzfile "$W/list.txt"
run http "http://127.0.0.1:$P_HTTP/chunked/list.txt"
same http "$W/list.txt"
if [ -n "$V6LISTEN" ]; then
	run v6 -6 "$U/list.txt"
	if [ "$(field v6 peer)" = "[::1]:$P_GOOD" ]; then same v6 "$W/list.txt"; else notok v6 "$(res v6) $(logline v6)"; fi
else
	echo "skip v6: this machine has no IPv6 loopback"
fi
run dns -s "127.0.0.1:$P_DNS" -4 "https://feeds.test:$P_GOOD/list.txt"
same dns "$W/list.txt"
run nxdomain -s "127.0.0.1:$P_DNS" -4 "https://nope.test:$P_GOOD/list.txt"
expect nxdomain dns "cannot resolve nope.test"

# four fetches at once: one decoding of the CA file (by a thread), four bodies
run par -p 4 "$U/list.txt"
if [ "$(grep -c '^result err=ok .* body=66764 ' "$T/par.err")" = 4 ]; then ok "4 parallel fetches share the CA file"
else notok "4 parallel fetches" "$(res par | head -4)"; fi
run parsys -p 3 -c /etc/ssl/certs/ca-certificates.crt "$U/list.txt"
if [ "$(grep -c '^result err=cert ' "$T/parsys.err")" = 3 ]; then ok "3 parallel fetches against the system bundle: each refused"
else notok "3 parallel against the system bundle" "$(res parsys | head -3)"; fi

# conditional GET: the validators of the first fetch give 304, each alone
etag=$(field good etag); lm=$(res good | sed -n 's/.*last_modified=\(.*\) url=.*/\1/p')
run etag304 -e "$etag" "$U/list.txt"
if [ "$(field etag304 err)" = ok ] && [ "$(field etag304 not_modified)" = 1 ] && [ "$(field etag304 status)" = 304 ] &&
	[ ! -s "$T/etag304.body" ]; then ok "304 on If-None-Match $etag"; else notok "304 on If-None-Match" "$(res etag304)"; fi
run lm304 -m "$lm" "$U/list.txt"
if [ "$(field lm304 not_modified)" = 1 ]; then ok "304 on If-Modified-Since $lm"; else notok "304 on If-Modified-Since" "$(res lm304)"; fi
run stale -e '"0-0"' "$U/list.txt"
same stale "$W/list.txt"

# certificates refused
for n in expired future wronghost unknownca self; do run "$n" "https://localhost:${PORT[$n]}/list.txt"; done
expect expired cert-time "expired on 2021-01-01"
expect future cert-time "not valid before 2040-01-01"
expect wronghost cert "does not match the host name"
expect unknownca cert "unknown CA"
expect self cert "self-signed"
[ ! -s "$T/self.body" ] && ok "nothing delivered from a refused server" || notok "refused server delivered bytes"
run insecure -k "https://localhost:${PORT[self]}/list.txt"
if [ "$(field insecure err)" = ok ] && grep -q INSECURE "$T/insecure.err"; then
	ok "insecure: fetched with a warning: $(grep INSECURE "$T/insecure.err" | sed 's/^[0-9:]* //')"
else
	notok "insecure" "$(res insecure) $(logline insecure)"
fi
run noca -c "$T/missing.pem" "$U/list.txt"
expect noca cert "cannot open"
run sysca -c /etc/ssl/certs/ca-certificates.crt "$U/list.txt"
expect sysca cert "unknown CA"

# the clock
run clock -u "$U/list.txt"
expect clock clock "clock not set"
[ "$(field clock retryable)" = 1 ] && ok "clock: retryable" || notok "clock: retryable"
run clockhttp -u "http://127.0.0.1:$P_HTTP/list.txt"
same clockhttp "$W/list.txt"

# redirects
run redir "$U/r1"
if [ "$(field redir redirects)" = 3 ] && [ "$(field redir url)" = "$U/list.txt" ]; then same redir "$W/list.txt"
else notok redir "$(res redir)"; fi
run loop "$U/loop"
expect loop redirect "more than 5 redirects"
run loop2 -r 2 "$U/r1"
expect loop2 redirect "more than 2 redirects"
run tohttp "$U/tohttp"
expect tohttp redirect "https to http refused"
run noloc "$U/nolocation"
expect noloc redirect "without a Location"

# sizes and failures
run big -b 100000 "$U/big.txt"
expect big too-big "cap of 100000"
run bigcl -b 10000 "http://127.0.0.1:$P_HTTP/list.txt.gz"
expect bigcl too-big "Content-Length"
run biggz -b 20000 "$U/list.txt.gz"
expect biggz too-big "cap of 20000"
run notfound "$U/nothing"
expect notfound http "HTTP 404"
run trunc "https://localhost:$P_TRUNC/x"
expect trunc truncated "1000 of 100000"
run slow -T 2 "https://localhost:$P_SLOW/x"
expect slow timeout "total timeout"
run silent -C 1 "https://127.0.0.1:$P_SILENT/x" -k
expect silent timeout "connect timeout"
run refused "https://127.0.0.1:1/x"
expect refused connect "refused"
run abort -x 1000 "$U/list.txt"
expect abort aborted "stopped by the receiver"
run badurl "ftp://example.org/"
expect badurl url "not an http"

# under ASan+UBSan (make check runs this script against that build too)
bad=$(grep -l -E 'Sanitizer|runtime error' "$T"/*.err 2>/dev/null | xargs -r -n1 basename | tr '\n' ' ')
[ -z "$bad" ] && ok "no sanitizer report in any fetch" || notok "sanitizer reports" "$bad"
exit $fail
