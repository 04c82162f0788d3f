"""The digest chart: reports per neighbourhood and needs by category, as a PNG.

Persian labels are given to matplotlib as they are: from 3.11 it shapes the letters (joined
forms) and lays them out right to left itself; shaping them beforehand, as older recipes do
with arabic_reshaper and python-bidi, would reverse them a second time. The tests check
that the letters come out joined.

matplotlib is imported on first use, not at start: it takes about a second to load and most
runs of the bot (and every command but `run`) never draw a chart. The object-oriented
`Figure` is used rather than pyplot, so no global figure state or GUI backend is involved.
Callers in the bot draw in a worker thread; one chart is drawn at a time (matplotlib's font
cache is not made for threads racing to build it)."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.locale.normalize import to_persian_digits
from bot.locale.text import t

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MAX_BARS = 10
_drawing = threading.Lock()


def shaped(text: str) -> str:
    """Persian text as matplotlib (≥ 3.11, which shapes and orders it) must be given it."""
    return text


def _bars(axis: Axes, title: str, rows: Sequence[tuple[str, int]]) -> None:
    rows = sorted(rows, key=lambda r: r[1])[-MAX_BARS:]
    labels = [shaped(label) for label, _ in rows]
    values = [value for _, value in rows]
    axis.barh(labels, values, color="#2a7f62")
    axis.set_title(shaped(title), fontsize=11)
    axis.tick_params(axis="y", labelsize=9)
    axis.invert_xaxis()          # bars grow from right to left, as Persian reads
    axis.yaxis.tick_right()
    for index, value in enumerate(values):
        axis.text(value, index, to_persian_digits(value) + " ", va="center", ha="right",
                  fontsize=8)
    axis.set_xticks([])
    for side in ("top", "left", "bottom"):
        axis.spines[side].set_visible(False)


def digest_chart(by_hood: Sequence[tuple[str, int]], by_need: Sequence[tuple[str, int]],
                 title: str) -> bytes:
    """A PNG with one or two horizontal bar charts."""
    panels = [(t("digest.chart_reports"), by_hood), (t("digest.chart_needs"), by_need)]
    panels = [(name, rows) for name, rows in panels if rows]
    height = 1.2 + sum(0.35 * min(len(rows), MAX_BARS) + 0.6 for _, rows in panels)
    with _drawing:
        return _draw(panels, title, max(height, 2.5))


def _draw(panels: list[tuple[str, Sequence[tuple[str, int]]]], title: str,
          height: float) -> bytes:
    """The figure as PNG bytes (see the module docstring for the import here)."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, height))
    axes = figure.subplots(len(panels) or 1, 1)
    axes_list = list(axes) if len(panels) > 1 else [axes]
    for axis, (name, rows) in zip(axes_list, panels, strict=False):
        _bars(axis, name, rows)
    figure.suptitle(shaped(title), fontsize=12)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
