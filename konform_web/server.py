"""Running the console: alone (``konform web``) or inside ``konform serve``'s event loop."""

from __future__ import annotations

import logging
from pathlib import Path

from aiohttp import web

from konform.config import Config
from konform_web.app import create_app

__all__ = ["WebServer"]

logger = logging.getLogger(__name__)


class WebServer:
    """The console listening on ``host:port`` until :meth:`stop`."""

    def __init__(
        self, config: Config, db_path: Path, host: str | None = None, port: int | None = None
    ) -> None:
        self.app = create_app(config, db_path)
        self.host = host or config.web.host
        self.port = config.web.port if port is None else port
        self._runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=2.0
        )

    async def start(self) -> None:
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        logger.warning("web console on http://%s:%d/", self.host, self.port)

    async def stop(self) -> None:
        await self._runner.cleanup()
