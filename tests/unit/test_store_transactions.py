"""Transactions inside a transaction are savepoints of it: store functions that each open one
commit together, or not at all, when a caller wraps them (``campaign add/set`` with console
settings writes the campaign and its settings in one transaction)."""

from __future__ import annotations

from pathlib import Path

import pytest

from konform.store import audit, campaign_console, campaigns
from konform.store.database import Store, open_store
from tests.conftest import CliRunner

CALLER = "+49305550001"


def _insert_then_fail(store: Store, value: int, error: Exception) -> None:
    with store.transaction() as conn:
        conn.execute("INSERT INTO t VALUES (?)", (value,))
        raise error


def test_inner_failure_rolls_back_only_the_inner_part(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.db") as store:
        store.conn.execute("CREATE TABLE t (v INTEGER)")
        with store.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
            with pytest.raises(ValueError, match="inner"):
                _insert_then_fail(store, 2, ValueError("inner"))
            conn.execute("INSERT INTO t VALUES (3)")
        assert [r[0] for r in store.conn.execute("SELECT v FROM t ORDER BY v")] == [1, 3]
        assert not store.conn.in_transaction


def _inner_committed_outer_fails(store: Store) -> None:
    with store.transaction():
        with store.transaction() as conn:
            conn.execute("INSERT INTO t VALUES (1)")
        raise RuntimeError("outer")


def test_outer_failure_rolls_back_the_committed_inner_part(tmp_path: Path) -> None:
    with open_store(tmp_path / "k.db") as store:
        store.conn.execute("CREATE TABLE t (v INTEGER)")
        with pytest.raises(RuntimeError, match="outer"):
            _inner_committed_outer_fails(store)
        assert store.conn.execute("SELECT count(*) FROM t").fetchone()[0] == 0
        assert not store.conn.in_transaction


def test_campaign_add_writes_nothing_when_its_console_settings_fail(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("callerid", "add", CALLER).code == 0

    def refuse(*_: object, **__: object) -> dict[str, tuple[object, object]]:
        raise ValueError("the console settings could not be written")

    monkeypatch.setattr(campaign_console, "change", refuse)
    result = cli(
        "campaign", "add", "spring", "--caller-id", CALLER, "--purpose", "sales", "--csat", "on"
    )
    assert result.code == 2
    assert "could not be written" in result.err
    with open_store(tmp_path / "konform.db") as store:
        assert campaigns.get(store, "spring") is None
        assert not [e for e in audit.entries(store) if e["event"] == "campaign_added"]
