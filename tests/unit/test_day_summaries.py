"""Day summaries (migration 9): a scrape of ``/metrics`` and a campaign's all-time report read
the summaries of closed days plus the attempts not summarised yet plus the retired tallies, and
give exactly what counting every row gives, whenever the summaries are made and whatever
retention (GDPR Art. 5 (1) e) and erasure (Art. 17) do before and after."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from konform.policy import Campaign
from konform.store import attempts, campaigns, console, gdpr, report, retention, summaries
from konform.store.database import Store, open_store, utc_text
from konform.store.schema import SCHEMA_VERSION
from konform.store.worker import StoreWorker
from tests.unit.privacy_seed import NAME, NUMBER, seed
from tests.unit.schema_rewind import rewind
from tests.unit.test_retired_tallies import (
    AT,
    LIMITS,
    NOTE,
    OTHER,
    UNTIL,
    _attempt,
    _calls,
    _reports,
    _same_reports,
    _scrape,
)

DAYS = (0, 1, 200, 500, 1500)
LATE = AT + timedelta(days=5000)
"""After every day of the calls (some are after the real today)."""


def _fill(store: Store) -> Store:
    """The calls of test_retired_tallies: two campaigns, two numbers, five days."""
    seed(store)
    seed(store, OTHER)
    campaigns.add(store, Campaign("autumn", "+49305550001", "sales"))
    for days in DAYS:
        _calls(store, NUMBER, AT + timedelta(days=days))
        _calls(store, OTHER, AT + timedelta(days=days, hours=3))
    return store


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Store, Store]]:
    """Two stores with the same calls: one gets day summaries, the other never."""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with (
        open_store(tmp_path / "a" / "konform.db") as summarised,
        open_store(tmp_path / "b" / "konform.db") as plain,
    ):
        yield _fill(summarised), _fill(plain)


def _summary_rows(store: Store) -> list[tuple[object, ...]]:
    return store.conn.execute("SELECT * FROM day_summaries ORDER BY 1, 2, 3, 4").fetchall()


def _marked(store: Store) -> int:
    return int(
        store.conn.execute("SELECT count(*) FROM call_attempts WHERE summarised = 1").fetchone()[0]
    )


def _both(pair: tuple[Store, Store], step: Callable[[Store], object]) -> None:
    for store in pair:
        step(store)


def _wallboards(store: Store) -> list[dict[str, object]]:
    """The all-time wallboard figures of both campaigns (to a fixed end)."""
    return [report.campaign_wallboard(store, n, None, UNTIL) for n in ("spring", "autumn")]


def _erase(number: str) -> Callable[[Store], object]:
    def erase(store: Store) -> None:
        with store.transaction():
            gdpr.erase(store, number, why="request")

    return erase


def _retain(days: int) -> Callable[[Store], object]:
    return lambda store: retention.run(store, AT + timedelta(days=days), LIMITS)


def test_figures_are_the_same_with_and_without_summaries(pair: tuple[Store, Store]) -> None:
    """Summaries made between retention runs and erasures, at several points: the scrape text
    is byte-identical and the all-time reports equal to those of the store that counts every
    row, and to the figures before anything was deleted."""
    summarised, plain = pair
    first = _scrape(plain)
    reports = _reports(plain)
    missed = [w["missed"] for w in _wallboards(plain)]
    assert missed[0] == {"no_answer": 10, "abandoned": 10, "hung_up_waiting": 10}
    assert _scrape(summarised) == first
    steps: list[tuple[int | None, Callable[[Store], object]]] = [
        (2, _retain(100)),  # day 0 summarised, day 1 still live
        (None, _retain(400)),  # blocked rows of live days go, details cleared
        (3, _erase(NUMBER)),  # erasure after a summary
        (450, _retain(1000)),
        (None, _erase(OTHER)),  # erasure of summarised and live rows
        (1600, _retain(1900)),
        (2100, _retain(2200)),  # keyed rows of summarised days go
        (None, _retain(4000)),  # every row and opt-out audit row goes
        (4001, _retain(4001)),
    ]
    for summarise_at, step in steps:
        if summarise_at is not None:
            summaries.summarise(summarised, AT + timedelta(days=summarise_at))
        _both(pair, step)
        assert _scrape(summarised) == _scrape(plain) == first, summarise_at
        _same_reports(reports, _reports(summarised))
        _same_reports(_reports(plain), _reports(summarised))
        assert _wallboards(summarised) == _wallboards(plain), summarise_at
        # The missed calls people hung up on stay counted (tallied since migration 9).
        assert [w["missed"] for w in _wallboards(summarised)] == missed, summarise_at
    assert _summary_rows(summarised)


def test_a_summary_holds_closed_days_only_and_is_made_once(pair: tuple[Store, Store]) -> None:
    store, plain = pair
    # A day is closed once the next one is over (UTC): 2026-03-01 at 2026-03-03 00:00.
    assert summaries.summarise(store, AT + timedelta(days=1, hours=13, minutes=59)) == 0
    assert summaries.summarise(store, AT + timedelta(days=1, hours=14)) == 16  # both numbers
    rows = _summary_rows(store)
    # Opt-outs (audit rows, which never change) are summarised up to the newest audit id.
    assert {r[1] for r in rows if r[2] != "optouts"} == {"2026-03-01"}
    assert {r[1] for r in rows if r[2] == "optouts"} == {f"{AT + timedelta(d):%F}" for d in DAYS}
    assert summaries.summarise(store, AT + timedelta(days=2, hours=12)) == 0
    assert _summary_rows(store) == rows
    assert summaries.summarise(store, LATE) == 16 * 4
    assert _marked(store) == 16 * 5
    again = _summary_rows(store)
    assert summaries.summarise(store, LATE + timedelta(days=9)) == 0
    assert _summary_rows(store) == again
    assert _scrape(store) == _scrape(plain)


def test_open_and_late_attempts_stay_live_until_summarised(pair: tuple[Store, Store]) -> None:
    """An attempt of a past day left open (serve crashed) is counted live until it has an
    outcome; one written later for a summarised day is added to that day's summary once."""
    store, plain = pair
    summaries.summarise(store, LATE)
    cid = campaigns.campaign_id(store, "spring")
    for each in pair:
        with each.transaction():
            attempts.start(each, cid or 0, NUMBER, AT + timedelta(hours=5))
        _attempt(each, "spring", OTHER, AT + timedelta(hours=6), "human", answer_s=4, csat=2)
    assert _scrape(store) == _scrape(plain)
    assert summaries.summarise(store, LATE) == 1  # the late one, not the open one
    assert _scrape(store) == _scrape(plain)
    assert 'konform_lines_in_flight{campaign="spring"} 1.0' in _scrape(store)
    _both(pair, attempts.resolve_open)
    assert summaries.summarise(store, LATE) == 1
    assert _marked(store) == _marked(plain) + 16 * 5 + 2
    assert _scrape(store) == _scrape(plain)
    _same_reports(_reports(plain), _reports(store))


