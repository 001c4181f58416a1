#!/bin/bash
# Integration test of the mail parser (store/mail.c) on real spam: the
# SpamAssassin messages in ../shared/data/spam/maildir (most start with an
# mbox "From " line) parsed by tests/mailcat, checked message by message
# against tests/helpers/mail_check.py, which finds URL hosts, attachment
# hashes, the sender IP and the From domain with Python's email package and
# regular expressions.  The same files concatenated as an mbox must give
# the same facts.  Prints ok/not ok/skip lines; exits 1 when anything failed.
set -u
O=${O:-build}
cd "$(dirname "$0")/../.." || exit 2
fails=0
. tests/integration/lib.sh
mc=$O/tests/mailcat
spam=../shared/data/spam/maildir
if [ ! -x "$mc" ]; then
	echo "not ok mail: $mc not built"
	exit 1
fi
if [ ! -d "$spam/cur" ]; then
	echo "skip mail: $spam not there (the shared sample data)"
	exit 0
fi
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
files=$(ls "$spam"/cur/* "$spam"/new/*)
n=$(echo "$files" | wc -l)

# shellcheck disable=SC2086
"$mc" $files >"$d/c.txt" 2>"$d/c.err"
if [ "$(grep -c '^msg .* ok ' "$d/c.txt")" = "$n" ]; then ok "mail-corpus-parsed ($n messages)"
else nok mail-corpus-parsed "$(grep '^msg' "$d/c.txt" | grep -vc ' ok ') of $n not ok"; fi

# shellcheck disable=SC2086
if python3 tests/helpers/mail_check.py "$d/c.txt" $files >"$d/py.txt" 2>&1; then
	ok "mail-corpus-independent ($(tail -n1 "$d/py.txt" | sed 's/^mail_check: //'))"
else
	nok mail-corpus-independent "$(head -n3 "$d/py.txt" | tr '\n' ' ') $(tail -n1 "$d/py.txt")"
fi
# the check must be able to fail: one host removed from the C side is seen
sed '0,/^host /{/^host /d}' "$d/c.txt" >"$d/c-cut.txt"
# shellcheck disable=SC2086
if python3 tests/helpers/mail_check.py "$d/c-cut.txt" $files >/dev/null 2>&1; then
	nok mail-check-can-fail "a missing host went unnoticed"
else ok mail-check-can-fail; fi

# counts the test expects from the corpus: something of each kind is found
hosts=$(grep -c '^host ' "$d/c.txt"); att=$(grep -c '^att ' "$d/c.txt")
snd=$(grep '^msg' "$d/c.txt" | grep -vc 'sender=-')
if [ "$hosts" -gt 200 ] && [ "$att" -gt 0 ] && [ "$snd" -gt 150 ]; then
	ok "mail-corpus-counts (hosts $hosts, attachments $att, senders $snd)"
else nok mail-corpus-counts "hosts $hosts, attachments $att, senders $snd"; fi

# the same messages as one mbox (each separated by an empty line and a From line)
for f in $files; do
	if head -c5 "$f" | grep -q '^From '; then cat "$f"; else printf 'From x Thu Jan  1 00:00:00 1970\n'; cat "$f"; fi
	printf '\n'
done >"$d/all.mbox"
"$mc" -m "$d/all.mbox" >"$d/m.txt" 2>&1
a=$(grep '^host ' "$d/c.txt" | awk '{print $3}' | sort | md5sum)
b=$(grep '^host ' "$d/m.txt" | awk '{print $3}' | sort | md5sum)
nm=$(grep -c '^msg .* ok ' "$d/m.txt")
if [ "$nm" = "$n" ] && [ "$a" = "$b" ]; then ok mail-mbox-same-facts
else nok mail-mbox-same-facts "$nm messages from the mbox, hosts differ: $([ "$a" = "$b" ] && echo no || echo yes)"; fi

# ---- tip import maildir|mbox, tip query spam, compaction --------------------
tip=$O/tip
st=$d/store
"$tip" import maildir "$spam" --store "$st" >"$d/imp1" 2>&1; r1=$?
"$tip" import mbox "$d/all.mbox" --store "$st" >"$d/imp2" 2>&1; r2=$?
if [ $r1 = 0 ] && [ $r2 = 0 ] && grep -q "mined $n messages .*repeats 0, skipped 0" "$d/imp1" &&
	grep -q "mined 0 messages .*repeats $n, skipped 0" "$d/imp2"; then
	ok "import-maildir-then-mbox (a message seen twice is a repeat)"
else nok import-maildir-then-mbox "$(cat "$d/imp1" "$d/imp2" | tr '\n' ' ')"; fi
"$tip" dump "$st" >"$d/dump" 2>/dev/null
ex=$(grep -c '"op":"extract"' "$d/dump"); rp=$(grep -c '"op":"repeat"' "$d/dump")
if [ "$ex" = "$n" ] && [ "$rp" = "$n" ]; then ok "import-records ($ex extracts, $rp repeats)"
else nok import-records "$ex extracts, $rp repeats"; fi
if "$tip" verify "$st" >"$d/ver" 2>&1; then ok import-verify; else nok import-verify "$(tail -n2 "$d/ver")"; fi
# tip export --records spam: every record once, in both formats, with the hosts dump shows
"$tip" export --records spam --format clickhouse --store "$st" >"$d/x.json" 2>"$d/x.err"; r1=$?
"$tip" export --records spam --format csv --store "$st" -o "$d/x.csv" 2>>"$d/x.err"; r2=$?
xr=$(python3 - "$d/dump" "$d/x.json" "$d/x.csv" <<'PY'
import csv, json, sys
def pairs(rows, hosts):
    return sorted((r["digest"], r["op"], h) for r in rows for h in (hosts(r) or [""]))
dump = [json.loads(l) for l in open(sys.argv[1]) if '"type":"spam"' in l]
ch = [json.loads(l) for l in open(sys.argv[2])]
cs = list(csv.DictReader(open(sys.argv[3], newline="")))
a = pairs(dump, lambda r: [h["host"] for h in r.get("hosts", [])])
b = pairs(ch, lambda r: r["hosts"])
c = pairs(cs, lambda r: r["hosts"].split())
same_dom = all(len(r["hosts"]) == len(r["domains"]) for r in ch)
print("ok %d" % len(ch) if a == b == c and len(ch) == len(dump) == len(cs) and same_dom else
      "dump %d, clickhouse %d, csv %d rows; hosts agree: %s" % (len(dump), len(ch), len(cs), a == b == c))
PY
)
if [ $r1 = 0 ] && [ $r2 = 0 ] && [ "$xr" = "ok $((ex + rp))" ]; then ok "export-spam-records ($xr rows, clickhouse and csv)"
else nok export-spam-records "exit $r1/$r2: $xr $(head -c 200 "$d/x.err")"; fi
# the busiest registered domain: the messages that name it, by mailcat, against tip query
dom=$(awk '$1 == "host" && $4 != "-" {print $2, $4}' "$d/c.txt" | sort -u | awk '{print $2}' |
	sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
want=$(awk -v D="$dom" '$1 == "host" && $4 == D {print $2}' "$d/c.txt" | sort -u | wc -l)
"$tip" query spam --domain "$dom" --store "$st" >"$d/q" 2>&1
if grep -q "^$want messages seen $((want * 2)) times" "$d/q"; then ok "query-spam-domain ($dom: $want messages, twice each)"
else nok query-spam-domain "$dom: want $want messages: $(tail -n1 "$d/q")"; fi
ip=$(grep '^msg' "$d/c.txt" | sed -n 's/.* sender=\([^ ]*\) .*/\1/p' | sort | uniq -c | sort -rn | awk 'NR == 1 {print $2}')
wip=$(grep -c "^msg .* sender=$ip " "$d/c.txt")
"$tip" query spam --ip "$ip" --store "$st" --format json >"$d/qi" 2>&1
if [ "$(grep -c '"count":2' "$d/qi")" = "$wip" ] && [ "$(wc -l <"$d/qi")" = "$wip" ]; then ok "query-spam-ip ($ip: $wip messages)"
else nok query-spam-ip "$ip: want $wip, got $(wc -l <"$d/qi")"; fi
h=$(awk '$1 == "att" {print $4}' "$d/c.txt" | head -n1)
"$tip" query spam --hash "$h" --store "$st" >"$d/qh" 2>&1
if grep -q "^1 messages seen 2 times" "$d/qh"; then ok query-spam-hash; else nok query-spam-hash "$(tail -n1 "$d/qh")"; fi
"$tip" query spam --domain nowhere.invalid --store "$st" >"$d/q0" 2>&1
if grep -q "^0 messages" "$d/q0"; then ok query-spam-none; else nok query-spam-none "$(cat "$d/q0")"; fi
"$tip" query spam --ip not-an-ip --store "$st" >/dev/null 2>&1
[ $? = 2 ] && ok query-spam-usage || nok query-spam-usage "a bad --ip was not a usage error"
"$tip" compact "$st" >/dev/null 2>&1
"$tip" query spam --domain "$dom" --store "$st" >"$d/qc" 2>&1
if [ "$(ls "$st"/log/*.tlog | wc -l)" = 1 ] && diff -q "$d/q" "$d/qc" >/dev/null; then ok query-spam-after-compact
else nok query-spam-after-compact "$(ls "$st"/log | tr '\n' ' ')"; fi
# record times: the Date header, else the mbox From line's date, else the import's time
{
	printf 'From a@example.com Thu Jan  1 10:00:00 2026\nDate: Mon, 19 Aug 2002 20:13:33 -0700 (PDT)\nSubject: one\n\nhttp://one.example.com/\n\n'
	printf 'From b@example.com Wed Aug 21 12:00:00 2002\nDate: Thu, 22 Aug 0102 12:07:35 +0800\nSubject: two\n\nhttp://two.example.com/\n\n'
	printf 'From c@example.com someday\nDate: not a date at all\nSubject: three\n\nhttp://three.example.com/\n'
} >"$d/dates.mbox"
t0=$(date +%s)
"$tip" import mbox "$d/dates.mbox" --store "$d/dst" >"$d/dimp" 2>&1
t1=$(date +%s)
dts=$("$tip" dump "$d/dst" 2>/dev/null | python3 -c '
import json, sys
print(" ".join(str(json.loads(l)["ts_us"] // 1000000) for l in sys.stdin if "\"spam\"" in l))')
set -- $dts
if [ "$#" = 3 ] && [ "$1" = 1029813213 ] && [ "$2" = 1029931200 ] && [ "$3" -ge "$t0" ] && [ "$3" -le "$t1" ] &&
	grep -q "Date header 1, by the mbox From line 1, at import time 1 (2 bad" "$d/dimp"; then
	ok "import-dates (Date header, From line, import time)"
else nok import-dates "times $dts; $(tail -n1 "$d/dimp")"; fi
# a hostile maildir: every message malformed is skipped with its name, the rest mined
mkdir -p "$d/bad/new" "$d/bad/cur"
printf 'Subject: ok\n\nhttp://fine.example.com/\n' >"$d/bad/new/good"
printf 'not mail at all\n' >"$d/bad/new/nomail"
{ printf 'Subject: '; head -c 1100000 /dev/zero | tr '\0' A; printf '\n\nx\n'; } >"$d/bad/cur/longline:2,S"
"$tip" import maildir "$d/bad" --store "$d/bst" >"$d/bimp" 2>&1; r=$?
if [ $r = 1 ] && grep -q "nomail: skipped: no mail header" "$d/bimp" &&
	grep -q "longline:2,S: skipped: header line too long" "$d/bimp" && grep -q "mined 1 messages" "$d/bimp"; then
	ok import-malformed-skipped
else nok import-malformed-skipped "exit $r: $(tr '\n' ' ' <"$d/bimp")"; fi

[ "$fails" -eq 0 ]
