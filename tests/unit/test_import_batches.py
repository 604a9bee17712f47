"""Imports commit in bounded batches and leave a clear, resumable state (finding 2)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from konform.importing import run_import
from konform.progress import Progress
from konform.store import donotcall
from konform.store.contacts import contact_of
from konform.store.database import Store, open_store
from konform.store.objection import opt_out
from tests.conftest import CliRunner

HEADER = "number,name,region,kind,customer_until\n"
NUMBERS = [f"+4930123456{i}" for i in range(10)]


def _contacts(tmp_path: Path, numbers: list[str], name: str = "c.csv") -> Path:
    path = tmp_path / name
    path.write_text(HEADER + "".join(f"{n},X,DE-BE,b2c,\n" for n in numbers), encoding="utf-8")
    return path


def _runs(store: Store) -> list[tuple[str, int]]:
    return store.conn.execute("SELECT state, lines_done FROM import_runs ORDER BY id").fetchall()


def test_an_opt_out_commits_between_batches_of_an_import(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 2: another writer (an opt-out in another process) gets the write lock while an
    import runs, without waiting; the import then leaves that number out."""
    other = open_store(store.path)
    other.conn.execute("PRAGMA busy_timeout = 0")  # no waiting: the lock must be free
    taken: list[bool] = []
    advance = Progress.advance_to

    def opt_out_meanwhile(self: Progress, done: int, rows: int) -> None:
        if not taken:
            taken.append(opt_out(other, NUMBERS[6], source="IVR key 9"))
        advance(self, done, rows)

    monkeypatch.setattr(Progress, "advance_to", opt_out_meanwhile)
    result = run_import(store, "contacts", _contacts(tmp_path, NUMBERS), batch_rows=3)
    other.close()
    assert taken == [True]
    assert donotcall.is_listed(store, "internal", NUMBERS[6])
    assert contact_of(store, NUMBERS[6]) is None  # its row came after the opt-out
    assert [e.line for e in result.objected] == [8]
    assert result.accepted == 9
    assert _runs(store) == [("done", 11)]


def test_a_failure_keeps_committed_batches_and_says_how_far(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """finding 2: an import that fails half-way keeps the batches it committed; its run is
    'aborted' with the lines done, and running it again completes it."""
    from konform.store.contacts import upsert_contacts as real

    calls: list[int] = []

    def failing(store: Store, rows: list[object]) -> int:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(store, rows)  # type: ignore[arg-type]

    monkeypatch.setattr("konform.importing.upsert_contacts", failing)
    path = _contacts(tmp_path, NUMBERS)
    with pytest.raises(OSError, match="disk full"):
        run_import(store, "contacts", path, batch_rows=4)
    assert [contact_of(store, n) is not None for n in NUMBERS] == [True] * 8 + [False] * 2
    assert _runs(store) == [("aborted", 9)]
    monkeypatch.setattr("konform.importing.upsert_contacts", real)
    result = run_import(store, "contacts", path, batch_rows=4)
    assert result.unfinished == [
        f"import of {path.resolve()} (contacts) started"
        f" {result.unfinished[0].split(' started ')[1].split(' ')[0]} stopped after 9 lines;"
        " this run completes it"
    ]
    assert all(contact_of(store, n) is not None for n in NUMBERS)
    assert _runs(store) == [("done", 9), ("done", 11)]


_KILLED = """
import os, sys
from pathlib import Path
import konform.importing as importing
from konform.store.database import open_store
calls = []
real = importing.upsert_contacts
def dying(store, rows):
    calls.append(1)
    if len(calls) == 2:
        os._exit(9)  # like kill -9: no cleanup, no rollback handler
    return real(store, rows)
importing.upsert_contacts = dying
importing.run_import(open_store(Path(sys.argv[1])), "contacts", Path(sys.argv[2]), batch_rows=4)
"""


def test_a_killed_import_is_reported_and_completed(cli: CliRunner, tmp_path: Path) -> None:
    """finding 2: kill -9 in the middle of an import: the committed batch stays, the run says
    'running' with its lines; the next import of any kind warns in one line, running the same
    import again completes it."""
    path = _contacts(tmp_path, NUMBERS)
    db = tmp_path / "konform.db"
    open_store(db).close()
    killed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(_KILLED), str(db), str(path)],
        cwd=Path(__file__).parents[2],
        capture_output=True,
        text=True,
        check=False,
    )
    assert killed.returncode == 9, killed.stderr
    with open_store(db) as store:
        assert _runs(store) == [("running", 5)]
        assert sum(contact_of(store, n) is not None for n in NUMBERS) == 4
    robinson = tmp_path / "r.txt"
    robinson.write_text("+4989123456\n")
    other = cli("import", "robinson", str(robinson))
    assert other.code == 0
    warning = [line for line in other.err.splitlines() if "stopped after" in line]
    assert len(warning) == 1
    assert warning[0].startswith(f"import of {path.resolve()} (contacts) started ")
    assert warning[0].endswith(" stopped after 5 lines; run it again to complete it")
    again = cli("import", "contacts", str(path))
    assert again.code == 0
    assert "this run completes it" in again.err
    assert "10 rows accepted" in again.out
    with open_store(db) as store:
        assert all(contact_of(store, n) is not None for n in NUMBERS)
        assert [s for s, _ in _runs(store)] == ["done", "done", "done"]
    assert "stopped after" not in cli("import", "robinson", str(robinson)).err


def test_strict_checks_first_then_writes_in_batches(store: Store, tmp_path: Path) -> None:
    """finding 2: --strict stays all or nothing although the writes are batched."""
    clean = _contacts(tmp_path, NUMBERS)
    result = run_import(store, "contacts", clean, strict=True, batch_rows=3)
    assert result.accepted == 10
    assert not result.strict_aborted
    bad = tmp_path / "bad.csv"
    bad.write_text(clean.read_text() + "030 9876543,Y,DE-BE,b2c,\n112,X,,b2c,\n")
    result = run_import(store, "contacts", bad, strict=True, batch_rows=3)
    assert result.strict_aborted
    assert result.written == 0
    assert contact_of(store, "+49309876543") is None
    assert _runs(store)[-1] == ("aborted", 0)


def test_one_import_at_a_time(store: Store, tmp_path: Path) -> None:
    """A second import while one runs refuses (and so knows a 'running' run is dead)."""
    import fcntl
    import os

    from konform.importing import ImportFileError

    lock = os.open(f"{store.path}.import-lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        with pytest.raises(ImportFileError, match="another import"):
            run_import(store, "contacts", _contacts(tmp_path, NUMBERS))
    finally:
        os.close(lock)
    assert run_import(store, "contacts", _contacts(tmp_path, NUMBERS)).accepted == 10
