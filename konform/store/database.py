"""Opening the SQLite store: WAL mode, migrations, the installation secret, transactions.

The do-not-call secret lives in a key file beside the database (mode 0600), never in the
database, so a copied database alone does not reveal who is on the lists. A fingerprint of the
key in the database catches a wrong or lost key file before lists are silently misread, and
an existing database with keyed rows never gets a fresh key (docs/key-custody.md; backup and
recovery live in :mod:`konform.store.keys`). All files are owner-only from their creation.
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

from konform.numbers import Keyer
from konform.store.schema import migrate

__all__ = [
    "KEYED_TABLES",
    "Store",
    "StoreError",
    "connect",
    "fingerprint",
    "holds_keyed_data",
    "key_path_for",
    "open_store",
    "read_key_file",
    "utc_text",
    "write_key_file",
]


class StoreError(RuntimeError):
    """The store cannot be opened or used; the message says what to do."""


def utc_text(moment: datetime) -> str:
    """An aware datetime as ISO 8601 in UTC, the only form instants are stored in."""
    if moment.tzinfo is None:
        raise ValueError("instants must carry a UTC offset")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


class Store:
    """An open konform database and the secret that keys its do-not-call lists."""

    def __init__(self, conn: sqlite3.Connection, secret: bytes, path: Path) -> None:
        self.conn = conn
        self.secret = secret
        self.keyer = Keyer(secret)
        self.path = path
        self._depth = 0  # savepoints open inside the current transaction
        self.unsaved_objections: set[str] = set()
        """Numbers (E.164) whose opt-out could not be committed yet: the gate blocks them in
        memory until a retry commits them (see :class:`konform.store.objection.OptOuts`)."""

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction: committed when the block ends, rolled back on error. Inside
        another transaction it is a savepoint of it: several store functions that each open a
        transaction commit together (or not at all) when a caller wraps them in one."""
        if self.conn.in_transaction:
            with self._savepoint():
                yield self.conn
            return
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    @contextlib.contextmanager
    def _savepoint(self) -> Iterator[None]:
        self._depth += 1
        name = f"konform_{self._depth}"
        self.conn.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            self.conn.execute(f"ROLLBACK TO {name}")
            self.conn.execute(f"RELEASE {name}")
            raise
        finally:
            self._depth -= 1
        self.conn.execute(f"RELEASE {name}")

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database (after bulk writes, so reads stay fast)."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def fingerprint(secret: bytes) -> str:
    """A short check value of the key, kept in the database: it names no number."""
    return hmac.new(secret, b"konform key check", hashlib.sha256).hexdigest()[:16]


def key_path_for(path: str | Path, key_file: str | Path | None = None) -> Path:
    """The key file of the database at ``path``: ``key_file``, or ``<db>.key`` beside it."""
    path = Path(path)
    return Path(key_file) if key_file else path.with_name(path.name + ".key")


