"""Issue 13 in the FastAGI routes: manual dials are attempts with an outcome (finding 7), the
dialplan dials exactly the number the gate judged (finding 11), no plain number in logs or
shipped Log() lines (finding 9), store work off the event loop and opt-outs that are never
confirmed before they are committed (finding 2). The test plays Asterisk's side of the socket.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sqlite3
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import konform.store.objection as objection
from agi import variables as v
from agi.routes import KonformRoutes
from agi.server import KonformAgi
from konform import gate
from konform.policy import Campaign
from konform.store import attempts, audit, callerids, campaigns, donotcall, manual_dials
from konform.store.consents import ConsentRow, record_consents
from konform.store.database import Store
from konform.store.objection import OptOuts
from konform.store.worker import StoreWorker
from tests.agi_fake import FakeAsterisk

CLOCK = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin
CALLER_ID = "+4930555000100"
CONSENTED = ("+49301110002", "+49301110003")
DIALPLAN = Path(__file__).resolve().parents[2] / "dialplan" / "pbx" / "extensions.conf"


@dataclass
class Service:
    port: int
    routes: KonformRoutes

    async def dial(self, number: str, campaign: str = "demo-energy", uid: str = "1.1") -> Any:
        fake = await FakeAsterisk.call(
            self.port,
            "precheck",
            agi_extension=number,
            agi_arg_1=campaign,
            agi_uniqueid=uid,
            agi_callerid="+49301234999",
        )
        return await fake.run()

    async def hang_up(self, attempt: str, dialstatus: str) -> None:
        fake = await FakeAsterisk.call(
            self.port, "outcome", agi_arg_1=attempt, agi_arg_2=dialstatus
        )
        await fake.run()


def _setup(store: Store) -> None:
    callerids.add(store, CALLER_ID, "Demo Energie GmbH")
    campaigns.add(store, Campaign("demo-energy", CALLER_ID, "energy-offer"))
    campaigns.add(store, Campaign("one-try", CALLER_ID, "energy-offer", max_attempts=1))
    given = datetime(2026, 1, 1, tzinfo=UTC)
    with store.transaction():
        record_consents(
            store,
            [
                ConsentRow(n, "energy-offer", given, given + timedelta(hours=1), None, "web")
                for n in CONSENTED
            ],
        )


async def _serve(store: Store, routes: KonformRoutes) -> AsyncIterator[Service]:
    app = KonformAgi(max_sessions=20)
    routes.install(app)
    server = await app.serve("127.0.0.1", 0)
    yield Service(server.sockets[0].getsockname()[1], routes)
    server.close()
    await server.wait_closed()
    await app.close()


@pytest.fixture
async def service(store: Store) -> AsyncIterator[Service]:
    _setup(store)
    async for running in _serve(store, KonformRoutes(store, "de", clock=lambda: CLOCK)):
        yield running


def attempt_rows(store: Store) -> list[tuple[Any, ...]]:
    return store.conn.execute(
        "SELECT id, number, source, state, channel_id, outcome FROM call_attempts ORDER BY id"
    ).fetchall()


# --- finding 7: manual dials are attempts ---------------------------------------------------
async def test_allowed_manual_dial_is_an_agent_attempt(service: Service, store: Store) -> None:
    """finding 7: the precheck's allowed dial writes an attempt (source agent, ringing, the
    channel's unique id) with the audit row, and hands its id to the dialplan."""
    fake = await service.dial("030 1110002".replace(" ", ""), uid="1764000000.42")
    assert fake.variables[v.DECISION] == "allow"
    ((attempt_id, number, source, state, channel, outcome),) = attempt_rows(store)
    assert (number, source, state, channel, outcome) == (
        "+49301110002",
        "agent",
        "ringing",
        "1764000000.42",
        None,
    )
    assert fake.variables[v.ATTEMPT] == str(attempt_id)
    assert [e["event"] for e in audit.entries(store, "+49301110002")] == ["policy_check"]
    # The decision is the last thing the dialplan reads: every other variable is set before.
    assert fake.commands[-1] == 'SET VARIABLE KONFORM_DECISION "allow"'


@pytest.mark.parametrize(
    ("dialstatus", "outcome"),
    [
        ("ANSWER", "human"),
        ("NOANSWER", "no_answer"),
        ("CANCEL", "no_answer"),
        ("BUSY", "busy"),
        ("CONGESTION", "failed"),
        ("CHANUNAVAIL", "failed"),
        ("", "failed"),
        ("SOMETHING", "failed"),
    ],
)
async def test_outcome_route_finishes_the_attempt(
    service: Service, store: Store, dialstatus: str, outcome: str
) -> None:
    """finding 7: the hangup handler's outcome route maps DIALSTATUS to the attempt's outcome."""
    fake = await service.dial("+49301110002")
    await service.hang_up(fake.variables[v.ATTEMPT], dialstatus)
    ((_, _, _, state, _, found),) = attempt_rows(store)
    assert found == outcome
    assert state == ("bridged" if outcome == "human" else "ringing")


