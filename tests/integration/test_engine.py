"""``konform serve`` as a paced campaign engine on the real sandbox: more answering people than
agents in progressive mode → nobody abandoned, everybody reached an agent, every call showed the
campaign's number; SIGTERM during calls → every live call finished, nothing left on the PBX,
exit 0. The far end's catch-all extension answers as a person who says hello and waits."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest

from konform_sandbox.demo import (
    CALLER_ID,
    CAMPAIGN,
    demo_db_calling_only,
)
from konform_sandbox.farend import far_end_calls
from konform_sandbox.sandbox import Sandbox
from tests.integration.serve_env import serve_demo
from tests.integration.test_restart import attempts_of, konform_objects

pytestmark = pytest.mark.integration

AGENTS = "agent1,agent2"


def build(folder: Path, people: list[str]) -> Path:
    """The demo database with only ``people`` (double opt-in for the demo's purpose) to call."""
    return demo_db_calling_only(folder, people)


def serve(sandbox: Sandbox, folder: Path, *extra: str) -> subprocess.Popen[str]:
    return serve_demo(
        sandbox, folder, AGENTS, *extra, consent_wait="1", optout_wait="1", wrap_up="1"
    )


def test_progressive_more_people_than_agents(sandbox: Sandbox, tmp_path: Path) -> None:
    people = [f"+4930112000{i}" for i in range(1, 9)]  # 8 people, 2 agents
    folder = tmp_path / "progressive"
    db = build(folder, people)
    proc = serve(sandbox, folder, "--until-done")
    out, err = proc.communicate(timeout=420)
    assert proc.returncode == 0, (out, err)
    rows = attempts_of(db)
    assert sorted(r["number"] for r in rows) == people, "each person called once"
    for r in rows:
        assert r["outcome"] == "human", r
        assert r["abandoned"] == 0, r
        assert r["agent"] in AGENTS.split(","), r
        assert r["bridged_at"] is not None, r
        assert r["answered_at"] is not None, r
    assert f"{CAMPAIGN.name}: 8 calls, human 8; abandoned 0" in out, out
    assert "abandoned last hour: demo-energy 0.0%" in err, err
    far = far_end_calls(sandbox)
    for number in people:
        seen = far[number][-1]
        assert seen.caller_id == CALLER_ID, seen
        assert seen.presentation.startswith("allowed"), seen
    assert asyncio.run(konform_objects(sandbox)) == []


def test_sigterm_during_calls_finishes_every_live_call(sandbox: Sandbox, tmp_path: Path) -> None:
    people = [f"+4930113000{i}" for i in range(1, 7)]
    folder = tmp_path / "sigterm"
    db = build(folder, people)
    proc = serve(sandbox, folder)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            rows = attempts_of(db) if db.exists() else []
            if any(r["bridged_at"] for r in rows):
                break
            time.sleep(0.05)
        else:
            proc.kill()
            pytest.fail(f"never bridged: {proc.communicate()}")
        started = len(attempts_of(db))
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=180)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, (out, err)
    assert "stopping: no new calls" in err, err
    rows = attempts_of(db)
    assert 0 < len(rows) <= started + len(AGENTS.split(",")), "no new calls after SIGTERM"
    assert len(rows) < len(people)
    for r in rows:
        assert r["outcome"] == "human", r
        assert r["abandoned"] == 0, r
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT count(*) FROM claims").fetchone() == (0,)
    assert asyncio.run(konform_objects(sandbox)) == []
