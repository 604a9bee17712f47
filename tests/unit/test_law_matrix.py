"""The legal test matrix: one test per rule of each jurisdiction profile, named by its paragraph.

The policy tests do no I/O; the last section drives the CLI (its own store in a temp folder).
Sources and the choices where the law leaves room: docs/law.md.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from konform.calling_time import valid_region
from konform.importing import RowRejected, parse_contact
from konform.jurisdictions import PROFILES, profile
from konform.policy import Attempts, Campaign, Consent, Contact, Facts, evaluate
from konform.reasons import CODES, GROUPS, TEMPORARY, group_of
from tests.conftest import CliRunner

BERLIN = ZoneInfo("Europe/Berlin")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DE_CAMPAIGN = Campaign("spring", "+49305550001", "sales")
NL_CAMPAIGN = replace(DE_CAMPAIGN, jurisdiction="nl")
GIVEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
CONSENT = Consent("sales", GIVEN, GIVEN + timedelta(minutes=3)).events()
MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BERLIN)
BERLINER = Facts("+49301234567", True, contact=Contact("b2c", "DE-BE"), consents=CONSENT)
DUTCH = Facts("+31201234567", True, contact=Contact("b2c", "NL"), consents=CONSENT)
UK_MOBILE = "+447911123456"
AT_MOBILE = "+436641234567"


def codes(campaign: Campaign, facts: Facts, at: datetime = MONDAY_10) -> list[str]:
    return list(evaluate(campaign, facts, at).codes)


def message(campaign: Campaign, facts: Facts, at: datetime = MONDAY_10) -> str:
    return " ".join(r.message for r in evaluate(campaign, facts, at, "de").reasons)


# --- de: basis to call ---------------------------------------------------------------------------


def test_de_uwg_7_2_1_consumer_needs_consent() -> None:
    """§ 7 Abs. 2 Nr. 1 UWG: advertising calls to consumers need prior express consent."""
    assert codes(DE_CAMPAIGN, BERLINER) == []
    facts = replace(BERLINER, consents=())
    assert codes(DE_CAMPAIGN, facts) == ["no_consent"]
    assert "(§ 7 Abs. 2 Nr. 1 UWG)" in message(DE_CAMPAIGN, facts)


def test_de_uwg_7a_unconfirmed_consent_is_no_proof() -> None:
    """§ 7a UWG, Art. 7 (1) GDPR: a consent without double opt-in confirmation proves nothing."""
    facts = replace(BERLINER, consents=Consent("sales", GIVEN).events())
    assert codes(DE_CAMPAIGN, facts) == ["consent_unconfirmed"]
    assert "§ 7a UWG" in message(DE_CAMPAIGN, facts)


def test_de_gdpr_7_3_revoked_consent_blocks() -> None:
    """Art. 7 (3) GDPR: a revoked consent is no basis from the revocation on."""
    events = Consent("sales", GIVEN, GIVEN, MONDAY_10 - timedelta(days=1)).events()
    facts = replace(BERLINER, consents=events)
    assert codes(DE_CAMPAIGN, facts) == ["consent_revoked"]
    assert "Art. 7 Abs. 3 DSGVO" in message(DE_CAMPAIGN, facts)


def test_de_gdpr_6_1_a_consent_is_for_its_purpose_only() -> None:
    """Art. 6 (1) (a) GDPR, § 7 (2) no. 1 UWG: consent covers the purpose it was given for."""
    facts = replace(BERLINER, consents=Consent("newsletter", GIVEN, GIVEN).events())
    assert codes(DE_CAMPAIGN, facts) == ["consent_purpose_mismatch"]


@pytest.mark.parametrize("until", ["active", date(2026, 1, 1)])
def test_de_uwg_7_2_1_no_existing_customer_exception_for_calls(until: object) -> None:
    """finding 3: § 7 Abs. 2 Nr. 1 UWG - a customer relationship is no basis to call a consumer.

    The old code let a b2c contact with ``customer_until`` and no consent be called.
    """
    facts = replace(BERLINER, consents=(), contact=Contact("b2c", "DE-BE", until))  # type: ignore[arg-type]
    decision = evaluate(DE_CAMPAIGN, facts, MONDAY_10, "en")
    assert decision.codes == ("customer_no_basis",)
    assert "customer relationship is no basis" in decision.reasons[0].message
    assert "§ 7 (2) no. 1 UWG" in decision.reasons[0].message


def test_de_uwg_7_2_1_business_on_documented_presumed_consent() -> None:
    """§ 7 Abs. 2 Nr. 1 UWG: other market participants may be called on presumed consent."""
    business = replace(BERLINER, consents=(), contact=Contact("b2b", "DE-BE", None, "fair 2026"))
    assert codes(DE_CAMPAIGN, business) == []
    undocumented = replace(business, contact=Contact("b2b", "DE-BE", "active", None))
    assert codes(DE_CAMPAIGN, undocumented) == ["no_consent"]


# --- de: do-not-call lists -----------------------------------------------------------------------


def test_de_gdpr_21_3_internal_objection_list() -> None:
    """Art. 21 (2), (3) GDPR, § 7 (1) UWG: after an objection no more advertising calls."""
    facts = replace(BERLINER, on_internal_list=True)
    assert codes(DE_CAMPAIGN, facts) == ["dnc_internal"]
    assert "Art. 21 Abs. 2 und 3 DSGVO" in message(DE_CAMPAIGN, facts)


def test_de_uwg_7_1_robinson_list() -> None:
    """§ 7 Abs. 1 Satz 2 UWG: the DDV Robinson list says the person wants no advertising."""
    assert codes(DE_CAMPAIGN, replace(BERLINER, on_robinson_list=True)) == ["robinson"]


def test_de_belmeniet_register_is_not_german_law() -> None:
    """The Dutch Bel-me-niet register is not judged by the de profile."""
    assert codes(DE_CAMPAIGN, replace(BERLINER, on_belmeniet_list=True)) == []


# --- de: calling time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 23, 7, 59), ["outside_hours"]),
        (datetime(2026, 11, 23, 8, 0), []),
        (datetime(2026, 11, 21, 19, 59), []),  # Saturday
        (datetime(2026, 11, 23, 20, 0), ["outside_hours"]),
        (datetime(2026, 11, 22, 10, 0), ["sunday"]),
    ],
)
def test_de_uwg_7_1_calling_hours_mon_sat_8_to_20(local: datetime, expected: list[str]) -> None:
    """§ 7 Abs. 1 UWG with the industry's calling hours: Mon-Sat 08-20, never on Sundays."""
    assert codes(DE_CAMPAIGN, BERLINER, local.replace(tzinfo=BERLIN)) == expected


