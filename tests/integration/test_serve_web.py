"""``konform serve`` with ``[web] enabled = true`` in the shape docs/deployment.md runs it
(the systemd unit ``deploy/systemd/konform-serve.service``: the config file named by
``KONFORM_CONFIG``, the ARI password from the environment as ``konform.env`` gives it,
``--log-format json --log-level info serve --campaign NAME`` in the data folder), on the real
sandbox, one process:

- the console listens on loopback only; an account made with ``konform user add`` (a weak
  password refused first) logs in; ``/metrics`` answers loopback;
- the wallboard API shows the live call of the running campaign;
- a supervisor pauses the campaign from the console: the engine starts no call; resume: it
  dials again;
- SIGTERM with a wallboard stream open: the live call finishes, the stream ends, exit 0, and
  the console's port is free again.

The one difference from production: ``--simulated-now`` (the policy judges as of the demo's
Tuesday morning, so the test runs at any hour of any day).
"""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ari_app.engine import STORE_POLL_S
from konform_sandbox.demo import CAMPAIGN, DEMO_CLOCK, demo_db_calling_only
from konform_sandbox.env import sandbox_config
from konform_sandbox.sandbox import Sandbox
from tests.integration.serve_env import REPO
from tests.integration.test_restart import attempts_of, konform_objects
from tests.integration.web_browser import free_port

pytestmark = pytest.mark.integration

PEOPLE = [f"+4930116000{i}" for i in range(1, 7)]
AGENT_TALK_S = 4
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never via a proxy


def toml_text(sections: dict[str, dict[str, str | int | bool]]) -> str:
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in values.items()]
        lines.append("")
    return "\n".join(lines)


def deployment(sandbox: Sandbox, folder: Path, port: int) -> dict[str, str]:
    """``konform.toml`` in ``folder`` (the sandbox's settings, no secret in it) and the
    service's environment: the config's path and the ARI password, nothing else of konform's."""
    sections: dict[str, dict[str, str | int | bool]] = {}
    values = sandbox_config(sandbox.settings, sandbox.base, sandbox.ari_password, ["agent1"])
    for (section, key), value in values.items():
        if (section, key) != ("ari", "password"):
            sections.setdefault(section, {})[key] = value
    sections["store"] = {"db": "konform-demo.db"}
    sections["dialer"].update(
        company="Demo Energie GmbH",
        recordings_dir=str(folder / "recordings"),
        consent_wait=1,
        optout_wait=1,
        wrap_up=1,
    )
    sections["web"] = {"enabled": True, "port": port}
    config = folder / "konform.toml"
    config.write_text(toml_text(sections), encoding="utf-8")
    inherited = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("KONFORM_") or k.startswith("KONFORM_SANDBOX_")
    }
    return {
        **inherited,
        "PYTHONPATH": str(REPO),
        "KONFORM_CONFIG": str(config),
        "KONFORM_ARI_PASSWORD": sandbox.ari_password,
    }


def serve_deployed(env: dict[str, str], folder: Path) -> subprocess.Popen[bytes]:
    """``konform serve`` of the demo campaign as the systemd unit runs it (JSON logs to
    ``serve.log``, the summary to ``serve.out`` in ``folder``), with the demo's policy clock."""
    with (folder / "serve.log").open("wb") as err, (folder / "serve.out").open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "konform.cli.main", "--log-format", "json", "--log-level",
             "info", "serve", "--campaign", CAMPAIGN.name, "--simulated-now",
             DEMO_CLOCK.isoformat()],
            cwd=folder, env=env, stdout=out, stderr=err,
        )  # fmt: skip


def konform(env: dict[str, str], cwd: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "konform.cli.main", *args],
        cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    return done.returncode, done.stdout + done.stderr


