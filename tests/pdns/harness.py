#!/usr/bin/env python3
"""PowerDNS test harness for TIP's resolver and fast-flux tests.

    harness.py generate DIR [--seed N] [--data DIR] [--zone Z] [--asn-zone Z]
    harness.py up DIR [--port P] [--silent-port P] [generate options]
    harness.py down DIR
    harness.py silent PORT                (a UDP server that never answers)
    harness.py tap DIR [--port P] [--drop NAME]...
                                          (a recording proxy in front of PowerDNS)

`generate` writes, deterministically from the seed and the ip-location-db
CSVs in ../shared/data/asn, the zones, a named.conf for PowerDNS's bind
backend and scenario.json, which says what every name serves (pools, the
ASN and country of each address, the expected verdict).  `up` generates,
then starts pdns_server (bind backend, LUA records on) as a child process
on 127.0.0.1:PORT in the foreground mode (--daemon=no --guardian=no), plus
the silent server, waits until PowerDNS answers, writes DIR/env (shell
lines PDNS_PORT=, SILENT_PORT=, PDNS_PID=, SILENT_PID=) and prints the
same lines.  `down` stops exactly those two processes by their pids.

Everything listens on 127.0.0.1 only.  PowerDNS is told not to look up
its security status and caches nothing, so every query of a LUA record is
a fresh sample.

Zone <zone> (default flux.test):
  ff1..ff3   LUA A pickrandomsample(N, pool) over 60, 30, 12 addresses in 50,
             25, 12 ASNs and many countries (N = 5, 4, 4), TTL 30: fast flux
  cdn        LUA A pickrandomsample(8, pool) over 40 addresses in 2 ASNs,
             TTL 20: CDN-like, low TTL but few ASNs (benign)
  rr1..rr3   static round-robin A sets, TTL 300 (benign)
  v6         AAAA records
  big        250 A records: too big for UDP (PowerDNS truncates at 1232
             bytes), so it needs TCP
  servfail   a LUA record that raises an error: SERVFAIL
  dflux      LUA NS pickrandomsample(2, ns names) whose hosts dns1..dns6
             have LUA A records over the flux pool: double flux
  any other name: NXDOMAIN
Zone <asn-zone> (default origin.asn.test): Team Cymru origin TXT lines
  "ASN | prefix | CC | registry | " for every pool address, and zone
  asn.<tld-of-asn-zone> (AS<n>.asn.test): "ASN | CC | registry | | name".
Zone in-addr.arpa: a PTR for every pool address.

`tap` (after `up`) starts a proxy on 127.0.0.1:PORT, UDP and TCP, that
forwards every query to the PowerDNS of DIR/env and writes each reply it
relays as one JSON line to DIR/served.jsonl: {"t": Unix time of the
relay, "proto", "qname", "qtype", "rcode", "tc", "a": [...], "ns": [...],
"txt": [...], "ptr": [...]}, so a test knows exactly what was served
(LUA records answer a fresh random sample each time).  Queries for a
--drop name get no reply at all (a timeout for that name only) and are
logged with "dropped": true.  It appends TAP_PORT= and TAP_PID= to
DIR/env; `down` stops it too.
"""
import argparse
import bisect
import csv
import ipaddress
import json
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data"))

# A plausible registry per country, for the Cymru lines (only a label here).
RIR = {
    "US": "arin", "CA": "arin", "BR": "lacnic", "AR": "lacnic", "MX": "lacnic",
    "CL": "lacnic", "CO": "lacnic", "AU": "apnic", "CN": "apnic", "JP": "apnic",
    "KR": "apnic", "IN": "apnic", "ID": "apnic", "TW": "apnic", "HK": "apnic",
    "SG": "apnic", "TH": "apnic", "VN": "apnic", "NZ": "apnic", "ZA": "afrinic",
    "EG": "afrinic", "NG": "afrinic", "KE": "afrinic", "MA": "afrinic",
}


def ip2int(s):
    return int(ipaddress.IPv4Address(s))


def int2ip(n):
    return str(ipaddress.IPv4Address(n))


def load_asn(path):
    """Rows (start, end, asn, org) of an ip2asn-style CSV, bad lines skipped."""
    rows = []
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for rec in csv.reader(f):
            if len(rec) != 4:
                continue
            try:
                rows.append((ip2int(rec[0].strip()), ip2int(rec[1].strip()), int(rec[2]), rec[3].strip()))
            except ValueError:
                continue
    rows.sort()
    return rows


