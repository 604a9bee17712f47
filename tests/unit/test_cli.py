"""The CLI contract: commands, exit codes, one-line errors, the exact --json shape."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import CliRunner


def _campaign(cli: CliRunner) -> None:
    assert cli("callerid", "add", "030 5550001").code == 0
    assert (
        cli("campaign", "add", "spring", "--caller-id", "+49305550001", "--purpose", "sales").code
        == 0
    )


def test_callerid_add_list_remove(cli: CliRunner) -> None:
    assert cli("callerid", "add", "030 5550001").out.strip() == "+49305550001 added"
    assert "+49305550001" in cli("callerid", "list").out
    assert cli("callerid", "remove", "+49 30 5550001").code == 0
    assert cli("callerid", "list").out == ""
    removed_again = cli("callerid", "remove", "+49 30 5550001")
    assert removed_again.code == 2
    assert "not an owned" in removed_again.err


def test_campaign_refuses_unowned_anonymous_invalid_caller_id(cli: CliRunner) -> None:
    cli("callerid", "add", "030 5550001")
    for caller_id, words in (
        ("+49305550002", "not owned"),
        ("anonymous", "anonymous"),
        ("", "anonymous"),
        ("112", "emergency"),
        ("abc", "not a phone"),
    ):
        result = cli("campaign", "add", "x", "--caller-id", caller_id, "--purpose", "sales")
        assert result.code == 2, caller_id
        assert words in result.err
        assert result.err.count("\n") == 1
        assert "Traceback" not in result.err


def test_campaign_window_must_be_narrower(cli: CliRunner) -> None:
    cli("callerid", "add", "030 5550001")
    wide = cli(
        "campaign",
        "add",
        "x",
        "--caller-id",
        "+49305550001",
        "--purpose",
        "s",
        "--window",
        "Mon-Sun 09:00-18:00",
    )
    assert wide.code == 2
    assert "wider than the legal" in wide.err
    ok = cli(
        "campaign",
        "add",
        "x",
        "--caller-id",
        "+49305550001",
        "--purpose",
        "s",
        "--window",
        "Mon-Fri 09:00-18:00",
        "--max-attempts",
        "5",
    )
    assert ok.code == 0
    assert "Mon-Fri 09:00-18:00\t5" in cli("campaign", "list").out
    assert cli("campaign", "add", "x", "--caller-id", "+49305550001", "--purpose", "s").code == 2


def test_policy_check_json_exact_shape(cli: CliRunner) -> None:
    _campaign(cli)
    result = cli(
        "policy",
        "check",
        "--campaign",
        "spring",
        "--number",
        "030 1234567",
        "--at",
        "2026-11-22T10:00:00+01:00",
        "--json",
    )
    assert result.code == 0
    data = result.json()
    assert set(data) == {"allowed", "reasons"}
    assert data["allowed"] is False
    assert [r["code"] for r in data["reasons"]] == ["no_consent", "sunday"]
    assert all(set(r) == {"code", "message"} and r["message"] for r in data["reasons"])


def test_policy_check_allowed_and_audited(cli: CliRunner, tmp_path: Path) -> None:
    _campaign(cli)
    consents = tmp_path / "consents.csv"
    consents.write_text(
        "number,purpose,given_at,confirmed_at,revoked_at,source\n"
        "030 1234567,sales,2026-01-01T10:00:00+01:00,2026-01-01T10:05:00+01:00,,web\n"
    )
    assert cli("import", "consents", str(consents)).code == 0
    result = cli(
        "policy",
        "check",
        "--campaign",
        "spring",
        "--number",
        "+49 30 1234567",
        "--at",
        "2026-11-23T10:00:00+01:00",
        "--json",
    )
    assert result.json() == {"allowed": True, "reasons": []}
    audit_lines = cli("audit", "--number", "030 1234567").out.strip().splitlines()
    assert '"event": "policy_check"' in audit_lines[-1]


def test_policy_check_invalid_number_single_reason(cli: CliRunner) -> None:
    _campaign(cli)
    data = cli("policy", "check", "--campaign", "spring", "--number", "110", "--json").json()
    assert data["allowed"] is False
    assert [r["code"] for r in data["reasons"]] == ["invalid_number"]


def test_reading_commands_without_a_database_create_none(cli: CliRunner, tmp_path: Path) -> None:
    result = cli("policy", "check", "--campaign", "spring", "--number", "030 1234567")
    assert result.code == 2
    assert "no database at" in result.err
    assert not (tmp_path / "konform.db").exists()
    for command in (["audit"], ["campaign", "list"], ["gdpr", "export", "030 1234567"]):
        result = cli(*command)
        assert result.code == 2, command
        assert "no database at" in result.err, command
    result = cli("import", "contacts", "contacts.csv", "--campaign", "nope")
    assert result.code == 2
    assert "no campaign named 'nope'" in result.err
    assert not (tmp_path / "konform.db").exists()


def test_policy_check_errors_are_one_line(cli: CliRunner) -> None:
    _campaign(cli)
    unknown = cli("policy", "check", "--campaign", "nope", "--number", "030 1234567")
    assert unknown.code == 2
    assert unknown.err.strip() == "konform: error: no campaign named 'nope'"
    bad_at = cli(
        "policy", "check", "--campaign", "spring", "--number", "030 1234567", "--at", "tomorrow"
    )
    assert bad_at.code == 2
    assert "ISO 8601" in bad_at.err


def test_import_exit_codes_and_line_numbers(cli: CliRunner, tmp_path: Path) -> None:
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "number,name,region,kind,customer_until\n030 1234567,Anna,DE-BE,b2c,\n112,X,,b2c,\n"
    )
    partial = cli("import", "contacts", str(contacts))
    assert partial.code == 1
    assert f"{contacts}:3: '112' is an emergency number" in partial.err
    assert "1 rows accepted" in partial.out
    strict = cli("import", "contacts", str(contacts), "--strict")
    assert strict.code == 1
    assert "nothing written" in strict.out
    clean = tmp_path / "clean.csv"
    clean.write_text("number,name,region,kind,customer_until\n030 1234567,Anna,DE-BE,b2c,\n")
    assert cli("import", "contacts", str(clean)).code == 0
    missing = cli("import", "robinson", str(tmp_path / "nope.txt"))
    assert missing.code == 2
    assert missing.err.count("\n") == 1


def test_optout_and_gdpr(cli: CliRunner) -> None:
    _campaign(cli)
    assert cli("optout", "030 1234567").code == 0
    data = cli(
        "policy",
        "check",
        "--campaign",
        "spring",
        "--number",
        "030 1234567",
        "--at",
        "2026-11-23T10:00:00+01:00",
        "--json",
    ).json()
    assert "dnc_internal" in [r["code"] for r in data["reasons"]]
    exported = cli("gdpr", "export", "030 1234567").json()
    assert exported["on_internal_list"] is True
    assert cli("gdpr", "erase", "030 1234567").code == 0


def test_db_from_environment(tmp_path: Path, monkeypatch: object) -> None:
    db = tmp_path / "env.db"
    env = {"KONFORM_DB": str(db), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "konform.cli.main", "callerid", "add", "030 5550001"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert db.exists()


def test_unwritable_db_folder_is_one_line(cli: CliRunner, tmp_path: Path) -> None:
    from konform.cli.main import main

    code = main(
        ["--db", str(tmp_path / "no" / "such" / "x.db"), "callerid", "add", "+4930555000100"]
    )
    assert code == 2


def test_help_lists_commands(capsys: object) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "konform.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    for command in ("callerid", "campaign", "import", "policy", "sandbox", "demo"):
        assert command in done.stdout


def test_import_contacts_onto_a_campaign(cli: CliRunner, tmp_path: Path) -> None:
    _campaign(cli)
    contacts = tmp_path / "contacts.csv"
    contacts.write_text("number,name,region,kind,customer_until\n030 1234567,Anna,DE-BE,b2c,\n")
    assert cli("import", "contacts", str(contacts), "--campaign", "nope").code == 2
    assert cli("import", "contacts", str(contacts), "--campaign", "spring").code == 0
    from konform.store import campaigns
    from konform.store.database import open_store

    store = open_store(tmp_path / "konform.db")
    assert campaigns.pending_numbers(store, "spring") == ["+49301234567"]
    store.close()


def test_serve_refuses_default_password(cli: CliRunner, monkeypatch: object) -> None:
    _campaign(cli)
    result = cli("serve", "--campaign", "spring", "--once")
    assert result.code == 2
    assert "password" in result.err


def test_campaign_retry_spacing_per_outcome(cli: CliRunner) -> None:
    cli("callerid", "add", "030 5550001")
    bad = cli(
        "campaign",
        "add",
        "x",
        "--caller-id",
        "+49305550001",
        "--purpose",
        "s",
        "--retry",
        "busy=soon",
    )
    assert bad.code == 2
    assert "duration" in bad.err
    unknown = cli(
        "campaign",
        "add",
        "x",
        "--caller-id",
        "+49305550001",
        "--purpose",
        "s",
        "--retry",
        "angry=1h",
    )
    assert unknown.code == 2
    assert "unknown outcome" in unknown.err
    ok = cli(
        "campaign",
        "add",
        "x",
        "--caller-id",
        "+49305550001",
        "--purpose",
        "s",
        "--retry",
        "busy=2h, no_answer=1d",
    )
    assert ok.code == 0
    listed = cli("campaign", "list").out
    assert "busy=2h" in listed
    assert "no_answer=1d" in listed
    assert "machine=4h" in listed
