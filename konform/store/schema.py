"""The database schema and its migrations, versioned with ``PRAGMA user_version``.

Each migration is a list of statements applied in one transaction; a database is brought up to
the newest version when opened. Never edit a released migration: add the next one.
"""

from __future__ import annotations

import sqlite3

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "migrate"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE caller_ids (number TEXT PRIMARY KEY, label TEXT, added_at TEXT NOT NULL)",
        """CREATE TABLE campaigns (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            caller_id TEXT NOT NULL,
            purpose TEXT NOT NULL,
            calling_window TEXT NOT NULL,
            max_attempts INTEGER NOT NULL,
            retry_after TEXT NOT NULL,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE contacts (
            number TEXT PRIMARY KEY,
            name TEXT,
            region TEXT,
            kind TEXT NOT NULL CHECK (kind IN ('b2c', 'b2b')),
            customer_until TEXT,
            basis TEXT,
            updated_at TEXT NOT NULL)""",
        """CREATE TABLE consents (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL,
            purpose TEXT NOT NULL,
            given_at TEXT NOT NULL,
            confirmed_at TEXT,
            revoked_at TEXT,
            source TEXT,
            UNIQUE (number, purpose, given_at))""",
        "CREATE INDEX consents_number ON consents (number)",
        "CREATE TABLE dnc_internal (key BLOB PRIMARY KEY, added_at TEXT NOT NULL) WITHOUT ROWID",
        "CREATE TABLE dnc_robinson (key BLOB PRIMARY KEY) WITHOUT ROWID",
        """CREATE TABLE list_imports (
            id INTEGER PRIMARY KEY,
            list TEXT NOT NULL,
            source TEXT NOT NULL,
            rows_added INTEGER NOT NULL,
            at TEXT NOT NULL)""",
        """CREATE TABLE call_attempts (
            id INTEGER PRIMARY KEY,
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
            number_key BLOB NOT NULL,
            number TEXT,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            outcome TEXT,
            channel_id TEXT,
            detail TEXT)""",
        "CREATE INDEX call_attempts_number ON call_attempts (number_key, campaign_id)",
        """CREATE TABLE recordings (
            id INTEGER PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES call_attempts (id),
            path TEXT NOT NULL,
            created_at TEXT NOT NULL)""",
        """CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            campaign TEXT,
            number_key TEXT,
            detail TEXT NOT NULL)""",
        """CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
        """CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END""",
    ),
    (
        """CREATE TABLE campaign_contacts (
            campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
            number TEXT NOT NULL,
            added_at TEXT NOT NULL,
            done_at TEXT,
            PRIMARY KEY (campaign_id, number))""",
        "CREATE INDEX campaign_contacts_number ON campaign_contacts (number)",
    ),
)

SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection) -> int:
    """Apply the missing migrations; return the version the database is now at."""
    version: int = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database has schema version {version}, newer than this konform knows "
            f"({SCHEMA_VERSION}); upgrade konform"
        )
    for number, statements in enumerate(MIGRATIONS[version:], start=version + 1):
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
    return SCHEMA_VERSION
