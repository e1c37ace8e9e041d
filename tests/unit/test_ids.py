"""Keys and tokens are exactly `length` ASCII letters and digits: nothing else that Python
calls alphanumeric ("é", "²", Arabic-Indic digits) gets past the check every send makes."""

from __future__ import annotations

import pytest
from overpush.ids import is_key, random_key


@pytest.mark.parametrize("value", ["a" * 29, "a" * 31, "", "é" * 30, "²" + "a" * 29,
                                   "a" * 29 + "\u0661", "a" * 29 + "-", "a" * 29 + " "])
def test_not_a_key(value: str) -> None:
    assert not is_key(value)


def test_keys() -> None:
    assert is_key("A1" * 15)
    assert all(is_key(random_key()) for _ in range(100))
    assert is_key("z" * 40, 40)
