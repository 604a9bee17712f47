"""Imports: partly bad files, --strict, hashed Robinson entries, headers, encodings."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from konform.importing import ImportFileError, run_import
from konform.store import audit, donotcall
from konform.store.consents import consents_of, events_of
from konform.store.contacts import contact_of
from konform.store.database import Store


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


PARTLY_BAD_CONTACTS = """number,name,region,kind,customer_until,basis
030 1234567,Anna,DE-BE,b2c,,
0151 23456789,Bernd,de-by,B2C,active,
+49 89 1234567,Firma X,DE-BY,b2b,2024-05-01,Messe
112,Notruf,,b2c,,
0301234567,Falsch,DE-XX,b2c,,
0301234568,Art,,b2x,,
0301234569,Datum,,b2c,bald,
0301234570,zu wenig
"""


def test_partly_bad_contacts_file(store: Store, tmp_path: Path) -> None:
    result = run_import(store, "contacts", _write(tmp_path, "c.csv", PARTLY_BAD_CONTACTS))
    assert result.accepted == 3
    assert [(e.line, e.reason.split()[0]) for e in result.errors] == [
        (5, "'112'"),
        (6, "region"),
        (7, "kind"),
        (8, "customer_until"),
        (9, "expected"),
    ]
    bernd = contact_of(store, "+4915123456789")
    assert bernd is not None
    assert bernd.region == "DE-BY"
    assert bernd.customer_until == "active"
    firm = contact_of(store, "+49891234567")
    assert firm is not None
    assert firm.kind == "b2b"
    assert firm.basis == "Messe"


def test_strict_writes_nothing(store: Store, tmp_path: Path) -> None:
    result = run_import(
        store, "contacts", _write(tmp_path, "c.csv", PARTLY_BAD_CONTACTS), strict=True
    )
    assert result.strict_aborted
    assert result.written == 0
    assert contact_of(store, "+49301234567") is None
    assert audit.entries(store) == []


def test_header_must_match(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="header"):
        run_import(store, "contacts", _write(tmp_path, "c.csv", "phone,name\n030 1234567,A\n"))
    with pytest.raises(ImportFileError, match="does not exist"):
        run_import(store, "contacts", tmp_path / "missing.csv")
    with pytest.raises(ImportFileError, match="empty"):
        run_import(store, "contacts", _write(tmp_path, "e.csv", ""))


def test_consents_with_offsets_and_naive_times(store: Store, tmp_path: Path) -> None:
    text = (
        "number,purpose,given_at,confirmed_at,revoked_at,source\n"
        "030 1234567,sales,2026-01-01T10:00:00+01:00,2026-01-01T10:05:00Z,,web\n"
        "030 1234567,news,2026-01-01 10:00,,,shop\n"
        "030 1234567,sales,2026-02-01T10:00:00Z,2026-01-01T10:00:00Z,,web\n"
        "030 1234567,,2026-02-01T10:00:00Z,,,web\n"
        "030 1234567,sales,gestern,,,web\n"
    )
    result = run_import(store, "consents", _write(tmp_path, "k.csv", text))
    assert result.accepted == 2
    assert [e.line for e in result.errors] == [4, 5, 6]
    assert consents_of(store, "+49301234567") == {"news": "unconfirmed", "sales": "valid"}
    news = [e for e in events_of(store, "+49301234567") if e.purpose == "news"]
    assert news[0].at.utcoffset() is not None  # naive read as Europe/Berlin
    events = [e["event"] for e in audit.entries(store, "+49301234567")]
    assert events.count("consent_recorded") == 2


def test_robinson_with_hashed_and_plain_entries(store: Store, tmp_path: Path) -> None:
    hashed = hashlib.sha256(b"+4930123456").hexdigest()
    text = (
        f"number\n{hashed}\n0151 23456789\n\n# a comment\n+4989123456\nkaputt\n{hashed.upper()}\n"
    )
    result = run_import(store, "robinson", _write(tmp_path, "r.txt", text))
    assert result.accepted == 4
    assert result.written == 3
    assert [e.line for e in result.errors] == [7]
    for number in ("+4930123456", "+4915123456789", "+4989123456"):
        assert donotcall.is_listed(store, "robinson", number)
        assert not donotcall.is_listed(store, "internal", number)


def test_robinson_replace(store: Store, tmp_path: Path) -> None:
    run_import(store, "robinson", _write(tmp_path, "a.txt", "+4930123456\n"))
    run_import(store, "robinson", _write(tmp_path, "b.txt", "+4989123456\n"), replace=True)
    assert not donotcall.is_listed(store, "robinson", "+4930123456")
    assert donotcall.is_listed(store, "robinson", "+4989123456")


def test_optouts_go_to_the_internal_list_with_audit(store: Store, tmp_path: Path) -> None:
    result = run_import(store, "optouts", _write(tmp_path, "o.txt", "030 1234567\n"))
    assert result.written == 1
    assert donotcall.is_listed(store, "internal", "+49301234567")
    assert [e["event"] for e in audit.entries(store, "+49301234567")] == ["objection_recorded"]


def test_non_utf8_bytes_do_not_crash(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        "number,name,region,kind,customer_until\n030 1234567,Jürgen,,b2c,\n".encode("latin-1")
    )
    result = run_import(store, "contacts", path)
    assert result.accepted == 1
