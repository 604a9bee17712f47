"""Group commit: store writes that arrive in the same turn of the event loop share one
transaction, so a hundred calls starting together cost one fsync instead of a hundred (the
event loop stands still during each, delaying every other call's setup and audio).

Each write still runs alone in a savepoint, so one that fails is undone without touching the
others, and no caller goes on before its write is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from konform.store.database import Store

__all__ = ["GroupCommit"]

logger = logging.getLogger(__name__)

T = TypeVar("T")


class GroupCommit:
    """Runs write functions in shared transactions; one per event-loop turn that has any."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._queue: list[tuple[Callable[[], Any], asyncio.Future[Any]]] = []
        self.batches = 0
        self.writes = 0

    async def run(self, write: Callable[[], T]) -> T:
        """Run ``write`` (which must not open a transaction itself); its result once committed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if not self._queue:
            loop.call_soon(self._flush)
        self._queue.append((write, future))
        return await future

    def _flush(self) -> None:
        queue, self._queue = self._queue, []
        outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]] = []
        try:
            with self.store.transaction() as conn:
                for write, future in queue:
                    conn.execute("SAVEPOINT konform_write")
                    try:
                        value = write()
                    except Exception as exc:
                        conn.execute("ROLLBACK TO konform_write")
                        outcomes.append((future, None, exc))
                    else:
                        outcomes.append((future, value, None))
                    conn.execute("RELEASE konform_write")
        except Exception as exc:  # the commit itself failed: nothing of the batch is stored
            logger.error("group commit of %d writes failed: %s", len(queue), exc)
            for _write, future in queue:
                if not future.done():
                    future.set_exception(exc)
            return
        self.batches += 1
        self.writes += len(queue)
        for future, value, error in outcomes:
            if future.done():  # its caller was cancelled; the write stands, like any other
                continue
            if error is not None:
                future.set_exception(error)
            else:
                future.set_result(value)
