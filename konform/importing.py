"""Importing contacts, consents and do-not-call lists from files.

Every line is read and checked on its own: a bad line (a broken quote, an oversized line, a
control character, an invalid number or date) is reported with its number and reason and
skipped, the other lines land. Writes are committed in small batches, each holding SQLite's write
lock for about :data:`TARGET_BATCH_S`, so that an opt-out from another process never waits long
behind an import. Each run is recorded in ``import_runs``: a run that stopped half-way is reported
by the next import and completed by running it again (every write is idempotent). ``strict``
checks the whole file first and writes nothing when any line would not be imported.

What an import never does: bring back a number that objected or was erased (Art. 17, 21 (3)
GDPR), undo a recorded revocation of consent (§ 7a UWG evidence, Art. 7 (3) GDPR), or empty a
do-not-call list by replacing it with an empty or mostly broken file.
"""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal, TextIO
from zoneinfo import ZoneInfo

from konform.calling_time import valid_region
from konform.numbers import InvalidNumber, Keyer, is_sha256_hex, normalize
from konform.progress import Progress
from konform.store import audit, campaigns, donotcall, gdpr
from konform.store.consents import ConsentRow, latest_revocations, record_consent
from konform.store.contacts import BestTime, ContactRow, parse_time_of_day, upsert_contacts
from konform.store.database import Store, utc_text

__all__ = [
    "IMPORT_KINDS",
    "LIST_KINDS",
    "REPLACEABLE",
    "ImportFileError",
    "ImportRefused",
    "ImportResult",
    "RowError",
    "run_import",
]

ImportKind = Literal["contacts", "consents", "robinson", "belmeniet", "optouts"]
IMPORT_KINDS: tuple[ImportKind, ...] = ("contacts", "consents", "robinson", "belmeniet", "optouts")
LIST_KINDS: dict[str, donotcall.ListName] = {
    "robinson": "robinson",
    "belmeniet": "belmeniet",
    "optouts": "internal",
}
REPLACEABLE = ("robinson", "belmeniet")
CONTACT_COLUMNS = ("number", "name", "region", "kind", "customer_until")
CONTACT_OPTIONAL = ("basis", "priority", "call_after", "call_before")
CONSENT_COLUMNS = ("number", "purpose", "given_at", "confirmed_at", "revoked_at", "source")
BERLIN = ZoneInfo("Europe/Berlin")
MAX_LINE = 65_536
"""Longest line read (characters); a longer one is a line error. No konform column needs more,
and it keeps every field under the csv module's own limit (128 KiB)."""

# One write transaction should hold the write lock for about TARGET_BATCH_S, so that an opt-out
# committed by another process waits well under a second. The cost per row varies widely with
# the data (merging into a large list, appending to an empty one), so a batch starts at a size
# measured for its kind (docs/decisions/batched-imports.md) and then follows the time the last
# transaction held the lock (at most doubling or halving per batch).
TARGET_BATCH_S = 0.05
START_ROWS: dict[str, int] = {"contacts": 2_000, "consents": 1_000, "list": 1_000}
MIN_ROWS = 50
MAX_ROWS = 200_000

