"""The SQLite store: schema, WAL, the key file, the append-only audit log, opt-out and GDPR."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from konform.numbers import number_key
from konform.policy import Campaign
from konform.store import attempts, audit, callerids, campaigns, donotcall, gdpr
from konform.store.consents import ConsentRow, consents_of, events_of, record_consents
from konform.store.contacts import ContactRow, upsert_contacts
from konform.store.database import Store, StoreError, open_store
from konform.store.facts import gather
from konform.store.objection import opt_out
from konform.store.schema import MIGRATIONS, SCHEMA_VERSION

NUMBER = "+49301234567"


def test_new_store_is_wal_and_current(store: Store) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_key_file_is_private_and_required(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    open_store(db).close()
    key = tmp_path / "k.db.key"
    assert key.stat().st_mode & 0o777 == 0o600
    key.rename(tmp_path / "moved.key")
    with pytest.raises(StoreError, match="missing"):
        open_store(db)
    (tmp_path / "other.key").write_text("ab" * 32)
    with pytest.raises(StoreError, match="does not belong"):
        open_store(db, tmp_path / "other.key")
    open_store(db, tmp_path / "moved.key").close()


def test_garbage_file_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a usable konform database"):
        open_store(bad)


def test_audit_log_is_append_only(store: Store) -> None:
    audit.record(store, "test", number=NUMBER, note="x")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("UPDATE audit SET event = 'changed'")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM audit")
    (entry,) = audit.entries(store, NUMBER)
    assert entry["number_key"] == number_key(store.secret, NUMBER).hex()
    assert NUMBER not in str(entry)


def test_lists_are_kept_apart(store: Store) -> None:
    with store.transaction():
        donotcall.add_keys(store, "robinson", [number_key(store.secret, NUMBER)])
    assert donotcall.is_listed(store, "robinson", NUMBER)
    assert not donotcall.is_listed(store, "internal", NUMBER)


def _seed(store: Store) -> int:
    callerids.add(store, "+49305550001")
    campaigns.add(store, Campaign("spring", "+49305550001", "sales"))
    with store.transaction():
        upsert_contacts(store, [ContactRow(NUMBER, "Anna", "DE-BE", "b2c", None, None)])
        record_consents(
            store,
            [
                ConsentRow(
                    NUMBER,
                    "sales",
                    datetime(2026, 1, 1, tzinfo=UTC),
                    datetime(2026, 1, 2, tzinfo=UTC),
                    None,
                    "web",
                )
            ],
        )
    cid = campaigns.campaign_id(store, "spring")
    assert cid is not None
    return cid


def test_facts_gathered_from_the_store(store: Store) -> None:
    cid = _seed(store)
    with store.transaction():
        a = attempts.start(store, cid, NUMBER, datetime(2026, 11, 20, 10, tzinfo=UTC))
        attempts.finish(store, a, "busy")
        b = attempts.start(store, cid, NUMBER, datetime(2026, 11, 20, 11, tzinfo=UTC))
        attempts.finish(store, b, "blocked")
    campaign = campaigns.get(store, "spring")
    assert campaign is not None
    facts = gather(store, campaign, NUMBER)
    assert facts.caller_id_owned
    assert facts.contact is not None
    assert facts.contact.region == "DE-BE"
    assert sorted((c.purpose, c.kind) for c in facts.consents) == [
        ("sales", "confirmed"),
        ("sales", "given"),
    ]
    assert facts.attempts.count == 1
    assert facts.attempts.last_outcome == "busy"


def test_opt_out_lists_erases_and_audits(store: Store, tmp_path: Path) -> None:
    cid = _seed(store)
    recording = tmp_path / "call.wav"
    recording.write_bytes(b"RIFF")
    with store.transaction():
        a = attempts.start(store, cid, NUMBER)
        store.conn.execute(
            "INSERT INTO recordings (attempt_id, path, created_at) VALUES (?, ?, 'now')",
            (a, str(recording)),
        )
    assert opt_out(store, NUMBER, source="test", campaign="spring")
    assert donotcall.is_listed(store, "internal", NUMBER)
    assert not recording.exists()
    exported = gdpr.export(store, NUMBER)
    assert exported["contact"] is None
    # The consent evidence stays, under the keyed hash only (§ 7a UWG, Art. 17 (3) b GDPR).
    assert [e["event"] for e in exported["consent_events"]] == ["given", "confirmed"]
    kept = store.conn.execute("SELECT count(*) FROM consent_events WHERE number IS NOT NULL")
    assert kept.fetchone()[0] == 0
    assert exported["recordings"] == []
    assert exported["on_internal_list"]
    plain = store.conn.execute("SELECT count(*) FROM call_attempts WHERE number IS NOT NULL")
    assert plain.fetchone()[0] == 0
    events = [e["event"] for e in audit.entries(store, NUMBER)]
    assert events[-2:] == ["opt_out", "erasure"]
    assert not opt_out(store, NUMBER, source="test")  # second time: already listed


def test_export_lists_everything(store: Store) -> None:
    _seed(store)
    data = gdpr.export(store, NUMBER)
    assert data["contact"]["name"] == "Anna"
    assert data["consent_events"][0]["source"] == "web"
    assert data["on_robinson_list"] is False


def test_bulk_keys_are_deduplicated_and_all_findable(store: Store) -> None:
    numbers = [f"+4930{i:07d}" for i in range(1000, 6000)]
    keys = [store.keyer.number_key(n) for n in numbers]
    blob = b"".join(keys + keys[:100])  # repeats inside one load
    with store.transaction():
        assert donotcall.add_key_blob(store, "robinson", blob) == len(numbers)
        assert donotcall.add_key_blob(store, "robinson", b"".join(keys[:10])) == 0
    assert donotcall.count(store, "robinson") == len(numbers)
    assert all(donotcall.is_listed(store, "robinson", n) for n in numbers[::97])
    with pytest.raises(ValueError, match="32-byte"):
        donotcall.add_key_blob(store, "robinson", b"short")


def test_attempts_without_outcome_are_closed_as_failed(store: Store) -> None:
    cid = _seed(store)
    with store.transaction():
        attempts.start(store, cid, NUMBER)
    assert sum(attempts.resolve_open(store).values()) == 1
    outcome = store.conn.execute("SELECT outcome FROM call_attempts").fetchone()[0]
    assert outcome == "failed"
    assert sum(attempts.resolve_open(store).values()) == 0


def test_consents_of_schema_2_become_keyed_events(tmp_path: Path) -> None:
    """Migration 3 turns each consent row into its events and keys them on the next open."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    for statements in MIGRATIONS[:2]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 2")
    conn.execute(
        "INSERT INTO consents (number, purpose, given_at, confirmed_at, revoked_at, source)"
        " VALUES (?, 'sales', '2026-01-01T00:00:00+00:00', '2026-01-02T00:00:00+00:00',"
        " '2026-03-01T00:00:00+00:00', 'web')",
        (NUMBER,),
    )
    conn.close()
    with open_store(path) as store:
        events = events_of(store, NUMBER)
        assert [e.kind for e in events] == ["given", "confirmed", "revoked"]
        assert consents_of(store, NUMBER) == {"sales": "revoked"}


def test_an_attempt_ends_on_the_clock_it_started_on(store: Store) -> None:
    """A simulated clock (serve --simulated-now) must not mix with the wall clock in one
    attempt: the report's talk time and occupancy subtract its instants."""
    cid = _seed(store)
    started = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
    with store.transaction():
        a = attempts.start(store, cid, NUMBER, started)
        attempts.finish(store, a, "human", started.replace(minute=2))
    row = store.conn.execute("SELECT ended_at FROM call_attempts WHERE id = ?", (a,)).fetchone()
    assert row[0] == "2026-11-24T09:02:00+00:00"
