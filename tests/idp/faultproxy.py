#!/usr/bin/env python3
"""A fault-injection proxy for tokengate's tests (standard library only).

    faultproxy.py OUTDIR

Listens on 127.0.0.1 (port written to OUTDIR/proxy-port), forwards to the
URL in OUTDIR/upstream, and misbehaves as OUTDIR/mode says, read on every
request: pass, hang, reset, 500, 502, 503, 429, garbage, truncated, bigbody
(10 MB), drip (one byte every 0.2 s), wrongtype (text/html), slow (forwards
after 1.2 s, so the provider answers in the next second), and for POSTs
only emptyerror (400, empty body), htmlerror (400, an HTML page) and notfound
(404, empty body); and rewriting a provider's 2xx JSON answer to a POST
as other providers write theirs: google (device authorization with
verification_url and no verification_uri_complete, Google's documented
answer), entra1 (expires_in, interval, ext_expires_in as numeric strings
and a message member, Entra ID's v1 endpoint), lowerbearer (token_type
"bearer", older Keycloak releases), mac (token_type "mac": refused).
Requests seen
are counted in OUTDIR/proxy-count. Stops by itself after 15 minutes; a hang
lasts at most 30 s.
"""
import http.client
import json
import os
import socket
import socketserver
import sys
import threading
import time

OUT = sys.argv[1]
lock = threading.Lock()


def read_file(name, default=""):
    try:
        with open(os.path.join(OUT, name)) as f:
            return f.read().strip()
    except OSError:
        return default


def bump():
    with lock:
        n = int(read_file("proxy-count", "0") or 0) + 1
        with open(os.path.join(OUT, "proxy-count"), "w") as f:
            f.write(str(n))


def read_request(sock):
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    need = int(headers.get("content-length", "0"))
    while len(body) < need:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return method, path, headers, body


def forward(method, path, headers, body):
    up = read_file("upstream")
    host, port = up.split("//", 1)[1].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=10)
    # keep Host: the provider builds its endpoint URLs from it
    fwd = {k: v for k, v in headers.items() if k != "connection"}
    conn.request(method, path, body=body or None, headers=fwd)
    resp = conn.getresponse()
    data = resp.read()
    ctype = resp.getheader("content-type", "application/json")
    conn.close()
    return resp.status, ctype, data


def reply(sock, status, ctype, body, extra=""):
    head = ("HTTP/1.1 %d X\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s"
            "Connection: close\r\n\r\n" % (status, ctype, len(body), extra))
    sock.sendall(head.encode() + body)


def rewrite(mode, body):
    """A provider's JSON answer as another provider would write it."""
    try:
        d = json.loads(body)
    except ValueError:
        return body
    if not isinstance(d, dict):
        return body
    if mode == "google" and "device_code" in d:
        d["verification_url"] = d.pop("verification_uri", None)
        d.pop("verification_uri_complete", None)
    elif mode == "entra1":
        for k in ("expires_in", "interval"):
            if isinstance(d.get(k), int):
                d[k] = str(d[k])
        if "access_token" in d:
            d["ext_expires_in"] = d.get("expires_in", "3599")
        if "device_code" in d:
            d["message"] = "To sign in, use a web browser to open the page and enter the code"
    elif mode == "lowerbearer" and "token_type" in d:
        d["token_type"] = "bearer"
    elif mode == "mac" and "token_type" in d:
        d["token_type"] = "mac"
    return json.dumps(d).encode()


def method_is_post(req):
    return req[0] == "POST"


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        req = read_request(sock)
        if req is None:
            return
        bump()
        mode = read_file("mode", "pass")
        if mode == "hang":
            time.sleep(30)
            return
        if mode == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            return
        if mode in ("500", "502", "503"):
            return reply(sock, int(mode), "application/json", b'{"error":"server_error"}')
        if mode == "429":
            return reply(sock, 429, "application/json", b"{}", "Retry-After: 1\r\n")
        if mode == "emptyerror" and method_is_post(req):
            return reply(sock, 400, "text/plain", b"")
        if mode == "htmlerror" and method_is_post(req):
            return reply(sock, 400, "text/html", b"<html><body>Bad Request</body></html>")
        if mode == "notfound" and method_is_post(req):
            return reply(sock, 404, "text/plain", b"")
        if mode == "garbage":
            return sock.sendall(b"\x00\x01\x02 this is not HTTP at all\r\n\r\n")
        if mode == "slow":
            time.sleep(1.2)
        status, ctype, body = forward(*req)
        if mode == "truncated":
            head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
            return sock.sendall(head.encode() + body[: len(body) // 2])
        if mode == "bigbody":
            return reply(sock, 200, "application/json", b"{" + b" " * (10 * 1024 * 1024) + b"}")
        if mode == "drip":
            head = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    "Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body))
            sock.sendall(head.encode())
            for i in range(min(len(body), 150)):
                sock.sendall(body[i:i + 1])
                time.sleep(0.2)
            return
        if mode in ("google", "entra1", "lowerbearer", "mac") and method_is_post(req) \
                and 200 <= status < 300:
            return reply(sock, status, ctype, rewrite(mode, body))
        if mode == "wrongtype":
            return reply(sock, status, "text/html", body)
        return reply(sock, status, ctype, body)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


srv = Server(("127.0.0.1", 0), Handler)
with open(os.path.join(OUT, "proxy-port"), "w") as f:
    f.write(str(srv.server_address[1]))
threading.Timer(15 * 60, srv.shutdown).start()
srv.serve_forever()
