"""Retired tallies: what the rows that retention and erasure delete (or strip of their details)
counted, so that the counters of ``/metrics`` and the all-time figures of a campaign's report do
not go down when personal data goes (GDPR Art. 5 (1) e storage limitation, Art. 17 erasure).

Call attempts and opt-outs are counted one way (:func:`attempt_tallies`,
:func:`optout_tallies`) by the live figures (:func:`konform.store.console.counters`) and by the
retiring (:func:`retire_attempts`, :func:`retire_optouts`): before rows go, the aggregate of
exactly those rows is added to ``retired_tallies`` in the caller's transaction, so the deletion
and its tally commit together or not at all. A tally holds a campaign's name, a UTC day, a
metric, its key (an outcome, a reason code, a bucket's bound, an opt-out's source) and counts:
no number, no key of a number, no agent.

Durations are summed in whole milliseconds (each attempt's rounded), so a sum split between
live rows and tallies adds up to exactly what it was.

The day summaries (:mod:`konform.store.summaries`, table ``day_summaries``) hold the same
aggregates of closed attempts and of opt-outs up to an audit id; what a summary counts is
counted there for good, so the retiring skips summarised rows: each row counts exactly once,
live, in a summary or in a retired tally.
"""

from __future__ import annotations

import sqlite3

from konform.store.database import Store

__all__ = [
    "ABANDONED",
    "AMD",
    "AMD_BUCKETS",
    "BLOCKS",
    "CALLS",
    "CSAT",
    "HUNG_UP",
    "INF",
    "MACHINES",
    "OPTOUTS",
    "OPTOUTS_THROUGH",
    "RETIRED",
    "SETUP",
    "SETUP_BUCKETS",
    "SUMMARIES",
    "TALK",
    "TOTALS",
    "Tallies",
    "add",
    "attempt_tallies",
    "optout_tallies",
    "optouts_through",
    "retire_attempts",
    "retire_optouts",
    "stored",
    "write",
]

CALLS = "calls"
"""Attempts by outcome ('' for none yet)."""
ABANDONED = "abandoned"
"""Abandoned attempts (a person answered, no agent in time) by outcome."""
BLOCKS = "blocks"
"""Blocked attempts by the policy's reason code (one attempt counts under each reason)."""
HUNG_UP = "hung_up"
"""People reached who hung up before an agent came (outcome human, answered, never bridged, not
abandoned by konform, not opted out): the wallboard's missed calls."""
MACHINES = "machines"
"""Attempts with the outcome ``machine`` by the AMD stage that caught the mailbox: ``first``,
``guard`` (over our prompt) or ``agent`` (after the bridge: the detector's misses)."""
OPTOUTS = "optouts"
"""Opt-outs (audit rows) by source."""
AMD = "amd"
"""Histogram of the seconds from the answer to the AMD verdict: cumulative counts per bound."""
SETUP = "setup"
"""Histogram of the seconds from dialling to the answer."""
TALK = "talk"
"""Attempts bridged to an agent; ``total``: milliseconds bridged."""
CSAT = "csat"
"""Ratings; ``total``: their sum (points)."""
INF = "+Inf"
"""A histogram's last bucket: its count is the histogram's, its total the sum (ms)."""

AMD_BUCKETS = (0.5, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0)
"""Seconds from the answer to the AMD verdict. Changing a bound leaves its tallies behind."""
SETUP_BUCKETS = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 25.0, 30.0, 45.0)
"""Seconds from dialling to the answer."""

RETIRED = "retired_tallies"
"""What retention and erasure took."""
SUMMARIES = "day_summaries"
"""What closed days counted (:mod:`konform.store.summaries`)."""
TOTALS = "summary_totals"
"""The day summaries summed over their days (day '')."""
_TABLES = (RETIRED, SUMMARIES, TOTALS)
OPTOUTS_THROUGH = "optouts_summarised_through"
"""Meta key: the last audit id whose opt-out the day summaries count."""

Tallies = dict[tuple[str, str, str, str], list[int]]
"""(campaign, day, metric, key) -> [count, total]."""


def hung_up_where(alias: str = "") -> str:
    """SQL: the attempt (columns of ``alias``) is a person who hung up while waiting (answered
    as a person, never bridged, not abandoned by konform, not opted out): :data:`HUNG_UP`, and
    the wallboard's figure of a period."""
    a = f"{alias}." if alias else ""
    return (
        f"{a}outcome = 'human' AND {a}answered_at IS NOT NULL AND {a}bridged_at IS NULL"
        f" AND {a}abandoned = 0 AND coalesce(json_extract({a}detail, '$.opted_out'), 0) = 0"
    )


def machine_stage(alias: str = "") -> str:
    """SQL: the AMD stage that caught a machine (columns of ``alias``): :data:`MACHINES`' key;
    attempts from before the stage was stored count as the first stage's."""
    return f"coalesce({alias + '.' if alias else ''}amd_stage, 'first')"


