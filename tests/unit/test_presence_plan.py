"""Where a device frame goes (overpush.presence.routing.plan and events): pure decisions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from overpush.events import DevicesNudged
from overpush.presence.routing import Holder, events, plan

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
FRESH, STALE = NOW + timedelta(seconds=10), NOW - timedelta(seconds=1)
HOLDERS = {"a1": Holder("one", FRESH), "a2": Holder("one", FRESH), "b": Holder("two", FRESH),
           "old": Holder("dead", STALE), "lost": Holder("unregistered", None)}


def test_a_nudge_goes_to_each_fresh_holder_and_nowhere_for_a_device_nobody_holds() -> None:
    route = plan(["b", "a2", "a1", "a1", "nobody"], HOLDERS, NOW, closing=False)
    assert route.addressed == {"one": ["a1", "a2"], "two": ["b"]}
    assert (route.broadcast, route.unheld) == ([], ["nobody"])


def test_a_stale_or_unregistered_holder_means_every_instance() -> None:
    route = plan(["old", "lost", "b"], HOLDERS, NOW, closing=False)
    assert route.addressed == {"two": ["b"]}
    assert route.broadcast == ["lost", "old"]
    # The instant of expiry itself is stale: the record is trusted until then, not at it.
    assert plan(["x"], {"x": Holder("one", NOW)}, NOW, closing=False).broadcast == ["x"]


def test_a_closing_frame_for_a_device_nobody_holds_goes_to_every_instance() -> None:
    route = plan(["nobody", "a1"], HOLDERS, NOW, closing=True)
    assert route.addressed == {"one": ["a1"]}
    assert (route.broadcast, route.unheld) == (["nobody"], [])


def test_the_events_keep_the_frame_and_split_by_holder() -> None:
    event = DevicesNudged(device_ids=["a1", "b", "old"], frame="E", close=True, spare="c1")
    out = events(event, plan(event.device_ids, HOLDERS, NOW, closing=True))
    assert [(e.instance, e.device_ids, e.frame, e.close, e.spare) for e in out] == [
        ("one", ["a1"], "E", True, "c1"), ("two", ["b"], "E", True, "c1"),
        (None, ["old"], "E", True, "c1")]
    assert [e.address() for e in out] == ["one", "two", None]
    assert len({e.event_id for e in out}) == 3
    assert events(event, plan([], HOLDERS, NOW, closing=True)) == []
