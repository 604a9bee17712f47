"""kill -9 of ``konform serve`` in the middle of a call with an agent (finding 8), on the real
sandbox: after the restart the attempt is ``human``, the person is not called again inside the
human spacing, the recording left in Asterisk's spool is registered with its attempt (the callee
said yes to recording), and nothing of konform is left on the PBX. A second serve on the same
database and PBX refuses while the first runs."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from konform import gate
from konform.store.database import open_store
from konform_sandbox.demo import (
    CAMPAIGN,
    DEMO_CLOCK,
    demo_db_calling_only,
    sandbox_ari,
)
from konform_sandbox.farend import far_end_calls
from konform_sandbox.sandbox import Sandbox
from tests.integration.serve_env import serve_env

pytestmark = pytest.mark.integration

PERSON = "+49301110001"  # answers, presses 1 (recording), is bridged to an agent who talks

# ``konform serve`` with the policy's clock set to a Tuesday morning (as the demo does), so the
# test runs on any day and at any hour; everything else is the real command.
LAUNCHER = """
import sys, time
from datetime import datetime, timedelta
import ari_app.dialer as dialer
base, started = datetime.fromisoformat(sys.argv[1]), time.monotonic()
original = dialer.Dialer.__init__
def init(self, *args, **kwargs):
    kwargs.setdefault("clock", lambda: base + timedelta(seconds=time.monotonic() - started))
    original(self, *args, **kwargs)
dialer.Dialer.__init__ = init
from konform.cli.main import main
sys.exit(main(sys.argv[2:]))
"""


def serve(folder: Path, env: dict[str, str], clock: str, *extra: str) -> subprocess.Popen[str]:
    db = folder / "konform-demo.db"
    return subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, clock, "--db", str(db), "-v", "serve",
         "--campaign", CAMPAIGN.name, *extra],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip


def attempts_of(db: Path) -> list[dict[str, Any]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute("SELECT * FROM call_attempts ORDER BY id")]


async def konform_objects(sandbox: Sandbox) -> list[str]:
    async with sandbox_ari(sandbox) as ari:
        for _ in range(50):
            found = [c["id"] for c in await ari.get("/channels") if c["id"][:1] == "k"]
            found += [b["id"] for b in await ari.get("/bridges") if b["id"][:1] == "k"]
            if not found:
                return []
            await asyncio.sleep(0.1)
        return found


def test_kill_9_during_a_call_with_an_agent(sandbox: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "restart"
    # the one person of this campaign's rounds (a consenting sample callee of the demo)
    db = demo_db_calling_only(folder, [PERSON], consenting=False)
    env = serve_env(sandbox, folder, "agent1,agent2,agent3", ring_timeout="15")
    calls_before = len(far_end_calls(sandbox).get(PERSON, []))

    first = serve(folder, env, DEMO_CLOCK.isoformat(), "--interval", "3600")
    try:
        deadline = time.monotonic() + 60
        bridged: dict[str, Any] | None = None
        while time.monotonic() < deadline and first.poll() is None:
            rows = attempts_of(db) if db.exists() else []
            bridged = next((r for r in rows if r["state"] == "bridged"), None)
            if bridged is not None:
                break
            time.sleep(0.05)
        if bridged is None:
            first.kill()
            pytest.fail(f"never bridged: {attempts_of(db)} {first.communicate()}")
        assert bridged["outcome"] is None
        assert bridged["source"] == "dialer"
        assert bridged["channel_id"].startswith("k")
        time.sleep(1.0)  # the recording of the conversation is running

        second = serve(folder, env, DEMO_CLOCK.isoformat(), "--once")
        out, err = second.communicate(timeout=60)
        assert second.returncode == 2, (out, err)
        assert f"another konform serve (pid {first.pid}) already runs on" in err
        assert err.count("\n") == 1

        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate()
    [open_attempt] = attempts_of(db)
    assert open_attempt["outcome"] is None, "killed mid-call: no outcome yet"

    # The restart, an hour later on the policy's clock: one round.
    restarted = serve(folder, env, (DEMO_CLOCK + timedelta(hours=1)).isoformat(), "--once")
    out, err = restarted.communicate(timeout=120)
    assert restarted.returncode == 0, (out, err)
    assert "demo-energy: 0 calls" in out, out

    [attempt] = attempts_of(db)  # nothing written for the person: inside the human spacing
    assert attempt["outcome"] == "human"
    assert json.loads(attempt["detail"])["error"] == "resolved at restart"
    assert len(far_end_calls(sandbox).get(PERSON, [])) == calls_before + 1, "not called again"

    store = open_store(db)
    try:
        for later in (timedelta(minutes=31), timedelta(days=6)):
            codes = gate.judge(store, CAMPAIGN, PERSON, DEMO_CLOCK + later).decision.codes
            assert "retry_too_soon" in codes, (later, codes)
        recordings = store.conn.execute("SELECT attempt_id, path FROM recordings").fetchall()
        assert [r[0] for r in recordings] == [attempt["id"]], "the spool recording is registered"
        assert Path(recordings[0][1]).is_file()
    finally:
        store.close()
    assert asyncio.run(konform_objects(sandbox)) == []
