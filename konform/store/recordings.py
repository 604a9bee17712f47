"""Call recordings: registering a file with its attempt, and the recordings a stopped run left in
Asterisk's spool.

A recording exists only with the callee's consent for that call (§ 201 StGB: recording the
spoken word without consent is a crime); the consent is the ``recording_consent`` audit row of
the call. A registered recording is found by an erasure (GDPR Art. 17); a file left in the spool
after a crash is registered when its call's consent is on record, and deleted otherwise.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from konform.store import audit
from konform.store.database import Store, utc_text

__all__ = ["SpoolResult", "adopt_spool", "keep", "move_into", "name_of", "register"]

logger = logging.getLogger(__name__)

# konform names its recordings konform-<call id>.wav; call ids are "k" and hex digits.
_NAME = re.compile(r"^konform-(k[0-9a-f]+)\.wav$")


def name_of(call_id: str) -> str:
    """The name of a call's recording (Asterisk adds ``.wav``)."""
    return f"konform-{call_id}"


def register(store: Store, attempt_id: int, path: Path, at: datetime | None = None) -> int:
    """Register a recording file of an attempt (inside the caller's transaction, if any)."""
    cursor = store.conn.execute(
        "INSERT INTO recordings (attempt_id, path, created_at) VALUES (?, ?, ?)",
        (attempt_id, str(path), utc_text(at or datetime.now(UTC))),
    )
    return int(cursor.lastrowid or 0)


def move_into(source: Path, folder: Path) -> Path:
    """Move a finished recording into konform's folder (0700), the file itself 0600."""
    folder = folder.resolve()
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    target = folder / source.name
    shutil.move(str(source), target)
    os.chmod(target, 0o600)
    return target


def keep(store: Store, attempt_id: int, source: Path, folder: Path) -> Path:
    """Register a finished recording with its attempt and move it into konform's folder, inside
    the caller's transaction: registered first, so a failed move undoes the row and leaves the
    file in the spool for the next start (:func:`adopt_spool`)."""
    target = folder.resolve() / source.name
    register(store, attempt_id, target)
    return move_into(source, folder)


def _attempt_of_call(store: Store, call_id: str) -> tuple[int, bytes] | None:
    row = store.conn.execute(
        "SELECT id, number_key FROM call_attempts WHERE channel_id = ? ORDER BY id DESC LIMIT 1",
        (call_id,),
    ).fetchone()
    return (int(row[0]), bytes(row[1])) if row else None


def _consent_on_record(store: Store, call_id: str) -> bool:
    row = store.conn.execute(
        "SELECT 1 FROM audit WHERE event = 'recording_consent'"
        " AND json_extract(detail, '$.call') = ? LIMIT 1",
        (call_id,),
    ).fetchone()
    return row is not None


@dataclass
class SpoolResult:
    registered: int = 0
    deleted: int = 0


def adopt_spool(store: Store, spool: Path, folder: Path) -> SpoolResult:
    """Recordings konform left in Asterisk's spool (``konform-<call>.wav``): registered with
    their attempt when the call's recording consent is on record, else deleted; audited."""
    result = SpoolResult()
    if not spool.is_dir():
        return result
    for file in sorted(spool.iterdir()):
        match = _NAME.match(file.name)
        if match is None or not file.is_file():
            continue
        call_id = match.group(1)
        attempt = _attempt_of_call(store, call_id)
        if attempt is not None and _consent_on_record(store, call_id):
            attempt_id, key = attempt
            with store.transaction():
                keep(store, attempt_id, file, folder)
                audit.record(
                    store,
                    "recording_registered_at_restart",
                    key=key,
                    attempt=attempt_id,
                    call=call_id,
                )
            result.registered += 1
            continue
        # No consent on record for this call (or no call of this database): the file may not
        # be kept (§ 201 StGB, Art. 6 GDPR). Audited before it goes.
        audit.record(
            store,
            "recording_deleted_at_restart",
            key=attempt[1] if attempt else None,
            call=call_id,
            why="no recording consent on record" if attempt else "no attempt of this call",
        )
        try:
            file.unlink(missing_ok=True)
        except OSError as exc:
            logger.error("could not delete left-over recording %s: %s", file.name, exc)
            continue
        result.deleted += 1
    return result
