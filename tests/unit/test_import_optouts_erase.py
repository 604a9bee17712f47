"""``konform import optouts`` erases what the store holds of each objecting number, as
``konform optout`` does (Art. 21 (3), Art. 17 (1) c GDPR): contact, list entries, plain copies,
recordings; the consent proof stays keyed (§ 7a UWG). Numbers or their digests alike."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from konform.importing import run_import
from konform.store import audit
from konform.store.database import Store
from tests.unit.privacy_seed import NUMBER, call, seed

OTHER = "+49301234999"
AT = datetime(2026, 2, 2, 10, 0, tzinfo=UTC)


def _held(store: Store, number: str) -> dict[str, int]:
    q = {
        "contacts": "SELECT count(*) FROM contacts WHERE number = ?",
        "lists": "SELECT count(*) FROM campaign_contacts WHERE number = ?",
        "attempts": "SELECT count(*) FROM call_attempts WHERE number = ?",
        "consents": "SELECT count(*) FROM consent_events WHERE number = ?",
    }
    return {k: int(store.conn.execute(sql, (number,)).fetchone()[0]) for k, sql in q.items()}


def test_imported_objections_erase_the_numbers_data(store: Store, tmp_path: Path) -> None:
    cid = seed(store)
    seed(store, OTHER)
    recording = tmp_path / "1767261600.7.wav"
    call(store, cid, AT, "human", recording=recording)
    digest = hashlib.sha256(NUMBER.encode()).hexdigest()
    listed = tmp_path / "optouts.txt"
    listed.write_text(f"{digest}\n", encoding="utf-8")

    result = run_import(store, "optouts", listed)

    assert result.erased_objected == 1
    assert _held(store, NUMBER) == {"contacts": 0, "lists": 0, "attempts": 0, "consents": 0}
    assert not recording.exists()
    kept = store.conn.execute(
        "SELECT count(*) FROM consent_events WHERE number_key = ?",
        (store.keyer.number_key(NUMBER),),
    ).fetchone()[0]
    assert kept > 0  # the proof stays, keyed only
    assert _held(store, OTHER)["contacts"] == 1  # not on the list: untouched
    erasures = [e for e in audit.entries(store) if e["event"] == "erasure"]
    assert [e["detail"]["why"] for e in erasures] == ["opt-out via import"]


def test_a_second_import_finds_nothing_left_to_erase(store: Store, tmp_path: Path) -> None:
    seed(store)
    listed = tmp_path / "optouts.txt"
    listed.write_text(f"{NUMBER}\n", encoding="utf-8")
    assert run_import(store, "optouts", listed).erased_objected == 1
    assert run_import(store, "optouts", listed).erased_objected == 0
