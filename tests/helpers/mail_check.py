#!/usr/bin/env python3
"""mail_check: extract from mail what store/mail.c should find, by another
method (Python's email package, html.unescape and regular expressions), and
compare it with the output of tests/mailcat.

    mail_check.py MAILCAT_OUTPUT FILE...

Prints one line per disagreement and a summary line
"mail_check: N messages, N hosts, N attachments, N senders, N agree, N differ"
and exits 1 when any message differs.
"""
import base64
import email
import email.policy
import email.utils
import hashlib
import html
import ipaddress
import os
import re
import sys

URL_RE = re.compile(rb"(?:(?:https?|ftp)://|(?<![A-Za-z0-9._/@:-])www\.)[!#-&(-;=?-\[\]_a-z~]+", re.I)
TRAIL = b".,;:!?*"


def trim(u):
    while u:
        last = u[-1:]
        if last in (b")", b"]"):
            opener = b"(" if last == b")" else b"["
            if opener in u:
                break
            u = u[:-1]
        elif last in [bytes([c]) for c in TRAIL]:
            u = u[:-1]
        else:
            break
    return u


def host_of(u):
    low = u.lower()
    if low.startswith(b"www."):
        rest = u
    else:
        rest = u.split(b"://", 1)[1]
    auth = re.split(rb"[/?#\\]", rest, maxsplit=1)[0]
    if b"@" in auth:
        auth = auth.rsplit(b"@", 1)[1]
    if auth.startswith(b"["):
        return None
    auth = auth.split(b":", 1)[0].rstrip(b".").lower()
    if not auth or len(auth) > 255 or b"." not in auth:
        return None
    if not re.fullmatch(rb"[a-z0-9_-]+(\.[a-z0-9_-]+)*", auth):
        return None
    return auth.decode()


B64_LINE = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def payload(part):
    """The decoded bytes of a part; None when its base64 is broken.  Base64
    is decoded line by line here: valid lines are decoded, the first line
    that is not base64 and all after it are taken as they are (text after
    an encoded body: a mailing list footer)."""
    cte = (part.get("content-transfer-encoding") or "").strip().lower()
    if cte != "base64":
        return part.get_payload(decode=True) or b""
    raw = part.get_payload(decode=False)
    if isinstance(raw, str):
        raw = raw.encode("latin-1", "replace")
    enc, rest = [], b""
    lines = raw.split(b"\n")
    padded = False
    for i, line in enumerate(lines):
        t = line.strip()
        if not B64_LINE.fullmatch(t) or (padded and t):
            rest = b"\n".join(lines[i:])
            break
        padded = padded or t.endswith(b"=")
        enc.append(t.rstrip(b"="))
    data = b"".join(enc)
    if len(data) % 4 == 1:
        data = data[:-1]  # a lone sextet is no byte
    dec = base64.b64decode(data + b"=" * (-len(data) % 4))
    if rest:
        return (dec, rest)
    return dec


def text_parts(msg):
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type() if part.get("content-type") else "text/plain"
        if part.get_content_maintype() == "message":
            continue
        if not ctype.startswith("text/"):
            continue
        data = payload(part)
        if isinstance(data, tuple):
            data = data[0] + b"\n" + data[1]
        cs = (part.get_param("charset") or "").lower()
        if cs.startswith(("utf-16", "utf-32", "ucs-2")):
            data = data.replace(b"\0", b"")
        if ctype == "text/html":
            s = data.decode("latin-1")
            s = re.sub(r"<!--.*?(-->|$)", "", s, flags=re.S)
            s = html.unescape(s)
            data = "".join(c if ord(c) < 128 else " " for c in s).encode()
        yield data


def attachments(msg):
    for part in msg.walk():
        if part.is_multipart():
            continue
        ctype = part.get_content_type() if part.get("content-type") else "text/plain"
        maintype = ctype.split("/")[0]
        if maintype == "message":
            continue
        disp = (part.get("content-disposition") or "").lower().startswith("attachment")
        if disp or part.get_filename() or maintype != "text":
            data = payload(part)
            if isinstance(data, tuple):
                if maintype != "text":
                    continue
                data = data[0]
                continue
            yield hashlib.sha256(data).hexdigest(), len(data)


