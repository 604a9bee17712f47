"""The real Asterisk 22 sandbox: ARI on loopback with generated credentials, ``sandbox env``,
the six agents' phones, and the far end's people who stay on the line while an agent talks."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import shlex
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from konform_sandbox.demo import (
    CALLER_ID,
    add_consenting_people,
    build_demo_store,
    call_all,
    demo_config,
)
from konform_sandbox.env import is_sandbox_ari
from konform_sandbox.farend import far_end_calls, far_end_ends, range_numbers
from konform_sandbox.sandbox import AGENT_ENDPOINTS, Sandbox

pytestmark = pytest.mark.integration


def test_ari_asterisk_info(sandbox: Sandbox) -> None:
    info = sandbox.ari_info()
    assert info["system"]["version"].startswith("22.")
    assert info["config"]["name"] == "pbx"


def test_ari_refuses_wrong_password(sandbox: Sandbox) -> None:
    request = urllib.request.Request(f"{sandbox.ari_url}/ari/asterisk/info")
    token = base64.b64encode(f"{sandbox.settings.ari_user}:asterisk".encode()).decode("ascii")
    request.add_header("Authorization", f"Basic {token}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10).close()
    refused.value.close()
    assert refused.value.code == 401


def test_listens_on_loopback_only(sandbox: Sandbox) -> None:
    listening = sandbox.pbx().cli("http show status")
    assert "127.0.0.1:" in listening
    assert "0.0.0.0" not in listening
    with socket.create_connection(("127.0.0.1", sandbox.settings.http_port), timeout=5):
        pass


def test_sandbox_env_points_konform_at_the_running_sandbox(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """eval "$(konform sandbox env)", then konform's own config load reaches the sandbox's ARI."""
    python = shlex.quote(sys.executable)
    script = f"""
set -e
lines="$({python} -m konform.cli.main sandbox env --agents 5)"
eval "$lines"
{python} - <<'PY'
import base64, json, urllib.request
from konform.config import load_config
c = load_config()
request = urllib.request.Request(c.ari.url + "/ari/asterisk/info")
token = base64.b64encode(f"{{c.ari.username}}:{{c.ari.password}}".encode()).decode()
request.add_header("Authorization", "Basic " + token)
with urllib.request.urlopen(request, timeout=10) as response:
    info = json.loads(response.read())
print(json.dumps({{"name": info["config"]["name"], "agents": c.dialer.agent_list,
    "trunk": c.dialer.trunk, "agi": [c.agi.host, c.agi.port],
    "asterisk_recordings_dir": c.dialer.asterisk_recordings_dir}}))
PY
"""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KONFORM_") or "SANDBOX" in k}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])  # this checkout's konform
    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    assert seen["name"] == "pbx"
    assert seen["agents"] == ["agent1", "agent2", "agent3", "agent4", "agent5"]
    assert seen["trunk"] == "trunk"
    assert seen["agi"] == [sandbox.settings.agi_host, sandbox.settings.agi_port]
    assert Path(seen["asterisk_recordings_dir"]) == sandbox.pbx().spool_dir / "recording"
    assert is_sandbox_ari(sandbox.ari_url, sandbox.settings.ari_user, sandbox.ari_password)


def test_all_six_agents_phones_are_online(sandbox: Sandbox) -> None:
    deadline = time.monotonic() + 30
    while True:
        states = {a: sandbox.ari_get(f"/endpoints/PJSIP/{a}").get("state") for a in AGENT_ENDPOINTS}
        if set(states.values()) == {"online"}:
            return
        assert time.monotonic() < deadline, f"agents' phones not all online after 30 s: {states}"
        time.sleep(1)


TALK_S = 3


@pytest.fixture(scope="module")
def people(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Five people of the far end's range called at once by today's dialer, agents talking 3 s."""
    folder = tmp_path_factory.mktemp("people")
    numbers = range_numbers("person", 5, ring_s=1, first=900)
    phone_lines_before = len(sandbox.phones_log())
    store = build_demo_store(folder)
    sandbox.set_agent_talk(TALK_S)
    try:
        add_consenting_people(store, folder, numbers)
        results = asyncio.run(
            asyncio.wait_for(
                call_all(sandbox, store, demo_config(sandbox, folder), numbers), timeout=180
            )
        )
    finally:
        sandbox.set_agent_talk(sandbox.settings.agent_talk_s)
        store.close()
    deadline = time.monotonic() + 20
    while not all(far_end_ends(sandbox).get(n) for n in numbers):
        assert time.monotonic() < deadline, "the far end logged no end for some calls in 20 s"
        time.sleep(0.2)
    return {
        "numbers": numbers,
        "results": {r.number: r for r in results},
        "calls": far_end_calls(sandbox),
        "ends": far_end_ends(sandbox),
        "phones": sandbox.phones_log()[phone_lines_before:],
    }


def test_people_see_the_campaign_number(people: dict[str, Any]) -> None:
    for number in people["numbers"]:
        assert people["results"][number].outcome == "human", people["results"][number]
        far = people["calls"][number][-1]
        assert far.caller_id == CALLER_ID, far
        assert far.presentation.startswith("allowed"), far
        assert far.privacy is None, far
        assert far.pai, far
        assert CALLER_ID in far.pai, far


def test_people_stay_while_the_agent_talks(people: dict[str, Any]) -> None:
    bridged = [n for n in people["numbers"] if people["results"][n].detail.get("agent")]
    assert bridged, "no person reached an agent"
    # An agent rung for a person whose wait ran out is hung up before answering (answered=0):
    # only the answered calls carry a talk.
    ends = [e for e in people["phones"] if e.get("event") == "end"]
    talks = [float(e["talk_s"]) for e in ends if e.get("answered") == "1"]
    assert len(talks) >= len(bridged), people["phones"]
    for talk in talks:
        assert TALK_S - 0.5 <= talk <= TALK_S + 2, talks
    for number in people["numbers"]:
        end = people["ends"][number][-1]
        assert end.kind == "person"
        assert end.answered, end
        # the person never hangs up first: konform ends every call, well before PERSON_MAX_S
        assert end.on_line_s < 120, end
    for number in bridged:
        assert people["ends"][number][-1].on_line_s > TALK_S, people["ends"][number]
