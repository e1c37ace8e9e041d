"""E-mail gateway benchmark: mails per second turned into notifications, and DATA-to-'!' latency.

`python -m bench.mail [--backend single|cluster|both] [--mails N] [--connections C]` starts the
real `overpush run` (cluster: one process per service on PostgreSQL + RabbitMQ), makes a user
with a desktop device through the CLI and the Open Client API, then
  1. latency: one mail at a time, from the end of DATA (the final '.') to the '!' frame;
  2. throughput: N mails over C persistent SMTP connections, timed until the device's queue
     holds every one of them (accepted, committed, dispatched, queued).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from bench.harness import Ctx, Row
from testkit.backends import (
    PG_SERVER,
    cluster_settings,
    delete_bus_namespace,
    sqlite_settings,
)
from testkit.device import DesktopDevice
from testkit.procs import Proc, cli, env_for

PASSWORD = "benchmark password"
SERVICES = ("dispatcher", "quota", "api", "mailgw")
PER_CONNECTION = 90


class SmtpClient:
    """A minimal persistent SMTP client on asyncio streams (smtplib would need threads)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def connect(cls, host: str, port: int) -> SmtpClient:
        client = cls(*await asyncio.open_connection(host, port))
        await client.reply()
        await client.command("EHLO bench.example.org")
        return client

    async def reply(self) -> int:
        while True:
            line = await self.reader.readline()
            if not line:
                raise ConnectionError("server closed the connection")
            if line[3:4] != b"-":
                return int(line[:3])

    async def command(self, line: str) -> int:
        self.writer.write(line.encode() + b"\r\n")
        return await self.reply()

    async def send(self, to: str, body: bytes) -> tuple[int, float]:
        """Returns the DATA answer and the monotonic time the final '.' was written."""
        for line in ("MAIL FROM:<bench@example.org>", f"RCPT TO:<{to}>"):
            code = await self.command(line)
            if code != 250:
                await self.command("RSET")
                return code, time.monotonic()
        if await self.command("DATA") != 354:
            return 554, time.monotonic()
        self.writer.write(body + b"\r\n.\r\n")
        end = time.monotonic()
        return await self.reply(), end

    async def close(self) -> None:
        try:
            await self.command("QUIT")
        finally:
            self.writer.close()


def mail_bytes(i: int) -> bytes:
    return (f"From: Camera <cam@example.org>\r\nSubject: Motion {i}\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n"
            f"Movement detected by camera {i % 7} at the front door.\r\n").encode()


async def _queued(device: DesktopDevice, http: httpx.AsyncClient) -> int:
    return len(await device.download(http))


async def _latency(device: DesktopDevice, http: httpx.AsyncClient, host: str, port: int,
                   to: str, count: int) -> list[float]:
    client = await SmtpClient.connect(host, port)
    out = []
    try:
        for i in range(count):
            code, end = await client.send(to, mail_bytes(i))
            assert code == 250, code
            assert await device.frame_other_than_keepalive() == b"!"
            out.append(time.monotonic() - end)
            msgs = await device.download(http)
            if msgs:
                await device.delete_up_to(http, max(m["id"] for m in msgs))
    finally:
        await client.close()
    return out


async def _throughput(device: DesktopDevice, http: httpx.AsyncClient, host: str, port: int,
                      to: str, mails: int, connections: int) -> dict[str, Any]:
    clients = [await SmtpClient.connect(host, port) for _ in range(connections)]
    codes: dict[int, int] = {}
    todo = iter(range(mails))

    async def worker(n: int) -> None:
        sent = 0
        for i in todo:
            if sent == PER_CONNECTION:  # the gateway allows 100 mails per connection
                await clients[n].close()
                clients[n], sent = await SmtpClient.connect(host, port), 0
            code, _ = await clients[n].send(to, mail_bytes(i))
            codes[code] = codes.get(code, 0) + 1
            sent += 1

    start = time.monotonic()
    await asyncio.gather(*(worker(n) for n in range(connections)))
    accepted_in = time.monotonic() - start
    accepted = codes.get(250, 0)
    for _ in range(1200):  # until the device's queue holds every accepted mail (2 min max)
        if await _queued(device, http) >= accepted:
            break
        await asyncio.sleep(0.1)
    done_in = time.monotonic() - start
    for c in clients:
        await c.close()
    return {"mails": mails, "connections": connections, "answers": codes,
            "accepted_per_s": round(accepted / accepted_in, 1),
            "notifications_per_s": round(accepted / done_in, 1),
            "queued": await _queued(device, http)}


async def _http_baseline(device: DesktopDevice, http: httpx.AsyncClient, base: str, token: str,
                         messages: int, connections: int) -> float:
    """The same intake over POST /1/messages.json, for comparison on the same server."""
    todo = iter(range(messages))

    async def worker() -> None:
        for i in todo:
            r = await http.post(f"{base}/1/messages.json", data={
                "token": token, "user": device.user_key, "title": f"Motion {i}",
                "message": f"Movement detected by camera {i % 7} at the front door."})
            assert r.status_code == 200, r.text

    start = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(connections)))
    for _ in range(1200):
        if await _queued(device, http) >= messages:
            break
        await asyncio.sleep(0.1)
    return round(messages / (time.monotonic() - start), 1)


