"""The event loop every `overpush` process runs on: uvloop where it is installed (uvicorn's
`standard` extra brings it on Linux and macOS), asyncio's own otherwise.

uvloop runs the same coroutines with less work per callback, socket read and timer than the
pure-Python loop; the api spends much of a request in exactly those (see bench/README.md,
Profiles). `OVERPUSH_EVENT_LOOP=asyncio` keeps the standard loop, to rule uvloop out when
looking into a fault.
"""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

T = TypeVar("T")
Choice = Literal["auto", "uvloop", "asyncio"]
LoopFactory = Callable[[], asyncio.AbstractEventLoop]


def uvloop_available() -> bool:
    return importlib.util.find_spec("uvloop") is not None


def loop_factory(choice: Choice = "auto") -> LoopFactory | None:
    """What makes the loop for `choice` (None: asyncio's default). `uvloop` without uvloop
    installed is an error rather than a silent fallback: the operator asked for it."""
    if choice == "asyncio" or (choice == "auto" and not uvloop_available()):
        return None
    import uvloop

    factory: LoopFactory = uvloop.new_event_loop
    return factory


def run(main: Coroutine[Any, Any, T], choice: Choice = "auto") -> T:
    """`asyncio.run(main)` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(main)
