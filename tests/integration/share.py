#!/usr/bin/env python3
"""Helpers of tests/integration/share.sh, all on loopback.

  share.py port
      print a free TCP port of 127.0.0.1
  share.py proxy LISTEN TARGET MODE ARG
      a TCP proxy that passes the TLS stream of tip pull and tipd through
      and damages what flows from the server: MODE truncate N (close both
      sides after N bytes), flip N (invert one
      byte at offset N), once: on the first connection that gets that far
      (a readiness probe does not count), delay S (hold every chunk
      S seconds), throttle BPS (at most BPS bytes a second).  Runs until
      killed.
  share.py liar LISTEN CERT KEY SEGMENT MODE
      a TLS server with the sensor's key that serves one real segment and
      lies: MODE digest (a wrong SHA-256 in the listing), size (the
      listing gives one size, the answer another), corrupt (a byte of a
      frame flipped, the digest made to match), short (the connection
      closes half way).  Serves until killed.
  share.py get PORT CERT KEY PATH [OUT]
      one GET over TLS with a client certificate (CERT may be '-': none);
      prints the status and writes the body to OUT.  Exit 1 when the
      handshake fails, with the reason on stderr.
"""
import hashlib
import os
import socket
import ssl
import sys
import threading
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    print(p)


def listener(port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    return ls


def proxy(listen, target, mode, arg):
    ls = listener(listen)
    done = threading.Lock()  # held once the damage is done: it is done once

    def pump(src, dst, damage):
        seen = 0
        try:
            while True:
                b = src.recv(16384)
                if not b:
                    break
                if damage and mode in ("truncate", "flip") and seen + len(b) > int(arg):
                    if done.acquire(blocking=False):
                        i = int(arg) - seen
                        if mode == "truncate":
                            dst.sendall(b[:i])
                            break
                        b = b[:i] + bytes([b[i] ^ 0xFF]) + b[i + 1 :]
                if mode == "delay":
                    time.sleep(float(arg))
                if mode == "throttle":
                    time.sleep(len(b) / float(arg))
                seen += len(b)
                dst.sendall(b)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    while True:
        c, _ = ls.accept()
        u = socket.create_connection(("127.0.0.1", target))
        threading.Thread(target=pump, args=(c, u, False), daemon=True).start()
        threading.Thread(target=pump, args=(u, c, True), daemon=True).start()


def read_head(conn):
    data = b""
    while b"\r\n\r\n" not in data:
        b = conn.recv(4096)
        if not b:
            return None, b""
        data += b
    head, rest = data.split(b"\r\n\r\n", 1)
    return head.decode("latin-1"), rest


def liar(listen, cert, key, segment, mode):
    body = open(segment, "rb").read()
    name = os.path.basename(segment)[: -len(".tlog")]
    seq = int(name.split("-")[1].split(".")[0])
    served = bytearray(body)
    if mode == "corrupt":
        served[40] ^= 0x01  # inside the first frame
    digest = hashlib.sha256(bytes(served)).hexdigest()
    listed = len(served)
    if mode == "digest":
        digest = hashlib.sha256(b"not this").hexdigest()
    if mode == "size":
        listed = len(served) + 100
    listing = (
        "tip-share 1\nsensor s1\nseg %s %d %d sealed %s\nend 1\n" % (name, seq, listed, digest)
    ).encode()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    ls = listener(listen)
    while True:
        raw, _ = ls.accept()
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError):
            raw.close()
            continue
        try:
            while True:
                head, _ = read_head(conn)
                if head is None:
                    break
                path = head.split(" ")[1]
                if path == "/segments":
                    conn.sendall(
                        b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(listing) + listing
                    )
                    continue
                data = bytes(served)
                if mode == "short":
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data))
                    conn.sendall(data[: len(data) // 2])
                    break
                conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
        except (ssl.SSLError, OSError):
            pass
        try:
            conn.close()
        except OSError:
            pass


def get(port, cert, key, path, out=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if cert != "-":
        ctx.load_cert_chain(cert, key)
    try:
        s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=5))
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
        head, rest = read_head(s)
        if head is None:
            raise ssl.SSLError("connection closed before an answer")
        n = int([l.split(":")[1] for l in head.split("\r\n") if l.lower().startswith("content-length")][0])
        while len(rest) < n:
            b = s.recv(65536)
            if not b:
                break
            rest += b
    except (ssl.SSLError, OSError) as e:
        print("handshake or request failed: %s" % e, file=sys.stderr)
        return 1
    print(head.split("\r\n")[0])
    if out:
        open(out, "wb").write(rest)
    else:
        sys.stdout.write(rest.decode("latin-1"))
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[0] == "port":
        free_port()
    elif a[0] == "proxy":
        proxy(int(a[1]), int(a[2]), a[3], a[4])
    elif a[0] == "liar":
        liar(int(a[1]), a[2], a[3], a[4], a[5])
    elif a[0] == "get":
        sys.exit(get(int(a[1]), a[2], a[3], a[4], a[5] if len(a) > 5 else None))
