"""``konform serve`` with ``[web] enabled``: a bad ``[web]`` section, or a console port in use,
stops serve with one line and exit 2 before anything starts (no database made, ARI never
contacted)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from konform.policy import Campaign
from konform.store import callerids, campaigns
from konform.store.database import open_store
from tests.conftest import CliRunner

ARI_PASSWORD = "Kastanienallee-7-Linde"


@pytest.fixture
def ari() -> Iterator[socket.socket]:
    """A listening socket in ARI's place: a connection to it would mean serve went on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        sock.setblocking(False)
        yield sock


def contacted(sock: socket.socket) -> bool:
    try:
        conn, _ = sock.accept()
    except BlockingIOError:
        return False
    conn.close()
    return True


def config(tmp_path: Path, ari: socket.socket, web: str) -> Path:
    file = tmp_path / "konform.toml"
    port = ari.getsockname()[1]
    file.write_text(
        f'[ari]\nurl = "http://127.0.0.1:{port}"\npassword = "{ARI_PASSWORD}"\n'
        f'[dialer]\nagents = "agent1"\n[web]\nenabled = true\n{web}',
        encoding="utf-8",
    )
    return file


@pytest.mark.parametrize(
    ("web", "words"),
    [
        ('host = "0.0.0.0"\n', "[web] host 0.0.0.0 is not loopback"),
        ("port = 0\n", "[web] port must be between 1 and 65535"),
        ('port = "eighty"\n', "[web] port must be a whole number"),
        ('metrics_token = "secret"\n', "[web] metrics_token is weak"),
        ('allowed_networks = "10.0.0.0/33"\n', "[web] allowed_networks"),
        ('listen = "127.0.0.1"\n', "unknown setting [web] listen"),
    ],
)
def test_a_bad_web_section_stops_serve_before_anything(
    cli: CliRunner, tmp_path: Path, ari: socket.socket, web: str, words: str
) -> None:
    file = config(tmp_path, ari, web)
    result = cli("--config", str(file), "serve", "--campaign", "spring")
    assert result.code == 2
    assert result.out == ""
    assert result.err.startswith("konform: error: "), result.err
    assert result.err.count("\n") == 1, result.err
    assert words in result.err
    assert not (tmp_path / "konform.db").exists(), "no database made"
    assert not contacted(ari), "ARI never contacted"


def test_a_console_port_in_use_stops_serve_before_ari(
    cli: CliRunner, tmp_path: Path, ari: socket.socket
) -> None:
    store = open_store(tmp_path / "konform.db")
    try:
        callerids.add(store, "+49305550001")
        campaigns.add(store, Campaign("spring", "+49305550001", "sales"))
    finally:
        store.close()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        file = config(tmp_path, ari, f"port = {port}\n")
        result = cli("--config", str(file), "serve", "--campaign", "spring")
    assert result.code == 2
    assert result.out == ""
    assert result.err.count("\n") == 1, result.err
    assert f"[web] cannot listen on 127.0.0.1:{port}" in result.err
    assert not contacted(ari), "ARI never contacted: the console's port is checked first"
