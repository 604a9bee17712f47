"""``konform consent proof NUMBER``: the consent proof § 7a UWG requires, also after erasure."""

from __future__ import annotations

import argparse

from konform.cli.context import Context, UserError
from konform.store import proofs

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    c = commands.add_parser("consent", help="consent evidence (§ 7a UWG)")
    actions = c.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "proof",
        help="print the consent proof of a number (also after its erasure)",
        description="Per purpose: the consent events with their source, the calls made on the"
        " consent, and until when the proof is kept (§ 7a Abs. 2 Satz 1 UWG: five years after"
        " it was given and after each use). Exit 1 when there is no consent evidence.",
    )
    p.add_argument("number")
    p.add_argument("--json", action="store_true", help="print the proof as one JSON object")
    p.set_defaults(handler=consent_proof)


def consent_proof(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number)
    found = proofs.proof(ctx.store, number, ctx.config.retention.consent_proofs)
    if found is None:
        raise UserError("no consent evidence for this number", code=1)
    if args.json:
        ctx.out_json({"number": number, **found.as_dict()})
        return 0
    ctx.out(f"consent proof for {number} (kept under key {found.number_key[:16]}…)")
    if found.erased_at:
        ctx.out(f"  the number's other data was erased at {found.erased_at}; this proof stays")
    for purpose in found.purposes:
        until = purpose.keep_until.isoformat(timespec="seconds")
        ctx.out(f"purpose {purpose.purpose}: keep until {until} (§ 7a Abs. 2 Satz 1 UWG)")
        for e in purpose.events:
            ctx.out(
                f"  {e.kind:<9} {e.at}  source {e.source or '-'}  via {e.via or '-'}"
                f"  recorded {e.recorded_at}"
            )
        ctx.out(f"  calls made on it: {len(purpose.uses)}")
        for u in purpose.uses:
            ctx.out(f"    {u.started_at}  campaign {u.campaign}  outcome {u.outcome or 'open'}")
    return 0
