"""Numbers: E.164 normalisation, refusal of emergency/short numbers, list keys."""

from __future__ import annotations

import pytest

from konform.numbers import (
    InvalidNumber,
    digest_key,
    is_sha256_hex,
    normalize,
    number_key,
    sha256_hex,
)

SECRET = b"k" * 32


@pytest.mark.parametrize(
    "raw",
    ["030 1234567", "+49 30 1234567", "0049301234567", "(030) 123-45-67", "+49 (0)30 1234567"],
)
def test_formats_normalise_to_one_e164(raw: str) -> None:
    assert normalize(raw) == "+49301234567"


def test_foreign_number_keeps_its_country() -> None:
    assert normalize("+43 1 5123456") == "+4315123456"


@pytest.mark.parametrize(
    "raw",
    ["110", "112", "+49112", "116117", "116 116", "19222", "", "  ", "abc", "030", "+49 30 1"],
)
def test_emergency_short_and_invalid_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidNumber):
        normalize(raw)


def test_digest_of_e164_and_number_land_on_the_same_key() -> None:
    e164 = "+4930123456"
    assert sha256_hex(e164) == (__import__("hashlib").sha256(b"+4930123456").hexdigest())
    assert digest_key(SECRET, sha256_hex(e164)) == number_key(SECRET, e164)
    assert digest_key(SECRET, sha256_hex(e164).upper()) == number_key(SECRET, e164)


def test_keys_depend_on_the_secret() -> None:
    assert number_key(SECRET, "+4930123456") != number_key(b"x" * 32, "+4930123456")


def test_sha256_hex_detection() -> None:
    assert is_sha256_hex("a" * 64)
    assert not is_sha256_hex("a" * 63)
    assert not is_sha256_hex("g" * 64)


def test_fast_german_validation_agrees_with_phonenumbers() -> None:
    import random

    import phonenumbers

    from konform.numbers import is_valid_german

    rng = random.Random(49)
    prefixes = [
        "30",
        "40",
        "89",
        "221",
        "3581",
        "151",
        "152",
        "160",
        "170",
        "176",
        "1575",
        "180",
        "800",
        "900",
        "700",
        "32",
        "31",
        "137",
        "199",
        "116",
        "9",
    ]
    disagreements = []
    for _ in range(30_000):
        national = rng.choice(prefixes) + "".join(
            rng.choice("0123456789") for _ in range(rng.randint(1, 12))
        )
        if national[0] == "0":
            continue
        expected = phonenumbers.is_valid_number(
            phonenumbers.PhoneNumber(country_code=49, national_number=int(national))
        )
        if is_valid_german(national) != expected:
            disagreements.append(national)
    assert disagreements == []


def test_fast_path_and_slow_path_agree() -> None:
    for text in ("+49301234567", "+4915123456789", "+4930123", "+49151123"):
        fast = _outcome(text)
        slow = _outcome(text.replace("+49", "0"))
        assert fast == slow, text


def _outcome(text: str) -> str:
    try:
        return normalize(text)
    except InvalidNumber:
        return "invalid"


def test_keyer_matches_the_reference_hmac() -> None:
    from konform.numbers import Keyer

    for secret in (SECRET, b"short", b"L" * 100):
        keyer = Keyer(secret)
        assert keyer.number_key("+4930123456") == number_key(secret, "+4930123456")
        digest = sha256_hex("+4989123456")
        assert keyer.digest_key(digest.upper()) == digest_key(secret, digest)
