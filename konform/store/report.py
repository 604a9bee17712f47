"""A campaign's figures over a period: outcomes, abandon rate (also over the last hour and 24 h),
answer and machine rates, time to answer, agent occupancy, the callees' ratings. ``konform
report`` prints them; the web console's wallboard (:func:`wallboard`) reads the same
:func:`campaign_report` and adds live figures, trends, per-agent and compliance figures.

Attempts count in the period in which they started (the index on ``(campaign_id, started_at)``
serves every query); each figure comes from one statement over that range. A report from the
first attempt on (no ``since``) reads the day summaries of closed days
(:mod:`konform.store.summaries`) and the attempts not summarised yet (through the partial index
``call_attempts_live``; to an ``until`` inside a summarised day: the summaries of the days
before and that day's attempts up to ``until``), and adds what retention and erasure took from
the rows (the retired tallies of :mod:`konform.store.tallies`, by the UTC day the attempts
started: the days up to and including that of ``until``). So its totals, rates, time to answer,
talk time and ratings do not change when old rows go, and it costs about the same on any day.
The wallboard's all-time missed calls add them the same way. A report of a period, the rolling
windows, trends and per-agent figures count the attempts the store still holds.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from konform.calling_time import BERLIN
from konform.outcomes import OUTCOMES
from konform.store import agent_states, campaigns, tallies
from konform.store.database import Store, utc_text

__all__ = [
    "AgentFigures",
    "CampaignReport",
    "agent_figures",
    "agents_now",
    "campaign_report",
    "campaign_wallboard",
    "compliance_since",
    "csat_figures",
    "wallboard",
]

HOUR = timedelta(hours=1)
DAY = timedelta(hours=24)

AMD_STAGES = ("first", "guard", "agent")
_MACHINES_SQL = (
    f"SELECT {tallies.machine_stage()}, count(*) FROM call_attempts"
    " WHERE campaign_id = :campaign AND started_at >= :since AND started_at < :until"
    " AND outcome = 'machine' GROUP BY 1"
)
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
    "  * 86400.0 END),"
    # The callees' ratings after the talk (1-5).
    " avg(csat), count(csat), count(answered_at)"
    " FROM call_attempts"
    " WHERE campaign_id = :campaign AND started_at >= :since AND started_at < :until"
)


def _live(sql: str) -> str:
    """``sql`` over the attempts not in a day summary (the all-time figures add the
    summaries), read through their partial index."""
    sql = sql.replace(
        " FROM call_attempts WHERE",
        " FROM call_attempts INDEXED BY call_attempts_live WHERE summarised = 0 AND",
    )
    assert "summarised" in sql
    return sql


# A period counts every attempt it holds; the all-time figures those not summarised.
_PERIOD = {False: _PERIOD_SQL, True: _live(_PERIOD_SQL)}
_MACHINES = {False: _MACHINES_SQL, True: _live(_MACHINES_SQL)}
# The all-time figures to an ``until`` inside a summarised day: that day's summarised attempts
# up to ``until`` (from :since, the day's start), beside the summaries of the days before.
_SUMMARISED = " AND summarised = 1"
_PERIOD_DAY = _PERIOD_SQL + _SUMMARISED
_MACHINES_DAY = _MACHINES_SQL.replace(" GROUP BY 1", _SUMMARISED + " GROUP BY 1")

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
    machines_by_stage: dict[str, int]
    """The mailboxes (outcome machine) by the AMD stage that caught them: ``first``, ``guard``
    (over our prompt) and ``agent`` (an agent heard it after the bridge: the detector's misses,
    measured on real lines)."""
    avg_time_to_answer_s: float | None
    talk_s: float
    """Time this campaign's calls were bridged to an agent."""
    logged_in_s: float | None
    """Time agents were logged in (every agent of ``agent_log``: the pool may be shared)."""
    occupancy: float | None
    """talk_s / logged_in_s; None without agent_log rows in the period."""
    csat: dict[str, float | int | None]
    """The callees' ratings of the talk (1-5): ``{"avg": mean or None, "count": n}``."""

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
    row = conn.execute(_PERIOD[since is None], params).fetchone()
    if since is None:
        summarised, day_start = _summaries(store, name, stop)
        day = {**params, "since": day_start}
        if day_start is not None:
            row = _merged(row, conn.execute(_PERIOD_DAY, day).fetchone())
    attempts, in_progress = row[0], row[1]
    outcomes = dict(zip(OUTCOMES, row[2 : 2 + len(OUTCOMES)], strict=True))
    abandoned, avg_answer, talk, csat_avg, csat_count, answers = row[2 + len(OUTCOMES) :]
    if since is None:
        # The all-time figures: the day summaries and what retention and erasure took.
        days = ("campaign = ? AND day <= ?", (name, stop[:10]))
        old = _Retired(tallies.add(tallies.stored(conn, *days), summarised))
        attempts += old.count(tallies.CALLS)
        for outcome in outcomes:
            outcomes[outcome] += old.count(tallies.CALLS, outcome)
        abandoned += old.count(tallies.ABANDONED)
        avg_answer = _mean(avg_answer, answers, *old.sum(tallies.SETUP, tallies.INF, 1000))
        talk += old.sum(tallies.TALK, "", 1000)[1]
        csat_avg = _mean(csat_avg, csat_count, *old.sum(tallies.CSAT, "", 1))
        csat_count += old.count(tallies.CSAT)
    machines = dict.fromkeys(AMD_STAGES, 0)
    for stage, n in conn.execute(_MACHINES[since is None], params):
        machines[stage] = machines.get(stage, 0) + n
    if since is None:
        for stage in machines:
            machines[stage] += old.count(tallies.MACHINES, stage)
        if day_start is not None:
            for stage, n in conn.execute(_MACHINES_DAY, day):
                machines[stage] = machines.get(stage, 0) + n
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
        machines_by_stage=machines,
        avg_time_to_answer_s=None if avg_answer is None else round(avg_answer, 3),
        talk_s=round(talk, 3),
        logged_in_s=round(logged_in, 3) if logs else None,
        occupancy=_ratio(talk, logged_in) if logs else None,
        csat=csat_figures(csat_avg, csat_count),
    )


