"""One konform serve per database and PBX (finding 8: a second serve on the same database and
PBX hung up the first one's live calls as left-overs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from konform.service_lock import LockHeld, ServiceLock, pbx_lock_path, serve_lock_path
from tests.conftest import CliRunner


def test_a_second_open_of_the_lock_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "k.db.serve.lock"
    with ServiceLock(path, "database k.db"):
        with pytest.raises(LockHeld) as refused:
            ServiceLock(path, "database k.db").acquire()
        assert refused.value.pid == os.getpid()
        assert f"pid {os.getpid()}" in str(refused.value)
        assert "database k.db" in str(refused.value)
    with ServiceLock(path, "database k.db"):  # released: taken again
        pass


def test_a_lock_held_by_another_process_names_it_and_dies_with_it(tmp_path: Path) -> None:
    path = tmp_path / "k.db.serve.lock"
    code = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from konform.service_lock import ServiceLock\n"
        f"ServiceLock(Path({str(path)!r}), 'db').acquire()\n"
        "print('held', flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=os.getcwd()
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld) as refused:
            ServiceLock(path, "db").acquire()
        assert refused.value.pid == child.pid
    finally:
        child.kill()  # like kill -9: the kernel releases the lock
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
    with ServiceLock(path, "db"):
        pass


def test_lock_paths() -> None:
    assert serve_lock_path(Path("/x/konform.db")) == Path("/x/konform.db.serve.lock")
    a = pbx_lock_path("http://127.0.0.1:8088/", "konform", Path("/tmp"))
    assert a == pbx_lock_path("http://127.0.0.1:8088", "konform", Path("/tmp"))
    assert a != pbx_lock_path("http://127.0.0.1:8088", "other", Path("/tmp"))


def test_a_second_serve_refuses_with_one_line_exit_2(
    cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("callerid", "add", "+49305550001").code == 0
    assert (
        cli("campaign", "add", "spring", "--caller-id", "+49305550001", "--purpose", "x").code == 0
    )
    monkeypatch.setenv("KONFORM_ARI_PASSWORD", "a-strong-password-for-tests")
    monkeypatch.setenv("KONFORM_DIALER_AGENTS", "agent1")
    with ServiceLock(serve_lock_path(tmp_path / "konform.db"), "database"):
        result = cli("serve", "--campaign", "spring", "--once")
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert f"another konform serve (pid {os.getpid()}) already runs on database" in result.err
