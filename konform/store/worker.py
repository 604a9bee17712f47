"""Store work off the event loop: one thread owns the SQLite connection of a service.

The dialer and the FastAGI service are asyncio programs; a write that waits on SQLite's lock
(a bulk import in another process) must not freeze every live call. Everything they ask of the
store runs here, one job at a time, in the order asked.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from konform.store.database import Store

__all__ = ["StoreWorker"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


class StoreWorker:
    """Runs functions of the store on one thread of its own."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="konform-store")

    async def run(self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """``fn(*args, **kwargs)`` on the store's thread; its result or exception."""
        return await self.submit(fn, *args, **kwargs)

    def submit(
        self, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
    ) -> asyncio.Future[_T]:
        """Queue ``fn`` on the store's thread at once (jobs run in the order submitted); a
        future of its result, for work the caller need not wait for but must keep in order."""
        loop = asyncio.get_running_loop()
        return loop.run_in_executor(self._executor, functools.partial(fn, *args, **kwargs))

    def close(self) -> None:
        self._executor.shutdown(wait=True)
