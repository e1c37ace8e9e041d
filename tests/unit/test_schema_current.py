"""When a pod may start: the database is at this release's schema head, or past it."""

from __future__ import annotations

from overpush.schema import is_current

KNOWN = {"0001", "0002"}
HEADS = {"0002"}


def test_an_empty_database_is_not_current() -> None:
    assert not is_current(set(), HEADS, KNOWN)


def test_an_older_known_revision_is_not_current() -> None:
    assert not is_current({"0001"}, HEADS, KNOWN)


def test_the_head_is_current() -> None:
    assert is_current({"0002"}, HEADS, KNOWN)


def test_a_newer_release_revision_counts_as_current() -> None:
    # Schema changes are additive, so an older image runs on a newer schema (rollback).
    assert is_current({"0009"}, HEADS, KNOWN)
