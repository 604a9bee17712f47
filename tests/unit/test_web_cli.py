"""``konform user`` and the ``[web]`` settings: weak passwords refused, no plain password
stored, no default account; the console's value checks; ``konform report --json`` with csat."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from konform.config import ConfigError, load_config
from konform.policy import Campaign
from konform.store import callerids, campaigns
from konform.store.database import open_store
from tests.conftest import CliRunner

STRONG = "Lindenblüte-im-Mai"


def _stdin(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(text))


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("short-pw", "shorter than 12"),
        ("password1234", "well-known"),
        ("Passwort!!2024", "well-known word"),
        ("anna.schmidt-2026", "user name"),
        ("aaaaaaaaaaaaaaaa", "too few different"),
    ],
)
def test_weak_passwords_are_refused(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, password: str, why: str
) -> None:
    _stdin(monkeypatch, password + "\n")
    result = cli("user", "add", "anna.schmidt", "--role", "supervisor", "--password-stdin")
    assert result.code == 2
    assert why in result.err
    assert password not in result.err
    _stdin(monkeypatch, "")
    assert cli("user", "list").out == ""


def test_user_add_list_passwd_remove(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _stdin(monkeypatch, STRONG + "\n")
    added = cli("user", "add", "anna", "--role", "agent", "--agent", "agent1", "--password-stdin")
    assert added.code == 0, added.err
    no_phone = cli("user", "add", "ben", "--role", "agent", "--password-stdin")
    assert no_phone.code == 2
    assert "--agent" in no_phone.err
    _stdin(monkeypatch, STRONG + "\n")
    twice = cli("user", "add", "anna", "--role", "dpo", "--password-stdin")
    assert twice.code == 2
    assert "exists" in twice.err
    (row,) = cli("user", "list", "--json").json()
    assert (row["name"], row["role"], row["agent"]) == ("anna", "agent", "agent1")
    _stdin(monkeypatch, "Kastanienallee-7\n")
    assert cli("user", "passwd", "anna", "--password-stdin").code == 0
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("konform.db*"))
    assert STRONG.encode() not in raw
    assert b"Kastanienallee" not in raw
    assert b"$argon2id$" in raw
    assert cli("user", "remove", "anna").code == 0
    assert cli("user", "remove", "anna").code == 2
    lines = [json.loads(line) for line in cli("audit").out.splitlines()]
    events = [e["event"] for e in lines if e["event"].startswith("user_")]
    assert events == ["user_added", "user_password_set", "user_removed"]


def test_report_json_has_csat(cli: CliRunner, tmp_path: Path) -> None:
    store = open_store(tmp_path / "konform.db")
    try:
        callerids.add(store, "+49305550001")
        campaigns.add(store, Campaign("spring", "+49305550001", "sales"))
        store.conn.execute(
            "INSERT INTO call_attempts (campaign_id, number_key, started_at, ended_at, outcome,"
            " csat) VALUES (1, x'01', '2026-11-30T08:00:00+00:00',"
            " '2026-11-30T08:01:00+00:00', 'human', 4), (1, x'02', '2026-11-30T09:00:00+00:00',"
            " '2026-11-30T09:01:00+00:00', 'human', 5)"
        )
    finally:
        store.close()
    figures = cli("report", "--campaign", "spring", "--json").json()
    assert figures["csat"] == {"avg": 4.5, "count": 2}
    assert "satisfaction\t4.50 of 5\t(2 ratings)" in cli("report", "--campaign", "spring").out


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"KONFORM_WEB_METRICS_TOKEN": "secret"}, "metrics_token is weak"),
        ({"KONFORM_WEB_METRICS_TOKEN": "x" * 31}, "metrics_token is weak"),
        ({"KONFORM_WEB_HOST": "0.0.0.0"}, "secure_cookies"),
        ({"KONFORM_WEB_ALLOWED_NETWORKS": "10.0.0.0/33"}, "allowed_networks"),
        ({"KONFORM_WEB_TRUSTED_PROXIES": "proxy"}, "trusted_proxies"),
        ({"KONFORM_WEB_PORT": "0"}, "[web] port"),
        ({"KONFORM_WEB_SESSION_HOURS": "72"}, "session_hours"),
        ({"KONFORM_WEB_DISPOSITIONS": "sale,Sale Done"}, "dispositions"),
        ({"KONFORM_WEB_ENABLED": "maybe"}, "true or false"),
    ],
)
def test_web_settings_are_checked(
    env: dict[str, str], words: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_config(env=env)


def test_web_settings_from_the_file(tmp_path: Path) -> None:
    file = tmp_path / "konform.toml"
    file.write_text(
        "[web]\nenabled = true\nhost = '192.0.2.10'\nsecure_cookies = true\n"
        "allowed_networks = ['10.1.0.0/16', '192.0.2.0/24']\nmetrics_token = '" + "ab" * 16 + "'\n"
    )
    web = load_config(file, env={}).web
    assert web.enabled
    assert web.secure_cookies
    assert web.network_list == ["10.1.0.0/16", "192.0.2.0/24"]


def test_web_refuses_without_a_database(cli: CliRunner) -> None:
    result = cli("web", "--port", "18999")
    assert result.code == 2
    assert "no database" in result.err
    bad = cli("web", "--host", "0.0.0.0")
    assert bad.code == 2
    assert "secure_cookies" in bad.err
