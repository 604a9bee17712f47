"""Phone numbers: parsing to E.164 and the keyed hashes under which do-not-call lists are stored.

Emergency and short numbers are refused before anything else, as ``phonenumbers`` happily turns
``112`` into ``+49112``. The do-not-call key of a number is
``HMAC-SHA256(secret, SHA-256-hex(E.164))``: hashing the plain digest once more lets lists that
arrive as SHA-256 digests (the usual delivery form) and lists of plain numbers land on the same key,
while a copied database without the installation secret does not reveal the list.
"""

from __future__ import annotations

import hashlib
import hmac
import re

import phonenumbers
from phonenumbers import PhoneNumberType, shortnumberinfo

__all__ = [
    "InvalidNumber",
    "digest_key",
    "is_sha256_hex",
    "normalize",
    "number_key",
    "region_of",
    "sha256_hex",
]

DEFAULT_REGION = "DE"
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_NOT_CALLABLE_TYPES = frozenset({PhoneNumberType.UNKNOWN})


class InvalidNumber(ValueError):
    """The text is not a callable phone number (invalid, emergency or short number)."""


def normalize(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of ``raw`` or raise :class:`InvalidNumber` saying why."""
    text = raw.strip()
    if not text:
        raise InvalidNumber("empty number")
    digits = re.sub(r"[^\d+]", "", text)
    # Short strings first: emergency (110, 112) and short numbers (116117) are never callable.
    if len(digits.lstrip("+")) <= 6 and shortnumberinfo.is_emergency_number(digits, region):
        raise InvalidNumber(f"{text!r} is an emergency number")
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidNumber(f"{text!r} is not a phone number ({exc._msg})") from None
    national = str(parsed.national_number)
    if len(national) <= 6 and shortnumberinfo.is_valid_short_number(parsed):
        raise InvalidNumber(f"{text!r} is a short number")
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidNumber(f"{text!r} is not a valid phone number")
    if phonenumbers.number_type(parsed) in _NOT_CALLABLE_TYPES:
        raise InvalidNumber(f"{text!r} is not a callable phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str | None:
    """The ISO country code of an E.164 number (``DE`` for ``+4930…``), if known."""
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.region_code_for_number(parsed)


def sha256_hex(e164: str) -> str:
    """SHA-256 hex digest of the E.164 string, ``+`` included: the list delivery form."""
    return hashlib.sha256(e164.encode("ascii")).hexdigest()


def is_sha256_hex(text: str) -> bool:
    return _SHA256_HEX.fullmatch(text) is not None


def digest_key(secret: bytes, digest_hex: str) -> bytes:
    """The stored key for a number known only by its SHA-256 hex digest."""
    return hmac.new(secret, digest_hex.lower().encode("ascii"), hashlib.sha256).digest()


def number_key(secret: bytes, e164: str) -> bytes:
    """The stored key for a number given in E.164."""
    return digest_key(secret, sha256_hex(e164))
