"""Bar charts drawn on the server as accessible SVG; the same figures feed the table beside them.

Every piece of text goes through Markupsafe (`Markup.format` escapes its arguments), so a
federation or a kind may be named anything. No `style` attribute: the CSP forbids inline
styles, so colours and fonts come from classes in forum/static/tribune.css. The picture is one
`role="img"` named by its `<title>` and `<desc>`; the words and numbers it draws are repeated
in a table (templates/_chart.html) for whoever does not see it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from babel.dates import format_date
from markupsafe import Markup

WIDTH = 360  # viewBox units; the picture scales to the column (CSS), so it fits a 375 px phone
VALUE_ROOM = 64  # right of the longest bar, for its number
ROW = 40  # a label line, then its bar
GROUP_HEAD = 26
LABEL_CHARS = 46  # longer labels are cut in the picture; the table keeps them whole


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


@dataclass(frozen=True)
class Group:
    """Bars drawn under one heading (a month); an empty label draws no heading."""

    label: str
    bars: tuple[Bar, ...]


def figure(value: int) -> str:
    """A count as French typography writes it: thin no-break space between thousands."""
    return f"{value:,}".replace(",", "\u202f")


def month_label(year: int, month: int, locale: str = "fr") -> str:
    """"novembre 2026" (or "November 2026")."""
    return format_date(dt.date(year, month, 1), "LLLL y", locale=locale)


def _cut(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


@dataclass(frozen=True)
class BarChart:
    groups: tuple[Group, ...]

    @classmethod
    def of(cls, rows: Iterable[tuple[str, int]]) -> BarChart:
        """One series, no headings: (label, value) rows in the order to draw them."""
        return cls((Group("", tuple(Bar(label, value) for label, value in rows)),))

    @property
    def grouped(self) -> bool:
        return any(group.label for group in self.groups)

    @property
    def total(self) -> int:
        return sum(bar.value for group in self.groups for bar in group.bars)

    @property
    def empty(self) -> bool:
        """Nothing to draw: the page says so in a sentence instead."""
        return self.total == 0

    def svg(self, chart_id: str, title: str, description: str) -> Markup:
        """The chart as inline SVG named by `title` and described by `description`."""
        most = max((bar.value for group in self.groups for bar in group.bars), default=0) or 1
        room = WIDTH - VALUE_ROOM
        parts: list[Markup] = []
        y = 4
        for group in self.groups:
            if group.label:
                parts.append(Markup('<text class="chart-group" x="0" y="{}">{}</text>').format(y + 16, _cut(group.label)))
                y += GROUP_HEAD
            for bar in group.bars:
                width = round(bar.value / most * room)
                if bar.value and width < 2:
                    width = 2  # a small count stays visible
                parts.append(Markup(
                    '<g class="chart-row"><text class="chart-label" x="0" y="{}">{}</text>'
                    '<rect class="chart-bar" x="0" y="{}" width="{}" height="14" rx="2"></rect>'
                    '<text class="chart-value" x="{}" y="{}">{}</text></g>'
                ).format(y + 13, _cut(bar.label), y + 18, width, width + 6, y + 30, figure(bar.value)))
                y += ROW
        height = y + 4
        return Markup(
            '<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" role="img" focusable="false"'
            ' aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" width="{w}" height="{h}">'
            '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>'
        ).format(id=chart_id, w=WIDTH, h=height, title=title, desc=description, body=Markup("").join(parts))
