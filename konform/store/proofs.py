"""The consent proof (§ 7a UWG): per purpose the consent events, the calls made on them, and
until when the proof must be kept.

§ 7a Abs. 1 UWG: whoever advertises by telephone to a consumer documents the prior express
consent when it is given. § 7a Abs. 2 Satz 1 UWG: the proof is kept five years after the consent
was given and after each use of it; Satz 2: it is shown to the authority (the Bundesnetzagentur,
§ 20 Abs. 3 UWG) on request. A use is a call placed in a campaign of the consent's purpose.

The proof is found by the number's keyed hash, so it is there after the number's erasure too
(Art. 17 (3) b GDPR). A period ends at the later of five calendar years and the configured number
of days (never fewer than 1826) after the later of the last 'given' event and the last use.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from konform.config import CONSENT_PROOF_MIN_DAYS
from konform.store.database import Store, utc_text

__all__ = [
    "ConsentProof",
    "ProofEvent",
    "PurposeProof",
    "Use",
    "ended_before",
    "ended_proofs",
    "keep_until",
    "proof",
    "proof_of_key",
]

PROOF_YEARS = 5
"""§ 7a Abs. 2 Satz 1 UWG."""


def _plus_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February: 1 March forward (the later day), 28 February back
        if years < 0:
            return moment.replace(year=moment.year + years, day=28)
        return moment.replace(year=moment.year + years, month=3, day=1)


def keep_until(latest: datetime, days: int = CONSENT_PROOF_MIN_DAYS) -> datetime:
    """The end of the proof period for a consent given or last used at ``latest``."""
    return max(_plus_years(latest, PROOF_YEARS), latest + timedelta(days=days))


def ended_before(now: datetime, days: int = CONSENT_PROOF_MIN_DAYS) -> datetime:
    """Periods starting before this instant have ended by ``now`` (and no others)."""
    return min(now - timedelta(days=days), _plus_years(now, -PROOF_YEARS))


@dataclass(frozen=True, slots=True)
class ProofEvent:
    kind: str
    at: str
    source: str | None
    via: str | None
    recorded_at: str


@dataclass(frozen=True, slots=True)
class Use:
    """A call placed on the consent (a call attempt that was not blocked)."""

    started_at: str
    campaign: str
    outcome: str | None


@dataclass(frozen=True, slots=True)
class PurposeProof:
    purpose: str
    events: tuple[ProofEvent, ...]
    uses: tuple[Use, ...]
    keep_until: datetime
    """The proof period ends then (§ 7a Abs. 2 Satz 1 UWG)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "purpose": self.purpose,
            "events": [
                {
                    "event": e.kind,
                    "at": e.at,
                    "source": e.source,
                    "via": e.via,
                    "recorded_at": e.recorded_at,
                }
                for e in self.events
            ],
            "uses": [
                {"started_at": u.started_at, "campaign": u.campaign, "outcome": u.outcome}
                for u in self.uses
            ],
            "keep_until": self.keep_until.isoformat(timespec="seconds"),
        }


@dataclass(frozen=True, slots=True)
class ConsentProof:
    number_key: str
    """The keyed hash (hex) the evidence is kept under."""
    erased_at: str | None
    """When the number's other data was erased, if it was."""
    purposes: tuple[PurposeProof, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "number_key": self.number_key,
            "erased_at": self.erased_at,
            "kept_because": "§ 7a Abs. 2 Satz 1 UWG: five years after the consent was given and"
            " after each use",
            "purposes": [p.as_dict() for p in self.purposes],
        }


def _latest(events: list[ProofEvent], uses: list[Use]) -> datetime:
    given = [e.at for e in events if e.kind == "given"] or [e.at for e in events]
    return max(datetime.fromisoformat(t) for t in [*given, *(u.started_at for u in uses)])


def proof_of_key(
    store: Store, key: bytes, days: int = CONSENT_PROOF_MIN_DAYS
) -> ConsentProof | None:
    """The consent proof kept under ``key``; None when there is no consent evidence."""
    conn = store.conn
    events: dict[str, list[ProofEvent]] = defaultdict(list)
    for purpose, kind, at, source, via, recorded_at in conn.execute(
        "SELECT purpose, event, at, source, via, recorded_at FROM consent_events"
        " WHERE number_key = ? ORDER BY at, id",
        (key,),
    ):
        events[purpose].append(ProofEvent(kind, at, source, via, recorded_at))
    if not events:
        return None
    uses: dict[str, list[Use]] = defaultdict(list)
    for purpose, started_at, campaign, outcome in conn.execute(
        "SELECT c.purpose, a.started_at, c.name, a.outcome FROM call_attempts a"
        " JOIN campaigns c ON c.id = a.campaign_id"
        " WHERE a.number_key = ? AND a.outcome IS NOT 'blocked' ORDER BY a.started_at, a.id",
        (key,),
    ):
        uses[purpose].append(Use(started_at, campaign, outcome))
    erased = conn.execute("SELECT at FROM erasures WHERE key = ?", (key,)).fetchone()
    return ConsentProof(
        number_key=key.hex(),
        erased_at=erased[0] if erased else None,
        purposes=tuple(
            PurposeProof(
                purpose,
                tuple(found),
                tuple(uses[purpose]),
                keep_until(_latest(found, uses[purpose]), days),
            )
            for purpose, found in sorted(events.items())
        ),
    )


def proof(store: Store, number: str, days: int = CONSENT_PROOF_MIN_DAYS) -> ConsentProof | None:
    """The consent proof of ``number`` (E.164), also after its erasure."""
    return proof_of_key(store, store.keyer.number_key(number), days)


def ended_proofs(
    store: Store, now: datetime, days: int = CONSENT_PROOF_MIN_DAYS
) -> list[tuple[bytes, str]]:
    """(key, purpose) of every consent whose proof period ended before ``now``."""
    conn = store.conn
    last_use = {
        (key, purpose): at
        for key, purpose, at in conn.execute(
            "SELECT a.number_key, c.purpose, max(a.started_at) FROM call_attempts a"
            " JOIN campaigns c ON c.id = a.campaign_id WHERE a.outcome IS NOT 'blocked'"
            " GROUP BY a.number_key, c.purpose"
        )
    }
    # Only a consent given before this can have ended (a use can only make it later).
    before = utc_text(ended_before(now, days))
    ended = []
    for key, purpose, given, newest in conn.execute(
        "SELECT number_key, purpose, max(CASE WHEN event = 'given' THEN at END), max(at)"
        " FROM consent_events GROUP BY number_key, purpose"
        " HAVING coalesce(max(CASE WHEN event = 'given' THEN at END), max(at)) < ?",
        (before,),
    ):
        moments = [given or newest]
        if (key, purpose) in last_use:
            moments.append(last_use[key, purpose])
        latest = max(datetime.fromisoformat(t) for t in moments)
        if keep_until(latest, days) < now:
            ended.append((bytes(key), str(purpose)))
    return ended
