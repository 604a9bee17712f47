"""What the console adds to a call attempt goes with retention and erasure: an agent's note is a
plain detail (cleared with the number after ``[retention] attempts`` days), the console's
requests about a call go when the attempt row goes, and an erasure clears notes and
dispositions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from konform.config import RetentionConfig
from konform.store import gdpr, retention
from konform.store.database import Store
from tests.unit.privacy_seed import NUMBER, call, seed

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _note(store: Store, attempt: int) -> None:
    store.conn.execute(
        "UPDATE call_attempts SET agent = 'agent1', disposition = 'callback',"
        " note = 'Frau Z. ruft zurück' WHERE id = ?",
        (attempt,),
    )
    store.conn.execute(
        "INSERT INTO call_commands (attempt_id, command, requested_by, requested_at)"
        " VALUES (?, 'optout_menu', 'alice', ?)",
        (attempt, AT.isoformat()),
    )


def test_retention_clears_notes_and_deletes_requests_with_their_attempts(store: Store) -> None:
    cid = seed(store)
    attempt = call(store, cid, AT, "human")
    _note(store, attempt)
    retention.run(store, AT + timedelta(days=400), RetentionConfig())
    row = store.conn.execute(
        "SELECT number, note, disposition FROM call_attempts WHERE id = ?", (attempt,)
    ).fetchone()
    assert row == (None, None, "callback")  # the code stays, pseudonymous
    retention.run(store, AT + timedelta(days=4000), RetentionConfig())  # past every proof
    assert store.conn.execute("SELECT count(*) FROM call_attempts").fetchone()[0] == 0
    assert store.conn.execute("SELECT count(*) FROM call_commands").fetchone()[0] == 0


def test_erasure_clears_notes_and_dispositions(store: Store) -> None:
    cid = seed(store)
    attempt = call(store, cid, AT, "human")
    _note(store, attempt)
    with store.transaction():
        gdpr.erase(store, NUMBER, why="test")
    row = store.conn.execute(
        "SELECT number, note, disposition FROM call_attempts WHERE id = ?", (attempt,)
    ).fetchone()
    assert row == (None, None, None)
