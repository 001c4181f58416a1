#!/usr/bin/env python3
"""The importer and the sensor must agree on the same traffic.

    fastflux_agree.py --tip TIP --scenario S --served F --dump D --store DIR
                      --work DIR --window W --ttl-min D --ttl-max D --restart-ts US

Takes what the harness's tap says PowerDNS served to tipd (--served, one
JSON line per reply), writes every A answer as gamelinux/passivedns lines,
builds an ASN table of the scenario's pools (what the harness's Team Cymru
zone says), imports both with `tip import passivedns` and `tip asn import`,
and checks for every name tipd classified before its restart that `tip
query domain` on the import, and on tipd's own store, gives tipd's
classification (REC_SCORE window 1 in --dump: hosts, ASNs, score, verdict)
when told tipd's window and TTL bounds; then that `tip query flux` and `tip
blacklist` list exactly the names tipd called flux.  It also checks that
the running totals of some name differ from its window, so the comparison
would fail if tip scored everything stored.  Prints ok / not ok lines.
"""
import argparse
import ipaddress
import json
import os
import subprocess
import sys

fails = 0


def check(name, good, detail=""):
    global fails
    if good:
        print("ok %s" % name)
    else:
        fails += 1
        print("not ok %s%s" % (name, ": " + detail if detail else ""))


def main():
    ap = argparse.ArgumentParser()
    for a in ("tip", "scenario", "served", "dump", "store", "work", "ttl-min", "ttl-max"):
        ap.add_argument("--" + a, required=True)
    ap.add_argument("--window", type=int, required=True)
    ap.add_argument("--restart-ts", type=int, required=True)
    args = ap.parse_args()
    sc = json.load(open(args.scenario))
    zone = sc["zone"]
    served = [json.loads(l) for l in open(args.served)]
    recs = [json.loads(l) for l in open(args.dump)]
    os.makedirs(args.work, exist_ok=True)

    # ---- what was served, as passive DNS: one line per A record of each reply
    log = os.path.join(args.work, "served.log")
    n_resp = 0
    with open(log, "w") as f:
        for s in served:
            if s.get("qtype") != 1 or s.get("rcode") != 0 or s.get("tc") or not s.get("a"):
                continue
            label = s["qname"][: -len(zone) - 1] if s["qname"].endswith("." + zone) else ""
            ttl = sc["names"].get(label, {}).get("ttl", 60)
            sec = int(s["t"])
            us = int(round((s["t"] - sec) * 1e6))
            if us == 1000000:
                sec, us = sec + 1, 0
            for a in s["a"]:
                f.write("%d.%06d||127.0.0.1||127.0.0.1||IN||%s.||A||%s||%d||1\n"
                        % (sec, us, s["qname"], a, ttl))
            n_resp += 1
    # ---- the scenario's ASNs, as the offline table
    pool = {}
    for n in sc["names"].values():
        for p in n.get("pool", []):
            pool[p["ip"]] = p
    asn_csv = os.path.join(args.work, "asn.csv")
    cc_csv = os.path.join(args.work, "cc.csv")
    with open(asn_csv, "w") as fa, open(cc_csv, "w") as fc:
        for ip in sorted(pool, key=lambda x: int(ipaddress.IPv4Address(x))):
            p = pool[ip]
            fa.write("%s,%s,%d,AS%d\n" % (ip, ip, p["asn"], p["asn"]))
            if p.get("cc"):
                fc.write("%s,%s,%s\n" % (ip, ip, p["cc"]))
    db = os.path.join(args.work, "asn.db")
    imp = os.path.join(args.work, "imp")
    r1 = subprocess.run([args.tip, "asn", "import", "--asn", asn_csv, "--country", cc_csv, "-o", db],
                        capture_output=True, text=True)
    r2 = subprocess.run([args.tip, "import", "passivedns", log, "--store", imp, "--sensor", "served"],
                        capture_output=True, text=True)
    check("ff-agree-import", r1.returncode == 0 and r2.returncode == 0 and n_resp > 0,
          "asn import %d %s; import %d %s; %d replies" %
          (r1.returncode, r1.stderr.strip()[-200:], r2.returncode, r2.stderr.strip()[-200:], n_resp))
    win = ["--window", str(args.window), "--ttl-min", args.ttl_min, "--ttl-max", args.ttl_max]

    def query(store, name, extra):
        r = subprocess.run([args.tip, "query", "domain", name, "--store", store, "--format", "json"]
                           + extra + win, capture_output=True, text=True)
        if r.returncode != 0:
            return None
        return json.loads(r.stdout.splitlines()[0])

    # ---- every name tipd classified in its first run
    classified = {}
    for r in recs:
        if r["type"] == "score" and r["window"] == "classification":
            classified.setdefault(r["name"], []).append(r)
    compared, flux_names, skipped, wider = 0, set(), [], 0
    for name in sorted(classified):
        w = classified[name]
        if len(w) != 1 or (args.restart_ts and w[0]["ts_us"] >= args.restart_ts):
            skipped.append(name)    # a window across the restart is not one span of time
            continue
        want = (w[0]["n_a"], w[0]["n_asn"], round(w[0]["score"] * 100), w[0]["margin"] > 0)
        for label, store, extra in (("imported", imp, ["--asn", db]), ("sensor-store", args.store, [])):
            q = query(store, name, extra)
            got = q and (q["hosts"], q["asns"], round(q["score"] * 100), q["flux"])
            check("ff-agree-%s-%s" % (label, name.split(".")[0]), got == want,
                  "tip query %s, tipd's window nA=%d nASN=%d score=%d flux=%s" %
                  (got and "nA=%d nASN=%d score=%d flux=%s" % got, *want))
            if q and label == "imported" and q["running"]["hosts"] > q["hosts"]:
                wider += 1
        compared += 1
        if want[3]:
            flux_names.add(name)
    print("# compared %d names, skipped %s" % (compared, skipped or "none"))
    check("ff-agree-compared-enough", compared >= 6 and flux_names,
          "%d compared, flux %s" % (compared, sorted(flux_names)))
    check("ff-agree-running-differs", wider > 0,
          "no name has more running hosts than window hosts: the test would not tell them apart")
    # ---- the flux table and the block list of the import list what tipd called flux
    r = subprocess.run([args.tip, "query", "flux", "--store", imp, "--asn", db, "--format", "json"] + win,
                       capture_output=True, text=True)
    listed = {json.loads(l)["domain"] for l in r.stdout.splitlines() if l.strip()} - set(skipped)
    check("ff-agree-flux-table", listed == flux_names,
          "tip query flux %s, tipd %s" % (sorted(listed), sorted(flux_names)))
    r = subprocess.run([args.tip, "blacklist", "--format", "hosts", "--store", imp, "--asn", db] + win,
                       capture_output=True, text=True)
    bl = {l.split()[1] for l in r.stdout.splitlines() if l.startswith("0.0.0.0 ")} - set(skipped)
    check("ff-agree-blacklist", bl == flux_names, "blacklist %s, tipd %s" % (sorted(bl), sorted(flux_names)))
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
