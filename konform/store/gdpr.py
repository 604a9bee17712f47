"""GDPR rights on the store: export everything about a number, and erase it.

Erasure removes the contact, its consents, plain numbers in call attempts and its recordings
(rows and files). What stays is pseudonymous: the keyed hash on a do-not-call list, attempt
counts under that hash, and the audit trail, which never held the plain number.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from konform.store import audit
from konform.store.database import Store

__all__ = ["delete_files", "erase", "export"]

logger = logging.getLogger(__name__)


def _rows(store: Store, sql: str, params: tuple[object, ...]) -> list[dict[str, Any]]:
    cursor = store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def export(store: Store, number: str) -> dict[str, Any]:
    """All data held about ``number`` (E.164), as plain JSON-able values."""
    key = store.keyer.number_key(number)
    attempts = _rows(
        store,
        "SELECT a.id, c.name AS campaign, a.started_at, a.ended_at, a.outcome FROM call_attempts a"
        " JOIN campaigns c ON c.id = a.campaign_id WHERE a.number_key = ? ORDER BY a.id",
        (key,),
    )
    return {
        "number": number,
        "contact": next(
            iter(_rows(store, "SELECT * FROM contacts WHERE number = ?", (number,))), None
        ),
        "consent_events": _rows(
            store,
            "SELECT purpose, event, at, source, via, recorded_at FROM consent_events"
            " WHERE number_key = ? ORDER BY at, id",
            (key,),
        ),
        "on_internal_list": bool(
            store.conn.execute("SELECT 1 FROM dnc_internal WHERE key = ?", (key,)).fetchone()
        ),
        "on_robinson_list": bool(
            store.conn.execute("SELECT 1 FROM dnc_robinson WHERE key = ?", (key,)).fetchone()
        ),
        "call_attempts": attempts,
        "recordings": _rows(
            store,
            "SELECT r.path, r.created_at FROM recordings r JOIN call_attempts a"
            " ON a.id = r.attempt_id WHERE a.number_key = ? ORDER BY r.id",
            (key,),
        ),
        "audit": audit.entries(store, number),
    }


def erase(store: Store, number: str, why: str) -> list[Path]:
    """Erase personal data of ``number`` inside the caller's transaction.

    Returns the recording files to delete once the transaction has committed.
    """
    key = store.keyer.number_key(number)
    conn = store.conn
    files = [
        Path(p)
        for (p,) in conn.execute(
            "SELECT r.path FROM recordings r JOIN call_attempts a ON a.id = r.attempt_id"
            " WHERE a.number_key = ?",
            (key,),
        )
    ]
    conn.execute(
        "DELETE FROM recordings WHERE attempt_id IN"
        " (SELECT id FROM call_attempts WHERE number_key = ?)",
        (key,),
    )
    contacts = conn.execute("DELETE FROM contacts WHERE number = ?", (number,)).rowcount
    # The consent evidence stays, keyed only: § 7a UWG requires it for five years and
    # Art. 17 (3) b GDPR exempts what a legal obligation requires to keep.
    consents = conn.execute(
        "UPDATE consent_events SET number = NULL WHERE number_key = ? AND number IS NOT NULL",
        (key,),
    ).rowcount
    conn.execute("DELETE FROM campaign_contacts WHERE number = ?", (number,))
    conn.execute(
        "UPDATE call_attempts SET number = NULL, detail = NULL WHERE number_key = ?", (key,)
    )
    audit.record(
        store,
        "erasure",
        number=number,
        why=why,
        contacts=contacts,
        consents=consents,
        recordings=len(files),
    )
    return files


def delete_files(files: list[Path]) -> None:
    """Remove erased recordings from disk (after the erasure committed)."""
    for file in files:
        try:
            file.unlink(missing_ok=True)
        except OSError as exc:
            logger.error("could not delete erased recording %s: %s", file, exc)
