"""Gathering the policy's :class:`~konform.policy.Facts` for one number from the store.

One SQL statement per check: the policy gate is on every call's path.
"""

from __future__ import annotations

import json

from konform.policy import Campaign, Facts
from konform.store.attempts import COUNT_SQL, LAST_SQL, attempts_from_columns
from konform.store.consents import event_from_columns
from konform.store.contacts import contact_from_columns
from konform.store.database import Store

__all__ = ["gather"]

_FACTS_SQL = f"""
SELECT
  EXISTS (SELECT 1 FROM caller_ids WHERE number = :caller_id),
  EXISTS (SELECT 1 FROM dnc_internal WHERE key = :key),
  EXISTS (SELECT 1 FROM dnc_robinson WHERE key = :key),
  EXISTS (SELECT 1 FROM dnc_belmeniet WHERE key = :key),
  c.kind, c.region, c.customer_until, c.basis,
  (SELECT json_group_array(json_array(purpose, event, at))
     FROM consent_events WHERE number_key = :key),
  {COUNT_SQL},
  {LAST_SQL},
  EXISTS (SELECT 1 FROM call_attempts WHERE number_key = :key AND outcome IS NULL)
FROM (SELECT (SELECT id FROM campaigns WHERE name = :campaign) AS campaign_id) AS p
LEFT JOIN contacts c ON c.number = :number
""".replace(":campaign_id", "p.campaign_id")


def gather(store: Store, campaign: Campaign, number: str) -> Facts:
    """Everything the policy needs to judge a call of ``campaign`` to ``number`` (E.164)."""
    key = store.keyer.number_key(number)
    row = store.conn.execute(
        _FACTS_SQL,
        {"caller_id": campaign.caller_id, "key": key, "number": number, "campaign": campaign.name},
    ).fetchone()
    (owned, internal, robinson, belmeniet, kind, region, until, basis, consents, count, last,
     in_progress) = row  # fmt: skip
    return Facts(
        number=number,
        caller_id_owned=bool(owned),
        on_internal_list=bool(internal),
        on_robinson_list=bool(robinson),
        contact=contact_from_columns(kind, region, until, basis) if kind else None,
        consents=tuple(event_from_columns(*c) for c in json.loads(consents)),
        attempts=attempts_from_columns(count, last),
        on_belmeniet_list=bool(belmeniet),
        call_in_progress=bool(in_progress),
    )
