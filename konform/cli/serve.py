"""``konform serve``: run campaigns on the configured Asterisk (the production entry point).

Connects to ARI with the configured credentials (refusing empty or default passwords), then
paces calls to the agents with the campaign engine (:mod:`ari_app.engine`): every due contact of
the campaigns, through the gate, as the campaigns' pacing allows; all day, until SIGTERM/SIGINT
(live calls finish first), or with ``--until-done`` until nothing is due or in flight. A status
line goes to stderr every 10 s (with ``--log-format json`` a JSON line of the logger
``konform.status``). With ``[web] enabled = true`` the web console runs in the same loop
(``konform web`` runs it alone): it listens before anything touches the PBX or the calls (a port
in use stops serve there) and stops after the engine has drained its calls.

One serve per database and per PBX: both locks are taken before anything touches the store's
calls or the PBX; a second serve refuses, naming the process that holds them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
import time
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from konform.cli.context import Context, UserError
from konform.config import Config, require_secret
from konform.service_lock import LockHeld, ServiceLock, pbx_lock_path, serve_lock_path
from konform.store import campaigns, retention, users

if TYPE_CHECKING:
    from ari_app.dialer import Dialer
    from konform_web.server import WebServer

__all__ = ["register"]

logger = logging.getLogger(__name__)


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "serve", help="run campaigns on the configured Asterisk (ARI)", description=__doc__
    )
    p.add_argument(
        "--campaign", action="append", required=True, help="campaign to run (repeatable)"
    )
    p.add_argument(
        "--until-done",
        action="store_true",
        help="exit once nothing is due or in flight for these campaigns",
    )
    p.add_argument(
        "--once",
        action="store_true",
        help="one pass: call what is due now (paced), wait for those calls, exit",
    )
    p.add_argument(
        "--simulated-now",
        metavar="ISO",
        help="start the policy's and scheduler's clock at this instant (sandbox only)",
    )
    p.add_argument(
        "--interval",
        type=float,
        default=60.0,
        help="seconds between reloads of the campaigns' contacts (default 60)",
    )
    p.set_defaults(handler=serve)


def serve(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    require_secret("[ari] password (KONFORM_ARI_PASSWORD)", config.ari.password)
    if not config.dialer.agent_list:
        raise UserError("[dialer] agents is empty: list the agents' PJSIP endpoints")
    if args.interval <= 0:
        raise UserError("--interval must be positive")
    start = _simulated_start(args.simulated_now, config)
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
            asyncio.run(_serve(args, ctx, start))
    except LockHeld as exc:
        raise UserError(str(exc)) from None
    except TimeoutError:
        raise UserError(f"ARI at {config.ari.url} did not accept the event connection") from None
    return 0


def _simulated_start(text: str | None, config: Config) -> datetime | None:
    """The instant ``--simulated-now`` names; refused unless ARI is the sandbox's PBX (a
    simulated clock lets the policy judge calls at another time than they happen)."""
    if text is None:
        return None
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise UserError(f"--simulated-now: not an ISO 8601 instant: {text!r}") from None
    if start.tzinfo is None:
        raise UserError("--simulated-now needs a UTC offset, e.g. 2026-11-24T10:00:00+01:00")
    if not _is_sandbox(config):
        raise UserError(
            "--simulated-now is for the sandbox only: the configured ARI is not the running"
            " sandbox's PBX (see 'konform sandbox env')"
        )
    return start


def _is_sandbox(config: Config) -> bool:
    """The configured ARI is the running sandbox's PBX (its address, user and generated
    password: konform_sandbox.env)."""
    from konform_sandbox.env import is_sandbox_ari  # only for this check

    return is_sandbox_ari(config.ari.url, config.ari.username, config.ari.password)


async def _serve(args: argparse.Namespace, ctx: Context, start: datetime | None) -> None:
    console = await _start_console(ctx)
    try:
        await _dial(args, ctx, start)
    finally:
        if console is not None:
            await console.stop()


async def _dial(args: argparse.Namespace, ctx: Context, start: datetime | None) -> None:
    from ari_app.ari import AriClient  # heavy (aiohttp): only for this command
    from ari_app.dialer import Dialer

    config = ctx.config
    began = time.monotonic()
    simulated = start
    async with (
        AriClient(config.ari.url, config.ari.username, config.ari.password, config.ari.app) as ari,
        (
            Dialer(ari, ctx.store, config)
            if simulated is None
            else Dialer(
                ari,
                ctx.store,
                config,
                clock=lambda: simulated + timedelta(seconds=time.monotonic() - began),
            )
        ) as dialer,
    ):
        # Retention (GDPR Art. 5 (1) e) runs at start and daily while serve runs.
        daily = (
            None
            if args.once
            else asyncio.create_task(retention.run_daily(dialer.worker, config.retention))
        )
        try:
            await _run_engine(args, ctx, dialer)
        finally:
            if daily is not None:
                daily.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await daily


async def _start_console(ctx: Context) -> WebServer | None:
    """The web console in serve's loop when ``[web] enabled`` (its own store connection)."""
    if not ctx.config.web.enabled:
        return None
    from konform_web.server import WebServer

    console = WebServer(ctx.config, ctx.db_path)
    try:
        await console.start()
    except OSError as exc:
        await console.stop()  # its store connection and worker thread
        web = ctx.config.web
        raise UserError(f"[web] cannot listen on {web.host}:{web.port}: {exc.strerror}") from None
    if not users.list_all(ctx.store):
        logger.warning("web console: no accounts yet: nobody can log in ('konform user add')")
    return console


async def _run_engine(args: argparse.Namespace, ctx: Context, dialer: Dialer) -> None:
    from ari_app.engine import Engine, EngineOptions

    options = EngineOptions(
        until_done=args.until_done or args.once, once=args.once, reload_every=args.interval
    )
    json_lines = getattr(args, "log_format", "text") == "json"
    if json_lines:
        _STATUS.setLevel(logging.INFO)  # shown at every --log-level, as the text line is
    engine = Engine(
        dialer, args.campaign, options, status=_status_log if json_lines else _status_line
    )
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, engine.stop)
    try:
        summary = await engine.run()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    for name in args.campaign:
        done = summary[name]
        calls = sum(done.outcomes.values())
        counts = ", ".join(f"{k} {v}" for k, v in sorted(done.outcomes.items()))
        counts = f", {counts}" if counts else ""
        ctx.out(f"{name}: {calls} calls{counts}; abandoned {done.abandoned}")


def _status_line(line: str) -> None:
    sys.stderr.write(f"{datetime.now(UTC):%H:%M:%S} {line}\n")
    sys.stderr.flush()


_STATUS = logging.getLogger("konform.status")


def _status_log(line: str) -> None:
    """The status line as a log record: one JSON line like the others (redacted as they are)."""
    _STATUS.info("%s", line)
