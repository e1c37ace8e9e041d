"""Holds N logged-in desktop WebSockets open, in a process of its own so that their memory is
not counted against the server. Run: python -m bench.wsclients HOST PORT DEVICE SECRET N
Prints "ready N" once all are connected, then holds them until standard input closes."""

from __future__ import annotations

import asyncio
import sys

from bench.harness import raise_nofile
from bench.loadgen import ws_login

PARALLEL = 64  # handshakes in flight at once


async def hold(host: str, port: int, device_id: str, secret: str, count: int) -> None:
    gate = asyncio.Semaphore(PARALLEL)

    async def one() -> asyncio.StreamWriter:
        async with gate:
            _, writer = await ws_login(host, port, device_id, secret)
            return writer

    writers = await asyncio.gather(*(one() for _ in range(count)))
    print(f"ready {len(writers)}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for w in writers:
        w.close()


if __name__ == "__main__":
    raise_nofile()
    host, port, device_id, secret, count = sys.argv[1:6]
    asyncio.run(hold(host, int(port), device_id, secret, int(count)))
