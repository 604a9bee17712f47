"""A campaign's team of agents (``campaign add/set --agents``): stored, shown, audited with
before and after; an endpoint not in ``[dialer] agents`` is refused with one line, exit 2 and
nothing written; ``all`` or nothing is every agent (the shared pool, as before)."""

from __future__ import annotations

from pathlib import Path

import pytest

from konform.store import audit, campaigns
from konform.store.database import Store, open_store
from tests.conftest import CliRunner

CALLER = "+49305550001"


@pytest.fixture
def team_cli(cli: CliRunner, tmp_path: Path) -> CliRunner:
    """The CLI with three agents configured and an owned caller ID."""
    (tmp_path / "konform.toml").write_text('[dialer]\nagents = "e1, e2, e3"\n', encoding="utf-8")
    assert cli("callerid", "add", CALLER).code == 0
    return cli


def _add(cli: CliRunner, name: str, *options: str) -> tuple[int, str, str]:
    result = cli("campaign", "add", name, "--caller-id", CALLER, "--purpose", "sales", *options)
    return result.code, result.out, result.err


def _open(tmp_path: Path) -> Store:
    return open_store(tmp_path / "konform.db")


def _events(tmp_path: Path, event: str) -> list[dict[str, object]]:
    with _open(tmp_path) as store:
        return [e for e in audit.entries(store) if e["event"] == event]


def test_add_stores_the_team_shows_and_audits_it(team_cli: CliRunner, tmp_path: Path) -> None:
    code, out, err = _add(team_cli, "spring", "--agents", "e2, e1,e2")
    assert code == 0, err
    assert "agents e1,e2" in out
    assert _add(team_cli, "summer")[0] == 0
    with _open(tmp_path) as store:
        assert campaigns.settings(store, "spring").agents == ("e1", "e2")
        assert campaigns.settings(store, "summer").agents == ()
    assert "agents: e1,e2" in team_cli("campaign", "show", "spring").out.splitlines()
    assert "agents: all" in team_cli("campaign", "show", "summer").out.splitlines()
    added = {e["campaign"]: e["detail"] for e in _events(tmp_path, "campaign_added")}
    assert added["spring"]["agents"] == "e1,e2"  # type: ignore[index]
    assert added["summer"]["agents"] is None  # type: ignore[index]


def test_set_changes_the_team_audited_with_before_and_after(
    team_cli: CliRunner, tmp_path: Path
) -> None:
    assert _add(team_cli, "spring")[0] == 0
    result = team_cli("campaign", "set", "spring", "--agents", "e3,e1")
    assert result.code == 0, result.err
    assert "agents all -> e1,e3" in result.out
    result = team_cli("campaign", "set", "spring", "--agents", "e1,e3")
    assert result.out.strip() == "campaign spring unchanged"
    result = team_cli("campaign", "set", "spring", "--agents", "all")
    assert "agents e1,e3 -> all" in result.out
    with _open(tmp_path) as store:
        assert campaigns.settings(store, "spring").agents == ()
    changes = [e["detail"]["changes"] for e in _events(tmp_path, "campaign_changed")]  # type: ignore[index]
    assert changes == [
        {"agents": {"before": None, "after": "e1,e3"}},
        {"agents": {"before": "e1,e3", "after": None}},
    ]
    # An empty --agents is the shared pool too.
    assert team_cli("campaign", "set", "spring", "--agents", "e2").code == 0
    assert team_cli("campaign", "set", "spring", "--agents", "").code == 0
    with _open(tmp_path) as store:
        assert campaigns.settings(store, "spring").agents == ()


@pytest.mark.parametrize(
    ("agents", "words"),
    [
        ("e1,e9", "e9 not among the agents of [dialer] agents (e1, e2, e3)"),
        ("all,e1", "'all' (every agent) cannot be combined"),
    ],
)
def test_an_unknown_endpoint_is_refused_and_nothing_written(
    team_cli: CliRunner, tmp_path: Path, agents: str, words: str
) -> None:
    code, _, err = _add(team_cli, "spring", "--agents", agents)
    assert code == 2
    assert words in err
    assert err.count("\n") == 1
    assert team_cli("campaign", "list").out == ""
    assert _add(team_cli, "spring")[0] == 0
    listed = team_cli("campaign", "list").out
    # A valid change given with the bad team is not written either.
    result = team_cli("campaign", "set", "spring", "--weight", "3", "--agents", agents)
    assert result.code == 2
    assert words in result.err
    assert result.err.count("\n") == 1
    assert team_cli("campaign", "list").out == listed
    assert _events(tmp_path, "campaign_changed") == []


def test_without_configured_agents_any_team_is_refused(cli: CliRunner) -> None:
    assert cli("callerid", "add", CALLER).code == 0
    code, _, err = _add(cli, "spring", "--agents", "e1")
    assert code == 2
    assert "[dialer] agents (none)" in err


def test_store_refuses_names_that_are_not_endpoints(store: Store) -> None:
    with pytest.raises(ValueError, match="not an endpoint name"):
        campaigns.check_settings(campaigns.CampaignSettings(agents=("e 1",)))
    assert campaigns.parse_agents(" all ") == ()
    assert campaigns.parse_agents("b,a,,b") == ("a", "b")
    assert campaigns.agents_text(["b", "a"]) == "a,b"
    assert campaigns.agents_text([]) is None