_CANONICAL_DE = re.compile(r"\+49[1-9][0-9]{5,13}")
_LIST_HEADERS = frozenset({"number", "numbers", "sha256", "hash", "digest"})
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (missing, unreadable, wrong header)."""


class ImportRefused(ImportFileError):
    """The import would do harm (``--replace`` with an empty or mostly bad list)."""


class RowRejected(ValueError):
    """One row is bad; the message is the reason shown to the operator."""


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    reason: str


@dataclass
class ImportResult:
    kind: str
    accepted: int = 0
    """Rows imported (valid, and neither conflicting nor for an objecting or erased number)."""
    written: int = 0
    """Rows, events or list entries new or changed in the store."""
    errors: list[RowError] = field(default_factory=list)
    conflicts: list[RowError] = field(default_factory=list)
    """Consent rows contradicting a recorded revocation or another row of the file."""
    objected: list[RowError] = field(default_factory=list)
    erased: list[RowError] = field(default_factory=list)
    strict_aborted: bool = False
    unfinished: list[str] = field(default_factory=list)
    """One line per earlier import run that stopped half-way."""
    replaced: tuple[int, int] | None = None
    """List entries before and after a ``replace``."""
    erased_objected: int = 0
    """Numbers on the internal list whose data the store still held, erased (optouts)."""
    longest_batch_s: float = 0.0
    """The longest time one write transaction of this run held the write lock."""
    batches: int = 0
    """Write transactions of this run."""

    @property
    def not_imported(self) -> int:
        return len(self.errors) + len(self.conflicts) + len(self.objected) + len(self.erased)

    def problems(self) -> list[RowError]:
        """Every line not imported, in file order."""
        return sorted(
            [*self.errors, *self.conflicts, *self.objected, *self.erased], key=lambda e: e.line
        )


# --- parsing one row -------------------------------------------------------------------------


def _number(text: str) -> str:
    try:
        return normalize(text)
    except InvalidNumber as exc:
        raise RowRejected(str(exc)) from None


def _instant(text: str, column: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise RowRejected(f"{column} {text!r} is not an ISO 8601 instant") from None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=BERLIN)
    try:
        moment.astimezone(UTC)  # the form it is stored in; year 1 or 9999 with an offset fails
    except (OverflowError, ValueError):
        raise RowRejected(f"{column} {text!r} is out of range") from None
    return moment


def parse_contact(row: dict[str, str]) -> ContactRow:
    number = _number(row["number"])
    region: str | None = None
    if row["region"].strip():
        try:
            region = valid_region(row["region"])
        except ValueError as exc:
            raise RowRejected(str(exc)) from None
    kind = row["kind"].strip().lower()
    if kind not in ("b2c", "b2b"):
        raise RowRejected(f"kind {row['kind']!r} must be b2c or b2b")
    until_text = row["customer_until"].strip().lower()
    until: date | Literal["active"] | None = None
    if until_text == "active":
        until = "active"
    elif until_text:
        try:
            until = date.fromisoformat(until_text)
        except ValueError:
            raise RowRejected(
                f"customer_until {row['customer_until']!r} must be empty, 'active' or a date"
            ) from None
    basis = (row.get("basis") or "").strip() or None
    name = row["name"].strip() or None
    return ContactRow(
        number,
        name,
        region,
        "b2b" if kind == "b2b" else "b2c",
        until,
        basis,
        _best_time(row),
        _priority(row.get("priority", "")),
    )


def _priority(text: str) -> int | None:
    """The ``priority`` column: empty (none given) or a whole number 1-9 (1 is called first)."""
    text = text.strip()
    if not text:
        return None
    level = int(text) if text.isascii() and text.isdigit() else 0
    try:
        campaigns.check_priority(level)
    except ValueError:
        raise RowRejected(
            f"priority {text!r} must be a whole number from 1 to 9 (1 is called first)"
        ) from None
    return level


def _best_time(row: dict[str, str]) -> BestTime | None:
    """The ``call_after``/``call_before`` columns (HH:MM local); None when the file has neither
    column, so that an import without them keeps the stored best time."""
    if "call_after" not in row and "call_before" not in row:
        return None
    ends: list[str | None] = []
    for column in ("call_after", "call_before"):
        text = row.get(column, "").strip()
        try:
            ends.append(parse_time_of_day(text) if text else None)
        except ValueError as exc:
            raise RowRejected(f"{column} {exc}") from None
    try:
        return BestTime(*ends)
    except ValueError as exc:
        raise RowRejected(str(exc)) from None


def parse_consent(row: dict[str, str]) -> ConsentRow:
    number = _number(row["number"])
    purpose = row["purpose"].strip()
    if not purpose:
        raise RowRejected("purpose is empty")
    given = _instant(row["given_at"], "given_at")
    if given is None:
        raise RowRejected("given_at is empty")
    confirmed = _instant(row["confirmed_at"], "confirmed_at")
    revoked = _instant(row["revoked_at"], "revoked_at")
    if confirmed is not None and confirmed < given:
        raise RowRejected("confirmed_at lies before given_at")
    if revoked is not None and revoked < given:
        raise RowRejected("revoked_at lies before given_at")
    return ConsentRow(number, purpose, given, confirmed, revoked, row["source"].strip() or None)


def parse_list_entry(text: str, keyer: Keyer) -> bytes:
    """The list key of one line: a SHA-256 hex digest or a number in any format."""
    if is_sha256_hex(text):
        return keyer.digest_key(text)
    if _CANONICAL_DE.fullmatch(text):
        return keyer.number_key(text)  # already E.164: skip the slow full parse
    if (bad := _CONTROL.search(text)) is not None:
        raise RowRejected(f"contains the control character U+{ord(bad.group()):04X}")
    return keyer.number_key(_number(text))


# --- reading lines ---------------------------------------------------------------------------


def _open_text(path: Path) -> TextIO:
    try:
        return path.open(encoding="utf-8-sig", errors="replace", newline="")
    except FileNotFoundError:
        raise ImportFileError(f"file {path} does not exist") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None


def _sha256(path: Path) -> tuple[str, int]:
    """The file's SHA-256 (hex) and size; missing or unreadable files are an ImportFileError."""
    _open_text(path).close()
    digest = hashlib.sha256()
    size = 0
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    return digest.hexdigest(), size


