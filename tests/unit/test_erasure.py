"""Erasure that holds (finding 9, GDPR Art. 17): journalled file deletion, secure_delete and a
checkpoint, the consent proof kept (§ 7a Abs. 2 Satz 1 UWG, Art. 17 (3) b GDPR)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from konform.store import audit, gdpr
from konform.store.database import Store, open_store
from konform.store.objection import opt_out
from tests.conftest import CliRunner
from tests.unit.privacy_seed import NAME, NUMBER, call, seed

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)


def _pending(store: Store) -> int:
    return int(store.conn.execute("SELECT count(*) FROM pending_deletions").fetchone()[0])


def test_crash_between_commit_and_file_deletion_is_finished_at_next_start(
    tmp_path: Path,
) -> None:
    """finding 9: a crash after the erasure's commit left the recording on disk, its row gone."""
    db = tmp_path / "konform.db"
    store = open_store(db)
    cid = seed(store)
    recording = tmp_path / "1767261600.42.wav"
    call(store, cid, AT, "human", recording=recording)
    with store.transaction():
        files = gdpr.erase(store, NUMBER, why="data subject request")
    assert files == [recording]
    store.close()  # the crash: delete_files never ran
    assert recording.exists()

    store = open_store(db)
    assert _pending(store) == 1
    assert gdpr.finish_pending_deletions(store) == 1
    assert not recording.exists()
    assert _pending(store) == 0
    store.close()


def test_delete_files_empties_the_journal(store: Store, tmp_path: Path) -> None:
    """finding 9: every file an erasure deletes goes through the journal and leaves it."""
    cid = seed(store)
    recording = tmp_path / "1767261600.43.wav"
    call(store, cid, AT, "human", recording=recording)
    assert opt_out(store, NUMBER, source="test")  # objection.py's path: erase + delete_files
    assert not recording.exists()
    assert _pending(store) == 0


def test_a_missing_file_counts_as_deleted(store: Store, tmp_path: Path) -> None:
    """finding 9: a journalled file already gone is not retried for ever."""
    with store.transaction():
        gdpr.queue_deletions(store, [tmp_path / "gone.wav"], why="erasure")
    assert gdpr.finish_pending_deletions(store) == 1
    assert _pending(store) == 0


def test_a_failed_deletion_stays_queued_and_logs_no_number(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """finding 9: a file that cannot be deleted stays in the journal; the log names no number."""
    stuck = tmp_path / f"call-{NUMBER}"
    stuck.mkdir()
    (stuck / "x").write_text("x")
    with store.transaction():
        gdpr.queue_deletions(store, [stuck], why="erasure")
    with caplog.at_level(logging.WARNING):
        assert gdpr.finish_pending_deletions(store) == 0
    assert _pending(store) == 1
    assert "journal row" in caplog.text
    assert NUMBER not in caplog.text
    assert NUMBER[1:] not in caplog.text


def test_erasure_turns_secure_delete_on(store: Store) -> None:
    """finding 9: freed pages are overwritten even where SQLite's default leaves them."""
    seed(store)
    store.conn.execute("PRAGMA secure_delete = OFF")
    with store.transaction():
        gdpr.erase(store, NUMBER, why="test")
    assert store.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1


def test_no_plain_number_left_in_the_database_or_its_log(tmp_path: Path) -> None:
    """finding 9: after erasure the plain number (and name) is in neither the database file
    nor the write-ahead log: not in free pages, not in old log frames."""
    db = tmp_path / "konform.db"
    store = open_store(db)
    store.conn.execute("PRAGMA secure_delete = OFF")  # as on a build whose default is off
    cid = seed(store)
    call(store, cid, AT, "human")
    store.checkpoint()  # the number is in the database file's pages now
    seed(store)  # and written again, so the log holds frames with it too
    call(store, cid, AT, "busy")
    wal = db.with_name(db.name + "-wal")
    assert NUMBER.encode() in db.read_bytes() + wal.read_bytes()

    assert opt_out(store, NUMBER, source="test")
    raw = db.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    for secret in (NUMBER, NUMBER[1:], NAME):
        assert secret.encode() not in raw, secret
    # the erasure is kept as a keyed marker, and the store still works
    assert store.conn.execute("SELECT count(*) FROM erasures").fetchone()[0] == 1
    store.close()


def test_erasure_audit_says_what_proof_was_kept_and_why(store: Store) -> None:
    """§ 7a Abs. 2 Satz 1 UWG, Art. 17 (3) b GDPR: the consent events stay, keyed."""
    seed(store)
    with store.transaction():
        gdpr.erase(store, NUMBER, why="data subject request")
    entry = audit.entries(store, NUMBER)[-1]
    assert entry["event"] == "erasure"
    assert entry["detail"]["consent_events_kept"] == 2
    assert "§ 7a" in entry["detail"]["kept_because"]
    assert "Art. 17 (3) b" in entry["detail"]["kept_because"]
    assert gdpr.export(store, NUMBER)["erased_at"] is not None


def test_cli_erase_and_optout_finish_what_a_crash_left(cli: CliRunner, tmp_path: Path) -> None:
    """finding 9: `konform gdpr erase` and `konform optout` delete files a crash left queued."""
    store = open_store(tmp_path / "konform.db")
    left = tmp_path / "left.wav"
    left.write_bytes(b"RIFF")
    with store.transaction():
        gdpr.queue_deletions(store, [left], why="erasure")
    store.close()
    assert cli("gdpr", "erase", "+49 30 7654321").code == 0
    assert not left.exists()
    left.write_bytes(b"RIFF")
    store = open_store(tmp_path / "konform.db")
    with store.transaction():
        gdpr.queue_deletions(store, [left], why="erasure")
    store.close()
    assert cli("optout", "+49 30 7654321").code == 0
    assert not left.exists()
