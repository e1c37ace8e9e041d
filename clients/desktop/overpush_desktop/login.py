"""`login` and `logout`: one desktop device per login, its secret kept locally (never the
password)."""

from __future__ import annotations

import getpass
import re
import socket
import sys
from collections.abc import Callable
from typing import TextIO

import httpx

from overpush_desktop import config
from overpush_desktop.api import ApiError, OpenClient

NAME_OK = re.compile(r"^[A-Za-z0-9_-]{1,25}$")
NOT_NAME = re.compile(r"[^A-Za-z0-9_-]+")
MAX_NUMBER = 99


class LoginFailed(Exception):
    """What to tell the person, in one line."""


def device_name(host: str) -> str:
    """A valid device name (1-25 of A-Z a-z 0-9 _ -) from a host name: the first label,
    other characters turned into '-'."""
    label = host.split(".", 1)[0]
    name = NOT_NAME.sub("-", label).strip("-")[:25].strip("-")
    return name or "desktop"


def numbered(name: str, n: int) -> str:
    """`name` with a number that keeps it within 25 characters: laptop, laptop-2, laptop-3."""
    if n <= 1:
        return name
    suffix = f"-{n}"
    return name[:25 - len(suffix)].rstrip("-") + suffix


def read_secret_line(stream: TextIO) -> str:
    line = stream.readline()
    return line[:-1] if line.endswith("\n") else line


async def login(server: str, email: str, password: str, name: str | None,
                ask_code: Callable[[], str]) -> tuple[config.Login, bool]:
    """Log in (asking for the 2FA code when the server answers 412) and register a device.
    Returns the login and whether a number was added to the name."""
    client = OpenClient(server)
    try:
        try:
            user_key, secret = await client.login(email, password)
        except ApiError as exc:
            if exc.status != 412:
                raise LoginFailed(f"log-in refused: {exc.text}") from exc
            code = ask_code().strip().replace(" ", "")
            try:
                user_key, secret = await client.login(email, password, code)
            except ApiError as again:
                raise LoginFailed(f"log-in refused: {again.text}") from again
        base = name or device_name(socket.gethostname())
        if not NAME_OK.match(base):
            raise LoginFailed("a device name has 1 to 25 of A-Z, a-z, 0-9, _ and -")
        for n in range(1, MAX_NUMBER + 1):
            candidate = numbered(base, n)
            try:
                device_id = await client.register(secret, candidate)
                break
            except ApiError as exc:
                if not exc.name_taken or name:  # a name asked for is not changed
                    await _forget_secret(client, secret)
                    raise LoginFailed(f"device not registered: {exc.text}") from exc
        else:
            await _forget_secret(client, secret)
            raise LoginFailed(f"every name from {base} to {candidate} is taken: use --name")
        return config.Login(server=client.server, email=email, user_key=user_key,
                            device_id=device_id, device_name=candidate,
                            secret=secret), candidate != base
    except httpx.HTTPError as exc:
        raise LoginFailed(f"cannot reach {server}: {exc}") from exc
    finally:
        await client.aclose()


async def _forget_secret(client: OpenClient, secret: str) -> None:
    try:
        await client.logout(secret)
    except (ApiError, httpx.HTTPError):
        pass  # a server without logout.json keeps it; nothing more we can do


def password_from(stdin_flag: bool, stdin: TextIO = sys.stdin) -> str:
    if stdin_flag:
        return read_secret_line(stdin)
    if not stdin.isatty():
        raise LoginFailed("no terminal to ask for the password: use --password-stdin")
    return getpass.getpass("Password: ")


def code_asker(stdin_flag: bool, stdin: TextIO = sys.stdin) -> Callable[[], str]:
    """With --password-stdin the 2FA code is the next line of standard input."""
    def ask() -> str:
        if stdin_flag or not stdin.isatty():
            code = read_secret_line(stdin)
            if not code:
                raise LoginFailed("this account needs a 2FA code: give it on the line "
                                  "after the password")
            return code
        return input("Two-factor code: ")

    return ask


async def logout(login: config.Login, local_only: bool) -> str:
    """Delete the device on the server and revoke its secret, then forget both here."""
    said = "removed only the local login"
    if not local_only:
        client = OpenClient(login.server)
        try:
            try:
                await client.delete_device(login.secret, login.device_id)
                said = f"deleted device {login.device_name} on {login.server}"
            except ApiError as exc:
                if not exc.logged_out:
                    raise LoginFailed(f"the server refused: {exc.text}") from exc
                said = f"device {login.device_name} was already gone on {login.server}"
            try:
                await client.logout(login.secret)
            except ApiError as exc:
                if not exc.logged_out:
                    raise LoginFailed(f"the server refused: {exc.text}") from exc
        except httpx.HTTPError as exc:
            raise LoginFailed(f"cannot reach {login.server} ({exc}); nothing was removed. "
                              "Use --local to forget this login here only") from exc
        finally:
            await client.aclose()
    path = config.forget_login()
    return f"{said}, revoked its secret and removed {path}" if not local_only \
        else f"{said} ({path})"