def test_de_uwg_7_1_no_calls_on_the_states_public_holidays() -> None:
    """§ 7 Abs. 1 UWG: no calls on a public holiday of the contact's Bundesland."""
    assert codes(DE_CAMPAIGN, BERLINER, datetime(2026, 10, 3, 10, tzinfo=BERLIN)) == [
        "public_holiday"
    ]
    bavarian = replace(BERLINER, contact=Contact("b2c", "DE-BY"))
    assert codes(DE_CAMPAIGN, bavarian, datetime(2026, 6, 4, 10, tzinfo=BERLIN)) == [
        "public_holiday"
    ]
    assert codes(DE_CAMPAIGN, BERLINER, datetime(2026, 6, 4, 10, tzinfo=BERLIN)) == []


# --- de: caller ID and attempts ------------------------------------------------------------------


def test_de_tdddg_15_2_caller_id_must_be_own_number() -> None:
    """§ 15 Abs. 2 TDDDG: an advertising call shows the caller's own assigned number."""
    facts = replace(BERLINER, caller_id_owned=False)
    assert codes(DE_CAMPAIGN, facts) == ["caller_id_not_owned"]
    assert "§ 15 Abs. 2 TDDDG" in message(DE_CAMPAIGN, facts)


def test_de_uwg_7_1_attempt_limits_and_spacing() -> None:
    """§ 7 Abs. 1 UWG: no unreasonable nuisance by repeated or simultaneous calls."""
    used_up = replace(BERLINER, attempts=Attempts(3, MONDAY_10 - timedelta(days=2), "no_answer"))
    assert codes(DE_CAMPAIGN, used_up) == ["attempts_exhausted"]
    soon = replace(BERLINER, attempts=Attempts(1, MONDAY_10 - timedelta(minutes=5), "busy"))
    assert codes(DE_CAMPAIGN, soon) == ["retry_too_soon"]
    assert codes(DE_CAMPAIGN, replace(BERLINER, call_in_progress=True)) == ["call_in_progress"]


