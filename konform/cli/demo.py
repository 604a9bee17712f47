"""``konform demo``: the README's main job, a demo campaign on the real sandbox PBX.

Brings up the sandbox (PBX, simulated PSTN, agents' phones), creates a demo database, runs one
campaign over the far end's callees plus numbers the policy blocks, and prints a table (or one
JSON object with --json). The far-end columns come from the far end's own log.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path
from typing import Any

from konform.cli.context import Context, UserError
from konform_sandbox.root import SandboxError
from konform_sandbox.sandbox import Sandbox

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "demo",
        help="the main demo: a campaign on the real Asterisk sandbox against a simulated PSTN",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--dir", type=Path, help="folder for the demo database (default: a new temp)")
    p.set_defaults(handler=demo)


def demo(args: argparse.Namespace, ctx: Context) -> int:
    folder = (args.dir or Path(tempfile.mkdtemp(prefix="konform-demo-"))).resolve()
    if not args.json:
        ctx.warn("starting the sandbox (PBX, far end, phones) and calling; about a minute …")
    try:
        from konform_sandbox.demo import run_demo  # heavy (ARI client): only for this command

        result = run_demo(folder, Sandbox())
    except SandboxError as exc:
        raise UserError(f"demo: the Asterisk sandbox failed: {exc}") from None
    if args.json:
        ctx.out_json(result)
        return 0
    _table(ctx, result)
    return 0


def _table(ctx: Context, result: dict[str, Any]) -> None:
    campaign = result["campaign"]
    ctx.out(f"Demo database: {result['db']}")
    ctx.out(
        f"Campaign {campaign['name']}, caller ID {campaign['caller_id']}"
        f" (policy judged as of {result['policy_clock']})"
    )
    ctx.out("")
    head = (
        f"{'number':<14} {'outcome':<9} {'consent':<7} {'opt-out':<7} "
        f"{'far end: caller ID / presentation / privacy / voicemail':<56} why"
    )
    ctx.out(head)
    for call in result["calls"]:
        far = call["far_end"]
        seen = (
            (
                f"{far['caller_id']} / {far['presentation']} / {far['privacy'] or 'none'} /"
                f" {'left' if far['voicemail_left'] else 'none'}"
            )
            if far
            else "never reached"
        )
        ctx.out(
            f"{call['number']:<14} {call['outcome']:<9} "
            f"{'yes' if call['recording_consent'] else 'no':<7} "
            f"{'yes' if call['opted_out'] else 'no':<7} {seen:<56} "
            f"{', '.join(call['reasons'])}"
        )
        if call["recording"]:
            ctx.out(f"{'':<16}recording: {call['recording']}")
    ctx.out("")
    ctx.out(f"Audit log: konform --db {result['db']} audit")
