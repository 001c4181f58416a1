#!/usr/bin/env python3
"""Checks for tests/integration/fastflux.sh: what tipd's fast-flux module
stored against what the PowerDNS harness served (its tap's served.jsonl).

    fastflux_check.py --scenario S --served F --dump D --queries DIR
                      --log L --window W --restart-ts US --stops T1,T2

--dump is `tip dump` of the store (JSON lines), --queries a folder of
`tip query domain NAME --format json` outputs (NAME.json), --log tipd's
log of the run after the restart (trace fastflux on), --restart-ts the
ts_us of the second start event, --stops the Unix times the test sent
TERM.  Every expectation is computed from the served answers and the
scenario (ASN, country and PTR of each pool address), never hard-coded,
so the seed decides the data.  Prints "ok NAME" / "not ok NAME: why".
"""
import argparse
import datetime
import json
import os
import re
import sys

W_A, W_ASN, THRESHOLD = 132, 1854, 14238

failed = 0


def ok(name):
    print("ok " + name)


def notok(name, why):
    global failed
    failed += 1
    print("not ok %s: %s" % (name, why))


def check(name, cond, why):
    if cond:
        ok(name)
    else:
        notok(name, why)


def iso_us(s):
    t = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
    return int(t.timestamp()) * 1000000 + t.microsecond


