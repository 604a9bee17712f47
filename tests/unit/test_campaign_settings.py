"""Campaign pacing settings, ``campaign set``, pause and resume: stored, listed, audited, and
refused with one line and nothing written when out of bounds."""

from __future__ import annotations

from pathlib import Path

import pytest

from konform.policy import Campaign
from konform.store import audit, campaigns
from konform.store.database import Store, open_store
from tests.conftest import CliRunner

CALLER = "+49305550001"


def _owned(cli: CliRunner) -> None:
    assert cli("callerid", "add", CALLER).code == 0


def _add(cli: CliRunner, name: str, *options: str) -> int:
    return cli("campaign", "add", name, "--caller-id", CALLER, "--purpose", "sales", *options).code


def _open(tmp_path: Path) -> Store:
    return open_store(tmp_path / "konform.db")


def _events(tmp_path: Path, event: str) -> list[dict[str, object]]:
    with _open(tmp_path) as store:
        return [e for e in audit.entries(store) if e["event"] == event]


def test_add_with_pacing_is_stored_listed_and_audited(cli: CliRunner, tmp_path: Path) -> None:
    _owned(cli)
    code = _add(
        cli, "spring", "--pacing", "predictive", "--abandon-target", "0.02", "--weight", "2.5"
    )
    assert code == 0
    assert _add(cli, "summer") == 0
    with _open(tmp_path) as store:
        assert campaigns.settings(store, "spring") == campaigns.CampaignSettings(
            "predictive", 1.0, 0.02, 2.5, False
        )
        assert campaigns.settings(store, "summer") == campaigns.CampaignSettings()
        assert not campaigns.is_paused(store, "spring")
    lines = cli("campaign", "list").out.splitlines()
    assert lines[0].split("\t")[7:] == ["predictive", "1", "0.02", "2.5", "active"]
    assert lines[1].split("\t")[7:] == ["progressive", "1", "0.03", "1", "active"]
    (added,) = [e for e in _events(tmp_path, "campaign_added") if e["campaign"] == "spring"]
    detail = added["detail"]
    assert isinstance(detail, dict)
    assert (detail["pacing"], detail["abandon_target"], detail["weight"]) == (
        "predictive",
        0.02,
        2.5,
    )


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (("--abandon-target", "0.031"), "Ofcom's persistent-misuse policy"),
        (("--abandon-target", "0.05"), "above 0.03"),
        (("--abandon-target", "0"), "more than 0"),
        (("--abandon-target", "-0.01"), "more than 0"),
        (("--abandon-target", "nan"), "more than 0"),
        (("--ratio", "0"), "ratio 0 must be more than 0 and at most 10"),
        (("--ratio", "10.5"), "at most 10"),
        (("--ratio", "inf"), "at most 10"),
        (("--weight", "0"), "weight 0 must be a number more than 0"),
        (("--weight", "-1"), "more than 0"),
        (("--weight", "inf"), "more than 0"),
        (("--pacing", "blast"), "must be progressive or predictive"),
    ],
)
def test_add_refuses_bad_settings(
    cli: CliRunner, tmp_path: Path, options: tuple[str, ...], words: str
) -> None:
    _owned(cli)
    result = cli("campaign", "add", "x", "--caller-id", CALLER, "--purpose", "sales", *options)
    assert result.code == 2
    assert words in result.err
    assert result.err.count("\n") == 1
    assert result.err.startswith("konform: error: ")
    assert cli("campaign", "list").out == ""  # nothing written
    assert _events(tmp_path, "campaign_added") == []


def test_abandon_target_at_the_limit_and_ratio_at_ten_are_accepted(cli: CliRunner) -> None:
    _owned(cli)
    assert _add(cli, "x", "--abandon-target", "0.03", "--ratio", "10") == 0


