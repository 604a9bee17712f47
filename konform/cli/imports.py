"""``konform import contacts|consents|robinson|belmeniet|optouts FILE``."""

from __future__ import annotations

import argparse
from pathlib import Path

from konform.cli.context import Context, UserError
from konform.importing import (
    IMPORT_KINDS,
    LIST_KINDS,
    REPLACEABLE,
    ImportFileError,
    ImportResult,
    run_import,
)
from konform.store import campaigns

__all__ = ["register"]

_HELP = {
    "contacts": "CSV: number,name,region,kind,customer_until[,basis][,priority]"
    "[,call_after][,call_before]; priority 1 (called first) to 9, default 5, lands on the"
    " --campaign list only; call_after/call_before: best time to call, HH:MM local",
    "consents": "CSV: number,purpose,given_at,confirmed_at,revoked_at,source",
    "robinson": "the Robinson list: one number or SHA-256 hex digest of E.164 per line",
    "belmeniet": "the Dutch Bel-me-niet register: one number or SHA-256 hex digest per line",
    "optouts": "objections (internal list): one number or SHA-256 hex digest per line",
}
MAX_SHOWN_ERRORS = 50


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    imp = commands.add_parser(
        "import",
        help="import contacts, consents and do-not-call lists",
        description="Bad rows are reported with line number and reason and skipped, and so are"
        " rows for numbers that objected or were erased and consent rows that contradict a"
        " revocation; exit code 1 if any row was not imported. With --strict nothing is written"
        " when any row would not be imported. Writes are committed in small batches; an import"
        " that stopped half-way is completed by running it again.",
    )
    kinds = imp.add_subparsers(dest="kind", required=True, metavar="KIND")
    for kind in IMPORT_KINDS:
        p = kinds.add_parser(kind, help=_HELP[kind], description=_HELP[kind])
        p.add_argument("file", type=Path)
        p.add_argument(
            "--strict", action="store_true", help="write nothing if any row is not imported"
        )
        if kind == "contacts":
            p.add_argument(
                "--campaign",
                help="also put the imported numbers on this campaign, at the file's priority"
                " (without --campaign the priority column is not used)",
            )
        if kind in REPLACEABLE:
            p.add_argument(
                "--replace",
                action="store_true",
                help=f"replace the whole {kind} list with this file (refused when the file has"
                " no accepted line or more rejected than accepted lines)",
            )
            p.add_argument("--force", action="store_true", help="with --replace: replace even then")
        p.set_defaults(handler=import_file, creates_db=True)


def import_file(args: argparse.Namespace, ctx: Context) -> int:
    campaign = getattr(args, "campaign", None)
    if campaign is not None and (
        not ctx.has_database() or campaigns.get(ctx.store, campaign) is None
    ):
        raise UserError(f"no campaign named {campaign!r}")
    if getattr(args, "force", False) and not args.replace:
        raise UserError("--force only goes with --replace")
    try:
        result = run_import(
            ctx.store,
            args.kind,
            args.file,
            strict=args.strict,
            replace=getattr(args, "replace", False),
            force=getattr(args, "force", False),
            campaign=campaign,
        )
    except ImportFileError as exc:
        raise UserError(str(exc)) from None
    for warning in result.unfinished:
        ctx.warn(warning)
    problems = result.problems()
    for problem in problems[:MAX_SHOWN_ERRORS]:
        ctx.warn(f"{args.file}:{problem.line}: {problem.reason}")
    if len(problems) > MAX_SHOWN_ERRORS:
        ctx.warn(f"… and {len(problems) - MAX_SHOWN_ERRORS} more rows not imported")
    ctx.out(_summary(args.kind, result))
    return 1 if result.not_imported else 0


def _summary(kind: str, result: ImportResult) -> str:
    rejected = f"{len(result.errors)} rejected"
    if kind in LIST_KINDS:
        counts = rejected
    else:
        skipped = len(result.objected) + len(result.erased)
        counts = (
            f"{rejected}, {len(result.conflicts)} conflicting, {skipped} not imported"
            f" ({len(result.objected)} objected, {len(result.erased)} erased)"
        )
    if result.strict_aborted:
        return f"{kind}: {counts}; --strict: nothing written"
    text = f"{kind}: {result.accepted} rows accepted, {result.written} written, {counts}"
    if result.replaced is not None:
        before, after = result.replaced
        text += f"; list replaced: {before} entries before, {after} now"
    if result.erased_objected:
        text += f"; the data of {result.erased_objected} objecting numbers erased"
    return text
