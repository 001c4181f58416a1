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
ok() { echo "ok $1"; }
nok() { echo "not ok $1${2:+: $2}"; fails=$((fails + 1)); }
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

[ "$fails" -eq 0 ]
