# SPDX-License-Identifier: GPL-2.0-only
"""A WebSocket test server for profile's "stream": "websocket" workloads (tests/integration/test_ws.py),
its own ground truths. Debian's python3-websockets (asyncio).

  /echo?delay_ms=D&hs_ms=H   the upgrade answered after H ms (a sleep before the 101); then every
                             message is answered with itself after D ms; messages counted
  /push?first_ms=F&every_ms=E  the server sends a message F ms after the upgrade, then one every E ms
  GET /count                 plain HTTP: {TAG: {"upgrades": N, "received": N, "echoed": N, "pushed": N,
                             "closed_clean": N}}, TAG the tag=... query parameter of the connections
                             ("" without one)
"""
import argparse
import asyncio
import http
import json
from urllib.parse import parse_qs, urlsplit

import websockets

COUNTS = {}


def query(path):
    return {k: (v[0] if k == "tag" else float(v[0])) for k, v in parse_qs(urlsplit(path).query).items()}


def counts(path):
    return COUNTS.setdefault(query(path).get("tag", ""), {"upgrades": 0, "received": 0, "echoed": 0, "pushed": 0,
                                                          "closed_clean": 0})


async def process_request(path, headers):
    if urlsplit(path).path == "/count":
        return http.HTTPStatus.OK, [("Content-Type", "application/json")], json.dumps(COUNTS).encode()
    hs = query(path).get("hs_ms", 0)
    if hs:
        await asyncio.sleep(hs / 1000)
    return None


async def handler(ws, path=None):
    path = path or ws.path
    q = query(path)
    c = counts(path)
    c["upgrades"] += 1
    try:
        if urlsplit(path).path == "/push":
            await asyncio.sleep(q.get("first_ms", 50) / 1000)
            loop = asyncio.get_running_loop()
            nxt, i = loop.time(), 0
            while True:
                await ws.send("m%d" % i)
                c["pushed"] += 1
                i += 1
                nxt += q.get("every_ms", 20) / 1000
                await asyncio.sleep(max(0.0, nxt - loop.time()))
        else:
            delay = q.get("delay_ms", 0) / 1000
            async for m in ws:
                c["received"] += 1
                if delay:
                    await asyncio.sleep(delay)
                await ws.send(m)
                c["echoed"] += 1
    except websockets.ConnectionClosedOK:
        c["closed_clean"] += 1
        return
    except websockets.ConnectionClosed:
        return
    c["closed_clean"] += 1


async def main(port):
    async with websockets.serve(handler, "127.0.0.1", port, process_request=process_request, max_queue=1024,
                                ping_interval=None):
        await asyncio.Future()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    asyncio.run(main(ap.parse_args().port))