class Console:
    """An HTTP client of the console with one session (cookie and CSRF token)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookie = ""
        self.csrf = ""

    def request(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, csrf: bool = True
    ) -> tuple[int, Any, dict[str, str]]:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        if csrf and self.csrf and method != "GET":
            req.add_header("X-CSRF-Token", self.csrf)
        try:
            with _OPENER.open(req, timeout=10) as answer:
                status, headers, raw = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as exc:
            status, headers, raw = exc.code, dict(exc.headers), exc.read()
        text = raw.decode()
        for number in PEOPLE:
            assert number not in text, f"a plain number in {method} {path}"
        kind = headers.get("Content-Type", "")
        return status, json.loads(text) if kind.startswith("application/json") else text, headers

    def get(self, path: str) -> Any:
        status, body, _ = self.request("GET", path)
        assert status == 200, (path, status, body)
        return body

    def login(self, user: str, password: str) -> int:
        status, body, headers = self.request(
            "POST", "/api/login", {"username": user, "password": password}
        )
        if status == 200:
            self.cookie = headers["Set-Cookie"].split(";", 1)[0]
            self.csrf = body["csrf"]
        return status


def wait_for(what: str, probe: Any, proc: subprocess.Popen[bytes], timeout: float) -> Any:
    """``probe()``'s first true answer; fails when serve exits or the time is up."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        assert proc.poll() is None, f"serve exited {proc.returncode} while waiting for {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.1)


