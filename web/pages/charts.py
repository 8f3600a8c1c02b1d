"""Charts drawn on the server as inline SVG: pure functions from numbers to markup, so a page needs no script and
the Content-Security-Policy stays strict (no inline style: colours come from SVG presentation attributes, overridable
by the stylesheet's classes).

A chart is an image for those who see it (`role="img"` with its `<title>` and `<desc>`); the page puts the same numbers
in a table beside it for everyone else, and for anyone who wants the exact figures.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from markupsafe import Markup, escape

# A small canvas with large type: on a 360 px phone the chart is drawn at about 0.6 of its size, and its words must
# stay readable there (at 1280 px the same chart is about 1.1 times its size).
WIDTH = 480
HEIGHT = 330
LEFT, RIGHT, TOP, BOTTOM = 44, 8, 62, 44  # margins: the axis labels left, the legend on top, categories below
FONT = 14  # category names and the legend
SMALL = 12  # the axis and the values above the bars
CHAR = 0.56  # average width of a character of the system sans-serif, in ems (for laying out the legend)
TICKS = (0, 25, 50, 75, 100)
# Fallback fills (the stylesheet's classes win): brand blue, a darker slate, the pattern's green band.
FILLS = ("#0b4f8a", "#5b6573", "#8a5300")
BAND_FILL = "#1d6b34"


@dataclass(frozen=True)
class Series:
    """One set of bars: a count per category (`key` names its CSS class, `chart-bar-<key>`)."""

    key: str
    label: str
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass(frozen=True)
class Band:
    """What a pattern allows one category, as shares of the whole in percent (low 0 and high 100: no bound)."""

    category: int
    low: Decimal
    high: Decimal
    label: str


def share(count: int, total: int) -> Decimal:
    """`count` of `total` in percent, to 2 places (half up); 0 of nothing is 0."""
    if total <= 0:
        return Decimal(0)
    return (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def percent_text(value: Decimal) -> str:
    """`33,33%`, `70%`: Indonesian decimal comma, no trailing zeros."""
    return format(value.normalize(), "f").replace(".", ",") + "%"


def bar_chart(
    *,
    chart_id: str,
    title: str,
    description: str,
    categories: Sequence[str],
    series: Sequence[Series],
    bands: Sequence[Band] = (),
) -> Markup:
    """A grouped bar chart of shares (each series' counts as percent of its own total, 0–100 % on the axis), with a
    shaded band where a pattern bounds a category, as one `<svg>` element."""
    if not series:
        raise ValueError("a chart needs at least one series")
    for one in series:
        if len(one.counts) != len(categories):
            raise ValueError(f"series {one.key} has {len(one.counts)} counts for {len(categories)} categories")
        if any(count < 0 for count in one.counts):
            raise ValueError(f"series {one.key} has a negative count")
    return _drawn(chart_id, title, description, tuple(categories), tuple(series), tuple(bands))


# The calibration page draws the same twenty-one charts on every view of a cycle at calibration (a fifth of its CPU
# at a province's size): a chart is a pure function of its arguments, so each process keeps the latest ones drawn.
@functools.lru_cache(maxsize=512)
def _drawn(
    chart_id: str,
    title: str,
    description: str,
    categories: tuple[str, ...],
    series: tuple[Series, ...],
    bands: tuple[Band, ...],
) -> Markup:
    svg_id = ident(chart_id)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / max(len(categories), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{svg_id}" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' role="img" aria-labelledby="{svg_id}-judul {svg_id}-uraian" focusable="false">',
        f'<title id="{svg_id}-judul">{escape(title)}</title>',
        f'<desc id="{svg_id}-uraian">{escape(description)}</desc>',
    ]
    parts += _axis(plot_w, plot_h)
    for band in bands:
        parts.append(_band(band, slot, plot_h))
    gap = slot * 0.15
    bar_w = (slot - 2 * gap) / len(series)
    for index, name in enumerate(categories):
        x0 = LEFT + index * slot
        for position, one in enumerate(series):
            count = one.counts[index]
            value = share(count, one.total)
            height = plot_h * float(value) / 100
            x = x0 + gap + position * bar_w
            y = TOP + plot_h - height
            fill = FILLS[position % len(FILLS)]
            label = f"{one.label}, {name}: {count} pegawai ({percent_text(value)})"
            parts.append(
                f'<rect class="chart-bar chart-bar-{ident(one.key)}" x="{_n(x)}" y="{_n(y)}" width="{_n(bar_w - 2)}"'
                f' height="{_n(height)}" fill="{fill}"><title>{escape(label)}</title></rect>'
            )
            parts.append(
                f'<text class="chart-value" x="{_n(x + (bar_w - 2) / 2)}" y="{_n(y - 4)}" text-anchor="middle"'
                f' font-size="{SMALL}">{escape(percent_text(value))}</text>'
            )
        parts += _category_label(name, x0 + slot / 2)
    parts += _legend(series, bool(bands))
    if all(one.total == 0 for one in series):
        parts.append(
            f'<text class="chart-empty" x="{_n(LEFT + plot_w / 2)}" y="{_n(TOP + plot_h / 2)}"'
            f' text-anchor="middle" font-size="{FONT}">belum ada data</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _axis(plot_w: float, plot_h: float) -> list[str]:
    parts = []
    for tick in TICKS:
        y = TOP + plot_h * (1 - tick / 100)
        parts.append(
            f'<line class="chart-grid" x1="{LEFT}" y1="{_n(y)}" x2="{_n(LEFT + plot_w)}" y2="{_n(y)}"'
            ' stroke="#c9d1da" stroke-width="1"/>'
        )
        parts.append(
            f'<text class="chart-tick" x="{LEFT - 6}" y="{_n(y + 4)}" text-anchor="end"'
            f' font-size="{SMALL}">{tick}%</text>'
        )
    return parts


def _band(band: Band, slot: float, plot_h: float) -> str:
    low, high = max(Decimal(0), band.low), min(Decimal(100), band.high)
    x = LEFT + band.category * slot + 2
    y_top = TOP + plot_h * (1 - float(high) / 100)
    y_low = TOP + plot_h * (1 - float(low) / 100)
    return (
        f'<rect class="chart-band" x="{_n(x)}" y="{_n(y_top)}" width="{_n(slot - 4)}" height="{_n(y_low - y_top)}"'
        f' fill="{BAND_FILL}" fill-opacity="0.14" stroke="{BAND_FILL}" stroke-dasharray="4 3">'
        f"<title>{escape(band.label)}</title></rect>"
    )


def _category_label(name: str, x: float) -> list[str]:
    """The category's name under its bars, on two lines when it is long (Butuh / Perbaikan)."""
    words = name.replace("/", "/ ").split()
    lines = [name]
    if len(name) > 12 and len(words) > 1:
        half = (len(words) + 1) // 2
        lines = [" ".join(words[:half]).replace("/ ", "/"), " ".join(words[half:]).replace("/ ", "/")]
    y = HEIGHT - BOTTOM + FONT + 4
    spans = "".join(
        f'<tspan x="{_n(x)}" dy="{0 if n == 0 else FONT + 2}">{escape(line)}</tspan>' for n, line in enumerate(lines)
    )
    return [f'<text class="chart-category" x="{_n(x)}" y="{y}" text-anchor="middle" font-size="{FONT}">{spans}</text>']


def _legend(series: Sequence[Series], banded: bool) -> list[str]:
    """A swatch and a name per series (and the pattern's band), in rows that wrap within the canvas."""
    entries: list[tuple[str, str]] = []
    for position, one in enumerate(series):
        fill = FILLS[position % len(FILLS)]
        entries.append((f'class="chart-bar-{ident(one.key)}" fill="{fill}"', one.label))
    if banded:
        entries.append(
            (f'class="chart-band" fill="{BAND_FILL}" fill-opacity="0.14" stroke="{BAND_FILL}"', "rentang pola")
        )
    parts, x, y = [], 8.0, 6.0
    for swatch, label in entries:
        width = FONT + 8 + len(label) * FONT * CHAR
        if x > 8 and x + width > WIDTH - RIGHT:
            x, y = 8.0, y + FONT + 8
        parts.append(f'<rect {swatch} x="{_n(x)}" y="{_n(y)}" width="{FONT}" height="{FONT}"/>')
        parts.append(
            f'<text class="chart-legend" x="{_n(x + FONT + 6)}" y="{_n(y + FONT - 2)}" font-size="{FONT}">'
            f"{escape(label)}</text>"
        )
        x += width + 16
    return parts


def ident(text: str) -> str:
    """An id or class fragment: letters, digits and hyphens only (whatever a unit code holds)."""
    cleaned = "".join(ch if ch.isascii() and (ch.isalnum() or ch == "-") else "-" for ch in text)
    return cleaned.strip("-") or "grafik"


def _n(value: float) -> str:
    """A coordinate with at most one decimal (no float noise in the markup)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text
