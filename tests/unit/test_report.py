"""``konform report``: figures over a store seeded with attempts whose moments are set."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from konform.policy import Campaign
from konform.store import campaigns, report
from konform.store.database import Store, open_store
from tests.conftest import CliRunner

UNTIL = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
DAY = "2026-11-30T"

# (started, answered, bridged, ended, outcome, agent, abandoned), times of 2026-11-30 UTC
# unless a whole instant is given.
ATTEMPTS: list[tuple[str, str | None, str | None, str | None, str | None, str | None, int]] = [
    ("08:00:00", "08:00:10", "08:00:20", "08:02:20", "human", "alice", 0),  # talk 120 s
    ("08:05:00", "08:05:20", None, "08:05:40", "human", None, 1),
    ("08:10:00", "08:10:06", None, "08:10:30", "machine", None, 0),
    ("08:15:00", None, None, "08:15:25", "no_answer", None, 0),
    ("08:20:00", None, None, "08:20:05", "busy", None, 0),
    ("08:25:00", None, None, "08:25:01", "failed", None, 0),
    ("08:30:00", None, None, "08:30:00", "blocked", None, 0),
    ("11:20:00", "11:20:02", "11:20:05", "11:21:05", "human", "bob", 0),  # talk 60 s
    ("11:30:00", "11:30:04", "11:30:10", "11:33:10", "human", "bob", 0),  # talk 180 s
    ("11:40:00", "11:40:08", None, "11:40:30", "human", None, 1),
    ("11:50:00", "11:50:05", "11:50:10", None, None, "alice", 0),  # live: talk to 12:00, 590 s
    ("2026-11-29T07:00:00+00:00", "2026-11-29T07:00:03+00:00", None, None, "human", None, 1),
    ("12:30:00", "12:30:05", None, "12:31:00", "human", None, 1),  # after the period
]

# (name, state, started, ended): logged in 7200 + 3600 + 7200 + 3600 s up to 12:00.
AGENT_LOG = [
    ("alice", "ready", "08:00:00", "10:00:00"),
    ("alice", "logged_out", "10:00:00", "11:00:00"),
    ("alice", "in_call", "11:00:00", None),
    ("bob", "ready", "07:00:00", "09:00:00"),
    ("bob", "paused", "11:00:00", "12:30:00"),
]


def _at(text: str | None) -> str | None:
    if text is None or "+" in text:
        return text
    return f"{DAY}{text}+00:00"


def _seed(store: Store) -> None:
    campaigns.add(store, Campaign("spring", "+49305550001", "sales"))
    campaigns.add(store, Campaign("other", "+49305550001", "sales"))
    spring, other = campaigns.campaign_id(store, "spring"), campaigns.campaign_id(store, "other")
    rows = [(spring, *a) for a in ATTEMPTS]
    rows.append((other, "08:00:00", "08:00:05", None, "08:00:30", "human", None, 1))
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO call_attempts (campaign_id, number_key, number, started_at, answered_at,"
            " bridged_at, ended_at, outcome, agent, abandoned)"
            " VALUES (?, x'00', '+49301234567', ?, ?, ?, ?, ?, ?, ?)",
            [
                (cid, _at(s), _at(a), _at(b), _at(e), outcome, agent, abandoned)
                for cid, s, a, b, e, outcome, agent, abandoned in rows
            ],
        )
        conn.executemany(
            "INSERT INTO agent_log (name, state, started_at, ended_at) VALUES (?, ?, ?, ?)",
            [(n, s, _at(b), _at(e)) for n, s, b, e in AGENT_LOG],
        )


def test_figures_over_the_whole_history(store: Store) -> None:
    _seed(store)
    r = report.campaign_report(store, "spring", until=UNTIL)
    assert (r.campaign, r.since, r.until) == ("spring", None, "2026-11-30T12:00:00+00:00")
    assert (r.attempts, r.in_progress) == (12, 1)
    assert r.outcomes == {
        "human": 6,
        "machine": 1,
        "no_answer": 1,
        "busy": 1,
        "failed": 1,
        "blocked": 1,
    }
    assert r.abandoned == 3
    assert r.abandon_rate == pytest.approx(3 / 6)
    # Rolling windows end at --until: the last hour holds 3 people, 1 abandoned; 24 h 5 and 2.
    assert r.abandon_rate_last_hour == pytest.approx(1 / 3)
    assert r.abandon_rate_24h == pytest.approx(2 / 5)
    assert r.abandon_target == 0.03
    assert r.answer_rate == pytest.approx(7 / 10)  # blocked and in-progress are not placed
    assert r.machine_rate == pytest.approx(1 / 7)
    assert r.avg_time_to_answer_s == pytest.approx((10 + 20 + 6 + 2 + 4 + 8 + 5 + 3) / 8)
    assert r.talk_s == pytest.approx(120 + 60 + 180 + 590)
    assert r.logged_in_s == pytest.approx(7200 + 3600 + 7200 + 3600)
    assert r.occupancy == pytest.approx(950 / 21600)


def test_since_cuts_attempts_and_agent_intervals(store: Store) -> None:
    _seed(store)
    since = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # 08:xx attempts and bob's ready drop out
    r = report.campaign_report(store, "spring", since, UNTIL)
    assert r.since == "2026-11-30T09:00:00+00:00"
    assert (r.attempts, r.outcomes["human"], r.abandoned) == (4, 3, 1)
    assert r.talk_s == pytest.approx(60 + 180 + 590)
    assert r.logged_in_s == pytest.approx(3600 + 3600 + 3600)  # alice 9-10, 11-12; bob 11-12
    assert r.occupancy == pytest.approx(830 / 10800)
    assert r.abandon_rate_24h == pytest.approx(2 / 5)  # rolling windows ignore --since


def test_empty_campaign_and_no_agent_log(store: Store) -> None:
    campaigns.add(store, Campaign("quiet", "+49305550001", "sales"))
    r = report.campaign_report(store, "quiet", until=UNTIL).to_dict()
    assert r["attempts"] == 0
    for key in (
        "abandon_rate",
        "abandon_rate_last_hour",
        "abandon_rate_24h",
        "answer_rate",
        "machine_rate",
        "avg_time_to_answer_s",
        "occupancy",
        "logged_in_s",
    ):
        assert r[key] is None, key
    with pytest.raises(KeyError):
        report.campaign_report(store, "nope")
    with pytest.raises(ValueError, match="not before"):
        report.campaign_report(store, "quiet", UNTIL, UNTIL)


def test_queries_use_the_campaign_time_index(store: Store) -> None:
    params = {"campaign": 1, "since": "", "until": "z", "hour": "a", "day": "b"}
    for sql in (report._PERIOD_SQL, report._ROLLING_SQL, report._MACHINES_SQL):
        plan = str(store.conn.execute("EXPLAIN QUERY PLAN " + sql, params).fetchall())
        assert "USING INDEX call_attempts_campaign_time" in plan
    plan = str(store.conn.execute("EXPLAIN QUERY PLAN " + report._LOGGED_IN_SQL, params).fetchall())
    assert "agent_log_ended" in plan


def test_cli_json_and_table(cli: CliRunner, tmp_path: Path) -> None:
    assert cli("callerid", "add", "+49305550001").code == 0
    with open_store(tmp_path / "konform.db") as store:
        _seed(store)
    result = cli("report", "--campaign", "spring", "--until", "2026-11-30T13:00:00+01:00", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert {
        "campaign",
        "attempts",
        "outcomes",
        "abandoned",
        "abandon_rate",
        "answer_rate",
        "machine_rate",
        "avg_time_to_answer_s",
        "occupancy",
        "since",
        "until",
        "abandon_rate_last_hour",
        "abandon_rate_24h",
    } <= set(data)
    assert set(data["outcomes"]) == {"human", "machine", "no_answer", "busy", "failed", "blocked"}
    assert data["until"] == "2026-11-30T12:00:00+00:00"
    assert data["abandon_rate"] == pytest.approx(0.5)
    since = cli(
        "report",
        "--campaign",
        "spring",
        "--since",
        "2026-11-30T10:00:00",  # Berlin: 09:00 UTC
        "--until",
        "2026-11-30T12:00:00Z",
        "--json",
    ).json()
    assert (since["since"], since["attempts"]) == ("2026-11-30T09:00:00+00:00", 4)
    table = cli("report", "--campaign", "spring", "--until", "2026-11-30T12:00:00Z").out
    assert "abandoned\t3\t50.00 % of people answered (target 3.00 %)" in table
    assert "occupancy\t4.40 %\t(talk 0:15:50 of 6:00:00 logged in)" in table


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--campaign", "nope"), "no campaign named 'nope'"),
        (("--campaign", "spring", "--since", "yesterday"), "--since 'yesterday' is not an ISO"),
        (("--campaign", "spring", "--until", "2026-13-01"), "--until"),
        (
            (
                "--campaign",
                "spring",
                "--since",
                "2026-11-30T12:00Z",
                "--until",
                "2026-11-30T11:00Z",
            ),
            "not before its end",
        ),
    ],
)
def test_cli_refusals(cli: CliRunner, args: tuple[str, ...], words: str) -> None:
    assert cli("callerid", "add", "+49305550001").code == 0
    assert (
        cli("campaign", "add", "spring", "--caller-id", "+49305550001", "--purpose", "s").code == 0
    )
    result = cli("report", *args)
    assert result.code == 2
    assert words in result.err
    assert result.err.count("\n") == 1
