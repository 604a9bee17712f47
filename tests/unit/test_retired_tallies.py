"""Counters that only go up: retention (GDPR Art. 5 (1) e) and erasure (Art. 17) delete rows or
clear their details, and the retired tallies (migration 6) keep what those rows counted, so the
scrape of ``/metrics`` and a campaign's all-time report read the same before and after, while
the tallies hold no personal data."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from konform.config import RetentionConfig
from konform.outcomes import Outcome
from konform.policy import Campaign
from konform.store import attempts, audit, campaigns, console, gdpr, report, retention, tallies
from konform.store.database import Store, open_store, utc_text
from konform.store.schema import SCHEMA_VERSION
from konform_web.metrics import StoreCollector, figures
from tests.unit.privacy_seed import NAME, NUMBER, seed
from tests.unit.schema_rewind import rewind

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)
OTHER = "+49301234568"
LIMITS = RetentionConfig()
UNTIL = AT + timedelta(days=5000)
NOTE = "Frau Z. ruft zurück"


def _attempt(
    store: Store,
    campaign: str,
    number: str,
    at: datetime,
    outcome: Outcome,
    *,
    answer_s: float | None = None,
    talk_s: float | None = None,
    csat: int | None = None,
    abandoned: bool = False,
    **detail: Any,
) -> int:
    cid = campaigns.campaign_id(store, campaign)
    assert cid is not None
    with store.transaction() as conn:
        attempt = attempts.start(store, cid, number, at)
        answered = at + timedelta(seconds=answer_s) if answer_s is not None else None
        bridged = answered + timedelta(seconds=1) if answered and talk_s is not None else None
        end = bridged + timedelta(seconds=talk_s or 0) if bridged else at + timedelta(seconds=40)
        conn.execute(
            "UPDATE call_attempts SET answered_at = ?, bridged_at = ?, agent = ?, csat = ?,"
            " abandoned = ?, note = ?, disposition = ? WHERE id = ?",
            (
                utc_text(answered) if answered else None,
                utc_text(bridged) if bridged else None,
                "agent1" if bridged else None,
                csat,
                int(abandoned),
                NOTE if bridged else None,
                "callback" if bridged else None,
                attempt,
            ),
        )
        attempts.finish(store, attempt, outcome, end, **detail)
    return attempt


def _calls(store: Store, number: str, at: datetime) -> None:
    """A day's calls to ``number``: every kind the counters and the report count."""
    human = {"label": "human", "at_ms": 1200}
    _attempt(store, "spring", number, at, "human", answer_s=6, talk_s=95, csat=4, amd=human)
    _attempt(
        store, "spring", number, at + timedelta(minutes=5), "human", answer_s=3, csat=5, amd=human
    )
    _attempt(
        store,
        "spring",
        number,
        at + timedelta(minutes=10),
        "human",
        answer_s=12,
        abandoned=True,
        amd={"label": "human", "at_ms": 2600},
    )
    _attempt(
        store,
        "spring",
        number,
        at + timedelta(minutes=20),
        "machine",
        answer_s=21,
        amd={"label": "machine", "at_ms": 4100},
    )
    _attempt(store, "spring", number, at + timedelta(minutes=30), "no_answer")
    _attempt(store, "autumn", number, at + timedelta(minutes=40), "busy")
    _attempt(
        store,
        "spring",
        number,
        at + timedelta(hours=1),
        "blocked",
        reasons=["quiet_hours", "no_consent"],
    )
    _attempt(store, "autumn", number, at + timedelta(hours=2), "blocked", reasons=["dnc"])
    with store.transaction():
        audit.record(
            store, "opt_out", campaign="spring", number=number, at=at, source="dialer IVR key 9"
        )
        audit.record(store, "opt_out", number=number, at=at, source="operator")


@pytest.fixture
def filled(store: Store) -> Store:
    """Two campaigns, two consenting contacts, calls on days far enough apart that each
    retention run below takes some of them."""
    seed(store)
    seed(store, OTHER)
    campaigns.add(store, Campaign("autumn", "+49305550001", "sales"))
    for days in (0, 1, 200, 500, 1500):
        _calls(store, NUMBER, AT + timedelta(days=days))
        _calls(store, OTHER, AT + timedelta(days=days, hours=3))
    return store