# --- calling hours where the person is (finding 4) -----------------------------------------------


@pytest.mark.parametrize("number", [UK_MOBILE, AT_MOBILE])
def test_foreign_mobile_of_a_berliner_keeps_berlin_hours(number: str) -> None:
    """finding 4: a UK or Austrian mobile of a DE-BE contact is not called at 20:30 Berlin time.

    The old code judged only the number's zone (19:30 in London).
    """
    facts = replace(BERLINER, number=number)
    assert codes(DE_CAMPAIGN, facts, datetime(2026, 11, 23, 20, 30, tzinfo=BERLIN)) == [
        "outside_hours"
    ]


@pytest.mark.parametrize("number", [UK_MOBILE, AT_MOBILE])
def test_foreign_mobile_of_a_berliner_keeps_berlin_holidays(number: str) -> None:
    """finding 4: the Bundesland's holidays (3 October) apply to any number of the contact.

    The old code took the holidays of the number's country only.
    """
    facts = replace(BERLINER, number=number)
    assert codes(DE_CAMPAIGN, facts, datetime(2026, 10, 3, 10, tzinfo=BERLIN)) == ["public_holiday"]


def test_the_numbers_zone_still_counts_for_a_berliner() -> None:
    """Strictest wins: a New York number of a Berliner needs both places inside the hours."""
    facts = replace(BERLINER, number="+12125550123")
    # 10:00 Berlin is 04:00 in New York; 15:00 Berlin is 09:00 there.
    assert codes(DE_CAMPAIGN, facts, MONDAY_10) == ["outside_hours"]
    assert codes(DE_CAMPAIGN, facts, datetime(2026, 11, 23, 15, tzinfo=BERLIN)) == []


def test_contact_in_the_netherlands_with_a_german_number() -> None:
    """Both zones and both holiday tables apply: King's Day and German Unity Day block."""
    facts = replace(DUTCH, number="+49301234567")
    kings_day = datetime(2026, 4, 27, 11, tzinfo=AMSTERDAM)
    unity_day = datetime(2026, 10, 2, 11, tzinfo=AMSTERDAM) + timedelta(days=1)  # a Saturday
    assert codes(NL_CAMPAIGN, facts, kings_day) == ["public_holiday"]
    assert codes(DE_CAMPAIGN, facts, kings_day) == ["public_holiday"]
    assert codes(NL_CAMPAIGN, facts, unity_day) == ["public_holiday"]


def test_contact_regions_are_validated() -> None:
    """Contact regions: a German state, a country code, or a known ISO 3166-2 subdivision."""
    assert valid_region(" de-be ") == "DE-BE"
    assert valid_region("nl") == "NL"
    assert valid_region("AT-9") == "AT-9"
    for bad in ("XX", "DE-XY", "AT-99", "Berlin", "DEU"):
        with pytest.raises(ValueError, match=f"region '{bad}'"):
            valid_region(bad)
    row = {"number": "+436641234567", "name": "", "kind": "b2c", "customer_until": ""}
    assert parse_contact({**row, "region": "at"}).region == "AT"
    with pytest.raises(RowRejected):
        parse_contact({**row, "region": "Wien"})


# --- nl: basis to call ---------------------------------------------------------------------------


