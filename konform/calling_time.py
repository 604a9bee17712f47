"""Calling time: the allowed weekly window, the callee's time zone and public holidays.

The legal frame is Monday to Saturday, 08:00 to 20:00 local time (a call starts before 20:00); a
campaign may only narrow it. Holidays come from the ``holidays`` package with the ``catholic``
category included (Assumption Day in Bavaria), for the contact's Bundesland, or for any German
state when the state is unknown (the area code never tells the state).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import holidays
from phonenumbers import parse as parse_number
from phonenumbers import region_code_for_number
from phonenumbers import timezone as number_timezone

__all__ = [
    "GERMAN_STATES",
    "LEGAL_WINDOW",
    "CallingWindow",
    "holiday_name",
    "parse_window",
    "zones_for_number",
]

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
GERMAN_STATES = tuple(
    f"DE-{code}"
    for code in (
        "BW", "BY", "BE", "BB", "HB", "HH", "HE", "MV",
        "NI", "NW", "RP", "SL", "SN", "ST", "SH", "TH",
    )
)  # fmt: skip
_HOLIDAY_CATEGORIES = ("public", "catholic")
BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True, slots=True)
class CallingWindow:
    """Weekdays (0 = Monday) and a local time span ``[start, end)`` in which calls may start."""

    days: frozenset[int]
    start: time
    end: time

    def __str__(self) -> str:
        return f"{_days_text(self.days)} {self.start:%H:%M}-{self.end:%H:%M}"

    def day_allowed(self, local: datetime) -> bool:
        return local.weekday() in self.days

    def hour_allowed(self, local: datetime) -> bool:
        return self.start <= local.time().replace(tzinfo=None) < self.end

    def within(self, outer: CallingWindow) -> bool:
        """True when this window allows nothing that ``outer`` forbids."""
        return self.days <= outer.days and outer.start <= self.start and self.end <= outer.end


LEGAL_WINDOW = CallingWindow(frozenset(range(6)), time(8, 0), time(20, 0))

_WINDOW_RE = re.compile(
    r"^\s*(?P<days>[A-Za-z,\- ]+?)\s+(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*$"
)


def parse_window(text: str) -> CallingWindow:
    """Parse ``"Mon-Sat 09:00-18:00"`` or ``"Mon,Wed,Fri 10:00-12:00"``; ValueError if malformed."""
    match = _WINDOW_RE.match(text)
    if match is None:
        raise ValueError(f"calling window {text!r} is not like 'Mon-Sat 09:00-18:00'")
    days: set[int] = set()
    for part in match["days"].replace(" ", "").split(","):
        first, _, last = part.partition("-")
        lo = _day_index(first)
        hi = _day_index(last) if last else lo
        if hi < lo:
            raise ValueError(f"day range {part!r} runs backwards")
        days.update(range(lo, hi + 1))
    start, end = _clock(match["start"]), _clock(match["end"])
    if not start < end:
        raise ValueError(f"calling window {text!r} ends before it starts")
    return CallingWindow(frozenset(days), start, end)


def _day_index(name: str) -> int:
    try:
        return DAY_NAMES.index(name[:3].capitalize())
    except ValueError:
        raise ValueError(f"unknown weekday {name!r} (use Mon Tue Wed Thu Fri Sat Sun)") from None


def _clock(text: str) -> time:
    hours, minutes = (int(x) for x in text.split(":"))
    if hours == 24 and minutes == 0:
        return time.max
    if not (0 <= hours < 24 and 0 <= minutes < 60):
        raise ValueError(f"{text!r} is not a time of day")
    return time(hours, minutes)


def _days_text(days: Iterable[int]) -> str:
    ordered = sorted(days)
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    return ",".join(
        DAY_NAMES[r[0]] if len(r) == 1 else f"{DAY_NAMES[r[0]]}-{DAY_NAMES[r[-1]]}" for r in runs
    )


def zones_for_number(e164: str) -> tuple[ZoneInfo, ...]:
    """The callee's possible time zones: Europe/Berlin for German numbers, else all candidates."""
    if e164.startswith("+49"):
        return (BERLIN,)
    parsed = parse_number(e164, None)
    if region_code_for_number(parsed) == "DE":
        return (BERLIN,)
    names = [
        name
        for name in number_timezone.time_zones_for_number(parsed)
        if name != number_timezone.UNKNOWN_TIMEZONE
    ]
    return tuple(ZoneInfo(name) for name in names) or (BERLIN,)


@functools.lru_cache(maxsize=512)
def _holidays_of(
    country: str, subdivision: str | None, year: int, language: str
) -> dict[date, str]:
    names = "de" if language == "de" else "en_US"
    if country == "DE":
        states = [subdivision] if subdivision else [s.removeprefix("DE-") for s in GERMAN_STATES]
        found: dict[date, str] = {}
        for state in states:
            table = holidays.country_holidays(
                "DE", subdiv=state, years=year, categories=_HOLIDAY_CATEGORIES, language=names
            )
            for day, name in table.items():
                found.setdefault(day, name if subdivision else f"{name} ({state})")
        return found
    try:
        return dict(holidays.country_holidays(country, years=year).items())
    except NotImplementedError:
        return {}


def holiday_name(day: date, country: str, region: str | None, language: str = "de") -> str | None:
    """The holiday's name if ``day`` is a public holiday where the callee lives, else None.

    ``region`` is an ISO 3166-2 code like ``DE-BY``; None means "any state of the country".
    """
    subdivision = region.split("-", 1)[1] if region and region.startswith(f"{country}-") else None
    return _holidays_of(country, subdivision, day.year, language).get(day)
