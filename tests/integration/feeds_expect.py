#!/usr/bin/env python3
"""Independent reading of a blacklist sample, for tests/integration/feeds.sh.

Prints the indicators a correct parser must give, one "kind<TAB>value" a
line, using Python's own ipaddress, csv, json and idna codecs, not the C
code's rules.  usage: feeds_expect.py FORMAT FILE [COLUMN|PATH]
"""
import csv, io, ipaddress, json, re, sys

LDH = re.compile(r'^[a-z0-9_-]{1,63}$')
BOILER = {'localhost', 'localhost.localdomain', 'local', 'broadcasthost', 'ip6-localhost',
          'ip6-loopback', 'ip6-localnet', 'ip6-mcastprefix', 'ip6-allnodes', 'ip6-allrouters',
          'ip6-allhosts', '0.0.0.0'}

def dom(s):
    s = s[:-1] if s.endswith('.') else s
    try:
        a = s.encode('idna').decode('ascii').lower() if any(ord(c) > 127 for c in s) else s.lower()
    except UnicodeError:
        return None
    labels = a.split('.')
    if len(labels) < 2 or len(a) > 253 or not all(LDH.match(l) for l in labels):
        return None
    return a

def ip(s):
    try:
        return str(ipaddress.ip_address(s))
    except ValueError:
        return None

def net(s):
    try:
        n = ipaddress.ip_network(s, strict=False)
    except ValueError:
        return None
    if n.prefixlen == n.max_prefixlen:
        return ('ip', str(n.network_address))
    return ('cidr', str(n))

def url_host(u):
    rest = u.split('://', 1)[1] if '://' in u else u
    auth = re.split(r'[/?#]', rest, 1)[0]
    auth = auth.rsplit('@', 1)[-1]
    if auth.startswith('['):
        h = auth[1:auth.index(']')]
    else:
        h = auth.split(':', 1)[0]
    return ('ip', ip(h)) if ip(h) else ('domain', dom(h))

def classify(s):
    if re.match(r'^[A-Za-z][A-Za-z0-9+.-]*://', s):
        k, h = url_host(s)
        return ('url', h) if h else None
    if ip(s):
        return ('ip', ip(s))
    if '/' in s and net(s):
        return net(s)
    if dom(s):
        return ('domain', dom(s))
    return None

def lines(path):
    with open(path, 'rb') as f:
        for raw in f.read().decode('utf-8', 'surrogateescape').split('\n'):
            l = raw.strip()
            if l and not l.startswith('#'):
                yield l

def main():
    fmt, path = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    out = []
    if fmt == 'hosts':
        for l in lines(path):
            w = l.split('#', 1)[0].split()
            names = w[1:] if ip(w[0]) else w[:1]
            for n in names:
                if n.lower() in BOILER:
                    continue
                d = dom(n)
                if d:
                    out.append(('domain', d))
    elif fmt in ('ips', 'cidr'):
        for l in lines(path):
            if l.startswith(';'):
                continue
            w = re.split(r'[\s#;,]', l, 1)[0]
            r = ('ip', ip(w)) if ip(w) else net(w) if '/' in w else None
            if r:
                out.append(r)
    elif fmt == 'ipsum':
        for l in lines(path):
            w = l.split()
            if len(w) >= 2 and ip(w[0]) and w[1].isdigit():
                out.append(('ip', ip(w[0])))
    elif fmt == 'domains':
        for l in lines(path):
            w = l.split('#', 1)[0].split()[0]
            if '://' in w or '/' in w:
                k, h = url_host(w)
                if h:
                    out.append((k, h))
            elif ip(w):
                out.append(('ip', ip(w)))
            elif dom(w):
                out.append(('domain', dom(w)))
    elif fmt == 'urls':
        for l in lines(path):
            k, h = url_host(l.split()[0])
            if h:
                out.append(('url', h))
    elif fmt == 'csv':
        body = [l for l in lines(path)]
        rows = list(csv.reader(io.StringIO('\n'.join(body))))
        col = rows[0].index(arg)
        for r in rows[1:]:
            c = classify(r[col].strip())
            if c:
                out.append(c)
    elif fmt == 'json':
        for s in json.load(open(path))[arg]:
            c = classify(s.strip()) if isinstance(s, str) else None
            if c:
                out.append(c)
    for k, v in out:
        print('%s\t%s' % (k, v))

main()