def load_cc(path):
    starts, rows = [], []
    with open(path, newline="", encoding="utf-8", errors="replace") as f:
        for rec in csv.reader(f):
            if len(rec) != 3:
                continue
            try:
                rows.append((ip2int(rec[0].strip()), ip2int(rec[1].strip()), rec[2].strip().upper()))
            except ValueError:
                continue
    rows.sort()
    starts = [r[0] for r in rows]
    return starts, rows


def synthetic_asn(rng):
    """600 ranges of /20 in 20.0.0.0-44.255.255.255 with private-use ASNs
    (64512 and up), 1 to 3 ranges each, names and countries made up: the
    shape of load_asn and load_cc, for machines without ../shared/data."""
    ccs = ["US", "DE", "RU", "CN", "BR", "IN", "FR", "NL", "UA", "RO", "TR", "VN", "KR", "JP",
           "GB", "PL", "IT", "ES", "AR", "ID"]
    rows, crow = [], []
    base = ip2int("20.0.0.0")
    slots = rng.sample(range((ip2int("44.255.255.255") - base) >> 12), 600)
    asn = 64512
    i = 0
    while i < len(slots):
        for _ in range(1 + rng.randrange(3)):
            if i == len(slots):
                break
            start = base + (slots[i] << 12)
            rows.append((start, start + 4095, asn, "EXAMPLE-NET-%d" % asn))
            crow.append((start, start + 4095, ccs[asn % len(ccs)]))
            i += 1
        asn += 1
    rows.sort()
    crow.sort()
    return rows, ([r[0] for r in crow], crow)


def country(cc_index, ip):
    starts, rows = cc_index
    i = bisect.bisect_right(starts, ip) - 1
    if i >= 0 and rows[i][0] <= ip <= rows[i][1]:
        return rows[i][2]
    return ""


def prefix_of(start, end, ip):
    """The CIDR block of the range [start, end] that holds ip."""
    for net in ipaddress.summarize_address_range(ipaddress.IPv4Address(start), ipaddress.IPv4Address(end)):
        if ipaddress.IPv4Address(ip) in net:
            return str(net)
    return "%s/32" % int2ip(ip)


def zone_str(s):
    """A zone-file character-string: quoted, with \\" \\\\ and \\DDD escapes."""
    out = []
    for b in s.encode("utf-8"):
        if b in (0x22, 0x5C) or b < 0x20 or b > 0x7E:
            out.append("\\%03d" % b)
        else:
            out.append(chr(b))
    return '"' + "".join(out) + '"'


def pick_pool(rng, rows, cc_index, n_addrs, n_asns, exclude_asns, countries_min=1):
    """n_addrs addresses spread over n_asns distinct ASNs (one range each
    at first, then more addresses inside the same ASNs' ranges)."""
    by_asn = {}
    for r in rows:
        if r[2] == 0 or r[2] in exclude_asns or r[1] - r[0] < 16:
            continue
        by_asn.setdefault(r[2], []).append(r)
    asns = sorted(by_asn)
    rng.shuffle(asns)
    chosen, seen_cc = [], set()
    for a in asns:
        if len(chosen) == n_asns:
            break
        r = by_asn[a][rng.randrange(len(by_asn[a]))]
        cc = country(cc_index, r[0])
        # prefer new countries while we still need them
        if len(seen_cc) < countries_min and cc in seen_cc and len(asns) - len(chosen) > n_asns:
            continue
        seen_cc.add(cc)
        chosen.append(a)
    pool, used = [], set()
    k = 0
    while len(pool) < n_addrs:
        a = chosen[k % len(chosen)]
        k += 1
        r = by_asn[a][rng.randrange(len(by_asn[a]))]
        ip = rng.randint(r[0] + 1, r[1] - 1)
        if ip in used:
            continue
        used.add(ip)
        pool.append({
            "ip": int2ip(ip), "asn": a, "org": r[3], "cc": country(cc_index, ip),
            "prefix": prefix_of(r[0], r[1], ip),
        })
    return pool


def lua_list(items):
    return "{" + ",".join("'%s'" % x for x in items) + "}"


