"""`import robinson|belmeniet --replace` cannot empty a list by mistake (finding 5)."""

from __future__ import annotations

from pathlib import Path

import pytest

from konform.importing import ImportRefused, run_import
from konform.store import audit, donotcall
from konform.store.database import Store
from tests.conftest import CliRunner

OLD = ["+4930123456", "+4989123456", "+4940123456"]


def _list(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _tables(store: Store) -> set[str]:
    rows = store.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in rows}


@pytest.fixture
def listed(store: Store, tmp_path: Path) -> Store:
    run_import(store, "robinson", _list(tmp_path, "old.txt", "".join(n + "\n" for n in OLD)))
    return store


@pytest.mark.parametrize(
    "text",
    ["", "number\n", "\n# nothing\n", "kaputt\n+4930111222\nfalsch\n", "112\n"],
    ids=["empty", "header-only", "comments", "more-rejected", "all-rejected"],
)
def test_replace_with_an_empty_or_bad_list_is_refused(
    listed: Store, tmp_path: Path, text: str
) -> None:
    """finding 5: an empty or mostly broken delivery does not empty the Robinson list."""
    with pytest.raises(ImportRefused, match="not replacing the robinson list"):
        run_import(listed, "robinson", _list(tmp_path, "new.txt", text), replace=True)
    assert donotcall.count(listed, "robinson") == 3
    assert all(donotcall.is_listed(listed, "robinson", n) for n in OLD)


def test_replace_refusal_on_the_command_line(cli: CliRunner, tmp_path: Path) -> None:
    """finding 5: one line, exit code 2, list unchanged; --force replaces anyway."""
    assert cli("import", "robinson", str(_list(tmp_path, "old.txt", OLD[0] + "\n"))).code == 0
    empty = _list(tmp_path, "empty.txt", "")
    refused = cli("import", "robinson", str(empty), "--replace")
    assert refused.code == 2
    assert refused.err.count("\n") == 1
    assert "--force replaces it anyway" in refused.err
    assert "(1 entries)" in refused.err
    forced = cli("import", "robinson", str(empty), "--replace", "--force")
    assert forced.code == 0
    assert "1 entries before, 0 now" in forced.out
    assert cli("import", "robinson", str(empty), "--force").code == 2  # only with --replace
    with pytest.raises(SystemExit):  # argparse: contacts have no --replace
        cli("import", "contacts", str(empty), "--replace")


def test_replace_swaps_atomically_and_is_audited(listed: Store, tmp_path: Path) -> None:
    """finding 5: the new list is staged in batches and swapped in; counts are audited."""
    new = _list(tmp_path, "new.txt", "+4930123456\n+4915123456789\nkaputt\n+4917612345678\n")
    result = run_import(listed, "robinson", new, replace=True, batch_rows=1)
    assert result.replaced == (3, 3)
    assert result.written == 3
    assert [e.line for e in result.errors] == [3]
    assert donotcall.is_listed(listed, "robinson", "+4915123456789")
    assert not donotcall.is_listed(listed, "robinson", "+4989123456")
    assert not {"dnc_robinson_staging", "dnc_robinson_old"} & _tables(listed)
    replaced = [e for e in audit.entries(listed) if e["event"] == "list_replaced"]
    assert len(replaced) == 1
    assert {k: replaced[0]["detail"][k] for k in ("list", "before", "after", "rejected")} == {
        "list": "robinson",
        "before": 3,
        "after": 3,
        "rejected": 1,
    }


def test_a_replacement_failing_half_way_leaves_the_old_list(
    listed: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 5: a crash while the new list is staged leaves the old list whole; the next
    replacement clears the half-loaded staging table."""
    real = donotcall.insert_sorted
    calls: list[int] = []

    def failing(store: Store, table: str, chunk: bytes) -> int:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(store, table, chunk)

    monkeypatch.setattr(donotcall, "insert_sorted", failing)
    new = _list(tmp_path, "new.txt", "+4915123456789\n+4917612345678\n+4930111222\n")
    with pytest.raises(OSError, match="disk full"):
        run_import(listed, "robinson", new, replace=True, batch_rows=1)
    assert all(donotcall.is_listed(listed, "robinson", n) for n in OLD)
    assert donotcall.count(listed, "robinson") == 3
    monkeypatch.setattr(donotcall, "insert_sorted", real)
    assert run_import(listed, "robinson", new, replace=True).replaced == (3, 3)
    assert donotcall.is_listed(listed, "robinson", "+4930111222")
    assert not donotcall.is_listed(listed, "robinson", OLD[0])
    assert "dnc_robinson_staging" not in _tables(listed)


def test_belmeniet_is_a_list_of_its_own(store: Store, tmp_path: Path) -> None:
    """The Dutch Bel-me-niet register lands in dnc_belmeniet, apart from Robinson."""
    dutch = "+31201234567"
    result = run_import(store, "belmeniet", _list(tmp_path, "b.txt", f"number\n{dutch}\n"))
    assert result.written == 1
    assert donotcall.is_listed(store, "belmeniet", dutch)
    assert not donotcall.is_listed(store, "robinson", dutch)
    assert "belmeniet" in donotcall.LISTS
    with pytest.raises(ImportRefused):
        run_import(store, "belmeniet", _list(tmp_path, "e.txt", ""), replace=True)
    assert donotcall.is_listed(store, "belmeniet", dutch)
    other = _list(tmp_path, "b2.txt", "+31612345678\n")
    assert run_import(store, "belmeniet", other, replace=True).replaced == (1, 1)
    assert not donotcall.is_listed(store, "belmeniet", dutch)


def test_belmeniet_on_the_command_line(cli: CliRunner, tmp_path: Path) -> None:
    path = _list(tmp_path, "b.txt", "+31201234567\n")
    result = cli("import", "belmeniet", str(path))
    assert result.code == 0
    assert "belmeniet: 1 rows accepted, 1 written, 0 rejected" in result.out
