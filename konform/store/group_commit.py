"""Group commit: store writes that arrive in the same turn of the event loop share one
transaction, so calls starting together cost one fsync, not one each.

The transaction runs on the store's worker thread (:class:`~konform.store.worker.StoreWorker`),
never on the event loop: a write that waits on SQLite's lock (a bulk import in another process)
delays only the calls whose writes wait, not every call's audio and setup. Batches run one after
another on that one thread, in the order they were formed, so admits of the same number in one
round are judged one after the other: the second sees the first's attempt in progress.

Each write still runs alone in a savepoint, so one that fails is undone without touching the
others, and no caller goes on before its write is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from konform.store.worker import StoreWorker

__all__ = ["GroupCommit"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_Outcome = tuple[Any, BaseException | None]


class GroupCommit:
    """Runs write functions in shared transactions on the worker; one per event-loop turn."""

    def __init__(self, worker: StoreWorker) -> None:
        self.worker = worker
        self.store = worker.store
        self._queue: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self._flushes: set[asyncio.Task[None]] = set()
        self.batches = 0
        self.writes = 0

    async def run(self, write: Callable[[], T]) -> T:
        """Run ``write`` (which must not open a transaction itself, and runs on the worker
        thread: it may use the store, never the event loop); its result once committed."""
        return await self.submit(write)

    def submit(self, write: Callable[[], T]) -> asyncio.Future[T]:
        """Queue ``write`` at once, in order with every other write; a future of its result
        once committed, for a write the caller need not wait for."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self._queue:
            loop.call_soon(self._flush)
        self._queue.append((write, future))
        return future

    def _flush(self) -> None:
        queue, self._queue = self._queue, []
        # Handed to the worker now, in this turn: batches reach its one thread in order.
        job = self.worker.submit(self._batch, [w for w, _ in queue])
        task = asyncio.ensure_future(self._settle(job, queue))
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    def _batch(self, writes: list[Callable[[], Any]]) -> list[_Outcome]:
        """On the worker thread: every write in its savepoint, one commit for all."""
        outcomes: list[_Outcome] = []
        with self.store.transaction() as conn:
            for write in writes:
                conn.execute("SAVEPOINT konform_write")
                try:
                    value = write()
                except Exception as exc:
                    conn.execute("ROLLBACK TO konform_write")
                    outcomes.append((None, exc))
                else:
                    outcomes.append((value, None))
                conn.execute("RELEASE konform_write")
        return outcomes

    async def _settle(
        self,
        job: asyncio.Future[list[_Outcome]],
        queue: list[tuple[Callable[[], Any], asyncio.Future[Any]]],
    ) -> None:
        try:
            outcomes = await job
        except Exception as exc:  # the commit itself failed: nothing of the batch is stored
            logger.error("group commit of %d writes failed: %s", len(queue), exc)
            for _write, future in queue:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.writes += len(queue)
        for (_write, future), (value, error) in zip(queue, outcomes, strict=True):
            if future.done():  # its caller was cancelled; the write stands, like any other
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
