"""A real browser for the web console's tests: Debian's ``chromium`` driven through its
``chromedriver`` by selenium, headless. Both paths are given to selenium explicitly, so
selenium-manager never looks for (or downloads) a browser or a driver; when either is missing
the test fails with the command that installs them (scripts/setup does it), never skips.

Also: ``konform web`` as a child process on a free loopback port, and small waiting helpers.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

__all__ = [
    "CHROMEDRIVER",
    "CHROMIUM",
    "browser_session",
    "log_in",
    "run_web",
    "until",
]

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
REPO = Path(__file__).resolve().parents[2]

T = TypeVar("T")


def _check_installed() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        pytest.fail(
            f"{', '.join(map(str, missing))} missing: the browser tests need Debian's chromium "
            "and its driver (apt-get install -y chromium chromium-driver, or scripts/setup)",
            pytrace=False,
        )


@contextmanager
def browser_session(lang: str = "en") -> Iterator[WebDriver]:
    """A headless chromium (1600x1000, the given UI language); closed on leaving."""
    _check_installed()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in a container: chromium's sandbox needs user namespaces
        "--disable-dev-shm-usage",
        "--window-size=1600,1000",
        f"--lang={lang}",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
    ):
        options.add_argument(arg)
    service = Service(executable_path=str(CHROMEDRIVER))
    try:
        driver = webdriver.Chrome(options=options, service=service)
    except WebDriverException as exc:
        pytest.fail(f"chromium did not start through {CHROMEDRIVER}: {exc.msg}", pytrace=False)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def run_web(db: Path, env: dict[str, str], cwd: Path) -> Iterator[str]:
    """``konform web`` (the real CLI) on ``db`` on a free loopback port; yields its base URL
    once it answers, stops it (SIGTERM) on leaving."""
    port = free_port()
    log = (cwd / "web.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "konform.cli.main", "--db", str(db), "web",
         "--host", "127.0.0.1", "--port", str(port)],
        cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"konform web exited {proc.returncode}: {_tail(cwd / 'web.log')}")
            try:
                with urllib.request.urlopen(f"{base}/", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"konform web did not answer on {base}: {_tail(cwd / 'web.log')}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-2000:] if path.exists() else "(no log)"


def until(what: str, probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    """Polls ``probe`` every 0.1 s until it returns something truthy; fails naming ``what``."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        try:
            last = probe()
        except StaleElementReferenceException:
            last = None  # the page redrew the element between find and read
        if last:
            return last
        time.sleep(0.1)
    pytest.fail(f"timed out after {timeout:g} s waiting for {what} (last: {last!r})")


def log_in(driver: WebDriver, base: str, user: str, password: str, lang: str = "en") -> None:
    """Logs in through the login page's form and waits to leave it."""
    driver.get(f"{base}/?lang={lang}")
    until("the login form", lambda: driver.find_elements(By.ID, "username"))
    driver.find_element(By.ID, "username").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login-button").click()
    until("leaving the login page", lambda: "/?" not in driver.current_url.removeprefix(base))
