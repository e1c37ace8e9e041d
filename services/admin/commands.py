"""The operator commands added for day-to-day work: list, delete, test-send, reset 2FA.

`add_parsers` adds them to `overpush admin`; `action_for` turns the parsed arguments into
the coroutine `overpush` runs with a Runtime (None for the commands defined elsewhere).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from overpush.runtime import Runtime

from services.admin import outbox, people
from services.admin.lookup import refuse
from services.admin.prompts import confirm
from services.admin.send import send

Action = Callable[[Runtime], Awaitable[Any]]


def add_parsers(asub: Any) -> None:
    asub.add_parser("list-users", help="every user as JSON: key, apps, devices, 2FA")
    asub.add_parser("list-apps", help="a user's applications and tokens as JSON") \
        .add_argument("email")
    du = asub.add_parser("delete-user",
                         help="delete a user with their applications, devices and messages")
    du.add_argument("email")
    da = asub.add_parser("delete-app", help="delete an application with its messages")
    da.add_argument("token")
    for cmd in (du, da):
        cmd.add_argument("--yes", action="store_true",
                         help="do not ask (needed when standard input is not a terminal)")
    snd = asub.add_parser("send", help="send a test message through the normal intake")
    snd.add_argument("token", help="the application's API token")
    snd.add_argument("user", help="a user or group key")
    snd.add_argument("message")
    snd.add_argument("--title")
    snd.add_argument("--priority", help="-2 to 2 (2 needs --retry and --expire)")
    snd.add_argument("--retry")
    snd.add_argument("--expire")
    snd.add_argument("--device", help="one device (or several, comma-separated)")
    snd.add_argument("--sound")
    snd.add_argument("--url")
    asub.add_parser("reset-2fa", help="turn a user's two-factor authentication off "
                                      "(secret and recovery codes)").add_argument("email")
    ob = asub.add_parser("outbox", help="see and resend events whose publish failed")
    obsub = ob.add_subparsers(dest="outbox_action", required=True)
    obsub.add_parser("list", help="set-aside outbox rows as JSON: attempts, next try, error")
    obsub.add_parser("replay", help="make set-aside rows due at once (all, or the IDs given)") \
        .add_argument("ids", nargs="*", type=int, metavar="ID")


def action_for(args: argparse.Namespace) -> Action | None:
    match args.action:
        case "list-users":
            return people.list_users
        case "list-apps":
            return lambda rt: people.list_apps(rt, args.email)
        case "delete-user":
            return _confirmed(lambda rt: people.user_summary(rt, args.email),
                              lambda rt: people.delete_user(rt, args.email), args.yes)
        case "delete-app":
            return _confirmed(lambda rt: people.app_summary(rt, args.token),
                              lambda rt: people.delete_app(rt, args.token), args.yes)
        case "send":
            options = {k: getattr(args, k) for k in ("title", "priority", "retry", "expire",
                                                     "device", "sound", "url")}
            return lambda rt: send(rt, args.token, args.user, args.message, options)
        case "reset-2fa":
            return lambda rt: people.reset_two_factor(rt, args.email)
        case "outbox" if args.outbox_action == "list":
            return outbox.list_rows
        case "outbox":
            return lambda rt: outbox.replay(rt, args.ids)
    return None


def _confirmed(describe: Callable[[Runtime], Awaitable[str]], act: Action, yes: bool) -> Action:
    """A deletion asks first at a terminal; a script says --yes (it is never asked)."""
    async def run(rt: Runtime) -> Any:
        what = await describe(rt)  # also: the user or app exists, before anything is asked
        if not yes:
            if not sys.stdin.isatty():
                raise refuse(f"this deletes {what}; add --yes to do it without a terminal")
            if not confirm(f"Delete {what}? This cannot be undone. [y/N] "):
                raise refuse("nothing deleted")
        return await act(rt)
    return run
