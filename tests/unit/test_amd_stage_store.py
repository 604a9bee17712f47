"""The attempt records which AMD stage decided (call_attempts.amd_stage), written through the
one write path of a call (konform.store.calls.finish)."""

from __future__ import annotations

from pathlib import Path

from konform.store import calls
from konform.store.calls import Attempt
from konform.store.database import Store
from tests.unit.test_dialer_runtime import CAMPAIGN, PEOPLE, TUESDAY, config, read, seed


def admitted(store: Store, tmp_path: Path, call_id: str, number: str) -> Attempt:
    attempt = calls.admit(
        store, CAMPAIGN, number, call_id=call_id, at=TUESDAY, config=config(tmp_path)
    )
    assert isinstance(attempt, Attempt)
    return attempt


def test_the_stage_that_decided_is_recorded(store: Store, tmp_path: Path) -> None:
    seed(store)
    guard = admitted(store, tmp_path, "kguard", PEOPLE[0])
    first = admitted(store, tmp_path, "kfirst", PEOPLE[1])
    unknown = admitted(store, tmp_path, "knone", PEOPLE[2])
    amd = {"label": "machine", "at_ms": 3300, "reason": "guard_beep"}
    calls.finish(store, guard, "machine", {"amd": {**amd, "stage": "guard"}}, TUESDAY)
    calls.finish(store, first, "machine", {"amd": {**amd, "stage": "first"}}, TUESDAY)
    calls.finish(store, unknown, "failed", {}, TUESDAY)
    rows = read(store, "SELECT channel_id, amd_stage FROM call_attempts ORDER BY id")
    assert rows == [("kguard", "guard"), ("kfirst", "first"), ("knone", None)]
