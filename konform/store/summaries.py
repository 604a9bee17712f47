"""Day summaries: what closed call attempts and opt-outs count, made once and kept, so that a
scrape of ``/metrics`` (:func:`konform.store.console.counters`) and a campaign's all-time report
(:func:`konform.store.report.campaign_report` without ``since``) cost the same whatever the
store holds: they read the summaries, the retired tallies and the attempts not summarised yet
(a partial index holds those: about the last two days).

A summary has the shape of a retired tally (:mod:`konform.store.tallies`: campaign, UTC day the
attempts started, metric, key, counts) and is computed by the same :func:`tallies.attempt_tallies`
that the live figures use, so the figures are the same with and without summaries.

Which rows, and why each counts exactly once:

- an attempt is summarised once it is closed: it has an outcome and both its start and its end
  are before the UTC day before ``now`` (the call path writes its moments, rating and AMD stage
  before or with the outcome; an attempt left open by a crash stays live until
  :func:`konform.store.attempts.resolve_open` gives it an outcome at the next start). It is
  marked ``summarised`` in the transaction that adds it to its day's summary, so it is never
  summarised again; an attempt of a past day inserted later simply waits for the next run;
- retention and erasure retire only unsummarised attempts (:func:`tallies.retire_attempts`):
  what they delete or clear of a summarised row stays counted in its summary;
- opt-outs are audit rows, which never change: they are summarised up to the newest audit id,
  kept in meta ``optouts_summarised_through``; retention retires only those after it.

:func:`summarise` runs with retention (at ``konform serve``'s start and daily), one transaction
per UTC day of attempts (a failure leaves that day as it was), one day per job of the store's
worker so that the calls' writes go on between them (:func:`konform.store.retention.run_daily`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from konform.store import tallies
from konform.store.database import Store, utc_text

__all__ = ["summarise"]

_CLOSED = (
    "a.summarised = 0 AND a.outcome IS NOT NULL AND a.started_at >= ? AND a.started_at < ?"
    " AND a.ended_at < ?"
)


def _horizon(now: datetime) -> datetime:
    """The start of the UTC day before ``now``: attempts ending before it are closed."""
    day = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return day - timedelta(days=1)


def _first_open_day(store: Store, horizon: str) -> datetime | None:
    """The UTC day of the first closed attempt not summarised: the first in the partial index's
    order (past the few open ones), never a scan of the index."""
    row = store.conn.execute(
        "SELECT started_at FROM call_attempts INDEXED BY call_attempts_live"
        " WHERE summarised = 0 AND started_at < :horizon AND outcome IS NOT NULL"
        " AND ended_at < :horizon ORDER BY started_at LIMIT 1",
        {"horizon": horizon},
    ).fetchone()
    if row is None:
        return None
    return datetime.fromisoformat(row[0][:10]).replace(tzinfo=UTC)


def _summarise_batch(store: Store, start: str, stop: str, horizon: str) -> int:
    """Summarise the closed attempts started in [start, stop); the number of rows."""
    params = (start, stop, horizon)
    with store.transaction() as conn:
        tallies.write(
            conn,
            tallies.attempt_tallies(conn, _CLOSED, params, by_day=True, live=True),
            tallies.SUMMARIES,
        )
        return conn.execute(
            f"UPDATE call_attempts AS a SET summarised = 1 WHERE {_CLOSED}", params
        ).rowcount


def _summarise_optouts(store: Store) -> None:
    with store.transaction() as conn:
        through = tallies.optouts_through(conn)
        (last,) = conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()
        if last <= through:
            return
        figures = tallies.optout_tallies(conn, "id > ? AND id <= ?", (through, last), by_day=True)
        tallies.write(conn, figures, tallies.SUMMARIES)
        conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (tallies.OPTOUTS_THROUGH, str(last)),
        )


def summarise(store: Store, now: datetime, days: int | None = None) -> int:
    """Add the attempts closed at ``now`` (of the first ``days`` UTC days that have any; None:
    all) and the opt-outs audited so far to the day summaries; returns how many attempts were
    summarised (0: nothing is left to summarise at ``now``)."""
    horizon = _horizon(now)
    until = utc_text(horizon)
    done = 0
    while (days is None or days > 0) and (first := _first_open_day(store, until)) is not None:
        stop = min(first + timedelta(days=1), horizon)
        done += _summarise_batch(store, utc_text(first), utc_text(stop), until)
        days = None if days is None else days - 1
    _summarise_optouts(store)
    return done
