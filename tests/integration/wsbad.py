# SPDX-License-Identifier: GPL-2.0-only
"""A misbehaving WebSocket server for test_ws.py (raw sockets, no library): by the request's path,
after a valid 101,
- /garbage: random bytes (a protocol error for a client),
- /bigframe: a text frame announcing 1 GiB, 64 KiB of it, then silence (reads the client's close),
- /flood: text frames as fast as the socket takes them, forever,
- /close: a close frame (1000) at once.
GET /count answers the counts as JSON: upgrades per path, and the close codes the clients sent.
--stuck-port P: a second listener with a backlog of 0 that never accepts (the SYNs past the first
are dropped: a client's connect waits)."""
import argparse
import base64
import hashlib
import json
import os
import socket
import threading
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
COUNTS = {"upgrades": {}, "close_codes": []}
LOCK = threading.Lock()


def read_close_code(c):
    """the client's close frame's code (masked), or None"""
    c.settimeout(3)
    buf = b""
    try:
        while len(buf) < 8:
            d = c.recv(4096)
            if not d:
                break
            buf += d
            # skip other frames: only the first close (opcode 8) is read
            while len(buf) >= 2 and (buf[0] & 0x0F) != 8:
                n = buf[1] & 0x7F
                if n >= 126 or len(buf) < 6 + n:
                    break
                buf = buf[6 + n:]
    except OSError:
        pass
    if len(buf) >= 8 and (buf[0] & 0x0F) == 8:
        m = buf[2:6]
        return ((buf[6] ^ m[0]) << 8) | (buf[7] ^ m[1])
    return None


def handle(c):
    try:
        h = b""
        while b"\r\n\r\n" not in h:
            d = c.recv(4096)
            if not d:
                return
            h += d
        path = h.split(b" ")[1].decode()
        if path == "/count":
            with LOCK:
                body = json.dumps(COUNTS).encode()
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n"
                      b"Connection: close\r\n\r\n%s" % (len(body), body))
            return
        key = [ln.split(b":", 1)[1].strip() for ln in h.split(b"\r\n") if ln.lower().startswith(b"sec-websocket-key:")][0]
        acc = base64.b64encode(hashlib.sha1(key + GUID).digest())
        c.sendall(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n")
        with LOCK:
            COUNTS["upgrades"][path] = COUNTS["upgrades"].get(path, 0) + 1
        if path == "/garbage":
            c.sendall(b"\xf3" + os.urandom(63))  # RSV bits set: never a valid frame
            code = read_close_code(c)
        elif path == "/bigframe":
            c.sendall(b"\x81\x7f" + (1 << 30).to_bytes(8, "big") + b"a" * 65536)
            code = read_close_code(c)
        elif path == "/close":
            c.sendall(b"\x88\x02\x03\xe8")  # a normal close at once, whatever the client sends
            code = read_close_code(c)
        elif path == "/flood":
            chunk = b"\x81\x05hello" * 100000
            while True:
                c.sendall(chunk)
        else:
            return
        if code is not None:
            with LOCK:
                COUNTS["close_codes"].append([path, code])
    except OSError:
        pass
    finally:
        c.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--stuck-port", type=int)
    a = ap.parse_args()
    if a.stuck_port:
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        stuck.bind(("127.0.0.1", a.stuck_port))
        stuck.listen(0)
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", a.port))
    s.listen(128)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


if __name__ == "__main__":
    main()
