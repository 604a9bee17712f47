"""``konform policy check``: ask the gate whether a campaign may call a number now (or then)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from konform import gate
from konform.cli.context import Context, UserError
from konform.store import campaigns

__all__ = ["parse_instant", "register"]

BERLIN = ZoneInfo("Europe/Berlin")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pol = commands.add_parser("policy", help="policy decisions")
    actions = pol.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "check",
        help="may CAMPAIGN call NUMBER at the given instant? (audited)",
        description="Prints the decision with every reason that applies and writes it to the"
        " audit log. Exit code 0 whenever a decision was made, allowed or not.",
    )
    p.add_argument("--campaign", required=True)
    p.add_argument("--number", required=True)
    p.add_argument("--at", help="ISO 8601 instant (default: now; no offset = Europe/Berlin)")
    p.add_argument("--json", action="store_true", help='print {"allowed": …, "reasons": […]}')
    p.set_defaults(handler=policy_check)


def parse_instant(text: str | None, option: str = "--at") -> datetime:
    """An instant given as ``option`` (None: now; no offset: Europe/Berlin), or a UserError."""
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UserError(f"{option} {text!r} is not an ISO 8601 instant") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=BERLIN)


def policy_check(args: argparse.Namespace, ctx: Context) -> int:
    at = parse_instant(args.at)
    campaign = campaigns.get(ctx.store, args.campaign)
    if campaign is None:
        raise UserError(f"no campaign named {args.campaign!r}")
    verdict = gate.check(
        ctx.store,
        campaign,
        args.number,
        at,
        ctx.config.language,
        source="cli",
        region=ctx.config.policy.default_region,
    )
    decision = verdict.decision
    if args.json:
        ctx.out_json(decision.to_dict())
        return 0
    shown = verdict.number or args.number
    ctx.out(f"{shown}: {'allowed' if decision.allowed else 'blocked'}")
    for r in decision.reasons:
        ctx.out(f"  {r.code}: {r.message}")
    return 0