async def measure(backend: str, mails: int = 1000, connections: int = 8,
                  latency_samples: int = 50, http_baseline: bool = False) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="bench-mail-"))
    db_name = prefix = ""
    if backend == "single":
        settings = sqlite_settings(tmp)
    else:
        import asyncpg

        db_name, prefix = f"bench_mail_{uuid.uuid4().hex[:8]}", f"b{uuid.uuid4().hex[:8]}"
        admin = await asyncpg.connect(PG_SERVER.replace("+asyncpg", ""))
        await admin.execute(f'CREATE DATABASE "{db_name}"')
        await admin.close()
        settings = cluster_settings(PG_SERVER.rsplit("/", 1)[0] + f"/{db_name}", prefix)
    env = env_for(settings, OVERPUSH_MAIL_RATE_BURST="1000000", OVERPUSH_LOG_LEVEL="WARNING")
    base = f"http://{settings.http_host}:{settings.http_port}"
    if backend == "single":
        procs = [Proc(env, log=tmp / "all.log")]
    else:
        cli(env, "migrate")
        procs = [Proc(env, s, log=tmp / f"{s}.log") for s in SERVICES]
    try:
        procs[SERVICES.index("api") if backend != "single" else 0].wait_healthy(base)
        user = cli(env, "admin", "create-user", "bench@example.com", "--password-stdin",
                   stdin=PASSWORD + "\n")
        to = user["email_alias"]
        await _wait_smtp(settings.smtp_host, settings.smtp_port)
        device = DesktopDevice(base, "bench@example.com", PASSWORD, name="bench")
        async with httpx.AsyncClient(timeout=30) as http:
            await device.login(http)
            await device.register(http)
            await device.connect()
            lat = await _latency(device, http, settings.smtp_host, settings.smtp_port, to,
                                 latency_samples)
            result = await _throughput(device, http, settings.smtp_host, settings.smtp_port, to,
                                       mails, connections)
            if http_baseline:
                msgs = await device.download(http)
                await device.delete_up_to(http, max(m["id"] for m in msgs))
                app = cli(env, "admin", "create-app", "bench@example.com", "HTTP baseline")
                result["http_api_notifications_per_s"] = await _http_baseline(
                    device, http, base, app["token"], mails, connections)
            await device.close()
        lat.sort()
        result["latency_ms"] = {
            "p50": round(statistics.median(lat) * 1000, 1),
            "p95": round(lat[int(len(lat) * 0.95) - 1] * 1000, 1),
            "max": round(lat[-1] * 1000, 1), "samples": len(lat)}
        return {"backend": backend, **result}
    finally:
        for p in reversed(procs):
            p.stop()
        if backend != "single":
            await _drop(db_name, prefix)


async def _wait_smtp(host: str, port: int) -> None:
    for _ in range(200):
        try:
            (await SmtpClient.connect(host, port)).writer.close()
            return
        except OSError:
            await asyncio.sleep(0.05)
    raise RuntimeError("the SMTP server did not come up")


async def _drop(db_name: str, prefix: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_SERVER.replace("+asyncpg", ""))
    await admin.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
    await admin.close()
    await delete_bus_namespace(prefix)


async def run(ctx: Ctx) -> list[Row]:
    """The entry point the bench/ runner calls: each backend the run covers."""
    rows = []
    for backend in ctx.backends:
        r = await measure(backend, mails=50 if ctx.quick else 1000,
                          latency_samples=5 if ctx.quick else 50)
        lat = r["latency_ms"]
        rows += [
            Row("e-mails accepted and turned into notifications per s", backend,
                f"{r['notifications_per_s']}", ">= 100", r["notifications_per_s"] >= 100,
                f"{r['mails']} mails over {r['connections']} SMTP connections"),
            Row("end of DATA to '!' p50 / p95", backend, f"{lat['p50']} / {lat['p95']} ms",
                "", None, f"{lat['samples']} sequential mails, max {lat['max']} ms"),
        ]
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.mail", description=__doc__)
    p.add_argument("--backend", choices=("single", "cluster", "both"), default="single")
    p.add_argument("--mails", type=int, default=1000)
    p.add_argument("--connections", type=int, default=8)
    p.add_argument("--latency-samples", type=int, default=50)
    p.add_argument("--http-baseline", action="store_true",
                   help="also time the same number of messages through the HTTP API")
    args = p.parse_args(argv)
    backends = ("single", "cluster") if args.backend == "both" else (args.backend,)
    for b in backends:
        out = asyncio.run(measure(b, args.mails, args.connections, args.latency_samples,
                                  args.http_baseline))
        print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
