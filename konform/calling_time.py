"""Calling time: weekly windows, where the callee is (time zones and holidays), contact regions.

A call must be allowed where the person is: in every time zone their number may ring in and in
the zone of the region they live in (strictest wins), and on no public holiday of that region nor
of the number's country. Which hours a jurisdiction allows is :mod:`konform.jurisdictions`' part;
``LEGAL_WINDOW`` (Monday to Saturday, 08:00 to 20:00) is the German frame. Holidays come from the
``holidays`` package, for Germany with the ``catholic`` category included (Assumption Day in
Bavaria); when the subdivision is unknown, the holidays of every subdivision of the country count
(the area code never tells the Bundesland).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import holidays
from phonenumbers import (
    country_code_for_region,
    region_code_for_country_code,
    region_code_for_number,
)
from phonenumbers import parse as parse_number
from phonenumbers import timezone as number_timezone
from phonenumbers.tzdata import TIMEZONE_DATA

__all__ = [
    "GERMAN_STATES",
    "LEGAL_WINDOW",
    "CallingWindow",
    "Places",
    "holiday_at",
    "holiday_name",
    "parse_window",
    "places",
    "valid_region",
    "zones_for_number",
    "zones_for_region",
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
    if names:
        return tuple(ZoneInfo(name) for name in names)
    # Numbers without a place (mobiles of many countries): every zone of the country code.
    return _zones_of_calling_code(parsed.country_code) or (BERLIN,)


@functools.cache
def _zones_of_calling_code(code: int) -> tuple[ZoneInfo, ...]:
    names = TIMEZONE_DATA.get(str(code), ())
    return tuple(ZoneInfo(n) for n in names if n != number_timezone.UNKNOWN_TIMEZONE)


@functools.cache
def _subdivisions(country: str) -> frozenset[str]:
    try:
        return frozenset(holidays.list_supported_countries()[country])
    except KeyError:
        return frozenset()


def valid_region(text: str) -> str:
    """The contact region in canonical form, or ValueError.

    A region is a German state (``DE-BE``), a country (ISO 3166-1 alpha-2: ``DE``, ``NL``, ``AT``)
    or a subdivision of a country the ``holidays`` package knows (ISO 3166-2 style, ``AT-9``).
    """
    region = text.strip().upper()
    country, dash, sub = region.partition("-")
    if len(country) != 2 or not country.isalpha() or country_code_for_region(country) == 0:
        raise ValueError(
            f"region {text.strip()!r} is not a country code (DE, NL, AT …) or DE-BW … DE-TH"
        )
    if not dash:
        return country
    if country == "DE":
        if region not in GERMAN_STATES:
            raise ValueError(f"region {text.strip()!r} is not one of DE-BW … DE-TH")
        return region
    if sub not in _subdivisions(country):
        raise ValueError(
            f"region {text.strip()!r}: {sub!r} is not a known subdivision of {country}"
        )
    return region


@functools.cache
def zones_for_region(region: str) -> tuple[ZoneInfo, ...]:
    """The time zones of a contact region (a whole country's zones when it has several)."""
    country = region.partition("-")[0]
    if country == "DE":
        return (BERLIN,)
    return _zones_of_calling_code(country_code_for_region(country))


@dataclass(frozen=True, slots=True)
class Places:
    """Where a callee may be: the zones to check the hour in and the holiday tables that apply."""

    zones: tuple[ZoneInfo, ...]
    holidays: tuple[tuple[str, str | None], ...]
    """(country, subdivision or None for "any subdivision") pairs."""


@functools.lru_cache(maxsize=4096)
def _places(country: str | None, region: str | None, number_zones: tuple[ZoneInfo, ...]) -> Places:
    zones = list(number_zones)
    tables: list[tuple[str, str | None]] = []
    region_country, _, region_sub = (region or "").partition("-")
    if country is not None:
        same = region_country == country
        tables.append((country, (region_sub or None) if same else None))
    if region:
        for zone in zones_for_region(region):
            if zone not in zones:
                zones.append(zone)
        table = (region_country, region_sub or None)
        if table not in tables:
            tables.append(table)
    return Places(tuple(zones), tuple(tables))


def places(e164: str, region: str | None) -> Places:
    """Where the owner of ``e164`` living in ``region`` may be (strictest of both wins)."""
    if e164.startswith("+49"):
        country: str | None = "DE"
        zones: tuple[ZoneInfo, ...] = (BERLIN,)
    else:
        parsed = parse_number(e164, None)
        country = region_code_for_number(parsed) or region_code_for_country_code(
            parsed.country_code or 0
        )
        if country in (None, "ZZ", "001"):
            country = None
        zones = zones_for_number(e164)
    return _places(country, region, zones)


def holiday_at(day: date, tables: tuple[tuple[str, str | None], ...], language: str) -> str | None:
    """The first holiday name of ``day`` in any of the tables, else None."""
    for country, subdivision in tables:
        name = _holidays_of(country, subdivision, day.year, language).get(day)
        if name is not None:
            return name
    return None


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
        subdivisions = [subdivision] if subdivision else [None, *sorted(_subdivisions(country))]
        found = {}
        for sub in subdivisions:
            table = holidays.country_holidays(country, subdiv=sub, years=year)
            for day, name in table.items():
                found.setdefault(day, name if sub is None or subdivision else f"{name} ({sub})")
        return found
    except NotImplementedError:
        return {}


def holiday_name(day: date, country: str, region: str | None, language: str = "de") -> str | None:
    """The holiday's name if ``day`` is a public holiday where the callee lives, else None.

    ``region`` is an ISO 3166-2 code like ``DE-BY``; None means "any state of the country".
    """
    subdivision = region.split("-", 1)[1] if region and region.startswith(f"{country}-") else None
    return _holidays_of(country, subdivision, day.year, language).get(day)
