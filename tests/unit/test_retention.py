"""Retention (GDPR Art. 5 (1) e): each kind deleted after its limit, each deletion audited;
consent proofs kept five years after consent and last use (§ 7a Abs. 2 Satz 1 UWG)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from konform.config import ConfigError, RetentionConfig, load_config
from konform.store import attempts, audit, gdpr, proofs, retention
from konform.store.database import Store, open_store
from konform.store.worker import StoreWorker
from tests.conftest import CliRunner
from tests.unit.privacy_seed import NUMBER, call, seed

AT = datetime(2026, 3, 1, 10, tzinfo=UTC)
OTHER = "+49301234568"
LIMITS = RetentionConfig()


def _retention_rows(store: Store) -> dict[str, dict[str, object]]:
    return {
        e["detail"]["kind"]: e["detail"] for e in audit.entries(store) if e["event"] == "retention"
    }


def test_recordings_go_after_their_limit_rows_and_files(store: Store, tmp_path: Path) -> None:
    """Art. 5 (1) e GDPR: recordings older than [retention] recordings days are deleted."""
    cid = seed(store)
    old, fresh = tmp_path / "1.wav", tmp_path / "2.wav"
    call(store, cid, AT, "human", recording=old)
    call(store, cid, AT + timedelta(days=95), "human", recording=fresh)
    report = retention.run(store, AT + timedelta(days=100), LIMITS)
    assert report.recordings_deleted == 1
    assert report.files_deleted == 1
    assert not old.exists()
    assert fresh.exists()
    assert store.conn.execute("SELECT count(*) FROM recordings").fetchone()[0] == 1
    assert store.conn.execute("SELECT count(*) FROM pending_deletions").fetchone()[0] == 0
    rows = _retention_rows(store)
    assert rows["recordings"]["recordings_deleted"] == 1
    assert rows["recordings"]["limit_days"] == 90
    assert set(rows) == {"recordings"}


def test_attempts_lose_their_plain_details_and_blocked_rows_go(store: Store) -> None:
    """Art. 5 (1) e GDPR: attempt details go after [retention] attempts days; the keyed row
    stays as a possible use of the consent (§ 7a Abs. 2 Satz 1 UWG) and for attempt limits."""
    cid = seed(store)
    placed = call(store, cid, AT, "human")
    call(store, cid, AT, "blocked")
    recent = call(store, cid, AT + timedelta(days=300), "busy")
    report = retention.run(store, AT + timedelta(days=400), LIMITS)
    assert report.attempts_anonymised == 1
    assert report.attempts_deleted == 1
    rows = dict(
        (i, (n, d, k is not None))
        for i, n, d, k in store.conn.execute(
            "SELECT id, number, detail, number_key FROM call_attempts"
        )
    )
    assert rows[placed] == (None, None, True)
    assert rows[recent][0] == NUMBER
    assert len(rows) == 2
    detail = _retention_rows(store)["attempts"]
    assert detail["attempts_anonymised"] == 1
    assert detail["attempts_deleted"] == 1


def test_keyed_attempts_go_when_they_can_no_longer_be_a_use(store: Store) -> None:
    """§ 7a Abs. 2 Satz 1 UWG: a call older than five years proves nothing any more."""
    cid = seed(store)
    call(store, cid, AT, "human")
    retention.run(store, AT + timedelta(days=1826), LIMITS)  # exactly five years: kept
    assert store.conn.execute("SELECT count(*) FROM call_attempts").fetchone()[0] == 1
    report = retention.run(store, AT + timedelta(days=1827), LIMITS)
    assert report.attempts_deleted == 1


def test_consent_proofs_end_five_years_after_consent_and_last_use(store: Store) -> None:
    """§ 7a Abs. 2 Satz 1 UWG: kept five years after it was given and after each use."""
    given = datetime(2026, 1, 1, tzinfo=UTC)
    cid = seed(store, NUMBER, given)
    seed(store, OTHER, given)
    call(store, cid, datetime(2027, 6, 1, tzinfo=UTC), "human", number=NUMBER)
    # the unused consent ends 2031-01-01, the used one 2032-06-01
    assert (
        retention.run(store, datetime(2030, 12, 31, tzinfo=UTC), LIMITS).consent_proofs_ended == 0
    )
    report = retention.run(store, datetime(2031, 3, 1, tzinfo=UTC), LIMITS)
    assert report.consent_proofs_ended == 1
    assert report.consent_events_deleted == 2
    assert proofs.proof(store, OTHER) is None
    assert proofs.proof(store, NUMBER) is not None
    detail = _retention_rows(store)["consent_proofs"]
    assert detail["consent_events_deleted"] == 2
    assert detail["limit_days"] == 1826
    report = retention.run(store, datetime(2032, 6, 2, tzinfo=UTC), LIMITS)
    assert report.consent_proofs_ended == 1
    assert proofs.proof(store, NUMBER) is None


def test_old_audit_rows_go_but_consent_rows_stay_with_their_proof(store: Store) -> None:
    """Art. 5 (1) e GDPR: audit rows after [retention] audit days, through the schema's
    cutoff; a row recording a consent stays as long as that consent's proof (§ 7a UWG)."""
    seed(store, NUMBER, datetime(2026, 1, 1, tzinfo=UTC))
    old = datetime(2020, 1, 1, tzinfo=UTC)
    audit.record(store, "policy_check", number=NUMBER, at=old, allowed=True)
    audit.record(store, "consent_recorded", number=NUMBER, at=old, purpose="sales")
    audit.record(store, "consent_recorded", number=OTHER, at=old, purpose="sales")
    report = retention.run(store, datetime(2026, 6, 1, tzinfo=UTC), LIMITS)
    assert report.audit_deleted == 2
    left = [(e["event"], e["at"][:4]) for e in audit.entries(store) if e["at"] < "2021"]
    assert left == [("consent_recorded", "2020")]
    assert _retention_rows(store)["audit"]["audit_deleted"] == 2
    # the cutoff was only in force during the run: the log is append-only again
    assert store.conn.execute(
        "SELECT count(*) FROM meta WHERE key = 'audit_retention_cutoff'"
    ).fetchone() == (0,)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.conn.execute("DELETE FROM audit")


