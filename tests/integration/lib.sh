# shellcheck shell=bash
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
#   nginx_server PORT CERT ROOT
#                            a server block of it: HTTPS on 127.0.0.1:PORT with
#                            CERT.pem and CERT.key, the files under ROOT
#   nginx_start DIR          nginx ($NGINX) on DIR/nginx.conf in the background,
#                            its output in DIR/nginx.out, its pid added to PIDS
#   share_conf STORE PORT KEY PEER FP
#                            a tipd.conf that only shares STORE on 127.0.0.1:PORT
#                            with the key KEY to the one peer PEER (key fingerprint
#                            FP): no control socket, fastflux off
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
nginx_server() {
	printf '\tserver {\n\t\tlisten 127.0.0.1:%s ssl;\n\t\tssl_certificate %s.pem;\n' "$1" "$2"
	printf '\t\tssl_certificate_key %s.key;\n\t\troot %s;\n\t}\n' "$2" "$3"
}
nginx_start() {
	"$NGINX" -p "$1" -c "$1/nginx.conf" -e "$1/nginx-error.log" >"$1/nginx.out" 2>&1 &
	PIDS="$PIDS $!"
}
share_conf() {
	cat <<CONF
pidfile none
store {
	dir $1
}
control {
	socket none
}
module fastflux {
	enable no
}
module share {
	listen 127.0.0.1:$2
	key $3
	peer $4=$5
}
CONF
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

# Waiting for a server, and what a script leaves at exit:
#   wait_for SECONDS CMD...  runs CMD every 0.05 s until it succeeds (0), or
#                            SECONDS (5, or 2.5: one decimal) pass first (1:
#                            the caller says what failed, with nok or notok,
#                            or goes on when the checks after it tell)
#   on_exit CMD              the shell text CMD runs when the script exits; one
#                            trap EXIT for all, the last registered first (so
#                            servers stop before their folder goes)
#   tmpdir_make VAR NAME     VAR=a new folder /tmp/tip-NAME.XXXXXX, removed at
#                            exit unless KEEP is set
#   ports_open PORT...       every one of the TCP PORTs on 127.0.0.1 takes a connection
#   log_has LOG PATTERN N    LOG has N or more lines matching PATTERN (grep)
#   tip_answers SOCK         tip status ($TIP) on tipd's control socket SOCK answers
#   kill_now PID...          kill -9 each (an empty list is nothing)
#   stop_pids PID...         TERM each, 0.1 s for them to go, then KILL
wait_for() {
	local _wf_n	# a name of its own, not to hide the caller's n from CMD
	case $1 in
	*.*) _wf_n=$((${1%.*} * 20 + ${1#*.} * 2)) ;;
	*) _wf_n=$(($1 * 20)) ;;
	esac
	shift
	while [ "$_wf_n" -gt 0 ]; do
		"$@" && return 0
		_wf_n=$((_wf_n - 1))
		sleep 0.05
	done
	return 1
}
ports_open() {
	local p
	for p in "$@"; do (: <"/dev/tcp/127.0.0.1/$p") 2>/dev/null || return 1; done
}
log_has() {
	[ "$(grep -c -- "$2" "$1" 2>/dev/null)" -ge "$3" ]
}
tip_answers() {
	"$TIP" status -s "$1" >/dev/null 2>&1
}
_exit_cmds=
on_exit() {
	_exit_cmds="$1${_exit_cmds:+
$_exit_cmds}"
	trap 'eval "$_exit_cmds"' EXIT
}
tmpdir_make() {
	local _d
	_d=$(mktemp -d "/tmp/tip-$2.XXXXXX") || { echo "not ok $2: mktemp failed"; exit 1; }
	printf -v "$1" %s "$_d"
	on_exit "[ -n \"\${KEEP:-}\" ] || rm -rf '$_d'"
}
kill_now() {
	local p
	for p in "$@"; do kill -9 "$p" 2>/dev/null; done
	return 0
}
stop_pids() {
	local p
	[ $# -gt 0 ] || return 0
	for p in "$@"; do kill "$p" 2>/dev/null; done
	sleep 0.1
	kill_now "$@"
}
