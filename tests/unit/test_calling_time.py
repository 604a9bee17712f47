"""Calling windows, time zones and the 2026 public holidays of all 16 German states."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from konform.calling_time import (
    GERMAN_STATES,
    LEGAL_WINDOW,
    CallingWindow,
    holiday_at,
    holiday_name,
    parse_window,
    places,
    valid_region,
    zones_for_number,
)

NATIONWIDE_2026 = {
    date(2026, 1, 1), date(2026, 4, 3), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 14),
    date(2026, 5, 25), date(2026, 10, 3), date(2026, 12, 25), date(2026, 12, 26),
}  # fmt: skip
# Beyond the nationwide days, per state (written down from the Länder's holiday laws; the
# catholic-only days, Assumption in Bavaria and Corpus Christi in parts of Saxony and Thuringia,
# block too: the municipality is unknown, so konform errs on the side of not calling).
STATE_2026 = {
    "DE-BW": {(1, 6), (6, 4), (11, 1)},
    "DE-BY": {(1, 6), (6, 4), (8, 15), (11, 1)},
    "DE-BE": {(3, 8)},
    "DE-BB": {(4, 5), (5, 24), (10, 31)},
    "DE-HB": {(10, 31)},
    "DE-HH": {(10, 31)},
    "DE-HE": {(6, 4)},
    "DE-MV": {(3, 8), (10, 31)},
    "DE-NI": {(10, 31)},
    "DE-NW": {(6, 4), (11, 1)},
    "DE-RP": {(6, 4), (11, 1)},
    "DE-SL": {(6, 4), (8, 15), (11, 1)},
    "DE-SN": {(6, 4), (10, 31), (11, 18)},
    "DE-ST": {(1, 6), (10, 31)},
    "DE-SH": {(10, 31)},
    "DE-TH": {(6, 4), (9, 20), (10, 31)},
}


def _holidays(region: str | None) -> set[date]:
    day = date(2026, 1, 1)
    found = set()
    while day.year == 2026:
        if holiday_name(day, "DE", region) is not None:
            found.add(day)
        day = date.fromordinal(day.toordinal() + 1)
    return found


def test_all_sixteen_states_are_covered() -> None:
    assert sorted(STATE_2026) == sorted(GERMAN_STATES)


@pytest.mark.parametrize("region", sorted(STATE_2026))
def test_2026_holidays_per_state(region: str) -> None:
    expected = NATIONWIDE_2026 | {date(2026, m, d) for m, d in STATE_2026[region]}
    assert _holidays(region) == expected


def test_unknown_state_blocks_every_states_holiday() -> None:
    union = set(NATIONWIDE_2026)
    for days in STATE_2026.values():
        union |= {date(2026, m, d) for m, d in days}
    assert _holidays(None) == union


def test_assumption_day_in_bavaria_but_not_in_berlin() -> None:
    assert holiday_name(date(2026, 8, 15), "DE", "DE-BY") == "Mariä Himmelfahrt"
    assert holiday_name(date(2026, 8, 15), "DE", "DE-BE") is None
    assert holiday_name(date(2026, 8, 15), "DE", "DE-BY", "en") == "Assumption Day"


def test_parse_window_forms() -> None:
    assert parse_window("Mon-Sat 08:00-20:00") == LEGAL_WINDOW
    w = parse_window("Mon,Wed,Fri 10:00-12:30")
    assert w.days == frozenset({0, 2, 4})
    assert (w.start, w.end) == (time(10), time(12, 30))
    assert str(w) == "Mon,Wed,Fri 10:00-12:30"
    assert str(parse_window("mon-fri 9:00-18:00")) == "Mon-Fri 09:00-18:00"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Mon-Sat",
        "Mon-Sat 20:00-08:00",
        "Fri-Mon 09:00-10:00",
        "Xyz 09:00-10:00",
        "Mon 25:00-26:00",
    ],
)
def test_parse_window_refuses_nonsense(text: str) -> None:
    with pytest.raises(ValueError, match=r"calling window|day range|weekday|time of day"):
        parse_window(text)


def test_window_narrowing() -> None:
    assert parse_window("Mon-Fri 09:00-18:00").within(LEGAL_WINDOW)
    assert not parse_window("Mon-Sun 09:00-18:00").within(LEGAL_WINDOW)
    assert not parse_window("Mon-Fri 07:30-18:00").within(LEGAL_WINDOW)
    assert not parse_window("Mon-Fri 09:00-20:30").within(LEGAL_WINDOW)


def test_hour_edges_are_half_open() -> None:
    window = CallingWindow(frozenset(range(6)), time(8), time(20))
    monday = datetime(2026, 11, 23)
    assert not window.hour_allowed(monday.replace(hour=7, minute=59, second=59))
    assert window.hour_allowed(monday.replace(hour=8))
    assert window.hour_allowed(monday.replace(hour=19, minute=59, second=59))
    assert not window.hour_allowed(monday.replace(hour=20))


def test_zones() -> None:
    assert [z.key for z in zones_for_number("+49301234567")] == ["Europe/Berlin"]
    assert [z.key for z in zones_for_number("+4315123456")] == ["Europe/Vienna"]


def test_a_number_without_a_place_gets_its_countrys_zones() -> None:
    # A reserved UK mobile range has no zone of its own: all UK zones, not Berlin.
    assert "Europe/London" in [z.key for z in zones_for_number("+447700900123")]


def test_places_join_the_number_and_the_region() -> None:
    berliner_uk = places("+447911123456", "DE-BE")
    assert "Europe/Berlin" in [z.key for z in berliner_uk.zones]
    assert "Europe/London" in [z.key for z in berliner_uk.zones]
    assert ("DE", "BE") in berliner_uk.holidays
    assert places("+49301234567", "DE-BE").holidays == (("DE", "BE"),)
    assert places("+49301234567", None).holidays == (("DE", None),)
    dutch_german = places("+49301234567", "NL")
    assert dutch_german.holidays == (("DE", None), ("NL", None))
    assert holiday_at(date(2026, 4, 27), dutch_german.holidays, "en") == "King's Day"
    assert holiday_at(date(2026, 4, 28), dutch_german.holidays, "en") is None


def test_region_validation() -> None:
    assert valid_region("de-by") == "DE-BY"
    assert valid_region("CH") == "CH"
    with pytest.raises(ValueError, match="not one of DE-BW"):
        valid_region("DE-XX")
    with pytest.raises(ValueError, match="not a country code"):
        valid_region("ZZ")
