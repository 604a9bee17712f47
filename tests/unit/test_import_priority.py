"""Contacts with a priority and a best time to call: import, per-line errors, ``contact
priority`` and ``contact show``."""

from __future__ import annotations

from pathlib import Path

import pytest

from konform.store import audit, campaigns, contacts
from konform.store.database import Store, open_store
from tests.conftest import CliRunner

HEADER = "number,name,region,kind,customer_until,priority,call_after,call_before\n"


def _campaigns(cli: CliRunner, *names: str) -> None:
    assert cli("callerid", "add", "+49305550001").code == 0
    for name in names:
        code = cli("campaign", "add", name, "--caller-id", "+49305550001", "--purpose", "s").code
        assert code == 0


def _import(cli: CliRunner, tmp_path: Path, text: str, *options: str) -> tuple[int, str, str]:
    path = tmp_path / "contacts.csv"
    path.write_text(text)
    result = cli("import", "contacts", str(path), *options)
    return result.code, result.out, result.err


def _levels(store: Store, name: str) -> dict[str, int]:
    rows = store.conn.execute(
        "SELECT cc.number, cc.priority FROM campaign_contacts cc JOIN campaigns c"
        " ON c.id = cc.campaign_id WHERE c.name = ?",
        (name,),
    )
    return dict(rows)


def test_priority_and_best_time_land(cli: CliRunner, tmp_path: Path) -> None:
    _campaigns(cli, "spring")
    code, _, err = _import(
        cli,
        tmp_path,
        HEADER + "030 1111111,A,DE-BE,b2c,,1,9:30,12:00\n"
        "030 2222222,B,,b2c,,,,17:00\n"
        "030 3333333,C,,b2c,,9,,\n",
        "--campaign",
        "spring",
    )
    assert (code, err) == (0, "")
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {"+49301111111": 1, "+49302222222": 5, "+49303333333": 9}
        assert contacts.best_time(store, "+49301111111") == contacts.BestTime("09:30", "12:00")
        assert contacts.best_time(store, "+49302222222") == contacts.BestTime(None, "17:00")
        assert contacts.best_time(store, "+49303333333") == contacts.BestTime()
        assert contacts.best_time(store, "+49309999999") is None


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("030 1111111,A,,b2c,,0,,", "priority '0' must be a whole number from 1 to 9"),
        ("030 1111111,A,,b2c,,10,,", "from 1 to 9"),
        ("030 1111111,A,,b2c,,1.5,,", "from 1 to 9"),
        ("030 1111111,A,,b2c,,high,,", "from 1 to 9"),
        ("030 1111111,A,,b2c,,-1,,", "from 1 to 9"),
        ("030 1111111,A,,b2c,,,25:00,", "call_after '25:00' is not a time of day HH:MM"),
        ("030 1111111,A,,b2c,,,,noon", "call_before 'noon' is not a time of day"),
        ("030 1111111,A,,b2c,,,9.30,", "call_after"),
        ("030 1111111,A,,b2c,,,24:00,", "call_after"),
        ("030 1111111,A,,b2c,,,14:00,09:00", "call_after 14:00 must lie before call_before 09:00"),
        ("030 1111111,A,,b2c,,,10:00,10:00", "must lie before"),
    ],
)
def test_bad_values_are_line_errors(cli: CliRunner, tmp_path: Path, line: str, words: str) -> None:
    _campaigns(cli, "spring")
    code, out, err = _import(
        cli, tmp_path, HEADER + line + "\n030 2222222,B,,b2c,,2,,\n", "--campaign", "spring"
    )
    assert code == 1
    (reported,) = err.splitlines()  # one line, the bad one, with its reason
    _, reason = reported.split("contacts.csv:2: ")
    assert words in reason
    assert "1 rows accepted" in out
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {"+49302222222": 2}  # the good line landed
        assert contacts.best_time(store, "+49301111111") is None


def test_strict_writes_nothing_on_a_bad_priority(cli: CliRunner, tmp_path: Path) -> None:
    _campaigns(cli, "spring")
    code, out, _ = _import(
        cli,
        tmp_path,
        HEADER + "030 1111111,A,,b2c,,3,,\n030 2222222,B,,b2c,,x,,\n",
        "--campaign",
        "spring",
        "--strict",
    )
    assert code == 1
    assert "nothing written" in out
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {}