def _summaries(store: Store, name: str, until: str) -> tuple[tallies.Tallies, str | None]:
    """Campaign ``name``'s day summaries of what started before ``until``: their totals when
    ``until``'s UTC day is not summarised (the usual ``until``: now), else those of the days
    before it and the start of that day, whose summarised attempts up to ``until`` the caller
    reads from the rows."""
    day = until[:10]
    (last,) = store.conn.execute(
        "SELECT max(day) FROM day_summaries WHERE campaign = ?", (name,)
    ).fetchone()
    if last is None or last < day:
        return tallies.stored(store.conn, "campaign = ?", (name,), table=tallies.TOTALS), None
    where = "campaign = ? AND day < ?"
    start = utc_text(datetime.fromisoformat(day).replace(tzinfo=UTC))
    return tallies.stored(store.conn, where, (name, day), table=tallies.SUMMARIES), start


def _merged(live: tuple[Any, ...], day: tuple[Any, ...]) -> tuple[Any, ...]:
    """Two rows of :data:`_PERIOD_SQL` over disjoint attempts as one."""
    k = 2 + len(OUTCOMES)  # counts up to ``abandoned``, then the figures below
    answers, rated = live[k + 5] + day[k + 5], live[k + 4] + day[k + 4]
    return (
        *(a + b for a, b in zip(live[: k + 1], day[: k + 1], strict=True)),
        _mean(live[k + 1], live[k + 5], day[k + 5], (day[k + 1] or 0.0) * day[k + 5]),
        live[k + 2] + day[k + 2],
        _mean(live[k + 3], live[k + 4], day[k + 4], (day[k + 3] or 0.0) * day[k + 4]),
        rated,
        answers,
    )


