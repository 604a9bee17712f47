"""Retention: deleting what is no longer needed (GDPR Art. 5 (1) e, storage limitation).

One run, in one transaction, with the limits of ``[retention]``:

- recordings older than ``recordings`` days: rows deleted, files through the deletion journal;
- call attempts older than ``attempts`` days lose their plain details (number, detail);
  blocked attempts (never placed, no use of a consent, not counted by the policy) go entirely;
- attempt rows under the keyed hash stay as long as they can be a use of a consent
  (§ 7a Abs. 2 Satz 1 UWG, ``consent_proofs``), which also keeps the attempt limits of running
  campaigns; after that they are deleted;
- consent events of a number and purpose whose proof period ended (five years after the later of
  the last 'given' and the last use, :mod:`konform.store.proofs`) are deleted together;
- erasure markers and audit rows older than ``audit`` days are deleted; an audit row recording a
  consent stays as long as that consent's evidence. The audit's delete trigger allows only rows
  older than meta ``audit_retention_cutoff``: the run sets it, deletes, and removes it again.

Each kind of deletion is audited with its counts, after the deletion in the same transaction.
Before attempt rows or opt-out audit rows go, or attempts' details are cleared, what they counted
is added to the retired tallies in the same transaction (:mod:`konform.store.tallies`): the
counters of ``/metrics`` and a campaign's all-time report do not go down.

The daily run also makes the day summaries of the days that closed (:mod:`konform.store.summaries`),
after retention, in transactions of their own.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from konform.config import RetentionConfig
from konform.store import audit, gdpr, proofs, summaries, tallies
from konform.store.database import Store, utc_text
from konform.store.worker import StoreWorker

__all__ = ["RetentionReport", "run", "run_daily"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetentionReport:
    as_of: str
    recordings_deleted: int = 0
    files_deleted: int = 0
    attempts_anonymised: int = 0
    attempts_deleted: int = 0
    consent_proofs_ended: int = 0
    consent_events_deleted: int = 0
    erasure_markers_deleted: int = 0
    audit_deleted: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _queue_recordings(store: Store, where: str, params: tuple[object, ...]) -> list[Path]:
    """Delete recording rows matching ``where`` (on ``r``/``a``); return their files."""
    conn = store.conn
    rows = conn.execute(
        "SELECT r.id, r.path FROM recordings r JOIN call_attempts a ON a.id = r.attempt_id"
        f" WHERE {where}",
        params,
    ).fetchall()
    conn.executemany("DELETE FROM recordings WHERE id = ?", ((i,) for i, _ in rows))
    return [Path(p) for _, p in rows]


# Audit rows past the cutoff, but those recording a consent whose evidence is still kept.
_OLD_AUDIT = (
    "at < ? AND NOT (event = 'consent_recorded' AND"
    " (number_key, json_extract(detail, '$.purpose')) IN"
    " (SELECT lower(hex(number_key)), purpose FROM consent_events))"
)


def run(store: Store, now: datetime, settings: RetentionConfig) -> RetentionReport:
    """Delete what the limits of ``settings`` no longer allow keeping at ``now``."""
    as_of = utc_text(now)
    conn = store.conn
    with store.transaction():
        gdpr.ensure_secure_delete(conn)
        # Recordings (their files go through the journal).
        files = _queue_recordings(
            store, "r.created_at < ?", (utc_text(now - timedelta(days=settings.recordings)),)
        )
        recordings = len(files)

        # Consent proofs whose period ended (§ 7a Abs. 2 Satz 1 UWG), judged before any
        # attempt (a use) is deleted.
        ended = proofs.ended_proofs(store, now, settings.consent_proofs)
        events_deleted = 0
        for key, purpose in ended:
            events_deleted += conn.execute(
                "DELETE FROM consent_events WHERE number_key = ? AND purpose = ?", (key, purpose)
            ).rowcount

        # Call attempts: plain details after ``attempts`` days; blocked rows entirely.
        attempts_cutoff = utc_text(now - timedelta(days=settings.attempts))
        blocked = "a.started_at < ? AND a.outcome IS 'blocked'"
        files += _queue_recordings(store, blocked, (attempts_cutoff,))
        # What the rows counted stays counted (konform.store.tallies), the rows go.
        tallies.retire_attempts(store, blocked, (attempts_cutoff,))
        attempts_deleted = conn.execute(
            f"DELETE FROM call_attempts AS a WHERE {blocked}", (attempts_cutoff,)
        ).rowcount
        # Keyed rows once no use of a consent can be proven with them any more.
        uses_cutoff = utc_text(proofs.ended_before(now, settings.consent_proofs))
        files += _queue_recordings(store, "a.started_at < ?", (uses_cutoff,))
        # The console's requests about those calls go with them (they reference the rows).
        conn.execute(
            "DELETE FROM call_commands WHERE attempt_id IN"
            " (SELECT id FROM call_attempts WHERE started_at < ?)",
            (uses_cutoff,),
        )
        tallies.retire_attempts(store, "a.started_at < ?", (uses_cutoff,))
        attempts_deleted += conn.execute(
            "DELETE FROM call_attempts AS a WHERE a.started_at < ?", (uses_cutoff,)
        ).rowcount

        # An agent's note is a plain detail like the number (the disposition, a code, stays).
        # What the details counted (reasons, AMD verdicts) is tallied first.
        tallies.retire_attempts(
            store,
            "a.started_at < ? AND a.detail IS NOT NULL",
            (attempts_cutoff,),
            details_only=True,
        )
        anonymised = conn.execute(
            "UPDATE call_attempts SET number = NULL, detail = NULL, note = NULL"
            " WHERE started_at < ? AND (number IS NOT NULL OR detail IS NOT NULL"
            " OR note IS NOT NULL)",
            (attempts_cutoff,),
        ).rowcount
        # Erasure markers and the audit log.
        audit_cutoff = utc_text(now - timedelta(days=settings.audit))
        markers = conn.execute("DELETE FROM erasures WHERE at < ?", (audit_cutoff,)).rowcount
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('audit_retention_cutoff', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (audit_cutoff,),
        )
        tallies.retire_optouts(store, _OLD_AUDIT, (audit_cutoff,))
        audit_deleted = conn.execute(
            f"DELETE FROM audit WHERE {_OLD_AUDIT}", (audit_cutoff,)
        ).rowcount
        conn.execute("DELETE FROM meta WHERE key = 'audit_retention_cutoff'")

        deletions = gdpr.queue_deletions(store, files, why="retention", checkpoint=True)
        counts = {
            "recordings_deleted": recordings,
            "attempts_anonymised": anonymised,
            "attempts_deleted": attempts_deleted,
            "consent_proofs_ended": len(ended),
            "consent_events_deleted": events_deleted,
            "erasure_markers_deleted": markers,
            "audit_deleted": audit_deleted,
        }
        _audit(store, as_of, settings, **counts)
    return RetentionReport(as_of=as_of, files_deleted=gdpr.delete_files(deletions), **counts)


def _audit(store: Store, as_of: str, settings: RetentionConfig, **counts: int) -> None:
    """One audit row per kind that deleted something (written after the deletions)."""
    kinds = {
        "recordings": (("recordings_deleted",), settings.recordings),
        "attempts": (("attempts_anonymised", "attempts_deleted"), settings.attempts),
        "consent_proofs": (
            ("consent_proofs_ended", "consent_events_deleted"),
            settings.consent_proofs,
        ),
        "erasure_markers": (("erasure_markers_deleted",), settings.audit),
        "audit": (("audit_deleted",), settings.audit),
    }
    for kind, (names, days) in kinds.items():
        found: dict[str, Any] = {name: counts[name] for name in names}
        if any(found.values()):
            audit.record(store, "retention", kind=kind, limit_days=days, as_of=as_of, **found)


async def _summarise(worker: StoreWorker, every: timedelta) -> None:
    """The day summaries of the days closed now, one day per job of the worker (the first run
    on a large store has many)."""
    now, summarised = datetime.now(UTC), 0
    try:
        while done := await worker.run(summaries.summarise, worker.store, now, 1):
            summarised += done
    except Exception:
        logger.exception("day summaries failed; trying again in %s", every)
    if summarised:
        logger.info("day summaries: %d attempts summarised", summarised)


async def run_daily(
    worker: StoreWorker, settings: RetentionConfig, every: timedelta = timedelta(days=1)
) -> None:
    """Run retention now and then every ``every`` on the store's worker, until cancelled, each
    time followed by the day summaries of the days closed by then.

    For a long-running service (``konform serve``); a failed run is logged and tried again at
    the next interval.
    """
    while True:
        try:
            report = await worker.run(run, worker.store, datetime.now(UTC), settings)
        except Exception:
            logger.exception("retention run failed; trying again in %s", every)
        else:
            done = {k: v for k, v in report.as_dict().items() if k != "as_of" and v}
            if done:
                logger.info("retention: %s", ", ".join(f"{k} {v}" for k, v in done.items()))
        await _summarise(worker, every)
        await asyncio.sleep(every.total_seconds())
