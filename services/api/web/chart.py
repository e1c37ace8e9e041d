"""The usage chart's geometry: bars, a count axis and date labels, drawn as SVG by app.html.

Server-rendered SVG needs no script and no chart library; colours come from the stylesheet,
so the chart follows light and dark mode.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 610, 12, 222  # the plot area inside the view box


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    day: date
    count: int


@dataclass(frozen=True)
class Tick:
    at: float  # y for the count axis, x (centre) for dates
    label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    bars: list[Bar]
    counts: list[Tick]
    dates: list[Tick]
    total: int
    busiest: tuple[date, int] | None

    @property
    def summary(self) -> str:
        """The chart in one sentence, for screen readers."""
        if self.busiest is None:
            return "No messages in the last 30 days."
        day, n = self.busiest
        total = f"{self.total:,} message{'' if self.total == 1 else 's'}"
        return f"{total} in the last 30 days; the busiest day was {label(day)} with {n:,}."


def step_for(peak: int, ticks: int = 4) -> int:
    """A round step (1, 2 or 5 times a power of ten) so that `ticks` steps cover `peak`."""
    raw = max(peak, 1) / ticks
    power = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    for factor in (1, 2, 5, 10):
        if factor * power >= raw:
            return int(factor * power)
    return int(10 * power)  # pragma: no cover (the loop always returns)


def label(day: date) -> str:
    return f"{day.day} {day.strftime('%b')}"


def usage_chart(series: list[tuple[date, int]]) -> Chart:
    """Bars for each (day, count), oldest first, with a count axis and a date every week."""
    peak = max((n for _, n in series), default=0)
    step = step_for(peak)
    # At least four steps, so a quiet month still has a readable scale (0 to 4).
    top_value = max(step * math.ceil(peak / step), 4 * step if peak < 4 else step)
    plot_h, plot_w = BOTTOM - TOP, RIGHT - LEFT
    slot = plot_w / max(len(series), 1)

    def y_of(value: int) -> float:
        return BOTTOM - plot_h * value / top_value

    bars = [Bar(x=round(LEFT + i * slot + slot * 0.15, 2), y=round(y_of(n), 2),
                width=round(slot * 0.7, 2), height=round(BOTTOM - y_of(n), 2), day=d, count=n)
            for i, (d, n) in enumerate(series)]
    counts = [Tick(round(y_of(v), 2), f"{v:,}") for v in range(0, top_value + 1, step)]
    # Every 7th day from the newest backwards, so today always has its label.
    newest = len(series) - 1
    dates = [Tick(round(LEFT + i * slot + slot / 2, 2), label(series[i][0]))
             for i in range(newest, -1, -7)][::-1]
    busy = max(series, key=lambda s: s[1], default=None)
    return Chart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, bars, counts, dates,
                 total=sum(n for _, n in series),
                 busiest=busy if busy is not None and busy[1] > 0 else None)
