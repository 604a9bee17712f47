"""``konform user role NAME --role R [--agent E]``: another role without remove and add again,
audited with before and after, the account's sessions ended; bad input refused, nothing written."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from konform.store import audit, users
from konform.store.database import open_store
from tests.conftest import CliRunner

STRONG = "Lindenblüte-im-Mai"


def _add_agent(cli: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(STRONG + "\n"))
    added = cli("user", "add", "anna", "--role", "agent", "--agent", "agent1", "--password-stdin")
    assert added.code == 0, added.err


def test_role_changes_are_audited_and_end_the_sessions(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _add_agent(cli, monkeypatch)
    with open_store(tmp_path / "konform.db") as store:
        user = users.get(store, "anna")
        assert user is not None
        users.create_session(store, user, hours=8)
    changed = cli("user", "role", "anna", "--role", "supervisor")
    assert changed.code == 0, changed.err
    assert changed.out.strip() == "user anna: role supervisor, sessions ended"
    (row,) = cli("user", "list", "--json").json()
    assert (row["role"], row["agent"]) == ("supervisor", None)  # only agents have a phone
    with open_store(tmp_path / "konform.db") as store:
        assert store.conn.execute("SELECT count(*) FROM web_sessions").fetchone()[0] == 0
        (entry,) = [e for e in audit.entries(store) if e["event"] == "user_role_set"]
        assert entry["detail"]["before"] == {"role": "agent", "agent": "agent1"}
        assert entry["detail"]["after"] == {"role": "supervisor", "agent": None}


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("ben", "--role", "dpo"), "no user named 'ben'"),
        (("anna", "--role", "agent"), "--agent"),
        (("anna", "--role", "agent", "--agent", "bad endpoint;"), "agent"),
    ],
)
def test_bad_role_changes_write_nothing(
    cli: CliRunner,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    args: tuple[str, ...],
    why: str,
) -> None:
    _add_agent(cli, monkeypatch)
    monkeypatch.setattr("sys.stdin", io.StringIO(STRONG + "\n"))
    cli("user", "add", "carl", "--role", "admin", "--password-stdin")
    result = cli("user", "role", *args)
    assert result.code == 2
    assert why in result.err
    assert len(result.err.strip().splitlines()) == 1
    with open_store(tmp_path / "konform.db") as store:
        assert not [e for e in audit.entries(store) if e["event"] == "user_role_set"]
        anna = users.get(store, "anna")
        assert anna is not None
        assert (anna.role, anna.agent) == ("agent", "agent1")