def expected(path):
    raw = open(path, "rb").read()
    if raw.startswith(b"From "):
        raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    hosts = set()
    for data in text_parts(msg):
        for m in URL_RE.finditer(data):
            u = trim(m.group(0))
            if u.lower() in (b"http://", b"https://", b"ftp://", b"www."):
                continue
            h = host_of(u)
            if h:
                hosts.add(h)
    return hosts, sorted(attachments(msg)), sender(msg), from_domain(msg)


PRIVATE = [ipaddress.ip_network(n) for n in (
    "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16",
    "0.0.0.0/8", "::1/128", "fc00::/7", "fe80::/10")]


def sender(msg):
    """The first connecting address down the Received chain that is not
    private: a bracketed address in the from clause, else a bare quad."""
    for v in msg.get_all("received") or []:
        v = re.sub(r"\s+", " ", str(v)).strip()
        m = re.match(r"(?i)from (.*?)(?: by .*|$)", v)
        if not m:
            continue
        clause = m.group(1)
        cands = re.findall(r"\[(?:IPv6:)?([0-9A-Fa-f:.]+)\]", clause)
        ip = None
        for c in cands:
            try:
                ip = ipaddress.ip_address(c)
                break
            except ValueError:
                pass
        if ip is None:
            for c in re.findall(r"(?<![0-9.])([0-9]{1,3}(?:\.[0-9]{1,3}){3})(?![0-9.])", clause):
                try:
                    ip = ipaddress.ip_address(c)
                    break
                except ValueError:
                    pass
        if ip is None:
            continue
        if any(ip in n for n in PRIVATE if n.version == ip.version):
            continue
        return str(ip)
    return "-"


def from_domain(msg):
    v = msg.get("from")
    if v is None:
        return "-"
    addr = email.utils.parseaddr(str(v))[1]
    if "@" not in addr:
        # parseaddr gives up on a list of addresses with raw 8-bit local
        # parts, and how it gives up differs between Python 3.11 releases
        # (3.11.2 on Debian 12, later ones elsewhere): take the first
        # address's domain from the text itself, as the C side does.
        m = re.search(r"@([A-Za-z0-9_.-]+)", str(v))
        if m is None:
            return "-"
        addr = "x@" + m.group(1)
    d = addr.rsplit("@", 1)[1].strip().rstrip(".").lower()
    return d if re.fullmatch(r"[a-z0-9_-]+(\.[a-z0-9_-]+)+", d) else "-"


def main():
    got = {}
    att = {}
    info = {}
    for line in open(sys.argv[1], encoding="latin-1"):
        f = line.rstrip("\n").split(" ")
        if f[0] == "msg":
            got.setdefault(f[1], set())
            kv = dict(x.split("=", 1) for x in f[3:] if "=" in x)
            info[f[1]] = (kv.get("sender"), kv.get("from"))
            att.setdefault(f[1], [])
        elif f[0] == "host":
            got[f[1]].add(f[2])
        elif f[0] == "att":
            att[f[1]].append((f[3], int(f[2])))
    agree = differ = nh = na = nsnd = 0
    for path in sys.argv[2:]:
        name = os.path.basename(path)
        hosts, atts, snd, frm = expected(path)
        nsnd += snd != "-"
        nh += len(hosts)
        na += len(atts)
        mine = got.get(name)
        if mine is None:
            print("missing %s" % name)
            differ += 1
            continue
        ok = True
        if mine != hosts:
            ok = False
            print("hosts %s: only C %s; only Python %s" %
                  (name, sorted(mine - hosts), sorted(hosts - mine)))
        if sorted(att[name]) != atts:
            ok = False
            print("attachments %s: C %s; Python %s" % (name, sorted(att[name]), atts))
        if info[name] != (snd, frm):
            ok = False
            print("sender/from %s: C %s; Python %s" % (name, info[name], (snd, frm)))
        if ok:
            agree += 1
        else:
            differ += 1
    print("mail_check: %d messages, %d hosts, %d attachments, %d senders, %d agree, %d differ" %
          (len(sys.argv) - 2, nh, na, nsnd, agree, differ))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
