"""Importing contacts, consents and do-not-call lists from files.

Every row is checked; bad rows are reported with their line number and reason and skipped, good
rows land. With ``strict`` nothing is written when any row is bad. A whole import is one
transaction, so a crash half-way leaves the store as it was.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Literal, TextIO
from zoneinfo import ZoneInfo

from konform.calling_time import valid_region
from konform.numbers import InvalidNumber, Keyer, is_sha256_hex, normalize
from konform.progress import Progress
from konform.store import audit, campaigns, donotcall
from konform.store.consents import ConsentRow, record_consents
from konform.store.contacts import ContactRow, upsert_contacts
from konform.store.database import Store

__all__ = ["IMPORT_KINDS", "ImportFileError", "ImportResult", "RowError", "run_import"]

ImportKind = Literal["contacts", "consents", "robinson", "optouts"]
IMPORT_KINDS: tuple[ImportKind, ...] = ("contacts", "consents", "robinson", "optouts")
CONTACT_COLUMNS = ("number", "name", "region", "kind", "customer_until")
CONSENT_COLUMNS = ("number", "purpose", "given_at", "confirmed_at", "revoked_at", "source")
BERLIN = ZoneInfo("Europe/Berlin")
BATCH = 100_000
_CANONICAL_DE = re.compile(r"\+49[1-9][0-9]{5,13}")
_LIST_HEADERS = frozenset({"number", "numbers", "sha256", "hash", "digest"})


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (missing, unreadable, wrong header)."""


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
    written: int = 0
    errors: list[RowError] = field(default_factory=list)
    strict_aborted: bool = False


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
    return moment if moment.tzinfo else moment.replace(tzinfo=BERLIN)


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
    return ContactRow(number, name, region, "b2b" if kind == "b2b" else "b2c", until, basis)


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
    return keyer.number_key(_number(text))


def _open_text(path: Path) -> tuple[TextIO, int]:
    try:
        size = path.stat().st_size
        handle = path.open(encoding="utf-8-sig", errors="replace", newline="")
    except FileNotFoundError:
        raise ImportFileError(f"file {path} does not exist") from None
    except IsADirectoryError:
        raise ImportFileError(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise ImportFileError(f"cannot read {path}: {exc.strerror}") from None
    return handle, size


def _csv_rows(
    lines: Iterator[str], columns: tuple[str, ...], optional: tuple[str, ...], path: Path
) -> Iterator[tuple[int, dict[str, str] | RowError]]:
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise ImportFileError(f"{path} is empty: expected a header {','.join(columns)}")
    names = [h.strip().lower() for h in header]
    missing = [c for c in columns if c not in names]
    unknown = [n for n in names if n not in columns and n not in optional]
    if missing or unknown or len(set(names)) != len(names):
        raise ImportFileError(
            f"{path}: header must be {','.join(columns + tuple(f'[{o}]' for o in optional))}"
            f", found {','.join(header)}"
        )
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(names):
            yield line, RowError(line, f"expected {len(names)} fields, found {len(fields)}")
            continue
        yield line, dict(zip(names, fields, strict=True))


def run_import(
    store: Store,
    kind: ImportKind,
    path: Path,
    *,
    strict: bool = False,
    replace: bool = False,
    campaign: str | None = None,
) -> ImportResult:
    """Import one file; see the module docstring for the rules."""
    handle, size = _open_text(path)
    result = ImportResult(kind)
    progress = Progress(size, f"import {kind}")
    try:
        with handle, store.transaction():
            if replace and kind == "robinson":
                store.conn.execute("DELETE FROM dnc_robinson")
            if kind in ("contacts", "consents"):
                _import_table(store, kind, handle, path, result, progress, campaign)
            else:
                _import_list(store, kind, handle, path, result, progress)
            if strict and result.errors:
                raise _Abort  # rolls the whole import back
    except _Abort:
        result.strict_aborted = True
        result.written = 0
    store.checkpoint()
    progress.finish(result.accepted + len(result.errors))
    return result


class _Abort(Exception):
    pass


def _counting(lines: Iterator[str], counter: list[int]) -> Iterator[str]:
    for line in lines:
        counter[0] += len(line)
        yield line


def _import_table(
    store: Store,
    kind: ImportKind,
    handle: Iterator[str],
    path: Path,
    result: ImportResult,
    progress: Progress,
    campaign: str | None = None,
) -> None:
    counter = [0]
    columns, optional = (
        (CONTACT_COLUMNS, ("basis",)) if kind == "contacts" else (CONSENT_COLUMNS, ())
    )
    parse: Callable[[dict[str, str]], ContactRow | ConsentRow] = (
        parse_contact if kind == "contacts" else parse_consent
    )
    batch: list[ContactRow | ConsentRow] = []

    def flush() -> None:
        if kind == "contacts":
            contacts = [r for r in batch if isinstance(r, ContactRow)]
            result.written += upsert_contacts(store, contacts)
            if campaign is not None:
                campaigns.assign(store, campaign, [c.number for c in contacts])
        else:
            consents = [r for r in batch if isinstance(r, ConsentRow)]
            result.written += record_consents(store, consents)
            for c in consents:
                audit.record(
                    store,
                    "consent_recorded",
                    number=c.number,
                    purpose=c.purpose,
                    given_at=c.given_at,
                    confirmed_at=c.confirmed_at,
                    revoked_at=c.revoked_at,
                    source=c.source,
                    via="import",
                )
        batch.clear()

    for line, row in _csv_rows(_counting(handle, counter), columns, optional, path):
        if isinstance(row, RowError):
            result.errors.append(row)
            continue
        try:
            batch.append(parse(row))
        except RowRejected as exc:
            result.errors.append(RowError(line, str(exc)))
            continue
        result.accepted += 1
        if len(batch) >= BATCH:
            flush()
        progress.advance_to(counter[0], result.accepted)
    flush()
    audit.record(
        store,
        f"{kind}_imported",
        source=str(path),
        accepted=result.accepted,
        rejected=len(result.errors),
    )


def _import_list(
    store: Store,
    kind: ImportKind,
    handle: Iterator[str],
    path: Path,
    result: ImportResult,
    progress: Progress,
) -> None:
    name: donotcall.ListName = "robinson" if kind == "robinson" else "internal"
    keyer = store.keyer
    keys = bytearray()
    audited: list[bytes] = []
    done = 0
    for line, raw in enumerate(handle, start=1):
        done += len(raw)
        text = raw.strip()
        if not text or text.startswith("#") or (line == 1 and text.lower() in _LIST_HEADERS):
            continue
        try:
            key = parse_list_entry(text, keyer)
        except RowRejected as exc:
            result.errors.append(RowError(line, str(exc)))
            continue
        keys += key
        if name == "internal":
            audited.append(key)
        result.accepted += 1
        if not result.accepted % 8192:
            progress.advance_to(done, result.accepted)
    result.written = donotcall.add_key_blob(store, name, keys)
    for key in audited:  # every objection is audited on its own
        audit.record(store, "objection_recorded", key=key, via="import")
    donotcall.record_import(store, name, str(path), result.written)
    audit.record(
        store,
        f"{kind}_imported",
        source=str(path),
        accepted=result.accepted,
        added=result.written,
        rejected=len(result.errors),
    )