def read_key_file(key_file: Path) -> bytes:
    """The secret in a key file (hex text), or a clear :class:`StoreError`."""
    try:
        text = key_file.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise StoreError(f"key file {key_file} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise StoreError(f"key file {key_file} cannot be read: {exc}") from None
    try:
        secret = bytes.fromhex(text)
    except ValueError:
        raise StoreError(f"key file {key_file} does not hold a hex key") from None
    if len(secret) < 16:
        raise StoreError(f"key file {key_file} holds a key shorter than 16 bytes")
    return secret


def write_key_file(key_file: Path, secret: bytes) -> None:
    """Write ``secret`` to a new file, owner-only (0600) from its creation, whole or not at all.

    The text goes to a hidden temporary file first and is linked to its name only when it is
    on disk: a crash never leaves a truncated key, and an existing file is never replaced
    (:class:`FileExistsError`).
    """
    folder = key_file.parent
    if not folder.is_dir():
        raise StoreError(f"folder {folder} does not exist")
    temporary = folder / f".{key_file.name}.{secrets.token_hex(4)}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(secret.hex() + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.link(temporary, key_file)  # atomic, and refuses an existing name
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    _sync_folder(folder)


def _sync_folder(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


KEYED_TABLES = (
    "dnc_internal",
    "dnc_robinson",
    "dnc_belmeniet",
    "consent_events",
    "erasures",
    "call_attempts",
    "audit",
)
"""Tables whose rows are keyed with the secret: with any of them filled, the database's key
can never be replaced by a fresh one (the lists would silently stop matching)."""


def holds_keyed_data(conn: sqlite3.Connection) -> bool:
    """Whether any row of the database was keyed with its secret."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    for table in KEYED_TABLES:
        if table not in tables:
            continue
        # Consents moved by migration 3 wait for their key (see _key_migrated_consents).
        where = " WHERE length(number_key) = 32" if table == "consent_events" else ""
        if conn.execute(f"SELECT 1 FROM {table}{where} LIMIT 1").fetchone() is not None:
            return True
    return False


def _missing_key_message(key_file: Path, path: Path, sealed: bool) -> str:
    recovery = (
        "recover it with 'konform key recover --passphrase-stdin' (a sealed copy is in the"
        " database)"
        if sealed
        else "'konform key recover' cannot help: no sealed copy was set up"
    )
    return (
        f"key file {key_file} is missing: the do-not-call lists of database {path} cannot be"
        f" read without it; restore it with 'konform key restore FILE' from your backup, or"
        f" {recovery} (see docs/key-custody.md)"
    )


def _secret_for(conn: sqlite3.Connection, path: Path, key_path: Path, is_new: bool) -> bytes:
    """The database's secret: read from the key file and checked against the fingerprint, or
    created for a database that has no keyed data yet. Never a fresh key for keyed data."""
    meta = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('key_fingerprint', 'key_sealed')"
        ).fetchall()
    )
    stored = meta.get("key_fingerprint")
    if key_path.exists():
        secret = read_key_file(key_path)
        if key_path.stat().st_mode & 0o077:  # e.g. copied back by hand: owner only again
            os.chmod(key_path, 0o600)
        if stored is None:
            if not is_new and holds_keyed_data(conn):
                # The check value is gone while keyed rows exist: the key cannot be verified,
                # and a wrong key would silently unblock every number on the lists.
                raise StoreError(
                    f"database {path} holds do-not-call lists or consent records but no key"
                    f" fingerprint: konform cannot tell whether {key_path} belongs to it"
                    f" (restore the database from your backup)"
                )
            conn.execute(
                "INSERT INTO meta (key, value) VALUES ('key_fingerprint', ?)",
                (fingerprint(secret),),
            )
        elif stored != fingerprint(secret):
            raise StoreError(
                f"key file {key_path} does not belong to database {path} (a replaced key"
                f" would unblock every number on the lists; put the right key back with"
                f" 'konform key restore FILE' or 'konform key recover')"
            )
        return secret
    if stored is not None or (not is_new and holds_keyed_data(conn)):
        raise StoreError(_missing_key_message(key_path, path, "key_sealed" in meta))
    secret = secrets.token_bytes(32)
    try:
        write_key_file(key_path, secret)
    except FileExistsError:  # another process created it meanwhile: use theirs, checked
        return _secret_for(conn, path, key_path, is_new)
    conn.execute(
        "INSERT INTO meta (key, value) VALUES ('key_fingerprint', ?)", (fingerprint(secret),)
    )
    return secret


def connect(path: Path) -> sqlite3.Connection:
    """A connection to the existing database file ``path`` (never creates one).

    The database, its write-ahead log and shared-memory file are made owner-only *before*
    SQLite opens them: SQLite creates the -wal and -shm files with the database file's mode,
    so they are never readable by others either.
    """
    _restrict_files(path)
    try:
        conn = sqlite3.connect(
            path.resolve().as_uri() + "?mode=rw",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
            timeout=30,
        )
    except sqlite3.OperationalError as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from None
    return conn


def open_store(path: str | Path, key_file: str | Path | None = None) -> Store:
    """Open (creating if needed) the database at ``path`` and bring its schema up to date."""
    path = Path(path)
    key_path = key_path_for(path, key_file)
    if not path.parent.is_dir():
        raise StoreError(f"folder {path.parent} for the database does not exist")
    is_new = not path.exists()
    if is_new:  # the database is created 0600, never readable by others for a moment
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    conn = connect(path)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        # Erased numbers must not stay readable in the file's free pages (GDPR Art. 17).
        conn.execute("PRAGMA secure_delete = ON")
        # Lists of millions of keys: read them through memory maps and a larger page cache.
        conn.execute("PRAGMA mmap_size = 4294967296")
        conn.execute("PRAGMA cache_size = -262144")
        migrate(conn)
        secret = _secret_for(conn, path, key_path, is_new)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(f"{path} is not a usable konform database: {exc}") from None
    except BaseException:
        conn.close()
        raise
    _restrict_files(path)
    store = Store(conn, secret, path)
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
