"""The policy core, rule by rule, with no store and no Asterisk."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from konform.calling_time import parse_window
from konform.policy import (
    Attempts,
    Campaign,
    Consent,
    Contact,
    Facts,
    evaluate,
    invalid_number,
)

BERLIN = ZoneInfo("Europe/Berlin")
NUMBER = "+49301234567"
CAMPAIGN = Campaign("spring", "+49305550001", "sales")
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
GIVEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CONFIRMED = GIVEN + timedelta(minutes=3)
GOOD = Facts(
    number=NUMBER,
    caller_id_owned=True,
    contact=Contact("b2c", "DE-BE"),
    consents=Consent("sales", GIVEN, CONFIRMED).events(),
)


def codes(
    facts: Facts = GOOD, at: datetime = MONDAY_10, campaign: Campaign = CAMPAIGN
) -> list[str]:
    return list(evaluate(campaign, facts, at).codes)


def test_valid_double_opt_in_at_a_weekday_morning_is_allowed() -> None:
    decision = evaluate(CAMPAIGN, GOOD, MONDAY_10)
    assert decision.allowed
    assert decision.to_dict() == {"allowed": True, "reasons": []}


def test_invalid_number_is_the_only_reason() -> None:
    decision = invalid_number("'112' is an emergency number", "en")
    assert decision.codes == ("invalid_number",)
    assert "112" in decision.reasons[0].message


# --- do-not-call --------------------------------------------------------------------------------


def test_internal_list_blocks_despite_consent() -> None:
    assert codes(replace(GOOD, on_internal_list=True)) == ["dnc_internal"]


def test_robinson_list_blocks_despite_consent() -> None:
    assert codes(replace(GOOD, on_robinson_list=True)) == ["robinson"]


def test_both_lists_are_reported_apart() -> None:
    assert codes(replace(GOOD, on_internal_list=True, on_robinson_list=True)) == [
        "dnc_internal",
        "robinson",
    ]


# --- basis to call ------------------------------------------------------------------------------


def _consent(**kw: Any) -> Facts:
    return replace(GOOD, consents=replace(Consent("sales", GIVEN, CONFIRMED), **kw).events())


def test_unconfirmed_consent() -> None:
    assert codes(_consent(confirmed_at=None)) == ["consent_unconfirmed"]


def test_consent_confirmed_only_later_is_unconfirmed_now() -> None:
    assert codes(_consent(confirmed_at=MONDAY_10 + timedelta(days=1))) == ["consent_unconfirmed"]


def test_revoked_consent() -> None:
    assert codes(_consent(revoked_at=MONDAY_10 - timedelta(days=1))) == ["consent_revoked"]


def test_revocation_in_the_future_does_not_count_yet() -> None:
    assert codes(_consent(revoked_at=MONDAY_10 + timedelta(days=1))) == []


def test_consent_given_after_the_instant_does_not_count() -> None:
    later = MONDAY_10 + timedelta(days=1)
    assert codes(_consent(given_at=later, confirmed_at=later)) == ["no_consent"]


def test_purpose_mismatch() -> None:
    assert codes(_consent(purpose="newsletter")) == ["consent_purpose_mismatch"]


def test_matching_unconfirmed_is_more_specific_than_other_purposes() -> None:
    facts = replace(
        GOOD,
        consents=(
            *Consent("newsletter", GIVEN, CONFIRMED).events(),
            *Consent("sales", GIVEN, None).events(),
        ),
    )
    assert codes(facts) == ["consent_unconfirmed"]


def test_one_valid_consent_among_revoked_ones_suffices() -> None:
    facts = replace(
        GOOD,
        consents=(
            *Consent("sales", GIVEN, CONFIRMED, GIVEN + timedelta(days=1)).events(),
            *Consent("sales", GIVEN + timedelta(days=2), GIVEN + timedelta(days=2)).events(),
        ),
    )
    assert codes(facts) == []


def test_no_contact_and_no_consent() -> None:
    assert codes(replace(GOOD, contact=None, consents=())) == ["no_consent"]


def test_de_active_customer_is_no_basis_for_a_consumer_call() -> None:
    """§ 7 (2) no. 1 UWG has no existing-customer exception for calls (the Dutch rule is nl's)."""
    facts = replace(GOOD, consents=(), contact=Contact("b2c", "DE-BE", "active"))
    assert codes(facts) == ["customer_no_basis"]


def test_nl_customer_relationship_up_to_three_years() -> None:
    at = MONDAY_10
    exactly = date(2023, 11, 23)
    dutch = replace(CAMPAIGN, jurisdiction="nl")
    facts = replace(GOOD, consents=(), contact=Contact("b2c", "NL", exactly))
    assert codes(facts, at, dutch) == []
    expired = replace(facts, contact=Contact("b2c", "NL", exactly - timedelta(days=1)))
    assert codes(expired, at, dutch) == ["customer_relationship_expired"]


def test_expired_customer_with_revoked_consent_says_revoked() -> None:
    facts = replace(
        _consent(revoked_at=GIVEN + timedelta(days=1)),
        contact=Contact("b2c", "DE-BE", date(2020, 1, 1)),
    )
    assert codes(facts) == ["consent_revoked"]


def test_b2b_presumed_interest_with_documented_basis() -> None:
    facts = replace(GOOD, consents=(), contact=Contact("b2b", "DE-BE", None, "trade fair 2026"))
    assert codes(facts) == []
    assert codes(replace(facts, contact=Contact("b2b", "DE-BE", None, "  "))) == ["no_consent"]


def test_b2c_basis_column_is_not_a_basis() -> None:
    facts = replace(GOOD, consents=(), contact=Contact("b2c", "DE-BE", None, "trade fair"))
    assert codes(facts) == ["no_consent"]


# --- calling time -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ((7, 59, 59), ["outside_hours"]),
        ((8, 0, 0), []),
        ((19, 59, 59), []),
        ((20, 0, 0), ["outside_hours"]),
    ],
)
def test_eight_and_twenty_oclock_edges(local: tuple[int, int, int], expected: list[str]) -> None:
    h, m, s = local
    assert codes(at=datetime(2026, 11, 23, h, m, s, tzinfo=BERLIN)) == expected


