"""Running the FastAGI service: the server, the routes and the store together.

One :class:`~konform.store.worker.StoreWorker` per service owns the store's connection: the
routes never touch SQLite on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from agi.routes import KonformRoutes
from agi.server import KonformAgi
from konform.config import Config
from konform.store.database import Store
from konform.store.worker import StoreWorker

__all__ = ["serve_forever", "start_agi"]

logger = logging.getLogger(__name__)


async def start_agi(
    store: Store,
    config: Config,
    host: str,
    port: int,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[asyncio.Server, KonformAgi]:
    """Listen on ``host:port``; ``await app.close()`` after closing the server."""
    app = KonformAgi()
    routes = KonformRoutes(
        store, config.language, config.policy.default_region, clock, worker=StoreWorker(store)
    )
    routes.install(app)
    try:
        server = await app.serve(host, port)
    except BaseException:
        await app.close()
        raise
    logger.info("FastAGI listening on %s:%d", host, port)
    return server, app


async def serve_forever(store: Store, config: Config, host: str, port: int) -> None:
    server, app = await start_agi(store, config, host, port)
    try:
        async with server:
            await server.serve_forever()
    finally:
        await app.close()