_ATTEMPTS = "FROM call_attempts a JOIN campaigns c ON c.id = a.campaign_id"
# The attempts not in a day summary, through their partial index (a few days of rows).
_LIVE_ATTEMPTS = (
    "FROM call_attempts a INDEXED BY call_attempts_live JOIN campaigns c ON c.id = a.campaign_id"
)

# Each attempt's values, computed once per row in a subquery that LIMIT -1 keeps from being
# flattened into the aggregate (which would compute them again for every bucket).
_ROW_VALUES = (
    "SELECT c.name AS name, {day} AS day, coalesce(a.outcome, '') AS outcome,"
    " a.abandoned AS abandoned, a.csat AS csat,"
    f" CASE WHEN {hung_up_where('a')} THEN 1 END AS hung_up,"
    # Bridged to an agent: the talk in whole ms.
    " CASE WHEN a.agent IS NOT NULL AND a.bridged_at IS NOT NULL THEN CAST(round(max(0,"
    " julianday(coalesce(a.ended_at, a.bridged_at)) - julianday(a.bridged_at)) * 86400000.0)"
    " AS INTEGER) END AS talk,"
    # Seconds from dialling to the answer.
    " (julianday(a.answered_at) - julianday(a.started_at)) * 86400.0 AS v"
    " {attempts} WHERE {where} LIMIT -1"
)
# Seconds from the answer to the AMD verdict (only attempts with details can have one).
_AMD_VALUES = (
    "SELECT c.name AS name, {day} AS day, json_extract(a.detail, '$.amd.at_ms') / 1000.0 AS v"
    " {attempts} WHERE a.detail IS NOT NULL AND ({where}) LIMIT -1"
)


def _day(by_day: bool, column: str) -> str:
    return f"substr({column}, 1, 10)" if by_day else "''"


def _bucket_columns(buckets: tuple[float, ...]) -> str:
    """Over the values ``v``: cumulative counts per bound, the count and the sum in whole ms."""
    bounds = [f"count(CASE WHEN v <= {b!r} THEN 1 END)" for b in buckets]
    return ", ".join([*bounds, "count(v), coalesce(sum(CAST(round(v * 1000) AS INTEGER)), 0)"])


def _put(
    into: Tallies, campaign: str, day: str, metric: str, key: str, n: int, total: int = 0
) -> None:
    if n or total:
        entry = into.setdefault((campaign, day, metric, key), [0, 0])
        entry[0] += n
        entry[1] += total


def _put_histogram(
    into: Tallies,
    campaign: str,
    day: str,
    metric: str,
    buckets: tuple[float, ...],
    row: tuple[int, ...],
) -> None:
    for bound, n in zip(buckets, row, strict=False):
        _put(into, campaign, day, metric, repr(bound), n)
    _put(into, campaign, day, metric, INF, row[len(buckets)], row[len(buckets) + 1])


def add(into: Tallies, other: Tallies) -> Tallies:
    """Add ``other`` to ``into``; returns ``into``."""
    for (campaign, day, metric, key), (n, total) in other.items():
        _put(into, campaign, day, metric, key, n, total)
    return into


def attempt_tallies(
    conn: sqlite3.Connection,
    where: str = "1",
    params: tuple[object, ...] = (),
    *,
    by_day: bool = False,
    details_only: bool = False,
    live: bool = False,
) -> Tallies:
    """What the call attempts ``where`` selects (``a``: the attempt, ``c``: its campaign)
    count, per campaign (and UTC day the attempt started if ``by_day``). ``details_only``: only
    what is counted from the attempts' ``detail`` (reasons of blocks, AMD verdicts), which
    clearing the details takes away while the rows stay. ``live``: only attempts not in a day
    summary, read through their partial index."""
    day = _day(by_day, "a.started_at")
    attempts = _LIVE_ATTEMPTS if live else _ATTEMPTS
    if live:
        where = f"a.summarised = 0 AND ({where})"
    tallies: Tallies = {}
    if not details_only:
        values = _ROW_VALUES.format(day=day, attempts=attempts, where=where)
        for campaign, d, outcome, n, abandoned, rated, points, hung_up, *rest in conn.execute(
            "SELECT name, day, outcome, count(*), count(CASE WHEN abandoned <> 0 THEN 1 END),"
            " count(csat), coalesce(sum(csat), 0), count(hung_up), count(talk),"
            " coalesce(sum(talk), 0),"
            f" {_bucket_columns(SETUP_BUCKETS)} FROM ({values}) GROUP BY 1, 2, 3",
            params,
        ):
            _put(tallies, campaign, d, CALLS, outcome, n)
            _put(tallies, campaign, d, ABANDONED, outcome, abandoned)
            _put(tallies, campaign, d, CSAT, "", rated, points)
            _put(tallies, campaign, d, HUNG_UP, "", hung_up)
            _put(tallies, campaign, d, TALK, "", rest[0], rest[1])
            _put_histogram(tallies, campaign, d, SETUP, SETUP_BUCKETS, tuple(rest[2:]))
    for campaign, d, reason, n in conn.execute(
        f"SELECT c.name, {day}, r.value, count(*) {attempts}, json_each(a.detail, '$.reasons') r"
        f" WHERE a.outcome = 'blocked' AND ({where}) GROUP BY 1, 2, 3",
        params,
    ):
        _put(tallies, campaign, d, BLOCKS, str(reason), n)
    if not details_only:
        for campaign, d, stage, n in conn.execute(
            f"SELECT c.name, {day}, {machine_stage('a')}, count(*) {attempts}"
            f" WHERE a.outcome = 'machine' AND ({where}) GROUP BY 1, 2, 3",
            params,
        ):
            _put(tallies, campaign, d, MACHINES, str(stage), n)
    values = _AMD_VALUES.format(day=day, attempts=attempts, where=where)
    for campaign, d, *row in conn.execute(
        f"SELECT name, day, {_bucket_columns(AMD_BUCKETS)} FROM ({values})"
        " WHERE v IS NOT NULL GROUP BY 1, 2",
        params,
    ):
        _put_histogram(tallies, campaign, d, AMD, AMD_BUCKETS, tuple(row))
    return tallies


