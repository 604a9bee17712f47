"""``konform serve``'s new flags and the [dialer] settings the engine reads; an abandoned call
written as such, its person called again later (not done)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ari_app.dialer import Dialer
from konform.config import ConfigError, load_config
from konform.store.database import Store
from tests.conftest import CliRunner
from tests.fake_ari import FakeAri
from tests.unit.test_dialer_runtime import CAMPAIGN, PEOPLE, TUESDAY, config, read, seed


def test_a_ring_timeout_under_15_seconds_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ring_timeout must be at least 15"):
        load_config(env={"KONFORM_DIALER_RING_TIMEOUT": "14"})
    assert load_config(env={"KONFORM_DIALER_RING_TIMEOUT": "15"}).dialer.ring_timeout == 15


def test_engine_settings_and_their_defaults(tmp_path: Path) -> None:
    dialer = load_config(env={}).dialer
    assert (dialer.agent_hold, dialer.wrap_up, dialer.drain_timeout) == (2, 10, 120)
    file = tmp_path / "konform.toml"
    file.write_text("[dialer]\nagent_wait = 5\n")
    with pytest.raises(ConfigError, match="agent_wait is replaced by agent_hold"):
        load_config(file, env={})
    with pytest.raises(ConfigError, match="wrap_up must be 0 or more seconds"):
        load_config(env={"KONFORM_DIALER_WRAP_UP": "-1"})


@pytest.fixture
def serve_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("KONFORM_ARI_PASSWORD", "a-strong-password-for-tests")
    monkeypatch.setenv("KONFORM_DIALER_AGENTS", "agent1")
    monkeypatch.setenv("KONFORM_SANDBOX_DIR", str(tmp_path / "no-sandbox"))


@pytest.mark.usefixtures("serve_env")
def test_simulated_now_is_refused_unless_the_pbx_is_the_sandbox(cli: CliRunner) -> None:
    result = cli("serve", "--campaign", "x", "--simulated-now", "2026-11-24T10:00:00+01:00")
    assert result.code == 2
    assert "--simulated-now is for the sandbox only" in result.err
    assert result.err.count("\n") == 1


@pytest.mark.usefixtures("serve_env")
def test_simulated_now_must_be_an_instant(cli: CliRunner) -> None:
    result = cli("serve", "--campaign", "x", "--simulated-now", "tuesday")
    assert result.code == 2
    assert "not an ISO 8601 instant" in result.err
    result = cli("serve", "--campaign", "x", "--simulated-now", "2026-11-24T10:00:00")
    assert result.code == 2
    assert "needs a UTC offset" in result.err


@pytest.mark.usefixtures("serve_env")
def test_simulated_now_is_accepted_for_the_sandbox(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sandbox's address, user and generated password: past the check (to the database)."""
    folder = tmp_path / "no-sandbox"
    folder.mkdir()
    (folder / "secrets.json").write_text('{"ari_password": "a-strong-password-for-tests"}')
    monkeypatch.setenv("KONFORM_ARI_URL", "http://127.0.0.1:8088")
    result = cli("serve", "--campaign", "x", "--simulated-now", "2026-11-24T10:00:00+01:00")
    assert result.code == 2
    assert "no database" in result.err


def test_an_abandoned_call_is_marked_and_its_person_not_done(store: Store, tmp_path: Path) -> None:
    """No agent within the hold: abandoned on the attempt, the person heard the message, and the
    contact stays pending (called again after the spacing and 72 hours)."""
    seed(store)
    ari = FakeAri(unanswered={"agent1"})

    async def main() -> None:
        cfg = config(tmp_path)
        async with Dialer(ari, store, cfg, clock=lambda: TUESDAY, tap_factory=ari.tap) as dialer:
            dialer.originates.settle = 0
            await dialer.run_campaign(CAMPAIGN.name, [PEOPLE[0]])

    asyncio.run(main())
    assert read(store, "SELECT outcome, abandoned, answered_at IS NOT NULL FROM call_attempts") == [
        ("human", 1, 1)
    ]
    assert "sound:konform/no-agent" in ari.played()
    pending = read(store, "SELECT done_at FROM campaign_contacts WHERE number = ?", PEOPLE[0])
    assert pending == [(None,)]
