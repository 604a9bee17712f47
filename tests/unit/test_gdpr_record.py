"""`konform gdpr record`: the record of processing activities (GDPR Art. 30 (1))."""

from __future__ import annotations

from pathlib import Path

from konform.store.database import open_store
from tests.conftest import CliRunner
from tests.unit.privacy_seed import seed


def test_record_names_what_art_30_asks_for(cli: CliRunner, tmp_path: Path) -> None:
    """Art. 30 (1) a-g GDPR: controller, purposes, categories, recipients, transfers,
    retention, measures; from the configuration and the campaigns."""
    (tmp_path / "konform.toml").write_text(
        '[privacy]\ncontroller = "Beispiel GmbH, Berlin"\n'
        '[dialer]\ntrunk = "carrier-one"\n[retention]\nrecordings = 30\n'
    )
    store = open_store(tmp_path / "konform.db")
    seed(store)
    store.close()
    data = cli("gdpr", "record", "--json").json()
    assert data["controller"] == "Beispiel GmbH, Berlin"
    assert data["dpo_contact"].startswith("not configured")
    (spring,) = data["purposes"]
    assert spring["campaign"] == "spring"
    assert spring["purpose"] == "sales"
    assert spring["jurisdiction"] == "de"
    assert spring["caller_id"] == "+49305550001"
    assert "§ 7 Abs. 2 Nr. 1 UWG" in spring["legal_basis"]
    assert any("carrier-one" in r for r in data["recipients"])
    assert data["third_country_transfers"] == "none configured"
    days = {r["category"]: r["days"] for r in data["retention"]}
    assert days["recordings"] == 30
    assert days["consent evidence"] == 1826
    assert data["storage"]["database"].endswith("konform.db")
    assert any("0600" in m for m in data["measures"])
    assert {"data_subjects", "personal_data"} <= data.keys()

    text = cli("gdpr", "record")
    assert text.code == 0
    for words in (
        "GDPR Art. 30 (1)",
        "controller: Beispiel GmbH, Berlin",
        "spring: sales (jurisdiction de, caller ID +49305550001)",
        "recordings: 30 days",
        "transfers to third countries: none configured",
        "carrier-one",
    ):
        assert words in text.out, words


def test_record_without_database_or_controller_says_so(cli: CliRunner) -> None:
    """Art. 30 (1) a GDPR: a missing controller is said plainly, not left blank."""
    result = cli("gdpr", "record")
    assert result.code == 0, result.err
    assert "controller: not configured" in result.out
    assert "no campaigns yet" in result.out
