"""The `overpush-desktop` command: login, listen, key, install-service, logout."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys

from overpush_desktop import config, e2ee, service_unit
from overpush_desktop.api import OpenClient
from overpush_desktop.assets import Assets
from overpush_desktop.inbox import Inbox, Printer, Shower
from overpush_desktop.listener import ADVICE, Listener
from overpush_desktop.login import LoginFailed, code_asker, login, logout, password_from

NOT_LOGGED_IN = 2


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="overpush-desktop",
                                description="Desktop notifications from an Overpush server.")
    sub = p.add_subparsers(dest="command", required=True)
    li = sub.add_parser("login", help="log in and register this computer as a device")
    li.add_argument("--server", required=True, help="e.g. http://127.0.0.1:8000")
    li.add_argument("--email", required=True)
    li.add_argument("--password-stdin", action="store_true",
                    help="read the password (and then a 2FA code) from standard input")
    li.add_argument("--name", help="device name (default: this host's name)")
    ls = sub.add_parser("listen", help="receive messages until stopped")
    ls.add_argument("--print", action="store_true", dest="print_json",
                    help="write each message as a JSON line instead of showing it")
    ls.add_argument("--max-backoff", type=float, default=60.0, metavar="SECONDS",
                    help="longest wait between reconnection attempts (default 60)")
    ls.add_argument("-v", "--verbose", action="store_true")
    key = sub.add_parser("key", help="the end-to-end encryption key")
    key.add_argument("action", choices=["set", "clear"])
    key.add_argument("--stdin", action="store_true", help="read the key from standard input")
    sub.add_parser("install-service", help="start `listen` with the desktop session (systemd)")
    lo = sub.add_parser("logout", help="delete this device on the server and forget it here")
    lo.add_argument("--local", action="store_true",
                    help="only forget the login here (when the server is gone)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    verbose = getattr(args, "verbose", False)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO, stream=sys.stderr,
                        format="overpush-desktop: %(message)s")
    for noisy in ("httpx", "httpcore", "websockets"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        if args.command == "login":
            return asyncio.run(_login(args))
        if args.command == "listen":
            return asyncio.run(_listen(args.print_json, args.max_backoff))
        if args.command == "key":
            return _key(args.action, args.stdin)
        if args.command == "install-service":
            print(service_unit.install())
            return 0
        return asyncio.run(_logout(args.local))
    except LoginFailed as exc:
        print(f"overpush-desktop: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _login(args: argparse.Namespace) -> int:
    known = config.load_login()
    if known is not None:
        raise LoginFailed(f"already logged in to {known.server} as device {known.device_name}; "
                          "run overpush-desktop logout first")
    password = password_from(args.password_stdin)
    done, renamed = await login(args.server, args.email, password, args.name,
                                code_asker(args.password_stdin))
    path = config.save_login(done)
    note = " (the name was taken, so a number was added)" if renamed else ""
    print(f"logged in to {done.server} as {done.email}: this computer is device "
          f"{done.device_name}{note}, saved in {path}")
    return 0


async def _listen(print_json: bool, max_backoff: float) -> int:
    login = config.load_login()
    if login is None:
        print("overpush-desktop: not logged in; run overpush-desktop login --server URL "
              "--email EMAIL", file=sys.stderr)
        return NOT_LOGGED_IN
    client = OpenClient(login.server)
    assets = Assets(client, login, config.cache_dir())
    shower: Shower
    if print_json:
        shower = Printer(sys.stdout)
    else:
        from overpush_desktop.notify import DesktopShower  # needs the desktop extra

        shower = DesktopShower(client, login, assets, sys.stdout)
    inbox = Inbox(client, login, config.load_key(), assets, shower)
    listener = Listener(login, client.ws_url, inbox, max_delay=max(1.0, max_backoff))
    logging.getLogger(__name__).info("listening on %s as device %s", login.server,
                                     login.device_name)
    try:
        status = await listener.run()
    finally:
        await shower.aclose()
        await client.aclose()
    print(f"overpush-desktop: {ADVICE[status]}", file=sys.stderr)
    return status


def _key(action: str, from_stdin: bool) -> int:
    if action == "clear":
        print(f"removed {config.forget_key()}")
        return 0
    text = sys.stdin.readline() if from_stdin or not sys.stdin.isatty() \
        else getpass.getpass("Key (64 hex characters): ")
    try:
        e2ee.parse_key(text)
    except ValueError as exc:
        raise LoginFailed(str(exc)) from exc
    print(f"saved the end-to-end encryption key in {config.save_key(text.strip().lower())}")
    return 0


async def _logout(local_only: bool) -> int:
    login = config.load_login()
    if login is None:
        print("overpush-desktop: not logged in", file=sys.stderr)
        return NOT_LOGGED_IN
    print(await logout(login, local_only))
    return 0
