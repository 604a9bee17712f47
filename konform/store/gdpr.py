"""GDPR rights on the store: export everything about a number, erase it, and delete files safely.

Erasure (Art. 17 GDPR) removes the contact, plain numbers in consent evidence and call attempts,
and its recordings (rows and files). What stays is pseudonymous: the keyed hash on a
do-not-call list, attempt rows under that hash, the consent evidence under that hash (the proof
§ 7a Abs. 2 Satz 1 UWG requires for five years; Art. 17 (3) b GDPR), the erasure marker that lets
a later import report the number, and the audit trail, which never held the plain number.

Files are deleted through a journal (``pending_deletions``): the erasing transaction queues them,
they are deleted after its commit, and whatever a crash left is deleted at the next start
(:func:`finish_pending_deletions`). After an erasure ``secure_delete`` overwrites freed content
and a checkpoint folds the write-ahead log into the database, so the plain number survives
neither in free pages nor in the log.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from konform.config import Config
from konform.store import audit, donotcall, tallies
from konform.store.database import Store, utc_text

__all__ = [
    "CONSENT_KEPT_BECAUSE",
    "Deletions",
    "checkpoint_after_erasure",
    "delete_files",
    "ensure_secure_delete",
    "erase",
    "erase_objected",
    "export",
    "finish_pending_deletions",
    "processing_record",
    "queue_deletions",
]

logger = logging.getLogger(__name__)

CONSENT_KEPT_BECAUSE = (
    "§ 7a Abs. 2 Satz 1 UWG: the consent proof is kept five years after it was given and after "
    "each use; Art. 17 (3) b GDPR: erasure does not reach what a legal obligation requires"
)

CHECKPOINT_WAIT_MS = 250
"""How long a checkpoint after an erasure waits for other readers and writers. It runs before
an objection's confirmation plays, so it never waits long; a checkpoint that could not finish
is done again at the next start or retention run."""


def _rows(store: Store, sql: str, params: tuple[object, ...]) -> list[dict[str, Any]]:
    cursor = store.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def export(store: Store, number: str) -> dict[str, Any]:
    """All data held about ``number`` (E.164), as plain JSON-able values (Art. 15 GDPR)."""
    key = store.keyer.number_key(number)
    attempts = _rows(
        store,
        "SELECT a.id, c.name AS campaign, a.started_at, a.ended_at, a.outcome FROM call_attempts a"
        " JOIN campaigns c ON c.id = a.campaign_id WHERE a.number_key = ? ORDER BY a.id",
        (key,),
    )
    erased = store.conn.execute("SELECT at FROM erasures WHERE key = ?", (key,)).fetchone()
    return {
        "number": number,
        "contact": next(
            iter(_rows(store, "SELECT * FROM contacts WHERE number = ?", (number,))), None
        ),
        "consent_events": _rows(
            store,
            "SELECT purpose, event, at, source, via, recorded_at FROM consent_events"
            " WHERE number_key = ? ORDER BY at, id",
            (key,),
        ),
        "on_internal_list": bool(
            store.conn.execute("SELECT 1 FROM dnc_internal WHERE key = ?", (key,)).fetchone()
        ),
        "on_robinson_list": bool(
            store.conn.execute("SELECT 1 FROM dnc_robinson WHERE key = ?", (key,)).fetchone()
        ),
        "erased_at": erased[0] if erased else None,
        "call_attempts": attempts,
        "recordings": _rows(
            store,
            "SELECT r.path, r.created_at FROM recordings r JOIN call_attempts a"
            " ON a.id = r.attempt_id WHERE a.number_key = ? ORDER BY r.id",
            (key,),
        ),
        "audit": audit.entries(store, number),
    }


class Deletions(list[Path]):
    """Files queued in the deletion journal by a transaction: delete them after its commit
    with :func:`delete_files`. ``checkpoint``: fold the write-ahead log afterwards (erasure)."""

    def __init__(
        self, store: Store, journal: list[tuple[int, Path]], checkpoint: bool = False
    ) -> None:
        super().__init__(path for _, path in journal)
        self.store = store
        self.journal = journal
        self.checkpoint = checkpoint


def queue_deletions(
    store: Store, files: Iterable[Path], why: str, checkpoint: bool = False
) -> Deletions:
    """Write ``files`` into the deletion journal inside the caller's transaction.

    ``why`` says what deleted them (never a phone number: it is logged).
    """
    now = utc_text(datetime.now(UTC))
    journal = []
    for file in files:
        cursor = store.conn.execute(
            "INSERT INTO pending_deletions (path, why, queued_at) VALUES (?, ?, ?)",
            (str(file), why, now),
        )
        journal.append((int(cursor.lastrowid or 0), file))
    return Deletions(store, journal, checkpoint)


def ensure_secure_delete(conn: sqlite3.Connection) -> None:
    """Freed content is overwritten with zeros, not left in free pages (Art. 17 GDPR)."""
    if conn.execute("PRAGMA secure_delete").fetchone()[0] != 1:
        conn.execute("PRAGMA secure_delete = ON")


def erase(store: Store, number: str, why: str) -> Deletions:
    """Erase personal data of ``number`` inside the caller's transaction (Art. 17 GDPR).

    Returns the recording files to delete once the transaction has committed (pass them to
    :func:`delete_files`); they are in the deletion journal already, so a crash before that
    deletes them at the next start.
    """
    key = store.keyer.number_key(number)
    conn = store.conn
    ensure_secure_delete(conn)
    files = [
        Path(p)
        for (p,) in conn.execute(
            "SELECT r.path FROM recordings r JOIN call_attempts a ON a.id = r.attempt_id"
            " WHERE a.number_key = ?",
            (key,),
        )
    ]
    conn.execute(
        "DELETE FROM recordings WHERE attempt_id IN"
        " (SELECT id FROM call_attempts WHERE number_key = ?)",
        (key,),
    )
    deletions = queue_deletions(store, files, why="erasure", checkpoint=True)
    contacts = conn.execute("DELETE FROM contacts WHERE number = ?", (number,)).rowcount
    # The consent evidence stays, keyed only: § 7a Abs. 2 Satz 1 UWG requires it for five
    # years after it was given and after each use, and Art. 17 (3) b GDPR exempts what a legal
    # obligation requires to keep.
    consents = conn.execute(
        "UPDATE consent_events SET number = NULL WHERE number_key = ? AND number IS NOT NULL",
        (key,),
    ).rowcount
    kept = conn.execute(
        "SELECT count(*) FROM consent_events WHERE number_key = ?", (key,)
    ).fetchone()[0]
    conn.execute("DELETE FROM campaign_contacts WHERE number = ?", (number,))
    # The agents' notes and dispositions of those calls are about the person too. What their
    # details counted (reasons of blocks, AMD verdicts) stays counted, without them.
    tallies.retire_attempts(
        store, "a.number_key = ? AND a.detail IS NOT NULL", (key,), details_only=True
    )
    conn.execute(
        "UPDATE call_attempts SET number = NULL, detail = NULL, note = NULL, disposition = NULL"
        " WHERE number_key = ?",
        (key,),
    )
    # Keyed marker: an import that brings the number back reports it.
    now = utc_text(datetime.now(UTC))
    conn.execute(
        "INSERT INTO erasures (key, at) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET at = ?",
        (key, now, now),
    )
    kept_as_proof: dict[str, Any] = {"consent_events_kept": kept}
    if kept:
        kept_as_proof["kept_because"] = CONSENT_KEPT_BECAUSE
    audit.record(
        store,
        "erasure",
        number=number,
        why=why,
        contacts=contacts,
        consents=consents,
        recordings=len(files),
        **kept_as_proof,
    )
    return deletions


# Plain numbers the store may still hold of a person (consent events keep only the key after
# an erasure; the attempts' and events' plain copies are what erase() clears).
_HELD_NUMBERS = (
    "SELECT number FROM contacts UNION SELECT number FROM campaign_contacts"
    " UNION SELECT number FROM call_attempts WHERE number IS NOT NULL"
    " UNION SELECT number FROM consent_events WHERE number IS NOT NULL"
)
ERASE_BATCH = 200  # numbers erased per transaction (each erasure is audited on its own)


def erase_objected(store: Store, why: str) -> int:
    """Erase the data the store still holds of numbers on the internal objection list, as an
    opt-out taken by ``konform optout`` or the IVR does (Art. 21 (3) GDPR: no processing for
    direct marketing after an objection; Art. 17 (1) c). Used after an import of objections,
    which carries numbers or their digests; a run stopped half-way is finished by the next.
    Returns how many numbers were erased."""
    numbers = [n for (n,) in store.conn.execute(_HELD_NUMBERS)]
    listed: list[str] = []
    for start in range(0, len(numbers), 500):
        part = numbers[start : start + 500]
        keys = {store.keyer.number_key(n): n for n in part}
        found = donotcall.known_keys(store, "internal", b"".join(keys))
        listed += [keys[k] for k in found]
    for start in range(0, len(listed), ERASE_BATCH):
        journal: list[tuple[int, Path]] = []
        with store.transaction():
            for number in listed[start : start + ERASE_BATCH]:
                journal += erase(store, number, why).journal
        delete_files(Deletions(store, journal, checkpoint=start + ERASE_BATCH >= len(listed)))
    return len(listed)


def _unlink(path: Path) -> str | None:
    """Delete ``path``; None when it is gone (a missing file counts as deleted), else why not."""
    try:
        path.unlink(missing_ok=True)
    except IsADirectoryError:
        return "it is a folder"
    except OSError as exc:
        return exc.strerror or type(exc).__name__
    return None


def _forget(store: Store, journal_id: int) -> None:
    try:
        store.conn.execute("DELETE FROM pending_deletions WHERE id = ?", (journal_id,))
    except sqlite3.Error as exc:  # the file is gone; the next start drops the row
        logger.warning("deletion journal row %d not removed yet: %s", journal_id, exc)


def delete_files(files: Iterable[Path], store: Store | None = None) -> int:
    """Delete queued files after their transaction committed; return how many are gone.

    Each deleted file's journal row is removed; a file that cannot be deleted stays in the
    journal and is logged (by journal row, never by path: a path may name the person).
    """
    deleted = 0
    if isinstance(files, Deletions):
        store = store or files.store
        for journal_id, path in files.journal:
            failure = _unlink(path)
            if failure is None:
                deleted += 1
                _forget(store, journal_id)
            else:
                logger.error(
                    "could not delete a file queued for deletion (journal row %d): %s;"
                    " it stays queued and is retried at the next start",
                    journal_id,
                    failure,
                )
        if files.checkpoint:
            checkpoint_after_erasure(store)
        return deleted
    for path in files:
        failure = _unlink(path)
        if failure is None:
            deleted += 1
        else:
            logger.error("could not delete an erased file: %s", failure)
    return deleted


def finish_pending_deletions(store: Store) -> int:
    """Delete the files a crash left in the journal; return how many are gone now.

    Services and the CLI call this at start. A checkpoint follows, so an erasure whose
    checkpoint did not finish leaves nothing in the write-ahead log either.
    """
    journal = [
        (int(i), Path(p))
        for i, p in store.conn.execute("SELECT id, path FROM pending_deletions ORDER BY id")
    ]
    deleted = delete_files(Deletions(store, journal, checkpoint=True))
    if deleted:
        logger.warning("deleted %d files an earlier run had queued for deletion", deleted)
    return deleted


def checkpoint_after_erasure(store: Store) -> bool:
    """Fold the write-ahead log into the database and truncate it; True if that finished.

    Waits at most :data:`CHECKPOINT_WAIT_MS` for other connections.
    """
    conn = store.conn
    if conn.in_transaction:
        return False
    ensure_secure_delete(conn)
    (previous,) = conn.execute("PRAGMA busy_timeout").fetchone()
    conn.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
    except sqlite3.Error as exc:
        busy, reason = 1, str(exc)
    else:
        reason = "other connections were busy"
    finally:
        conn.execute(f"PRAGMA busy_timeout = {int(previous)}")
    if busy:
        logger.warning(
            "checkpoint after an erasure did not finish (%s): erased data may stay in the"
            " write-ahead log until the next checkpoint",
            reason,
        )
    return not busy


NOT_CONFIGURED = "not configured (set [privacy] controller and dpo_contact in konform.toml)"

_LEGAL_BASIS = {
    "de": "consumers: prior express consent (§ 7 Abs. 2 Nr. 1 UWG; Art. 6 (1) a GDPR), its proof"
    " kept per § 7a UWG; businesses: presumed consent (§ 7 Abs. 2 Nr. 1 UWG; Art. 6 (1) f GDPR)",
    "nl": "consent, or an existing customer relationship until three years after it ended"
    " (Telecommunicatiewet art. 11.7; Art. 6 (1) a / f GDPR); Bel-me-niet register honoured",
}

_LOOPBACK = ("127.", "::1", "localhost", "[::1]")


def _is_loopback(host: str) -> bool:
    host = host.split("//", 1)[-1].split("/", 1)[0]
    return host.startswith(_LOOPBACK)


def processing_record(config: Config, db_path: Path, store: Store | None) -> dict[str, Any]:
    """The record of processing activities (Art. 30 (1) GDPR) from the configuration and the
    campaigns in the store (``store`` None: no database yet)."""
    campaigns: list[dict[str, Any]] = []
    if store is not None:
        for name, purpose, jurisdiction, caller_id in store.conn.execute(
            "SELECT name, purpose, jurisdiction, caller_id FROM campaigns ORDER BY name"
        ):
            campaigns.append(
                {
                    "campaign": name,
                    "purpose": purpose,
                    "jurisdiction": jurisdiction,
                    "caller_id": caller_id,
                    "legal_basis": _LEGAL_BASIS.get(jurisdiction, "unknown jurisdiction"),
                }
            )
    r = config.retention
    key_file = config.store.secret_file or str(db_path.with_name(db_path.name + ".key"))
    hosts = {"ARI": config.ari.url, "FastAGI": config.agi.host}
    exposed = [name for name, host in hosts.items() if not _is_loopback(host)]
    return {
        "record": "record of processing activities, GDPR Art. 30 (1)",
        "controller": config.privacy.controller or NOT_CONFIGURED,
        "dpo_contact": config.privacy.dpo_contact or NOT_CONFIGURED,
        "purposes": campaigns,
        "data_subjects": [
            "persons to be called in campaigns (consumers and business contacts)",
            "persons who gave, confirmed or revoked consent to advertising calls",
            "persons who objected to calls (objection list, keyed hashes only)",
            "persons on the Robinson list and the Bel-me-niet register (keyed hashes only)",
        ],
        "personal_data": [
            {"category": "contacts", "data": "phone number, name, region, kind (b2c/b2b)"},
            {
                "category": "consent evidence",
                "data": "per purpose: given/confirmed/revoked, when, source, how it was recorded;"
                " keyed hash only after erasure",
            },
            {
                "category": "call attempts",
                "data": "keyed hash, campaign, time, outcome; phone number and details until"
                " anonymised",
            },
            {
                "category": "recordings",
                "data": "call audio, made only with the callee's consent (§ 201 StGB)",
            },
            {
                "category": "objection list and erasure markers",
                "data": "keyed hashes of numbers, when",
            },
            {"category": "audit log", "data": "decisions, consents, opt-outs, erasures; keyed"},
        ],
        "recipients": [
            f"the telephone system (Asterisk PBX, ARI {config.ari.url}): places and carries calls",
            f"the SIP carrier through trunk {config.dialer.trunk!r}: receives the called number"
            " and the caller ID of each call",
            "the agents who take the calls (internal)",
        ],
        "third_country_transfers": "none configured",
        "retention": [
            {"category": "recordings", "days": r.recordings, "basis": "Art. 5 (1) e GDPR"},
            {
                "category": "call attempt details (plain number, detail)",
                "days": r.attempts,
                "basis": "Art. 5 (1) e GDPR",
            },
            {
                "category": "call attempts under the keyed hash (uses of a consent)",
                "days": r.consent_proofs,
                "basis": "§ 7a Abs. 2 Satz 1 UWG",
            },
            {
                "category": "consent evidence",
                "days": r.consent_proofs,
                "basis": "§ 7a Abs. 2 Satz 1 UWG: after it was given and after its last use",
            },
            {
                "category": "audit log, erasure markers",
                "days": r.audit,
                "basis": "accountability, Art. 5 (2) GDPR; consent rows as long as the consent"
                " evidence",
            },
            {
                "category": "objection list",
                "days": None,
                "basis": "an objection is honoured for good: Art. 21 (3) GDPR, § 7 Abs. 2 UWG",
            },
            {
                "category": "contacts",
                "days": None,
                "basis": "until erased on request or objection, or removed by the operator",
            },
        ],
        "storage": {
            "database": str(db_path),
            "key_file": key_file,
            "recordings": config.dialer.recordings_dir,
            "asterisk_spool": config.dialer.asterisk_recordings_dir,
        },
        "measures": [
            "phone numbers on do-not-call lists, erased consent evidence, attempts and the audit"
            " log are keyed hashes (HMAC-SHA-256) under an installation key kept apart from the"
            " database",
            "database and key files are readable by their owner only (0600)",
            "the audit log is append-only (database triggers); only retention deletes old rows,"
            " and audits that",
            "erasure overwrites freed database content (secure_delete) and checkpoints the"
            " write-ahead log; files are deleted through a journal that a restart finishes",
            "logs carry masked numbers only",
            "services bind to loopback"
            + (f" (NOT configured so for: {', '.join(exposed)})" if exposed else ""),
        ],
    }