def test_set_changes_only_what_is_given_and_audits(cli: CliRunner, tmp_path: Path) -> None:
    _owned(cli)
    assert _add(cli, "spring", "--window", "Mon-Fri 09:00-18:00") == 0
    result = cli(
        "campaign",
        "set",
        "spring",
        "--pacing",
        "predictive",
        "--ratio",
        "1.5",
        "--retry",
        "busy=30m",
        "--max-attempts",
        "5",
        "--window",
        "Mon-Fri 10:00-17:00",
    )
    assert result.code == 0, result.err
    assert "retry busy 15m -> 30m" in result.out
    assert "pacing progressive -> predictive" in result.out
    with _open(tmp_path) as store:
        assert campaigns.settings(store, "spring") == campaigns.CampaignSettings(
            "predictive", 1.5, 0.03, 1.0, False
        )
        campaign = campaigns.get(store, "spring")
        assert isinstance(campaign, Campaign)  # the policy's campaign, without pacing
        assert str(campaign.window) == "Mon-Fri 10:00-17:00"
        assert campaign.max_attempts == 5
        assert campaign.retry_after["busy"].total_seconds() == 1800
        assert campaign.retry_after["no_answer"].total_seconds() == 3600  # kept
    (changed,) = _events(tmp_path, "campaign_changed")
    detail = changed["detail"]
    assert isinstance(detail, dict)
    assert set(detail["changes"]) == {
        "pacing",
        "ratio",
        "retry_after",
        "max_attempts",
        "calling_window",
    }
    assert detail["changes"]["ratio"] == {"before": 1.0, "after": 1.5}
    assert changed["campaign"] == "spring"
    # The same values again: nothing changes, nothing is audited.
    again = cli("campaign", "set", "spring", "--ratio", "1.5")
    assert (again.code, again.out.strip()) == (0, "campaign spring unchanged")
    assert len(_events(tmp_path, "campaign_changed")) == 1


@pytest.mark.parametrize(
    ("options", "words"),
    [
        (("--abandon-target", "0.04"), "Ofcom's persistent-misuse policy"),
        (("--ratio", "11"), "at most 10"),
        (("--weight", "0"), "more than 0"),
        (("--pacing", "fast"), "progressive or predictive"),
        (("--max-attempts", "0"), "at least 1"),
        (("--window", "Mon-Sun 09:00-18:00"), "wider than the legal"),
        (("--window", "someday"), "window"),
        (("--retry", "busy=0m"), "more than 0"),
        ((), "nothing to change"),
    ],
)
def test_set_refuses_and_writes_nothing(
    cli: CliRunner, tmp_path: Path, options: tuple[str, ...], words: str
) -> None:
    _owned(cli)
    assert _add(cli, "spring") == 0
    listed = cli("campaign", "list").out
    # A valid change given with the bad one is not written either.
    extra = ("--weight", "4") if "--weight" not in options and options else ()
    result = cli("campaign", "set", "spring", *extra, *options)
    assert result.code == 2
    assert words in result.err
    assert result.err.count("\n") == 1
    assert cli("campaign", "list").out == listed
    assert _events(tmp_path, "campaign_changed") == []


def test_unknown_campaign_is_refused(cli: CliRunner) -> None:
    _owned(cli)
    for action in (("set", "nope", "--ratio", "2"), ("pause", "nope"), ("resume", "nope")):
        result = cli("campaign", *action)
        assert result.code == 2
        assert "no campaign named 'nope'" in result.err


def test_pause_and_resume_are_stored_listed_and_audited(cli: CliRunner, tmp_path: Path) -> None:
    _owned(cli)
    assert _add(cli, "spring") == 0
    assert "paused: no new calls" in cli("campaign", "pause", "spring").out
    assert "was paused already" in cli("campaign", "pause", "spring").out
    with _open(tmp_path) as store:
        assert campaigns.is_paused(store, "spring")
        assert campaigns.settings(store, "spring").paused
        assert campaigns.paused_since(store, "spring") is not None
    assert cli("campaign", "list").out.rstrip("\n").endswith("\tpaused")
    assert cli("campaign", "resume", "spring").out.strip() == "campaign spring resumed"
    assert cli("campaign", "resume", "spring").out.strip() == "campaign spring was not paused"
    with _open(tmp_path) as store:
        assert not campaigns.is_paused(store, "spring")
    assert len(_events(tmp_path, "campaign_paused")) == 1
    (resumed,) = _events(tmp_path, "campaign_resumed")
    assert resumed["campaign"] == "spring"


def test_store_api_refuses_unknown_names_and_bad_values(store: Store) -> None:
    with pytest.raises(KeyError):
        campaigns.settings(store, "nope")
    with pytest.raises(KeyError):
        campaigns.is_paused(store, "nope")
    with pytest.raises(KeyError):
        campaigns.change(store, "nope", ratio=2.0)
    campaign = Campaign("c", CALLER, "sales")
    with pytest.raises(ValueError, match="Ofcom"):
        campaigns.add(store, campaign, campaigns.CampaignSettings(abandon_target=0.1))
    assert campaigns.get(store, "c") is None
    campaigns.add(store, campaign, campaigns.CampaignSettings(paused=True))
    assert campaigns.is_paused(store, "c")
    assert campaigns.all_settings(store) == {"c": campaigns.CampaignSettings(paused=True)}
    with pytest.raises(ValueError, match="weight"):
        campaigns.change(store, "c", weight=-1.0)
    assert campaigns.settings(store, "c").weight == 1.0
