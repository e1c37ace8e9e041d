"""Every event class can be decoded (issue 14, item 18): each subclass of Event, wherever it
is defined in overpush or services, is registered under its own routing key, and an instance
survives encode/decode (what the outbox relay and both buses do with it)."""

from __future__ import annotations

import importlib
import pkgutil
import types
import typing
from typing import Any

import overpush
from overpush.events import EVENT_TYPES, Event, decode, encode

import services

SAMPLES: dict[Any, Any] = {int: 7, str: "x", bool: True, float: 1.5}


def _all_subclasses(cls: type[Event]) -> set[type[Event]]:
    found = set(cls.__subclasses__())
    for sub in list(found):
        found |= _all_subclasses(sub)
    return found


def _sample(annotation: Any) -> Any:
    if annotation in SAMPLES:
        return SAMPLES[annotation]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset):
        return [_sample(args[0])]
    if origin in (typing.Union, types.UnionType):
        return _sample(next(a for a in args if a is not type(None)))
    raise LookupError(annotation)


def test_every_event_class_is_registered_and_decodes() -> None:
    for package in (overpush, services):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations." not in info.name:
                importlib.import_module(info.name)
    classes = _all_subclasses(Event)
    assert len(classes) >= 4
    for cls in classes:
        assert EVENT_TYPES.get(cls.routing_key) is cls, cls
        fields = {name: _sample(f.annotation) for name, f in cls.model_fields.items()
                  if f.is_required()}
        event = cls(**fields)
        assert decode(cls.routing_key, encode(event)) == event
