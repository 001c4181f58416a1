#!/usr/bin/env python3
"""Expected feed history and source metrics for tests/integration/feeds_history.sh.

usage: feeds_history.py PLAN ALLOWLIST
PLAN lines: "<unix time> <source> <file of normalised entries: kind<TAB>value[<TAB>host]>"
(a file named '-' is a failed fetch).  Prints JSON: per fetch the listed and
delisted counts, per source the metrics of doc/decisions.md ("Source
weights"), computed here from the lists alone, and the confidence of every
indicator listed now.
"""
import json, statistics, sys

plan = [l.split() for l in open(sys.argv[1]) if l.strip()]
allow = set()
for l in open(sys.argv[2]):
    l = l.strip().lower()
    if l and not l.startswith('#'):
        allow.add(l[4:] if l.startswith('www.') and '.' in l[4:] else l)

def allowed(d):
    labels = d.split('.')
    return any('.'.join(labels[i:]) in allow for i in range(len(labels)))

def read(path):
    out = {}
    for l in open(path):
        f = l.rstrip('\n').split('\t')
        if len(f) >= 2 and not f[0].startswith('lines'):
            out.setdefault((f[0], f[1]), f[2] if f[0] == 'url' and len(f) > 2 else None)
    return out

last = {}          # source -> current set (dict key -> host)
since = {}         # (source, key) -> listed since
first = {}         # (source, key) -> first listed
life = {}          # source -> [seconds]
listings = {}; initial = {}; delist = {}; seen_ok = {}
fetch_t = {}
fetches = []
now = 0
for t, src, path in plan:
    t = int(t); now = max(now, t)
    fetch_t.setdefault(src, [t, t])[1] = t
    fetch_t[src][0] = min(fetch_t[src][0], t)
    for d in (listings, initial, delist):
        d.setdefault(src, 0)
    life.setdefault(src, [])
    if path == '-':
        fetches.append({'source': src, 'ok': False})
        continue
    new = read(path)
    old = last.get(src, {})
    add = [k for k in new if k not in old]
    rem = [k for k in old if k not in new]
    for k in add:
        since[(src, k)] = t
        first.setdefault((src, k), t)
        listings[src] += 1
        if not seen_ok.get(src):
            initial[src] += 1
    for k in rem:
        life[src].append(t - since.pop((src, k)))
        delist[src] += 1
    seen_ok[src] = True
    last[src] = new
    fetches.append({'source': src, 'ok': True, 'listed': len(add), 'delisted': len(rem),
                    'entries': len(new)})

sources = sorted(fetch_t)
ever = {s: {k for (s2, k) in first if s2 == s} for s in sources}
host = {}
for s in sources:
    for k, h in last.get(s, {}).items():
        host[k] = h
# hosts of URLs ever listed: from every file read
for t, src, path in plan:
    if path != '-':
        for k, h in read(path).items():
            host[k] = h
res = {'fetches': fetches, 'sources': {}}
for s in sources:
    lives = life[s] + [now - since[(s2, k)] for (s2, k) in since if s2 == s]
    span = (fetch_t[s][1] - fetch_t[s][0]) / 86400
    days = max(span, 1)
    now_n = len(last.get(s, {}))
    excl = sum(1 for k in ever[s] if not any(k in ever[o] for o in sources if o != s))
    lat = []
    for k in ever[s]:
        others = [first[(o, k)] for o in sources if (o, k) in first]
        if len(others) >= 2:
            lat.append((first[(s, k)] - min(others)) / 3600)
    doms = [k[1] if k[0] == 'domain' else host[k] for k in ever[s]
            if k[0] == 'domain' or (k[0] == 'url' and host.get(k))]
    fp = sum(1 for d in doms if allowed(d))
    m = {
        'entries': now_n,
        'added_per_day': (listings[s] - initial[s]) / days,
        'churn': (listings[s] - initial[s] + delist[s]) / days / max(now_n, 1),
        'lifetime_mean_days': statistics.mean(lives) / 86400 if lives else 0,
        'lifetime_median_days': statistics.median(lives) / 86400 if lives else 0,
        'exclusive': excl / len(ever[s]) if ever[s] else 0,
        'latency_mean_hours': statistics.mean(lat) if lat else 0,
        'latency_median_hours': statistics.median(lat) if lat else 0,
        'accuracy': 1 - fp / len(doms) if doms else None,
        'weight': (len(doms) - fp + 1) / (len(doms) + 2) if doms else 0.5,
        'differential': {o: 1 - len(ever[s] & ever[o]) / len(ever[s]) if ever[s] else 0 for o in sources if o != s},
    }
    res['sources'][s] = m
conf = {}
for s in sources:
    for k in last.get(s, {}):
        conf.setdefault(k[1], 1.0)
for v in conf:
    miss = 1.0
    for s in sources:
        if any(k[1] == v for k in last.get(s, {})):
            miss *= 1 - res['sources'][s]['weight']
    conf[v] = 1 - miss
res['confidence'] = conf
print(json.dumps(res))
