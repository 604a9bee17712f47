"""The real Asterisk 22 sandbox answers ARI on loopback with generated credentials."""

from __future__ import annotations

import base64
import socket
import urllib.error
import urllib.request

import pytest

from konform_sandbox.sandbox import Sandbox

pytestmark = pytest.mark.integration


def test_ari_asterisk_info(sandbox: Sandbox) -> None:
    info = sandbox.ari_info()
    assert info["system"]["version"].startswith("22.")
    assert info["config"]["name"] == "pbx"


def test_ari_refuses_wrong_password(sandbox: Sandbox) -> None:
    request = urllib.request.Request(f"{sandbox.ari_url}/ari/asterisk/info")
    token = base64.b64encode(f"{sandbox.settings.ari_user}:asterisk".encode()).decode("ascii")
    request.add_header("Authorization", f"Basic {token}")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10).close()
    refused.value.close()
    assert refused.value.code == 401


def test_listens_on_loopback_only(sandbox: Sandbox) -> None:
    listening = sandbox.pbx().cli("http show status")
    assert "127.0.0.1:" in listening
    assert "0.0.0.0" not in listening
    with socket.create_connection(("127.0.0.1", sandbox.settings.http_port), timeout=5):
        pass
