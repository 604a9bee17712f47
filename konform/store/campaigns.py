"""Campaigns: name, the caller ID they present, purpose, jurisdiction, window and attempt rules."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from konform.calling_time import parse_window
from konform.jurisdictions import DEFAULT
from konform.policy import DEFAULT_RETRY_AFTER, Campaign
from konform.store import audit
from konform.store.database import Store, utc_text

__all__ = ["add", "get", "list_all"]


def add(store: Store, campaign: Campaign) -> None:
    retry = {k: int(v.total_seconds() // 60) for k, v in campaign.retry_after.items()}
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO campaigns (name, caller_id, purpose, calling_window, max_attempts,"
            " retry_after, created_at, jurisdiction) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                campaign.name,
                campaign.caller_id,
                campaign.purpose,
                str(campaign.window),
                campaign.max_attempts,
                json.dumps(retry, sort_keys=True),
                utc_text(datetime.now(UTC)),
                campaign.jurisdiction,
            ),
        )
        audit.record(
            store,
            "campaign_added",
            campaign=campaign.name,
            caller_id=campaign.caller_id,
            purpose=campaign.purpose,
            window=str(campaign.window),
            max_attempts=campaign.max_attempts,
            jurisdiction=campaign.jurisdiction,
        )


def _from_row(row: tuple[str, str, str, str, int, str, str | None]) -> Campaign:
    name, caller_id, purpose, window, max_attempts, retry, jurisdiction = row
    retry_after = dict(DEFAULT_RETRY_AFTER)
    retry_after.update({k: timedelta(minutes=v) for k, v in json.loads(retry).items()})
    return Campaign(
        name,
        caller_id,
        purpose,
        parse_window(window),
        max_attempts,
        retry_after,
        jurisdiction=jurisdiction or DEFAULT,
    )


_COLUMNS = "name, caller_id, purpose, calling_window, max_attempts, retry_after, jurisdiction"


def get(store: Store, name: str) -> Campaign | None:
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM campaigns WHERE name = ?", (name,)).fetchone()
    return _from_row(row) if row else None


def campaign_id(store: Store, name: str) -> int | None:
    row = store.conn.execute("SELECT id FROM campaigns WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else None


def list_all(store: Store) -> list[Campaign]:
    rows = store.conn.execute(f"SELECT {_COLUMNS} FROM campaigns ORDER BY name").fetchall()
    return [_from_row(r) for r in rows]


def assign(store: Store, name: str, numbers: list[str]) -> int:
    """Put numbers (E.164) on a campaign's call list, inside the caller's transaction."""
    cid = campaign_id(store, name)
    if cid is None:
        raise KeyError(name)
    now = utc_text(datetime.now(UTC))
    before = store.conn.total_changes
    store.conn.executemany(
        "INSERT OR IGNORE INTO campaign_contacts (campaign_id, number, added_at) VALUES (?, ?, ?)",
        ((cid, n, now) for n in numbers),
    )
    return store.conn.total_changes - before


def pending_numbers(store: Store, name: str) -> list[str]:
    """The campaign's numbers not yet done, oldest first."""
    rows = store.conn.execute(
        "SELECT cc.number FROM campaign_contacts cc JOIN campaigns c ON c.id = cc.campaign_id"
        " WHERE c.name = ? AND cc.done_at IS NULL ORDER BY cc.added_at, cc.rowid",
        (name,),
    ).fetchall()
    return [r[0] for r in rows]


def mark_done(store: Store, name: str, number: str) -> None:
    store.conn.execute(
        "UPDATE campaign_contacts SET done_at = ? WHERE number = ? AND campaign_id ="
        " (SELECT id FROM campaigns WHERE name = ?)",
        (utc_text(datetime.now(UTC)), number, name),
    )
