"""The demo campaign against the sandbox's far end (``konform demo`` and the integration tests).

It builds a demo database from ``konform/samples/dialer`` (eight far-end callees with double
opt-in, one without consent, one on the Robinson list as a hashed entry, one on the internal
objection list) and calls them all plus an emergency number, on the real sandbox PBX. The
policy judges the calls as of ``DEMO_CLOCK`` (a Tuesday morning), so the demo runs on any day;
everything else happens now, for real.
"""

from __future__ import annotations

import asyncio
import shutil
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ari_app.ari import AriClient
from ari_app.call import CallResult
from ari_app.dialer import Dialer
from konform.config import Config, DialerConfig
from konform.importing import run_import
from konform.policy import Campaign
from konform.store import callerids, campaigns
from konform.store.database import Store, open_store
from konform_sandbox.farend import far_end_calls
from konform_sandbox.sandbox import Sandbox

__all__ = [
    "CALLER_ID",
    "CAMPAIGN",
    "DEMO_CLOCK",
    "DEMO_NUMBERS",
    "add_consenting_people",
    "build_demo_store",
    "demo_db_calling_only",
    "run_demo",
]

CALLER_ID = "+4930555000100"
COMPANY = "Demo Energie GmbH"
CAMPAIGN = Campaign("demo-energy", CALLER_ID, "energy-offer")
DEMO_CLOCK = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
DEMO_NUMBERS = [
    *(f"+4930111000{i}" for i in range(1, 7)),
    "+49301110020",  # a mailbox whose greeting starts after 2 s of silence
    "+49301110021",  # a mailbox whose greeting plays over music
    *(f"+4930111000{i}" for i in range(7, 10)),
    "112",
]


def _sample(name: str) -> Path:
    return Path(str(resources.files("konform.samples.dialer").joinpath(name)))


def build_demo_store(folder: Path) -> Store:
    """A fresh demo database in ``folder``: caller ID, campaign, contacts, consents, lists."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("konform-demo.db*"):
        stale.unlink()
    shutil.rmtree(folder / "recordings", ignore_errors=True)
    store = open_store(folder / "konform-demo.db")
    callerids.add(store, CALLER_ID, COMPANY)
    campaigns.add(store, CAMPAIGN)
    for kind in ("contacts", "consents", "robinson", "optouts"):
        suffix = "csv" if kind in ("contacts", "consents") else "txt"
        run_import(store, kind, _sample(f"{kind}.{suffix}"))
    return store


def add_consenting_people(store: Store, folder: Path, numbers: list[str]) -> None:
    """Import ``numbers`` as contacts with a double opt-in for the demo campaign's purpose
    (like the sample's consenting callees), through the ordinary CSV import."""
    contacts = folder / "people-contacts.csv"
    consents = folder / "people-consents.csv"
    contacts.write_text(
        "number,name,region,kind,customer_until,basis\n"
        + "".join(f"{n},Far-end person {i},DE-BE,b2c,,\n" for i, n in enumerate(numbers, 1))
    )
    consents.write_text(
        "number,purpose,given_at,confirmed_at,revoked_at,source\n"
        + "".join(
            f"{n},{CAMPAIGN.purpose},2026-03-02T09:12:00+01:00,2026-03-02T09:20:41+01:00,,"
            "web form double opt-in\n"
            for n in numbers
        )
    )
    run_import(store, "contacts", contacts)
    run_import(store, "consents", consents)


def demo_db_calling_only(folder: Path, people: list[str], *, consenting: bool = True) -> Path:
    """The demo database in ``folder`` whose campaign calls only ``people`` (made consenting
    with :func:`add_consenting_people` unless ``consenting`` is False); its path."""
    store = build_demo_store(folder)
    try:
        if consenting:
            add_consenting_people(store, folder, people)
        with store.transaction() as conn:
            conn.execute("DELETE FROM campaign_contacts")
            campaigns.assign(store, CAMPAIGN.name, people)
    finally:
        store.close()
    return folder / "konform-demo.db"


def demo_config(sandbox: Sandbox, folder: Path) -> Config:
    return Config(
        dialer=DialerConfig(
            agents="agent1,agent2,agent3",
            company=COMPANY,
            ring_timeout=8,
            recordings_dir=str(folder / "recordings"),
            asterisk_recordings_dir=str(sandbox.host_path("/var/spool/konform/pbx/recording")),
        )
    )


def sandbox_ari(sandbox: Sandbox) -> AriClient:
    """An ARI client for the sandbox PBX with its generated credentials."""
    s = sandbox.settings
    return AriClient(sandbox.ari_url, s.ari_user, sandbox.ari_password, s.ari_app)


async def call_all(
    sandbox: Sandbox, store: Store, config: Config, numbers: list[str]
) -> list[CallResult]:
    async with (
        sandbox_ari(sandbox) as ari,
        Dialer(ari, store, config, clock=lambda: DEMO_CLOCK) as dialer,
    ):
        return await dialer.run_campaign(CAMPAIGN.name, numbers)


def report(sandbox: Sandbox, store: Store, results: list[CallResult]) -> dict[str, Any]:
    far_end = far_end_calls(sandbox)
    calls = []
    for result in results:
        seen = far_end.get(result.number, [])
        calls.append(
            {
                "number": result.number,
                "outcome": result.outcome,
                "reasons": [r["code"] for r in result.detail.get("reasons", [])],
                "recording": result.recording,
                "recording_consent": result.recording_consent,
                "opted_out": result.opted_out,
                "far_end": seen[-1].to_dict() if seen else None,
            }
        )
    return {
        "db": str(store.path.resolve()),
        "campaign": {"name": CAMPAIGN.name, "caller_id": CAMPAIGN.caller_id},
        "policy_clock": DEMO_CLOCK.isoformat(),
        "calls": calls,
    }


def run_demo(folder: Path, sandbox: Sandbox) -> dict[str, Any]:
    """Start the sandbox, run the demo campaign, stop the sandbox; the report."""
    store = build_demo_store(folder)
    try:
        sandbox.start()
        try:
            results = asyncio.run(
                call_all(sandbox, store, demo_config(sandbox, folder), DEMO_NUMBERS)
            )
            return report(sandbox, store, results)
        finally:
            sandbox.stop()
    finally:
        store.close()