def test_erasure_markers_go_with_the_audit_limit(store: Store) -> None:
    """Art. 5 (1) e GDPR: the keyed erasure marker is not kept for ever."""
    seed(store)
    with store.transaction():
        gdpr.erase(store, NUMBER, why="test")
    now = datetime.now(UTC)
    assert retention.run(store, now, LIMITS).erasure_markers_deleted == 0
    report = retention.run(store, now + timedelta(days=1831), LIMITS)
    assert report.erasure_markers_deleted == 1


def test_a_second_run_deletes_and_audits_nothing(store: Store, tmp_path: Path) -> None:
    cid = seed(store)
    call(store, cid, AT, "human", recording=tmp_path / "1.wav")
    retention.run(store, AT + timedelta(days=400), LIMITS)
    before = len(audit.entries(store))
    report = retention.run(store, AT + timedelta(days=400), LIMITS)
    assert not any(v for k, v in report.as_dict().items() if k != "as_of")
    assert len(audit.entries(store)) == before


def test_cli_retention_run(cli: CliRunner, tmp_path: Path) -> None:
    store = open_store(tmp_path / "konform.db")
    cid = seed(store)
    call(store, cid, AT, "human", recording=tmp_path / "1.wav")  # ends now: not closed
    with store.transaction():
        closed = attempts.start(store, cid, OTHER, AT)
        attempts.finish(store, closed, "no_answer", AT + timedelta(minutes=1))
    store.close()
    result = cli("retention", "run", "--json")
    assert result.code == 0, result.err
    assert result.json()["recordings_deleted"] == 1
    # The attempt's day is closed: summarised as serve's daily run would (/metrics reads it).
    assert result.json()["attempts_summarised"] == 1
    text = cli("retention", "run", "--at", "2026-06-01T00:00:00Z")
    assert text.code == 0
    assert "recordings deleted: 0" in text.out
    assert "attempts summarised: 0" in text.out
    future = cli("retention", "run", "--at", "2099-01-01T00:00:00Z")
    assert future.code == 2
    assert "future" in future.err
    assert cli("retention", "run", "--at", "yesterday").code == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("recordings = 0", r"\[retention\] recordings must be a whole positive number"),
        ("attempts = -5", r"\[retention\] attempts must be a whole positive number"),
        ("audit = 1830.5", r"\[retention\] audit must be a whole positive number"),
        ("audit = 'long'", r"\[retention\] audit must be a whole positive number"),
        ("recordings = true", r"\[retention\] recordings must be a whole positive number"),
        ("consent_proofs = 1825", r"\[retention\] consent_proofs must be at least 1826 .*§ 7a"),
        ("forever = 1", r"unknown setting \[retention\] forever"),
    ],
)
def test_retention_config_refuses_bad_values(tmp_path: Path, text: str, words: str) -> None:
    """§ 7a Abs. 2 Satz 1 UWG: no shorter consent proof period; days are whole and positive."""
    file = tmp_path / "k.toml"
    file.write_text(f"[retention]\n{text}\n")
    with pytest.raises(ConfigError, match=words):
        load_config(file, env={})


def test_retention_config_defaults_and_environment(tmp_path: Path) -> None:
    config = load_config(env={})
    assert config.retention == RetentionConfig(90, 365, 1830, 1826)
    config = load_config(env={"KONFORM_RETENTION_RECORDINGS": "30"})
    assert config.retention.recordings == 30
    with pytest.raises(ConfigError, match=r"\[retention\] recordings"):
        load_config(env={"KONFORM_RETENTION_RECORDINGS": "30 days"})
    with pytest.raises(ConfigError, match=r"\[retention\] consent_proofs"):
        load_config(env={"KONFORM_RETENTION_CONSENT_PROOFS": "365"})


async def test_run_daily_runs_at_once_on_the_worker(store: Store, tmp_path: Path) -> None:
    """The daily run a service starts (`konform serve`): the first run comes at start."""
    cid = seed(store)
    old = tmp_path / "old.wav"
    call(store, cid, datetime(2020, 1, 1, tzinfo=UTC), "human", recording=old)
    worker = StoreWorker(store)
    task = asyncio.create_task(retention.run_daily(worker, LIMITS))
    for _ in range(1000):
        if not old.exists():
            break
        await asyncio.sleep(0.01)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    worker.close()
    assert not old.exists()
    assert _retention_rows(store)["recordings"]["recordings_deleted"] == 1
