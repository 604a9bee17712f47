"""``konform optout``, ``konform gdpr export|erase``, ``konform audit``: data subjects' rights."""

from __future__ import annotations

import argparse

from konform.cli.context import Context
from konform.store import audit, gdpr
from konform.store.objection import opt_out

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "optout", help="put a number on the internal objection list and erase its data"
    )
    p.add_argument("number")
    p.add_argument("--source", default="operator", help="how the objection arrived")
    p.set_defaults(handler=optout_number, creates_db=True)  # an objection is always kept

    g = commands.add_parser("gdpr", help="export or erase what is stored about a number")
    actions = g.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("export", help="print all data about a number as JSON")
    p.add_argument("number")
    p.set_defaults(handler=gdpr_export)
    p = actions.add_parser("erase", help="erase a number's personal data (audited)")
    p.add_argument("number")
    p.set_defaults(handler=gdpr_erase)

    a = commands.add_parser("audit", help="print the audit log as JSON lines")
    a.add_argument("--number", help="only the entries of this number")
    a.set_defaults(handler=audit_list)


def optout_number(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number)
    new = opt_out(ctx.store, number, source=args.source)
    ctx.out(f"{number} {'opted out' if new else 'was already opted out'}; personal data erased")
    return 0


def gdpr_export(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number)
    ctx.out_json(gdpr.export(ctx.store, number))
    return 0


def gdpr_erase(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number)
    with ctx.store.transaction():
        files = gdpr.erase(ctx.store, number, why="data subject request")
    gdpr.delete_files(files)
    ctx.out(f"{number}: personal data erased ({len(files)} recordings)")
    return 0


def audit_list(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number) if args.number else None
    for entry in audit.entries(ctx.store, number):
        ctx.out_json(entry)
    return 0