class _Retired:
    """A campaign's retired tallies and day summaries (summed over their days)."""

    def __init__(self, figures: tallies.Tallies) -> None:
        self.figures = figures

    def count(self, metric: str, key: str | None = None) -> int:
        """The count of ``metric`` under ``key`` (None: every key)."""
        return sum(
            n
            for (_, _, m, k), (n, _) in self.figures.items()
            if m == metric and (key is None or k == key)
        )

    def sum(self, metric: str, key: str, unit: float) -> tuple[int, float]:
        """(count, total / unit) of ``metric`` under ``key``."""
        n = total = 0
        for (_, _, m, k), (count, value) in self.figures.items():
            if (m, k) == (metric, key):
                n, total = n + count, total + value
        return n, total / unit


def _mean(mean: float | None, count: int, more: int, more_total: float) -> float | None:
    """The mean of ``count`` values averaging ``mean`` and ``more`` values summing to
    ``more_total``."""
    if not count + more:
        return None
    return ((mean or 0.0) * count + more_total) / (count + more)


def csat_figures(average: float | None, count: int) -> dict[str, float | int | None]:
    """``{"avg", "count"}`` of ratings; the average to two places, None without ratings."""
    return {"avg": None if average is None else round(average, 2), "count": int(count)}


# --- the wallboard: live figures beside the report's -----------------------------------------

QUARTER = timedelta(minutes=15)
TREND = timedelta(hours=24)
"""The charts (calls per 15 min, abandon rate per hour) cover the 24 h before ``until``."""

# Per campaign: lines in flight (whatever the period) and people answered and waiting for an
# agent, read through the partial index of open attempts.
_OPEN_SQL = (
    "SELECT count(*), count(CASE WHEN state = 'human' THEN 1 END) FROM call_attempts"
    " INDEXED BY call_attempts_open WHERE outcome IS NULL AND campaign_id = :campaign"
)

# The missed calls of the period besides no-answer and abandoned: a person reached who hung up
# before an agent came (not abandoned by konform, not opted out).
_HUNG_UP_SQL = (
    "SELECT count(*) FROM call_attempts WHERE campaign_id = :campaign"
    f" AND started_at >= :since AND started_at < :until AND {tallies.hung_up_where()}"
)
_HUNG_UP = {False: _HUNG_UP_SQL, True: _live(_HUNG_UP_SQL)}

# Calls placed (blocked ones were never placed) per 15 minutes, and people answered and
# abandoned per hour, over the trend's 24 h. Instants are stored as 'YYYY-MM-DDTHH:MM:SS+00:00'.
_TREND_SQL = (
    "SELECT substr(started_at, 1, 14) AS hour,"
    " CAST(substr(started_at, 15, 2) AS INTEGER) / 15 AS quarter,"
    " count(CASE WHEN outcome IS NOT 'blocked' THEN 1 END),"
    " count(CASE WHEN outcome = 'human' THEN 1 END),"
    " count(CASE WHEN abandoned <> 0 THEN 1 END)"
    " FROM call_attempts WHERE campaign_id = :campaign"
    " AND started_at >= :trend AND started_at < :until GROUP BY hour, quarter"
)

# Per agent over the period: calls given, calls bridged, average talk, ratings.
_AGENTS_SQL = (
    "SELECT agent, count(*), count(bridged_at),"
    " avg(CASE WHEN bridged_at IS NOT NULL THEN max(0,"
    "  julianday(min(coalesce(ended_at, :until), :until)) - julianday(bridged_at)) * 86400.0 END),"
    " total(CASE WHEN bridged_at IS NOT NULL THEN max(0,"
    "  julianday(min(coalesce(ended_at, :until), :until)) - julianday(bridged_at)) * 86400.0 END),"
    " avg(csat), count(csat)"
    " FROM call_attempts WHERE agent IS NOT NULL AND started_at >= :since AND started_at < :until"
    " GROUP BY agent"
)


@dataclass(frozen=True, slots=True)
class AgentFigures:
    """One agent's figures over a period."""

    name: str
    calls: int
    """Attempts given to the agent."""
    answered: int
    """Of them, bridged to the agent."""
    avg_talk_s: float | None
    talk_s: float
    csat: dict[str, float | int | None]