class _Lines:
    """The physical lines of a text file, numbered from 1, without their line ends.

    Each line is read with a length limit: a line longer than :data:`MAX_LINE` is skipped to
    its end and yielded as ``None`` (a line error), never held in memory whole. None of
    konform's columns may contain a line break, so every line stands on its own: a broken quote
    spoils its own line only.
    """

    def __init__(self, handle: TextIO) -> None:
        self.handle = handle
        self.chars = 0

    def __iter__(self) -> Iterator[tuple[int, str | None]]:
        number = 0
        while text := self.handle.readline(MAX_LINE + 1):
            number += 1
            self.chars += len(text)
            if len(text) > MAX_LINE and not text.endswith(("\n", "\r")):
                while rest := self.handle.readline(MAX_LINE):
                    self.chars += len(rest)
                    if rest.endswith(("\n", "\r")):
                        break
                yield number, None
                continue
            yield number, text.rstrip("\r\n")


def _too_long(line: int) -> RowError:
    return RowError(line, f"line is longer than {MAX_LINE} characters")


def _csv_fields(text: str) -> list[str]:
    bad = _CONTROL.search(text)
    if bad is not None:
        raise RowRejected(f"contains the control character U+{ord(bad.group()):04X}")
    if '"' not in text:  # no quoting: what the csv module would make of it, faster
        return text.split(",")
    try:
        return next(csv.reader((text,), strict=True), [])
    except csv.Error as exc:
        raise RowRejected(f"not a valid CSV line ({exc})") from None


Row = ContactRow | ConsentRow


def _table_rows(
    lines: _Lines, kind: ImportKind, path: Path
) -> Iterator[tuple[int, Row | RowError]]:
    columns, optional = (
        (CONTACT_COLUMNS, CONTACT_OPTIONAL) if kind == "contacts" else (CONSENT_COLUMNS, ())
    )
    parse: Callable[[dict[str, str]], Row] = parse_contact if kind == "contacts" else parse_consent
    numbered = iter(lines)
    first = next(numbered, None)
    if first is None:
        raise ImportFileError(f"{path} is empty: expected a header {','.join(columns)}")
    expected = ",".join(columns + tuple(f"[{o}]" for o in optional))
    if first[1] is None:
        raise ImportFileError(f"{path}: header must be {expected}, found an overlong line")
    try:
        header = _csv_fields(first[1])
    except RowRejected as exc:
        raise ImportFileError(f"{path}: header must be {expected}: {exc}") from None
    names = [h.strip().lower() for h in header]
    missing = [c for c in columns if c not in names]
    unknown = [n for n in names if n not in columns and n not in optional]
    if missing or unknown or len(set(names)) != len(names):
        raise ImportFileError(f"{path}: header must be {expected}, found {','.join(header)}")
    for line, text in numbered:
        if text is None:
            yield line, _too_long(line)
            continue
        if not text.strip():
            continue
        try:
            fields = _csv_fields(text)
            if not any(f.strip() for f in fields):
                continue
            if len(fields) != len(names):
                raise RowRejected(f"expected {len(names)} fields, found {len(fields)}")
            yield line, parse(dict(zip(names, fields, strict=True)))
        except RowRejected as exc:
            yield line, RowError(line, str(exc))


# --- batches, runs, the one-import lock ------------------------------------------------------


