"""The real Asterisk 22 sandbox answers ARI on loopback with generated credentials."""

from __future__ import annotations

import gc
import socket
import warnings

import anyio
import asyncari
import httpx
import pytest

from konform_sandbox.sandbox import Sandbox

pytestmark = pytest.mark.integration


def test_ari_asterisk_info(sandbox: Sandbox) -> None:
    info = sandbox.ari_info()
    assert info["system"]["version"].startswith("22.")
    assert info["config"]["name"] == "pbx"


def test_ari_refuses_wrong_password(sandbox: Sandbox) -> None:
    response = httpx.get(
        f"{sandbox.ari_url}/ari/asterisk/info",
        auth=(sandbox.settings.ari_user, "asterisk"),
        timeout=10,
    )
    assert response.status_code == 401


def test_asyncari_connects_and_reads_info(sandbox: Sandbox) -> None:
    async def read_info() -> dict[str, object]:
        with anyio.fail_after(20):
            async with asyncari.connect(
                sandbox.ari_url + "/",
                sandbox.settings.ari_app,
                sandbox.settings.ari_user,
                sandbox.ari_password,
            ) as ari:
                info: dict[str, object] = await ari.asterisk.getInfo()
                return info

    info = anyio.run(read_info)
    assert "system" in info
    with warnings.catch_warnings():
        # asyncari leaves an anyio memory stream unclosed on disconnect: collect it here
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def test_listens_on_loopback_only(sandbox: Sandbox) -> None:
    listening = sandbox.pbx().cli("http show status")
    assert "127.0.0.1:" in listening and "0.0.0.0" not in listening
    with socket.create_connection(("127.0.0.1", sandbox.settings.http_port), timeout=5):
        pass
