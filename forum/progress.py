"""A progress line for long commands: counts, rate and time left, redrawn in place."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _number(value: float, decimals: int = 0) -> str:
    """A number as French writes it: narrow no-break space between thousands, decimal comma."""
    return f"{value:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


class Progress:
    def __init__(self, label: str, total: int, stream: TextIO | None = None) -> None:
        self.label = label
        self.total = max(total, 0)
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self._last_draw = 0.0

    def update(self, done: int, total: int | None = None, force: bool = False) -> None:
        if total is not None:
            self.total = total
        now = time.monotonic()
        if not force and now - self._last_draw < 0.2 and done < self.total:
            return
        self._last_draw = now
        elapsed = now - self.started
        rate = done / elapsed if elapsed > 0 else 0.0
        left = (self.total - done) / rate if rate > 0 else 0.0
        width = 24
        filled = int(width * done / self.total) if self.total else width
        bar = "█" * filled + "░" * (width - filled)
        percent = 100 * done / self.total if self.total else 100.0
        self.stream.write(
            f"\r{self.label} {bar} {_number(done)}/{_number(self.total)} ({_number(percent, 1):>5}\u202f%) "
            f"· {_number(rate)}/s · reste {_number(left):>4}\u00a0s "
        )
        self.stream.flush()

    def finish(self) -> None:
        self.update(self.total, force=True)
        elapsed = time.monotonic() - self.started
        self.stream.write(f"\n{self.label}\u00a0: terminé en {_number(elapsed, 1)}\u00a0s\n")
        self.stream.flush()
