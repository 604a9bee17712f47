"""``konform walkthrough``: the policy at work on sample data, without Asterisk.

Builds a database from the bundled samples (contacts, consents, a hashed Robinson list, an
objection list), checks every sample number (each check audited), shows the time rules at
work, opts one callee out and shows that the gate then blocks the number.
"""

from __future__ import annotations

import argparse
import tempfile
from dataclasses import dataclass
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

from konform import gate
from konform.calling_time import parse_window
from konform.cli.context import Context
from konform.importing import run_import
from konform.policy import Campaign
from konform.store import callerids, campaigns
from konform.store.database import open_store
from konform.store.objection import opt_out

__all__ = ["register"]

CALLER_ID = "+4930555000100"
CAMPAIGN = Campaign("demo-energy", CALLER_ID, "energy-offer", parse_window("Mon-Sat 09:00-19:00"))
AT = "2026-11-24T10:00:00+01:00"  # a Tuesday morning in Berlin
# (number, instant or None for AT, what the row shows)
CHECKS: tuple[tuple[str, str | None, str], ...] = (
    ("030 55501001", None, "double opt-in, Berlin"),
    ("089 55501002", None, "double opt-in, Bavaria"),
    ("089 55501002", "2026-08-15T10:00:00+02:00", "same, on Assumption Day"),
    ("030 55501001", "2026-11-22T10:00:00+01:00", "Anna on a Sunday"),
    ("030 55501001", "2026-11-24T19:00:00+01:00", "Anna at 19:00 (campaign ends 19:00)"),
    ("0221 55501003", None, "active customer, but on the Robinson list (hashed entry)"),
    ("040 55501004", None, "customer until 2021"),
    ("0711 55501005", None, "b2b, documented presumed interest"),
    ("0351 55501006", None, "opt-in never confirmed"),
    ("0611 55501007", "2026-11-18T10:00:00+01:00", "no state known, Saxony's Buß- und Bettag"),
    ("0341 55501008", None, "consent revoked"),
    ("0511 55501009", None, "consent only for the newsletter"),
    ("+49 40 555010999", None, "on the internal objection list"),
    ("112", None, "emergency number"),
)


@dataclass
class Row:
    number: str
    at: str
    note: str
    allowed: bool
    reasons: list[dict[str, str]]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = commands.add_parser(
        "walkthrough",
        help="the policy at work on sample data (no Asterisk needed)",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument("--dir", type=Path, help="folder for the demo database (default: a new temp)")
    p.set_defaults(handler=run_walkthrough)


def _sample(name: str) -> Path:
    return Path(str(resources.files("konform.samples").joinpath(name)))


def run_walkthrough(args: argparse.Namespace, ctx: Context) -> int:
    folder = args.dir or Path(tempfile.mkdtemp(prefix="konform-walkthrough-"))
    folder.mkdir(parents=True, exist_ok=True)
    db_path = (folder / "konform-walkthrough.db").resolve()
    for stale in folder.glob("konform-walkthrough.db*"):
        stale.unlink()
    store = open_store(db_path)
    try:
        callerids.add(store, CALLER_ID, "Demo Energie GmbH")
        campaigns.add(store, CAMPAIGN)
        imports: dict[str, dict[str, Any]] = {}
        for kind, file in (
            ("contacts", "contacts.csv"),
            ("consents", "consents.csv"),
            ("robinson", "robinson.txt"),
            ("optouts", "optouts.txt"),
        ):
            result = run_import(store, kind, _sample(file))  # type: ignore[arg-type]
            imports[kind] = {
                "accepted": result.accepted,
                "rejected": [f"line {e.line}: {e.reason}" for e in result.errors],
            }
        rows = [_check(store, number, at, note) for number, at, note in CHECKS]
        opt_out(store, "+493055501001", source="demo IVR key 9", campaign=CAMPAIGN.name)
        rows.append(_check(store, "030 55501001", None, "Anna after pressing 9 (opt-out)"))
    finally:
        store.close()
    if args.json:
        ctx.out_json(
            {
                "db": str(db_path),
                "campaign": {
                    "name": CAMPAIGN.name,
                    "caller_id": CAMPAIGN.caller_id,
                    "purpose": CAMPAIGN.purpose,
                    "window": str(CAMPAIGN.window),
                },
                "imports": imports,
                "checks": [row.__dict__ for row in rows],
            }
        )
        return 0
    ctx.out(f"Walk-through database: {db_path}")
    ctx.out(
        f"Campaign {CAMPAIGN.name}: caller ID {CALLER_ID}, purpose {CAMPAIGN.purpose},"
        f" window {CAMPAIGN.window}"
    )
    for kind, info in imports.items():
        ctx.out(
            f"import {kind}: {info['accepted']} accepted; rejected: "
            f"{'; '.join(info['rejected']) or 'none'}"
        )
    ctx.out("")
    ctx.out(f"{'number':<18} {'when (local)':<17} {'decision':<8}  why / note")
    for row in rows:
        when = datetime.fromisoformat(row.at).strftime("%a %d.%m. %H:%M")
        verdict = "ALLOWED" if row.allowed else "blocked"
        ctx.out(f"{row.number:<18} {when:<17} {verdict:<8}  {row.note}")
        for reason in row.reasons:
            ctx.out(f"{'':<46}{reason['code']}: {reason['message']}")
    ctx.out("")
    ctx.out(f"Every decision above is in the audit log: konform --db {db_path} audit")
    return 0


def _check(store: Any, number: str, at: str | None, note: str) -> Row:
    instant = datetime.fromisoformat(at or AT)
    verdict = gate.check(store, CAMPAIGN, number, instant, "en", source="demo")
    return Row(
        verdict.number or number,
        instant.isoformat(),
        note,
        verdict.decision.allowed,
        [r.to_dict() for r in verdict.decision.reasons],
    )
