"""``konform retention run``: delete what the ``[retention]`` limits no longer allow keeping."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

from konform.cli.context import Context, UserError
from konform.cli.policy import parse_instant
from konform.store import gdpr, retention, summaries

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    r = commands.add_parser("retention", help="storage limitation (GDPR Art. 5 (1) e)")
    actions = r.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "run",
        help="delete recordings, attempt details, consent proofs and audit rows past their limit",
        description="Applies the [retention] limits (days) of the configuration; every kind of"
        " deletion is audited with its counts. 'konform serve' runs this daily.",
    )
    p.add_argument(
        "--at",
        help="judge as of this ISO 8601 instant in the past (default: now); never a future one",
    )
    p.add_argument("--json", action="store_true", help="print the counts as one JSON object")
    p.set_defaults(handler=retention_run)


def retention_run(args: argparse.Namespace, ctx: Context) -> int:
    now = datetime.now(UTC)
    at = parse_instant(args.at) if args.at else now
    if at > now:
        raise UserError(
            "--at must not be in the future: retention would delete data that must still be kept"
        )
    gdpr.finish_pending_deletions(ctx.store)
    report = retention.run(ctx.store, at, ctx.config.retention)
    # The closed days' summaries too, as serve's daily run makes them (what /metrics reads).
    figures = {**report.as_dict(), "attempts_summarised": summaries.summarise(ctx.store, now)}
    if args.json:
        ctx.out_json(figures)
        return 0
    ctx.out(f"retention as of {report.as_of}:")
    for name, value in figures.items():
        if name != "as_of":
            ctx.out(f"  {name.replace('_', ' ')}: {value}")
    return 0