def test_priority_only_with_campaign_and_reimport_updates(cli: CliRunner, tmp_path: Path) -> None:
    _campaigns(cli, "spring")
    assert _import(cli, tmp_path, HEADER + "030 1111111,A,,b2c,,2,08:00,10:00\n")[0] == 0
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {}  # no --campaign: the priority is not used
    # Put it on the list without a priority column: the default; the best time stays.
    plain = "number,name,region,kind,customer_until\n030 1111111,A,,b2c,\n"
    assert _import(cli, tmp_path, plain, "--campaign", "spring")[0] == 0
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {"+49301111111": 5}
        assert contacts.best_time(store, "+49301111111") == contacts.BestTime("08:00", "10:00")
    # A file with the columns sets the level on the list and replaces the best time.
    again = HEADER + "030 1111111,A,,b2c,,3,,\n"
    assert _import(cli, tmp_path, again, "--campaign", "spring")[0] == 0
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {"+49301111111": 3}
        assert contacts.best_time(store, "+49301111111") == contacts.BestTime()
    # An empty priority cell leaves the level as it is.
    blank = HEADER + "030 1111111,A,,b2c,,,,\n"
    assert _import(cli, tmp_path, blank, "--campaign", "spring")[0] == 0
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {"+49301111111": 3}


def test_contact_priority_command(cli: CliRunner, tmp_path: Path) -> None:
    _campaigns(cli, "spring", "summer", "autumn")
    row = "030 1111111,A,,b2c,,4,,\n"
    for name in ("spring", "summer"):
        assert _import(cli, tmp_path, HEADER + row, "--campaign", name)[0] == 0
    one = cli("contact", "priority", "030 1111111", "1", "--campaign", "spring")
    assert (one.code, one.out.strip()) == (0, "+49301111111: priority 1 on 1 campaign list")
    every = cli("contact", "priority", "+49 30 1111111", "2")
    assert every.out.strip() == "+49301111111: priority 2 on 2 campaign lists"
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {"+49301111111": 2}
        assert _levels(store, "summer") == {"+49301111111": 2}
        changes = [e for e in audit.entries(store, "+49301111111") if e["event"] == "priority_set"]
    assert [(e["campaign"], e["detail"]["before"], e["detail"]["after"]) for e in changes] == [
        ("spring", 4, 1),
        ("spring", 1, 2),
        ("summer", 4, 2),
    ]
    assert all(e["number_key"] for e in changes)  # keyed, never the plain number


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("030 1111111", "0"), "from 1 to 9"),
        (("030 1111111", "10"), "from 1 to 9"),
        (("030 1111111", "2", "--campaign", "nope"), "no campaign named 'nope'"),
        (("030 1111111", "2", "--campaign", "autumn"), "not on campaign autumn's list"),
        (("030 9999999", "2"), "+49309999999 is not on any campaign list"),
        (("12", "2"), "number"),
    ],
)
def test_contact_priority_refusals(
    cli: CliRunner, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    _campaigns(cli, "spring", "autumn")
    assert (
        _import(cli, tmp_path, HEADER + "030 1111111,A,,b2c,,4,,\n", "--campaign", "spring")[0] == 0
    )
    result = cli("contact", "priority", *args)
    assert result.code == 2
    assert words in result.err
    assert result.err.count("\n") == 1
    with open_store(tmp_path / "konform.db") as store:
        assert _levels(store, "spring") == {"+49301111111": 4}


def test_contact_show(cli: CliRunner, tmp_path: Path) -> None:
    _campaigns(cli, "spring")
    text = HEADER + "030 1111111,Anna,DE-BE,b2c,active,1,09:00,11:30\n"
    assert _import(cli, tmp_path, text, "--campaign", "spring")[0] == 0
    shown = cli("contact", "show", "030 1111111", "--json").json()
    assert shown == {
        "number": "+49301111111",
        "name": "Anna",
        "region": "DE-BE",
        "kind": "b2c",
        "customer_until": "active",
        "basis": None,
        "call_after": "09:00",
        "call_before": "11:30",
        "campaigns": [{"campaign": "spring", "priority": 1, "done_at": None}],
    }
    table = cli("contact", "show", "030 1111111").out
    assert "best time\t09:00 to 11:30 (local)" in table
    assert "campaign spring\tpriority 1\tpending" in table
    missing = cli("contact", "show", "030 9999999")
    assert (missing.code, missing.err.count("\n")) == (2, 1)


def test_store_priority_api(store: Store) -> None:
    from konform.policy import Campaign

    campaigns.add(store, Campaign("c", "+49305550001", "s"))
    with store.transaction():
        assert (
            campaigns.assign(store, "c", ["+49301111111", "+49302222222"], {"+49301111111": 1}) == 2
        )
        assert campaigns.assign(store, "c", ["+49301111111"], {"+49301111111": 7}) == 0
    assert _levels(store, "c") == {"+49301111111": 7, "+49302222222": 5}
    with pytest.raises(ValueError, match="1 to 9"), store.transaction():
        campaigns.assign(store, "c", ["+49303333333"], {"+49303333333": 0})
    assert campaigns.priorities_of(store, "+49301111111") == [("c", 7, None)]
    with pytest.raises(ValueError, match="1 to 9"):
        campaigns.set_priority(store, "+49301111111", True)  # a bool is no level
    with pytest.raises(KeyError):
        campaigns.set_priority(store, "+49301111111", 2, "nope")
