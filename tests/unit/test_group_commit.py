"""Group commit: writes of one event-loop turn share a transaction; each is committed before
its caller goes on, and a failing write is undone alone."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from ari_app.group_commit import GroupCommit
from konform.store.database import Store, open_store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "k.db")
    s.conn.execute("CREATE TABLE t (v INTEGER NOT NULL)")
    return s


def count(path: Path) -> int:
    """Rows another connection sees: only what is committed."""
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT COUNT(*) FROM t").fetchone()[0])


def test_writes_of_one_turn_share_one_transaction(store: Store, tmp_path: Path) -> None:
    commits = GroupCommit(store)
    seen: list[int] = []

    def insert(v: int) -> int:
        store.conn.execute("INSERT INTO t VALUES (?)", (v,))
        return v

    async def one(v: int) -> None:
        await commits.run(lambda: insert(v))
        seen.append(count(tmp_path / "k.db"))  # committed before the caller goes on

    async def main() -> None:
        await asyncio.gather(*(one(v) for v in range(50)))
        await one(50)

    asyncio.run(main())
    assert commits.batches == 2 and commits.writes == 51
    assert min(seen) == 50 and count(tmp_path / "k.db") == 51


def test_a_failing_write_is_undone_alone(store: Store, tmp_path: Path) -> None:
    commits = GroupCommit(store)

    def good() -> None:
        store.conn.execute("INSERT INTO t VALUES (1)")

    def bad() -> None:
        store.conn.execute("INSERT INTO t VALUES (2)")
        store.conn.execute("INSERT INTO t VALUES (NULL)")  # NOT NULL: fails

    async def main() -> list[object]:
        return await asyncio.gather(
            commits.run(good), commits.run(bad), commits.run(good), return_exceptions=True
        )

    results = asyncio.run(main())
    assert results[0] is None and results[2] is None
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert [r[0] for r in store.conn.execute("SELECT v FROM t")] == [1, 1]
