"""Opting out ("don't call me again"): the one implementation the dialer's IVR, the FastAGI
route and the CLI all use.

The number goes on the internal objection list, the objection and the erasure are audited and
the contact's personal data is erased, all in one committed transaction; only after the commit
does the caller get to play a confirmation, and only then are recording files removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from konform.numbers import masked
from konform.store import audit, donotcall, gdpr
from konform.store.database import Store
from konform.store.worker import StoreWorker

__all__ = ["OptOuts", "opt_out"]

logger = logging.getLogger(__name__)


def opt_out(store: Store, number: str, source: str, campaign: str | None = None) -> bool:
    """Put ``number`` (E.164) on the internal list and erase its data; True if newly listed."""
    with store.transaction():
        added = donotcall.add_keys(store, "internal", [store.keyer.number_key(number)])
        audit.record(
            store,
            "opt_out",
            campaign=campaign,
            number=number,
            source=source,
            newly_listed=bool(added),
        )
        files = gdpr.erase(store, number, why=f"opt-out via {source}")
    gdpr.delete_files(files)
    return added > 0


class OptOuts:
    """Objections taken by a running service (the dialer's IVR, FastAGI).

    :meth:`take` commits at once through the store's worker. If that fails (the database is
    locked past its timeout, the disk is full), the number is blocked in memory at once, the
    failure is logged loudly and the commit is retried until it lands: an objection is never
    lost and the number is never called meanwhile (Art. 21 (3) GDPR, § 7 UWG).
    """

    def __init__(self, worker: StoreWorker, retry_s: float = 1.0) -> None:
        self.worker = worker
        self.retry_s = retry_s
        self._waiting: dict[str, tuple[str, str | None]] = {}
        self._retry: asyncio.Task[None] | None = None

    async def take(self, number: str, source: str, campaign: str | None = None) -> bool:
        """Opt ``number`` out; True once committed, False if it is held in memory for now."""
        store = self.worker.store
        try:
            await self.worker.run(opt_out, store, number, source, campaign)
            return True
        except Exception as exc:
            store.unsaved_objections.add(number)
            self._waiting[number] = (source, campaign)
            logger.critical(
                "opt-out of %s NOT yet committed (%s); blocked in memory, retrying every %.0f s",
                masked(number),
                exc,
                self.retry_s,
            )
            if self._retry is None or self._retry.done():
                self._retry = asyncio.create_task(self._retry_loop())
            return False

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    async def _retry_loop(self) -> None:
        store = self.worker.store
        while self._waiting:
            await asyncio.sleep(self.retry_s)
            for number, (source, campaign) in list(self._waiting.items()):
                try:
                    await self.worker.run(opt_out, store, number, source, campaign)
                except Exception as exc:
                    logger.critical("opt-out of %s still not committed: %s", masked(number), exc)
                    continue
                del self._waiting[number]
                store.unsaved_objections.discard(number)
                logger.warning("opt-out of %s committed after a retry", masked(number))

    async def close(self) -> None:
        """Stop retrying (the numbers stay in memory only: said loudly)."""
        if self._waiting:
            logger.critical("%d opt-outs were never committed", len(self._waiting))
        if self._retry is not None:
            self._retry.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._retry
