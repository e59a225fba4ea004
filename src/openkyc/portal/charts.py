"""Chart geometry for the portal's pages, drawn as inline SVG by templates/_charts.html.

The portal runs no script and its policy allows no inline style, so a chart is SVG made on the
server: this module computes where each shape goes (in the SVG's own units; the stylesheet scales
the drawing to its column) and the templates write the elements, coloured by CSS class. Every
shape carries a ``<title>`` (its value, for a pointer and for assistive technology) and every
chart has a table beside it with the same figures.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Series:
    """One kind of value: its name in the legend and titles, and its CSS class."""

    name: str
    css: str


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    css: str
    title: str


@dataclass(frozen=True)
class Tick:
    at: float  # x or y, in the chart's units
    label: str


@dataclass(frozen=True)
class ColumnChart:
    """Stacked columns, one per category (e.g. a day), its series stacked bottom up."""

    width: int
    height: int
    left: float
    top: float
    bottom: float  # y of the baseline
    right: float
    columns: list[Rect]  # a transparent band per category, titled with all its values
    rects: list[Rect]
    y_ticks: list[Tick]
    x_ticks: list[Tick]


def nice_ceiling(value: int, *, steps: int = 4) -> tuple[int, int]:
    """An axis top at or above ``value`` and its step (1, 2 or 5 times a power of ten) for about
    ``steps`` gridlines; (steps, 1) for small values so that an axis never has fractions."""
    if value <= steps:
        return max(value, 1), 1
    raw = value / steps
    power = 10 ** math.floor(math.log10(raw))
    step = next(multiple * power for multiple in (1, 2, 5, 10) if multiple * power >= raw)
    return int(math.ceil(value / step) * step), int(step)


def column_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    values: Sequence[Sequence[int]],
    *,
    titles: Sequence[str] | None = None,
    labelled: Sequence[bool] | None = None,
    width: int = 760,
    height: int = 240,
) -> ColumnChart:
    """Columns for ``categories``; ``values[i][j]`` is series ``j`` of category ``i``.

    ``titles``: each category's full name for the titles (default: the category); ``labelled``:
    which categories get a label under the axis (default: all).
    """
    left, right, top, bottom = 40.0, width - 8.0, 10.0, height - 26.0
    count = max(len(categories), 1)
    slot = (right - left) / count
    bar = max(slot * 0.72, 1.0)
    top_value, step = nice_ceiling(max((sum(column) for column in values), default=0))
    scale = (bottom - top) / top_value
    names = titles or categories
    columns: list[Rect] = []
    rects: list[Rect] = []
    x_ticks: list[Tick] = []
    for index, (category, column) in enumerate(zip(categories, values, strict=True)):
        x = left + index * slot + (slot - bar) / 2
        described = ", ".join(f"{value} {kind.name}" for kind, value in zip(series, column, strict=True))
        columns.append(
            Rect(left + index * slot, top, slot, bottom - top, "band", f"{names[index]}: {described}")
        )
        y = bottom
        for kind, value in zip(series, column, strict=True):
            if value <= 0:
                continue
            height_of = value * scale
            y -= height_of
            rects.append(Rect(x, y, bar, height_of, kind.css, f"{names[index]}: {value} {kind.name}"))
        if labelled is None or labelled[index]:
            x_ticks.append(Tick(left + index * slot + slot / 2, category))
    y_ticks = [Tick(bottom - value * scale, str(value)) for value in range(0, top_value + 1, step)]
    return ColumnChart(width, height, left, top, bottom, right, columns, rects, y_ticks, x_ticks)


@dataclass(frozen=True)
class BarRow:
    label: str
    y: float
    fill: float  # width of the filled part
    text: str  # what the row says at its end
    title: str


@dataclass(frozen=True)
class BarChart:
    """Horizontal bars of a share (0 to 1), one row per item, on a full-width track."""

    width: int
    height: int
    track_x: float
    track_width: float
    bar_height: float
    rows: list[BarRow]


def share_bars(
    items: Sequence[tuple[str, float | None, str]], *, width: int = 760, row_height: int = 30
) -> BarChart:
    """A row per ``(label, share or None, text)``; None draws an empty track."""
    track_x, track_width = 220.0, width - 220.0 - 170.0
    rows = [
        BarRow(
            label=label,
            y=index * row_height + 6.0,
            fill=track_width * min(max(share, 0.0), 1.0) if share is not None else 0.0,
            text=text,
            title=f"{label}: {text}",
        )
        for index, (label, share, text) in enumerate(items)
    ]
    return BarChart(width, max(len(rows), 1) * row_height + 4, track_x, track_width, row_height - 12.0, rows)