def test_nl_telecommunicatiewet_11_7_needs_consent_or_customer() -> None:
    """Telecommunicatiewet art. 11.7 (opt-in since 1 July 2021): no consent or customer, no call."""
    assert codes(NL_CAMPAIGN, DUTCH) == []
    facts = replace(DUTCH, consents=())
    assert codes(NL_CAMPAIGN, facts) == ["no_consent"]
    assert "(Telecommunicatiewet art. 11.7)" in message(NL_CAMPAIGN, facts)


def test_nl_telecommunicatiewet_11_7_existing_customer_up_to_three_years() -> None:
    """Telecommunicatiewet art. 11.7 with the Code Telemarketing's 3-year customer term."""
    active = replace(DUTCH, consents=(), contact=Contact("b2c", "NL", "active"))
    assert codes(NL_CAMPAIGN, active) == []
    ended = replace(active, contact=Contact("b2c", "NL", date(2023, 11, 23)))
    assert codes(NL_CAMPAIGN, ended) == []
    expired = replace(active, contact=Contact("b2c", "NL", date(2023, 11, 22)))
    assert codes(NL_CAMPAIGN, expired) == ["customer_relationship_expired"]
    assert "Code Telemarketing" in message(NL_CAMPAIGN, expired)


def test_nl_revoked_consent_ends_the_customer_basis_too() -> None:
    """Telecommunicatiewet art. 11.7, Art. 7 (3) GDPR: a revocation for the purpose blocks."""
    events = Consent("sales", GIVEN, GIVEN, MONDAY_10 - timedelta(days=1)).events()
    facts = replace(DUTCH, consents=events, contact=Contact("b2c", "NL", "active"))
    assert codes(NL_CAMPAIGN, facts) == ["consent_revoked"]


def test_nl_business_contacts_need_consent_or_customer_too() -> None:
    """Telecommunicatiewet art. 11.7 protects sole traders too; konform cannot tell them apart."""
    facts = replace(DUTCH, consents=(), contact=Contact("b2b", "NL", None, "fair 2026"))
    assert codes(NL_CAMPAIGN, facts) == ["no_consent"]


def test_nl_unconfirmed_consent_is_not_proven() -> None:
    """Telecommunicatiewet art. 11.7: the caller must prove the consent (double opt-in here)."""
    facts = replace(DUTCH, consents=Consent("sales", GIVEN).events())
    assert codes(NL_CAMPAIGN, facts) == ["consent_unconfirmed"]


# --- nl: lists -----------------------------------------------------------------------------------


def test_nl_belmeniet_register_blocks() -> None:
    """Bel-me-niet register (Telecommunicatiewet art. 11.7, old lid 5): still blocks."""
    facts = replace(DUTCH, on_belmeniet_list=True)
    assert codes(NL_CAMPAIGN, facts) == ["belmeniet"]
    assert "Bel-me-niet" in message(NL_CAMPAIGN, facts)


def test_nl_recht_van_verzet_internal_list() -> None:
    """Telecommunicatiewet art. 11.7 (recht van verzet), Art. 21 (3) GDPR: objections block."""
    assert codes(NL_CAMPAIGN, replace(DUTCH, on_internal_list=True)) == ["dnc_internal"]


# --- nl: calling time ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 23, 8, 59), ["outside_hours"]),  # Monday
        (datetime(2026, 11, 23, 9, 0), []),
        (datetime(2026, 11, 23, 20, 59), []),
        (datetime(2026, 11, 23, 21, 0), ["outside_hours"]),
        (datetime(2026, 11, 21, 9, 30), ["outside_hours"]),  # Saturday 10-16
        (datetime(2026, 11, 21, 10, 0), []),
        (datetime(2026, 11, 21, 16, 0), ["outside_hours"]),
        (datetime(2026, 11, 22, 12, 0), ["sunday"]),
        (datetime(2026, 12, 24, 18, 0), []),  # early close on 24 December
        (datetime(2026, 12, 24, 18, 30), ["outside_hours"]),
        (datetime(2026, 4, 27, 12, 0), ["public_holiday"]),  # King's Day
        (datetime(2026, 5, 5, 12, 0), ["public_holiday"]),  # Liberation Day
    ],
)
def test_nl_code_telemarketing_art_9_calling_hours(local: datetime, expected: list[str]) -> None:
    """Code Telemarketing art. 9: weekdays and Saturdays only, shorter Saturdays, early closes."""
    assert codes(NL_CAMPAIGN, DUTCH, local.replace(tzinfo=AMSTERDAM)) == expected


