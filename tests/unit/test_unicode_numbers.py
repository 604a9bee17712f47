"""finding 6: digits of other scripts pass no fast path into an internal error."""

from __future__ import annotations

import pytest

from konform.numbers import InvalidNumber, normalize
from tests.conftest import CliRunner

FULL_WIDTH = "+4930123450９"  # the last digit is U+FF19


def test_full_width_digits_are_read_as_ascii() -> None:
    """finding 6: '+4930123450９' passed the German fast path and crashed later."""
    assert normalize(FULL_WIDTH) == "+49301234509"
    assert normalize("٠٣٠ ١٢٣٤٥٦٧") == "+49301234567"  # Arabic-Indic digits


def test_a_number_is_only_ever_ascii() -> None:
    """finding 6: nothing but '+' and ASCII digits leaves normalize()."""
    for text in ("+49301234567\u200b", "+4930 123 4567", "+4930１２３４５６７"):
        try:
            number = normalize(text)
        except InvalidNumber:
            continue
        assert number.isascii()
        assert number[1:].isdigit()


@pytest.mark.parametrize("command", [("optout",), ("gdpr", "export")])
def test_cli_takes_full_width_digits(cli: CliRunner, command: tuple[str, ...]) -> None:
    """finding 6: optout and gdpr export ended with an internal error (exit 3)."""
    cli("callerid", "add", "+4930555000100")
    result = cli(*command, FULL_WIDTH)
    assert result.code == 0, result.err


def test_policy_check_with_full_width_digits(cli: CliRunner) -> None:
    """finding 6: policy check ended with an internal error (exit 3)."""
    cli("callerid", "add", "+4930555000100")
    cli("campaign", "add", "spring", "--caller-id", "+4930555000100", "--purpose", "sales")
    result = cli(
        "policy", "check", "--campaign", "spring", "--number", FULL_WIDTH,
        "--at", "2026-11-24T10:00:00+01:00", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert "no_consent" in [r["code"] for r in result.json()["reasons"]]
