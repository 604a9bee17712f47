"""Custody of the installation key: backup, restore, and a sealed recovery copy.

The do-not-call lists and the consent evidence are stored only as keyed hashes (the plain
numbers of objecting people are erased, GDPR Art. 17). Losing the key file therefore loses
every objection (§ 7 (2) Nr. 1 UWG: calling a person who objected is unlawful): this module
keeps that from depending on one file.

- A backup is a copy of the key file (0600, never overwriting anything).
- A restore writes the key file back only after checking its fingerprint against the database.
- A recovery copy is the key sealed under an operator-held passphrase (scrypt, AES-256-GCM)
  in the database's ``meta`` table (``key_sealed``): the database plus the passphrase bring
  the key back. The database alone reveals nothing: the passphrase never touches the disk.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from konform.config import DEFAULT_PASSWORDS
from konform.store import audit
from konform.store.database import (
    Store,
    StoreError,
    connect,
    fingerprint,
    open_store,
    read_key_file,
    write_key_file,
)

__all__ = [
    "MIN_PASSPHRASE",
    "KeyStatus",
    "backup",
    "check_passphrase",
    "generate_recovery_code",
    "recover",
    "recovery_init",
    "restore",
    "seal",
    "status",
    "unseal",
]

MIN_PASSPHRASE = 16

# scrypt at N = 2^17, r = 8, p = 1 (128 MiB, about a third of a second): the recommended
# interactive setting; the parameters are stored with each sealed copy, so they can grow.
SCRYPT_N = 2**17
SCRYPT_R = 8
SCRYPT_P = 1
_AAD = b"konform key_sealed v1"


def check_passphrase(passphrase: str) -> str:
    """Refuse a recovery passphrase that could be guessed: short, a default, or repetitive."""
    if (
        len(passphrase) < MIN_PASSPHRASE
        or passphrase.strip().lower() in DEFAULT_PASSWORDS
        or len(set(passphrase)) < 6
    ):
        raise StoreError(
            f"recovery passphrase refused: use at least {MIN_PASSPHRASE} characters with some"
            " variety (or let 'konform key recovery-init --generate' make one)"
        )
    return passphrase


def generate_recovery_code() -> str:
    """A random recovery code (160 bits) in groups of five, easy to write down."""
    alphabet = "abcdefghijkmnpqrstuvwxyz23456789"  # no 0/o, 1/l
    raw = "".join(secrets.choice(alphabet) for _ in range(32))
    return "-".join(raw[i : i + 4] for i in range(0, 32, 4))


def _derive(passphrase: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        passphrase.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32
    )


def seal(secret: bytes, passphrase: str, n: int = SCRYPT_N) -> str:
    """The secret sealed under the passphrase, as JSON text with the KDF parameters."""
    salt = os.urandom(16)
    nonce = os.urandom(12)
    kek = _derive(passphrase, salt, n, SCRYPT_R, SCRYPT_P)
    sealed = AESGCM(kek).encrypt(nonce, secret, _AAD)
    return json.dumps(
        {
            "version": 1,
            "kdf": "scrypt",
            "n": n,
            "r": SCRYPT_R,
            "p": SCRYPT_P,
            "salt": salt.hex(),
            "aead": "AES-256-GCM",
            "nonce": nonce.hex(),
            "sealed": sealed.hex(),
            "fingerprint": fingerprint(secret),
        },
        sort_keys=True,
    )


def unseal(text: str, passphrase: str) -> bytes:
    """The secret from a sealed copy; a wrong passphrase is a clear :class:`StoreError`."""
    try:
        box = json.loads(text)
        if box.get("version") != 1 or box.get("kdf") != "scrypt":
            raise ValueError("unknown format")
        kek = _derive(passphrase, bytes.fromhex(box["salt"]), box["n"], box["r"], box["p"])
        nonce, sealed = bytes.fromhex(box["nonce"]), bytes.fromhex(box["sealed"])
    except (ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"the sealed key copy in the database is unreadable: {exc}") from None
    try:
        return AESGCM(kek).decrypt(nonce, sealed, _AAD)
    except InvalidTag:
        raise StoreError("wrong recovery passphrase: the sealed key copy does not open") from None


@dataclass(frozen=True)
class KeyStatus:
    key_file: Path
    key_file_present: bool
    fingerprint: str | None
    """The fingerprint the database expects (None: a database without one)."""
    key_matches: bool | None
    """Whether the key file holds the database's key (None: no key file or no fingerprint)."""
    recovery_sealed: bool


