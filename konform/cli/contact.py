"""``konform contact priority NUMBER LEVEL`` and ``konform contact show NUMBER``."""

from __future__ import annotations

import argparse

from konform.cli.context import Context, UserError
from konform.store import campaigns, contacts

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    contact = commands.add_parser("contact", help="one contact: priority, best time, call lists")
    actions = contact.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser(
        "priority",
        help="change a number's priority on call lists (audited)",
        description="LEVEL 1 is called before 2, and so on up to 9 (the default is 5). Without"
        " --campaign the number gets LEVEL on every campaign list it is on.",
    )
    p.add_argument("number")
    p.add_argument("level", type=int, help="1 (first) to 9")
    p.add_argument("--campaign", help="only on this campaign's list")
    p.set_defaults(handler=contact_priority)
    p = actions.add_parser("show", help="a contact's data, best time and call lists")
    p.add_argument("number")
    p.add_argument("--json", action="store_true", help="print a JSON object")
    p.set_defaults(handler=contact_show)


def contact_priority(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number)
    try:
        campaigns.check_priority(args.level)
        lists = campaigns.set_priority(ctx.store, number, args.level, args.campaign)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    except KeyError:
        raise UserError(f"no campaign named {args.campaign!r}") from None
    if not lists:
        where = f"campaign {args.campaign}'s list" if args.campaign else "any campaign list"
        raise UserError(f"{number} is not on {where}")
    ctx.out(f"{number}: priority {args.level} on {lists} campaign list{'s' * (lists != 1)}")
    return 0


def contact_show(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number)
    row = contacts.row_of(ctx.store, number)
    lists = campaigns.priorities_of(ctx.store, number)
    if row is None and not lists:
        raise UserError(f"{number} is not a contact")
    best = (row.best_time if row else None) or contacts.BestTime()
    until = row.customer_until if row else None
    data = {
        "number": number,
        "name": row.name if row else None,
        "region": row.region if row else None,
        "kind": row.kind if row else None,
        "customer_until": until if until is None or isinstance(until, str) else until.isoformat(),
        "basis": row.basis if row else None,
        "call_after": best.after,
        "call_before": best.before,
        "campaigns": [{"campaign": c, "priority": p, "done_at": d} for c, p, d in lists],
    }
    if args.json:
        ctx.out_json(data)
        return 0
    for key in ("number", "name", "region", "kind", "customer_until", "basis"):
        ctx.out(f"{key}\t{data[key] or '-'}")
    ctx.out(f"best time\t{best.after or 'any'} to {best.before or 'any'} (local)")
    for c, p, d in lists:
        ctx.out(f"campaign {c}\tpriority {p}\t{'done ' + d if d else 'pending'}")
    return 0
