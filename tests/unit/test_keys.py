"""Key custody (finding 10): private files from creation, backup, restore, a sealed recovery
copy, and no store that silently runs on a new key over keyed lists."""

from __future__ import annotations

import io
import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import konform.store.database as database
from konform.store import donotcall, keys, schema
from konform.store.database import StoreError, fingerprint, open_store, read_key_file
from konform.store.objection import opt_out
from tests.conftest import CliRunner

NUMBER = "+49301234567"
PASSPHRASE = "correct horse battery staple"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A permissive umask: the files must be private whatever the process's umask is."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _objecting_store(tmp_path: Path) -> Path:
    """A database with one number on the internal list (its plain number erased)."""
    db = tmp_path / "konform.db"
    with open_store(db) as store:
        opt_out(store, NUMBER, source="test")
    return db


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


# -- 1. files 0600 from creation ---------------------------------------------------------------


def test_new_database_wal_shm_and_key_are_private(tmp_path: Path, open_umask: None) -> None:
    """finding 10: the database, its -wal and -shm files and the key file are 0600."""
    db = tmp_path / "konform.db"
    with open_store(db) as store:
        opt_out(store, NUMBER, source="test")
        files = [db, tmp_path / "konform.db-wal", tmp_path / "konform.db-shm"]
        assert all(f.exists() for f in files)
        assert [_mode(f) for f in files] == [0o600] * 3
    assert _mode(tmp_path / "konform.db.key") == 0o600


