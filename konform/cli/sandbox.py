"""``konform sandbox build|start|stop|status|check|env``: the real Asterisk of tests and demo."""

from __future__ import annotations

import argparse

from konform.cli.context import Context, UserError
from konform_sandbox.env import env_lines, read_secrets, sandbox_config
from konform_sandbox.root import SandboxError
from konform_sandbox.sandbox import AGENT_ENDPOINTS, Sandbox

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
    p = actions.add_parser(
        "env",
        help="print the export lines that point konform at the running sandbox",
        description="Prints 'export KONFORM_<SECTION>_<KEY>=...' lines (ARI, FastAGI, trunk,"
        ' agents, recording folders) for the running sandbox: eval "$(konform sandbox env)".',
    )
    p.add_argument(
        "--agents",
        metavar="N|LIST",
        help=f"the agents konform may use: the first N, or a list of {','.join(AGENT_ENDPOINTS)}"
        " (default: the sandbox's agents)",
    )
    p.set_defaults(handler=sandbox_env)


def _run(action: str, fn: object) -> None:
    try:
        fn()  # type: ignore[operator]
    except SandboxError as exc:
        raise UserError(f"sandbox {action}: {exc}") from None


def _sandbox() -> Sandbox:
    try:
        return Sandbox()
    except SandboxError as exc:  # a bad KONFORM_SANDBOX_* setting
        raise UserError(f"sandbox: {exc}") from None


def sandbox_build(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = _sandbox()
    _run("build", lambda: sandbox.root)
    ctx.out(f"Asterisk root ready in {sandbox.root}")
    return 0


def sandbox_start(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = _sandbox()
    _run("start", sandbox.start)
    ctx.out(
        f"PBX running; ARI at {sandbox.ari_url} (user {sandbox.settings.ari_user},"
        f" password in {sandbox.base / 'secrets.json'})"
    )
    return 0


def sandbox_stop(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = _sandbox()
    _run("stop", sandbox.stop)
    ctx.out("PBX stopped")
    return 0


def sandbox_status(args: argparse.Namespace, ctx: Context) -> int:
    sandbox = _sandbox()
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
    sandbox = _sandbox()
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


def _agents(raw: str | None) -> list[str] | None:
    if raw is None:
        return None
    if raw.strip().isdigit():
        count = int(raw)
        if not 1 <= count <= len(AGENT_ENDPOINTS):
            raise UserError(f"sandbox env: --agents must be 1 to {len(AGENT_ENDPOINTS)}")
        return list(AGENT_ENDPOINTS[:count])
    chosen = [a.strip() for a in raw.split(",") if a.strip()]
    unknown = [a for a in chosen if a not in AGENT_ENDPOINTS]
    if unknown or not chosen or len(set(chosen)) != len(chosen):
        raise UserError(
            f"sandbox env: --agents must be a number or distinct names of"
            f" {','.join(AGENT_ENDPOINTS)}, not {raw!r}"
        )
    return chosen


def sandbox_env(args: argparse.Namespace, ctx: Context) -> int:
    agents = _agents(args.agents)
    sandbox = _sandbox()
    if not (sandbox.base / "root").exists():
        raise UserError(f"sandbox env: no sandbox in {sandbox.base} (konform sandbox build, start)")
    if not sandbox.running():
        raise UserError("sandbox env: the sandbox is not running (konform sandbox start)")
    stored = read_secrets(sandbox.base)
    if stored is None:
        raise UserError(
            f"sandbox env: cannot read {sandbox.base / 'secrets.json'}"
            " (run as the user who started the sandbox)"
        )
    values = sandbox_config(sandbox.settings, sandbox.base, stored["ari_password"], agents)
    try:
        lines = env_lines(values)
    except SandboxError as exc:
        raise UserError(f"sandbox env: {exc}") from None
    ctx.out(f'# konform on the sandbox PBX at {sandbox.ari_url}: eval "$(konform sandbox env)"')
    for line in lines:
        ctx.out(line)
    return 0
