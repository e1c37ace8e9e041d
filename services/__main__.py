"""The `overpush` command: run services, migrate the database, administer users and apps."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable, Sequence
from importlib.metadata import version
from typing import Any

from overpush import eventloop, logs, schema
from overpush.db import migrate
from overpush.errors import ApiError, command_reply
from overpush.runtime import Runtime
from overpush.settings import Settings

from services import runner
from services.admin import accounts as admin
from services.admin import commands as admin_commands
from services.admin import licenses as admin_licensing
from services.admin import prompts
from services.admin import subscriptions as admin_subscriptions
from services.admin import teams as admin_teams
from services.admin.database_file import new_database_warning


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="overpush", description=__doc__)
    p.add_argument("--version", action="version", version=f"overpush {version('overpush')}")
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
    cu.add_argument("--password-stdin", action="store_true",
                    help="read the password from standard input (without it, the terminal "
                         "asks for it)")
    ca = asub.add_parser("create-app", help="register an application; prints its token")
    ca.add_argument("email", help="the owner's e-mail address")
    ca.add_argument("name")
    al = asub.add_parser("alias", help="list, create or delete a user's e-mail addresses")
    alsub = al.add_subparsers(dest="alias_action", required=True)
    alsub.add_parser("list", help="a user's addresses as JSON").add_argument("email")
    ac = alsub.add_parser("create", help="a new address with its own options")
    ac.add_argument("email", help="the user's e-mail address")
    ac.add_argument("--name", help="the part before @ (random if not given)")
    ac.add_argument("--sound")
    ac.add_argument("--priority", help="-2, -1, 0 or 1")
    ac.add_argument("--device", help="send to this device only")
    ac.add_argument("--ignore-timestamps", action="store_true",
                    help="use the time of receipt, not the mail's Date header")
    ad = alsub.add_parser("delete", help="delete an address (not the default one)")
    ad.add_argument("email")
    ad.add_argument("alias", help="the address or the part before @")
    snd = asub.add_parser("add-sound", help="upload a custom sound (MP3 or WAV) for an app")
    snd.add_argument("token")
    snd.add_argument("name", help="1-20 of A-Z a-z 0-9 _ -, not a built-in sound")
    snd.add_argument("file")
    snd.add_argument("--description", help="shown in sounds.json (default: the name)")
    sl = asub.add_parser("set-limit", help="set an app's monthly allowance (0 = the default)")
    sl.add_argument("token")
    sl.add_argument("limit", type=int)
    cap = asub.add_parser("add-capacity",
                          help="add purchased capacity: 10000, 25000, 50000, 100000 or 500000")
    cap.add_argument("token")
    cap.add_argument("amount", type=int)
    licensing_commands(asub)
    admin_commands.add_parsers(asub)
    return p


def licensing_commands(asub: Any) -> None:
    """`overpush admin license|add-credits|team ...`: licences, teams and subscriptions."""
    lic = asub.add_parser("license", help="grant or revoke a platform licence")
    lsub = lic.add_subparsers(dest="license_action", required=True)
    for verb in ("grant", "revoke"):
        cmd = lsub.add_parser(verb, help=f"{verb} a user's licence for one platform")
        cmd.add_argument("email")
        cmd.add_argument("platform", help="iOS, Android or Desktop")
    cr = asub.add_parser("add-credits", help="add licence credits to an application")
    cr.add_argument("token")
    cr.add_argument("amount", type=int)
    for verb, what in (("offer-subscriptions", "give an app a subscription page"),
                       ("make-cloneable", "give an app a clone link")):
        asub.add_parser(verb, help=what).add_argument("token")
    team = asub.add_parser("team", help="create teams, assign their app, phones, SMS delay")
    tsub = team.add_subparsers(dest="team_action", required=True)
    for verb, args, what in (
        ("create", ("name", "admin_email"), "create a team; prints its API token"),
        ("add-member", ("team", "email"), "add a user to a team (TEAM: id or name)"),
        ("assign-app", ("team", "token"), "make an app the team's (25,000 messages a month)"),
        ("set-phone", ("email", "number"), "a member's E.164 phone number for SMS"),
        ("set-sms", ("team", "seconds"), "SMS members after this many unacknowledged seconds"),
    ):
        cmd = tsub.add_parser(verb, help=what)
        for arg in args:
            cmd.add_argument(arg, type=int if arg == "seconds" else str)


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    settings = Settings()
    logs.setup(settings.log_level, settings.log_json)
    if args.command != "migrate":  # Alembic's INFO lines are news only to `overpush migrate`
        logs.quiet_alembic(keep_upgrades=args.command == "run")  # `run` names its upgrades
    if args.command == "run":
        try:
            runner.choose(args.services, settings)
        except runner.ConfigError as exc:
            print(f"overpush: {exc}", file=sys.stderr)
            return exc.exit_code
        eventloop.run(runner.run(settings, args.services), settings.event_loop)
        return 0
    if args.command == "migrate" and args.wait:
        current = asyncio.run(schema.wait_until_current(settings.database_url, args.timeout))
        return 0 if current else 1
    if args.command == "migrate":
        return _with_runtime(settings, lambda rt: migrate(rt.engine), migrate_first=False)
    warn_if_new_database(settings)
    if args.action == "create-user":
        try:
            password = prompts.password(args.password_stdin)
        except ApiError as exc:
            return _refused(exc)
        return _with_runtime(settings, lambda rt: admin.create_user(rt, args.email, password))
    more = admin_commands.action_for(args)
    if more is not None:
        return _with_runtime(settings, more)
    if args.action == "alias":
        opts = {k: getattr(args, k, None) for k in ("name", "sound", "priority", "device",
                                                    "alias")}
        opts["ignore_timestamps"] = "1" if getattr(args, "ignore_timestamps", False) else None
        return _with_runtime(settings, lambda rt: admin.alias_command(
            rt, args.alias_action, args.email, opts))
    actions: dict[str, Callable[[Runtime], Awaitable[Any]]] = {
        "create-app": lambda rt: admin.create_app(rt, args.email, args.name),
        "add-sound": lambda rt: admin.add_sound(rt, args.token, args.name, args.file,
                                                args.description),
        "set-limit": lambda rt: admin.set_limit(rt, args.token, args.limit),
        "add-capacity": lambda rt: admin.add_capacity(rt, args.token, args.amount),
        "add-credits": lambda rt: admin_licensing.add_credits(rt, args.token, args.amount),
        "license": lambda rt: (admin_licensing.grant_license if args.license_action == "grant"
                               else admin_licensing.revoke_license)(
                                   rt, args.email, args.platform),
        "team": lambda rt: team_action(rt, args),
        "offer-subscriptions": lambda rt: admin_subscriptions.offer_subscriptions(rt, args.token),
        "make-cloneable": lambda rt: admin_subscriptions.make_cloneable(rt, args.token),
    }
    return _with_runtime(settings, actions[args.action])


def team_action(rt: Runtime, args: argparse.Namespace) -> Awaitable[Any]:
    return {
        "create": lambda: admin_teams.create_team(rt, args.name, args.admin_email),
        "add-member": lambda: admin_teams.add_member(rt, args.team, args.email),
        "assign-app": lambda: admin_teams.assign_app(rt, args.team, args.token),
        "set-phone": lambda: admin_teams.set_phone(rt, args.email, args.number),
        "set-sms": lambda: admin_teams.set_sms(rt, args.team, args.seconds),
    }[args.team_action]()


def _with_runtime(settings: Settings, action: Callable[[Runtime], Awaitable[Any]],
                  migrate_first: bool = True) -> int:
    async def go() -> int:
        rt = Runtime.build(settings)
        try:
            if migrate_first and settings.is_sqlite:
                await migrate(rt.engine)  # the single-machine default needs no set-up
            result = await action(rt)
        except ApiError as exc:  # every refusal of a command (a catalog error)
            return _refused(exc)
        finally:
            await rt.engine.dispose()
        if result is not None:
            print(json.dumps(result))
        return 0

    return asyncio.run(go())


def _refused(exc: ApiError) -> int:
    line, status = command_reply(exc)
    print(line)
    return status


def warn_if_new_database(settings: Settings) -> None:
    """An admin command started in another directory than the server would quietly make a
    second, empty SQLite database there (the default path is relative): say so first."""
    text = new_database_warning(settings.database_url)
    if text:
        print(text, file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
