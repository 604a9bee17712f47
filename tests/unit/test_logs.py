"""Log output (konform.logs): JSON lines, levels, and no secret nor plain number in any line."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agi.routes import KonformRoutes
from agi.server import KonformAgi
from ari_app.ari import AriClient
from konform import logs
from konform.cli.main import main
from konform.store.database import open_store
from tests.agi_fake import FakeAsterisk

PASSWORD = "Zq7-vX9-secret-Lm2"
NUMBERS = ("+49301110002", "+49301110003", "+4930555000100", "+4930999999")
CLOCK = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def test_json_lines_carry_ts_level_logger_message() -> None:
    out = io.StringIO()
    logs.configure("info", "json", out)
    logging.getLogger("konform.test").info("call %s answered", "c-1")
    logging.getLogger("konform.test").debug("not shown at info")
    (line,) = out.getvalue().splitlines()
    record = json.loads(line)
    assert set(record) == {"ts", "level", "logger", "message"}
    assert (record["level"], record["logger"]) == ("info", "konform.test")
    assert record["message"] == "call c-1 answered"
    assert datetime.fromisoformat(record["ts"]).tzinfo is not None


def test_redactor_masks_secrets_in_every_form_and_numbers_but_not_channel_ids() -> None:
    out = io.StringIO()
    logs.configure("debug", "text", out)
    logs.protect([("p@ss word/with+chars", "konform")])
    log = logging.getLogger("konform.test")
    log.warning("url ws://h/ari/events?api_key=konform:p%40ss%20word%2Fwith%2Bchars")
    log.warning("header Basic a29uZm9ybTpwQHNzIHdvcmQvd2l0aCtjaGFycw==")
    log.warning("plain p@ss word/with+chars")
    log.warning("numbers +49301110002, 0049301110003 and 030 111 (030111000.)")
    log.warning("channel 1732441200.12 at 1732441200")
    try:
        raise RuntimeError("boom p@ss word/with+chars")
    except RuntimeError:
        log.exception("failed for +49301110002")
    text = out.getvalue()
    assert "p@ss" not in text
    assert "p%40ss" not in text
    assert "a29uZm9ybTpwQHNz" not in text
    assert "+49301110002" not in text
    assert "0049301110003" not in text
    assert "030111000" not in text
    assert "+49…02" in text
    assert "1732441200.12 at 1732441200" in text
    assert "RuntimeError: boom ***" in text


def test_unknown_level_and_format_are_refused() -> None:
    with pytest.raises(SystemExit):
        main(["--log-format", "xml", "policy", "--help"])
    with pytest.raises(ValueError, match="log level"):
        logs.configure("loud")


async def test_no_line_of_a_cli_and_fastagi_run_carries_the_password_or_a_number(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("KONFORM_ARI_PASSWORD", PASSWORD)
    monkeypatch.delenv("KONFORM_CONFIG", raising=False)
    db = tmp_path / "konform.db"
    (tmp_path / "consents.csv").write_text(
        "number,purpose,given_at,confirmed_at,revoked_at,source\n"
        "+49301110002,energy-offer,2026-01-01T00:00:00+00:00,2026-01-01T00:05:00+00:00,,web\n"
    )
    (tmp_path / "contacts.csv").write_text(
        "number,name,region,kind,customer_until\n+49301110002,Erika,,b2c,\n+49301110003,Max,,b2c,\n"
    )
    base = ["--db", str(db), "--log-format", "json", "--log-level", "debug"]
    for command in (
        ["callerid", "add", "+4930555000100"],
        [
            "campaign",
            "add",
            "demo-energy",
            "--caller-id",
            "+4930555000100",
            "--purpose",
            "energy-offer",
        ],
        ["import", "consents", "consents.csv"],
        ["import", "contacts", "contacts.csv", "--campaign", "demo-energy"],
        ["policy", "check", "--campaign", "demo-energy", "--number", "+49301110002"],
        ["optout", "+49301110003"],
        ["gdpr", "erase", "+49301110003"],
    ):
        assert main([*base, *command]) in (0, 1), command
    caplog.set_level(logging.DEBUG)

    store = open_store(db)
    app = KonformAgi(max_sessions=4)
    KonformRoutes(store, "de", clock=lambda: CLOCK).install(app)
    server = await app.serve("127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        for script, headers, digits in (
            ("precheck", {"agi_extension": "+49301110002", "agi_arg_1": "demo-energy"}, ""),
            ("optout", {"agi_callerid": "+49301110003"}, "9"),
            ("callback", {"agi_extension": "+4930999999", "agi_callerid": "+49301110002"}, ""),
            ("optout", {"agi_callerid": "+4930999999x"}, "9"),  # unusable: logged, masked
            ("outcome", {"agi_callerid": "+49301110002"}, ""),  # no attempt id: logged
        ):
            await (await FakeAsterisk.call(port, script, **headers)).run(digits)
        # The ARI client's reconnect warning quotes aiohttp's error, which names the URL.
        async with AriClient("http://127.0.0.1:9", "konform", PASSWORD, "konform") as ari:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(anext(aiter(ari.events())), 0.3)
    finally:
        server.close()
        await server.wait_closed()
        await app.close()
        store.close()

    # log lines only: the commands' own messages to the user share stderr
    lines = [line for line in capsys.readouterr().err.splitlines() if line.startswith('{"ts"')]
    records = [json.loads(line) for line in lines]
    assert any(r["logger"] == "ari_app.ari" for r in records)
    assert any(r["logger"].startswith("agi") for r in records)
    for line in lines:
        assert PASSWORD not in line
        for number in NUMBERS:
            assert number not in line, line
    # the code's own masking, before the filter: what pytest's handler saw unfiltered
    raw = [r.getMessage() for r in caplog.records]
    assert not [m for m in raw if PASSWORD in m]
    assert not [m for m in raw if any(n in m for n in NUMBERS)]