def _modes_while_migrating(db: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """The modes of the database files as SQLite has them open (during the migration)."""
    seen: dict[str, int] = {}
    real_migrate = schema.migrate

    def watching_migrate(conn: sqlite3.Connection) -> None:
        for suffix in ("", "-wal", "-shm"):
            seen[suffix or "db"] = _mode(db.with_name(db.name + suffix))
        real_migrate(conn)

    monkeypatch.setattr(database, "migrate", watching_migrate)
    open_store(db).close()
    return seen


def test_wal_and_shm_of_a_world_readable_database_are_never_readable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, open_umask: None
) -> None:
    """finding 10: a database left 0644 (by an earlier version or a copy) is made private
    before SQLite opens it: its -wal and -shm files never exist world-readable, even while the
    schema is being migrated."""
    db = _objecting_store(tmp_path)
    os.chmod(db, 0o644)
    assert not (tmp_path / "konform.db-wal").exists()
    assert _modes_while_migrating(db, monkeypatch) == {"db": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_leftover_wal_and_shm_are_made_private_before_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 10: -wal/-shm files with content left readable (a crash, a copy, an earlier
    version) are restricted before SQLite uses them."""
    db = _objecting_store(tmp_path)
    with open_store(db) as holder:  # keeps the WAL and its index in use, with content
        opt_out(holder, "+49301234568", source="test")  # erasure checkpoints the WAL ...
        with holder.transaction():  # ... so write once more, left in the WAL
            donotcall.add_keys(holder, "robinson", [holder.keyer.number_key("+49301234569")])
        for name in ("konform.db-wal", "konform.db-shm"):
            assert (tmp_path / name).stat().st_size > 0
            os.chmod(tmp_path / name, 0o644)
        modes = _modes_while_migrating(db, monkeypatch)
    assert modes == {"db": 0o600, "-wal": 0o600, "-shm": 0o600}


def test_a_key_file_copied_back_readable_is_made_private(tmp_path: Path) -> None:
    """finding 10: a key file put back by hand with a lax mode is owner-only after the open."""
    db = _objecting_store(tmp_path)
    os.chmod(tmp_path / "konform.db.key", 0o644)
    open_store(db).close()
    assert _mode(tmp_path / "konform.db.key") == 0o600


def test_secure_delete_leaves_no_plain_number_in_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 10 / GDPR Art. 17: a deleted plain number is zeroed, not left in free pages,
    also with an SQLite built without SECURE_DELETE as its default (simulated here)."""
    real_connect = sqlite3.connect

    def connect_without_secure_delete(*args: Any, **kwargs: Any) -> sqlite3.Connection:
        conn: sqlite3.Connection = real_connect(*args, **kwargs)
        conn.execute("PRAGMA secure_delete = OFF")
        return conn

    monkeypatch.setattr(sqlite3, "connect", connect_without_secure_delete)
    db = tmp_path / "konform.db"
    marker = "+4930999888777"
    with open_store(db) as store:
        assert store.conn.execute("PRAGMA secure_delete").fetchone()[0] == 1
        with store.transaction() as conn:
            conn.execute(
                "INSERT INTO caller_ids (number, label, added_at) VALUES (?, 'x', 'now')",
                (marker,),
            )
        store.checkpoint()
        assert marker.encode() in db.read_bytes()
        with store.transaction() as conn:
            conn.execute("DELETE FROM caller_ids")
        store.checkpoint()
    assert marker.encode() not in db.read_bytes()


# -- 2. backup and restore ---------------------------------------------------------------------


def test_backup_is_private_exact_and_never_overwrites(cli: CliRunner, tmp_path: Path) -> None:
    """finding 10: `konform key backup --out FILE` writes a 0600 copy, refuses to overwrite."""
    _objecting_store(tmp_path)
    out = tmp_path / "backup.key"
    result = cli("key", "backup", "--out", str(out))
    assert result.code == 0, result.err
    assert _mode(out) == 0o600
    assert read_key_file(out) == read_key_file(tmp_path / "konform.db.key")
    out.write_text("precious\n")
    again = cli("key", "backup", "--out", str(out))
    assert again.code == 2
    assert "never overwrites" in again.err
    assert again.err.count("\n") == 1
    assert out.read_text() == "precious\n"
    missing = cli("key", "backup", "--out", str(tmp_path / "no" / "such" / "dir.key"))
    assert missing.code == 2
    assert missing.err.count("\n") == 1


def test_restore_checks_the_fingerprint(cli: CliRunner, tmp_path: Path) -> None:
    """finding 10: a lost key file comes back from its backup, and only the right key does."""
    db = _objecting_store(tmp_path)
    key = tmp_path / "konform.db.key"
    backup = tmp_path / "backup.key"
    assert cli("key", "backup", "--out", str(backup)).code == 0
    key.unlink()

    wrong = tmp_path / "wrong.key"
    wrong.write_text("ab" * 32 + "\n")
    refused = cli("key", "restore", str(wrong))
    assert refused.code == 2
    assert "not the key of database" in refused.err
    assert not key.exists()

    restored = cli("key", "restore", str(backup))
    assert restored.code == 0, restored.err
    assert _mode(key) == 0o600
    with open_store(db) as store:
        assert donotcall.is_listed(store, "internal", NUMBER)

    # An existing key file holding another key is never overwritten.
    key.unlink()
    key.write_text("cd" * 32 + "\n")
    clobber = cli("key", "restore", str(backup))
    assert clobber.code == 2
    assert "holds another key" in clobber.err
    assert key.read_text() == "cd" * 32 + "\n"


# -- 3. sealed recovery copy -------------------------------------------------------------------


def test_recovery_with_the_right_and_a_wrong_passphrase(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 10: the internal list survives the loss of the key file: a copy sealed under
    the operator's passphrase rewrites it; a wrong passphrase writes nothing."""
    db = _objecting_store(tmp_path)
    key = tmp_path / "konform.db.key"
    secret = read_key_file(key)
    _stdin(monkeypatch, PASSPHRASE + "\n")
    assert cli("key", "recovery-init", "--passphrase-stdin").code == 0
    sealed = sqlite3.connect(db).execute("SELECT value FROM meta WHERE key = 'key_sealed'")
    text = sealed.fetchone()[0]
    assert secret.hex() not in text
    assert '"kdf": "scrypt"' in text
    assert '"n": 131072' in text

    key.unlink()
    _stdin(monkeypatch, "wrong horse battery staple\n")
    wrong = cli("key", "recover", "--passphrase-stdin")
    assert wrong.code == 2
    assert "wrong recovery passphrase" in wrong.err
    assert not key.exists()

    _stdin(monkeypatch, PASSPHRASE + "\n")
    right = cli("key", "recover", "--passphrase-stdin")
    assert right.code == 0, right.err
    assert read_key_file(key) == secret
    assert _mode(key) == 0o600
    with open_store(db) as store:
        assert donotcall.is_listed(store, "internal", NUMBER)


def test_weak_passphrases_are_refused(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 10: a recovery passphrase shorter than 16 characters or repetitive is refused."""
    db = _objecting_store(tmp_path)
    for weak in ("short pass", "a" * 40, "abababababababababab"):
        _stdin(monkeypatch, weak + "\n")
        result = cli("key", "recovery-init", "--passphrase-stdin")
        assert result.code == 2, weak
        assert "passphrase refused" in result.err, weak
    assert (
        sqlite3.connect(db).execute("SELECT 1 FROM meta WHERE key = 'key_sealed'").fetchone()
        is None
    )


def test_generated_recovery_code_is_printed_once_and_opens_the_copy(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 10: `recovery-init --generate` prints a random code that recovers the key;
    sealing again needs --replace."""
    _objecting_store(tmp_path)
    result = cli("key", "recovery-init", "--generate")
    assert result.code == 0, result.err
    code = result.out.splitlines()[0].removeprefix("recovery code: ")
    assert len(code) >= keys.MIN_PASSPHRASE
    again = cli("key", "recovery-init", "--generate")
    assert again.code == 2
    assert "--replace" in again.err
    (tmp_path / "konform.db.key").unlink()
    _stdin(monkeypatch, code + "\n")
    assert cli("key", "recover", "--passphrase-stdin").code == 0


def test_seal_binds_the_key_and_its_parameters() -> None:
    """finding 10: the sealed copy opens only with its passphrase and is authenticated."""
    secret = bytes(range(32))
    text = keys.seal(secret, PASSPHRASE, n=2**10)
    assert keys.unseal(text, PASSPHRASE) == secret
    with pytest.raises(StoreError, match="wrong recovery passphrase"):
        keys.unseal(text, PASSPHRASE + "!")
    tampered = text.replace('"p": 1', '"p": 2')
    with pytest.raises(StoreError, match="wrong recovery passphrase"):
        keys.unseal(tampered, PASSPHRASE)
    with pytest.raises(StoreError, match="unreadable"):
        keys.unseal("{not json", PASSPHRASE)


# -- 4. no silent new key ----------------------------------------------------------------------


def test_lost_key_without_recovery_is_a_clear_refusal(cli: CliRunner, tmp_path: Path) -> None:
    """finding 10: without its key file the store refuses to open, names both ways back, and
    creates no new key."""
    db = _objecting_store(tmp_path)
    key = tmp_path / "konform.db.key"
    key.unlink()
    with pytest.raises(StoreError) as refused:
        open_store(db)
    message = str(refused.value)
    assert "konform key restore" in message
    assert "konform key recover" in message
    assert not key.exists()
    result = cli("audit")
    assert result.code == 2
    assert "konform key restore" in result.err
    assert result.err.count("\n") == 1
    assert not key.exists()
    nothing = cli("key", "recover", "--passphrase-stdin")
    assert nothing.code == 2
    assert "no sealed key copy" in nothing.err


@pytest.mark.parametrize("key_kept", [False, True])
def test_missing_fingerprint_over_keyed_lists_is_refused(tmp_path: Path, key_kept: bool) -> None:
    """finding 10: a database whose key fingerprint row is gone but whose lists hold rows
    never gets a fresh key (nor an unchecked one): the lists would silently stop matching."""
    db = _objecting_store(tmp_path)
    key = tmp_path / "konform.db.key"
    old = read_key_file(key)
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'key_fingerprint'")
    if not key_kept:
        key.unlink()
    with pytest.raises(StoreError, match="key"):
        open_store(db)
    if key_kept:
        assert read_key_file(key) == old
    else:
        assert not key.exists()
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT 1 FROM meta WHERE key = 'key_fingerprint'").fetchone() is None


@pytest.mark.parametrize("table", ["dnc_robinson", "consent_events", "dnc_internal"])
def test_each_keyed_table_protects_the_key(tmp_path: Path, table: str) -> None:
    """finding 10: rows in any keyed table (Robinson list, consent evidence, internal list)
    forbid a new key for a database without fingerprint."""
    db = tmp_path / "konform.db"
    open_store(db).close()
    (tmp_path / "konform.db.key").unlink()
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'key_fingerprint'")
        if table == "consent_events":
            conn.execute(
                "INSERT INTO consent_events (number_key, purpose, event, at, recorded_at)"
                " VALUES (?, 'sales', 'given', 'x', 'x')",
                (b"k" * 32,),
            )
        elif table == "dnc_internal":
            conn.execute("INSERT INTO dnc_internal (key, added_at) VALUES (?, 'x')", (b"k" * 32,))
        else:
            conn.execute(f"INSERT INTO {table} (key) VALUES (?)", (b"k" * 32,))
    with pytest.raises(StoreError, match="konform key restore"):
        open_store(db)
    assert not (tmp_path / "konform.db.key").exists()


def test_an_empty_database_without_fingerprint_gets_a_key(tmp_path: Path) -> None:
    """A database without keyed rows (e.g. interrupted at its creation) may get a new key."""
    db = tmp_path / "konform.db"
    open_store(db).close()
    (tmp_path / "konform.db.key").unlink()
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM meta WHERE key = 'key_fingerprint'")
    with open_store(db) as store:
        assert (
            fingerprint(store.secret)
            == store.conn.execute(
                "SELECT value FROM meta WHERE key = 'key_fingerprint'"
            ).fetchone()[0]
        )


def test_replaced_key_refuses_to_serve(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 10: a key file replaced by another key (not recovered) stops every command,
    serve included, before anything is read or written."""
    monkeypatch.setenv("KONFORM_ARI_PASSWORD", "a-strong-ari-password")
    monkeypatch.setenv("KONFORM_DIALER_AGENTS", "PJSIP/agent1")
    _objecting_store(tmp_path)
    key = tmp_path / "konform.db.key"
    key.unlink()
    key.write_text("ef" * 32 + "\n")
    result = cli("serve", "--campaign", "spring")
    assert result.code == 2
    assert "does not belong" in result.err
    status = cli("key", "status")
    assert status.code == 1
    assert "DOES NOT fit" in status.out
