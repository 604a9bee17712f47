"""``konform callerid …`` and ``konform campaign …``: owned numbers and campaigns."""

from __future__ import annotations

import argparse
import sqlite3

from konform.calling_time import LEGAL_WINDOW, parse_window
from konform.cli.context import Context, UserError
from konform.policy import Campaign
from konform.store import callerids, campaigns

__all__ = ["register"]

ANONYMOUS = frozenset({"", "anonymous", "unknown", "restricted", "private", "withheld", "0"})


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cid = commands.add_parser("callerid", help="the caller IDs this installation owns")
    cid_cmd = cid.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = cid_cmd.add_parser("add", help="own a number (it may then be shown as caller ID)")
    p.add_argument("number")
    p.add_argument("--label", help="a note, such as the company name shown for it")
    p.set_defaults(handler=callerid_add)
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
        "--window",
        default=str(LEGAL_WINDOW),
        help=f"calling window in callee's local time, within '{LEGAL_WINDOW}' (the default)",
    )
    p.add_argument("--max-attempts", type=int, default=3, help="calls per number (default 3)")
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
        window = parse_window(args.window)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if not window.within(LEGAL_WINDOW):
        raise UserError(f"calling window {window} is wider than the legal {LEGAL_WINDOW}")
    if args.max_attempts < 1:
        raise UserError("--max-attempts must be at least 1")
    if not args.purpose.strip():
        raise UserError("--purpose must not be empty")
    campaign = Campaign(
        args.name, number, args.purpose.strip(), window, max_attempts=args.max_attempts
    )
    try:
        campaigns.add(ctx.store, campaign)
    except sqlite3.IntegrityError:
        raise UserError(f"a campaign named {args.name!r} exists already") from None
    ctx.out(
        f"campaign {args.name} added: caller ID {number}, purpose {campaign.purpose},"
        f" window {window}, {args.max_attempts} attempts"
    )
    return 0


def campaign_list(args: argparse.Namespace, ctx: Context) -> int:
    for c in campaigns.list_all(ctx.store):
        ctx.out(f"{c.name}\t{c.caller_id}\t{c.purpose}\t{c.window}\t{c.max_attempts}")
    return 0