class _Batches:
    """How many rows go into the next write transaction, and the write transaction itself."""

    def __init__(self, start: int, fixed: int | None) -> None:
        self.size = fixed or start
        self.fixed = fixed is not None
        self.longest_s = 0.0
        self.count = 0

    @contextlib.contextmanager
    def write(self, store: Store) -> Iterator[sqlite3.Connection]:
        with store.transaction() as conn:
            locked_at = time.perf_counter()  # BEGIN IMMEDIATE holds the write lock from here
            yield conn
        held = time.perf_counter() - locked_at
        self.longest_s = max(self.longest_s, held)
        self.count += 1
        if not self.fixed:
            factor = min(2.0, max(0.5, TARGET_BATCH_S / max(held, 1e-4)))
            self.size = max(MIN_ROWS, min(MAX_ROWS, int(self.size * factor)))


@contextlib.contextmanager
def _one_import_at_a_time(store: Store) -> Iterator[None]:
    """An exclusive lock beside the database while an import runs: a second import waits for
    nothing and refuses, and a run recorded as ``running`` without the lock is known dead."""
    lock_path = store.path.with_name(store.path.name + ".import-lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise ImportFileError(f"cannot create the lock file {lock_path}: {exc.strerror}") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ImportFileError(
                f"another import into {store.path} is running; wait for it to finish"
            ) from None
        yield
    finally:
        os.close(fd)  # releases the lock


def _now() -> str:
    return utc_text(datetime.now(UTC))


class _Run:
    """This import's row in ``import_runs``: running, then done or aborted."""

    def __init__(self, store: Store, kind: str, source: str, sha256: str) -> None:
        self.store = store
        with store.transaction() as conn:
            cursor = conn.execute(
                "INSERT INTO import_runs (kind, source, sha256, started_at, state)"
                " VALUES (?, ?, ?, ?, 'running')",
                (kind, source, sha256, _now()),
            )
        self.id = int(cursor.lastrowid or 0)
        self.completes: list[int] = []

    def progress(self, lines_done: int) -> None:
        """Inside the batch's transaction: what is committed with it."""
        self.store.conn.execute(
            "UPDATE import_runs SET lines_done = ? WHERE id = ?", (lines_done, self.id)
        )

    def done(self) -> None:
        """Inside the final transaction; earlier unfinished runs of this file are done now."""
        now = _now()
        self.store.conn.executemany(
            "UPDATE import_runs SET state = 'done', finished_at = ? WHERE id = ?",
            [(now, i) for i in [self.id, *self.completes]],
        )

    def abort(self) -> None:
        with contextlib.suppress(sqlite3.Error), self.store.transaction() as conn:
            conn.execute(
                "UPDATE import_runs SET state = 'aborted', finished_at = ? WHERE id = ?",
                (_now(), self.id),
            )


def _earlier_runs(store: Store, run: _Run, kind: str, source: str, sha256: str) -> list[str]:
    """Warnings about earlier runs that stopped half-way; the ones this run repeats (same kind,
    same file or same content) go into ``run.completes``. Called under the import lock, so a run
    still marked ``running`` is known dead: it becomes ``aborted``."""
    rows = store.conn.execute(
        "SELECT id, kind, source, sha256, started_at, lines_done, state FROM import_runs"
        " WHERE id != ? AND (state = 'running' OR (state = 'aborted' AND lines_done > 0))"
        " ORDER BY id",
        (run.id,),
    ).fetchall()
    warnings = []
    for run_id, old_kind, old_source, old_sha, started, lines_done, state in rows:
        unit = "entries" if old_kind in LIST_KINDS else "lines"
        same = old_kind == kind and (old_sha == sha256 or old_source == source)
        then = "this run completes it" if same else "run it again to complete it"
        warnings.append(
            f"import of {old_source} ({old_kind}) started {started} stopped after"
            f" {lines_done} {unit}; {then}"
        )
        if same:
            run.completes.append(run_id)
        if state == "running":
            with store.transaction() as conn:
                conn.execute("UPDATE import_runs SET state = 'aborted' WHERE id = ?", (run_id,))
    return warnings


# --- the import ------------------------------------------------------------------------------


