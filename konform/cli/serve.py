"""``konform serve``: run campaigns on the configured Asterisk (the production entry point).

Connects to ARI with the configured credentials (refusing empty or default passwords), then
calls each campaign's pending numbers through the gate, with the per-trunk concurrency limit;
numbers blocked only for the time of day stay pending and are tried on later rounds.

One serve per database and per PBX: both locks are taken before anything touches the store's
calls or the PBX; a second serve refuses, naming the process that holds them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections import Counter
from typing import TYPE_CHECKING

from konform.cli.context import Context, UserError
from konform.config import require_secret
from konform.service_lock import LockHeld, ServiceLock, pbx_lock_path, serve_lock_path
from konform.store import campaigns, retention

if TYPE_CHECKING:
    from ari_app.dialer import Dialer

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "serve", help="run campaigns on the configured Asterisk (ARI)", description=__doc__
    )
    p.add_argument(
        "--campaign", action="append", required=True, help="campaign to run (repeatable)"
    )
    p.add_argument("--once", action="store_true", help="one round over the pending numbers")
    p.add_argument(
        "--interval", type=float, default=60.0, help="seconds between rounds (default 60)"
    )
    p.set_defaults(handler=serve)


def serve(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    require_secret("[ari] password (KONFORM_ARI_PASSWORD)", config.ari.password)
    if not config.dialer.agent_list:
        raise UserError("[dialer] agents is empty: list the agents' PJSIP endpoints")
    for name in args.campaign:
        if campaigns.get(ctx.store, name) is None:
            raise UserError(f"no campaign named {name!r}")
    db_lock = ServiceLock(serve_lock_path(ctx.db_path.resolve()), f"database {ctx.db_path}")
    pbx_lock = ServiceLock(
        pbx_lock_path(config.ari.url, config.ari.app),
        f"PBX {config.ari.url} (ARI app {config.ari.app})",
    )
    try:
        with db_lock, pbx_lock:
            asyncio.run(_serve(args, ctx))
    except LockHeld as exc:
        raise UserError(str(exc)) from None
    except TimeoutError:
        raise UserError(f"ARI at {config.ari.url} did not accept the event connection") from None
    return 0


async def _serve(args: argparse.Namespace, ctx: Context) -> None:
    from ari_app.ari import AriClient  # heavy (aiohttp): only for this command
    from ari_app.dialer import Dialer

    config = ctx.config
    async with (
        AriClient(config.ari.url, config.ari.username, config.ari.password, config.ari.app) as ari,
        Dialer(ari, ctx.store, config) as dialer,
    ):
        # Retention (GDPR Art. 5 (1) e) runs at start and daily while serve runs.
        daily = (
            None
            if args.once
            else asyncio.create_task(retention.run_daily(dialer.worker, config.retention))
        )
        try:
            await _rounds(args, ctx, dialer)
        finally:
            if daily is not None:
                daily.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await daily


async def _rounds(args: argparse.Namespace, ctx: Context, dialer: Dialer) -> None:
    while True:
        for name in args.campaign:
            results = await dialer.run_campaign(name)
            counts = Counter(r.outcome for r in results)
            ctx.out(
                f"{name}: {len(results)} numbers, "
                + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
            )
        if args.once:
            return
        await asyncio.sleep(args.interval)
