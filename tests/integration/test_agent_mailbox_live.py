"""The agent hears a mailbox the detector took for a person, on the real sandbox: the far end's
``+49301110024`` answers with one short word, like a person, and then records whatever
arrives (no beep: the miss docs/amd.md bounds). ``konform serve`` with the console inside
bridges it to agent1; the agent presses "mailbox" on the desk (``POST /api/desk/mailbox``):

- the engine ends the call at once: the far end's recording stops within a few seconds of
  the request, where an agent hanging up would have played the opt-out menu (4.4 s) and a
  goodbye into it;
- the attempt's outcome is ``machine`` with the AMD stage ``agent``, the request and its
  delivery are audited, and ``/metrics`` counts it under ``konform_machines{stage="agent"}``;
- the agent is free again (the engine's own agent log), and serve drains with exit 0.
"""

from __future__ import annotations

import json
import secrets
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from konform_sandbox.demo import CAMPAIGN, demo_db_calling_only
from konform_sandbox.farend import far_end_calls
from konform_sandbox.sandbox import Sandbox
from tests.integration.test_restart import attempts_of
from tests.integration.test_serve_web import (
    Console,
    answers,
    deployment,
    engine_sees,
    konform,
    serve_deployed,
    wait_for,
)
from tests.integration.web_browser import free_port

pytestmark = pytest.mark.integration

MAILBOX = "+49301110024"
ENDED_WITHIN_S = 3.0  # the engine takes console commands every second


def mailbox_recording(sandbox: Sandbox, number: str) -> Path:
    """The file the far end's mailbox recorded for the newest call to ``number``."""
    entries = [
        e
        for e in sandbox.farend_log()
        if e.get("event") == "mailbox_record" and e.get("number") == number
    ]
    assert entries, f"the far end's mailbox {number} recorded nothing"
    return sandbox.host_path(entries[-1]["file"])


def test_the_agent_ends_a_missed_mailbox_from_the_desk(sandbox: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "deployed"
    db = demo_db_calling_only(folder, [MAILBOX])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = deployment(sandbox, folder, port)
    password = secrets.token_urlsafe(18)
    code, out = konform(env, folder, "user", "add", "alex", "--role", "agent", "--agent",
                        "agent1", "--password-stdin", stdin=password + "\n")  # fmt: skip
    assert code == 0, out
    sandbox.set_agent_talk(60)  # the agent stays on the line: the desk ends the call
    proc = serve_deployed(env, folder)
    try:
        wait_for("answer from the console", lambda: answers(base), proc, 30)
        desk = Console(base)
        assert desk.login("alex", password) == 200

        def bridged() -> dict[str, object] | None:
            call = desk.get("/api/desk")["call"]
            return call if isinstance(call, dict) else None

        call = wait_for("the call on the agent's desk", bridged, proc, 60)
        status, answer, _ = desk.request("POST", "/api/desk/mailbox", {"attempt": call["attempt"]})
        asked = time.time()
        assert (status, answer) == (202, {"queued": True})

        def over() -> bool:
            return all(r["outcome"] for r in attempts_of(db))

        wait_for("the call's end", over, proc, 15)
        wait_for("the agent free again", lambda: engine_sees(db, "agent1") != "in_call", proc, 15)
        status, metrics, _ = desk.request("GET", "/metrics")
        assert status == 200
        assert f'konform_machines_total{{campaign="{CAMPAIGN.name}",stage="agent"}} 1.0' in (
            metrics
        ), metrics
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sandbox.set_agent_talk(sandbox.settings.agent_talk_s)

    (row,) = attempts_of(db)
    assert (row["outcome"], row["amd_stage"], row["agent"]) == ("machine", "agent", "agent1"), row
    detail = json.loads(row["detail"])
    assert detail["amd"]["reason"] == "agent_heard_mailbox"
    assert detail["abandoned"] is False
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        events = [
            (event, json.loads(text)["command"], json.loads(text).get("delivered"))
            for event, text in conn.execute(
                "SELECT event, detail FROM audit WHERE event LIKE 'call_command_%' ORDER BY id"
            )
        ]
    assert events == [
        ("call_command_requested", "mailbox", None),
        ("call_command_taken", "mailbox", True),
    ]
    # The far end: its mailbox stopped recording right after the request (the call ended; no
    # opt-out menu or goodbye went into it).
    recording = mailbox_recording(sandbox, MAILBOX)
    stopped = recording.stat().st_mtime
    assert stopped - asked < ENDED_WITHIN_S, f"recorded {stopped - asked:.1f} s after the request"
    (received,) = far_end_calls(sandbox)[MAILBOX][-1:]
    assert received.caller_id == "+4930555000100", received
