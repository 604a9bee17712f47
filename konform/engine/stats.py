"""Rolling outcome counts and duration samples: what the pacer measures, per campaign.

Counts live in sliding windows (the last hour and the last 24 hours by default) with amortised
O(1) updates, because the pacer asks for them after every call event. Durations (talk, dial to
AMD decision) keep the last ``size`` samples in sorted order for quantiles and the conditional
"ends within h seconds" probability the predictive pacer uses for agents still talking.
"""

from __future__ import annotations

import bisect
from collections import Counter, deque
from dataclasses import dataclass, field

__all__ = ["DAY", "HOUR", "CampaignStats", "Samples", "Window"]

HOUR = 3600.0
DAY = 86400.0

# Event kinds counted per campaign.
DIALLED = "dialled"
HUMAN = "human"
MACHINE = "machine"
NO_ANSWER = "no_answer"
ABANDONED = "abandoned"
BRIDGED = "bridged"


@dataclass(slots=True)
class Window:
    """Counts of event kinds within the last ``span`` seconds."""

    span: float
    _events: deque[tuple[float, str]] = field(default_factory=deque)
    _counts: Counter[str] = field(default_factory=Counter)

    def add(self, now: float, kind: str) -> None:
        self._events.append((now, kind))
        self._counts[kind] += 1

    def count(self, kind: str, now: float) -> int:
        self._expire(now)
        return self._counts[kind]

    def _expire(self, now: float) -> None:
        edge = now - self.span
        events, counts = self._events, self._counts
        while events and events[0][0] <= edge:
            counts[events.popleft()[1]] -= 1


class Samples:
    """The last ``size`` durations, kept sorted."""

    def __init__(self, size: int = 500) -> None:
        self.size = size
        self._order: deque[float] = deque()
        self._sorted: list[float] = []

    def __len__(self) -> int:
        return len(self._sorted)

    def add(self, value: float) -> None:
        self._order.append(value)
        bisect.insort(self._sorted, value)
        if len(self._order) > self.size:
            old = self._order.popleft()
            del self._sorted[bisect.bisect_left(self._sorted, old)]

    def quantile(self, q: float) -> float:
        data = self._sorted
        return data[min(len(data) - 1, int(q * len(data)))] if data else 0.0

    def survival(self, elapsed: float) -> float:
        """Share of samples longer than ``elapsed`` (1 with no samples)."""
        data = self._sorted
        if not data:
            return 1.0
        return (len(data) - bisect.bisect_right(data, elapsed)) / len(data)

    def ends_within(self, elapsed: float, horizon: float) -> float:
        """P(duration <= elapsed + horizon | duration > elapsed), from the samples.

        0 when no sample lasted longer than ``elapsed`` (nothing known: assume it goes on).
        """
        data = self._sorted
        longer = len(data) - bisect.bisect_right(data, elapsed)
        if longer == 0:
            return 0.0
        if horizon <= 0:
            return 0.0
        done = bisect.bisect_right(data, elapsed + horizon) - bisect.bisect_right(data, elapsed)
        return done / longer


class CampaignStats:
    """One campaign's counts over the last hour and the last 24 hours."""

    def __init__(self) -> None:
        self.hour = Window(HOUR)
        self.day = Window(DAY)

    def add(self, now: float, kind: str) -> None:
        self.hour.add(now, kind)
        self.day.add(now, kind)

    def abandon_rate(self, now: float, window: Window) -> float:
        """Abandoned calls / people answered (AMD said human) in ``window``; 0 with no answer."""
        humans = window.count(HUMAN, now)
        return window.count(ABANDONED, now) / humans if humans else 0.0

    def resolved(self, now: float) -> int:
        """Lines with a known outcome (person, machine, no answer/busy/failed), last 24 hours."""
        day = self.day
        return day.count(HUMAN, now) + day.count(MACHINE, now) + day.count(NO_ANSWER, now)

    def answer_rate(self, now: float) -> float:
        """People answered / lines with an outcome over the last 24 hours (lines still ringing
        are left out: counting them would understate the rate and over-dial)."""
        resolved = self.resolved(now)
        return self.day.count(HUMAN, now) / resolved if resolved else 0.0

    def machine_rate(self, now: float) -> float:
        dialled = self.day.count(DIALLED, now)
        return self.day.count(MACHINE, now) / dialled if dialled else 0.0
