"""Opening the SQLite store: WAL mode, migrations, the installation secret, transactions.

The do-not-call secret lives in a key file beside the database (mode 0600), never in the
database, so a copied database alone does not reveal who is on the lists. A fingerprint of the
key in the database catches a wrong or lost key file before lists are silently misread.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from konform.numbers import Keyer
from konform.store.schema import migrate

__all__ = ["Store", "StoreError", "open_store", "utc_text"]


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


def utc_text(moment: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC, the only form instants are stored in."""
    if moment.tzinfo is None:
        raise ValueError("instants must carry a UTC offset")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Store:
    """An open konform database and the secret that keys its do-not-call lists."""

    def __init__(self, db: sqlite_utils.Database, secret: bytes, path: Path) -> None:
        self.db = db
        self.conn: sqlite3.Connection = db.conn
        self.secret = secret
        self.keyer = Keyer(secret)
        self.path = path
        self.unsaved_objections: set[str] = set()
        """Numbers (E.164) whose opt-out could not be committed yet: the gate blocks them in
        memory until a retry commits them (see :class:`konform.store.objection.OptOuts`)."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on error."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database (after bulk writes, so reads stay fast)."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _fingerprint(secret: bytes) -> str:
    return hmac.new(secret, b"konform key check", hashlib.sha256).hexdigest()[:16]


def _read_or_create_secret(key_file: Path, create: bool) -> bytes:
    if key_file.exists():
        text = key_file.read_text(encoding="ascii").strip()
        try:
            secret = bytes.fromhex(text)
        except ValueError:
            raise StoreError(f"key file {key_file} does not hold a hex key") from None
        if len(secret) < 16:
            raise StoreError(f"key file {key_file} holds a key shorter than 16 bytes")
        return secret
    if not create:
        raise StoreError(
            f"key file {key_file} is missing: the do-not-call lists of this database cannot be "
            f"read without it (restore it from your backup)"
        )
    secret = secrets.token_bytes(32)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secret.hex() + "\n")
    return secret


def open_store(path: str | Path, key_file: str | Path | None = None) -> Store:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    path = Path(path)
    key_path = Path(key_file) if key_file else path.with_name(path.name + ".key")
    if not path.parent.is_dir():
        raise StoreError(f"folder {path.parent} for the database does not exist")
    is_new = not path.exists()
    if is_new:  # the database is created 0600, never readable by others for a moment
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Lists of millions of keys: read them through memory maps and a larger page cache.
        conn.execute("PRAGMA mmap_size = 4294967296")
        conn.execute("PRAGMA cache_size = -262144")
        migrate(conn)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} is not a usable konform database: {exc}") from None
    row = conn.execute("SELECT value FROM meta WHERE key = 'key_fingerprint'").fetchone()
    secret = _read_or_create_secret(key_path, create=is_new or row is None)
    fingerprint = _fingerprint(secret)
    if row is None:
        conn.execute("INSERT INTO meta (key, value) VALUES ('key_fingerprint', ?)", (fingerprint,))
    elif row[0] != fingerprint:
        conn.close()
        raise StoreError(f"key file {key_path} does not belong to database {path}")
    _restrict_files(path)
    store = Store(sqlite_utils.Database(conn), secret, path)
    _key_migrated_consents(store)
    return store


def _restrict_files(path: Path) -> None:
    """The database and its WAL and shared-memory files: owner only (0600)."""
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        with contextlib.suppress(FileNotFoundError):
            if file.stat().st_mode & 0o077:
                os.chmod(file, 0o600)


def _key_migrated_consents(store: Store) -> None:
    """Consents moved into events by schema migration 3 get their keyed hash (SQL has no key)."""
    rows = store.conn.execute(
        "SELECT DISTINCT number FROM consent_events WHERE length(number_key) != 32"
    ).fetchall()
    if not rows:
        return
    with store.transaction() as conn:
        conn.executemany(
            "UPDATE consent_events SET number_key = ?"
            " WHERE number = ? AND length(number_key) != 32",
            ((store.keyer.number_key(n), n) for (n,) in rows),
        )
