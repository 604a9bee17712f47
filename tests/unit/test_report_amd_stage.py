"""Which AMD stage caught the mailboxes: the first stage, the guard over our prompt, or an
agent after the bridge (the detector's misses, marked from the desk) - in the campaign report,
its text table, the wallboard and the ``/metrics`` figures, and kept by the retired tallies
when retention deletes the attempts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from konform.cli.report import table
from konform.config import RetentionConfig
from konform.policy import Campaign
from konform.store import campaigns, console, report, retention
from konform.store.database import Store

AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
STAGES = ["first", "first", "guard", "agent", None]  # None: before the stage was stored


def _seed(store: Store) -> None:
    campaigns.add(store, Campaign("spring", "+49305550001", "sales"))
    cid = campaigns.campaign_id(store, "spring")
    started = AT.isoformat()
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO call_attempts (campaign_id, number_key, started_at, ended_at, outcome,"
            " amd_stage) VALUES (?, x'00', ?, ?, ?, ?)",
            [(cid, started, started, "machine", stage) for stage in STAGES]
            + [(cid, started, started, "human", "first")],
        )


def test_the_report_counts_mailboxes_by_stage(store: Store) -> None:
    _seed(store)
    r = report.campaign_report(store, "spring", until=AT + timedelta(hours=1))
    assert r.machines_by_stage == {"first": 3, "guard": 1, "agent": 1}
    assert r.outcomes["machine"] == 5
    assert "mailboxes caught by\tfirst 3, guard 1, agent 1\t(agent: the detector's misses)" in (
        table(r)
    )
    since = report.campaign_report(
        store, "spring", AT + timedelta(hours=1), AT + timedelta(hours=2)
    )
    assert since.machines_by_stage == {"first": 0, "guard": 0, "agent": 0}
    board = report.campaign_wallboard(store, "spring", until=AT + timedelta(hours=1))
    assert board["mailboxes_missed"] == 1


def test_metrics_and_report_keep_them_across_retention(store: Store) -> None:
    _seed(store)
    before = console.counters(store)["machines"]
    assert before == [("spring", "agent", 1), ("spring", "first", 3), ("spring", "guard", 1)]
    retention.run(store, AT + timedelta(days=4000), RetentionConfig())
    assert store.conn.execute("SELECT count(*) FROM call_attempts").fetchone() == (0,)
    assert console.counters(store)["machines"] == before
    r = report.campaign_report(store, "spring", until=AT + timedelta(days=4000))
    assert r.machines_by_stage == {"first": 3, "guard": 1, "agent": 1}
