"""The console command ``mailbox`` (an agent hears a mailbox the detector missed): the store
accepts it, and a store made before it keeps its commands when it is opened."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from konform.store import attempts, call_commands
from konform.store.database import open_store
from konform.store.schema import MIGRATIONS, SCHEMA_VERSION
from tests.unit.schema_rewind import rewind
from tests.unit.test_store import NUMBER, _seed

MAILBOX = next(i for i, m in enumerate(MIGRATIONS) if any("'mailbox'" in s for s in m))
AT = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _store_before_mailbox(path: Path) -> int:
    """A store whose call_commands table is the one before the migration, with one open
    command; the attempt's id."""
    with open_store(path) as store:
        with store.transaction():
            attempt = attempts.start(store, _seed(store), NUMBER, AT)
        call_commands.request(store, attempt, "hangup", "alice", AT)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    rewind(conn, MAILBOX)
    with pytest.raises(sqlite3.IntegrityError):
        conn.execute(
            "INSERT INTO call_commands (attempt_id, command, requested_by, requested_at)"
            " VALUES (?, 'mailbox', 'alice', '2026-11-24T09:00:00+00:00')",
            (attempt,),
        )
    conn.close()
    return attempt


def test_the_migration_keeps_the_commands_and_admits_mailbox(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    attempt = _store_before_mailbox(path)
    with open_store(path) as store:
        conn = store.conn
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute(
            "SELECT attempt_id, command, requested_by, taken_at FROM call_commands"
        ).fetchall() == [(attempt, "hangup", "alice", None)]
        indexes = {row[1] for row in conn.execute("PRAGMA index_list('call_commands')")}
        assert "call_commands_open" in indexes
        call_commands.request(store, attempt, "mailbox", "alice", AT)
        (taken,) = [c for c in call_commands.take_open(store, [attempt]) if c.command == "mailbox"]
        assert taken.requested_by == "alice"


def test_mailbox_is_a_console_command() -> None:
    assert "mailbox" in call_commands.COMMANDS