def optout_tallies(
    conn: sqlite3.Connection,
    where: str = "1",
    params: tuple[object, ...] = (),
    *,
    by_day: bool = False,
) -> Tallies:
    """Opt-outs (audit rows ``opt_out``) that ``where`` selects, by campaign ('' for none) and
    source (and UTC day if ``by_day``)."""
    tallies: Tallies = {}
    for campaign, d, source, n in conn.execute(
        f"SELECT coalesce(campaign, ''), {_day(by_day, 'at')},"
        " coalesce(json_extract(detail, '$.source'), 'unknown'), count(*) FROM audit"
        f" WHERE event = 'opt_out' AND ({where}) GROUP BY 1, 2, 3",
        params,
    ):
        _put(tallies, campaign, d, OPTOUTS, str(source), n)
    return tallies


def stored(
    conn: sqlite3.Connection,
    where: str = "1",
    params: tuple[object, ...] = (),
    *,
    table: str = RETIRED,
) -> Tallies:
    """The retired tallies (or, with ``table`` :data:`SUMMARIES`, the day summaries) ``where``
    selects, summed over their days (day '')."""
    if table not in _TABLES:
        raise ValueError(f"no tallies in {table!r}")
    tallies: Tallies = {}
    for campaign, metric, key, n, total in conn.execute(
        f"SELECT campaign, metric, key, sum(count), sum(total) FROM {table}"
        f" WHERE {where} GROUP BY 1, 2, 3",
        params,
    ):
        _put(tallies, campaign, "", metric, key, n, total)
    return tallies


def optouts_through(conn: sqlite3.Connection) -> int:
    """The last audit id whose opt-out the day summaries count (0: none)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (OPTOUTS_THROUGH,)).fetchone()
    return int(row[0]) if row else 0


def write(conn: sqlite3.Connection, tallies: Tallies, table: str = RETIRED) -> None:
    """Add ``tallies`` (by day) to ``table``: the retired tallies or the day summaries (whose
    totals over the days are kept beside them)."""
    if table == SUMMARIES:
        totals: Tallies = {}
        for (campaign, _, metric, key), (n, total) in tallies.items():
            _put(totals, campaign, "", metric, key, n, total)
        write(conn, totals, TOTALS)
    if table not in _TABLES:
        raise ValueError(f"no tallies in {table!r}")
    conn.executemany(
        f"INSERT INTO {table} (campaign, day, metric, key, count, total)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (campaign, day, metric, key)"
        " DO UPDATE SET count = count + excluded.count, total = total + excluded.total",
        ((*k, n, total) for k, (n, total) in tallies.items()),
    )


def _retire(store: Store, tallies: Tallies) -> None:
    if not store.conn.in_transaction:
        # Alone, the tally would commit without the deletion it stands for.
        raise RuntimeError("retired tallies are written in the transaction that deletes the rows")
    write(store.conn, tallies)


def retire_attempts(
    store: Store, where: str, params: tuple[object, ...] = (), *, details_only: bool = False
) -> None:
    """Tally the call attempts ``where`` selects before the caller deletes them (or, with
    ``details_only``, clears their ``detail``), inside the caller's transaction. Summarised
    attempts are left out: their day summary counts them already, whatever becomes of them."""
    unsummarised = f"a.summarised = 0 AND ({where})"
    _retire(
        store,
        attempt_tallies(store.conn, unsummarised, params, by_day=True, details_only=details_only),
    )


def retire_optouts(store: Store, where: str, params: tuple[object, ...] = ()) -> None:
    """Tally the opt-out audit rows ``where`` selects before the caller deletes them, inside the
    caller's transaction. Opt-outs the day summaries count already are left out."""
    after = f"id > {optouts_through(store.conn)} AND ({where})"
    _retire(store, optout_tallies(store.conn, after, params, by_day=True))
