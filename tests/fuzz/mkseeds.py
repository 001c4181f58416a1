#!/usr/bin/env python3
"""mkseeds.py BUILD: write the seed corpora of tests/fuzz/corpus/.

Every seed is made here (DNS packets, lines in each text format) or by the
project's own programs (BUILD/tests/mkstore for segments and indexes, tip
asn import for a table), so the corpora carry nothing of third parties.
Run it again after a format changes; the seeds are small and committed.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ---- HTTP responses to the fetch client (byte 0: piece size, https) ---------
put("fuzz_http_response", "length", b"\x07HTTP/1.1 200 OK\r\nContent-Length: 5\r\nETag: \"a1\"\r\n"
    b"Last-Modified: Tue, 01 Dec 2026 10:00:00 GMT\r\n\r\nhello")
put("fuzz_http_response", "chunked", b"\x02HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
    b"Content-Encoding: gzip\r\n\r\n5;x=y\r\nhello\r\nA\r\n0123456789\r\n0\r\nT: 1\r\n\r\n")
put("fuzz_http_response", "redirect", b"\x80HTTP/1.1 302 Found\r\nLocation: ../other.txt?y#f\r\n\r\n")
put("fuzz_http_response", "redirect-abs", b"\x81HTTP/1.1 301 Moved\r\nLocation: //cdn.example:8443/l\r\n\r\n")
put("fuzz_http_response", "304", b"\x01HTTP/1.0 304 Not Modified\nETag: W/\"x\"\n\n")


# ---- blacklist feeds (byte 0: format in the low nibble, byte 1: chunk size) --
put("fuzz_feed", "hosts", b"\x01\x05# c\n127.0.0.1 localhost\n0.0.0.0 Ads.Example.COM. b.example\n")
put("fuzz_feed", "domains", b"\x02\x03example.org\nhttps://Www.Bad.Test:8443/x/\nb\xc3\xbccher.de\n")
put("fuzz_feed", "cidr", b"\x04\x07; DROP\n1.10.16.0/20 ; SBL1\n2001:db8::/32\n9.9.9.9\n")
put("fuzz_feed", "csv", b"\x45\x0b# banner\n\"first\",\"dst_ip\"\n\"2024\",\"192.0.2.7\"\n\"a,b\",\"x.example\"\n")
put("fuzz_feed", "urls", b"\x06\x02HTTP://User@Login.Example.COM.:8080/P?q=1\nhttps://[2001:db8::1]/a\n")
put("fuzz_feed", "json", b"\x07\x04{\"whitelist\":[\"a.example\"],\"blacklist\":[\"B\\u00FCcher.de\",42,{\"x\":1},\"\\ud83d\\ude00.com\"]}")
put("fuzz_feed", "ipsum", b"\x08\x09# IPsum\n192.0.2.1\t10\n198.51.100.2\n")
put("fuzz_feed", "trails", b"\x09\x01192.0.2.1:443\nDVR.Example.com\nkairod.example/4rvg/\n/guids/x/\n")


# ---- CA files for fuzz_pem: certificates made here by openssl ---------------
def pem_seeds():
    tmp = tempfile.mkdtemp()
    try:
        def mk(name, *args):
            subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "3650", "-keyout",
                            os.path.join(tmp, name + ".key"), "-out", os.path.join(tmp, name + ".pem")]
                           + list(args), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            return open(os.path.join(tmp, name + ".pem"), "rb").read()
        ec = mk("ec", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-subj", "/CN=unit.test")
        rsa = mk("rsa", "-newkey", "rsa:1024", "-subj", "/CN=TIP unit RSA")
        put("fuzz_pem", "ec", ec)
        put("fuzz_pem", "rsa", rsa)
        put("fuzz_pem", "bundle", ec + rsa)
        put("fuzz_pem", "cut", ec[:300])
    finally:
        shutil.rmtree(tmp)


pem_seeds()

# ---- DNS ------------------------------------------------------------------
def name(n):
    out = b""
    for label in n.strip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def rr(owner, rtype, ttl, rdata):
    o = owner if isinstance(owner, bytes) else name(owner)
    return o + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


def reply(qname, qtype, answers, rcode=0, flags=0x8180, extra=b"", arcount=0):
    hdr = struct.pack(">HHHHHH", 0x1234, flags | rcode, 1, len(answers), 0, arcount)
    return hdr + name(qname) + struct.pack(">HH", qtype, 1) + b"".join(answers) + extra


PTR = b"\xc0\x0c"  # a pointer to the question's name
dns = {
    "a": reply("flux.example", 1, [rr(PTR, 1, 300, bytes([192, 0, 2, i])) for i in range(1, 5)]),
    "aaaa": reply("v6.example", 28, [rr(PTR, 28, 60, bytes.fromhex("20010db8" + "00" * 11 + "01"))]),
    "cname": reply("www.example", 1, [rr(PTR, 5, 60, name("cdn.example.net")),
                                      rr("cdn.example.net", 1, 30, bytes([198, 51, 100, 7]))]),
    "txt": reply("4.2.0.192.origin.asn.cymru.com", 16,
                 [rr(PTR, 16, 3600, b"\x2a64496 | 192.0.2.0/24 | ZZ | arin | 2001-01-01")]),
    "ptr": reply("4.2.0.192.in-addr.arpa", 12, [rr(PTR, 12, 3600, name("192-0-2-4.dyn.isp.example"))]),
    "ns": reply("example", 2, [rr(PTR, 2, 86400, name("ns1.example")), rr(PTR, 2, 86400, name("ns2.example"))]),
    "nxdomain": reply("nope.example", 1, [], rcode=3),
    "edns": reply("flux.example", 1, [rr(PTR, 1, 5, bytes([203, 0, 113, 9]))],
                  extra=b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0), arcount=1),
    "truncated": reply("big.example", 1, [], flags=0x8380),
}
for k, v in dns.items():
    put("fuzz_dnsmsg", k, b"\x3f" + v)
    put("fuzz_dnstcp", k, b"\x00" + struct.pack(">H", len(v)) + v)
put("fuzz_dnstcp", "pieces", b"\x01" + struct.pack(">H", len(dns["a"])) + dns["a"])
put("fuzz_dnstcp", "short", b"\x00\x00\x40" + dns["a"][:20])
put("fuzz_ptr", "name-dyn", bytes([192, 0, 2, 4, 0]) + b"192-0-2-4.dyn.isp.example")
put("fuzz_ptr", "name-pool", bytes([198, 51, 100, 7, 0]) + b"pool-7.customer.example.net")
put("fuzz_ptr", "reply", bytes([192, 0, 2, 4, 1]) + dns["ptr"])

# ---- Cymru TXT ------------------------------------------------------------
put("fuzz_cymru", "origin", b"\x00" + b'"64496 | 192.0.2.0/24 | ZZ | arin | 2001-01-01"')
put("fuzz_cymru", "origin6", b"\x00" + b"64497 | 2001:db8::/32 | ZZ | ripencc | 2005-03-14")
put("fuzz_cymru", "moas", b"\x00" + b"64496 64497 64498 | 198.51.100.0/24 | zz | APNIC |")
put("fuzz_cymru", "asname", b"\x01" + b'"64496 | ZZ | arin | 2000-03-30 | EXAMPLE-AS - Example, Inc., ZZ"')
put("fuzz_cymru", "asname-raw", b"\x01" + b"3209 | DE | ripencc | 2001-01-02 | ARCOR-AS Arcor IP-Network, DE")
put("fuzz_cymru", "asname-quoted", b"\x01" + b'12389 | RU | ripencc | 2001-01-02 | JSC "ER-Telecom Holding", RU')
put("fuzz_cymru", "bulk", b"\x02" + b"64496   | 192.0.2.1        | 192.0.2.0/24        | ZZ | arin     | 2001-01-01 | EXAMPLE-AS, ZZ")
put("fuzz_cymru", "bulk-na", b"\x02" + b"NA      | 203.0.113.1      | NA                  |    | other    |            | NA")

# ---- text formats -----------------------------------------------------------
put("fuzz_cof", "a", '{"rrname":"Flux.Example.COM.","rrtype":"A","rdata":["192.0.2.1","192.0.2.2"],'
    '"time_first":1700000000,"time_last":1700003600,"count":12,"sensor_id":"s1"}\n')
put("fuzz_cof", "aaaa-ns", '{"rrname":"v6.example","rrtype":"AAAA","rdata":["2001:db8::1"],"time_first":5}\n'
    '{"rrname":"example.com","rrtype":"NS","rdata":["NS1.Example.NET.","ns2.example.net"],"time_last":9}\n')
put("fuzz_cof", "bad", '{"rrname":"x","rrtype":"A","rdata":"192.0.2.1","time_first":5,\n\n{]\n')
put("fuzz_json", "doc", b"\x1f" + b'{"a":[1,2.5e3,-0,true,false,null],"b":{"c":"\\u00e9\\n\\ud83d\\ude00"},"d":""}')
put("fuzz_json", "deep", b"\x05" + b"[[[[[[[[1]]]]]]]]")
put("fuzz_json", "nums", b"\x9f" + b"[9223372036854775807,-9223372036854775808,1e308,0.1,12345678901234567890]")
put("fuzz_passivedns", "log", "200||10.0.0.1||2001:db8::53||IN||v6.test||AAAA||2001:db8::1||60\n"
    "200||10.0.0.1||2001:db8::53||IN||v6.test||AAAA||2001:db8::2||60\r\n"
    "201||10.0.0.1||2001:db8::53||IN||m.test.||MX||10 Mail.Test.||300||1\n"
    "300||10.0.0.1||192.0.2.53||IN||.||NS||A.Root-Servers.Net.||518400||1\n"
    "301.5||10.0.0.2||192.0.2.53||IN||flux.example||A||192.0.2.9||30||4\n")
put("fuzz_passivedns", "bad", "x||y\n200||1||2||CH||version.bind||TXT||x||0\n")
put("fuzz_watchlist", "list", "# watch list\nexample.com\n  www.example.net.  # trailing\n\nBad..name\n"
    "xn--bcher-kva.example\r\n" + "a" * 70 + ".example\n")
put("fuzz_lock", "tipd", b"\x9f" + b"12345 tipd\n")
put("fuzz_lock", "import", b"\x40" + b"7 tip import\n")
put("fuzz_lock", "junk", b"\x10" + b"\x00\xff 99\x1b[31m\n")
put("fuzz_ctl", "requests", "submit a.example  B.example.\t c\nstatus\ntrace sched on\ntrace x off\n"
    "clock synced\nclock auto\nbogus\nsubmit\n")
put("fuzz_http", "get", b"\x80" + b"GET /flux?q=example.com&since=2025-11-01&sort=score&order=desc&n=50 HTTP/1.1\r\n"
    b"Host: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n")
put("fuzz_http", "head10", b"\x20" + b"HEAD /domain?name=a%2Eexample&page=2 HTTP/1.0\r\n\r\n")
put("fuzz_http", "post", b"\xff" + b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc")
shutil.copy(os.path.join(HERE, "..", "..", "configs", "tipd.conf.example"),
            os.path.join(OUT, "fuzz_conf") if os.path.isdir(os.path.join(OUT, "fuzz_conf")) else
            (os.makedirs(os.path.join(OUT, "fuzz_conf")) or os.path.join(OUT, "fuzz_conf")))
put("fuzz_conf", "small", "user tip\nlog-level debug\ntrace sched bus\nstore {\n dir \"/var/lib/tip\"\n"
    " segment-size 1M\n segment-age 10m\n quota 512M\n}\ncontrol {\n socket none\n}\n"
    "module watchlist {\n file /etc/tip/watchlist\n interval 5s\n}\nmodule fastflux {\n enable no\n}\n")
put("fuzz_asn_import", "both", struct.pack(">H", 120) +
    ("1.0.0.0,1.0.0.255,13335,CLOUDFLARENET\n1.0.4.0,1.0.7.255,38803,\"Wirefreebroadband, Pty\"\n"
     "1.0.8.0,1.0.15.255,0,\n").ljust(120).encode() +
    b"1.0.0.0,1.0.0.255,AU\r\n1.0.1.0,1.0.3.255,CN\n\n1.0.2.0,1.0.2.9,CN\n")
put("fuzz_asn_import", "bad", b"\x00\x10" + b"x,y\n1.2.3.4,1.2.3.3,5,z\n9.9.9.9,9.9.9.9,XYZ\n")

# ---- feeds (store/feed.c): byte 0 format (1 + b % 9) and column, byte 1 chunk size ----
put("fuzz_feed", "hosts", b"\x00\x07# hosts\n0.0.0.0 bad.example\n127.0.0.1 localhost\n0.0.0.0 xn--bcher-kva.example # c\n")
put("fuzz_feed", "domains", b"\x01\x03bad.example\nhttp://phish.example/login\n\n# x\nB\xc3\xbccher.example\n")
put("fuzz_feed", "ips", b"\x02\x10192.0.2.1\n198.51.100.7\t# c\n999.1.1.1\n")
put("fuzz_feed", "cidr", b"\x03\x0f192.0.2.0/24 ; SBL1\n2001:db8::/32\n10.0.0.0/33\n")
put("fuzz_feed", "csv", b"\x43\x20# banner\n\"first_seen_utc\",\"dst_ip\",\"dst_port\"\n\"2024-01-01\",\"192.0.2.9\",\"443\"\n")
put("fuzz_feed", "urls", b"\x05\x01https://a.example/x?y=1\nhttp://[2001:db8::1]:8080/\n")
put("fuzz_feed", "json", b"\x06\x05{\"version\":2,\"blacklist\":[\"bad.example\",\"*.worse.example\"],\"whitelist\":[]}")
put("fuzz_feed", "ipsum", b"\x07\x09# ipsum\n192.0.2.1\t5\n198.51.100.2\t1\n")
put("fuzz_feed", "trails", b"\x08\x0b# Reference: x\nbad.example\n192.0.2.1:8080\nevil.example/path\n10.0.0.0/8\n")

# ---- mail (store/mail.c): byte 0 limits and mbox split -------------------------
put("fuzz_mime", "plain", b"\x00From a@b Mon Jan  1 00:00:00 2024\nReceived: from x ([198.51.100.7]) by mx\n"
    b"From: \"=?utf-8?B?Qm9i?=\" <bob@mail.example>\nSubject: hi\nMessage-ID: <1@id.example>\n\n"
    b"see www.shop.example.co.uk/x. and (http://a.example/p)\n")
put("fuzz_mime", "multipart", b"\x02Content-Type: multipart/mixed; boundary=b\n\n--b\n"
    b"Content-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n"
    b"<a href=3D\"&#104;ttp://h.example/\">x</a>=\n\n--b\nContent-Type: application/zip; name=z.zip\n"
    b"Content-Transfer-Encoding: base64\n\nUEsDBA==\n--b--\n\nFrom c@d x\nSubject: two\n\nftp://f.example/\n")
put("fuzz_mime", "nested", b"\x01Content-Type: multipart/mixed; boundary=1\n\n--1\n"
    b"Content-Type: multipart/alternative; boundary=2\n\n--2\nContent-Type: message/rfc822\n\n"
    b"Subject: inner\n\nhttp://inner.example/\n--2--\n--1\n")

# ---- store files, from the project's own programs --------------------------
build = sys.argv[1] if len(sys.argv) > 1 else "build"
tmp = tempfile.mkdtemp()
try:
    st = os.path.join(tmp, "s")
    subprocess.run([os.path.join(build, "tests", "mkstore"), st], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    logd = os.path.join(st, "log")
    files = sorted(os.listdir(logd))
    tlogs = [f for f in files if f.endswith(".tlog")]
    for f in tlogs[:3] + tlogs[-1:]:
        seg = open(os.path.join(logd, f), "rb").read()
        base = f[:-5]
        put("fuzz_seg", base, seg)
        cdbp = os.path.join(logd, base + ".cdb")
        cdb = open(cdbp, "rb").read() if os.path.exists(cdbp) else b""
        if cdb and len(cdb) < 20000:
            put("fuzz_index", base, cdb)
        put("fuzz_store", base, struct.pack("<I", len(seg)) + seg + cdb)
        # the frames of the first segment, each alone, for the record decoder
        if f == tlogs[0] or f == tlogs[-1]:
            hdr_base = seg[16:24]
            off, i = 32, 0
            while off + 8 <= len(seg) and i < 40:
                plen = struct.unpack("<I", seg[off + 4:off + 8])[0] & 0xffffff
                put("fuzz_rec", "%s-%02d" % (base[-2:], i), hdr_base + seg[off:off + 8 + plen])
                off += 8 + plen
                i += 1
    tip = os.path.join(build, "tip")
    a = os.path.join(tmp, "a.csv")
    c = os.path.join(tmp, "c.csv")
    open(a, "w").write("1.0.0.0,1.0.0.255,13335,EXAMPLE-ONE\n8.8.8.0,8.8.8.255,15169,\"EXAMPLE, TWO\"\n")
    open(c, "w").write("1.0.0.0,1.0.0.255,AU\n8.8.8.0,8.8.8.255,US\n")
    out = os.path.join(tmp, "asn.db")
    subprocess.run([tip, "asn", "import", "--asn", a, "--country", c, "-o", out], check=True,
                   stderr=subprocess.DEVNULL)
    put("fuzz_asn_db", "table", open(out, "rb").read())
    # a source's last list in state/feeds, as tip import feed leaves it
    lst = os.path.join(tmp, "list.txt")
    open(lst, "w").write("a.example\nc.example\nhttp://d.example/p\n192.0.2.1\n198.51.100.0/24\n")
    fs = os.path.join(tmp, "fs")
    subprocess.run([tip, "import", "feed", lst, "--store", fs, "--source", "src", "--format",
                    "trails", "--time", "1767225600"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    put("fuzz_feedset", "set", b"\x00" + open(os.path.join(fs, "state", "feeds", "src.set"), "rb").read())
finally:
    shutil.rmtree(tmp)
