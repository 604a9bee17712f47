"""Hostile import files: every bad line is a line error, no input reaches an internal error
(finding 12: oversized fields, broken quotes; finding 6: Unicode digits)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from konform.importing import IMPORT_KINDS, MAX_LINE, ImportFileError, ImportKind, run_import
from konform.store import donotcall
from konform.store.contacts import contact_of
from konform.store.database import Store
from tests.conftest import CliRunner

HEADER = "number,name,region,kind,customer_until\n"


def _bytes(tmp_path: Path, data: bytes, name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_a_field_over_the_csv_limit_is_a_line_error(store: Store, tmp_path: Path) -> None:
    """finding 12: a 200 KiB field fails its own line, not the import."""
    huge = "x" * 200_000
    text = HEADER + f"030 1234567,{huge},DE-BE,b2c,\n0151 23456789,Bernd,DE-BY,b2c,\n"
    result = run_import(store, "contacts", _bytes(tmp_path, text.encode()))
    assert [(e.line, e.reason) for e in result.errors] == [
        (2, f"line is longer than {MAX_LINE} characters")
    ]
    assert result.accepted == 1
    assert contact_of(store, "+4915123456789") is not None
    quoted = HEADER + f'030 1234567,"{huge[: MAX_LINE - 100]}",DE-BE,b2c,\n'
    assert run_import(store, "contacts", _bytes(tmp_path, quoted.encode())).accepted == 1


def test_an_unterminated_quote_spoils_only_its_own_line(store: Store, tmp_path: Path) -> None:
    """finding 12: the rows after a broken quote are imported, each with its own line number."""
    text = (
        HEADER + '030 1234567,"Anna,DE-BE,b2c,\n'
        "0151 23456789,Bernd,DE-BY,b2c,\n"
        '089 123456,"Carl"x,DE-BY,b2c,\n'
        "0171 2345678,Dora,DE-BY,b2c,\n"
    )
    result = run_import(store, "contacts", _bytes(tmp_path, text.encode()))
    assert [e.line for e in result.errors] == [2, 4]
    assert all("not a valid CSV line" in e.reason for e in result.errors)
    assert result.accepted == 2
    assert contact_of(store, "+4915123456789") is not None
    assert contact_of(store, "+491712345678") is not None


def test_unicode_digits_are_read_as_ascii(store: Store, tmp_path: Path) -> None:
    """finding 6: a full-width digit is normalised; garbage is a line error, never a crash."""
    text = HEADER + "+4930123450９,Anna,DE-BE,b2c,\n+49３０ｘｙｚ,Bernd,,b2c,\n٠٣٠١٢٣٤٥٦٧,C,,b2c,\n"
    result = run_import(store, "contacts", _bytes(tmp_path, text.encode()))
    assert result.accepted == 2
    assert [e.line for e in result.errors] == [3]
    assert contact_of(store, "+49301234509") is not None
    assert contact_of(store, "+49301234567") is not None
    stored = [n for (n,) in store.conn.execute("SELECT number FROM contacts")]
    assert all(n.isascii() for n in stored)
    listed = run_import(store, "robinson", _bytes(tmp_path, "+4930123450９\n".encode(), "r.txt"))
    assert listed.accepted == 1
    assert donotcall.is_listed(store, "robinson", "+49301234509")


def test_hostile_bytes(store: Store, tmp_path: Path) -> None:
    """finding 12: NUL bytes, encoded surrogates, a BOM, CRLF and lone CR line ends."""
    data = (
        b"\xef\xbb\xbfnumber,name,region,kind,customer_until\r\n"
        b"030 1234567,An\x00na,DE-BE,b2c,\r\n"
        b"0151 23456789,\xed\xa0\x80Bernd,DE-BY,b2c,\r\n"
        b"089 123456,Carl,DE-BY,b2c,\r"
        b"0171 2345678,Dora\x1b[31m,DE-BY,b2c,\n"
        b"0172 2345678,Emil,DE-BY,b2c,"  # no line end at all
    )
    result = run_import(store, "contacts", _bytes(tmp_path, data))
    assert [(e.line, e.reason.split(" U+")[-1]) for e in result.errors] == [
        (2, "0000"),
        (5, "001B"),
    ]
    assert result.accepted == 3
    bernd = store.conn.execute("SELECT name FROM contacts WHERE number = '+4915123456789'")
    assert bernd.fetchone()[0] == "\ufffd\ufffd\ufffdBernd"  # undecodable bytes replaced
    assert contact_of(store, "+4989123456") is not None
    assert contact_of(store, "+491722345678") is not None


def test_only_a_header_and_a_broken_header(store: Store, tmp_path: Path) -> None:
    result = run_import(store, "contacts", _bytes(tmp_path, HEADER.encode()))
    assert result.accepted == 0
    assert not result.errors
    with pytest.raises(ImportFileError, match="header"):
        run_import(store, "contacts", _bytes(tmp_path, b'"number,name\n'))
    with pytest.raises(ImportFileError, match="header"):
        run_import(store, "contacts", _bytes(tmp_path, b"n" * (MAX_LINE + 10)))
    with pytest.raises(ImportFileError, match="empty"):
        run_import(store, "contacts", _bytes(tmp_path, b"\xef\xbb\xbf"))


def test_out_of_range_instants_are_line_errors(store: Store, tmp_path: Path) -> None:
    text = (
        "number,purpose,given_at,confirmed_at,revoked_at,source\n"
        "030 1234567,sales,9999-12-31T23:59:59-23:59,,,web\n"
        "030 1234567,sales,0001-01-01T00:00:00+05:00,,,web\n"
    )
    result = run_import(store, "consents", _bytes(tmp_path, text.encode()))
    assert [e.line for e in result.errors] == [2, 3]


_PIECES = [
    "030 1234567", "+4930123450９", "0151 23456789", "112", "", ",", '"', '""', "\x00", "\r",
    "\n", "\r\n", "\ufeff", "\ud800", "DE-BE", "b2b", "active", "2026-01-01", "x" * 70_000,
    "sales", "2026-01-01T10:00:00Z", "\u2028", "٣", "ｘ", "#", "a" * 64, "\t", "\x85",
]  # fmt: skip


@pytest.mark.parametrize("kind", IMPORT_KINDS)
def test_random_hostile_files_never_crash(store: Store, tmp_path: Path, kind: ImportKind) -> None:
    """finding 12: whatever the bytes, an import ends in a result or one ImportFileError."""
    rng = random.Random(kind)
    header = {"contacts": HEADER, "consents": "number,purpose,given_at,confirmed_at,revoked_at,"
              "source\n"}.get(kind, "")  # fmt: skip
    for _ in range(30):
        body = "".join(rng.choice(_PIECES) for _ in range(rng.randrange(1, 60)))
        data = (header + body).encode("utf-8", errors="surrogatepass")
        try:
            result = run_import(store, kind, _bytes(tmp_path, data, f"{kind}.txt"))
        except ImportFileError:
            continue
        assert result.accepted >= 0


def test_long_lines_on_the_command_line(cli: CliRunner, tmp_path: Path) -> None:
    path = _bytes(tmp_path, (HEADER + "x" * 300_000 + "\n030 1234567,A,DE-BE,b2c,\n").encode())
    result = cli("import", "contacts", str(path))
    assert result.code == 1
    assert f"{path}:2: line is longer than" in result.err
    assert "1 rows accepted" in result.out