def run_import(
    store: Store,
    kind: ImportKind,
    path: Path,
    *,
    strict: bool = False,
    replace: bool = False,
    force: bool = False,
    campaign: str | None = None,
    batch_rows: int | None = None,
) -> ImportResult:
    """Import one file; see the module docstring for the rules.

    ``replace`` (lists in :data:`REPLACEABLE`): the file becomes the whole list; refused with
    :class:`ImportRefused` when the file has no accepted line or more rejected than accepted
    lines, unless ``force``. ``batch_rows`` fixes the rows per write transaction (tests).
    """
    if replace and kind not in REPLACEABLE:
        raise ImportFileError(f"only the {' and '.join(REPLACEABLE)} lists can be replaced")
    sha256, size = _sha256(path)
    source = str(path.resolve())
    result = ImportResult(kind)
    passes = 1 + (kind == "consents") + strict
    progress = Progress(size * passes, f"import {kind}")
    batches = _Batches(START_ROWS.get(kind, START_ROWS["list"]), batch_rows)
    with _one_import_at_a_time(store):
        run = _Run(store, kind, source, sha256)
        result.unfinished = _earlier_runs(store, run, kind, source, sha256)
        try:
            if kind in ("contacts", "consents"):
                _import_table(store, kind, path, result, run, batches, progress, strict, campaign)
            else:
                _import_list(
                    store, kind, path, result, run, batches, progress, strict, replace, force
                )
        except BaseException:
            run.abort()  # rows of committed batches stay; lines_done says how far it got
            raise
        if result.strict_aborted:
            run.abort()
        elif kind == "optouts":  # an objection erases the person's data, however it came in
            result.erased_objected = gdpr.erase_objected(store, why="opt-out via import")
    result.longest_batch_s, result.batches = batches.longest_s, batches.count
    # PASSIVE: fold the log into the database without blocking other writers meanwhile.
    store.conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    progress.finish(result.accepted + result.not_imported)
    return result


def _dates(store: Store, table: str, column: str, keys: list[bytes]) -> dict[bytes, str]:
    """``{key: date}`` for the keys found in ``table`` (the internal list, the erasures)."""
    found: dict[bytes, str] = {}
    for start in range(0, len(keys), 500):
        part = keys[start : start + 500]
        rows = store.conn.execute(
            f"SELECT key, {column} FROM {table} WHERE key IN ({','.join('?' * len(part))})", part
        )
        for key, at in rows:
            found[bytes(key)] = _day(at)
    return found


def _day(at: str | datetime) -> str:
    """The date (Berlin) of a stored instant, for messages."""
    try:
        moment = at if isinstance(at, datetime) else datetime.fromisoformat(at)
    except (TypeError, ValueError):
        return str(at)[:10]
    if moment.tzinfo is None:
        return moment.date().isoformat()
    return moment.astimezone(BERLIN).date().isoformat()


InFile = dict[tuple[bytes, str], tuple[datetime, int]]
"""The newest revocation each (number key, purpose) has in the file, and its line."""


def _conflict(
    row: ConsentRow,
    key: bytes,
    in_file: InFile,
    stored: dict[tuple[bytes, str], datetime],
) -> str | None:
    """Why ``row`` contradicts a revocation, or None. A row that states a consent without a
    revocation, given before a revocation held (in the store or in the file), would claim a
    consent the person withdrew (Art. 7 (3) GDPR): it is reported and writes nothing."""
    if row.revoked_at is not None:
        return None
    revoked = in_file.get((key, row.purpose))
    if revoked is not None and revoked[0] >= row.given_at:
        return (
            f"consent for {row.purpose!r} was revoked on {_day(revoked[0])} (line {revoked[1]}"
            " of this file); this row does not undo it"
        )
    at = stored.get((key, row.purpose))
    if at is not None and at >= row.given_at:
        return f"consent for {row.purpose!r} was revoked on {_day(at)}; this row does not undo it"
    return None


def _revocations_in(path: Path, keyer: Keyer, progress: Progress, base: int) -> InFile:
    found: InFile = {}
    with _open_text(path) as handle:
        lines = _Lines(handle)
        for line, row in _table_rows(lines, "consents", path):
            if isinstance(row, ConsentRow) and row.revoked_at is not None:
                key = (keyer.number_key(row.number), row.purpose)
                if key not in found or found[key][0] < row.revoked_at:
                    found[key] = (row.revoked_at, line)
            if not line % 8192:
                progress.advance_to(base + lines.chars, 0)
    return found


