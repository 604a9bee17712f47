"""``konform sandbox build|start|stop|status|check``: the real Asterisk used by tests and demo."""

from __future__ import annotations

import argparse

from konform.cli.context import Context, UserError
from konform_sandbox.root import SandboxError
from konform_sandbox.sandbox import Sandbox

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sb = commands.add_parser(
        "sandbox",
        help="the real Asterisk 22 sandbox (Debian sid root, loopback only)",
        description="Builds a Debian sid root with Asterisk under ~/.cache/konform (reused when"
        " present; KONFORM_SANDBOX_DIR moves it), installs the configs from dialplan/ with"
        " generated credentials and runs Asterisk on 127.0.0.1. Needs root.",
    )
    actions = sb.add_subparsers(dest="action", required=True, metavar="ACTION")
    for name, handler, text in (
        ("build", sandbox_build, "build the root (or reuse it)"),
        ("start", sandbox_start, "install configs and start the PBX"),
        ("stop", sandbox_stop, "stop the PBX"),
        ("status", sandbox_status, "say whether the PBX runs and what ARI reports"),
        ("check", sandbox_check, "build, start, read /ari/asterisk/info, stop: the one-shot test"),
    ):
        p = actions.add_parser(name, help=text)
        p.set_defaults(handler=handler)


def _run(action: str, fn: object) -> None:
    try:
        fn()  # type: ignore[operator]
    except SandboxError as exc:
        raise UserError(f"sandbox {action}: {exc}") from None


def sandbox_build(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = Sandbox()
    _run("build", lambda: sandbox.root)
    ctx.out(f"Asterisk root ready in {sandbox.root}")
    return 0


def sandbox_start(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = Sandbox()
    _run("start", sandbox.start)
    ctx.out(
        f"PBX running; ARI at {sandbox.ari_url} (user {sandbox.settings.ari_user},"
        f" password in {sandbox.base / 'secrets.json'})"
    )
    return 0


def sandbox_stop(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = Sandbox()
    _run("stop", sandbox.stop)
    ctx.out("PBX stopped")
    return 0


def sandbox_status(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = Sandbox()
    if not sandbox.running():
        ctx.out("PBX not running")
        return 1
    info: dict[str, object] = {}
    _run("status", lambda: info.update(sandbox.ari_info()))
    system = info.get("system", {})
    version = system.get("version") if isinstance(system, dict) else None
    ctx.out(f"PBX running, Asterisk {version}, ARI at {sandbox.ari_url}")
    return 0


def sandbox_check(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = Sandbox()
    info: dict[str, object] = {}

    def check() -> None:
        sandbox.start()
        try:
            info.update(sandbox.ari_info())
        finally:
            sandbox.stop()

    _run("check", check)
    system = info.get("system", {})
    version = system.get("version") if isinstance(system, dict) else None
    ctx.out(f"sandbox ok: Asterisk {version} answered on {sandbox.ari_url}/ari/asterisk/info")
    return 0
