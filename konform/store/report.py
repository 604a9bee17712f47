"""A campaign's figures over a period: outcomes, abandon rate (also over the last hour and 24 h),
answer and machine rates, time to answer, agent occupancy. ``konform report`` prints them; the
web console reads the same :func:`campaign_report`.

Attempts count in the period in which they started (the index on ``(campaign_id, started_at)``
serves every query); each figure comes from one statement over that range.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from konform.outcomes import OUTCOMES
from konform.store import campaigns
from konform.store.database import Store, utc_text

__all__ = ["CampaignReport", "campaign_report"]

HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)

_PERIOD_SQL = (
    "SELECT count(*), count(CASE WHEN outcome IS NULL THEN 1 END), "
    + ", ".join(f"count(CASE WHEN outcome = '{o}' THEN 1 END)" for o in OUTCOMES)
    + ", count(CASE WHEN abandoned <> 0 THEN 1 END),"
    # Seconds from dialling to the answer, over the answered attempts.
    " avg(CASE WHEN answered_at IS NOT NULL"
    "  THEN (julianday(answered_at) - julianday(started_at)) * 86400.0 END),"
    # Talk time: bridged to an agent until hung up (or the period's end), cut at the end.
    " total(CASE WHEN agent IS NOT NULL AND bridged_at IS NOT NULL"
    "  THEN max(0, julianday(min(coalesce(ended_at, :until), :until)) - julianday(bridged_at))"
    "  * 86400.0 END)"
    " FROM call_attempts"
    " WHERE campaign_id = :campaign AND started_at >= :since AND started_at < :until"
)

# People answered and abandoned over the 24 h before :until, and over its last hour.
_ROLLING_SQL = (
    "SELECT count(CASE WHEN outcome = 'human' THEN 1 END),"
    " count(CASE WHEN abandoned <> 0 THEN 1 END),"
    " count(CASE WHEN started_at >= :hour AND outcome = 'human' THEN 1 END),"
    " count(CASE WHEN started_at >= :hour AND abandoned <> 0 THEN 1 END)"
    " FROM call_attempts"
    " WHERE campaign_id = :campaign AND started_at >= :day AND started_at < :until"
)

# Logged-in time of every agent (any state but logged_out), cut to the period.
_LOGGED_IN_SQL = (
    "SELECT count(*), total(max(0, julianday(min(coalesce(ended_at, :until), :until))"
    " - julianday(max(started_at, :since)))) * 86400.0"
    " FROM agent_log WHERE state <> 'logged_out' AND started_at < :until"
    " AND (ended_at IS NULL OR ended_at > :since)"
)


@dataclass(frozen=True, slots=True)
class CampaignReport:
    """A campaign's figures; rates are fractions (0.03 = 3 %), None where nothing was measured."""

    campaign: str
    since: str | None
    """Start of the period (UTC ISO), None: from the first attempt."""
    until: str
    attempts: int
    in_progress: int
    """Attempts without an outcome yet (counted in ``attempts``, in no outcome)."""
    outcomes: dict[str, int]
    abandoned: int
    abandon_rate: float | None
    """Abandoned / people answered (outcome human): Ofcom's measure of live calls."""
    abandon_rate_last_hour: float | None
    """The same over the hour before ``until`` (whatever ``since`` says)."""
    abandon_rate_24h: float | None
    abandon_target: float
    answer_rate: float | None
    """(human + machine) / calls placed with an outcome (blocked calls were never placed)."""
    machine_rate: float | None
    """machine / (human + machine)."""
    avg_time_to_answer_s: float | None
    talk_s: float
    """Time this campaign's calls were bridged to an agent."""
    logged_in_s: float | None
    """Time agents were logged in (every agent of ``agent_log``: the pool may be shared)."""
    occupancy: float | None
    """talk_s / logged_in_s; None without agent_log rows in the period."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _ratio(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def campaign_report(
    store: Store, name: str, since: datetime | None = None, until: datetime | None = None
) -> CampaignReport:
    """The figures of campaign ``name`` for attempts started in [since, until) (until: now).
    KeyError for an unknown campaign; ValueError if ``since`` is not before ``until``."""
    cid = campaigns.campaign_id(store, name)
    if cid is None:
        raise KeyError(name)
    end = until or datetime.now(UTC)
    if since is not None and since >= end:
        raise ValueError(f"the period's start {since.isoformat()} is not before its end")
    start, stop = utc_text(since) if since else "", utc_text(end)
    params: dict[str, object] = {
        "campaign": cid,
        "since": start,
        "until": stop,
        "hour": utc_text(end - HOUR),
        "day": utc_text(end - DAY),
    }
    conn = store.conn
    row = conn.execute(_PERIOD_SQL, params).fetchone()
    attempts, in_progress = row[0], row[1]
    outcomes = dict(zip(OUTCOMES, row[2 : 2 + len(OUTCOMES)], strict=True))
    abandoned, avg_answer, talk = row[2 + len(OUTCOMES) :]
    people_24h, abandoned_24h, people_hour, abandoned_hour = conn.execute(
        _ROLLING_SQL, params
    ).fetchone()
    logs, logged_in = conn.execute(_LOGGED_IN_SQL, params).fetchone()
    answered = outcomes["human"] + outcomes["machine"]
    placed = sum(n for o, n in outcomes.items() if o != "blocked")
    return CampaignReport(
        campaign=name,
        since=start or None,
        until=stop,
        attempts=attempts,
        in_progress=in_progress,
        outcomes=outcomes,
        abandoned=abandoned,
        abandon_rate=_ratio(abandoned, outcomes["human"]),
        abandon_rate_last_hour=_ratio(abandoned_hour, people_hour),
        abandon_rate_24h=_ratio(abandoned_24h, people_24h),
        abandon_target=campaigns.settings(store, name).abandon_target,
        answer_rate=_ratio(answered, placed),
        machine_rate=_ratio(outcomes["machine"], answered),
        avg_time_to_answer_s=None if avg_answer is None else round(avg_answer, 3),
        talk_s=round(talk, 3),
        logged_in_s=round(logged_in, 3) if logs else None,
        occupancy=_ratio(talk, logged_in) if logs else None,
    )
