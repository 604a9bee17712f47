"""The callee's rating and the console's commands on real calls: ``konform serve`` on the
sandbox, people of the far end's ``+4930448KNNN`` range who press K after the talk.

- A campaign with the rating question on: the keys 4 and 2 are stored on their attempts, 7
  skips it; every call ends with the opt-out menu as before (no opt-out: K is not 9).
- A live call moved into the opt-out menu by a ``call_commands`` row while the agent would go on
  talking for another minute: konform hangs up the agent's leg, the person presses 9 in the
  menu, the number is on the opt-out list, the command taken and audited.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from konform.store import audit, call_commands, campaign_console, donotcall
from konform.store.database import open_store
from konform_sandbox.demo import CAMPAIGN, demo_db_calling_only
from konform_sandbox.farend import far_end_ends, rater_numbers
from konform_sandbox.sandbox import Sandbox
from tests.integration.serve_env import REPO, serve_demo
from tests.integration.test_restart import attempts_of, konform_objects

pytestmark = pytest.mark.integration

AGENTS = "agent1,agent2"


def build(folder: Path, people: list[str], *, csat: bool) -> Path:
    """The demo database with only ``people`` (double opt-in) to call, the rating question on
    or off."""
    db = demo_db_calling_only(folder, people)
    with open_store(db) as store:
        campaign_console.change(store, CAMPAIGN.name, csat=csat)
    return db


def serve(sandbox: Sandbox, folder: Path) -> subprocess.Popen[str]:
    return serve_demo(
        sandbox, folder, AGENTS, "--until-done", consent_wait="1", optout_wait="5", wrap_up="1"
    )


def report(folder: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-m", "konform.cli.main", "--db", str(folder / "konform-demo.db"),
         "report", "--campaign", CAMPAIGN.name, "--since", "2026-11-24T00:00:00",
         "--until", "2026-11-25T00:00:00", "--json"],
        cwd=folder,
        env={
            **{k: v for k, v in os.environ.items() if not k.startswith("KONFORM_")},
            "PYTHONPATH": str(REPO),
        },
        capture_output=True,
        text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, object] = json.loads(done.stdout)
    return result


def test_ratings_after_the_talk_are_stored_per_attempt(sandbox: Sandbox, tmp_path: Path) -> None:
    four, two, skip = rater_numbers("4", 1), rater_numbers("2", 1, 1), rater_numbers("7", 1, 2)
    people = [*four, *two, *skip]
    folder = tmp_path / "csat"
    db = build(folder, people, csat=True)
    proc = serve(sandbox, folder)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, (out, err)
    rows = {r["number"]: r for r in attempts_of(db)}
    assert sorted(rows) == sorted(people), "each person called once"
    for r in rows.values():
        assert r["outcome"] == "human", r
        assert r["bridged_at"] is not None, r
        assert r["abandoned"] == 0, r
    assert rows[four[0]]["csat"] == 4, (rows, err)
    assert rows[two[0]]["csat"] == 2
    assert rows[skip[0]]["csat"] is None, "another key skips the rating"
    ends = far_end_ends(sandbox)
    for number in people:
        assert ends[number][-1].answered, ends[number]
    with open_store(db) as store:
        for number in people:
            assert not donotcall.is_listed(store, "internal", number), "K is not 9: no opt-out"
    figures = report(folder)  # `konform report --json` over the same attempts
    assert figures["csat"] == {"avg": 3.0, "count": 2}, figures
    assert asyncio.run(konform_objects(sandbox)) == []


def test_a_console_command_moves_a_live_call_into_the_opt_out_menu(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    [person] = rater_numbers("9", 1, 500)
    folder = tmp_path / "console"
    db = build(folder, [person], csat=False)
    sandbox.set_agent_talk(90)  # the agent would talk far longer than the test waits
    proc = serve(sandbox, folder)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            rows = attempts_of(db) if db.exists() else []
            if rows and rows[0]["bridged_at"]:
                break
            time.sleep(0.1)
        else:
            proc.kill()
            pytest.fail(f"never bridged: {proc.communicate()}")
        asked = time.monotonic()
        with open_store(db) as store:
            ident = call_commands.request(store, rows[0]["id"], "optout_menu", "supervisor-test")
        out, err = proc.communicate(timeout=120)
        took = time.monotonic() - asked
    finally:
        sandbox.set_agent_talk(sandbox.settings.agent_talk_s)
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, (out, err)
    assert took < 60, "the call ended long before the agent would have hung up"
    [row] = attempts_of(db)
    assert row["outcome"] == "human", row
    with open_store(db) as store:
        assert donotcall.is_listed(store, "internal", person), "9 in the menu: the opt-out list"
        entries = audit.entries(store, person)
        events = [e["event"] for e in entries]
        assert events.index("call_command_requested") < events.index("call_command_taken")
        assert events.index("call_command_taken") < events.index("opt_out")
        taken = next(e for e in entries if e["event"] == "call_command_taken")
        assert taken["detail"]["delivered"] is True, taken
        assert taken["detail"]["id"] == ident
        (taken_at,) = store.conn.execute(
            "SELECT taken_at FROM call_commands WHERE id = ?", (ident,)
        ).fetchone()
        assert taken_at is not None
    phone_ends = [e for e in sandbox.phones_log() if e.get("event") == "end"]
    assert phone_ends, "the agent's phone logged its call's end"
    assert float(phone_ends[-1]["talk_s"]) < 60, "konform hung up the agent's leg"
    assert asyncio.run(konform_objects(sandbox)) == []
