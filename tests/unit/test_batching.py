"""The group-commit queue: who shares a batch, and who hears of which outcome."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest
from overpush.batching import Batcher, expected


class Recorder:
    """A batch runner that records its batches; an item "boom" fails alone."""

    def __init__(self, fail_whole: bool = False) -> None:
        self.batches: list[list[str]] = []
        self.fail_whole = fail_whole
        self.gate = asyncio.Event()
        self.gate.set()

    async def __call__(self, take: Callable[[], list[str]]) -> Sequence[str | BaseException]:
        await self.gate.wait()  # what waiting for a database connection looks like
        items = take()
        self.batches.append(items)
        if self.fail_whole:
            raise RuntimeError("the transaction failed")
        return [ValueError(i) if i == "boom" else i.upper() for i in items]


async def test_items_submitted_together_share_one_batch_and_get_their_own_outcome() -> None:
    batcher: Batcher[str, str] = Batcher()
    run = Recorder()
    out = await asyncio.gather(*(batcher.submit(i, run) for i in ("a", "boom", "c")),
                               return_exceptions=True)
    assert run.batches == [["a", "boom", "c"]]
    assert out[0] == "A" and out[2] == "C"
    assert isinstance(out[1], ValueError)


async def test_items_arriving_while_the_runner_waits_join_its_batch() -> None:
    batcher: Batcher[str, str] = Batcher()
    run = Recorder()
    run.gate.clear()
    first = asyncio.ensure_future(batcher.submit("a", run))
    await asyncio.sleep(0.01)  # the runner is waiting at the gate and has taken nothing
    later = [asyncio.ensure_future(batcher.submit(i, run)) for i in ("b", "c")]
    await asyncio.sleep(0)
    run.gate.set()
    assert await asyncio.gather(first, *later) == ["A", "B", "C"]
    assert run.batches == [["a", "b", "c"]]


async def test_a_failed_batch_fails_its_own_items_and_the_next_batch_still_runs() -> None:
    batcher: Batcher[str, str] = Batcher()
    run = Recorder(fail_whole=True)
    with pytest.raises(RuntimeError):
        await batcher.submit("a", run)
    assert await batcher.submit("b", Recorder()) == "B"


async def test_the_batch_size_is_capped() -> None:
    batcher: Batcher[str, str] = Batcher(limit=2)
    run = Recorder()
    assert await asyncio.gather(*(batcher.submit(i, run) for i in "abcde")) == list("ABCDE")
    assert run.batches == [["a", "b"], ["c", "d"], ["e"]]


async def test_a_submitter_that_gives_up_before_its_batch_is_taken_is_left_out() -> None:
    batcher: Batcher[str, str] = Batcher()
    run = Recorder()
    run.gate.clear()
    kept = asyncio.ensure_future(batcher.submit("a", run))
    dropped = asyncio.ensure_future(batcher.submit("b", run))
    await asyncio.sleep(0)
    dropped.cancel()
    await asyncio.sleep(0)
    run.gate.set()
    assert await kept == "A"
    assert run.batches == [["a"]]


def test_a_batch_expects_as_many_items_as_the_largest_recent_one() -> None:
    assert expected([], limit=64) == 1  # no history: wait for nobody
    assert expected([1, 1], limit=64) == 1
    assert expected([32, 5, 27], limit=64) == 32
    assert expected([100], limit=64) == 64


async def test_with_a_linger_a_steady_load_keeps_its_batches_whole() -> None:
    """Without waiting, items arriving a moment apart split into two batches; with a linger
    the next batch waits for as many items as the last one held."""
    batcher: Batcher[str, str] = Batcher(linger=5.0)
    run = Recorder()
    assert await asyncio.gather(*(batcher.submit(i, run) for i in "abc")) == list("ABC")

    async def later(item: str, ticks: int) -> str:
        for _ in range(ticks):
            await asyncio.sleep(0)
        return await batcher.submit(item, run)

    assert await asyncio.gather(later("d", 0), later("e", 3), later("f", 6)) == list("DEF")
    assert run.batches == [["a", "b", "c"], ["d", "e", "f"]]


async def test_with_a_linger_a_lone_item_waits_at_most_the_linger() -> None:
    batcher: Batcher[str, str] = Batcher(linger=0.01)
    run = Recorder()
    await asyncio.gather(*(batcher.submit(i, run) for i in "abc"))
    async with asyncio.timeout(5):  # bounded by the linger, not by the missing items
        assert await batcher.submit("d", run) == "D"
    assert run.batches == [["a", "b", "c"], ["d"]]


async def test_without_a_linger_items_a_moment_apart_are_not_waited_for() -> None:
    batcher: Batcher[str, str] = Batcher()
    run = Recorder()
    await asyncio.gather(*(batcher.submit(i, run) for i in "abc"))

    async def later(item: str) -> str:
        await asyncio.sleep(0.01)
        return await batcher.submit(item, run)

    assert await asyncio.gather(batcher.submit("d", run), later("e")) == ["D", "E"]
    assert run.batches == [["a", "b", "c"], ["d"], ["e"]]
