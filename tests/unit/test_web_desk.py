"""The agent's desk against a real loopback server: the bridged call from the store, opt-out
now (the number on the list, its data erased, before the answer), the opt-out menu request,
wrap-up, and an erasure that takes the notes and dispositions with it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from konform.store import audit, donotcall, gdpr
from konform.store.database import open_store
from tests.unit.privacy_seed import NAME, NUMBER
from tests.unit.web_seed import SCRIPT, Console, accounts_db, audit_events, console, db

__all__ = ["accounts_db", "console", "db"]  # fixtures


def _live_attempt(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(
            conn.execute("SELECT id FROM call_attempts WHERE state = 'bridged'").fetchone()[0]
        )


async def test_the_desk_shows_the_bridged_call(console: Console) -> None:
    client, _ = await console.login("alice")
    desk = await (await client.get("/api/desk")).json()
    assert desk["agent"] == "agent1"
    call = desk["call"]
    assert call["campaign"] == "spring"
    assert call["client"] == "Stadtwerke Nord"
    assert call["contact"]["name"] == NAME
    assert call["contact"]["region"] == "DE-BE"
    assert call["contact"]["number"] != NUMBER
    assert call["contact"]["number"].endswith("67")
    assert call["script"] == SCRIPT.splitlines()
    assert call["recording"] is False
    assert call["recording_consent"] is False
    (earlier,) = call["history"]
    assert (earlier["disposition"], earlier["note"], earlier["agent"]) == (
        "callback",
        "call back after 18:00",
        "agent2",
    )
    assert "sale" in desk["dispositions"]
    other, _ = await console.login("bert")
    assert (await (await other.get("/api/desk")).json())["call"] is None


async def test_opt_out_now_lists_and_erases_before_it_answers(console: Console, db: Path) -> None:
    client, csrf = await console.login("alice")
    attempt = _live_attempt(db)
    response = await client.post(
        "/api/desk/optout", json={"attempt": attempt}, headers={"X-CSRF-Token": csrf}
    )
    assert await response.json() == {"done": True}
    store = open_store(db)
    try:
        assert donotcall.is_listed(store, "internal", NUMBER)
        assert gdpr.export(store, NUMBER)["contact"] is None
        notes = store.conn.execute("SELECT note, disposition FROM call_attempts").fetchall()
        assert set(notes) == {(None, None)}  # the erasure took the earlier note too
    finally:
        store.close()
    (optout,) = audit_events(db, "opt_out")
    assert optout["detail"]["source"] == "agent desk"
    assert optout["number_key"]
    again = await client.post(
        "/api/desk/optout", json={"attempt": attempt}, headers={"X-CSRF-Token": csrf}
    )
    assert again.status == 409


async def test_only_the_agent_on_the_call_may_act_on_it(console: Console, db: Path) -> None:
    client, csrf = await console.login("bert")
    response = await client.post(
        "/api/desk/optout", json={"attempt": _live_attempt(db)}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 403
    store = open_store(db)
    try:
        assert not donotcall.is_listed(store, "internal", NUMBER)
    finally:
        store.close()
    bad = await client.post(
        "/api/desk/optout", json={"attempt": "1"}, headers={"X-CSRF-Token": csrf}
    )
    assert bad.status == 400


async def test_the_opt_out_menu_is_a_request_for_the_engine(console: Console, db: Path) -> None:
    client, csrf = await console.login("alice")
    attempt = _live_attempt(db)
    response = await client.post(
        "/api/desk/optout-menu", json={"attempt": attempt}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 202
    assert await response.json() == {"queued": True}
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT attempt_id, command, requested_by, taken_at FROM call_commands"
        ).fetchall()
    assert rows == [(attempt, "optout_menu", "alice", None)]
    assert len(audit_events(db, "call_command_requested")) == 1


async def test_wrap_up_stores_disposition_and_note(console: Console, db: Path) -> None:
    client, csrf = await console.login("alice")
    attempt = _live_attempt(db)
    headers = {"X-CSRF-Token": csrf}
    bad = await client.post(
        "/api/desk/wrapup",
        json={"attempt": attempt, "disposition": "great", "note": ""},
        headers=headers,
    )
    assert bad.status == 400
    done = await client.post(
        "/api/desk/wrapup",
        json={"attempt": attempt, "disposition": "sale", "note": "wants the green tariff"},
        headers=headers,
    )
    assert await done.json() == {"done": True, "kept": True}
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT disposition, note FROM call_attempts WHERE id = ?", (attempt,)
        ).fetchone()
    assert row == ("sale", "wants the green tariff")
    (wrap,) = audit_events(db, "desk_wrap_up")
    assert "green" not in str(wrap)  # the audit keeps the note's length, not its text


async def test_the_desk_says_whether_the_call_is_recorded(console: Console, db: Path) -> None:
    attempt = _live_attempt(db)
    store = open_store(db)
    try:
        audit.record(store, "recording_consent", number=NUMBER, attempt=attempt, answer="yes")
        audit.record(store, "recording_started", number=NUMBER, attempt=attempt)
        audit.record(store, "recording_started", number=NUMBER, attempt=attempt + 100)
    finally:
        store.close()
    client, _ = await console.login("alice")
    call = (await (await client.get("/api/desk")).json())["call"]
    assert (call["recording_consent"], call["recording"]) == (True, True)


async def test_mailbox_is_a_request_for_the_engine(console: Console, db: Path) -> None:
    """The agent hears a mailbox: the request is stored and audited for the running engine,
    only for the agent's own live call."""
    other, other_csrf = await console.login("bert")
    attempt = _live_attempt(db)
    refused = await other.post(
        "/api/desk/mailbox", json={"attempt": attempt}, headers={"X-CSRF-Token": other_csrf}
    )
    assert refused.status == 403
    client, csrf = await console.login("alice")
    response = await client.post(
        "/api/desk/mailbox", json={"attempt": attempt}, headers={"X-CSRF-Token": csrf}
    )
    assert response.status == 202
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT attempt_id, command, requested_by FROM call_commands"
        ).fetchall()
        conn.execute("UPDATE call_attempts SET outcome = 'machine' WHERE id = ?", (attempt,))
    assert rows == [(attempt, "mailbox", "alice")]
    (requested,) = audit_events(db, "call_command_requested")
    assert requested["detail"]["command"] == "mailbox"
    over = await client.post(
        "/api/desk/mailbox", json={"attempt": attempt}, headers={"X-CSRF-Token": csrf}
    )
    assert over.status == 409
