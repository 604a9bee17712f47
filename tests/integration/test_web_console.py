"""The web console's pages in a real browser (Debian's chromium through selenium) against
``konform web`` (the real CLI, a child process on a free loopback port) on a database that a
real sandbox campaign filled (``konform serve`` on the Asterisk sandbox):

- login: a wrong password is refused on the page, the right one opens the role's page;
- the wallboard shows the numbers of ``konform report --json`` and updates itself (SSE);
- an agent's desk shows the contact of a call konform bridged to the agent's sandbox phone, and
  its "opt-out now" puts the number on the objection list (said done only after the server did);
- a supervisor pauses the campaign on the supervisor page and no new call starts;
- an agent cannot open an export (403) nor the wallboard (refused panel).

The screenshots docs/img/wallboard.png and docs/img/desk.png are written by these tests.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.select import Select

from ari_app.engine import STORE_POLL_S
from konform.store import campaign_console, campaigns, donotcall
from konform.store.database import open_store
from konform_sandbox.demo import (
    CAMPAIGN,
    demo_db_calling_only,
)
from konform_sandbox.sandbox import Sandbox
from tests.integration.serve_env import serve_demo
from tests.integration.test_restart import attempts_of
from tests.integration.web_browser import browser_session, log_in, run_web, until

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
IMG = REPO / "docs" / "img"
CLIENT = "Stadtwerke Beispiel GmbH"
SCRIPT = [
    "Ask whether the moment suits",
    "Name the company and on whose behalf you call",
    "Explain the offer",
    "Point to the right to object (opt-out)",
]


@dataclass(frozen=True)
class Console:
    folder: Path
    db: Path
    passwords: dict[str, str]


def web_env(agents: str = "") -> dict[str, str]:
    """The caller's environment without its own KONFORM_ settings, importing this worktree;
    ``agents``: the [dialer] agents the console shares with ``serve`` (as one config would)."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("KONFORM_")}
    own = {"KONFORM_DIALER_AGENTS": agents} if agents else {}
    return {**inherited, "PYTHONPATH": str(REPO), **own}


def cli(db: Path, cwd: Path, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "konform.cli.main", "--db", str(db), *args],
        cwd=cwd, env=web_env(), input=stdin, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def prepare(folder: Path, people: list[str]) -> Console:
    """The demo database with ``people`` (named contacts with double opt-in) on the campaign's
    list, the campaign's client and script, and one account per role (random passwords)."""
    db = demo_db_calling_only(folder, people)
    with open_store(db) as store:  # what `campaign set --client --script` writes
        campaign_console.change(store, CAMPAIGN.name, client=CLIENT, script=tuple(SCRIPT))
    passwords: dict[str, str] = {}
    for name, role, agent in (
        ("anna", "supervisor", None),
        ("agent1", "agent", "agent1"),
        ("dora", "dpo", None),
    ):
        password = secrets.token_urlsafe(18)
        extra = ["--agent", agent] if agent else []
        cli(db, folder, "user", "add", name, "--role", role, *extra, "--password-stdin",
            stdin=password + "\n")  # fmt: skip
        passwords[name] = password
    return Console(folder, db, passwords)


def serve(sandbox: Sandbox, console: Console, agents: str, *extra: str) -> subprocess.Popen[str]:
    return serve_demo(
        sandbox, console.folder, agents, *extra, consent_wait="1", optout_wait="1", wrap_up="1"
    )


def stop(proc: subprocess.Popen[str]) -> tuple[str, str]:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
    try:
        return proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


@pytest.fixture(scope="module")
def finished(sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory) -> Console:
    """A campaign the sandbox ran to its end (``serve --until-done``), for the read-only pages."""
    sandbox.set_agent_talk(3)
    people = [f"+4930114000{i}" for i in range(1, 5)]
    console = prepare(tmp_path_factory.mktemp("web-finished"), people)
    proc = serve(sandbox, console, "agent1,agent2", "--until-done")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, (out, err)
    assert len(attempts_of(console.db)) == len(people)
    return console


@pytest.fixture(scope="module")
def base(finished: Console) -> Iterator[str]:
    with run_web(finished.db, web_env("agent1,agent2"), finished.folder) as url:
        yield url


# Read in one go inside the page (the board may redraw between two WebDriver calls).
_FIGURES_JS = """
const out = {};
for (const fig of document.querySelectorAll(arguments[0] + ' .fig[data-field]')) {
  const value = fig.querySelector('.value'), note = fig.querySelector('.note');
  out[fig.dataset.field] = {raw: value.dataset.value, text: value.textContent,
                            note: note ? note.textContent : null};
}
return out;
"""


