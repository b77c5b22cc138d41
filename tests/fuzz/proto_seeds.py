#!/usr/bin/env python3
"""proto_seeds.py - writes tests/fuzz/corpus/proto: valid module <-> helper
frames (lib/proto.h) of each message kind, as the module and the helper
send them, and one whole exchange (request, prompt, answer, result)."""
import os
import struct

T = dict(OP=1, SERVICE=2, USER=3, RHOST=4, TTY=5, RUSER=6, CONFIG=7, KIND=8, FLAGS=9,
         AUTHTOK=10, START_NS=11, STYLE=12, TEXT=13, RC=14, KEEP=15, UID=16, SESSION=17,
         CLOCK=18, WAIT=19, PROOF=20)


def field(tag, v):
    if isinstance(v, int):
        v = struct.pack(">I", v)
    elif isinstance(v, str):
        v = v.encode()
    return bytes([T[tag]]) + struct.pack(">I", len(v)) + v


def frame(kind, *fields):
    payload = b"".join(field(t, v) for t, v in fields)
    return bytes([1, kind]) + struct.pack(">I", len(payload)) + payload


REQUEST = frame(1, ("OP", 1), ("FLAGS", 0x21), ("START_NS", struct.pack(">Q", 123456789)),
                ("SERVICE", "sshd"), ("USER", "alice"), ("RHOST", "192.0.2.7"),
                ("TTY", "ssh"), ("RUSER", ""), ("CONFIG", "/etc/security/tokengate.conf"),
                ("UID", 5001), ("CLOCK", struct.pack(">Q", 7200)))
ACCOUNT = frame(1, ("OP", 2), ("FLAGS", 0x30), ("USER", "alice"), ("SERVICE", "sudo"),
                ("AUTHTOK", "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"), ("SESSION", "0b6f3c1e"),
                ("PROOF", "v1.5001.abcdef"))
PROMPT = frame(2, ("STYLE", 1), ("TEXT", "Password: "), ("WAIT", 30))
INFO = frame(2, ("STYLE", 4), ("TEXT", "To log in, open this address\n\u2588\u2588 QR"))
ANSWER = frame(3, ("TEXT", "alice-password"))
RESULT = frame(4, ("RC", 0), ("KEEP", "eyJ.e30.sig"), ("SESSION", "0b6f3c1e"),
               ("PROOF", "v1.5001.abcdef"), ("TEXT", "Welcome"))
DENY = frame(4, ("RC", 7), ("TEXT", "The login was denied at the identity provider."))
EMPTY = frame(3)

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "proto")
os.makedirs(out, exist_ok=True)
for name, data in dict(request=REQUEST, account=ACCOUNT, prompt=PROMPT, info=INFO,
                       answer=ANSWER, result=RESULT, deny=DENY, empty=EMPTY,
                       exchange=REQUEST + PROMPT + ANSWER + RESULT).items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
