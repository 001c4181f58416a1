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

# Servers on loopback, for the scripts that run nginx with a CA of their own:
#   freeport                 a TCP port on 127.0.0.1 that was free a moment ago
#   test_pki DIR NAME        a CA (DIR/ca.pem, ca.key) named "TIP NAME test CA" and
#                            a certificate for localhost it signed (DIR/srv.pem,
#                            srv.key); openssl's output in DIR/openssl.log; exits
#                            the script with "not ok NAME" when openssl fails
#   nginx_conf_head DIR      the head of an nginx.conf that runs in the foreground
#                            with every file under DIR, ending inside "http {"
freeport() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
test_pki() {
	local c=$1 name=$2
	mkdir -p "$c"
	_ossl() { openssl "$@" >>"$c/openssl.log" 2>&1 || { echo "not ok $name: openssl $1 failed"; exit 1; }; }
	_ossl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$c/ca.key" \
		-out "$c/ca.pem" -days 30 -subj "/CN=TIP $name test CA" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
	_ossl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$c/srv.key" \
		-out "$c/srv.csr" -subj "/CN=localhost"
	printf 'basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost\n' >"$c/ext"
	_ossl x509 -req -in "$c/srv.csr" -CA "$c/ca.pem" -CAkey "$c/ca.key" -CAcreateserial -days 30 \
		-extfile "$c/ext" -out "$c/srv.pem"
}
nginx_conf_head() {
	mkdir -p "$1/nginx-tmp"
	cat <<NGINX
daemon off;
master_process off;
worker_processes 1;
error_log $1/nginx-error.log;
pid $1/nginx.pid;
events { worker_connections 64; }
http {
	access_log $1/nginx-access.log;
	client_body_temp_path $1/nginx-tmp;
	proxy_temp_path $1/nginx-tmp;
	fastcgi_temp_path $1/nginx-tmp;
	uwsgi_temp_path $1/nginx-tmp;
	scgi_temp_path $1/nginx-tmp;
NGINX
}
