"""A small progress bar for long imports, drawn on stderr only when it is a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Progress of ``total`` units (bytes, rows); silent unless ``stream`` is a terminal."""

    def __init__(self, total: int, label: str, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.done = 0
        self.started = time.monotonic()
        self._drawn_at = 0.0

    def advance_to(self, done: int, rows: int) -> None:
        self.done = done
        now = time.monotonic()
        if self.enabled and now - self._drawn_at >= 0.1:
            self._drawn_at = now
            self._draw(rows, now)

    def _draw(self, rows: int, now: float) -> None:
        fraction = min(self.done / self.total, 1.0)
        width = 30
        filled = int(fraction * width)
        rate = rows / max(now - self.started, 1e-9)
        self.stream.write(
            f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {fraction:6.1%}"
            f"  {rows:,} rows  {rate:,.0f} rows/s"
        )
        self.stream.flush()

    def finish(self, rows: int) -> None:
        if self.enabled:
            self.done = self.total
            self._draw(rows, time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