async def test_outcome_route_leaves_other_attempts_alone(service: Service, store: Store) -> None:
    """finding 7: the outcome route finishes only open agents' attempts, once."""
    cid = campaigns.campaign_id(store, "demo-energy")
    assert cid is not None
    dialer = attempts.start(store, cid, "+49301110003")
    await service.hang_up(str(dialer), "ANSWER")
    await service.hang_up("not-a-number", "ANSWER")
    fake = await service.dial("+49301110002")
    await service.hang_up(fake.variables[v.ATTEMPT], "BUSY")
    await service.hang_up(fake.variables[v.ATTEMPT], "ANSWER")  # a late duplicate
    outcomes = {row[1]: row[5] for row in attempt_rows(store)}
    assert outcomes == {"+49301110003": None, "+49301110002": "busy"}


async def test_four_dials_with_max_attempts_one_allow_only_the_first(
    service: Service, store: Store
) -> None:
    """finding 7: four manual dials of one number with max_attempts 1: only the first passes."""
    decisions = []
    for i in range(4):
        fake = await service.dial("+49301110002", campaign="one-try", uid=f"1.{i}")
        decisions.append(fake.variables[v.DECISION])
        if v.ATTEMPT in fake.variables:
            await service.hang_up(fake.variables[v.ATTEMPT], "NOANSWER")
        else:
            assert "attempts_exhausted" in fake.variables[v.REASONS].split(",")
            assert fake.variables[v.PROMPTS].endswith("konform/blocked-attempts")
    assert decisions == ["allow", "block", "block", "block"]
    assert len(attempt_rows(store)) == 1


async def test_a_call_in_progress_blocks_a_second_dial(service: Service, store: Store) -> None:
    """finding 7: while an agent's call rings or talks, a second dial to the person is blocked
    (call_in_progress), and so is a dial while the dialer calls them; an attempt whose outcome
    never arrives stays open."""
    first = await service.dial("+49301110002", uid="1.1")
    second = await service.dial("+49301110002", uid="1.2")
    assert first.variables[v.DECISION] == "allow"
    assert second.variables[v.DECISION] == "block"
    assert "call_in_progress" in second.variables[v.REASONS].split(",")
    assert v.ATTEMPT not in second.variables
    cid = campaigns.campaign_id(store, "demo-energy")
    assert cid is not None
    attempts.start(store, cid, "+49301110003", CLOCK)  # the dialer is calling this one now
    third = await service.dial("+49301110003", uid="1.3")
    assert "call_in_progress" in third.variables[v.REASONS].split(",")
    assert [row[5] for row in attempt_rows(store)] == [None, None]


async def test_agent_hanging_up_during_the_precheck_ends_the_attempt(
    service: Service, store: Store
) -> None:
    """finding 7: an attempt opened for a channel that hangs up before Dial runs is ended
    (nobody was called), not left open to block the person."""
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    headers = {
        "agi_network_script": "precheck",
        "agi_extension": "+49301110002",
        "agi_arg_1": "demo-energy",
        "agi_uniqueid": "1.9",
    }
    writer.write("".join(f"{k}: {val}\n" for k, val in headers.items()).encode() + b"\n")
    await writer.drain()
    await asyncio.wait_for(reader.readline(), timeout=10)  # the first SET VARIABLE
    writer.write(b"HANGUP\n")
    await writer.drain()
    assert await asyncio.wait_for(reader.read(), timeout=10) == b""
    writer.close()
    await writer.wait_closed()
    ((_, _, _, _, _, outcome),) = attempt_rows(store)
    assert outcome == "no_answer"


# --- finding 11: dial exactly what the gate judged -----------------------------------------
async def test_precheck_hands_the_judged_number_to_the_dialplan(
    service: Service, store: Store
) -> None:
    """finding 11: KONFORM_NUMBER is the E.164 number the gate judged, for a national dial."""
    fake = await service.dial("0301110002")
    assert fake.variables[v.NUMBER] == "+49301110002"
    assert fake.variables[v.NUMBER_MASKED] == "+49…02"
    assert fake.variables["CALLERID(num)"] == CALLER_ID


