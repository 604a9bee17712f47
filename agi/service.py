"""Running the FastAGI service: the server, the routes and the store together."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from agi.routes import KonformRoutes
from agi.server import KonformAgi
from konform.config import Config
from konform.store.database import Store

__all__ = ["serve_forever", "start_agi"]

logger = logging.getLogger(__name__)


async def start_agi(
    store: Store,
    config: Config,
    host: str,
    port: int,
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> tuple[asyncio.Server, KonformAgi]:
    app = KonformAgi()
    KonformRoutes(store, config.language, config.policy.default_region, clock).install(app)
    server = await app.serve(host, port)
    logger.info("FastAGI listening on %s:%d", host, port)
    return server, app


async def serve_forever(store: Store, config: Config, host: str, port: int) -> None:
    server, _ = await start_agi(store, config, host, port)
    async with server:
        await server.serve_forever()
