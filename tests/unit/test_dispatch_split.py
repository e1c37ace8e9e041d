"""The dispatcher reads the messages to queue and their recipients' devices as one joined
result (a row per message and device, one without a device for a user who has none);
`split` turns it back into the messages, each once, and each user's devices, oldest first.
What it queued needs no second query when every row only nudges (`nudges`)."""

from __future__ import annotations

from typing import NamedTuple

from overpush.delivery.dispatch import Queued, split
from overpush.delivery.fanout import Target
from overpush.delivery.push import Push
from overpush.delivery.pushes import nudges


class Row(NamedTuple):  # the columns split reads, as the query names them
    id: int
    user_id: int
    device_id: int | None
    public_id: str | None = None
    name: str | None = None
    os: str | None = None


def row(message: int, user: int, device: int | None) -> Row:
    if device is None:
        return Row(message, user, None)
    return Row(message, user, device, f"pub{device}", f"dev{device}", "desktop")


def test_messages_once_and_each_users_devices_once_in_order() -> None:
    joined = [row(1, 10, 100), row(1, 10, 101),  # one user, two devices
              row(2, 10, 100), row(2, 10, 101),  # a second message to the same user
              row(3, 20, None),                  # a user without an enabled device
              row(4, 30, 300)]
    messages, devices = split(joined)
    assert [m.id for m in messages] == [1, 2, 3, 4]
    assert devices == {
        10: [Target(100, "pub100", "dev100", "desktop"), Target(101, "pub101", "dev101",
                                                             "desktop")],
        30: [Target(300, "pub300", "dev300", "desktop")],
    }


def test_nothing_to_queue() -> None:
    assert split([]) == ([], {})


DESKTOP, IPHONE = Target(1, "pub1", "laptop", "O"), Target(2, "pub2", "phone", "I")


def test_rows_only_for_nudge_channels_are_pushed_without_a_query() -> None:
    # A desktop's WebSocket; a desktop with a push subscription and a message that must show
    # nothing (priority -2: Web Push cannot be silent, so it is nudged only).
    queued = Queued([(DESKTOP, 10, 0, False), (DESKTOP, 11, -2, True)], all_fresh=True)
    assert nudges(queued) == [Push(DESKTOP, 10, 0), Push(DESKTOP, 11, -2)]
    assert nudges(Queued([], all_fresh=True)) == []


def test_the_query_is_needed_for_content_or_for_rows_queued_before() -> None:
    assert nudges(Queued([(DESKTOP, 10, 0, True)], all_fresh=True)) is None  # Web Push
    assert nudges(Queued([(IPHONE, 10, 0, True)], all_fresh=True)) is None  # APNs
    assert nudges(Queued([(DESKTOP, 10, 0, False)], all_fresh=False)) is None  # redelivered