def test_nl_caller_id_must_be_recognisable() -> None:
    """Telecommunicatiewet art. 11.7 / Code Telemarketing 2020: call with a recognisable number."""
    assert codes(NL_CAMPAIGN, replace(DUTCH, caller_id_owned=False)) == ["caller_id_not_owned"]


# --- codes, groups and citations -----------------------------------------------------------------


def test_every_code_is_in_exactly_one_group_and_temporary_codes_exist() -> None:
    grouped = [code for group in GROUPS.values() for code in group]
    assert sorted(grouped) == sorted(CODES)
    assert set(CODES) >= TEMPORARY
    assert {group_of(c) for c in TEMPORARY} == {"time", "attempts"}


@pytest.mark.parametrize("code", sorted(PROFILES))
def test_every_profile_cites_a_law_for_every_code(code: str) -> None:
    law = profile(code)
    assert set(law.law) == set(CODES)
    params = {
        "detail": "x", "purpose": "p", "until": "2020-01-01", "years": 3, "local": "l",
        "holiday": "h", "window": "w", "caller_id": "c", "max_attempts": 3, "next_at": "n",
        "outcome": "o",
    }  # fmt: skip
    for reason_code in CODES:
        for language in ("de", "en"):
            ref = law.law[reason_code].text(language)
            assert law.reason(reason_code, language, **params).message.endswith(f"({ref}).")


def test_unknown_jurisdiction_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown jurisdiction"):
        profile("fr")


# --- campaigns on the command line ---------------------------------------------------------------


def _owned(cli: CliRunner) -> None:
    assert cli("callerid", "add", "030 5550001").code == 0


def _add(cli: CliRunner, *extra: str) -> tuple[int, str]:
    result = cli(
        "campaign", "add", "c", "--caller-id", "+49305550001", "--purpose", "sales", *extra
    )
    return result.code, result.err


@pytest.mark.parametrize("spacing", ["no_answer=0m", "busy=0h", "human=0d"])
def test_retry_spacing_of_zero_is_refused(cli: CliRunner, spacing: str) -> None:
    """finding 12: '--retry no_answer=0m' was accepted; a spacing must be more than 0."""
    _owned(cli)
    code, err = _add(cli, "--retry", spacing)
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "more than 0" in err
    assert cli("campaign", "list").out == ""


def test_campaign_jurisdiction_is_stored_and_listed(cli: CliRunner) -> None:
    _owned(cli)
    assert _add(cli, "--jurisdiction", "nl")[0] == 0
    listed = cli("campaign", "list").out
    assert listed.split("\t")[6] == "nl"  # the column after the retry spacing
    assert "Mon-Sat 09:00-21:00" in listed  # the nl default: all its hours


def test_unknown_jurisdiction_is_a_one_line_error(cli: CliRunner) -> None:
    _owned(cli)
    code, err = _add(cli, "--jurisdiction", "fr")
    assert code == 2
    assert len(err.strip().splitlines()) == 1
    assert "unknown jurisdiction" in err


def test_campaign_window_within_its_profile(cli: CliRunner) -> None:
    _owned(cli)
    assert _add(cli, "--jurisdiction", "nl", "--window", "Mon-Fri 08:00-18:00")[0] == 2
    assert _add(cli, "--window", "Mon-Sun 09:00-18:00")[0] == 2
    assert _add(cli, "--jurisdiction", "nl", "--window", "Mon-Fri 09:00-18:00")[0] == 0
