"""One sample of every bus event type, built from its fields, for the bus contract suite."""

from __future__ import annotations

import enum
import types
from datetime import UTC, datetime
from typing import Any, Literal, Union, get_args, get_origin

from overpush.events import Event


def sample(cls: type[Event], n: int = 1) -> Event:
    """An instance of `cls` with every field set to a plain value (numbered by `n`)."""
    values = {
        name: _value(info.annotation, n, f"{cls.__name__}.{name}")
        for name, info in cls.model_fields.items()
        if name != "event_id"
    }
    return cls(**values)


def _value(tp: Any, n: int, where: str) -> Any:
    origin = get_origin(tp)
    if origin in (Union, types.UnionType):
        return _value(next(a for a in get_args(tp) if a is not type(None)), n, where)
    if origin is Literal:
        return get_args(tp)[0]
    if origin in (list, tuple, set, frozenset):
        return [_value(get_args(tp)[0], n, where)]
    if origin is dict:
        return {}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    simple: dict[Any, Any] = {int: n, str: f"s{n}", bool: True, float: float(n),
                              datetime: datetime(2026, 11, 27, tzinfo=UTC)}
    if tp in simple:
        return simple[tp]
    raise TypeError(f"tests/contract/samples.py cannot build a value for {where}: {tp!r}; "
                    "teach _value this type")
