"""The consent proof (§ 7a UWG): events, uses, the period it is kept; also after erasure."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from konform.store import gdpr, proofs
from konform.store.database import Store, open_store
from tests.conftest import CliRunner
from tests.unit.privacy_seed import NUMBER, call, seed

GIVEN = datetime(2026, 1, 1, tzinfo=UTC)


def test_proof_lists_events_and_uses_and_survives_erasure(store: Store) -> None:
    """§ 7a Abs. 2 Satz 1 UWG, Art. 17 (3) b GDPR: the proof is there after the erasure."""
    cid = seed(store, given=GIVEN)
    call(store, cid, datetime(2026, 3, 1, 10, tzinfo=UTC), "busy")
    call(store, cid, datetime(2026, 3, 2, 10, tzinfo=UTC), "blocked")  # never placed: no use
    with store.transaction():
        gdpr.erase(store, NUMBER, why="data subject request")
    found = proofs.proof(store, NUMBER)
    assert found is not None
    assert found.erased_at is not None
    (sales,) = found.purposes
    assert [e.kind for e in sales.events] == ["given", "confirmed"]
    assert sales.events[0].source == "web form"
    assert sales.events[0].via == "import"
    assert [(u.campaign, u.outcome) for u in sales.uses] == [("spring", "busy")]
    # five years after the last use, which is later than the consent
    assert sales.keep_until == datetime(2031, 3, 1, 10, tzinfo=UTC)


def test_the_period_is_five_calendar_years_at_least() -> None:
    """§ 7a Abs. 2 Satz 1 UWG: five years, even where they hold 1827 days (two leap days)."""
    assert proofs.keep_until(datetime(2024, 2, 1, tzinfo=UTC)) == datetime(2029, 2, 1, tzinfo=UTC)
    assert proofs.keep_until(datetime(2024, 2, 29, tzinfo=UTC)) == datetime(2029, 3, 1, tzinfo=UTC)
    assert proofs.keep_until(datetime(2026, 1, 1, tzinfo=UTC), days=2000) == datetime(
        2031, 6, 24, tzinfo=UTC
    )


def test_cli_consent_proof_after_optout(cli: CliRunner, tmp_path: Path) -> None:
    """§ 7a Abs. 2 Satz 2 UWG: the proof is shown on request, also for an objecting number."""
    store = open_store(tmp_path / "konform.db")
    cid = seed(store, given=GIVEN)
    call(store, cid, datetime(2026, 3, 1, 10, tzinfo=UTC), "human")
    store.close()
    assert cli("optout", NUMBER).code == 0
    result = cli("consent", "proof", "030 1234567", "--json")
    assert result.code == 0, result.err
    data = result.json()
    assert data["number"] == NUMBER
    assert data["erased_at"]
    (sales,) = data["purposes"]
    assert [e["event"] for e in sales["events"]] == ["given", "confirmed"]
    assert sales["uses"] == [
        {"started_at": "2026-03-01T10:00:00+00:00", "campaign": "spring", "outcome": "human"}
    ]
    assert sales["keep_until"] == "2031-03-01T10:00:00+00:00"
    text = cli("consent", "proof", NUMBER)
    assert text.code == 0
    assert "keep until 2031-03-01" in text.out
    assert "§ 7a" in text.out


def test_cli_consent_proof_refusals(cli: CliRunner, tmp_path: Path) -> None:
    """Bad input: one line, exit 2; no evidence: exit 1."""
    open_store(tmp_path / "konform.db").close()
    bad = cli("consent", "proof", "not a number")
    assert bad.code == 2
    assert bad.err.count("\n") == 1
    none = cli("consent", "proof", "+49301111111")
    assert none.code == 1
    assert "no consent evidence for this number" in none.err