def main():
    ap = argparse.ArgumentParser()
    for a in ("scenario", "served", "dump", "queries", "log"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--window", type=int, required=True)
    ap.add_argument("--restart-ts", type=int, required=True)
    ap.add_argument("--stops", required=True)
    args = ap.parse_args()

    sc = json.load(open(args.scenario))
    zone = sc["zone"]
    info = {}   # address -> pool entry (asn, cc, ptr)
    for n in sc["names"].values():
        for p in n.get("pool", []):
            info[p["ip"]] = p
    served = [json.loads(l) for l in open(args.served)]
    recs = [json.loads(l) for l in open(args.dump)]
    stops = [float(x) for x in args.stops.split(",")]
    log = open(args.log).read()

    def answers(label):
        """Served A answers with records, in relay order (UDP truncated replies excluded)."""
        q = "%s.%s" % (label, zone)
        return [s for s in served if s.get("qname") == q and s.get("qtype") == 1 and
                s.get("rcode") == 0 and not s.get("tc") and s.get("a")]

    def holz(addrs):
        asns = {info[a]["asn"] for a in addrs if a in info}
        return len(addrs), len(asns), W_A * len(addrs) + W_ASN * len(asns)

    def scores(label, window):
        q = "%s.%s" % (label, zone)
        return [r for r in recs if r["type"] == "score" and r["name"] == q and r["window"] == window]

    def dns(label, qtype):
        q = "%s.%s" % (label, zone)
        return [r for r in recs if r["type"] == "dns" and r["name"] == q and r["qtype"] == qtype]

    # ---- every lookup went to the loopback server in the configuration
    # (a timeout has no server: nobody answered)
    servers = {r["server"] for r in recs if r["type"] == "dns" and r["rcode"] != 16}
    silent = {r["server"] for r in recs if r["type"] == "dns" and r["rcode"] == 16}
    check("ff-servers-loopback-only", servers == {"127.0.0.1"} and silent <= {None},
          "servers in the store: %s; of timeouts: %s" % (servers, silent))

    # ---- classification and running totals against what was served
    expect = {"ff1": True, "ff2": True, "ff3": True, "cdn": False, "rr1": False, "rr2": False,
              "rr3": False, "big": None}
    for label, want_flux in expect.items():
        served_a = answers(label)
        if len(served_a) < args.window:
            notok("ff-classify-" + label, "only %d answers served" % len(served_a))
            continue
        win = set()
        for s in served_a[:args.window]:
            win.update(s["a"])
        n_a, n_asn, x100 = holz(win)
        w = scores(label, "classification")
        if len(w) != 1:
            notok("ff-classify-" + label, "%d classification samples, want 1" % len(w))
        else:
            got = round(w[0]["score"] * 100)
            flux = got > THRESHOLD
            good = (w[0]["n_a"], w[0]["n_asn"], got) == (n_a, n_asn, x100)
            if want_flux is not None:
                good = good and flux == want_flux
            check("ff-classify-" + label, good,
                  "stored nA=%d nASN=%d score=%d flux=%s; served window nA=%d nASN=%d score=%d%s" %
                  (w[0]["n_a"], w[0]["n_asn"], got, flux, n_a, n_asn, x100,
                   "" if want_flux is None else " want flux=%s" % want_flux))
        # running totals: every served answer, the sensor's last sample and tip query
        every = set()
        for s in served_a:
            every.update(s["a"])
        n_a, n_asn, x100 = holz(every)
        run = scores(label, "running")
        last = run[-1] if run else None
        good = last is not None and (last["n_a"], last["n_asn"], round(last["score"] * 100)) == \
            (n_a, n_asn, x100)
        check("ff-running-" + label, good, "last sample %s; served nA=%d nASN=%d score=%d" %
              (last and (last["n_a"], last["n_asn"], last["score"]), n_a, n_asn, x100))
        path = os.path.join(args.queries, label + ".json")
        try:
            rows = [json.loads(l) for l in open(path)]
            qd = rows[0]
            qd["a"] = [r for r in rows if r.get("row") == "address"]
        except (OSError, ValueError, IndexError) as e:
            notok("ff-query-" + label, "%s: %s" % (path, e))
            continue
        ips = {x["ip"] for x in qd["a"]}
        asn_ok = all(x["asn"] == info[x["ip"]]["asn"] and x["country"] == info[x["ip"]]["cc"]
                     for x in qd["a"] if x["ip"] in info)
        t_first = iso_us(qd["first_seen"]) / 1e6
        t_last = iso_us(qd["last_seen"]) / 1e6
        t1 = served_a[0]["t"]
        t2 = served_a[1]["t"]
        tl = served_a[-1]["t"]
        run_q = qd.get("running", {})
        good = (run_q.get("hosts") == n_a and run_q.get("asns") == n_asn and ips == every and asn_ok and
                t1 <= t_first <= t2 and tl <= t_last <= stops[-1])
        check("ff-query-" + label, good,
              "hosts=%s asns=%s (served %d, %d) same addresses=%s asn/cc=%s first %.6f in "
              "[%.6f, %.6f] last %.6f in [%.6f, %.6f]" %
              (run_q.get("hosts"), run_q.get("asns"), n_a, n_asn, ips == every, asn_ok, t_first, t1, t2,
               t_last, tl, stops[-1]))
        # one REC_DNS per lookup: as many A records with answers as answers served
        stored = [r for r in dns(label, "A") if r["a"]]
        check("ff-one-record-per-lookup-" + label,
              len(stored) == len(served_a) and all(sorted(r["a"]) == sorted(s["a"])
                                                    for r, s in zip(stored, served_a)),
              "%d REC_DNS with answers, %d answers served" % (len(stored), len(served_a)))

    # ---- outcomes: NXDOMAIN, SERVFAIL, a timeout, NODATA, with the server's rcode
    for label, rcode, what in (("nx", 3, "nxdomain"), ("servfail", 2, "servfail"),
                               ("silent", 16, "timeout"), ("dflux", 0, "nodata")):
        rs = dns(label, "A")
        good = rs and all(r["rcode"] == rcode and not r["a"] for r in rs)
        check("ff-outcome-" + what, good, "A records of %s: %s" %
              (label, [(r["rcode"], r["a"]) for r in rs][:5]))
    dropped = [s for s in served if s.get("dropped") and s["qname"] == "silent." + zone]
    check("ff-timeout-was-a-silence", len(dropped) >= len(dns("silent", "A")),
          "%d queries dropped, %d timeout records" % (len(dropped), len(dns("silent", "A"))))

    # ---- double flux: NS names recorded, counted, and all from the pool of NS hosts
    ns_served = set()
    for s in served:
        if s.get("qname") == "dflux." + zone and s.get("qtype") == 2 and s.get("ns"):
            ns_served.update(s["ns"])
    ns_stored = set()
    for r in dns("dflux", "NS"):
        ns_stored.update(r["names"])
    run = scores("dflux", "running")
    good = (ns_stored == ns_served and ns_stored <= set(sc["names"]["dflux"]["ns"]) and
            len(ns_stored) > 2 and run and run[-1]["n_ns"] == len(ns_served))
    check("ff-double-flux-ns", good, "stored %s served %s last nNS %s" %
          (sorted(ns_stored), sorted(ns_served), run and run[-1]["n_ns"]))

    # ---- enrichment: ASN, country and PTR of what was served, as the zones say
    bad = []
    for r in recs:
        if r["type"] != "enrich":
            continue
        p = info.get(r["ip"])
        if (not p or r["asn"] != p["asn"] or (r["country"] or "") != p["cc"] or
                r["ptr"] not in ("", p["ptr"])):
            bad.append(r["ip"])
    n_enrich = sum(1 for r in recs if r["type"] == "enrich")
    n_ptr = sum(1 for r in recs if r["type"] == "enrich" and r["ptr"])
    check("ff-enrichment", n_enrich > 0 and n_ptr > 0 and not bad,
          "%d records, %d with PTR, wrong: %s" % (n_enrich, n_ptr, bad[:5]))
    # AS names from the AS<n> TXT zone (Cymru mode), as served (cut to 127 bytes as kept)
    bad_name = [(r["ip"], r["as_name"], info[r["ip"]]["org"]) for r in recs
                if r["type"] == "enrich" and r["ip"] in info and
                r["as_name"] != info[r["ip"]]["org"].encode()[:127].decode("utf-8", "replace")]
    check("ff-as-names", n_enrich > 0 and not bad_name,
          "%d records, wrong: %s" % (n_enrich, bad_name[:3]))

    # ---- the restart lost nothing
    before = [r for r in recs if r["ts_us"] < args.restart_ts]
    after = [r for r in recs if r["ts_us"] >= args.restart_ts]
    rebuilt = {}
    for m in re.finditer(r"fastflux: (\S+): rebuilt (\w+) first=(\d+) last=(\d+) lookups=(\d+) "
                         r"nA=(\d+) nASN=(\d+) nNS=(\d+) score=(\S+)", log):
        rebuilt[m.group(1)] = m.groups()[1:]
    for label in list(expect) + ["dflux", "nx", "servfail", "silent"]:
        q = "%s.%s" % (label, zone)
        mine = [r for r in before if r.get("name") == q]
        first_dns = [r for r in mine if r["type"] == "dns" and r["qtype"] == "A"]
        if q not in rebuilt or not first_dns:
            notok("ff-restart-" + label, "no rebuild line (%s) or no lookup before" % (q in rebuilt))
            continue
        state, first, last, lookups, n_a, n_asn, n_ns, score = rebuilt[q]
        pre = [r for r in mine if r["type"] == "score" and r["window"] == "running"]
        post = [r for r in after if r.get("name") == q and r["type"] == "score"]
        want_state = "window"   # never answered with addresses: still in its window
        if label in expect:
            want_state = "flux" if expect[label] else "benign"
        if label == "big":
            w = scores(label, "classification")
            want_state = "flux" if w and round(w[0]["score"] * 100) > THRESHOLD else "benign"
        good = (int(first) == first_dns[0]["ts_us"] // 1000000 and
                int(lookups) == len(first_dns) and state == want_state)
        if pre:
            good = good and (int(n_a), int(n_asn), int(n_ns)) == \
                (pre[-1]["n_a"], pre[-1]["n_asn"], pre[-1]["n_ns"])
            # (>=, not >: a domain whose NS set moves, dflux, is scored again on
            # an NS answer, so its first sample after the restart may come
            # before its next A lookup, with the count it had)
            good = good and all(p["window"] == "running" and p["score"] >= pre[-1]["score"] and
                                p["lookups"] >= pre[-1]["lookups"] for p in post)
        check("ff-restart-" + label, good,
              "rebuilt %s first=%s (first lookup %d) lookups=%s (%d before) nA=%s nASN=%s "
              "nNS=%s; last sample before %s; samples after %s" %
              (state, first, first_dns[0]["ts_us"] // 1000000, lookups, len(first_dns), n_a,
               n_asn, n_ns, pre and (pre[-1]["n_a"], pre[-1]["n_asn"], pre[-1]["score"]),
               [(p["window"], p["score"], p["lookups"]) for p in post][:3]))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
