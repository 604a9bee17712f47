"""FastAGI through the real sandbox: agents' manual calls through the gate, the callback line
and the opt-out line, with the far end and the agents' phones as the other parties.

Issue 13: an agent's allowed call is an attempt whose outcome comes from the dialplan's hangup
handler (finding 7), a dial string with a comma is refused (finding 11), and the PBX's Log()
lines hold no plain number (finding 9)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agi.server import KonformAgi
from agi.service import start_agi
from konform.config import Config
from konform.numbers import masked
from konform.store import donotcall
from konform.store.consents import ConsentRow, record_consents
from konform.store.database import open_store
from konform_sandbox.demo import CALLER_ID, DEMO_CLOCK, build_demo_store
from konform_sandbox.farend import voiced_seconds
from konform_sandbox.sandbox import Sandbox

pytestmark = pytest.mark.integration

ALLOWED = "+49301110010"  # consent given below; the far end answers as a person
BLOCKED = "+49301110007"  # no consent
OPTING_OUT = "+49301110001"  # the far end's caller on the opt-out line
CALLING_BACK = "+49301110002"  # the far end's caller on the callback line
WITH_COMMA = "0301110011"  # dialled by agent1 as "0301110011,60"


def wait_for(what: str, check: Callable[[], Any], timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout:.0f} s waiting for {what}", pytrace=False)


@pytest.fixture(scope="module")
def agi_db(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The FastAGI service on the sandbox's AGI port, in a thread, on a demo database."""
    folder = tmp_path_factory.mktemp("agi")
    store = build_demo_store(folder)
    with store.transaction():
        record_consents(
            store,
            [
                ConsentRow(
                    ALLOWED,
                    "energy-offer",
                    datetime(2026, 1, 1, tzinfo=UTC),
                    datetime(2026, 1, 1, 1, tzinfo=UTC),
                    None,
                    "web",
                )
            ],
        )
    loop = asyncio.new_event_loop()
    started = threading.Event()
    failure: list[BaseException] = []
    servers: list[asyncio.Server] = []
    apps: list[KonformAgi] = []

    def run() -> None:
        asyncio.set_event_loop(loop)
        try:
            server, app = loop.run_until_complete(
                start_agi(
                    store,
                    Config(),
                    sandbox.settings.agi_host,
                    sandbox.settings.agi_port,
                    clock=lambda: DEMO_CLOCK,
                )
            )
            servers.append(server)
            apps.append(app)
        except BaseException as exc:  # reported to the test thread
            failure.append(exc)
        started.set()
        if not failure:
            loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    if failure:
        pytest.fail(f"FastAGI service did not start: {failure[0]}", pytrace=False)
    yield store.path

    async def shut_down() -> None:
        for server in servers:
            server.close()
            await server.wait_closed()
        for app in apps:
            await app.close()

    asyncio.run_coroutine_threadsafe(shut_down(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()
    store.close()


@pytest.fixture(scope="module")
def calls(sandbox: Sandbox, agi_db: Path) -> dict[str, Any]:
    """Start all four scenarios at once; the tests then wait for their own evidence."""
    heard = "/var/spool/konform/phones/heard-blocked.wav"
    sandbox.host_path(heard).unlink(missing_ok=True)
    phones, farend = sandbox.phones(), sandbox.farend()
    phones.cli(f"channel originate Local/{ALLOWED}@agent1-calls application Wait 8")
    phones.cli(f"channel originate Local/{BLOCKED}@agent2-calls application Record {heard},0,15,k")
    farend.cli(f"channel originate Local/{CALLER_ID}@call-pbx application Wait 25")
    farend.cli(
        f"channel originate Local/{sandbox.settings.optout_line}@call-pbx-press9"
        " application Wait 25"
    )
    phones.cli(f"channel originate Local/{WITH_COMMA}@agent1-comma application Wait 8")
    return {"heard": sandbox.host_path(heard), "db": agi_db}


def test_agent_call_reaches_far_end_with_campaign_number(
    sandbox: Sandbox, calls: dict[str, Any]
) -> None:
    entry = wait_for(
        f"the far end to receive {ALLOWED}",
        lambda: [e for e in sandbox.farend_log() if e.get("number") == ALLOWED],
    )
    assert entry[-1]["cid_num"] == CALLER_ID, "the phone's own caller ID was not overridden"
    assert entry[-1]["pres"].startswith("allowed")
    assert not entry[-1]["privacy"]
    gate = wait_for(
        "the gate's log line",
        lambda: [e for e in sandbox.pbx_log("KONFORM_GATE") if e.get("number") == masked(ALLOWED)],
    )
    assert gate[-1]["decision"] == "allow"
    assert gate[-1]["cid"] == CALLER_ID
    assert gate[-1]["attempt"]


def test_agent_call_is_an_attempt_with_its_outcome_from_the_hangup_handler(
    sandbox: Sandbox, calls: dict[str, Any]
) -> None:
    """finding 7: the allowed manual dial is an agent's attempt on the agent's channel; when
    the phone hangs up after talking, the hangup handler gives it the outcome human."""

    def finished() -> list[tuple[Any, ...]]:
        store = open_store(calls["db"])
        try:
            return store.conn.execute(
                "SELECT id, source, channel_id, outcome, state FROM call_attempts"
                " WHERE number = ? AND outcome IS NOT NULL",
                (ALLOWED,),
            ).fetchall()
        finally:
            store.close()

    ((attempt, source, channel, outcome, state),) = wait_for(
        "the attempt's outcome from the hangup handler", finished, timeout=40
    )
    assert (source, outcome, state) == ("agent", "human", "bridged")
    assert channel
    gate = [e for e in sandbox.pbx_log("KONFORM_GATE") if e.get("number") == masked(ALLOWED)]
    assert gate[-1]["attempt"] == str(attempt)


def test_dial_string_with_a_comma_is_refused(sandbox: Sandbox, calls: dict[str, Any]) -> None:
    """finding 11: "0301110011,60" is not judged as +49301110011 and dialled raw: refused."""
    gate = wait_for(
        "the gate's refusal of the dial string with a comma",
        lambda: [
            e
            for e in sandbox.pbx_log("KONFORM_GATE")
            if e.get("agent") == "agent1" and e.get("reasons") == "invalid_number"
        ],
    )
    assert gate[-1]["decision"] == "block"
    assert not gate[-1]["attempt"]
    time.sleep(2)  # time for a call that should not happen to arrive
    assert not [e for e in sandbox.farend_log() if WITH_COMMA[1:] in e.get("number", "")]


def test_blocked_agent_call_never_reaches_far_end_and_agent_hears_why(
    sandbox: Sandbox, calls: dict[str, Any]
) -> None:
    gate = wait_for(
        "the gate's decision",
        lambda: [e for e in sandbox.pbx_log("KONFORM_GATE") if e.get("number") == masked(BLOCKED)],
    )
    assert gate[-1]["decision"] == "block"
    assert gate[-1]["reasons"] == "no_consent"
    heard: Path = calls["heard"]
    wait_for(
        "the agent's recording of what it heard",
        lambda: heard.is_file() and voiced_seconds(heard) > 2.0,
        timeout=40,
    )
    assert not [e for e in sandbox.farend_log() if e.get("number") == BLOCKED]


def test_inbound_call_to_displayed_number_reaches_callback_route(
    sandbox: Sandbox, calls: dict[str, Any]
) -> None:
    routed = wait_for(
        "the callback route's decision",
        lambda: [e for e in sandbox.pbx_log("KONFORM_CALLBACK") if e.get("route")],
    )
    assert routed[-1]["dialled"] == CALLER_ID
    assert routed[-1]["route"] == "agents"


def test_pressing_9_on_the_optout_line_lists_the_number(calls: dict[str, Any]) -> None:
    def listed() -> bool:
        store = open_store(calls["db"])
        try:
            return donotcall.is_listed(store, "internal", OPTING_OUT)
        finally:
            store.close()

    wait_for(f"{OPTING_OUT} on the internal objection list", listed, timeout=40)


def test_pbx_log_lines_hold_no_plain_number(sandbox: Sandbox, calls: dict[str, Any]) -> None:
    """finding 9: the Log() lines konform's dialplan writes show every caller and callee
    masked (the numbers appear, masked, so the lines were written); nothing else in the PBX's
    messages.log shows them either."""
    wait_for(
        "every scenario's log line",
        lambda: (
            sandbox.pbx_log("KONFORM_OPTOUT_LINE")
            and [e for e in sandbox.pbx_log("KONFORM_CALLBACK") if e.get("route")]
            and len(sandbox.pbx_log("KONFORM_GATE")) >= 3
        ),
        timeout=40,
    )
    assert sandbox.pbx_log("KONFORM_OPTOUT_LINE")[-1]["caller"] == masked(OPTING_OUT)
    callback = [e for e in sandbox.pbx_log("KONFORM_CALLBACK") if e.get("route")]
    assert callback[-1]["caller"] == masked(CALLING_BACK)
    log = sandbox.pbx().log_dir / "messages.log"
    lines = log.read_text(errors="replace").splitlines()
    assert any("KONFORM_GATE|" in line for line in lines)
    for number in (ALLOWED, BLOCKED, OPTING_OUT, CALLING_BACK, WITH_COMMA):
        national = number[3:] if number.startswith("+49") else number[1:]
        leaks = [line for line in lines if national in line]
        assert not leaks, leaks
