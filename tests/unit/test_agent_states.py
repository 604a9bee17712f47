"""``konform agent ready|pause|logout|list`` and the store API the engine reads."""

from __future__ import annotations

from pathlib import Path

import pytest

from konform.store import agent_states, audit
from konform.store.database import Store, open_store
from tests.conftest import CliRunner


def _database(cli: CliRunner) -> None:
    assert cli("callerid", "add", "+49305550001").code == 0  # creates the database


def _configure(tmp_path: Path, agents: str) -> None:
    (tmp_path / "konform.toml").write_text(f'[dialer]\nagents = "{agents}"\n')


def test_operator_states_are_stored_and_audited(cli: CliRunner, tmp_path: Path) -> None:
    _database(cli)
    _configure(tmp_path, "alice,bob")
    ready = cli("agent", "ready", "alice")
    assert (ready.code, ready.out.strip(), ready.err) == (0, "agent alice ready", "")
    assert cli("agent", "pause", "bob").out.strip() == "agent bob paused"
    assert cli("agent", "logout", "alice").out.strip() == "agent alice logged out"
    assert cli("agent", "logout", "alice").out.strip() == "agent alice logged out already"
    with open_store(tmp_path / "konform.db") as store:
        assert agent_states.all(store) == {"alice": "logged_out", "bob": "paused"}
        events = [e for e in audit.entries(store) if e["event"] == "agent_state_set"]
    assert [
        (e["detail"]["agent"], e["detail"]["before"], e["detail"]["after"]) for e in events
    ] == [
        ("alice", None, "ready"),
        ("bob", None, "paused"),
        ("alice", "ready", "logged_out"),
    ]
    assert all("by" in e["detail"] and e["at"] for e in events)


def test_names_outside_the_configuration_warn_bad_names_are_refused(
    cli: CliRunner, tmp_path: Path
) -> None:
    _database(cli)
    _configure(tmp_path, "alice")
    carol = cli("agent", "ready", "carol-2.x_y")
    assert carol.code == 0
    assert "not in the [dialer] agents" in carol.err
    for bad in ("bad name", "a;b", "", "PJSIP/alice"):
        result = cli("agent", "pause", bad)
        assert result.code == 2, bad
        assert "PJSIP endpoint name" in result.err
        assert result.err.count("\n") == 1
    with open_store(tmp_path / "konform.db") as store:
        assert agent_states.all(store) == {"carol-2.x_y": "ready"}


def test_without_a_database_nothing_is_created(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("agent", "ready", "alice")
    assert result.code == 2
    assert "no database" in result.err
    assert not (tmp_path / "konform.db").exists()


def test_list_shows_operator_and_logged_states(cli: CliRunner, tmp_path: Path) -> None:
    _database(cli)
    _configure(tmp_path, "alice,dave")
    assert cli("agent", "pause", "alice").code == 0
    assert cli("agent", "ready", "bob").code == 0
    with open_store(tmp_path / "konform.db") as store, store.transaction() as conn:
        conn.executemany(
            "INSERT INTO agent_log (name, state, started_at, ended_at) VALUES (?, ?, ?, ?)",
            [
                ("bob", "ready", "2026-11-30T08:00:00+00:00", "2026-11-30T08:10:00+00:00"),
                ("bob", "in_call", "2026-11-30T08:10:00+00:00", None),
                ("erin", "wrap_up", "2026-11-30T08:11:00+00:00", None),
            ],
        )
    listed = cli("agent", "list", "--json")
    assert listed.code == 0
    rows = {r["name"]: r for r in listed.json()}
    assert list(rows) == ["alice", "bob", "dave", "erin"]
    assert set(rows["alice"]) == {
        "name",
        "state",
        "since",
        "logged_state",
        "logged_since",
        "configured",
    }
    assert (rows["alice"]["state"], rows["alice"]["configured"]) == ("paused", True)
    assert (rows["bob"]["state"], rows["bob"]["logged_state"]) == ("ready", "in_call")
    assert rows["bob"]["logged_since"] == "2026-11-30T08:10:00+00:00"
    assert rows["bob"]["configured"] is False
    assert (rows["dave"]["state"], rows["dave"]["logged_state"]) == (None, None)
    assert (rows["erin"]["state"], rows["erin"]["logged_state"]) == (None, "wrap_up")
    table = cli("agent", "list").out.splitlines()
    assert table[1].split("\t") == [
        "bob",
        "ready",
        rows["bob"]["since"],
        "in_call",
        "2026-11-30T08:10:00+00:00",
        "not configured",
    ]
    assert table[2].split("\t")[:2] == ["dave", "-"]


def test_store_api(store: Store) -> None:
    assert agent_states.all(store) == {}
    assert agent_states.set(store, "alice", "ready", by="op")
    assert not agent_states.set(store, "alice", "ready")
    assert agent_states.set(store, "alice", "paused")
    assert agent_states.all(store) == {"alice": "paused"}
    with pytest.raises(ValueError, match="state"):
        agent_states.set(store, "alice", "in_call")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="PJSIP"):
        agent_states.set(store, "al ice", "ready")
    assert agent_states.all(store) == {"alice": "paused"}