def card_figures(driver: WebDriver, card: str) -> dict[str, dict[str, Any]]:
    """Each figure of a wallboard card: its raw value (data-value, JSON; None when empty),
    its text and its note."""
    found: dict[str, dict[str, Any]] = driver.execute_script(_FIGURES_JS, card)
    for fig in found.values():
        fig["value"] = json.loads(fig.pop("raw")) if fig["raw"] else None
    return found


def attribute(driver: WebDriver, css: str, name: str) -> str:
    return driver.find_element(By.CSS_SELECTOR, css).get_attribute(name) or ""


def status_of(driver: WebDriver, path: str) -> int:
    """The HTTP status of a GET of ``path`` from the page, with the browser's session."""
    status: int = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => done(r.status));",
        path,
    )
    return status


def test_login_refuses_a_wrong_password_and_opens_the_role_page(
    finished: Console, base: str
) -> None:
    with browser_session() as driver:
        driver.get(f"{base}/?lang=en")
        until("the login form", lambda: driver.find_elements(By.ID, "username"))
        driver.find_element(By.ID, "username").send_keys("anna")
        driver.find_element(By.ID, "password").send_keys("not-" + finished.passwords["anna"])
        driver.find_element(By.ID, "login-button").click()
        alert = driver.find_element(By.CSS_SELECTOR, "#login-error[role=alert]")
        until("the refusal", lambda: alert.text)
        assert alert.text == "Wrong user name or password."
        assert driver.current_url.startswith(f"{base}/?")
        log_in(driver, base, "anna", finished.passwords["anna"], lang="de")
        assert driver.current_url == f"{base}/wallboard?lang=de"
        until("the German wallboard", lambda: driver.find_element(By.ID, "campaigns").text)
        assert driver.find_element(By.ID, "campaigns-heading").text == "Kampagnen"
        assert "anna (Supervisor)" in driver.find_element(By.ID, "who").text
        # The language switch redraws the page in English without reloading it.
        driver.execute_script("window.notReloaded = true")
        driver.find_element(By.CSS_SELECTOR, "button[data-lang-choice='en']").click()
        heading = driver.find_element(By.ID, "campaigns-heading")
        until("the English wallboard", lambda: heading.text == "Campaigns")
        assert driver.execute_script("return window.notReloaded") is True
        assert driver.current_url == f"{base}/wallboard?lang=en"
        # The page asks for the login again once the session is gone.
        driver.find_element(By.ID, "logout").click()
        until("the login page", lambda: driver.find_elements(By.ID, "login-form"))
        driver.get(f"{base}/wallboard")
        until("the redirect to the login", lambda: driver.find_elements(By.ID, "login-form"))


# The wallboard's campaign figures and the `konform report --json` keys they must equal.
FIGURES = {
    "attempts": "attempts",
    "answer_rate": "answer_rate",
    "avg_time_to_answer_s": "avg_time_to_answer_s",
    "machine_rate": "machine_rate",
    "abandon_rate_hour": "abandon_rate_last_hour",
    "abandon_rate_24h": "abandon_rate_24h",
    "missed.abandoned": "abandoned",
}


def test_wallboard_shows_the_report_and_stays_live(finished: Console, base: str) -> None:
    report = json.loads(
        cli(finished.db, finished.folder, "report", "--campaign", CAMPAIGN.name, "--json")
    )
    with browser_session() as driver:
        log_in(driver, base, "anna", finished.passwords["anna"])
        card = f'article[data-campaign="{CAMPAIGN.name}"]'
        until("the campaign's card", lambda: driver.find_elements(By.CSS_SELECTOR, card))
        shown = card_figures(driver, card)
        for field, key in FIGURES.items():
            assert shown[field]["value"] == report[key], (field, shown[field], report[key])
        assert shown["missed.no_answer"]["value"] == report["outcomes"]["no_answer"]
        assert shown["csat.avg"]["value"] == report["csat"]["avg"]
        assert shown["csat.avg"]["note"] == f"{report['csat']['count']} ratings"
        assert shown["attempts"]["text"] == str(report["attempts"])
        by_state = card_figures(driver, "#agents-by-state")
        assert by_state["agents_by_state.logged_out"]["value"] == 2  # serve has stopped
        # Live: the server-sent events redraw the board at least every 2 s, without a reload.
        marker = driver.execute_script(
            "window.notReloaded = true; return document.body.dataset.updates"
        )
        first = int(marker)
        start = time.monotonic()
        until(
            "two more updates",
            lambda: int(driver.execute_script("return document.body.dataset.updates")) >= first + 2,
            timeout=6,
        )
        assert time.monotonic() - start < 5
        assert driver.execute_script("return window.notReloaded") is True
        live = driver.find_element(By.ID, "live")
        assert live.get_attribute("data-kind") == "ok", live.text
        seen = live.get_attribute("data-at")
        until("a newer update shown", lambda: live.get_attribute("data-at") != seen, timeout=4)
        IMG.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(IMG / "wallboard.png"))


