"""``konform campaign add/set … --csat on|off --client NAME --script FILE`` and ``campaign
show``: stored, shown, audited; bad input refused with one line, exit 2, nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from konform.store import audit, campaign_console
from konform.store.database import open_store
from tests.conftest import CliRunner

CALLER = "+49305550001"


def _add(cli: CliRunner, name: str, *options: str) -> tuple[int, str, str]:
    result = cli("campaign", "add", name, "--caller-id", CALLER, "--purpose", "sales", *options)
    return result.code, result.out, result.err


def _settings(tmp_path: Path, name: str) -> campaign_console.ConsoleSettings:
    with open_store(tmp_path / "konform.db") as store:
        return campaign_console.get(store, name)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "script.txt"
    path.write_text(
        "Name the company and the client\n\nAsk whether the moment suits\n"
        "  Point to the right to object  \n",
        encoding="utf-8",
    )
    return path


def test_add_with_console_settings(cli: CliRunner, tmp_path: Path, script: Path) -> None:
    assert cli("callerid", "add", CALLER).code == 0
    code, out, _ = _add(
        cli, "spring", "--csat", "on", "--client", "Stadtwerke Demo", "--script", str(script)
    )
    assert code == 0
    assert "client Stadtwerke Demo, script of 3 points, rating question on" in out
    assert _settings(tmp_path, "spring") == campaign_console.ConsoleSettings(
        "Stadtwerke Demo",
        (
            "Name the company and the client",
            "Ask whether the moment suits",
            "Point to the right to object",
        ),
        True,
    )
    shown = cli("campaign", "show", "spring").out.splitlines()
    assert "client: Stadtwerke Demo" in shown
    assert "rating question: on" in shown
    assert "script: 3 points" in shown
    assert shown[-1] == "  3. Point to the right to object"
    assert _add(cli, "summer")[0] == 0
    assert _settings(tmp_path, "summer") == campaign_console.ConsoleSettings()
    assert "rating question: off" in cli("campaign", "show", "summer").out


def test_set_changes_only_what_is_given_and_is_audited(
    cli: CliRunner, tmp_path: Path, script: Path
) -> None:
    assert cli("callerid", "add", CALLER).code == 0
    assert _add(cli, "spring", "--client", "Old Client")[0] == 0
    result = cli("campaign", "set", "spring", "--csat", "on", "--script", str(script))
    assert result.code == 0, result.err
    assert "script 0 -> 3 points" in result.out
    assert "rating question off -> on" in result.out
    settings = _settings(tmp_path, "spring")
    assert (settings.client, len(settings.script), settings.csat) == ("Old Client", 3, True)
    result = cli("campaign", "set", "spring", "--csat", "off", "--ratio", "2")
    assert result.code == 0, result.err
    assert "ratio 1.0 -> 2.0" in result.out
    assert not _settings(tmp_path, "spring").csat
    assert cli("campaign", "set", "spring", "--csat", "off").out.strip() == (
        "campaign spring unchanged"
    )
    assert cli("campaign", "set", "spring", "--client", "").code == 0
    assert _settings(tmp_path, "spring").client is None
    with open_store(tmp_path / "konform.db") as store:
        changes = [e["detail"] for e in audit.entries(store) if e["event"] == "campaign_changed"]
    assert len(changes) == 5  # client at the add, script+csat, ratio, csat, client


@pytest.mark.parametrize(
    ("options", "error"),
    [
        (("--csat", "yes"), "--csat 'yes' must be on or off"),
        (("--client", "a\nb"), "--client: client must be one line"),
        (("--script", "missing.txt"), "--script missing.txt: No such file or directory"),
        (("--script", "empty.txt"), "--script empty.txt: the script has no points"),
        (("--script", "latin1.txt"), "--script latin1.txt: not UTF-8 text"),
        (("--script", "long.txt"), "--script long.txt: point 2 of the script is longer"),
    ],
)
def test_bad_console_input_is_one_line_exit_2_nothing_written(
    cli: CliRunner, tmp_path: Path, options: tuple[str, ...], error: str
) -> None:
    (tmp_path / "empty.txt").write_text("\n \n", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("Grüße\n".encode("latin-1"))
    (tmp_path / "long.txt").write_text("ok\n" + "x" * 400 + "\n", encoding="utf-8")
    assert cli("callerid", "add", CALLER).code == 0
    code, _, err = _add(cli, "spring", *options)
    assert code == 2
    assert err.strip().startswith(f"konform: error: {error}"), err
    assert len(err.strip().splitlines()) == 1
    assert cli("campaign", "list").out == "", "no campaign added"
    assert _add(cli, "spring")[0] == 0
    result = cli("campaign", "set", "spring", *options)
    assert result.code == 2
    assert _settings(tmp_path, "spring") == campaign_console.ConsoleSettings()


def test_show_of_an_unknown_campaign(cli: CliRunner) -> None:
    assert cli("callerid", "add", CALLER).code == 0
    result = cli("campaign", "show", "nope")
    assert (result.code, result.err.strip()) == (2, "konform: error: no campaign named 'nope'")
