"""Seeding a store for the privacy tests: a campaign, a contact with consent, attempts."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from konform.outcomes import Outcome
from konform.policy import Campaign
from konform.store import attempts, callerids, campaigns
from konform.store.consents import ConsentRow, record_consents
from konform.store.contacts import ContactRow, upsert_contacts
from konform.store.database import Store

NUMBER = "+49301234567"
NAME = "Annegret Zwiebelhuber"


def seed(store: Store, number: str = NUMBER, given: datetime | None = None) -> int:
    """Campaign 'spring' (purpose sales) with ``number`` as a consenting contact; its id."""
    if campaigns.campaign_id(store, "spring") is None:
        callerids.add(store, "+49305550001")
        campaigns.add(store, Campaign("spring", "+49305550001", "sales"))
    given = given or datetime(2026, 1, 1, tzinfo=UTC)
    cid = campaigns.campaign_id(store, "spring")
    assert cid is not None
    with store.transaction():
        upsert_contacts(store, [ContactRow(number, NAME, "DE-BE", "b2c", None, None)])
        record_consents(store, [ConsentRow(number, "sales", given, given, None, "web form")])
        campaigns.assign(store, "spring", [number])
    return cid


def call(
    store: Store,
    cid: int,
    at: datetime,
    outcome: Outcome,
    number: str = NUMBER,
    recording: Path | None = None,
) -> int:
    """One finished call attempt at ``at`` (with a recording file if given); its id."""
    with store.transaction():
        attempt = attempts.start(store, cid, number, at)
        attempts.finish(store, attempt, outcome, note=f"called {number}")
        if recording is not None:
            recording.write_bytes(b"RIFF....WAVE")
            store.conn.execute(
                "INSERT INTO recordings (attempt_id, path, created_at) VALUES (?, ?, ?)",
                (attempt, str(recording), at.isoformat(timespec="seconds")),
            )
    return attempt