def _scrape(store: Store) -> str:
    """The /metrics exposition text, as a scrape reads it."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StoreCollector(figures(store, ("agent1",))))
    return generate_latest(registry).decode()


def _reports(store: Store) -> dict[str, dict[str, Any]]:
    """The all-time reports (to the end, and to a day boundary after the first two days)."""
    day_two = datetime(2026, 3, 3, tzinfo=UTC)
    return {
        f"{name} {until.date()}": report.campaign_report(store, name, None, until).to_dict()
        for name in ("spring", "autumn")
        for until in (UNTIL, day_two)
    }


ROLLING = ("abandon_rate_last_hour", "abandon_rate_24h")
"""The report's windows before ``until`` count the rows still held (documented)."""


def _same_reports(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
    assert before.keys() == after.keys()
    for name, figures_before in before.items():
        for field, value in figures_before.items():
            if field in ROLLING:
                continue
            if isinstance(value, float):
                assert after[name][field] == pytest.approx(value, abs=1e-3), (name, field)
            else:
                assert after[name][field] == value, (name, field)


def _tally_rows(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM retired_tallies").fetchone()[0])


def _attempt_rows(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM call_attempts").fetchone()[0])


def test_counters_and_all_time_report_survive_retention_and_erasure(filled: Store) -> None:
    store = filled
    scrape, reports = _scrape(store), _reports(store)
    assert 'konform_calls_total{campaign="spring",outcome="human"} 30.0' in scrape
    assert 'konform_policy_blocks_total{campaign="autumn",reason="dnc"} 10.0' in scrape
    assert 'konform_optouts_total{source="operator"} 10.0' in scrape
    rows = _attempt_rows(store)

    # Blocked rows go and details are cleared after [retention] attempts days.
    done = retention.run(store, AT + timedelta(days=400), LIMITS)
    assert done.attempts_deleted == 8
    assert done.attempts_anonymised == 24
    assert _scrape(store) == scrape
    _same_reports(reports, _reports(store))

    # An erasure clears the details of a number's later attempts (the rows stay).
    with store.transaction():
        gdpr.erase(store, NUMBER, why="request")
    assert _scrape(store) == scrape
    _same_reports(reports, _reports(store))

    # Past the consent-proof and audit periods the keyed rows and the opt-outs' audit rows go.
    for days in (1900, 2200, 2400, 4000):
        retention.run(store, AT + timedelta(days=days), LIMITS)
        assert _scrape(store) == scrape, days
        _same_reports(reports, _reports(store))
    assert _attempt_rows(store) == 0 < rows
    assert not [e for e in audit.entries(store) if e["event"] == "opt_out"]


def test_retention_audit_rows_keep_their_counts(filled: Store) -> None:
    retention.run(filled, AT + timedelta(days=400), LIMITS)
    (row,) = [e["detail"] for e in audit.entries(filled) if e["event"] == "retention"]
    assert (row["kind"], row["attempts_deleted"], row["attempts_anonymised"]) == ("attempts", 8, 24)


def test_tallies_hold_no_personal_data(filled: Store) -> None:
    with filled.transaction():
        gdpr.erase(filled, NUMBER, why="request")
    retention.run(filled, AT + timedelta(days=4000), LIMITS)
    rows = filled.conn.execute("SELECT * FROM retired_tallies").fetchall()
    assert rows
    text = repr(rows)
    keys = [filled.keyer.number_key(n).hex() for n in (NUMBER, OTHER)]
    for personal in (NUMBER, OTHER, NUMBER[3:], NAME, NOTE, "agent1", *keys):
        assert personal not in text
    names = [d[0] for d in filled.conn.execute("SELECT * FROM retired_tallies").description]
    assert names == ["campaign", "day", "metric", "key", "count", "total"]
    assert {r[0] for r in rows} == {"spring", "autumn", ""}


def test_a_report_of_a_period_counts_the_rows_still_held(filled: Store) -> None:
    """Documented: only the all-time report adds the tallies; a period's figures of deleted days
    are gone with the rows."""
    since, until = AT, AT + timedelta(days=2)
    before = report.campaign_report(filled, "spring", since, until)
    assert before.attempts == 24
    retention.run(filled, AT + timedelta(days=4000), LIMITS)
    assert report.campaign_report(filled, "spring", since, until).attempts == 0


def test_a_failed_retention_run_leaves_neither_deletion_nor_tally(filled: Store) -> None:
    store = filled
    scrape, rows = _scrape(store), _attempt_rows(store)
    store.conn.execute(
        "CREATE TEMP TRIGGER fail_delete BEFORE DELETE ON call_attempts"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        retention.run(store, AT + timedelta(days=4000), LIMITS)
    assert not store.conn.in_transaction
    assert store.conn.execute("SELECT count(*) FROM retired_tallies").fetchone()[0] == 0
    assert _attempt_rows(store) == rows
    assert _scrape(store) == scrape
    store.conn.execute("DROP TRIGGER temp.fail_delete")
    retention.run(store, AT + timedelta(days=4000), LIMITS)
    assert _attempt_rows(store) == 0
    assert _scrape(store) == scrape


def test_a_failed_erasure_leaves_neither_cleared_details_nor_tally(filled: Store) -> None:
    store = filled
    scrape = _scrape(store)
    store.conn.execute(
        "CREATE TEMP TRIGGER fail_update BEFORE UPDATE OF detail ON call_attempts"
        " BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    )
    with pytest.raises(sqlite3.IntegrityError, match="disk full"), store.transaction():
        gdpr.erase(store, NUMBER, why="request")
    assert store.conn.execute("SELECT count(*) FROM retired_tallies").fetchone()[0] == 0
    details = store.conn.execute(
        "SELECT count(*) FROM call_attempts WHERE detail IS NULL"
    ).fetchone()[0]
    assert details == 0
    assert _scrape(store) == scrape


def test_the_tally_is_written_inside_the_callers_transaction(filled: Store) -> None:
    """Rolled back with the transaction that deleted the rows (here: on purpose)."""
    store = filled
    written: list[int] = []

    def erase_then_fail() -> None:
        with store.transaction():
            gdpr.erase(store, NUMBER, why="request")
            written.append(_tally_rows(store))
            raise RuntimeError("rolled back")

    with pytest.raises(RuntimeError, match="rolled back"):
        erase_then_fail()
    assert written[0] > 0
    assert _tally_rows(store) == 0


def test_migration_6_upgrades_a_version_5_store_with_data(tmp_path: Path) -> None:
    """A store at schema 5 (the release before the tallies) with calls in it gets the table on
    the next open, keeps its rows, and its counters carry on across retention from there."""
    path = tmp_path / "konform.db"
    with open_store(path) as store:
        seed(store)
        campaigns.add(store, Campaign("autumn", "+49305550001", "sales"))
        _calls(store, NUMBER, AT)
        scrape = _scrape(store)
    conn = sqlite3.connect(path, isolation_level=None)
    rewind(conn, 5)
    conn.close()
    with open_store(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert store.conn.execute("SELECT count(*) FROM retired_tallies").fetchone()[0] == 0
        assert _attempt_rows(store) == 8
        assert _scrape(store) == scrape
        retention.run(store, AT + timedelta(days=4000), LIMITS)
        assert _attempt_rows(store) == 0
        assert _scrape(store) == scrape


def test_counters_read_live_rows_and_tallies_alike(store: Store) -> None:
    """The figures /metrics exports, with and without tallies: same shapes as before."""
    seed(store)
    campaigns.add(store, Campaign("autumn", "+49305550001", "sales"))
    _calls(store, NUMBER, AT)
    counts = console.counters(store)
    assert ("spring", "human", 3) in counts["calls"]
    assert dict(counts["abandoned"]) == {"spring": 1, "autumn": 0}
    assert ("spring", "no_consent", 1) in counts["blocks"]
    assert dict(counts["optouts"]) == {"dialer IVR key 9": 1, "operator": 1}
    cumulative, count, total = counts["amd"]
    assert (cumulative, count) == ([0, 0, 2, 2, 2, 3, 3, 4, 4], 4)
    assert total == pytest.approx(1.2 + 1.2 + 2.6 + 4.1)
    cumulative, count, total = counts["setup"]
    assert count == 4
    assert total == pytest.approx(6 + 3 + 12 + 21)
    retention.run(store, AT + timedelta(days=4000), LIMITS)
    assert console.counters(store) == counts


def test_a_tally_outside_a_transaction_is_refused(filled: Store) -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        tallies.retire_attempts(filled, "a.outcome = 'blocked'")
    assert filled.conn.execute("SELECT count(*) FROM retired_tallies").fetchone()[0] == 0