def answers(base: str) -> bool:
    try:
        with _OPENER.open(f"{base}/", timeout=2) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def listening_addresses(port: int) -> set[str]:
    """The local addresses of the TCP sockets listening on ``port`` (/proc/net/tcp, tcp6)."""
    found: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].partition(":")
            if int(hex_port, 16) == port and fields[3] == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def engine_sees(db: Path, agent: str) -> str | None:
    """The agent's state in the engine's open ``agent_log`` interval (the engine's own view)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute(
            "SELECT state FROM agent_log WHERE name = ? AND ended_at IS NULL", (agent,)
        ).fetchone()
    return None if row is None else str(row[0])


def port_free(port: int) -> bool:
    """A new console could listen on ``port`` (as aiohttp does: SO_REUSEADDR, so the closed
    connections' TIME_WAIT does not count)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
            sock.listen()
        except OSError:
            return False
        return True


class Stream:
    """``GET /api/wallboard/stream`` read on a thread: the events and whether it ended."""

    def __init__(self, port: int, cookie: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", "/api/wallboard/stream", headers={"Cookie": cookie})
        self.answer = self.conn.getresponse()
        assert self.answer.status == 200, self.answer.status
        self.events = 0
        self.ended = threading.Event()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        try:
            while line := self.answer.readline():
                self.events += line.startswith(b"event: wallboard")
        except OSError:
            pass
        self.ended.set()


def test_serve_with_the_web_console_as_deployed(sandbox: Sandbox, tmp_path: Path) -> None:
    folder = tmp_path / "deployed"
    db = demo_db_calling_only(folder, PEOPLE)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = deployment(sandbox, folder, port)

    weak, _ = konform(env, folder, "user", "add", "anna", "--role", "supervisor",
                      "--password-stdin", stdin="password1234\n")  # fmt: skip
    assert weak == 2, "a weak password is refused"
    password = secrets.token_urlsafe(18)
    code, out = konform(env, folder, "user", "add", "anna", "--role", "supervisor",
                        "--password-stdin", stdin=password + "\n")  # fmt: skip
    assert code == 0, out
    # The agent starts paused: serve dials nothing until the supervisor says so (below).
    code, out = konform(env, folder, "agent", "pause", "agent1")
    assert code == 0, out

    sandbox.set_agent_talk(AGENT_TALK_S)
    log = folder / "serve.log"
    proc = serve_deployed(env, folder)
    try:
        run_console(proc, db, base, port, password)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sandbox.set_agent_talk(sandbox.settings.agent_talk_s)
    text = log.read_text()
    logged = [json.loads(line) for line in text.splitlines()]  # every line one JSON object
    messages = [entry["message"] for entry in logged]
    assert f"web console on {base}/" in messages
    assert f"campaign {CAMPAIGN.name} resumed" in messages
    assert any(entry["logger"] == "konform.status" for entry in logged), "the status line"
    for number in PEOPLE:
        assert number not in text, "no plain number in the log"
    assert sandbox.ari_password not in text
    summary = (folder / "serve.out").read_text()
    assert summary == f"{CAMPAIGN.name}: 1 calls, human 1; abandoned 0\n", summary
    assert asyncio.run(konform_objects(sandbox)) == [], "nothing of konform left on the PBX"


def run_console(
    proc: subprocess.Popen[bytes], db: Path, base: str, port: int, password: str
) -> None:
    wait_for("answer from the console", lambda: answers(base), proc, 30)
    # Bound to loopback (the [web] host default), nowhere else.
    assert listening_addresses(port) == {"0100007F"}, listening_addresses(port)

    console = Console(base)
    assert console.login("anna", "not-" + password) == 401
    assert console.login("anna", password) == 200
    assert console.get("/api/me")["role"] == "supervisor"
    status, metrics, _ = console.request("GET", "/metrics")
    assert status == 200
    assert "konform_calls_total" in metrics, metrics[:500]
    board = console.get("/api/wallboard")
    assert [c["campaign"] for c in board["campaigns"]] == [CAMPAIGN.name]

    wait_for("the engine's paused agent", lambda: engine_sees(db, "agent1") == "paused", proc, 15)
    board = console.get("/api/wallboard")
    assert board["agents_by_state"]["paused"] == 1, board["agents_by_state"]

    # The supervisor pauses the campaign (refused without the CSRF token), then readies the
    # agent: the engine, which reads both in one poll, starts no call.
    path = f"/api/campaigns/{CAMPAIGN.name}/pause"
    assert console.request("POST", path, {}, csrf=False)[0] == 403
    status, paused, _ = console.request("POST", path, {})
    assert (status, paused) == (200, {"name": CAMPAIGN.name, "paused": True})
    status, ready, _ = console.request("POST", "/api/agents/agent1/state", {"state": "ready"})
    assert (status, ready["changed"]) == (200, True), ready
    wait_for("the engine's ready agent", lambda: engine_sees(db, "agent1") == "ready", proc, 15)
    time.sleep(STORE_POLL_S + 1)  # the engine's turns with a free agent and people to call
    assert attempts_of(db) == [], "no call while the campaign is paused"
    assert proc.poll() is None

    # Resume: the engine dials; the wallboard shows the live call.
    status, resumed, _ = console.request("POST", f"/api/campaigns/{CAMPAIGN.name}/resume", {})
    assert (status, resumed) == (200, {"name": CAMPAIGN.name, "paused": False})
    wait_for("call after the resume", lambda: attempts_of(db), proc, 20)
    board = console.get("/api/wallboard")
    (campaign,) = board["campaigns"]
    assert (campaign["paused"], campaign["lines_in_flight"]) == (False, 1), campaign
    (live,) = console.get("/api/calls/live")
    assert live["campaign"] == CAMPAIGN.name, live

    def bridged() -> bool:
        return any(r["bridged_at"] for r in attempts_of(db))

    wait_for("call bridged to the agent", bridged, proc, 40)
    (live,) = console.get("/api/calls/live")
    assert live["agent"] == "agent1", live

    # SIGTERM with a wallboard stream open, the call live: the call ends, then the console.
    stream = Stream(port, console.cookie)
    wait_for("wallboard event", lambda: stream.events, proc, 10)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert console.get("/api/me")["user"] == "anna", "the console answers while serve drains"
    assert proc.wait(timeout=60) == 0
    assert stream.ended.wait(5), "the wallboard stream ended with serve"
    stream.conn.close()
    (row,) = attempts_of(db)
    assert (row["outcome"], row["agent"]) == ("human", "agent1"), row
    assert row["ended_at"] is not None, "the live call finished before serve exited"
    assert listening_addresses(port) == set()
    assert port_free(port), "the console's port is free again"
    assert not answers(base)
