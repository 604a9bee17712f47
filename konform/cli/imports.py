"""``konform import contacts|consents|robinson|optouts FILE``."""

from __future__ import annotations

import argparse
from pathlib import Path

from konform.cli.context import Context, UserError
from konform.importing import IMPORT_KINDS, ImportFileError, run_import
from konform.store import campaigns

__all__ = ["register"]

_HELP = {
    "contacts": "CSV: number,name,region,kind,customer_until[,basis]",
    "consents": "CSV: number,purpose,given_at,confirmed_at,revoked_at,source",
    "robinson": "the Robinson list: one number or SHA-256 hex digest of E.164 per line",
    "optouts": "objections (internal list): one number or SHA-256 hex digest per line",
}
MAX_SHOWN_ERRORS = 50


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = commands.add_parser(
        "import",
        help="import contacts, consents and do-not-call lists",
        description="Bad rows are reported with line number and reason and skipped; exit code 1"
        " if any row was rejected. With --strict nothing is written when any row is bad.",
    )
    kinds = imp.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind in IMPORT_KINDS:
        p = kinds.add_parser(kind, help=_HELP[kind], description=_HELP[kind])
        p.add_argument("file", type=Path)
        p.add_argument("--strict", action="store_true", help="write nothing if any row is bad")
        if kind == "contacts":
            p.add_argument("--campaign", help="also put the imported numbers on this campaign")
        if kind == "robinson":
            p.add_argument(
                "--replace",
                action="store_true",
                help="replace the whole Robinson list with this file",
            )
        p.set_defaults(handler=import_file, creates_db=True)


def import_file(args: argparse.Namespace, ctx: Context) -> int:
    campaign = getattr(args, "campaign", None)
    if campaign is not None and (
        not ctx.has_database() or campaigns.get(ctx.store, campaign) is None
    ):
        raise UserError(f"no campaign named {campaign!r}")
    try:
        result = run_import(
            ctx.store,
            args.kind,
            args.file,
            strict=args.strict,
            replace=getattr(args, "replace", False),
            campaign=campaign,
        )
    except ImportFileError as exc:
        raise UserError(str(exc)) from None
    for error in result.errors[:MAX_SHOWN_ERRORS]:
        ctx.warn(f"{args.file}:{error.line}: {error.reason}")
    if len(result.errors) > MAX_SHOWN_ERRORS:
        ctx.warn(f"… and {len(result.errors) - MAX_SHOWN_ERRORS} more rejected rows")
    if result.strict_aborted:
        ctx.out(f"{args.kind}: {len(result.errors)} rejected rows, --strict: nothing written")
    else:
        ctx.out(
            f"{args.kind}: {result.accepted} rows accepted, {result.written} written,"
            f" {len(result.errors)} rejected"
        )
    return 1 if result.errors else 0
