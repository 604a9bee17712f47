"""The AMD guard on real SIP: far-end mailboxes with a late greeting and with a music bed
record what they receive after their greeting, and none of them holds any of our audio
(measured on the far end's own recording, not on the app's belief); people with a TV behind
them or a long company greeting stay connected and are bridged to an agent."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import pytest

from konform_sandbox.demo import (
    add_consenting_people,
    build_demo_store,
    call_all,
    demo_config,
    report,
)
from konform_sandbox.farend import far_end_calls, far_end_ends
from konform_sandbox.sandbox import Sandbox

pytestmark = pytest.mark.integration

LATE_MAILBOX = "+49301110020"
MUSIC_MAILBOX = "+49301110021"
TV_PERSON = "+49301110022"
BUSINESS_PERSON = "+49301110023"
NUMBERS = [LATE_MAILBOX, MUSIC_MAILBOX, TV_PERSON, BUSINESS_PERSON]


@pytest.fixture(scope="module")
def calls(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder = tmp_path_factory.mktemp("amd-guard")
    store = build_demo_store(folder)
    try:
        # The two mailboxes are callees of the demo sample already.
        add_consenting_people(store, folder, [TV_PERSON, BUSINESS_PERSON])
        results = asyncio.run(
            asyncio.wait_for(
                call_all(sandbox, store, demo_config(sandbox, folder), NUMBERS), timeout=180
            )
        )
        data = report(sandbox, store, results)
        with sqlite3.connect(store.path) as db:
            stages = dict(
                db.execute(
                    "SELECT channel_id, amd_stage FROM call_attempts WHERE channel_id IS NOT NULL"
                ).fetchall()
            )
    finally:
        store.close()
    by_number = {c["number"]: c for c in data["calls"]}
    for result in results:
        by_number[result.number]["detail"] = result.detail
    far = far_end_calls(sandbox)
    ends = far_end_ends(sandbox)
    return {
        "by_number": by_number,
        "far": {n: far[n][-1] for n in NUMBERS if n in far},
        "ends": {n: ends[n][-1] for n in NUMBERS if n in ends},
        "stages": stages,
    }


def stage(calls: dict[str, Any], number: str) -> str | None:
    amd = calls["by_number"][number]["detail"].get("amd") or {}
    result: str | None = amd.get("stage")
    return result


@pytest.mark.parametrize("number", [LATE_MAILBOX, MUSIC_MAILBOX])
def test_mailboxes_are_hung_up_on_and_record_none_of_our_audio(
    calls: dict[str, Any], number: str
) -> None:
    c = calls["by_number"][number]
    assert c["outcome"] == "machine", c
    far = calls["far"][number]
    assert far.voicemail_left is False, far  # what the mailbox recorded: nothing of ours
    assert far.voicemail_seconds == 0.0, far
    assert calls["ends"][number].answered


def test_the_late_mailbox_is_caught_by_the_guard_during_its_greeting(
    calls: dict[str, Any],
) -> None:
    """Silence first, so the first stage says a person waits; the guard hears the greeting
    talk on over the identification and hangs up well before the greeting (about 9 s) ends."""
    assert stage(calls, LATE_MAILBOX) == "guard"
    assert "guard" in calls["stages"].values()
    on_line = calls["ends"][LATE_MAILBOX].on_line_s
    assert on_line < 2.0 + 8.0, on_line  # 2 s of hiss, then less than the 9 s greeting


@pytest.mark.parametrize("number", [TV_PERSON, BUSINESS_PERSON])
def test_people_with_a_tv_or_a_long_company_greeting_stay_connected(
    calls: dict[str, Any], number: str
) -> None:
    c = calls["by_number"][number]
    assert c["outcome"] == "human", c
    assert c["detail"].get("agent"), c  # bridged to an agent
    assert stage(calls, number) == "first"
    assert calls["far"][number].voicemail_left is False