def _import_table(
    store: Store,
    kind: ImportKind,
    path: Path,
    result: ImportResult,
    run: _Run,
    batches: _Batches,
    progress: Progress,
    strict: bool,
    campaign: str | None,
) -> None:
    per_pass = progress.total // (1 + (kind == "consents") + strict)
    base = 0
    in_file: InFile = {}
    if kind == "consents":  # first the revocations the file holds, to judge rows against them
        in_file = _revocations_in(path, store.keyer, progress, base)
        base += per_pass
    if strict:  # all or nothing: the whole file is checked before anything is written
        check = ImportResult(kind)
        _table_pass(store, kind, path, check, None, batches, progress, base, in_file, campaign)
        base += per_pass
        if check.not_imported:
            result.errors, result.conflicts = check.errors, check.conflicts
            result.objected, result.erased = check.objected, check.erased
            result.strict_aborted = True
            return
    _table_pass(store, kind, path, result, run, batches, progress, base, in_file, campaign)
    with store.transaction():
        audit.record(
            store,
            f"{kind}_imported",
            source=str(path),
            accepted=result.accepted,
            written=result.written,
            rejected=len(result.errors),
            conflicts=len(result.conflicts),
            objected=len(result.objected),
            erased=len(result.erased),
            completes_runs=run.completes,
        )
        run.done()


def _table_pass(
    store: Store,
    kind: ImportKind,
    path: Path,
    result: ImportResult,
    run: _Run | None,
    batches: _Batches,
    progress: Progress,
    base: int,
    in_file: InFile,
    campaign: str | None,
) -> None:
    """Read the file once; with ``run`` write it in batches, without only judge it."""
    keyer = store.keyer
    batch: list[tuple[int, Row, bytes]] = []
    with _open_text(path) as handle:
        lines = _Lines(handle)
        for line, row in _table_rows(lines, kind, path):
            if isinstance(row, RowError):
                result.errors.append(row)
                continue
            batch.append((line, row, keyer.number_key(row.number)))
            if len(batch) >= batches.size:
                _settle(store, kind, batch, result, run, batches, in_file, campaign)
                batch.clear()
                progress.advance_to(base + lines.chars, result.accepted)
        _settle(store, kind, batch, result, run, batches, in_file, campaign)


def _settle(
    store: Store,
    kind: ImportKind,
    batch: list[tuple[int, Row, bytes]],
    result: ImportResult,
    run: _Run | None,
    batches: _Batches,
    in_file: InFile,
    campaign: str | None,
) -> None:
    """Judge one batch and, with ``run``, write it in one transaction.

    The checks run inside the write transaction: an opt-out committed a moment before by another
    process is seen, and none can slip in between the check and the write.
    """
    if not batch:
        return
    with batches.write(store) if run is not None else contextlib.nullcontext():
        good = _judge(store, kind, batch, result, in_file)
        if run is None:
            return
        if kind == "contacts":
            contacts = [row for _, row, _ in good if isinstance(row, ContactRow)]
            result.written += upsert_contacts(store, contacts)
            if campaign is not None:
                levels = {c.number: c.priority for c in contacts if c.priority is not None}
                campaigns.assign(store, campaign, [c.number for c in contacts], levels)
        else:
            for _, row, key in good:
                assert isinstance(row, ConsentRow)
                added = record_consent(store, row, via="import", key=key)
                if added:  # every consent event written is audited with it (§ 7a UWG)
                    audit.record(
                        store,
                        "consent_recorded",
                        key=key,
                        purpose=row.purpose,
                        given_at=row.given_at,
                        confirmed_at=row.confirmed_at,
                        revoked_at=row.revoked_at,
                        source=row.source,
                        via="import",
                    )
                result.written += added
        run.progress(batch[-1][0])


