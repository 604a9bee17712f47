"""``konform agi serve``: the FastAGI service for plain dialplan (precheck, outcome, optout,
callback)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from konform.cli.context import Context, UserError

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    agi = commands.add_parser("agi", help="the FastAGI service")
    actions = agi.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "serve",
        help="serve the FastAGI routes precheck, outcome, optout and callback",
        description="Asterisk reaches the routes as AGI(agi://HOST:PORT/precheck,<campaign>),"
        " AGI(agi://HOST:PORT/outcome,<attempt>,${DIALSTATUS}) (the hangup handler of an"
        " agent's call), AGI(agi://HOST:PORT/optout[,<number>]) and"
        " AGI(agi://HOST:PORT/callback). See dialplan/pbx/extensions.conf.",
    )
    p.add_argument("--host", help="address to listen on (default [agi] host, 127.0.0.1)")
    p.add_argument("--port", type=int, help="port (default [agi] port, 4573)")
    p.set_defaults(handler=agi_serve)


def agi_serve(args: argparse.Namespace, ctx: Context) -> int:
    host = args.host or ctx.config.agi.host
    port = args.port or ctx.config.agi.port
    try:
        with contextlib.suppress(KeyboardInterrupt):
            from agi.service import serve_forever  # heavy: only for this command

            asyncio.run(serve_forever(ctx.store, ctx.config, host, port))
    except OSError as exc:
        raise UserError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return 0
