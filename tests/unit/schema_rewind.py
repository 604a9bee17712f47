"""Rewind a store made at the newest schema to an older version, for the tests of a migration
on a store that has data: each migration's undo, newest first. A test that needs a version no
undo reaches fails here, naming the migration to write an undo for."""

from __future__ import annotations

import sqlite3

from konform.store.schema import SCHEMA_VERSION

__all__ = ["rewind"]

_OLD_CALL_COMMANDS = """CREATE TABLE call_commands (
    id INTEGER PRIMARY KEY,
    attempt_id INTEGER NOT NULL REFERENCES call_attempts (id),
    command TEXT NOT NULL CHECK (command IN ('optout_menu', 'hangup')),
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    taken_at TEXT)"""

UNDO: dict[int, tuple[str, ...]] = {
    9: (  # the day summaries
        "DROP INDEX call_attempts_live",
        "ALTER TABLE call_attempts DROP COLUMN summarised",
        "DROP TABLE day_summaries",
        "DROP TABLE summary_totals",
        "DELETE FROM meta WHERE key = 'optouts_summarised_through'",
    ),
    8: (  # the console command 'mailbox': the table as before, with its rows
        "DROP INDEX call_commands_open",
        "ALTER TABLE call_commands RENAME TO call_commands_now",
        _OLD_CALL_COMMANDS,
        "INSERT INTO call_commands SELECT * FROM call_commands_now",
        "DROP TABLE call_commands_now",
        "CREATE INDEX call_commands_open ON call_commands (attempt_id) WHERE taken_at IS NULL",
    ),
    7: ("ALTER TABLE campaigns DROP COLUMN agents",),  # the campaigns' teams
    6: ("DROP TABLE retired_tallies",),
}


def rewind(conn: sqlite3.Connection, version: int) -> None:
    """Undo the migrations after ``version`` on ``conn`` (a store at the newest schema)."""
    for number in range(SCHEMA_VERSION, version, -1):
        assert number in UNDO, f"no undo of migration {number} in tests/unit/schema_rewind.py"
        for statement in UNDO[number]:
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