def agent_figures(
    store: Store, since: datetime | None = None, until: datetime | None = None
) -> dict[str, AgentFigures]:
    """Every agent's figures for attempts started in [since, until), by name."""
    end = until or datetime.now(UTC)
    params = {"since": utc_text(since) if since else "", "until": utc_text(end)}
    figures = {}
    for name, calls, answered, avg_talk, talk, csat_avg, csat_count in store.conn.execute(
        _AGENTS_SQL, params
    ):
        figures[name] = AgentFigures(
            name,
            calls,
            answered,
            None if avg_talk is None else round(avg_talk, 3),
            round(talk, 3),
            csat_figures(csat_avg, csat_count),
        )
    return figures


def _trend(store: Store, cid: int, end: datetime) -> tuple[list[dict[str, Any]], list[Any]]:
    """Calls per 15 min and abandon rate per hour over the 24 h before ``end`` (oldest first,
    every slot present)."""
    start = end - TREND
    rows = store.conn.execute(
        _TREND_SQL, {"campaign": cid, "trend": utc_text(start), "until": utc_text(end)}
    ).fetchall()
    calls: dict[str, int] = {}
    people: dict[str, list[int]] = {}
    for hour, quarter, placed, humans, abandoned in rows:
        calls[f"{hour}{quarter * 15:02d}"] = placed
        per_hour = people.setdefault(hour, [0, 0])
        per_hour[0] += humans
        per_hour[1] += abandoned
    first = start.astimezone(UTC).replace(second=0, microsecond=0)
    first -= timedelta(minutes=first.minute % 15)
    quarters = []
    slot = first
    while slot < end:
        text = utc_text(slot)
        quarters.append({"at": text, "calls": calls.get(text[:16], 0)})
        slot += QUARTER
    hours = []
    slot = first.replace(minute=0)
    while slot < end:
        text = utc_text(slot)
        humans, abandoned = people.get(text[:14], (0, 0))
        hours.append({"at": text, "rate": _ratio(abandoned, humans)})
        slot += HOUR
    return quarters, hours


def campaign_wallboard(
    store: Store, name: str, since: datetime | None = None, until: datetime | None = None
) -> dict[str, Any]:
    """A campaign's wallboard figures: those of :func:`campaign_report` (the same numbers), the
    lines in flight, people waiting, missed calls and the 24-hour trends."""
    end = until or datetime.now(UTC)
    report = campaign_report(store, name, since, end)
    cid = campaigns.campaign_id(store, name)
    settings = campaigns.settings(store, name)
    params = {"campaign": cid, "since": report.since or "", "until": report.until}
    in_flight, waiting = store.conn.execute(_OPEN_SQL, params).fetchone()
    (hung_up,) = store.conn.execute(_HUNG_UP[since is None], params).fetchone()
    if since is None:
        # All-time: the day summaries and what retention and erasure took, like the report.
        summarised, day_start = _summaries(store, name, report.until)
        old = tallies.stored(store.conn, "campaign = ? AND day <= ?", (name, report.until[:10]))
        hung_up += _Retired(tallies.add(old, summarised)).count(tallies.HUNG_UP)
        if day_start is not None:
            day = {**params, "since": day_start}
            hung_up += store.conn.execute(_HUNG_UP_SQL + _SUMMARISED, day).fetchone()[0]
    assert cid is not None
    quarters, hours = _trend(store, cid, end)
    return {
        "campaign": name,
        "paused": settings.paused,
        "pacing": settings.pacing,
        "abandon_target": report.abandon_target,
        "attempts": report.attempts,
        "answer_rate": report.answer_rate,
        "avg_time_to_answer_s": report.avg_time_to_answer_s,
        "missed": {
            "no_answer": report.outcomes["no_answer"],
            "abandoned": report.abandoned,
            "hung_up_waiting": hung_up,
        },
        "machine_rate": report.machine_rate,
        "mailboxes_missed": report.machines_by_stage["agent"],
        "abandon_rate_hour": report.abandon_rate_last_hour,
        "abandon_rate_24h": report.abandon_rate_24h,
        "lines_in_flight": in_flight,
        "people_waiting": waiting,
        "csat": report.csat,
        "calls_per_15min": quarters,
        "abandon_rate_by_hour": hours,
    }


