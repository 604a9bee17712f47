"""Consent imports append evidence and report conflicts (finding 1); numbers that objected or
were erased do not come back with an import (finding 9)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from konform.importing import run_import
from konform.store import audit
from konform.store.consents import consents_of
from konform.store.contacts import contact_of
from konform.store.database import Store, utc_text
from konform.store.objection import opt_out
from tests.conftest import CliRunner

HEADER = "number,purpose,given_at,confirmed_at,revoked_at,source\n"
GIVEN = "2025-01-10T10:00:00+01:00,2025-01-10T10:05:00+01:00"
ANNA = "+49301234567"


def _file(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_an_older_row_does_not_undo_a_revocation(store: Store, tmp_path: Path) -> None:
    """finding 1: re-importing an old consents row without its revocation is a conflict,
    reported by line; it writes nothing and the consent stays revoked."""
    revoked = _file(tmp_path, "new.csv", HEADER + f"{ANNA},sales,{GIVEN},2025-06-01T12:00Z,web\n")
    assert run_import(store, "consents", revoked).written == 3
    old = _file(tmp_path, "old.csv", HEADER + f"030 1234567,news,{GIVEN},,shop\n"
                f"030 1234567,sales,{GIVEN},,web\n")  # fmt: skip
    recorded_before = len(audit.entries(store, ANNA))
    result = run_import(store, "consents", old)
    assert [(c.line, c.reason) for c in result.conflicts] == [
        (3, "consent for 'sales' was revoked on 2025-06-01; this row does not undo it")
    ]
    assert result.accepted == 1
    assert result.written == 2
    assert consents_of(store, ANNA) == {"news": "valid", "sales": "revoked"}
    events = [e["event"] for e in audit.entries(store, ANNA)[recorded_before:]]
    assert events == ["consent_recorded"]  # only the row that wrote events


def test_conflicts_on_the_command_line(cli: CliRunner, tmp_path: Path) -> None:
    """finding 1: conflicts are listed like rejected rows (FILE:LINE: reason), exit code 1."""
    revoked = _file(tmp_path, "new.csv", HEADER + f"{ANNA},sales,{GIVEN},2025-06-01T12:00Z,web\n")
    assert cli("import", "consents", str(revoked)).code == 0
    old = _file(tmp_path, "old.csv", HEADER + f"{ANNA},sales,{GIVEN},,web\n")
    result = cli("import", "consents", str(old))
    assert result.code == 1
    assert f"{old}:2: consent for 'sales' was revoked on 2025-06-01" in result.err
    assert "0 rows accepted, 0 written, 0 rejected, 1 conflicting" in result.out


def test_rows_contradicting_each_other_in_one_file(store: Store, tmp_path: Path) -> None:
    """finding 1: a row stating a consent unrevoked while a row further down revokes it is
    reported with the line of the revocation, whatever their order; a consent given anew after
    the revocation is no conflict."""
    text = (
        HEADER
        + f"{ANNA},sales,{GIVEN},,web\n"
        + f"{ANNA},sales,{GIVEN},2025-03-01T09:00Z,crm\n"
        + f"{ANNA},sales,2025-04-01T10:00Z,2025-04-01T10:01Z,,web\n"
    )
    result = run_import(store, "consents", _file(tmp_path, "k.csv", text), batch_rows=1)
    why = "consent for 'sales' was revoked on 2025-03-01 (line 3 of this file); this row"
    assert [(c.line, c.reason) for c in result.conflicts] == [(2, why + " does not undo it")]
    assert result.accepted == 2
    assert consents_of(store, ANNA) == {"sales": "valid"}  # the consent of 1 April


def test_strict_counts_conflicts_as_not_imported(store: Store, tmp_path: Path) -> None:
    """finding 1: with --strict a conflicting row means nothing is written."""
    text = HEADER + f"{ANNA},sales,{GIVEN},,web\n{ANNA},sales,{GIVEN},2025-03-01T09:00Z,crm\n"
    result = run_import(store, "consents", _file(tmp_path, "k.csv", text), strict=True)
    assert result.strict_aborted
    assert [c.line for c in result.conflicts] == [2]
    assert consents_of(store, ANNA) == {}


def _erase_marker(store: Store, number: str, at: str) -> None:
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO erasures (key, at) VALUES (?, ?)", (store.keyer.number_key(number), at)
        )


def test_objecting_and_erased_numbers_are_not_imported_again(store: Store, tmp_path: Path) -> None:
    """finding 9: a CRM re-import brings back neither a number that objected nor one that was
    erased on request; each is reported by line and counted apart."""
    opt_out(store, ANNA, source="IVR key 9")
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    _erase_marker(store, "+4989123456", utc_text(datetime(2026, 2, 3, 12, tzinfo=UTC)))
    contacts = _file(
        tmp_path,
        "c.csv",
        "number,name,region,kind,customer_until\n"
        "030 1234567,Anna,DE-BE,b2c,\n"
        "089 123456,Bernd,DE-BY,b2c,\n"
        "0151 23456789,Clara,DE-BY,b2c,\n",
    )
    result = run_import(store, "contacts", contacts)
    assert [(e.line, e.reason) for e in result.objected] == [
        (2, f"the number objected on {today} (internal list): not imported")
    ]
    assert [(e.line, e.reason) for e in result.erased] == [
        (3, "erased on 2026-02-03 at the person's request: not imported")
    ]
    assert result.accepted == 1
    assert result.written == 1
    assert contact_of(store, ANNA) is None
    assert contact_of(store, "+4989123456") is None
    consents = _file(
        tmp_path, "k.csv", HEADER + f"{ANNA},sales,{GIVEN},,web\n+4989123456,sales,{GIVEN},,web\n"
    )
    result = run_import(store, "consents", consents)
    assert [e.line for e in result.objected] == [2]
    assert [e.line for e in result.erased] == [3]
    assert result.written == 0
    assert consents_of(store, ANNA) == {}
    assert consents_of(store, "+4989123456") == {}


def test_objecting_numbers_on_the_command_line(cli: CliRunner, tmp_path: Path) -> None:
    """finding 9: the summary says so; exit code 1."""
    assert cli("optout", "030 1234567").code == 0
    contacts = _file(
        tmp_path,
        "c.csv",
        "number,name,region,kind,customer_until\n030 1234567,Anna,DE-BE,b2c,\n"
        "0151 23456789,Clara,DE-BY,b2c,\n",
    )
    result = cli("import", "contacts", str(contacts))
    assert result.code == 1
    assert f"{contacts}:2: the number objected on " in result.err
    assert (
        "contacts: 1 rows accepted, 1 written, 0 rejected, 0 conflicting,"
        " 1 not imported (1 objected, 0 erased)"
    ) in result.out
