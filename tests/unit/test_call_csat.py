"""The callee's rating on the whole call path (admission, shell, store) on the in-memory ARI:
asked only in a campaign that asks for it (its setting read at admission), stored on the
attempt, skippable; and the campaign's console settings in the store (client, script, rating
question), changed and audited."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from konform.store import campaign_console
from konform.store.database import Store
from tests.fake_ari import FakeAri
from tests.unit.test_call_paths import dial
from tests.unit.test_dialer_runtime import CAMPAIGN, PEOPLE, read, seed


def rating_on(store: Store) -> None:
    seed(store)
    campaign_console.change(store, CAMPAIGN.name, csat=True)


def test_a_rating_key_is_stored_on_the_attempt_before_the_opt_out_menu(
    store: Store, tmp_path: Path
) -> None:
    rating_on(store)
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: {"sound:konform/csat": "4"}})
    result, _ = dial(store, ari, tmp_path)
    assert result.outcome == "human"
    played = ari.played()
    assert played.index("sound:konform/csat") < played.index("sound:konform/optout")
    assert read(store, "SELECT csat, outcome FROM call_attempts") == [(4, "human")]
    assert not result.opted_out


def test_silence_leaves_no_rating(store: Store, tmp_path: Path) -> None:
    rating_on(store)
    ari = FakeAri(online={"agent1"})
    dial(store, ari, tmp_path)
    assert "sound:konform/csat" in ari.played()
    assert read(store, "SELECT csat, outcome FROM call_attempts") == [(None, "human")]


def test_another_key_skips_the_rating(store: Store, tmp_path: Path) -> None:
    rating_on(store)
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: {"sound:konform/csat": "7"}})
    dial(store, ari, tmp_path)
    assert read(store, "SELECT csat FROM call_attempts") == [(None,)]
    assert "sound:konform/optout" in ari.played()


def test_a_rating_then_the_opt_out(store: Store, tmp_path: Path) -> None:
    rating_on(store)
    keys = {"sound:konform/csat": "2", "sound:konform/optout": "9"}
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: keys})
    result, _ = dial(store, ari, tmp_path)
    assert result.opted_out
    assert read(store, "SELECT csat FROM call_attempts") == [(2,)]
    key = store.keyer.number_key(PEOPLE[0])
    assert read(store, "SELECT count(*) FROM dnc_internal WHERE key = ?", key) == [(1,)]


def test_a_campaign_without_ratings_never_asks(store: Store, tmp_path: Path) -> None:
    seed(store)
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: {"sound:konform/csat": "4"}})
    dial(store, ari, tmp_path)
    assert "sound:konform/csat" not in ari.played()
    assert read(store, "SELECT csat FROM call_attempts") == [(None,)]


def test_a_rating_is_not_audited(store: Store, tmp_path: Path) -> None:
    rating_on(store)
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: {"sound:konform/csat": "5"}})
    dial(store, ari, tmp_path)
    details = [d for (d,) in read(store, "SELECT detail FROM audit")]
    assert not any("csat" in d and '"rating"' in d for d in details)


# --- the campaign's console settings --------------------------------------------------------
def test_console_settings_change_and_are_audited(store: Store) -> None:
    seed(store)
    assert campaign_console.get(store, CAMPAIGN.name) == campaign_console.ConsoleSettings()
    changed = campaign_console.change(
        store,
        CAMPAIGN.name,
        client=" Stadtwerke Demo ",
        script=("Name the company", "Ask whether the moment suits"),
        csat=True,
    )
    assert set(changed) == {"client", "script", "csat"}
    settings = campaign_console.get(store, CAMPAIGN.name)
    assert settings.client == "Stadtwerke Demo"
    assert settings.script == ("Name the company", "Ask whether the moment suits")
    assert settings.csat
    [(detail,)] = read(store, "SELECT detail FROM audit WHERE event = 'campaign_changed'")
    assert json.loads(detail)["changes"]["csat"] == {"before": 0, "after": 1}
    assert campaign_console.change(store, CAMPAIGN.name, csat=True) == {}, "unchanged"
    campaign_console.change(store, CAMPAIGN.name, client="")
    assert campaign_console.get(store, CAMPAIGN.name).client is None


@pytest.mark.parametrize(
    "text",
    ["", "\n  \n", "x" * 301, "\n".join(f"point {i}" for i in range(51)), "bell \x07 here"],
)
def test_bad_scripts_are_refused(store: Store, text: str) -> None:
    seed(store)
    with pytest.raises(ValueError, match="script"):
        campaign_console.change(store, CAMPAIGN.name, script=tuple(text.split("\n")))
    assert campaign_console.get(store, CAMPAIGN.name).script == ()


def test_a_script_drops_blank_lines_and_spaces() -> None:
    assert campaign_console.parse_script("  one \n\n two\r\n") == ("one", "two")


def test_a_client_name_is_one_printable_line(store: Store) -> None:
    with pytest.raises(ValueError, match="client"):
        campaign_console.check_client("a\tb")
    with pytest.raises(KeyError):
        campaign_console.get(store, "nope")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_the_rating_question_is_a_prompt_in_both_languages(lang: str) -> None:
    folder = Path(__file__).resolve().parents[2] / "prompts" / lang
    assert (folder / "csat.txt").read_text(encoding="utf-8").strip()
    wav = (folder / "csat.wav").read_bytes()
    assert wav[:4] == b"RIFF"
    assert wav[8:12] == b"WAVE"
    assert int.from_bytes(wav[24:28], "little") == 8000, "8 kHz like the other prompts"
