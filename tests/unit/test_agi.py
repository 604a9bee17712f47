"""The FastAGI server and routes, with the test playing Asterisk's side of the socket."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agi import variables as v
from agi.routes import KonformRoutes, prompts_for
from agi.server import AgiRequest, KonformAgi
from konform.policy import Campaign
from konform.store import audit, callerids, campaigns, donotcall
from konform.store.consents import ConsentRow, record_consents
from konform.store.database import Store
from tests.agi_fake import FakeAsterisk

CLOCK = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Berlin
CALLER_ID = "+4930555000100"


@pytest.fixture
async def agi(store: Store) -> AsyncIterator[tuple[KonformAgi, int]]:
    callerids.add(store, CALLER_ID, "Demo Energie GmbH")
    campaigns.add(store, Campaign("demo-energy", CALLER_ID, "energy-offer"))
    with store.transaction():
        record_consents(
            store,
            [
                ConsentRow(
                    "+49301110002",
                    "energy-offer",
                    datetime(2026, 1, 1, tzinfo=UTC),
                    datetime(2026, 1, 1, 1, tzinfo=UTC),
                    None,
                    "web",
                )
            ],
        )
    app = KonformAgi(max_sessions=20)
    app.header_timeout = 1.0
    KonformRoutes(store, "de", clock=lambda: CLOCK).install(app)
    server = await app.serve("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield app, port
    server.close()
    await server.wait_closed()
    await app.close()


async def test_precheck_allows_and_sets_the_campaign_caller_id(
    agi: tuple[KonformAgi, int], store: Store
) -> None:
    _, port = agi
    fake = await FakeAsterisk.call(
        port,
        "precheck",
        agi_extension="+49301110002",
        agi_arg_1="demo-energy",
        agi_callerid="+49301234999",
    )
    await fake.run()
    assert fake.variables[v.DECISION] == "allow"
    assert fake.variables[v.REASONS] == ""
    assert fake.variables["CALLERID(num)"] == CALLER_ID
    assert fake.variables["CALLERID(pres)"] == "allowed_not_screened"
    (entry,) = [e for e in audit.entries(store, "+49301110002") if e["event"] == "policy_check"]
    assert entry["detail"]["allowed"] is True


async def test_precheck_blocks_with_reasons_and_prompts(agi: tuple[KonformAgi, int]) -> None:
    _, port = agi
    fake = await FakeAsterisk.call(
        port, "precheck", agi_extension="+49301110007", agi_arg_1="demo-energy"
    )
    await fake.run()
    assert fake.variables[v.DECISION] == "block"
    assert fake.variables[v.REASONS] == "no_consent"
    assert fake.variables[v.PROMPTS] == "konform/blocked&konform/blocked-consent"
    assert "CALLERID(num)" not in fake.variables


async def test_precheck_unknown_campaign_blocks(agi: tuple[KonformAgi, int]) -> None:
    _, port = agi
    fake = await FakeAsterisk.call(port, "precheck", agi_extension="+49301110002", agi_arg_1="nope")
    await fake.run()
    assert fake.variables[v.DECISION] == "block"


async def test_optout_with_9_lists_the_number(agi: tuple[KonformAgi, int], store: Store) -> None:
    _, port = agi
    fake = await FakeAsterisk.call(port, "optout", agi_callerid="+49301110002")
    await fake.run(digits="9")
    assert fake.variables[v.OPTED_OUT] == "yes"
    assert donotcall.is_listed(store, "internal", "+49301110002")
    listed_at = fake.commands.index('STREAM FILE konform/optout-confirmed ""')
    assert listed_at > fake.commands.index('SET VARIABLE KONFORM_OPTED_OUT "yes"')


async def test_optout_other_key_changes_nothing(agi: tuple[KonformAgi, int], store: Store) -> None:
    _, port = agi
    fake = await FakeAsterisk.call(port, "optout", agi_arg_1="030 1110003")
    await fake.run(digits="5")
    assert fake.variables[v.OPTED_OUT] == "no"
    assert not donotcall.is_listed(store, "internal", "+49301110003")


async def test_callback_routes_to_agents_or_refuses(agi: tuple[KonformAgi, int]) -> None:
    _, port = agi
    fake = await FakeAsterisk.call(
        port, "callback", agi_extension=CALLER_ID, agi_callerid="+49301110002"
    )
    await fake.run(digits="")
    assert fake.variables[v.ROUTE] == "agents"
    assert 'STREAM FILE konform/callback-intro ""' in fake.commands
    unknown = await FakeAsterisk.call(
        port, "callback", agi_extension="+4930999999", agi_callerid="+49301110002"
    )
    await unknown.run()
    assert unknown.variables[v.ROUTE] == "unknown"


async def test_fifty_broken_connections_then_a_valid_session_and_no_busy_loop(
    agi: tuple[KonformAgi, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    app, port = agi
    broken = []
    for i in range(50):
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        if i % 3 == 0:  # half-open: part of a header, then close before the blank line
            writer.write(b"agi_network_script: precheck\nagi_chan")
            await writer.drain()
            writer.close()
        elif i % 3 == 1:  # garbage
            writer.write(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            await writer.drain()
        else:  # stalls: connects and says nothing
            pass
        broken.append(writer)
    fake = await FakeAsterisk.call(
        port, "precheck", agi_extension="+49301110002", agi_arg_1="demo-energy"
    )
    await asyncio.wait_for(fake.run(), timeout=10)
    assert fake.variables[v.DECISION] == "allow"
    # The stalled ones are dropped by the header timeout (1 s here).
    deadline = time.monotonic() + 10
    while app.active and time.monotonic() < deadline:  # noqa: ASYNC110 (a counter, no event)
        await asyncio.sleep(0.05)
    assert app.active == 0, "stalled connections were not dropped"
    assert app.dropped >= 50
    for writer in broken:
        writer.close()
    # Idle now: the event loop sleeps until its next timer instead of spinning (panoramisk kept
    # it busy at 100 % CPU). Each turn of the loop polls the selector once: count the polls.
    selector = vars(asyncio.get_running_loop())["_selector"]
    polls = 0
    poll = selector.select

    def counting(timeout: float | None = None) -> Any:
        nonlocal polls
        polls += 1
        return poll(timeout)

    monkeypatch.setattr(selector, "select", counting)
    await asyncio.sleep(0.5)
    monkeypatch.undo()
    assert polls < 20, f"the idle loop turned {polls} times in half a second"


async def test_plain_function_routes_work_on_python_311(agi: tuple[KonformAgi, int]) -> None:
    app, port = agi
    seen: list[str] = []

    def plain(request: AgiRequest) -> None:
        seen.append(request.headers["agi_network_script"])

    app.add_route("plain", plain)
    fake = await FakeAsterisk.call(port, "plain")
    await fake.run()
    assert seen == ["plain"]
    with pytest.raises(ValueError, match="exists already"):
        app.add_route("plain", plain)


def test_prompts_per_reason_group() -> None:
    assert prompts_for(["robinson", "outside_hours"]) == (
        "konform/blocked&konform/blocked-dnc&konform/blocked-time"
    )
    assert prompts_for([]) == "konform/blocked"


def test_prompt_files_exist_for_every_reason_prompt() -> None:
    root = Path(__file__).resolve().parents[2] / "prompts"
    names = prompts_for(
        [
            "invalid_number",
            "dnc_internal",
            "no_consent",
            "sunday",
            "caller_id_not_owned",
            "attempts_exhausted",
        ]
    ).split("&")
    for lang in ("de", "en"):
        for name in [*names, "konform/callback-intro", "konform/callback-optout"]:
            assert (root / lang / f"{name.split('/')[1]}.wav").is_file(), (lang, name)
