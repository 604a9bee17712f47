"""The call tells the AMD tap when our prompt starts (the guard's turn-taking counts from
there), on the in-memory ARI."""

from __future__ import annotations

from pathlib import Path

from konform.store.database import Store
from tests.fake_ari import FakeAri
from tests.unit.test_call_paths import CONSENTS, call_id_of, dial
from tests.unit.test_dialer_runtime import PEOPLE, seed


def test_a_person_s_call_tells_the_tap_when_the_prompt_started(
    store: Store, tmp_path: Path
) -> None:
    seed(store)
    ari = FakeAri(online={"agent1"}, keys={PEOPLE[0]: CONSENTS}, spool=tmp_path / "spool")
    dial(store, ari, tmp_path)
    assert ari.prompts_started.get(call_id_of(ari), 0) >= 1
    assert ari.played()
