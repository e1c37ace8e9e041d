"""Questions asked on the terminal: a password (twice, never echoed) and a yes/no."""

from __future__ import annotations

import getpass
import sys

from services.admin.lookup import refuse


def password_from_terminal() -> str:
    """The new user's password, typed twice without echo."""
    first = getpass.getpass("Password for the new user: ")
    if not first:
        raise refuse("no password given")
    if getpass.getpass("Password again: ") != first:
        raise refuse("the two passwords differ; nothing created")
    return first


def password(from_stdin: bool) -> str:
    """--password-stdin reads one line (scripts); otherwise the terminal is asked, and
    without a terminal there is nobody to ask."""
    if from_stdin:
        return sys.stdin.read().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise refuse("standard input is not a terminal: pipe the password in with "
                     "--password-stdin")
    return password_from_terminal()


def confirm(question: str) -> bool:
    print(question, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip().lower() in ("y", "yes")
