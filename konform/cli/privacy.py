"""``konform optout``, ``konform gdpr export|erase|record``, ``konform audit``: data subjects'
rights and the record of processing activities."""

from __future__ import annotations

import argparse
from typing import Any

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
    p = actions.add_parser(
        "record", help="print the record of processing activities (GDPR Art. 30 (1))"
    )
    p.add_argument("--json", action="store_true", help="print it as one JSON object")
    p.set_defaults(handler=gdpr_record)

    a = commands.add_parser("audit", help="print the audit log as JSON lines")
    a.add_argument("--number", help="only the entries of this number")
    a.set_defaults(handler=audit_list)


def optout_number(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number)
    new = opt_out(ctx.store, number, source=args.source)
    gdpr.finish_pending_deletions(ctx.store)  # what an earlier crash left
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
    gdpr.finish_pending_deletions(ctx.store)  # what an earlier crash left
    ctx.out(f"{number}: personal data erased ({len(files)} recordings)")
    return 0


def gdpr_record(args: argparse.Namespace, ctx: Context) -> int:
    store = ctx.store if ctx.has_database() else None
    record = gdpr.processing_record(ctx.config, ctx.db_path, store)
    if args.json:
        ctx.out_json(record)
        return 0
    _print_record(ctx, record)
    return 0


def _print_record(ctx: Context, record: dict[str, Any]) -> None:
    ctx.out(record["record"])
    ctx.out(f"controller: {record['controller']}")
    ctx.out(f"data protection officer: {record['dpo_contact']}")
    ctx.out("purposes (per campaign):")
    if not record["purposes"]:
        ctx.out("  no campaigns yet")
    for p in record["purposes"]:
        ctx.out(
            f"  {p['campaign']}: {p['purpose']} (jurisdiction {p['jurisdiction']},"
            f" caller ID {p['caller_id']})"
        )
        ctx.out(f"    legal basis: {p['legal_basis']}")
    ctx.out("categories of data subjects:")
    for line in record["data_subjects"]:
        ctx.out(f"  - {line}")
    ctx.out("categories of personal data:")
    for item in record["personal_data"]:
        ctx.out(f"  - {item['category']}: {item['data']}")
    ctx.out("recipients:")
    for line in record["recipients"]:
        ctx.out(f"  - {line}")
    ctx.out(f"transfers to third countries: {record['third_country_transfers']}")
    ctx.out("retention:")
    for item in record["retention"]:
        days = f"{item['days']} days" if item["days"] else "no fixed limit"
        ctx.out(f"  - {item['category']}: {days} ({item['basis']})")
    ctx.out("where data is stored:")
    for name, where in record["storage"].items():
        ctx.out(f"  {name.replace('_', ' ')}: {where}")
    ctx.out("technical and organisational measures (Art. 32 GDPR):")
    for line in record["measures"]:
        ctx.out(f"  - {line}")


def audit_list(args: argparse.Namespace, ctx: Context) -> int:
    number = ctx.number(args.number) if args.number else None
    for entry in audit.entries(ctx.store, number):
        ctx.out_json(entry)
    return 0