AGENT_STATES = ("ready", "paused", "in_call", "wrap_up", "logged_out")


def agents_now(store: Store, configured: tuple[str, ...] = ()) -> dict[str, tuple[str, str | None]]:
    """Each agent's state now and since when: the engine's open interval if it runs (in call,
    wrap-up, ...), else the operator's word, else logged out."""
    now = {}
    for row in agent_states.rows(store, configured):
        if row.logged is not None:
            now[row.name] = (row.logged, row.logged_since)
        else:
            now[row.name] = (row.state or "logged_out", row.since)
    return now


def _first_audit_id(store: Store, since: str) -> int:
    """The id of the first audit row at or after ``since``: a search over the ids (rows are
    appended in time order), never a scan of the log."""
    conn = store.conn
    low, high = conn.execute(
        "SELECT coalesce(min(id), 1), coalesce(max(id), 0) FROM audit"
    ).fetchone()
    end = high + 1
    while low < end:
        middle = (low + end) // 2
        row = conn.execute("SELECT at FROM audit WHERE id >= ? ORDER BY id LIMIT 1", (middle,))
        found = row.fetchone()
        if found is None or found[0] >= since:
            end = middle
        else:
            low = middle + 1
    return int(low)


def compliance_since(store: Store, since: datetime) -> dict[str, Any]:
    """Calls the policy blocked per reason, and opt-outs, since ``since`` (the wallboard:
    today)."""
    start = utc_text(since)
    blocked: dict[str, int] = {}
    for cid in [r[0] for r in store.conn.execute("SELECT id FROM campaigns")]:
        for reason, count in store.conn.execute(
            "SELECT r.value, count(*) FROM call_attempts a, json_each(a.detail, '$.reasons') r"
            " WHERE a.campaign_id = ? AND a.started_at >= ? AND a.outcome = 'blocked'"
            " GROUP BY r.value",
            (cid, start),
        ):
            blocked[reason] = blocked.get(reason, 0) + count
    first = _first_audit_id(store, start)
    optouts = store.conn.execute(
        "SELECT count(*) FROM audit WHERE id >= ? AND event = 'opt_out'", (first,)
    ).fetchone()[0]
    return {"blocked_today": dict(sorted(blocked.items())), "optouts_today": optouts}


def wallboard(
    store: Store,
    since: datetime | None = None,
    until: datetime | None = None,
    configured: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Everything the wallboard shows: per campaign (the report's figures for [since, until)
    and the live ones), per agent (for [since, until); without ``since``, today's: an agent's
    figures are read from the rows, which no summary keeps), agents by state, and today's
    compliance figures (today: the calendar day in Germany)."""
    end = until or datetime.now(UTC)
    midnight = end.astimezone(BERLIN).replace(hour=0, minute=0, second=0, microsecond=0)
    states = agents_now(store, configured)
    figures = agent_figures(store, since or midnight, end)
    by_state = dict.fromkeys(AGENT_STATES, 0)
    for state, _ in states.values():
        by_state[state] = by_state.get(state, 0) + 1
    agents = []
    for name in sorted({*states, *figures}):
        f = figures.get(name) or AgentFigures(name, 0, 0, None, 0.0, csat_figures(None, 0))
        agents.append(
            {
                "name": name,
                "state": states.get(name, ("logged_out", None))[0],
                "calls": f.calls,
                "answered": f.answered,
                "avg_talk_s": f.avg_talk_s,
                "csat": f.csat,
            }
        )
    names = [r[0] for r in store.conn.execute("SELECT name FROM campaigns ORDER BY name")]
    return {
        "at": utc_text(end),
        "since": utc_text(since) if since else None,
        "campaigns": [campaign_wallboard(store, n, since, end) for n in names],
        "agents": agents,
        "agents_by_state": by_state,
        "compliance": compliance_since(store, midnight),
    }