def test_saturday_is_allowed_sunday_is_not() -> None:
    assert codes(at=datetime(2026, 11, 21, 10, tzinfo=BERLIN)) == []
    assert codes(at=datetime(2026, 11, 22, 10, tzinfo=BERLIN)) == ["sunday"]


def test_sunday_night_gives_both_reasons() -> None:
    assert codes(at=datetime(2026, 11, 22, 21, tzinfo=BERLIN)) == ["sunday", "outside_hours"]


def test_holiday_of_the_contacts_state() -> None:
    corpus_christi = datetime(2026, 6, 4, 10, tzinfo=BERLIN)
    assert codes(at=corpus_christi) == []  # Berlin works on Corpus Christi
    bavarian = replace(GOOD, contact=Contact("b2c", "DE-BY"))
    assert codes(bavarian, corpus_christi) == ["public_holiday"]


def test_unknown_state_blocks_any_states_holiday() -> None:
    no_region = replace(GOOD, contact=Contact("b2c", None))
    assert codes(no_region, datetime(2026, 6, 4, 10, tzinfo=BERLIN)) == ["public_holiday"]
    assert codes(no_region, datetime(2026, 11, 18, 10, tzinfo=BERLIN)) == ["public_holiday"]


def test_holiday_on_a_saturday_in_bavaria() -> None:
    bavarian = replace(GOOD, contact=Contact("b2c", "DE-BY"))
    assert codes(bavarian, datetime(2026, 8, 15, 10, tzinfo=BERLIN)) == ["public_holiday"]


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        # The Monday after the spring change: 06:30 UTC is 08:30 CEST (allowed) ...
        ("2026-03-30T06:30:00+00:00", []),
        # ... but the Monday before it, 06:30 UTC was 07:30 CET.
        ("2026-03-23T06:30:00+00:00", ["outside_hours"]),
        # Same instant written with another offset.
        ("2026-03-30T02:30:00-04:00", []),
        # Saturday before the autumn change (still CEST): 18:30 UTC is 20:30 local.
        ("2026-10-24T18:30:00+00:00", ["outside_hours"]),
        # Saturday after it (CET): 18:30 UTC is 19:30 local.
        ("2026-10-31T18:30:00+00:00", []),
        # The change days themselves are Sundays.
        ("2026-03-29T01:30:00+00:00", ["sunday", "outside_hours"]),
        ("2026-10-25T09:00:00+00:00", ["sunday"]),
    ],
)
def test_dst_days(instant: str, expected: list[str]) -> None:
    # Berlin contact; 31 October is Reformation Day elsewhere, not in Berlin.
    assert codes(at=datetime.fromisoformat(instant)) == expected


