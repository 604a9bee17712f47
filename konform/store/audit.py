"""The append-only audit log: every policy decision, consent, opt-out and erasure.

Numbers are recorded only as their keyed hash, so an erasure leaves the audit trail intact
without keeping the plain number. Triggers in the schema refuse UPDATE and DELETE.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from konform.store.database import Store, utc_text

__all__ = ["entries", "record"]


def record(
    store: Store,
    event: str,
    *,
    campaign: str | None = None,
    number: str | None = None,
    key: bytes | None = None,
    at: datetime | None = None,
    **detail: Any,
) -> int:
    """Append one event (inside the caller's transaction if one is open); return its id.

    The number is given in E.164 (``number``) or, when only its list key is known, as ``key``.
    """
    if number:
        key = store.keyer.number_key(number)
    cursor = store.conn.execute(
        "INSERT INTO audit (at, event, campaign, number_key, detail) VALUES (?, ?, ?, ?, ?)",
        (
            utc_text(at or datetime.now(UTC)),
            event,
            campaign,
            key.hex() if key else None,
            json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        ),
    )
    return int(cursor.lastrowid or 0)


def entries(store: Store, number: str | None = None) -> list[dict[str, Any]]:
    """Audit entries, all or those of one number, oldest first."""
    sql = "SELECT id, at, event, campaign, number_key, detail FROM audit"
    params: tuple[str, ...] = ()
    if number is not None:
        sql += " WHERE number_key = ?"
        params = (store.keyer.number_key(number).hex(),)
    rows = store.conn.execute(sql + " ORDER BY id", params).fetchall()
    return [
        {
            "id": r[0],
            "at": r[1],
            "event": r[2],
            "campaign": r[3],
            "number_key": r[4],
            "detail": json.loads(r[5]),
        }
        for r in rows
    ]