def generate(args):
    rng = random.Random(args.seed)
    data = args.data
    asn_csv = os.path.join(data, "asn", "asn-ipv4-1-45.csv")
    cc_csv = os.path.join(data, "asn", "asn-country-ipv4.csv")
    if os.path.exists(asn_csv) and os.path.exists(cc_csv):
        rows = load_asn(asn_csv)
        cc_index = load_cc(cc_csv)
    else:
        # No real IP-to-ASN data beside the repository (a user's machine):
        # a synthetic table, same shape, so `make demo` works anywhere.
        print("harness: %s not found: using a synthetic ASN table" % asn_csv, file=sys.stderr)
        rows, cc_index = synthetic_asn(random.Random(args.seed))
    zone, asn_zone = args.zone.rstrip("."), args.asn_zone.rstrip(".")
    asname_zone = "asn." + asn_zone.split(".", 2)[-1] if asn_zone.count(".") >= 2 else "asn.test"
    d = os.path.abspath(args.dir)
    os.makedirs(d, exist_ok=True)

    names = {}
    used_asns = set()

    def flux_name(label, n_addrs, n_asns, sample):
        pool = pick_pool(rng, rows, cc_index, n_addrs, n_asns, used_asns, countries_min=n_asns // 2)
        used_asns.update(p["asn"] for p in pool)
        names[label] = {"kind": "flux", "ttl": 30, "sample": sample, "pool": pool, "expect": "flux"}

    flux_name("ff1", 60, 50, 5)
    flux_name("ff2", 30, 25, 4)
    flux_name("ff3", 12, 12, 4)
    # CDN-like: 40 addresses in two ASNs
    cdn = pick_pool(rng, rows, cc_index, 40, 2, used_asns)
    used_asns.update(p["asn"] for p in cdn)
    names["cdn"] = {"kind": "cdn", "ttl": 20, "sample": 8, "pool": cdn, "expect": "benign"}
    for i, n in ((1, 2), (2, 3), (3, 4)):
        pool = pick_pool(rng, rows, cc_index, n, 1, used_asns)
        used_asns.update(p["asn"] for p in pool)
        names["rr%d" % i] = {"kind": "rr", "ttl": 300, "pool": pool, "expect": "benign"}
    big = pick_pool(rng, rows, cc_index, 250, 5, set())
    names["big"] = {"kind": "big", "ttl": 60, "pool": big, "expect": "benign"}
    ns_hosts = ["dns%d.%s" % (i, zone) for i in range(1, 7)]
    names["dflux"] = {"kind": "dflux", "ttl": 30, "sample": 2, "ns": ns_hosts, "expect": "double-flux"}
    v6 = ["2001:db8:%x::%x" % (rng.randrange(1, 0xffff), i + 1) for i in range(3)]
    names["v6"] = {"kind": "v6", "ttl": 300, "aaaa": v6}
    names["servfail"] = {"kind": "servfail"}
    names["nx"] = {"kind": "nxdomain"}

    # ---- the main zone
    flux_pool = [p["ip"] for p in names["ff1"]["pool"]]
    z = ["$TTL 300",
         "@ IN SOA ns1.%s. hostmaster.%s. %d 3600 600 86400 60" % (zone, zone, args.seed),
         "@ IN NS ns1.%s." % zone,
         "ns1 IN A 127.0.0.1"]
    for label, n in sorted(names.items()):
        k = n["kind"]
        if k in ("flux", "cdn"):
            z.append('%s %d IN LUA A "pickrandomsample(%d, %s)"' %
                     (label, n["ttl"], n["sample"], lua_list(p["ip"] for p in n["pool"])))
        elif k in ("rr", "big"):
            z.extend("%s %d IN A %s" % (label, n["ttl"], p["ip"]) for p in n["pool"])
        elif k == "v6":
            z.extend("%s %d IN AAAA %s" % (label, n["ttl"], a) for a in n["aaaa"])
        elif k == "servfail":
            z.append("%s IN LUA A \"error('servfail by design')\"" % label)
        elif k == "dflux":
            z.append('%s %d IN LUA NS "pickrandomsample(%d, %s)"' %
                     (label, n["ttl"], n["sample"], lua_list(h + "." for h in n["ns"])))
            for h in n["ns"]:
                z.append('%s %d IN LUA A "pickrandomsample(1, %s)"' %
                         (h.split(".")[0], n["ttl"], lua_list(flux_pool)))
    files = {zone: z}

    # ---- Cymru-style zones and PTRs for every pool address
    origin, asname, ptr = [], [], []
    seen_ip, seen_asn = set(), set()
    for label, n in sorted(names.items()):
        for p in n.get("pool", []):
            if p["ip"] in seen_ip:
                continue
            seen_ip.add(p["ip"])
            rev = ".".join(reversed(p["ip"].split(".")))
            rir = RIR.get(p["cc"], "ripencc")
            origin.append("%s 3600 IN TXT %s" % (rev, zone_str("%d | %s | %s | %s | " % (
                p["asn"], p["prefix"], p["cc"], rir))))
            o = p["ip"].split(".")
            # some look dynamic, some do not: PTR heuristics get both
            host = ("%s-%s-%s-%s.dyn.isp%d.test" % (o[0], o[1], o[2], o[3], p["asn"] % 7)
                    if int(o[3]) % 2 else "host%d.example%d.test" % (int(o[3]), p["asn"] % 5))
            p["ptr"] = host
            ptr.append("%s 3600 IN PTR %s." % (rev + ".in-addr.arpa.", host))
            if p["asn"] not in seen_asn:
                seen_asn.add(p["asn"])
                asname.append("AS%d 3600 IN TXT %s" % (p["asn"], zone_str("%d | %s | %s | | %s" % (
                    p["asn"], p["cc"], rir, p["org"]))))
    soa = lambda z: ["$TTL 3600", "@ IN SOA ns1.%s. hostmaster.%s. %d 3600 600 86400 60" % (zone, zone, args.seed),
                     "@ IN NS ns1.%s." % zone]
    files[asn_zone] = soa(asn_zone) + origin
    files[asname_zone] = soa(asname_zone) + asname
    files["in-addr.arpa"] = soa("in-addr.arpa") + ptr

    conf = []
    for zname, lines in files.items():
        path = os.path.join(d, zname + ".zone")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        conf.append('zone "%s" { type master; file "%s"; };' % (zname, path))
    with open(os.path.join(d, "named.conf"), "w") as f:
        f.write("\n".join(conf) + "\n")
    open(os.path.join(d, "pdns.conf"), "w").close()
    scenario = {"seed": args.seed, "zone": zone, "asn_zone": asn_zone, "asname_zone": asname_zone,
                "names": names}
    with open(os.path.join(d, "scenario.json"), "w") as f:
        json.dump(scenario, f, indent=1, sort_keys=True)
    return scenario


def free_port(rng=None):
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(200):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            u.close()
            t.close()
            continue
        u.close()
        t.close()
        return port
    raise SystemExit("harness: no free port")


def dns_probe(port, name, timeout=0.5):
    """1 when 127.0.0.1:port answers a SOA query for name."""
    q = bytearray(b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00")
    for lab in name.split("."):
        q += bytes([len(lab)]) + lab.encode()
    q += b"\x00\x00\x06\x00\x01"
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(q, ("127.0.0.1", port))
        r = s.recv(4096)
        return len(r) >= 12 and r[0:2] == b"\x12\x34"
    except OSError:
        return False
    finally:
        s.close()


def up(args):
    scenario = generate(args)
    d = os.path.abspath(args.dir)
    port = args.port or free_port()
    silent = args.silent_port or free_port()
    log = open(os.path.join(d, "pdns.log"), "w")
    cmd = ["pdns_server", "--config-dir=" + d, "--local-address=127.0.0.1", "--local-port=%d" % port,
           "--launch=bind", "--bind-config=" + os.path.join(d, "named.conf"), "--socket-dir=" + d,
           "--guardian=no", "--daemon=no", "--disable-syslog", "--enable-lua-records=yes",
           "--write-pid=no", "--security-poll-suffix=", "--cache-ttl=0", "--query-cache-ttl=0",
           "--negquery-cache-ttl=0", "--loglevel=4", "--distributor-threads=1", "--receiver-threads=1"]
    pdns = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True)
    sil = subprocess.Popen([sys.executable, os.path.abspath(__file__), "silent", str(silent)],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    env = ["PDNS_PORT=%d" % port, "SILENT_PORT=%d" % silent, "PDNS_PID=%d" % pdns.pid,
           "SILENT_PID=%d" % sil.pid, "PDNS_DIR=%s" % d, "PDNS_ZONE=%s" % scenario["zone"],
           "PDNS_ASN_ZONE=%s" % scenario["asn_zone"]]
    with open(os.path.join(d, "env"), "w") as f:
        f.write("\n".join(env) + "\n")
    deadline = time.time() + 15
    while time.time() < deadline:
        if pdns.poll() is not None:
            down(argparse.Namespace(dir=d))
            sys.stderr.write("harness: pdns_server exited; see %s/pdns.log\n" % d)
            sys.exit(1)
        if dns_probe(port, scenario["zone"]):
            print("\n".join(env))
            return
        time.sleep(0.1)
    down(argparse.Namespace(dir=d))
    sys.stderr.write("harness: pdns_server did not answer; see %s/pdns.log\n" % d)
    sys.exit(1)


def ours(pid, marker):
    """1 while pid runs and is the process we started (not a zombie, not a
    recycled pid: its command line still holds marker)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                return False
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return marker.encode() in f.read()
    except (OSError, IndexError):
        return False


def down(args):
    d = os.path.abspath(args.dir)
    path = os.path.join(d, "env")
    try:
        env = dict(l.strip().split("=", 1) for l in open(path) if "=" in l)
    except OSError:
        return
    for key, marker in (("PDNS_PID", "--config-dir=" + d), ("SILENT_PID", "silent"),
                        ("TAP_PID", "tap")):
        pid = int(env.get(key, "0"))
        if pid <= 0 or not ours(pid, marker):
            continue
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not ours(pid, marker):
                break
            time.sleep(0.05)
        else:
            if ours(pid, marker):
                os.kill(pid, signal.SIGKILL)
    os.unlink(path)


def silent(args):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", args.port))
    while True:
        s.recv(65535)


# ---- tap: a recording proxy -------------------------------------------------

def dns_name(msg, off):
    """(name, next offset) of a possibly compressed name at off."""
    labels, jumped, end, hops = [], False, off, 0
    while True:
        if off >= len(msg) or hops > 64:
            raise ValueError("bad name")
        n = msg[off]
        if n & 0xC0 == 0xC0:
            if off + 1 >= len(msg):
                raise ValueError("bad pointer")
            if not jumped:
                end = off + 2
            off = ((n & 0x3F) << 8) | msg[off + 1]
            jumped, hops = True, hops + 1
            continue
        if n == 0:
            if not jumped:
                end = off + 1
            return ".".join(labels).lower(), end
        labels.append(msg[off + 1:off + 1 + n].decode("latin-1"))
        off += 1 + n


def dns_summary(msg):
    """What a reply says, as the dict tap logs (without time and proto)."""
    out = {"qname": "", "qtype": 0, "rcode": -1, "tc": False, "a": [], "ns": [], "txt": [], "ptr": []}
    if len(msg) < 12:
        return out
    flags = int.from_bytes(msg[2:4], "big")
    out["rcode"], out["tc"] = flags & 0xF, bool(flags & 0x200)
    qd, an = int.from_bytes(msg[4:6], "big"), int.from_bytes(msg[6:8], "big")
    off = 12
    try:
        for _ in range(qd):
            out["qname"], off = dns_name(msg, off)
            out["qtype"] = int.from_bytes(msg[off:off + 2], "big")
            off += 4
        for _ in range(an):
            _, off = dns_name(msg, off)
            rtype = int.from_bytes(msg[off:off + 2], "big")
            rdlen = int.from_bytes(msg[off + 8:off + 10], "big")
            rdata = off + 10
            if rtype == 1 and rdlen == 4:
                out["a"].append(int2ip(int.from_bytes(msg[rdata:rdata + 4], "big")))
            elif rtype in (2, 12):
                out["ns" if rtype == 2 else "ptr"].append(dns_name(msg, rdata)[0])
            elif rtype == 16:
                p, txt = rdata, b""
                while p < rdata + rdlen:
                    txt += msg[p + 1:p + 1 + msg[p]]
                    p += 1 + msg[p]
                out["txt"].append(txt.decode("latin-1"))
            off = rdata + rdlen
    except (ValueError, IndexError):
        out["malformed"] = True
    return out


def query_name(msg):
    try:
        return dns_name(msg, 12)[0] if len(msg) > 12 else ""
    except ValueError:
        return ""


class Tap:
    def __init__(self, d, upstream, drop):
        self.upstream = ("127.0.0.1", upstream)
        self.drop = {n.rstrip(".").lower() for n in drop}
        self.log = open(os.path.join(d, "served.jsonl"), "a", buffering=1)
        self.lock = threading.Lock()

    def write(self, proto, reply=None, qname=None):
        rec = {"t": time.time(), "proto": proto}
        if reply is None:
            rec.update({"qname": qname, "dropped": True})
        else:
            rec.update(dns_summary(reply))
        with self.lock:
            self.log.write(json.dumps(rec, sort_keys=True) + "\n")

    def tcp_client(self, conn):
        try:
            up = socket.create_connection(self.upstream, timeout=10)
        except OSError:
            conn.close()
            return
        try:
            while True:
                hdr = self.recv_all(conn, 2)
                if not hdr:
                    break
                q = self.recv_all(conn, int.from_bytes(hdr, "big"))
                if q is None:
                    break
                if query_name(q) in self.drop:
                    self.write("tcp", None, query_name(q))
                    continue
                up.sendall(hdr + q)
                rh = self.recv_all(up, 2)
                r = self.recv_all(up, int.from_bytes(rh, "big")) if rh else None
                if r is None:
                    break
                self.write("tcp", r)
                conn.sendall(rh + r)
        except OSError:
            pass
        finally:
            up.close()
            conn.close()

    @staticmethod
    def recv_all(s, n):
        b = b""
        while len(b) < n:
            c = s.recv(n - len(b))
            if not c:
                return None
            b += c
        return b

    def serve(self, port):
        us = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        us.bind(("127.0.0.1", port))
        ts = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        ts.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ts.bind(("127.0.0.1", port))
        ts.listen(16)
        pending = {}    # upstream socket -> (client address, time sent)
        import select
        while True:
            now = time.time()
            for s, (_, t0) in list(pending.items()):
                if now - t0 > 10:
                    s.close()
                    del pending[s]
            ready, _, _ = select.select([us, ts] + list(pending), [], [], 1.0)
            for s in ready:
                if s is us:
                    q, client = us.recvfrom(65535)
                    if query_name(q) in self.drop:
                        self.write("udp", None, query_name(q))
                        continue
                    up = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                    up.connect(self.upstream)
                    up.send(q)
                    pending[up] = (client, time.time())
                elif s is ts:
                    conn, _ = ts.accept()
                    threading.Thread(target=self.tcp_client, args=(conn,), daemon=True).start()
                else:
                    client, _ = pending.pop(s)
                    try:
                        r = s.recv(65535)
                        self.write("udp", r)
                        us.sendto(r, client)
                    except OSError:
                        pass
                    s.close()


def tap(args):
    d = os.path.abspath(args.dir)
    env = dict(l.strip().split("=", 1) for l in open(os.path.join(d, "env")) if "=" in l)
    if args.serve:
        Tap(d, int(env["PDNS_PORT"]), args.drop).serve(args.port)
        return
    port = args.port or free_port()
    cmd = [sys.executable, os.path.abspath(__file__), "tap", d, "--serve", "--port", str(port)]
    for n in args.drop:
        cmd += ["--drop", n]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=open(os.path.join(d, "tap.log"), "w"), start_new_session=True)
    lines = ["TAP_PORT=%d" % port, "TAP_PID=%d" % p.pid]
    with open(os.path.join(d, "env"), "a") as f:
        f.write("\n".join(lines) + "\n")
    deadline = time.time() + 10
    while time.time() < deadline:
        if p.poll() is not None:
            sys.exit("harness: the tap exited; see %s/tap.log" % d)
        if dns_probe(port, env["PDNS_ZONE"]):
            print("\n".join(lines))
            return
        time.sleep(0.05)
    sys.exit("harness: the tap did not answer")


def main():
    ap = argparse.ArgumentParser(description="PowerDNS harness for TIP tests")
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("generate", "up"):
        p = sub.add_parser(name)
        p.add_argument("dir")
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--data", default=os.environ.get("TIP_SHARED_DATA", DEFAULT_DATA))
        p.add_argument("--zone", default="flux.test")
        p.add_argument("--asn-zone", default="origin.asn.test")
        if name == "up":
            p.add_argument("--port", type=int, default=0)
            p.add_argument("--silent-port", type=int, default=0)
    p = sub.add_parser("down")
    p.add_argument("dir")
    p = sub.add_parser("silent")
    p.add_argument("port", type=int)
    p = sub.add_parser("tap")
    p.add_argument("dir")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--drop", action="append", default=[])
    p.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    {"generate": generate, "up": up, "down": down, "silent": silent, "tap": tap}[args.cmd](args)


if __name__ == "__main__":
    main()
