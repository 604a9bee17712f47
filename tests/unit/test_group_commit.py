"""Group commit: writes of one event-loop turn share a transaction on the store's worker thread;
each is committed before its caller goes on, and a failing write is undone alone."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from konform.store.database import Store, open_store
from konform.store.group_commit import GroupCommit
from konform.store.worker import StoreWorker


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
    commits = GroupCommit(StoreWorker(store))
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
    assert commits.batches == 2
    assert commits.writes == 51
    assert min(seen) == 50
    assert count(tmp_path / "k.db") == 51


def test_a_failing_write_is_undone_alone(store: Store, tmp_path: Path) -> None:
    commits = GroupCommit(StoreWorker(store))

    def good() -> None:
        store.conn.execute("INSERT INTO t VALUES (1)")

    def bad() -> None:
        store.conn.execute("INSERT INTO t VALUES (2)")
        store.conn.execute("INSERT INTO t VALUES (NULL)")  # NOT NULL: fails

    async def main() -> list[object]:
        return list(
            await asyncio.gather(
                commits.run(good), commits.run(bad), commits.run(good), return_exceptions=True
            )
        )

    results = asyncio.run(main())
    assert results[0] is None
    assert results[2] is None
    assert isinstance(results[1], sqlite3.IntegrityError)
    assert [r[0] for r in store.conn.execute("SELECT v FROM t")] == [1, 1]


def test_the_transaction_runs_on_the_worker_thread_not_the_event_loop(
    store: Store, tmp_path: Path
) -> None:
    """finding 2: store work of the dialer ran on the event loop (every live call froze while a
    write waited on SQLite's lock); now the batch runs on the worker's thread while the loop
    keeps turning."""
    commits = GroupCommit(StoreWorker(store))
    threads: list[str] = []
    release = threading.Event()
    ticks = 0

    def slow() -> None:
        threads.append(threading.current_thread().name)
        release.wait(timeout=10)  # a write waiting on a lock
        store.conn.execute("INSERT INTO t VALUES (1)")

    async def ticker() -> None:
        nonlocal ticks
        while not release.is_set():
            ticks += 1
            if ticks == 20:
                release.set()  # the loop turned 20 times while the write waited
            await asyncio.sleep(0)

    async def main() -> None:
        await asyncio.gather(commits.run(slow), ticker())

    asyncio.run(main())
    assert threads
    assert threads[0].startswith("konform-store")
    assert threads[0] != threading.main_thread().name
    assert ticks >= 20
    assert count(tmp_path / "k.db") == 1


def test_batches_commit_in_the_order_they_were_formed(store: Store) -> None:
    commits = GroupCommit(StoreWorker(store))

    def insert(v: int) -> Callable[[], None]:
        def write() -> None:
            store.conn.execute("INSERT INTO t VALUES (?)", (v,))

        return write

    async def main() -> None:
        tasks = [asyncio.ensure_future(commits.run(insert(v))) for v in range(3)]
        await asyncio.sleep(0)  # the first batch is formed
        second = [asyncio.ensure_future(commits.run(insert(v))) for v in range(3, 6)]
        await asyncio.gather(*tasks, *second)

    asyncio.run(main())
    assert [r[0] for r in store.conn.execute("SELECT v FROM t ORDER BY rowid")] == list(range(6))
    assert commits.batches == 2