@pytest.mark.parametrize(
    "extension", ["0301110002,60", "0301110002&PJSIP/x", "0301110002 ", "030-1110002", "０３０"]
)
async def test_precheck_refuses_a_dial_string_that_is_not_plain(
    service: Service, store: Store, extension: str
) -> None:
    """finding 11: anything but digits with an optional leading + is refused (invalid_number),
    even when the gate would normalise it to a number it allows."""
    fake = await service.dial(extension)
    assert fake.variables[v.DECISION] == "block"
    assert fake.variables[v.REASONS] == "invalid_number"
    assert v.NUMBER not in fake.variables
    assert v.ATTEMPT not in fake.variables
    assert attempt_rows(store) == []
    (entry,) = [e for e in audit.entries(store) if e["event"] == "policy_check"]
    assert entry["detail"]["allowed"] is False
    assert entry["number_key"] is None


# --- finding 2: store work off the event loop, opt-outs never confirmed before commit -------
async def test_store_work_runs_on_the_store_worker(
    service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 2: the routes' store calls run on the store worker's thread, not the loop's."""
    threads: list[str] = []
    real_check = gate.check

    def spying_check(*args: Any, **kwargs: Any) -> gate.Verdict:
        threads.append(threading.current_thread().name)
        return real_check(*args, **kwargs)

    monkeypatch.setattr(gate, "check", spying_check)
    await service.dial("+49301110002")
    assert len(threads) == 1
    assert threads[0].startswith("konform-store")


class FlakyOptOut:
    """``opt_out`` whose first ``failures`` commits fail as if the database were locked."""

    def __init__(self, failures: int = 1) -> None:
        self.failures = failures
        self.events: list[str] = []
        self.real = objection.opt_out

    def __call__(self, *args: Any, **kwargs: Any) -> bool:
        if self.events.count("fail") < self.failures:
            self.events.append("fail")
            raise sqlite3.OperationalError("database is locked")
        result = self.real(*args, **kwargs)
        self.events.append("committed")
        return result


@pytest.fixture
async def flaky(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[Service, FlakyOptOut]]:
    """A service whose opt-out commits fail at first (the retry runs every 50 ms)."""
    _setup(store)
    opt_out = FlakyOptOut()
    monkeypatch.setattr(objection, "opt_out", opt_out)
    worker = StoreWorker(store)
    routes = KonformRoutes(
        store,
        "de",
        clock=lambda: CLOCK,
        worker=worker,
        optouts=OptOuts(worker, retry_s=0.05),
        optout_confirm_wait_s=3.0,
    )
    async for running in _serve(store, routes):
        yield running, opt_out


async def test_optout_confirmed_only_after_the_retry_committed(
    flaky: tuple[Service, FlakyOptOut], store: Store
) -> None:
    """finding 2: the first commit fails; the confirmation plays only once a retry committed
    the objection, never on the number merely held in memory."""
    service, opt_out = flaky
    fake = await FakeAsterisk.call(service.port, "optout", agi_callerid="+49301110002")
    heard: list[tuple[str, bool]] = []
    fake.on_command = lambda command: heard.append(
        (command, donotcall.is_listed(store, "internal", "+49301110002"))
    )
    await fake.run(digits="9")
    assert opt_out.events == ["fail", "committed"]
    assert fake.variables[v.OPTED_OUT] == "yes"
    (confirmation,) = [h for h in heard if h[0] == 'STREAM FILE konform/optout-confirmed ""']
    assert confirmation[1], "the confirmation played before the opt-out was committed"
    assert "+49301110002" not in store.unsaved_objections


async def test_optout_that_never_lands_plays_no_confirmation_and_still_blocks(
    flaky: tuple[Service, FlakyOptOut], store: Store
) -> None:
    """finding 2: while the commit keeps failing the caller hears goodbye, not a promise;
    the number is blocked in memory at once (a manual dial to it is refused)."""
    service, opt_out = flaky
    opt_out.failures = 10**6
    service.routes.optout_confirm_wait_s = 0.3
    fake = await FakeAsterisk.call(service.port, "optout", agi_callerid="+49301110002")
    await fake.run(digits="9")
    assert fake.variables[v.OPTED_OUT] == "pending"
    assert 'STREAM FILE konform/goodbye ""' in fake.commands
    assert 'STREAM FILE konform/optout-confirmed ""' not in fake.commands
    assert not donotcall.is_listed(store, "internal", "+49301110002")
    dial = await service.dial("+49301110002")
    assert "dnc_internal" in dial.variables[v.REASONS].split(",")


async def test_callback_optout_failure_routes_nowhere(
    flaky: tuple[Service, FlakyOptOut], store: Store
) -> None:
    """finding 2: the callback line's opt-out follows the same rule: confirmation after the
    commit, and the caller who opted out is not put through to agents."""
    service, opt_out = flaky
    fake = await FakeAsterisk.call(
        service.port, "callback", agi_extension=CALLER_ID, agi_callerid="+49301110003"
    )
    await fake.run(digits="9")
    assert opt_out.events == ["fail", "committed"]
    assert fake.variables[v.ROUTE] == "done"
    assert fake.variables[v.NUMBER_MASKED] == "+49…03"
    assert 'STREAM FILE konform/optout-confirmed ""' in fake.commands


# --- finding 9: no plain number in logs ----------------------------------------------------
async def test_agi_logs_hold_no_plain_number(
    service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    """finding 9: the routes' own log lines show numbers masked, even unusable input."""
    caplog.set_level(logging.DEBUG)
    fake = await FakeAsterisk.call(service.port, "optout", agi_arg_1="+999 1234 5678")
    await fake.run(digits="9")
    assert fake.variables[v.OPTED_OUT] == "no"
    dial = await service.dial("+49301110002")
    await service.hang_up(dial.variables[v.ATTEMPT], "ANSWER")
    assert "opt-out route: no usable number" in caplog.text
    for digits in ("12345678", "1234 5678", "301110002"):
        assert digits not in caplog.text


_VAR = re.compile(r"\$\{([A-Za-z_]+(?:\([A-Za-z_]*\))?)")
# What a shipped Log() line may print: masked numbers, ids, decisions, the agent's endpoint.
_LOGGABLE = {
    "KONFORM_NUMBER_MASKED", "KONFORM_ATTEMPT", "KONFORM_DECISION", "KONFORM_REASONS",
    "KONFORM_ROUTE", "KONFORM_OPTED_OUT", "CHANNEL(endpoint)", "IF", "UNIQUEID", "AMDSTATUS",
    "AMDCAUSE", "START", "STRFTIME",
}  # fmt: skip


def test_shipped_log_lines_print_no_plain_number() -> None:
    """finding 9: the PBX dialplan's Log() lines print no caller's or callee's plain number:
    ${EXTEN} only where it is the PBX's own line (the callback line's dialled number) and
    CALLERID(num) only once it is the campaign's number (an allowed call). Log() prefixes its
    line with the extension, so Log() runs only in extension s or on the PBX's own lines."""
    logs = []
    context = exten = ""
    for line in DIALPLAN.read_text().splitlines():
        if line.startswith("["):
            context = line.strip("[]")
        elif line.startswith("exten =>"):
            exten = line.split("=>", 1)[1].split(",", 1)[0].strip()
        if "Log(" in line and not line.startswith(";"):
            logs.append(line)
            assert exten == "s" or context == "from-trunk", (context, exten, line)
    assert len(logs) >= 4
    for line in logs:
        names = set(_VAR.findall(line)) - _LOGGABLE
        if "KONFORM_CALLBACK|" in line:
            names -= {"EXTEN"}
        if "KONFORM_GATE|" in line:
            assert "?${CALLERID(num)}:-)" in line
            assert '"${KONFORM_DECISION}" = "allow"' in line
            names -= {"CALLERID(num)"}
        assert not names, (line, names)


def test_agents_dialplan_dials_the_judged_number_and_pushes_the_outcome_handler() -> None:
    """finding 11, 7 and 9: agents' calls dial ${KONFORM_NUMBER}, never ${EXTEN}; the hangup
    handler (the attempt's outcome) is pushed before the precheck runs; the call goes on in
    extension s, since Log() prefixes each line with the extension (the callee's number)."""
    text = DIALPLAN.read_text()

    def context(name: str) -> list[str]:
        section = text.split(f"[{name}]", 1)[1].split("\n[", 1)[0]
        return [line for line in section.splitlines() if line and not line.startswith(";")]

    outbound, call = context("agents-outbound"), context("konform-agent-call")
    for line in outbound + call:
        assert "${EXTEN}" not in line, line
    assert not any("Log(" in line for line in outbound)
    assert outbound[-1].endswith("Goto(konform-agent-call,s,1)")
    assert call[0].startswith("exten => s,1,")
    assert any("Dial(PJSIP/${KONFORM_NUMBER}@trunk," in line for line in call)
    push = next(i for i, line in enumerate(outbound) if "hangup_handler_push" in line)
    precheck = next(i for i, line in enumerate(outbound) if "/precheck," in line)
    assert push < precheck
    handler = context("konform-outcome")
    assert any("/outcome,${KONFORM_ATTEMPT},${DIALSTATUS})" in line for line in handler)
    assert "Return()" in handler[-1]


def test_dialstatus_mapping() -> None:
    """finding 7: DIALSTATUS values and their outcomes (case and blanks do not matter)."""
    assert manual_dials.outcome_of(" answer ") == "human"
    assert {s: manual_dials.outcome_of(s) for s in manual_dials.DIAL_OUTCOMES} == {
        "ANSWER": "human",
        "NOANSWER": "no_answer",
        "CANCEL": "no_answer",
        "BUSY": "busy",
        "CONGESTION": "failed",
        "CHANUNAVAIL": "failed",
    }