def test_agent_cannot_open_an_export_nor_the_wallboard(finished: Console, base: str) -> None:
    with browser_session() as driver:
        log_in(driver, base, "agent1", finished.passwords["agent1"])
        assert driver.current_url == f"{base}/desk?lang=en"
        for path in ("/api/export/audit", "/api/export/processing-record"):
            status = status_of(driver, path)
            assert status == 403, path
            driver.get(f"{base}{path}")
            assert '"error"' in driver.find_element(By.TAG_NAME, "body").text, path
        driver.get(f"{base}/wallboard")
        refused = until("the refused panel", lambda: driver.find_elements(By.ID, "refused"))
        assert refused[0].get_attribute("role") == "alert"
        assert not driver.find_elements(By.CSS_SELECTOR, "article[data-campaign]")
    with browser_session() as driver:  # the data-protection officer may
        log_in(driver, base, "dora", finished.passwords["dora"])
        assert status_of(driver, "/api/export/audit") == 200


def test_supervisor_changes_pacing_and_a_bad_value_is_refused(finished: Console, base: str) -> None:
    with browser_session() as driver:
        log_in(driver, base, "anna", finished.passwords["anna"])
        driver.get(f"{base}/supervisor?lang=en")
        line = f'tr[data-campaign="{CAMPAIGN.name}"]'
        until("the campaign row", lambda: driver.find_elements(By.CSS_SELECTOR, line))
        ratio = driver.find_element(By.CSS_SELECTOR, f'{line} input[name="ratio"]')
        assert ratio.get_attribute("aria-label") == f"Ratio – {CAMPAIGN.name}"
        ratio.clear()
        ratio.send_keys("1.5")
        driver.find_element(By.CSS_SELECTOR, f"{line} button.save").click()
        message = driver.find_element(By.ID, "supervisor-message")
        until("saved", lambda: message.get_attribute("data-kind") == "ok")
        assert message.text == f"{CAMPAIGN.name}: pacing saved."
        target = driver.find_element(By.CSS_SELECTOR, f'{line} input[name="abandon_target"]')
        target.clear()
        target.send_keys("5")  # % : above the 3 % the store allows
        driver.find_element(By.CSS_SELECTOR, f"{line} button.save").click()
        until("the refusal", lambda: message.get_attribute("data-kind") == "error")
        assert "abandon" in message.text, message.text
    store = open_store(finished.db)
    try:
        settings = campaigns.settings(store, CAMPAIGN.name)
    finally:
        store.close()
    assert settings.ratio == 1.5, settings
    assert settings.abandon_target == 0.03, settings


