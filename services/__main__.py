"""The `overpush` command: run services, migrate the database, administer users and apps."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from overpush import logs, schema
from overpush.db import migrate
from overpush.runtime import Runtime
from overpush.settings import Settings

from services import admin, runner


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="overpush", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run services (all of them in one process by default)")
    run.add_argument("services", nargs="*", metavar="SERVICE",
                     help="api, dispatcher, quota, receipts or mailgw")
    mig = sub.add_parser("migrate", help="apply the database migrations")
    mig.add_argument("--wait", action="store_true",
                     help="apply nothing: wait until another process (the migration Job) has "
                          "brought the database to this release's schema; exit 1 on timeout")
    mig.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (--wait)")
    adm = sub.add_parser("admin", help="administer users and applications")
    asub = adm.add_subparsers(dest="action", required=True)
    cu = asub.add_parser("create-user", help="create a user; prints its user key as JSON")
    cu.add_argument("email")
    cu.add_argument("--password-stdin", action="store_true", required=True,
                    help="read the password from standard input")
    ca = asub.add_parser("create-app", help="register an application; prints its token")
    ca.add_argument("email", help="the owner's e-mail address")
    ca.add_argument("name")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    logs.setup(settings.log_level, settings.log_json)
    if args.command == "run":
        try:
            runner.choose(args.services, settings)
        except runner.ConfigError as exc:
            print(f"overpush: {exc}", file=sys.stderr)
            return 2
        asyncio.run(runner.run(settings, args.services))
        return 0
    if args.command == "migrate" and args.wait:
        current = asyncio.run(schema.wait_until_current(settings.database_url, args.timeout))
        return 0 if current else 1
    if args.command == "migrate":
        return _with_runtime(settings, lambda rt: migrate(rt.engine), migrate_first=False)
    if args.action == "create-user":
        password = sys.stdin.read().rstrip("\r\n")
        return _with_runtime(settings, lambda rt: admin.create_user(rt, args.email, password))
    return _with_runtime(settings, lambda rt: admin.create_app(rt, args.email, args.name))


def _with_runtime(settings: Settings, action: Callable[[Runtime], Awaitable[Any]],
                  migrate_first: bool = True) -> int:
    async def go() -> int:
        rt = Runtime.build(settings)
        try:
            if migrate_first and settings.is_sqlite:
                await migrate(rt.engine)  # the single-machine default needs no set-up
            result = await action(rt)
        except admin.AdminError as exc:
            print(json.dumps({"status": 0, "errors": [str(exc)]}))
            return 1
        finally:
            await rt.engine.dispose()
        if result is not None:
            print(json.dumps(result))
        return 0

    return asyncio.run(go())


if __name__ == "__main__":
    sys.exit(main())
