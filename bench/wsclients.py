"""Holds logged-in desktop WebSockets open, in a process of its own so that their memory and CPU
are not counted against the server.

    python -m bench.wsclients KIND HOST PORT CREDS SOURCES

KIND is how the clients shake hands (`watch`: as `raw`, and they read their frames, for the
group benchmark; see `watch`):
  raw        the lean hand-made client of bench/loadgen.py (minimal headers);
  websockets the `websockets` package's client (compression=None: adds a User-Agent, and
             pings every 20 s as the library does by default);
  browser    a hand-made handshake with the headers a browser sends, offering
             permessage-deflate as every browser does.
CREDS is a file of "DEVICE_ID SECRET" lines, one connection each; SOURCES a comma-separated
list of loopback addresses to connect from (127.0.0.2 and up), taken in turn, so that the
4-tuple space and the server's per-client cap are not what limits the count.
Prints "ready N SECONDS" (from the first connect to the last log-in's '!'), then holds the
connections until standard input closes; "failed ..." on the first error.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.harness import raise_nofile
from bench.loadgen import ws_login
from bench.population import read_creds

PARALLEL = 64  # handshakes in flight at once, per process
KINDS = ("raw", "websockets", "browser", "watch")
BROWSER_HEADERS = (  # what Chromium sends, less cookies
    "Pragma: no-cache\r\nCache-Control: no-cache\r\n"
    "User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36\r\nOrigin: http://{host}:{port}\r\n"
    "Accept-Encoding: gzip, deflate, br, zstd\r\nAccept-Language: en-US,en;q=0.9\r\n"
    "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n")


async def raw_login(kind: str, host: str, port: int, source: str, device_id: str,
                    secret: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    extra = BROWSER_HEADERS.format(host=host, port=port) if kind == "browser" else ""
    return await ws_login(host, port, device_id, secret, source, extra)


async def lib_login(host: str, port: int, source: str, device_id: str, secret: str) -> Any:
    import websockets

    # BENCH_WS_PING: the library's ping interval (default 20 s; 0 for none); BENCH_WS_DEFLATE=1
    # offers permessage-deflate, for measuring what accepting it would cost the server.
    ping = float(os.environ.get("BENCH_WS_PING", "20")) or None
    deflate = "deflate" if os.environ.get("BENCH_WS_DEFLATE") == "1" else None
    ws = await websockets.connect(f"ws://{host}:{port}/push", compression=deflate,
                                  ping_interval=ping,
                                  open_timeout=60, local_addr=(source, 0))
    await ws.send(f"login:{device_id}:{secret}\n")
    while (frame := await ws.recv()) == b"#":
        pass
    if frame != b"!":
        raise RuntimeError(f"expected the binary '!' frame after log-in, got {frame!r}")
    return ws


async def hold(kind: str, host: str, port: int, creds: list[tuple[str, str]],
               sources: list[str]) -> None:
    gate = asyncio.Semaphore(PARALLEL)

    async def one(i: int) -> Any:
        device_id, secret = creds[i]
        source = sources[i % len(sources)]
        async with gate:
            if kind == "websockets":
                return await lib_login(host, port, source, device_id, secret)
            return await raw_login(kind, host, port, source, device_id, secret)

    t0 = time.perf_counter()
    try:
        conns = await asyncio.gather(*(one(i) for i in range(len(creds))))
    except Exception as exc:
        print(f"failed {exc!r}"[:300], flush=True)
        return
    print(f"ready {len(conns)} {time.perf_counter() - t0:.3f}", flush=True)
    if kind == "watch":
        await watch([r for r, _ in conns])
    else:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for c in conns:
        if kind == "websockets":
            c.transport.abort()  # no closing handshakes: the server is not what is measured
        else:
            c[1].close()


async def watch(readers: list[asyncio.StreamReader]) -> None:
    """Rounds, each started by a line "arm" on standard input: answers "armed", then "done T"
    once every connection has had a '!' frame since, T the wall-clock time (time.time(), the
    same clock as the benchmark's on this machine) of the last one. Keep-alives are skipped;
    any other frame is an error."""
    loop = asyncio.get_running_loop()
    waiting: set[int] = set()
    last = 0.0
    all_in = asyncio.Event()

    async def read(i: int, reader: asyncio.StreamReader) -> None:
        nonlocal last
        while True:
            frame = await reader.readexactly(3)
            if frame == b"\x82\x01#":
                continue
            if frame != b"\x82\x01!":
                raise RuntimeError(f"unexpected frame {frame!r}")
            if i in waiting:
                last = max(last, time.time())
                waiting.discard(i)
                if not waiting:
                    all_in.set()

    tasks = [asyncio.create_task(read(i, r)) for i, r in enumerate(readers)]
    while line := await loop.run_in_executor(None, sys.stdin.readline):
        if line.strip() != "arm":
            continue
        all_in.clear()
        waiting.update(range(len(readers)))
        last = 0.0
        print("armed", flush=True)
        done = asyncio.create_task(all_in.wait())
        await asyncio.wait([done, *tasks], return_when=asyncio.FIRST_COMPLETED)
        if not done.done():
            failed = next(t for t in tasks if t.done())
            print(f"failed {failed.exception()!r}"[:300], flush=True)
            return
        print(f"done {last:.6f}", flush=True)
    for t in tasks:
        t.cancel()


if __name__ == "__main__":
    raise_nofile()
    kind, host, port, creds_file, sources = sys.argv[1:6]
    assert kind in KINDS, kind
    asyncio.run(hold(kind, host, int(port), read_creds(Path(creds_file)), sources.split(",")))
