"""One ``konform serve`` per database and per PBX: exclusive locks (``flock``) held for the
life of the process.

Two dialers on one database would each resolve the other's calls in progress at start; two on
one PBX would hang up each other's live calls as left-overs. The database's lock file lies
beside it (``<db>.serve.lock``); the PBX's is keyed by the ARI URL and application, in
``/run/lock`` (or the temporary folder where that is not writable). The kernel releases a lock
when its process ends, also on ``kill -9``: a stale lock file never blocks a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from pathlib import Path

__all__ = ["LockHeld", "ServiceLock", "pbx_lock_path", "serve_lock_path"]


class LockHeld(RuntimeError):
    """Another process holds the lock; ``pid`` is the holder as it wrote itself (0 if unknown)."""

    def __init__(self, path: Path, what: str, pid: int) -> None:
        holder = f"pid {pid}" if pid else "another process"
        super().__init__(f"another konform serve ({holder}) already runs on {what} (lock {path})")
        self.path = path
        self.pid = pid


def serve_lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".serve.lock")


def pbx_lock_path(ari_url: str, app: str, folder: Path | None = None) -> Path:
    digest = hashlib.sha256(f"{ari_url.rstrip('/')}|{app}".encode()).hexdigest()[:16]
    if folder is None:
        run_lock = Path("/run/lock")
        folder = run_lock if os.access(run_lock, os.W_OK) else Path(tempfile.gettempdir())
    return folder / f"konform-pbx-{digest}.lock"


class ServiceLock:
    """An exclusive, non-blocking ``flock`` on ``path``; the holder's pid is written into it."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        self.what = what
        self._fd: int | None = None

    def acquire(self) -> ServiceLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _read_pid(fd)
            os.close(fd)
            raise LockHeld(self.path, self.what, pid) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> ServiceLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> int:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
        return int(text) if text.isdigit() else 0
    except OSError:
        return 0
