"""Phone numbers: parsing to E.164 and the keyed hashes under which do-not-call lists are stored.

Emergency and short numbers are refused before anything else, as ``phonenumbers`` happily turns
``112`` into ``+49112``. The do-not-call key of a number is
``HMAC-SHA256(secret, SHA-256-hex(E.164))``: hashing the plain digest once more lets lists that
arrive as SHA-256 digests (the usual delivery form) and lists of plain numbers land on the same key,
while a copied database without the installation secret does not reveal the list.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import unicodedata

import phonenumbers
from phonenumbers import PhoneMetadata, shortnumberinfo

__all__ = [
    "InvalidNumber",
    "Keyer",
    "digest_key",
    "is_sha256_hex",
    "masked",
    "national_digits",
    "normalize",
    "number_key",
    "region_of",
    "sha256_hex",
]

DEFAULT_REGION = "DE"
_SHA256_HEX = re.compile(r"[0-9a-fA-F]{64}")
_GERMAN_E164 = re.compile(r"\+49([1-9][0-9]{6,14})")
_E164 = re.compile(r"\+[1-9][0-9]{5,14}")
_TYPE_DESCS = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line", "mobile",
)  # fmt: skip


class InvalidNumber(ValueError):
    """The text is not a callable phone number (invalid, emergency or short number)."""


@functools.cache
def _validator(region: str) -> tuple[frozenset[int], re.Pattern[str], dict[int, re.Pattern[str]]]:
    """``phonenumbers.is_valid_number`` for one region as precompiled patterns per length.

    A national number is valid when it matches the general description and any number type's
    description (each with its possible lengths); folding the types into one pattern per length
    gives the same answer much faster (every policy check validates its number). Tests compare
    both on random numbers.
    """
    metadata = PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.general_desc is None:
        raise ValueError(f"phonenumbers has no metadata for region {region!r}")
    general = metadata.general_desc
    if general.national_number_pattern is None:
        raise ValueError(f"phonenumbers has no number pattern for region {region!r}")
    lengths = frozenset(general.possible_length)
    by_length: dict[int, re.Pattern[str]] = {}
    for length in lengths:
        patterns = [
            desc.national_number_pattern
            for desc in (getattr(metadata, name) for name in _TYPE_DESCS)
            if desc is not None
            and desc.national_number_pattern
            and (not desc.possible_length or length in desc.possible_length)
        ]
        if patterns:
            by_length[length] = re.compile("|".join(f"(?:{p})" for p in patterns))
    return lengths, re.compile(general.national_number_pattern), by_length


def is_valid_german(national: str) -> bool:
    """Whether a German national significant number is valid (see :func:`_validator`)."""
    lengths, general, by_length = _validator("DE")
    length = len(national)
    if length not in lengths or general.fullmatch(national) is None:
        return False
    pattern = by_length.get(length)
    return pattern is not None and pattern.fullmatch(national) is not None


def _ascii_digits(text: str) -> str:
    """Decimal digits of any script (``９``, ``٣``) as ASCII; other characters unchanged."""
    if text.isascii():
        return text
    return "".join(str(unicodedata.digit(ch)) if ch.isdecimal() else ch for ch in text)


def normalize(raw: str, region: str = DEFAULT_REGION) -> str:
    """Return the E.164 form of ``raw`` or raise :class:`InvalidNumber` saying why.

    Digits of other scripts (full-width ``９``) are read as their ASCII digits; the result only
    ever holds ``+`` and ASCII digits.
    """
    text = _ascii_digits(raw.strip())
    german = _GERMAN_E164.fullmatch(text)
    if german is not None:  # already E.164 (the store's own form): the fast path
        if is_valid_german(german.group(1)):
            return text
        raise InvalidNumber(f"{text!r} is not a valid phone number")
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
    if not phonenumbers.is_valid_number(parsed):  # valid implies a known number type
        raise InvalidNumber(f"{text!r} is not a valid phone number")
    e164 = phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    if not _E164.fullmatch(e164):
        raise InvalidNumber(f"{text!r} is not a valid phone number")
    return e164


def region_of(e164: str) -> str | None:
    """The ISO country code of an E.164 number (``DE`` for ``+4930…``), if known."""
    if e164.startswith("+49"):
        return "DE"  # the hot path: skip a full parse
    parsed = phonenumbers.parse(e164, None)
    return phonenumbers.region_code_for_number(parsed)


def sha256_hex(e164: str) -> str:
    """SHA-256 hex digest of the E.164 string, ``+`` included: the list delivery form."""
    return hashlib.sha256(e164.encode("ascii")).hexdigest()


def is_sha256_hex(text: str) -> bool:
    return _SHA256_HEX.fullmatch(text) is not None


def digest_key(secret: bytes, digest_hex: str) -> bytes:
    """The stored key for a number known only by its SHA-256 hex digest."""
    return hmac.digest(secret, digest_hex.lower().encode("ascii"), "sha256")


def number_key(secret: bytes, e164: str) -> bytes:
    """The stored key for a number given in E.164."""
    return digest_key(secret, sha256_hex(e164))


class Keyer:
    """:func:`digest_key` and :func:`number_key` for one secret, without rehashing the secret.

    HMAC's inner and outer hash states are computed once from the padded secret and copied per
    key (RFC 2104); bulk list imports of millions of lines spend most of their time here.
    """

    __slots__ = ("_inner", "_outer")

    def __init__(self, secret: bytes) -> None:
        block = hashlib.sha256().block_size
        if len(secret) > block:
            secret = hashlib.sha256(secret).digest()
        padded = secret.ljust(block, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in padded))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in padded))

    def digest_key(self, digest_hex: str) -> bytes:
        inner = self._inner.copy()
        inner.update(digest_hex.lower().encode("ascii"))
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.digest()

    def number_key(self, e164: str) -> bytes:
        return self.digest_key(hashlib.sha256(e164.encode("ascii")).hexdigest())


@functools.lru_cache(maxsize=1024)
def national_digits(e164: str) -> str:
    """The digits a caller in the number's own country dials: ``+4930555…`` → ``030555…``.
    Cached: the dialer asks it of the campaign's caller ID for every call."""
    parsed = phonenumbers.parse(e164, None)
    return "".join(
        ch
        for ch in phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.NATIONAL)
        if ch.isdigit()
    )


def masked(number: str | None) -> str:
    """A number as logs may show it: country code and the last two digits (``+49…67``).

    Logs never hold a plain phone number (GDPR Art. 5 (1) c, data minimisation); the audit
    log and the store carry keyed hashes where a number must be found again.
    """
    if not number:
        return "-"
    digits = "".join(ch for ch in number if ch.isascii() and ch.isdigit())
    if len(digits) < 6:
        return "…"
    country = "+" + digits[:2] if number.startswith("+") else ""
    return f"{country}…{digits[-2:]}"
