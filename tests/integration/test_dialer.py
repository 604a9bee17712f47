"""The outbound dialer end to end on the real sandbox: every far-end behaviour, checked against
the far end's own log. The demo campaign's calls run concurrently, once per session."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from konform.cli.main import main
from konform_sandbox.demo import (
    CALLER_ID,
    DEMO_NUMBERS,
    build_demo_store,
    call_all,
    demo_config,
    report,
)
from konform_sandbox.farend import voiced_seconds
from konform_sandbox.sandbox import Sandbox

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def campaign(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("dialer")
    store = build_demo_store(folder)
    try:
        results = asyncio.run(
            asyncio.wait_for(
                call_all(sandbox, store, demo_config(sandbox, folder), DEMO_NUMBERS), timeout=240
            )
        )
        data = report(sandbox, store, results)
    finally:
        store.close()
    data["by_number"] = {c["number"]: c for c in data["calls"]}
    return data


def call(campaign: dict[str, Any], number: str) -> dict[str, Any]:
    result: dict[str, Any] = campaign["by_number"][number]
    return result


def test_every_call_that_reached_the_far_end_showed_the_campaign_number(
    campaign: dict[str, Any],
) -> None:
    reached = [c for c in campaign["calls"] if c["far_end"] is not None]
    assert len(reached) == 8, [c["number"] for c in reached]
    for c in reached:
        far = c["far_end"]
        assert far["caller_id"] == CALLER_ID, c
        assert far["presentation"].startswith("allowed"), c
        assert far["privacy"] is None, c
        assert far["pai"], c
        assert CALLER_ID in far["pai"], c


def test_person_who_presses_1_is_recorded(campaign: dict[str, Any]) -> None:
    c = call(campaign, "+49301110001")
    assert c["outcome"] == "human"
    assert c["recording_consent"] is True
    recording = Path(c["recording"])
    assert recording.is_absolute()
    assert recording.is_file()
    assert recording.parent.stat().st_mode & 0o777 == 0o700
    assert voiced_seconds(recording) > 1.0, "the recording holds the conversation"


def test_person_who_presses_nothing_is_not_recorded(campaign: dict[str, Any]) -> None:
    c = call(campaign, "+49301110002")
    assert c["outcome"] == "human"
    assert c["recording_consent"] is False
    assert c["recording"] is None


def test_opt_out_after_the_agent_hangs_up(campaign: dict[str, Any]) -> None:
    c = call(campaign, "+49301110003")
    assert c["outcome"] == "human"
    assert c["opted_out"] is True
    assert c["recording"] is None


def test_opted_out_number_is_then_blocked(
    campaign: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    capsys.readouterr()
    code = main(
        [
            "--db",
            campaign["db"],
            "policy",
            "check",
            "--campaign",
            "demo-energy",
            "--number",
            "+49301110003",
            "--json",
        ]
    )
    assert code == 0
    codes = [r["code"] for r in json.loads(capsys.readouterr().out)["reasons"]]
    assert "dnc_internal" in codes


def test_mailbox_is_hung_up_on_and_gets_nothing(campaign: dict[str, Any]) -> None:
    c = call(campaign, "+49301110004")
    assert c["outcome"] == "machine"
    assert c["recording"] is None
    assert c["recording_consent"] is False
    assert c["far_end"]["voicemail_left"] is False


def test_hard_mailboxes_record_nothing_of_ours(campaign: dict[str, Any]) -> None:
    """Issue 16: a mailbox that greets after 2 s of silence (the first stage says "person",
    the guard catches the greeting over our identification) and one over a music bed are hung
    up on; what each mailbox recorded after its greeting and beep holds none of our audio
    (measured on the far end's own recording, not on the app's belief)."""
    for number in ("+49301110020", "+49301110021"):
        c = call(campaign, number)
        assert c["outcome"] == "machine", c
        assert c["recording"] is None, c
        assert c["far_end"]["voicemail_left"] is False, c


def test_no_answer_and_busy(campaign: dict[str, Any]) -> None:
    assert call(campaign, "+49301110005")["outcome"] == "no_answer"
    assert call(campaign, "+49301110006")["outcome"] == "busy"


def test_blocked_numbers_never_reach_the_far_end(campaign: dict[str, Any]) -> None:
    expected = {
        "+49301110007": "no_consent",
        "+49301110008": "robinson",
        "+49301110009": "dnc_internal",
        "112": "invalid_number",
    }
    for number, code in expected.items():
        c = call(campaign, number)
        assert c["outcome"] == "blocked", c
        assert code in c["reasons"], c
        assert c["far_end"] is None, c


def test_every_attempt_has_one_outcome_in_the_store(campaign: dict[str, Any]) -> None:
    import sqlite3

    conn = sqlite3.connect(campaign["db"])
    rows = conn.execute("SELECT outcome, count(*) FROM call_attempts GROUP BY outcome").fetchall()
    conn.close()
    counts = dict(rows)
    assert counts == {"human": 3, "machine": 3, "no_answer": 1, "busy": 1, "blocked": 3}


def test_nothing_of_the_calls_is_left_on_the_pbx(
    campaign: dict[str, Any], sandbox: Sandbox
) -> None:
    """Every channel (callee, snoop, externalMedia, agent) and bridge of the campaign is gone:
    a machine's snoop channel ends with the callee it snooped on, without being asked."""
    from konform_sandbox.demo import sandbox_ari

    async def leftovers() -> list[str]:
        async with sandbox_ari(sandbox) as ari:
            for _ in range(50):
                channels = [c["id"] for c in await ari.get("/channels") if c["id"][:1] == "k"]
                bridges = [b["id"] for b in await ari.get("/bridges") if b["id"][:1] == "k"]
                if not channels and not bridges:
                    return []
                await asyncio.sleep(0.1)
            return channels + bridges

    assert asyncio.run(leftovers()) == []
