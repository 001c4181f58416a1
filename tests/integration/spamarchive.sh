#!/bin/bash
# tipd's spamtrap daily archives against a real HTTPS server (nginx on
# loopback with a CA this test makes, as blacklist.sh does), fetched after
# the blacklist round.  The test makes the archives from the SpamAssassin
# sample (../shared/data/spam): two sources, "mb" (%Y-%m-%d.mbox.gz) and
# "tr" (%Y/%Y-%m-%d.tar, a tar of a maildir), catch-up 3d (and "tg", one
# day's .tar.gz, catch-up 1d), over the days
# today-4 .. today:
#   mb: D-4 present (older than catch-up: never fetched), D-3 an mbox.gz,
#       D-2 a gzip cut short (broken), D-1 absent (404: skipped), today
#       absent at first (404: not yet) and put there before the next round;
#   tr: D-3 absent, D-2 a tar, D-1 a tar cut in an entry (truncated),
#       today absent.
# Checked: the messages and From domains mined per day equal what Python's
# mailbox/tarfile/email modules find in the same bytes; the broken gzip and
# truncated tar are logged and skipped after their whole messages; the
# round follows the blacklist round; after a restart, and after one with
# the cursor files removed (the store's records are the truth), nothing is
# mined twice.  Prints ok/not ok lines.  ~10 s.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
TOP=$PWD
case "$O" in /*) ;; *) O=$TOP/$O ;; esac
TIPD=$O/tipd TIP=$O/tip
SPAM=$TOP/../shared/data/spam/maildir
fails=0
PIDS=
. tests/integration/lib.sh
for b in "$TIPD" "$TIP"; do [ -x "$b" ] || { echo "not ok spamarchive: $b not built"; exit 1; }; done
[ -d "$SPAM/cur" ] || { echo "skip spamarchive: $SPAM not there (the shared sample data)"; exit 0; }
tmpdir_make T sa
printf 'module spamtrap {\n\tarchive x {\n\t\turl http://localhost/%%F.mbox\n\t}\n}\nmodule blacklist {\n}\n' >"$T/probe.conf"
if ! "$TIPD" -n -c "$T/probe.conf" >"$T/probe.out" 2>&1; then
	rm -rf "$T"
	echo "skip spamarchive: tipd is built without the spamtrap or blacklist module (Kconfig)"
	exit 0
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
for p in "$NGINX" openssl python3; do
	command -v "$p" >/dev/null 2>&1 || { echo "not ok spamarchive: $p missing (scripts/deps.sh check)"; exit 1; }
done
TPID=
on_exit "kill_now \$TPID; stop_pids \$PIDS"

# ---- a CA and a certificate for localhost (as blacklist.sh) -------------------------------------
C=$T/pki
test_pki "$C" spamarchive

# ---- the archives, and what they hold by Python's reading -------------------------------------
W=$T/www
mkdir -p "$W/mb" "$W/tr" "$W/tg" "$W/bl"
printf 'spam-archive-test.example\n' >"$W/bl/list.txt"
python3 - "$SPAM" "$W" "$T/expect" <<'PY'
import email, email.policy, email.utils, gzip, io, json, mailbox, os, sys, tarfile, time, zlib
spam, www, out = sys.argv[1:4]
files = sorted(os.path.join(spam, d, f) for d in ("cur", "new") for f in os.listdir(os.path.join(spam, d)))
day = lambda k: time.strftime("%Y-%m-%d", time.gmtime((int(time.time()) // 86400 + k) * 86400))
def raw(f):
    b = open(f, "rb").read()
    if not b.startswith(b"From "):
        b = b"From test@example.invalid Thu Jan  1 00:00:00 2026\n" + b
    head, sep, body = b.partition(b"\n")
    # mboxrd: quote body lines that would read as separators
    lines = body.split(b"\n")
    lines = [b">" + l if l.startswith(b"From ") or l.startswith(b">From ") else l for l in lines]
    return head + b"\n" + b"\n".join(lines).rstrip(b"\n") + b"\n"
def mbox(fs):
    return b"\n".join(raw(f) for f in fs) + b"\n"
def from_dom(b):
    m = email.message_from_bytes(b, policy=email.policy.compat32)
    a = email.utils.parseaddr(str(m.get("From", "")))[1]
    return a.rsplit("@", 1)[1].lower().strip(".>") if "@" in a else ""
def msgs_of_mbox(data):
    p = os.path.join(www, "..", "tmp.mbox")
    open(p, "wb").write(data)
    r = [m.as_bytes() for m in mailbox.mbox(p)]
    os.unlink(p)
    return r
def tar_of(fs, name):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.USTAR_FORMAT) as t:
        for i, f in enumerate(fs):
            b = open(f, "rb").read()
            ti = tarfile.TarInfo("Maildir/%s/%d.M%dP1.test%s" % ("cur" if i % 2 else "new", 1700000000 + i, i, ":2,S" if i % 2 else ""))
            ti.size = len(b)
            t.addfile(ti, io.BytesIO(b))
    return bio.getvalue()
exp = {}
def put(src, k, data, msgs):
    exp["%s %s" % (src, day(k))] = {"n": len(msgs), "doms": sorted({from_dom(m) for m in msgs} - {""})}
# mb: D-4 (never fetched), D-3 whole, D-2 broken gzip
d4 = mbox(files[0:10])
open(os.path.join(www, "mb", day(-4) + ".mbox.gz"), "wb").write(gzip.compress(d4))
d3 = mbox(files[10:50])
open(os.path.join(www, "mb", day(-3) + ".mbox.gz"), "wb").write(gzip.compress(d3))
put("mb", -3, d3, msgs_of_mbox(d3))
d2 = mbox(files[50:80])
gz = gzip.compress(d2)
cut = gz[: len(gz) * 2 // 3]
open(os.path.join(www, "mb", day(-2) + ".mbox.gz"), "wb").write(cut)
prefix = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
# whole messages of the prefix: those a later separator ends
whole = msgs_of_mbox(prefix)[:-1]
put("mb", -2, prefix, whole)
# today's, put there later by the test
t0 = mbox(files[80:110])
open(os.path.join(www, "..", "today.mbox.gz"), "wb").write(gzip.compress(t0))
put("mb", 0, t0, msgs_of_mbox(t0))
# tr: D-2 a tar, D-1 truncated in an entry's data
os.makedirs(os.path.join(www, "tr", day(-2)[:4]), exist_ok=True)
os.makedirs(os.path.join(www, "tr", day(-1)[:4]), exist_ok=True)
fs = files[110:140]
t2 = tar_of(fs, day(-2))
open(os.path.join(www, "tr", day(-2)[:4], day(-2) + ".tar"), "wb").write(t2)
put("tr", -2, t2, [open(f, "rb").read() for f in fs])
fs = files[140:170]
t1 = tar_of(fs, day(-1))
members = tarfile.open(fileobj=io.BytesIO(t1)).getmembers()
cutat = members[20].offset_data + members[20].size // 2
open(os.path.join(www, "tr", day(-1)[:4], day(-1) + ".tar"), "wb").write(t1[:cutat])
whole = [open(fs[i], "rb").read() for i, m in enumerate(members) if m.offset_data + m.size <= cutat]
put("tr", -1, t1[:cutat], whole)
# tg: D-1 a gzipped tar (.tar.gz: inflated by the fetch client, read as a tar)
os.makedirs(os.path.join(www, "tg"), exist_ok=True)
fs = files[170:190]
open(os.path.join(www, "tg", day(-1) + ".tar.gz"), "wb").write(gzip.compress(tar_of(fs, day(-1))))
put("tg", -1, b"", [open(f, "rb").read() for f in fs])
exp["days"] = {k: day(k) for k in (-4, -3, -2, -1, 0)}
json.dump(exp, open(out, "w"), indent=1)
PY
[ -s "$T/expect" ] || { nok spamarchive-setup "the archives were not made"; exit 1; }
dayof() { python3 -c "import json,sys; print(json.load(open('$T/expect'))['days']['$1'])"; }
D4=$(dayof -4) D3=$(dayof -3) D2=$(dayof -2) D1=$(dayof -1) D0=$(dayof 0)

P=$(freeport)
{
	nginx_conf_head "$T"
	printf '\tdefault_type application/octet-stream;\n'
	nginx_server "$P" "$C/srv" "$W"
	echo "}"
} >"$T/nginx.conf"
nginx_start "$T"
wait_for 5 ports_open "$P"

S=$T/store
cat >"$T/tipd.conf" <<CONF
pidfile $T/tipd.pid
log-level info
store {
	dir $S
	fsync no
	sync-interval 100ms
}
control {
	socket $T/sock
}
module blacklist {
	interval 2s
	candidates no
	source bl {
		url https://localhost:$P/bl/list.txt
		format domains
		ca-file $C/ca.pem
	}
}
module spamtrap {
	candidates no
	archive mb {
		url https://localhost:$P/mb/%Y-%m-%d.mbox.gz
		catch-up 3d
		ca-file $C/ca.pem
	}
	archive tr {
		url https://localhost:$P/tr/%Y/%F.tar
		catch-up 3d
		ca-file $C/ca.pem
	}
	archive tg {
		url https://localhost:$P/tg/%F.tar.gz
		catch-up 1d
		ca-file $C/ca.pem
	}
}
CONF
if "$TIPD" -n -c "$T/tipd.conf" >"$T/check.out" 2>&1; then ok spamarchive-config-checks
else nok spamarchive-config-checks "$(cat "$T/check.out")"; exit 1; fi
printf 'module spamtrap {\n\tarchive x {\n\t\turl https://localhost/spam.mbox\n\t}\n}\n' >"$T/bad.conf"
if "$TIPD" -n -c "$T/bad.conf" >"$T/bad.out" 2>&1; then nok spamarchive-config-error "a URL without a date was accepted"
elif grep -q "bad.conf:3: url: needs a date template" "$T/bad.out"; then ok spamarchive-config-error
else nok spamarchive-config-error "$(cat "$T/bad.out")"; fi

start() { "$TIPD" -f -c "$T/tipd.conf" 2>>"$1" & TPID=$!; }
stop() { kill "$TPID" 2>/dev/null; wait "$TPID" 2>/dev/null; TPID=; }
wait_log() { wait_for 20 log_has "$@"; }	# wait_log LOG PATTERN N: up to 20 s
start "$T/log1"
wait_log "$T/log1" 'spamtrap: archives: round' 1 || nok spamarchive-round "no archive round in 20 s: $(grep -E 'spamtrap|blacklist' "$T/log1" | tail -3 | tr '\n' ' ')"
# the archive round runs after the blacklist round
bl=$(grep -n 'blacklist: round 1 done' "$T/log1" | head -1 | cut -d: -f1)
ar=$(grep -n 'spamtrap: archive ' "$T/log1" | grep -v 'catch-up' | head -1 | cut -d: -f1)
if [ -n "$bl" ] && [ -n "$ar" ] && [ "$bl" -lt "$ar" ]; then ok spamarchive-after-blacklist-round
else nok spamarchive-after-blacklist-round "blacklist round at line ${bl:-none}, archive at ${ar:-none}"; fi
grep -q "archive mb $D0: not there yet (404)" "$T/log1" && ok spamarchive-today-404-not-yet ||
	nok spamarchive-today-404-not-yet "$(grep "archive mb $D0" "$T/log1" | head -2)"
grep -q "warn: spamtrap: archive mb $D1: 404, the day is skipped" "$T/log1" && ok spamarchive-past-404-skipped ||
	nok spamarchive-past-404-skipped "$(grep "archive mb $D1" "$T/log1" | head -2)"
grep -q "warn: spamtrap: archive mb $D2: decode: .*the rest skipped" "$T/log1" && ok spamarchive-broken-gzip-logged ||
	nok spamarchive-broken-gzip-logged "$(grep "archive mb $D2" "$T/log1" | head -2)"
grep -q "warn: spamtrap: archive tr $D1: tar: archive truncated" "$T/log1" && ok spamarchive-truncated-tar-logged ||
	nok spamarchive-truncated-tar-logged "$(grep "archive tr $D1" "$T/log1" | head -2)"
if grep -q "/mb/$D4" "$T/nginx-access.log"; then nok spamarchive-catch-up-bounded "$D4 was fetched (catch-up 3d)"
elif grep -q "/mb/$D3" "$T/nginx-access.log"; then ok spamarchive-catch-up-bounded
else nok spamarchive-catch-up-bounded "$D3 was not fetched"; fi
# today's archive appears; the next round (after the next blacklist round) mines it
cp "$T/today.mbox.gz" "$W/mb/$D0.mbox.gz"
wait_log "$T/log1" "archive mb $D0 (today, so far): [1-9]" 1 && ok spamarchive-today-mined-next-round ||
	nok spamarchive-today-mined-next-round "$(grep "archive mb $D0" "$T/log1" | tail -2)"
stop

# ---- what the store holds against what Python read ----------------------------------------------
"$TIP" dump "$S" >"$T/dump1" 2>/dev/null
compare() {	# compare DUMP: per source and day, messages and From domains
	python3 - "$T/expect" "$1" <<'PY'
import json, sys
exp = json.load(open(sys.argv[1]))
got, names = {}, []
for l in open(sys.argv[2]):
    r = json.loads(l)
    if r.get("type") != "spam" or r.get("source") not in ("mb", "tr", "tg"):
        continue
    names.append((r["source"], r["name"]))
    k = "%s %s" % (r["source"], r["name"].split("/")[0])
    g = got.setdefault(k, {"n": 0, "doms": set()})
    g["n"] += 1
    if r["op"] == "extract" and r.get("from"):
        g["doms"].add(r["from"])
bad = []
for k, e in exp.items():
    if k == "days":
        continue
    g = got.get(k, {"n": 0, "doms": set()})
    if g["n"] != e["n"] or sorted(g["doms"]) != e["doms"]:
        bad.append("%s: %d messages / %d domains, Python %d / %d" % (k, g["n"], len(g["doms"]), e["n"], len(e["doms"])))
for k in got:
    if k not in exp:
        bad.append("%s: mined, not expected" % k)
dups = len(names) - len(set(names))
if dups:
    bad.append("%d messages mined twice" % dups)
print("; ".join(bad) if bad else "ok %d" % len(names))
PY
}
r=$(compare "$T/dump1")
case "$r" in ok*) ok "spamarchive-counts-equal-python (${r#ok } messages)" ;; *) nok spamarchive-counts-equal-python "$r" ;; esac
n1=$(grep -c '"type":"spam".*"source":"\(mb\|tr\|tg\)"' "$T/dump1")

# ---- restart: nothing mined again; then without the cursor files: the store says -------------------
start "$T/log2"
wait_log "$T/log2" 'spamtrap: archives: round' 1 || nok spamarchive-restart-round "no round"
stop
rm -f "$S"/state/spamtrap-archive.*
start "$T/log3"
wait_log "$T/log3" 'spamtrap: archives: round' 1 || nok spamarchive-nocursor-round "no round"
stop
"$TIP" dump "$S" >"$T/dump3" 2>/dev/null
n3=$(grep -c '"type":"spam".*"source":"\(mb\|tr\|tg\)"' "$T/dump3")
r=$(compare "$T/dump3")
if [ "$n3" = "$n1" ] && [ "${r%% *}" = ok ]; then ok "spamarchive-never-twice ($n1 messages after two restarts)"
else nok spamarchive-never-twice "$n1 then $n3 messages; $r"; fi
grep -q "archive mb: the store has up to $D0/" "$T/log3" && ok spamarchive-store-is-the-cursor ||
	nok spamarchive-store-is-the-cursor "$(grep 'store has' "$T/log3" | head -2)"
if "$TIP" query spam --domain "$(python3 -c "import json; print(json.load(open('$T/expect'))['mb $D3']['doms'][0])")" --store "$S" | grep -q 'messages seen'; then
	ok spamarchive-query-spam; else nok spamarchive-query-spam; fi
if grep -q 'Sanitizer\|runtime error' "$T"/log1 "$T"/log2 "$T"/log3; then
	nok spamarchive-tipd-clean "$(grep -h -m3 'Sanitizer\|runtime error' "$T"/log*)"
else ok spamarchive-tipd-clean; fi
echo "spamarchive: $fails failed"
[ "$fails" -eq 0 ]