def test_campaign_window_narrows() -> None:
    narrow = replace(CAMPAIGN, window=parse_window("Mon-Fri 09:00-18:00"))
    assert codes(at=datetime(2026, 11, 23, 8, 30, tzinfo=BERLIN), campaign=narrow) == [
        "outside_hours"
    ]
    assert codes(at=datetime(2026, 11, 21, 10, tzinfo=BERLIN), campaign=narrow) == ["outside_hours"]


def test_a_wider_window_is_capped_at_the_legal_one() -> None:
    wide = replace(CAMPAIGN, window=parse_window("Mon-Sun 06:00-23:00"))
    assert codes(at=datetime(2026, 11, 23, 7, tzinfo=BERLIN), campaign=wide) == ["outside_hours"]


def test_foreign_number_uses_its_own_time_zone() -> None:
    facts = replace(GOOD, number="+12125550123", contact=None, consents=GOOD.consents)  # New York
    # 15:00 in Berlin is 09:00 in New York: allowed; 13:00 Berlin is 07:00 there.
    assert codes(facts, datetime(2026, 11, 23, 15, tzinfo=BERLIN)) == []
    assert codes(facts, datetime(2026, 11, 23, 13, tzinfo=BERLIN)) == ["outside_hours"]


def test_naive_instant_is_refused() -> None:
    with pytest.raises(ValueError, match="UTC offset"):
        evaluate(CAMPAIGN, GOOD, datetime(2026, 11, 23, 10))


# --- caller ID and attempts ---------------------------------------------------------------------


def test_caller_id_not_owned() -> None:
    assert codes(replace(GOOD, caller_id_owned=False)) == ["caller_id_not_owned"]


def test_attempts_exhausted() -> None:
    attempts = Attempts(3, MONDAY_10 - timedelta(days=2), "no_answer")
    assert codes(replace(GOOD, attempts=attempts)) == ["attempts_exhausted"]


def test_retry_spacing_per_outcome() -> None:
    busy = Attempts(1, MONDAY_10 - timedelta(minutes=10), "busy")
    assert codes(replace(GOOD, attempts=busy)) == ["retry_too_soon"]
    busy_long_ago = Attempts(1, MONDAY_10 - timedelta(minutes=16), "busy")
    assert codes(replace(GOOD, attempts=busy_long_ago)) == []
    custom = replace(CAMPAIGN, retry_after={"busy": timedelta(hours=1)})
    assert codes(replace(GOOD, attempts=busy_long_ago), campaign=custom) == ["retry_too_soon"]


# --- all reasons at once ------------------------------------------------------------------------


def test_every_applicable_reason_is_returned_in_order() -> None:
    facts = Facts(
        number=NUMBER,
        caller_id_owned=False,
        on_internal_list=True,
        on_robinson_list=True,
        contact=None,
        attempts=Attempts(5, datetime(2026, 11, 22, 20, tzinfo=BERLIN), "busy"),
    )
    at = datetime(2026, 12, 25, 21, tzinfo=timezone(timedelta(hours=5)))  # 17:00 Berlin
    assert codes(facts, at) == [
        "dnc_internal",
        "robinson",
        "no_consent",
        "public_holiday",
        "caller_id_not_owned",
        "attempts_exhausted",
    ]


def test_messages_follow_the_language() -> None:
    de = evaluate(CAMPAIGN, replace(GOOD, on_robinson_list=True), MONDAY_10, "de")
    en = evaluate(CAMPAIGN, replace(GOOD, on_robinson_list=True), MONDAY_10, "en")
    assert de.reasons[0].message == (
        "Die Nummer steht auf der Robinsonliste (§ 7 Abs. 1 Satz 2 UWG; DDV-Robinsonliste)."
    )
    assert en.reasons[0].message == (
        "The number is on the Robinson list (§ 7 (1) sentence 2 UWG; DDV Robinson list)."
    )
