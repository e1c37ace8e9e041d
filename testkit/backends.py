"""The servers behind the cluster backend, a fresh namespace on each, free ports, and Settings
for either backend; for the tests and the benchmarks alike."""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse

from overpush.settings import Settings

PG_SERVER = os.environ.get(
    "OVERPUSH_TEST_POSTGRES", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
RABBIT = os.environ.get("OVERPUSH_TEST_RABBITMQ", "amqp://guest:guest@127.0.0.1:5672/")
# Every consumer group the services declare queues for (deleted with their namespace).
QUEUE_GROUPS = ("dispatcher", "quota", "receipts", "mailgw", "api")


def address(url: str, default_port: int) -> tuple[str, int]:
    """The host and port a server URL names."""
    u = urlparse(url.replace("+asyncpg", ""))
    return u.hostname or "127.0.0.1", u.port or default_port


def broker_address() -> tuple[str, int]:
    return address(RABBIT, 5672)


def reachable(url: str, default_port: int) -> bool:
    try:
        with socket.create_connection(address(url, default_port), 2):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A port nobody listens on now; never a fixed one (other test runs share this host)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@asynccontextmanager
async def fresh_database(prefix: str = "overpush_t_") -> AsyncIterator[str]:
    """A new, empty PostgreSQL database on PG_SERVER, dropped afterwards; yields its URL."""
    import asyncpg

    name = f"{prefix}{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_SERVER.replace("+asyncpg", ""))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def bus_prefix() -> str:
    """A private namespace of exchanges and queues on the shared broker."""
    return f"t{uuid.uuid4().hex[:10]}"


async def delete_bus_namespace(prefix: str) -> None:
    import aio_pika
    from overpush.events import EVENT_TYPES

    conn = await aio_pika.connect(RABBIT)
    try:
        ch = await conn.channel()
        names = [f"{prefix}.{g}.{key}" for g in QUEUE_GROUPS for key in EVENT_TYPES]
        for queue in [*names, f"{prefix}.dead"]:
            await ch.queue_delete(queue)
        for exchange in (f"{prefix}.events", f"{prefix}.dead"):
            await ch.exchange_delete(exchange)
    finally:
        await conn.close()


def _ports() -> dict[str, int]:
    return {"http_port": free_port(), "smtp_port": free_port(), "ops_port": free_port()}


def sqlite_settings(directory: Path | str, **overrides: object) -> Settings:
    """The single-machine backend: SQLite in `directory`, the in-process bus, free ports."""
    values: dict[str, object] = {
        "database_url": f"sqlite+aiosqlite:///{directory}/overpush.db", "bus_url": "memory://",
        **_ports(), **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def cluster_settings(database_url: str, prefix: str, **overrides: object) -> Settings:
    """The cluster backend: this PostgreSQL database, RabbitMQ under `prefix`, free ports."""
    values: dict[str, object] = {
        "database_url": database_url, "bus_url": RABBIT, "bus_prefix": prefix,
        **_ports(), **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]
