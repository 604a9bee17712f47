"""The browser tests' helper fails (never skips) when Debian's chromium or its driver is
missing, naming the packages that bring them; it never lets selenium look for a browser."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration import web_browser


@pytest.mark.parametrize("missing", ["CHROMIUM", "CHROMEDRIVER"])
def test_missing_browser_fails_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, missing: str
) -> None:
    monkeypatch.setattr(web_browser, missing, tmp_path / "absent")
    wanted = "apt-get install -y chromium chromium-driver"
    with pytest.raises(pytest.fail.Exception, match=wanted), web_browser.browser_session():
        pass  # pragma: no cover - never reached