def _judge(
    store: Store,
    kind: ImportKind,
    batch: list[tuple[int, Row, bytes]],
    result: ImportResult,
    in_file: InFile,
) -> list[tuple[int, Row, bytes]]:
    """The rows of ``batch`` to write; the others are reported in ``result``."""
    keys = [key for _, _, key in batch]
    objected = _dates(store, "dnc_internal", "added_at", keys)
    erased = _dates(store, "erasures", "at", keys)
    revoked = latest_revocations(store, keys) if kind == "consents" else {}
    good = []
    for line, row, key in batch:
        if key in objected:  # Art. 21 (3) GDPR: the objection stands; no data comes back
            said = f"the number objected on {objected[key]} (internal list): not imported"
            result.objected.append(RowError(line, said))
        elif key in erased:  # Art. 17 GDPR: erased data does not come back with an import
            result.erased.append(
                RowError(line, f"erased on {erased[key]} at the person's request: not imported")
            )
        elif isinstance(row, ConsentRow) and (why := _conflict(row, key, in_file, revoked)):
            result.conflicts.append(RowError(line, why))
        else:
            good.append((line, row, key))
            result.accepted += 1
    return good


def _import_list(
    store: Store,
    kind: ImportKind,
    path: Path,
    result: ImportResult,
    run: _Run,
    batches: _Batches,
    progress: Progress,
    strict: bool,
    replace: bool,
    force: bool,
) -> None:
    name = LIST_KINDS[kind]
    keys = bytearray()
    with _open_text(path) as handle:
        lines = _Lines(handle)
        for line, raw in lines:
            if raw is None:
                result.errors.append(_too_long(line))
                continue
            text = raw.strip()
            if not text or text.startswith("#") or (line == 1 and text.lower() in _LIST_HEADERS):
                continue
            try:
                keys += parse_list_entry(text, store.keyer)
            except RowRejected as exc:
                result.errors.append(RowError(line, str(exc)))
                continue
            result.accepted += 1
            if not result.accepted % 8192:
                progress.advance_to(lines.chars, result.accepted)
    if strict and result.errors:
        result.strict_aborted = True
        return
    if replace and not force and (not result.accepted or len(result.errors) > result.accepted):
        first = ""
        if result.errors:
            first = f" (line {result.errors[0].line}: {result.errors[0].reason})"
        raise ImportRefused(
            f"not replacing the {name} list ({donotcall.count(store, name)} entries) with"
            f" {path}: {result.accepted} lines accepted, {len(result.errors)} rejected{first};"
            " --force replaces it anyway"
        )
    ordered = donotcall.sorted_unique(keys)
    del keys
    donotcall.drain_leftovers(store, name)
    table = donotcall.start_staging(store, name) if replace else donotcall.LISTS[name]
    written = _write_keys(store, name, table, ordered, run, batches)
    detail: dict[str, Any] = {
        "source": str(path),
        "accepted": result.accepted,
        "rejected": len(result.errors),
        "completes_runs": run.completes,
    }
    if replace:
        before = donotcall.count(store, name)  # no other writer: imports hold the import lock
        after = len(ordered) // donotcall.KEY_SIZE
        with batches.write(store):  # two renames: the list is wholly old or wholly new
            donotcall.swap_in_staging(store, name)
            detail.update(list=name, before=before, after=after, forced=force)
            audit.record(store, "list_replaced", **detail)
            donotcall.record_import(store, name, str(path), after)
            run.done()
        result.replaced = (before, after)
        result.written = after
        donotcall.drain_leftovers(store, name)
    else:
        with store.transaction():
            donotcall.record_import(store, name, str(path), written)
            audit.record(store, f"{kind}_imported", added=written, **detail)
            run.done()
        result.written = written


def _write_keys(
    store: Store,
    name: donotcall.ListName,
    table: str,
    ordered: bytes,
    run: _Run,
    batches: _Batches,
) -> int:
    """Insert sorted keys into ``table`` in committed batches; return how many were new."""
    size = donotcall.KEY_SIZE
    total = len(ordered) // size
    done = written = 0
    while done < total:
        chunk = ordered[done * size : (done + batches.size) * size]
        with batches.write(store):
            new: Iterable[bytes] = ()
            if name == "internal":  # every new objection is audited on its own
                known = donotcall.known_keys(store, name, chunk)
                new = [k for k in _split(chunk) if k not in known]
            written += donotcall.insert_sorted(store, table, chunk)
            for key in new:
                audit.record(store, "objection_recorded", key=key, via="import")
            done += len(chunk) // size
            run.progress(done)
    return written


def _split(chunk: bytes) -> Iterator[bytes]:
    size = donotcall.KEY_SIZE
    return (chunk[i : i + size] for i in range(0, len(chunk), size))
