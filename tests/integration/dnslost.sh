#!/bin/bash
# dnslost: the DNS server tipd's fast-flux module asks goes silent, then
# comes back.  tipd must keep running and answering, name the silent
# server in its log once, count the timeouts, and get answers again when
# the server returns.  The server is a few lines of Python on loopback
# that answers every A query with one address (TTL 1 s); SIGSTOP silences
# it, SIGCONT brings it back.  Run it in a network namespace of its own
# (make check does) or on a free loopback port.
# Prints "ok NAME" / "not ok NAME: why"; exits 1 on failure.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TIPD=$PWD/$O/tipd
TIP=$PWD/$O/tip
fail=0
PID= DNS=
. tests/integration/lib.sh
[ -x "$TIPD" ] || { echo "not ok dnslost: $O/tipd not built"; exit 1; }
tmpdir_make T dnslost
on_exit "kill_now \$PID \$DNS"	# KILL ends the DNS server stopped or not
cat > "$T/dns.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
n = 0
while True:
    q, a = s.recvfrom(4096)
    if len(q) < 17:
        continue
    end = q.index(b"\0", 12) + 5
    n += 1
    ans = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 1, 4) + bytes([192, 0, 2, n % 250 + 1])
    s.sendto(q[:2] + b"\x81\x80" + q[4:6] + b"\0\x01\0\0\0\0" + q[12:end] + ans, a)
PY
python3 "$T/dns.py" > "$T/port" &
DNS=$!
wait_for 3 test -s "$T/port"
PORT=$(cat "$T/port")
SOCK=$T/tipd.sock
cat > "$T/tipd.conf" <<CONF
pidfile none
store {
	dir $T/store
}
control {
	socket $SOCK
}
module fastflux {
	servers 127.0.0.1:$PORT
	timeout 1s
	tries 1
	silence 3s
	ttl-min 1s
}
CONF
"$TIPD" -f -c "$T/tipd.conf" 2>"$T/tipd.log" &
PID=$!
wait_for 5 tip_answers "$SOCK"
"$TIP" submit -s "$SOCK" a.lost.example b.lost.example c.lost.example >/dev/null
field() {	# field KEY: from the fastflux line of tip status
	"$TIP" status -s "$SOCK" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p" | head -1
}
sleep 2
a0=$(field answers)
kill -STOP "$DNS"	# lost
sleep 6
a1=$(field answers)
alive=0; kill -0 "$PID" 2>/dev/null && "$TIP" status -s "$SOCK" >/dev/null 2>&1 && alive=1
[ "$alive" -eq 1 ] && ok "keeps_running_while_dns_lost" || notok "keeps_running_while_dns_lost"
n=$(grep -c "no reply from 127.0.0.1:$PORT" "$T/tipd.log")
[ "$n" -eq 1 ] && ok "silent_server_named_once" || notok "silent_server_named_once" "$n lines: $(grep -i "silen\|$PORT" "$T/tipd.log" | tail -3)"
kill -CONT "$DNS"	# back
sleep 5
a2=$(field answers)
if [ -n "$a0" ] && [ -n "$a2" ] && [ "$a0" -gt 0 ] && [ "$a2" -gt "$a1" ]; then
	ok "answers_again_when_back (answers $a0, $a1 while lost, $a2 after)"
else
	notok "answers_again_when_back" "answers $a0 / $a1 / $a2: $(tail -3 "$T/tipd.log")"
fi
kill -TERM "$PID"; wait "$PID"; rc=$?; PID=
[ "$rc" -eq 0 ] && ok "term_exits_0" || notok "term_exits_0" "exit $rc"
out=$("$TIP" verify -q "$T/store" 2>&1) && ok "store_verifies" || notok "store_verifies" "$out"
[ "$fail" -eq 0 ]
