"""``konform callerid …`` and ``konform campaign …``: owned numbers and campaigns."""

from __future__ import annotations

import argparse
import sqlite3
from datetime import timedelta

from konform.calling_time import LEGAL_WINDOW, parse_window
from konform.cli.context import Context, UserError
from konform.jurisdictions import DEFAULT, PROFILES, profile
from konform.policy import DEFAULT_RETRY_AFTER, Campaign
from konform.store import callerids, campaigns
from konform.store.attempts import OUTCOMES

__all__ = ["register"]

ANONYMOUS = frozenset({"", "anonymous", "unknown", "restricted", "private", "withheld", "0"})


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cid = commands.add_parser("callerid", help="the caller IDs this installation owns")
    cid_cmd = cid.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = cid_cmd.add_parser("add", help="own a number (it may then be shown as caller ID)")
    p.add_argument("number")
    p.add_argument("--label", help="a note, such as the company name shown for it")
    p.set_defaults(handler=callerid_add, creates_db=True)
    p = cid_cmd.add_parser("remove", help="stop owning a number")
    p.add_argument("number")
    p.set_defaults(handler=callerid_remove)
    p = cid_cmd.add_parser("list", help="list owned numbers")
    p.set_defaults(handler=callerid_list)

    camp = commands.add_parser("campaign", help="calling campaigns")
    camp_cmd = camp.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = camp_cmd.add_parser("add", help="create a campaign")
    p.add_argument("name")
    p.add_argument("--caller-id", required=True, help="an owned number, shown to the callee")
    p.add_argument("--purpose", required=True, help="what consents must have been given for")
    p.add_argument(
        "--jurisdiction",
        default=DEFAULT,
        metavar="|".join(PROFILES),
        help=f"the law the campaign is judged by (default {DEFAULT}; see docs/law.md)",
    )
    p.add_argument(
        "--window",
        default=None,
        help="calling window in callee's local time, within the jurisdiction's hours"
        f" (default: all of them; for de '{LEGAL_WINDOW}')",
    )
    p.add_argument("--max-attempts", type=int, default=3, help="calls per number (default 3)")
    p.add_argument(
        "--retry",
        default="",
        help="spacing after each outcome, e.g. 'busy=15m,no_answer=2h,machine=1d' (defaults: "
        + ", ".join(f"{k}={_span(v)}" for k, v in DEFAULT_RETRY_AFTER.items() if v)
        + ")",
    )
    p.set_defaults(handler=campaign_add)
    p = camp_cmd.add_parser("list", help="list campaigns")
    p.set_defaults(handler=campaign_list)


def callerid_add(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number, "caller ID")
    added = callerids.add(ctx.store, number, args.label)
    ctx.out(f"{number} {'added' if added else 'was already owned'}")
    return 0


def callerid_remove(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number, "caller ID")
    if not callerids.remove(ctx.store, number):
        raise UserError(f"{number} is not an owned caller ID")
    ctx.out(f"{number} removed")
    return 0


def callerid_list(args: argparse.Namespace, ctx: Context) -> int:
    for number, label, added in callerids.list_all(ctx.store):
        ctx.out(f"{number}\t{label or ''}\t{added}")
    return 0


def campaign_add(args: argparse.Namespace, ctx: Context) -> int:
    if args.caller_id.strip().lower() in ANONYMOUS:
        raise UserError(f"caller ID {args.caller_id!r} is anonymous: calls must show a number")
    number = ctx.number(args.caller_id, "caller ID")
    if not callerids.is_owned(ctx.store, number):
        raise UserError(
            f"caller ID {number} is not owned: add it first with 'konform callerid add {number}'"
        )
    try:
        law = profile(args.jurisdiction)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    legal = law.envelope
    try:
        window = legal if args.window is None else parse_window(args.window)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not window.within(legal):
        raise UserError(
            f"calling window {window} is wider than the legal {legal} of jurisdiction {law.code}"
        )
    if args.max_attempts < 1:
        raise UserError("--max-attempts must be at least 1")
    if not args.purpose.strip():
        raise UserError("--purpose must not be empty")
    retry_after = dict(DEFAULT_RETRY_AFTER)
    retry_after.update(parse_retry(args.retry))
    campaign = Campaign(
        args.name,
        number,
        args.purpose.strip(),
        window,
        max_attempts=args.max_attempts,
        retry_after=retry_after,
        jurisdiction=law.code,
    )
    try:
        campaigns.add(ctx.store, campaign)
    except sqlite3.IntegrityError:
        raise UserError(f"a campaign named {args.name!r} exists already") from None
    ctx.out(
        f"campaign {args.name} added: caller ID {number}, purpose {campaign.purpose},"
        f" window {window}, {args.max_attempts} attempts, jurisdiction {law.code}"
    )
    return 0


_UNITS = {"m": 1, "h": 60, "d": 1440}


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    for unit, size in (("d", 1440), ("h", 60)):
        if minutes % size == 0:
            return f"{minutes // size}{unit}"
    return f"{minutes}m"


def parse_retry(text: str) -> dict[str, timedelta]:
    """``busy=15m,no_answer=2h`` → spacing per outcome; UserError on anything else."""
    spacing: dict[str, timedelta] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        outcome, _, value = part.partition("=")
        outcome = outcome.strip()
        value = value.strip().lower()
        if outcome not in OUTCOMES or outcome == "blocked":
            raise UserError(f"--retry: unknown outcome {outcome!r} (use {', '.join(OUTCOMES[:5])})")
        if len(value) < 2 or value[-1] not in _UNITS or not value[:-1].isdigit():
            raise UserError(f"--retry: {part!r} needs a duration like 15m, 2h or 1d")
        spacing[outcome] = timedelta(minutes=int(value[:-1]) * _UNITS[value[-1]])
        if not spacing[outcome]:
            # A spacing of 0 would let a dialer ring the same person again at once.
            raise UserError(f"--retry: the spacing after {outcome} must be more than 0")
    return spacing


def campaign_list(args: argparse.Namespace, ctx: Context) -> int:
    for c in campaigns.list_all(ctx.store):
        retry = ",".join(f"{k}={_span(v)}" for k, v in sorted(c.retry_after.items()) if v)
        ctx.out(
            f"{c.name}\t{c.caller_id}\t{c.purpose}\t{c.window}\t{c.max_attempts}\t{retry}"
            f"\t{c.jurisdiction}"
        )
    return 0