def test_a_failed_summary_leaves_nothing_half_written(pair: tuple[Store, Store]) -> None:
    store, plain = pair
    store.conn.execute(
        "CREATE TEMP TRIGGER fail_mark BEFORE UPDATE OF summarised ON call_attempts"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        summaries.summarise(store, LATE)
    assert not store.conn.in_transaction
    assert _summary_rows(store) == []
    assert _marked(store) == 0
    assert _scrape(store) == _scrape(plain)
    store.conn.execute("DROP TRIGGER temp.fail_mark")
    # The opt-outs' horizon fails to move: the attempts' batches committed stay whole.
    store.conn.execute(
        "CREATE TEMP TRIGGER fail_meta BEFORE UPDATE ON meta"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        summaries.summarise(store, LATE)
    assert not [r for r in _summary_rows(store) if r[2] == "optouts"]
    assert _marked(store) == 16 * 5
    assert _scrape(store) == _scrape(plain)
    store.conn.execute("DROP TRIGGER temp.fail_meta")
    summaries.summarise(store, LATE)
    assert [r for r in _summary_rows(store) if r[2] == "optouts"]
    assert _scrape(store) == _scrape(plain)
    _same_reports(_reports(plain), _reports(store))


def test_summaries_hold_no_personal_data(pair: tuple[Store, Store]) -> None:
    store, _ = pair
    summaries.summarise(store, LATE)
    rows = _summary_rows(store)
    assert rows
    text = repr(rows)
    keys = [store.keyer.number_key(n).hex() for n in (NUMBER, OTHER)]
    for personal in (NUMBER, OTHER, NUMBER[3:], NAME, NOTE, "agent1", *keys):
        assert personal not in text


def test_the_readers_use_the_partial_index(store: Store) -> None:
    params = {"campaign": 1, "since": "", "until": "z", "hour": "a", "day": "b"}
    for sql in (report._PERIOD[True], report._MACHINES[True]):
        plan = str(store.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert "call_attempts_live" in plan, plan
    plan = str(
        store.conn.execute(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM call_attempts a JOIN campaigns c"
            " ON c.id = a.campaign_id WHERE a.summarised = 0"
        ).fetchall()
    )
    assert "call_attempts_live" in plan, plan


def test_migration_9_upgrades_a_version_8_store(tmp_path: Path) -> None:
    path = tmp_path / "konform.db"
    with open_store(path) as store:
        _fill(store)
        retention.run(store, AT + timedelta(days=400), LIMITS)
        scrape, reports = _scrape(store), _reports(store)
    conn = sqlite3.connect(path, isolation_level=None)
    rewind(conn, 8)
    conn.close()
    assert SCHEMA_VERSION == 9
    with open_store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == 9
        assert _marked(store) == 0
        assert _summary_rows(store) == []
        assert _scrape(store) == scrape
        summaries.summarise(store, LATE)
        assert _marked(store) > 0
        assert _scrape(store) == scrape
        _same_reports(reports, _reports(store))
        retention.run(store, AT + timedelta(days=4000), LIMITS)
        assert _scrape(store) == scrape
        _same_reports(reports, _reports(store))


def test_counters_after_summaries_keep_their_shapes(pair: tuple[Store, Store]) -> None:
    store, plain = pair
    summaries.summarise(store, LATE)
    assert console.counters(store) == console.counters(plain)
    until = datetime.now(UTC)
    a = report.campaign_wallboard(store, "spring", None, until)
    b = report.campaign_wallboard(plain, "spring", None, until)
    assert a == b
    assert utc_text(until)[:10] == report.campaign_report(store, "spring").until[:10]


async def test_the_daily_run_makes_the_summaries_day_by_day(pair: tuple[Store, Store]) -> None:
    """``konform serve``'s retention task summarises after each run, one day per job of the
    store's worker (the calls' writes go on between them)."""
    store, plain = pair
    worker = StoreWorker(store)
    days: list[int] = []
    summarise = summaries.summarise

    def counted(store: Store, now: datetime, limit: int | None = None) -> int:
        days.append(summarise(store, now, limit))
        return days[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(summaries, "summarise", counted)
        task = asyncio.create_task(retention.run_daily(worker, LIMITS))
        for _ in range(1000):
            if days and days[-1] == 0:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    worker.close()
    # Days 0, 1 and 200 are before the real today; each a job of its own, then nothing left.
    assert days == [16, 16, 16, 0]
    assert _scrape(store) == _scrape(plain)


def test_an_all_time_report_to_an_instant_inside_a_summarised_day(
    pair: tuple[Store, Store],
) -> None:
    """``konform report --until`` (no ``--since``) in the middle of a summarised day counts that
    day's attempts up to ``until`` only, as the rows do: the days before from their summaries,
    that day's summarised attempts from the rows."""
    store, plain = pair
    summaries.summarise(store, LATE)
    for until in (
        AT + timedelta(days=1, minutes=7),  # inside day 1's calls to NUMBER
        AT + timedelta(days=1, hours=3, minutes=15),  # inside day 1's calls to OTHER
        AT + timedelta(days=200, hours=1, minutes=1),
        AT + timedelta(days=1, hours=14),  # a day boundary (2026-03-03 00:00)
    ):
        for name in ("spring", "autumn"):
            a = report.campaign_report(store, name, None, until).to_dict()
            b = report.campaign_report(plain, name, None, until).to_dict()
            _same_reports({name: b}, {name: a})
            wall = report.campaign_wallboard(store, name, None, until)
            assert wall == report.campaign_wallboard(plain, name, None, until), (name, until)
