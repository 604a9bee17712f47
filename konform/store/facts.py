"""Gathering the policy's :class:`~konform.policy.Facts` for one number from the store."""

from __future__ import annotations

from konform.numbers import number_key
from konform.policy import Campaign, Facts
from konform.store.attempts import history
from konform.store.campaigns import campaign_id
from konform.store.contacts import consent_from_columns, contact_from_columns
from konform.store.database import Store

__all__ = ["gather"]

_FLAGS_SQL = (
    "SELECT EXISTS (SELECT 1 FROM caller_ids WHERE number = ?1),"
    " EXISTS (SELECT 1 FROM dnc_internal WHERE key = ?2),"
    " EXISTS (SELECT 1 FROM dnc_robinson WHERE key = ?2),"
    " c.kind, c.region, c.customer_until, c.basis"
    " FROM (SELECT 1) LEFT JOIN contacts c ON c.number = ?3"
)
_CONSENTS_SQL = "SELECT purpose, given_at, confirmed_at, revoked_at FROM consents WHERE number = ?"


def gather(store: Store, campaign: Campaign, number: str) -> Facts:
    """Everything the policy needs to judge a call of ``campaign`` to ``number`` (E.164)."""
    key = number_key(store.secret, number)
    owned, internal, robinson, kind, region, until, basis = store.conn.execute(
        _FLAGS_SQL, (campaign.caller_id, key, number)
    ).fetchone()
    contact = contact_from_columns(kind, region, until, basis) if kind else None
    consents = tuple(
        consent_from_columns(*row) for row in store.conn.execute(_CONSENTS_SQL, (number,))
    )
    cid = campaign_id(store, campaign.name)
    attempts = history(store, cid, number) if cid is not None else None
    return Facts(
        number=number,
        caller_id_owned=bool(owned),
        on_internal_list=bool(internal),
        on_robinson_list=bool(robinson),
        contact=contact,
        consents=consents,
        **({"attempts": attempts} if attempts is not None else {}),
    )