def test_desk_shows_the_bridged_call_opts_out_and_a_pause_stops_new_calls(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    people = [f"+4930115000{i}" for i in range(1, 7)]
    console = prepare(tmp_path / "live", people)
    sandbox.set_agent_talk(40)  # the agent's phone stays on the line while the test works
    proc: subprocess.Popen[str] | None = None
    try:
        with run_web(console.db, web_env("agent1"), console.folder) as url, \
                browser_session() as desk, browser_session() as boss:  # fmt: skip
            log_in(desk, url, "agent1", console.passwords["agent1"])
            until(
                "the desk", lambda: desk.find_element(By.ID, "my-state").get_attribute("data-value")
            )
            desk.find_element(By.ID, "ready").click()
            until(
                "ready",
                lambda: desk.find_element(By.ID, "my-state").get_attribute("data-value") == "ready",
            )
            proc = serve(sandbox, console, "agent1")
            call = desk.find_element(By.ID, "call")
            until("a bridged call on the desk", lambda: call.is_displayed(), timeout=90)
            rows = attempts_of(console.db)
            bridged = [r for r in rows if r["bridged_at"] and r["agent"] == "agent1"]
            assert len(bridged) == 1, rows
            number = bridged[0]["number"]
            index = people.index(number) + 1
            name = desk.find_element(By.ID, "contact-name")
            until("the contact's name", lambda: name.text == f"Far-end person {index}")
            shown_number = desk.find_element(By.ID, "contact-number").text
            assert number not in shown_number
            assert shown_number.endswith(number[-2:])
            assert desk.find_element(By.ID, "call-campaign").text == CAMPAIGN.name
            assert desk.find_element(By.ID, "call-client").text == CLIENT
            for field in ("recording", "recording-consent"):
                shown = attribute(desk, f"#{field}", "data-value")
                assert shown in ("true", "false"), (field, shown)
            points = desk.find_elements(By.CSS_SELECTOR, "#script-points label")
            assert [p.text for p in points] == SCRIPT
            desk.find_element(By.CSS_SELECTOR, "#script-points input[data-point='0']").click()
            desk.find_element(By.CSS_SELECTOR, "#script-points input[data-point='1']").click()
            assert "2 of 4" in desk.find_element(By.ID, "script-progress").text
            IMG.mkdir(parents=True, exist_ok=True)
            desk.set_window_size(1600, 1250)  # down to the contact's (empty) history
            desk.save_screenshot(str(IMG / "desk.png"))

            # Wrap-up: disposition and note go on the attempt.
            Select(desk.find_element(By.ID, "disposition")).select_by_value("callback")
            desk.find_element(By.ID, "note").send_keys("Call back after 2 pm")
            desk.find_element(By.ID, "wrapup").click()
            saved = desk.find_element(By.ID, "wrapup-message")
            until("the wrap-up saved", lambda: saved.get_attribute("data-kind") == "ok")
            assert "2 required script point(s) not ticked" in saved.text, saved.text
            row = next(r for r in attempts_of(console.db) if r["id"] == bridged[0]["id"])
            assert (row["disposition"], row["note"]) == ("callback", "Call back after 2 pm")

            # The supervisor pauses the campaign: no call starts after that, although the
            # agent is freed below (the console moves the callee into the opt-out menu).
            log_in(boss, url, "anna", console.passwords["anna"])
            boss.get(f"{url}/supervisor?lang=en")
            line = f'tr[data-campaign="{CAMPAIGN.name}"]'
            until("the campaign row", lambda: boss.find_elements(By.CSS_SELECTOR, line))
            boss.find_element(By.CSS_SELECTOR, f"{line} button.pause").click()
            until("the campaign paused", lambda: attribute(boss, line, "data-paused") == "true")
            paused_at = time.monotonic()
            before = len(attempts_of(console.db))
            time.sleep(STORE_POLL_S + 1)  # the engine reads the campaigns' pause this often

            # "To the opt-out menu" leaves a request for the engine (a call_commands row).
            desk.find_element(By.ID, "optout-menu").click()
            message = desk.find_element(By.ID, "optout-message")
            until("the request queued", lambda: message.text.startswith("Queued"))
            with sqlite3.connect(f"file:{console.db}?mode=ro", uri=True) as conn:
                commands = conn.execute(
                    "SELECT command FROM call_commands WHERE attempt_id = ?", (bridged[0]["id"],)
                ).fetchall()
            assert commands == [("optout_menu",)]

            desk.find_element(By.ID, "optout-now").click()
            message = desk.find_element(By.ID, "optout-message")
            until("the opt-out's done", lambda: message.text.startswith("Done"))
            assert message.get_attribute("data-kind") == "ok"
            assert not desk.find_element(By.ID, "optout-now").is_enabled()
            store = open_store(console.db)
            try:
                assert donotcall.is_listed(store, "internal", number)
            finally:
                store.close()
            row = next(r for r in attempts_of(console.db) if r["id"] == bridged[0]["id"])
            assert row["number"] is None, "the opt-out erased the attempt's number"
            assert (row["disposition"], row["note"]) == (None, None), "and the agent's note"
            # A wrap-up after the opt-out keeps nothing about the person, and says so.
            Select(desk.find_element(By.ID, "disposition")).select_by_value("no-interest")
            desk.find_element(By.ID, "note").send_keys("objected")
            desk.find_element(By.ID, "wrapup").click()
            until("the wrap-up's answer", lambda: "erased" in saved.text)
            row = next(r for r in attempts_of(console.db) if r["id"] == bridged[0]["id"])
            assert (row["disposition"], row["note"]) == (None, None)

            # The bridged call ends (the callee left for the opt-out menu), the agent is free
            # again: a running campaign would call the next person now.
            deadline = paused_at + 60
            while time.monotonic() < deadline:
                rows = attempts_of(console.db)
                if all(r["ended_at"] for r in rows):
                    break
                time.sleep(0.5)
            time.sleep(8)
            assert len(attempts_of(console.db)) == before, "no new call after the pause"
            assert before < len(people)
    finally:
        if proc is not None:
            out, err = stop(proc)
            assert proc.returncode == 0, (out, err)
        sandbox.set_agent_talk(sandbox.settings.agent_talk_s)
    with sqlite3.connect(f"file:{console.db}?mode=ro", uri=True) as conn:
        assert conn.execute("SELECT count(*) FROM claims").fetchone() == (0,)