def _meta(db_path: Path) -> dict[str, str]:
    """The key rows of the database's ``meta`` table, read without the key."""
    if not db_path.exists():
        raise StoreError(f"no database at {db_path}")
    conn = connect(db_path)
    try:
        rows = conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('key_fingerprint', 'key_sealed')"
        ).fetchall()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{db_path} is not a usable konform database: {exc}") from None
    finally:
        conn.close()
    return {str(k): str(v) for k, v in rows}


def _expected_fingerprint(db_path: Path) -> str:
    stored = _meta(db_path).get("key_fingerprint")
    if stored is None:
        raise StoreError(
            f"database {db_path} has no key fingerprint: a key cannot be checked against it"
        )
    return stored


def status(db_path: Path, key_file: Path) -> KeyStatus:
    meta = _meta(db_path)
    stored = meta.get("key_fingerprint")
    present = key_file.exists()
    matches = None
    if present and stored is not None:
        matches = fingerprint(read_key_file(key_file)) == stored
    return KeyStatus(key_file, present, stored, matches, "key_sealed" in meta)


def backup(db_path: Path, key_file: Path, out: Path) -> str:
    """Copy the database's key to ``out`` (0600, never overwriting); return its fingerprint."""
    secret = read_key_file(key_file)
    stored = _expected_fingerprint(db_path)
    if fingerprint(secret) != stored:
        raise StoreError(f"key file {key_file} does not belong to database {db_path}")
    if out.exists() or out.is_symlink():
        raise StoreError(f"{out} exists: a key backup never overwrites a file")
    try:
        write_key_file(out, secret)
    except FileExistsError:
        raise StoreError(f"{out} exists: a key backup never overwrites a file") from None
    except OSError as exc:
        raise StoreError(f"cannot write {out}: {exc.strerror or exc}") from None
    return stored


def _put_key(db_path: Path, key_file: Path, secret: bytes, how: str) -> bool:
    """Write the checked secret as the key file; False when the same key is already there."""
    if key_file.exists():
        if read_key_file(key_file) == secret:
            return False
        raise StoreError(
            f"key file {key_file} exists and holds another key: move it away first (konform"
            " never overwrites a key file)"
        )
    try:
        write_key_file(key_file, secret)
    except FileExistsError:
        raise StoreError(f"key file {key_file} appeared meanwhile; nothing written") from None
    except OSError as exc:
        raise StoreError(f"cannot write {key_file}: {exc.strerror or exc}") from None
    with open_store(db_path, key_file) as store, store.transaction():
        audit.record(store, "key_restored", how=how, fingerprint=fingerprint(secret))
    return True


def restore(db_path: Path, key_file: Path, source: Path) -> bool:
    """Put the key from a backup file back, after checking it belongs to the database.

    Returns False when the key file already holds that key.
    """
    secret = read_key_file(source)
    if fingerprint(secret) != _expected_fingerprint(db_path):
        raise StoreError(f"{source} is not the key of database {db_path}: nothing written")
    return _put_key(db_path, key_file, secret, "backup")


def recovery_init(store: Store, passphrase: str, replace: bool = False) -> None:
    """Seal the store's key under ``passphrase`` into the database (audited)."""
    check_passphrase(passphrase)
    exists = store.conn.execute("SELECT 1 FROM meta WHERE key = 'key_sealed'").fetchone()
    if exists and not replace:
        raise StoreError(
            "a sealed recovery copy exists already (--replace seals it under the new"
            " passphrase; the old one stops working)"
        )
    sealed = seal(store.secret, passphrase)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO meta (key, value) VALUES ('key_sealed', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (sealed,),
        )
        audit.record(store, "key_recovery_sealed", kdf="scrypt", aead="AES-256-GCM")
    store.checkpoint()


def recover(db_path: Path, key_file: Path, passphrase: Callable[[], str]) -> bool:
    """Rewrite a missing key file from the sealed copy in the database; ``passphrase`` is
    asked for only when there is a sealed copy.

    Returns False when the key file already holds that key.
    """
    meta = _meta(db_path)
    sealed = meta.get("key_sealed")
    if sealed is None:
        raise StoreError(
            f"database {db_path} holds no sealed key copy ('konform key recovery-init' was"
            " never run): restore the key from a backup with 'konform key restore FILE'"
        )
    secret = unseal(sealed, passphrase())
    stored = meta.get("key_fingerprint")
    if stored is None or fingerprint(secret) != stored:
        raise StoreError(f"the sealed copy does not match database {db_path}: nothing written")
    return _put_key(db_path, key_file, secret, "recovery")
