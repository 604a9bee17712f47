"""``konform web``: the web console (wallboard, agent desk, supervisor controls, metrics).

Listens on ``[web] host``/``port`` (loopback, 8080 by default) until SIGINT/SIGTERM. Accounts
are made with ``konform user add``; there is no default account. ``konform serve`` runs the
same console in its own loop when ``[web] enabled = true``.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from dataclasses import replace

from konform.cli.context import Context, UserError
from konform.config import Config, ConfigError
from konform.config_checks import check_values
from konform.store import users

__all__ = ["register", "web_config"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser("web", help="the web console (wallboard, desk, metrics)",
                            description=__doc__)  # fmt: skip
    p.add_argument("--host", help="address to listen on (default [web] host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default [web] port, 8080)")
    p.set_defaults(handler=web_command)


def web_config(config: Config, host: str | None, port: int | None) -> Config:
    """The configuration with --host/--port applied and checked like the file's values."""
    web = config.web
    changed = replace(
        config,
        web=replace(web, host=web.host if host is None else host,
                    port=web.port if port is None else port),
    )  # fmt: skip
    try:
        check_values(changed)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    return changed


def web_command(args: argparse.Namespace, ctx: Context) -> int:
    config = web_config(ctx.config, args.host, args.port)
    if not ctx.has_database():
        raise UserError(f"no database at {ctx.db_path} (start with 'konform user add')")
    if not users.list_all(ctx.store):  # opens (and migrates) the database with clear errors
        ctx.warn("no accounts yet: nobody can log in; add one with 'konform user add'")
    asyncio.run(_run(config, ctx))
    return 0


async def _run(config: Config, ctx: Context) -> None:
    from konform_web.server import WebServer  # aiohttp: only for this command

    server = WebServer(config, ctx.db_path)
    try:
        await server.start()
    except OSError as exc:
        await server.stop()
        web = config.web
        raise UserError(f"cannot listen on {web.host}:{web.port}: {exc.strerror}") from None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()
