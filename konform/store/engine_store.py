"""What the campaign engine reads and writes: running campaigns and their pacing, the contacts
to schedule with their history, operators' agent states, claims with a lease, the call's moments
and the agents' state intervals.

Claims are rows (campaign, number, owner, lease_until): a contact is taken only where no live
lease exists, so several engines can share one store; an expired lease is reconciled (its open
attempt resolved from how far the call got) before the contact is called again. Leases run on
real UTC time, whatever clock the policy judges by.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from konform.outcomes import REACHED
from konform.policy import Campaign
from konform.store import audit, campaigns
from konform.store.campaigns import CampaignSettings
from konform.store.database import Store, utc_text

__all__ = [
    "CampaignRun",
    "ContactRow",
    "PacingHistory",
    "claim",
    "claim_attempt",
    "close_agent_log",
    "contacts_of",
    "log_agents",
    "pacing_history",
    "reconcile",
    "release",
    "renew",
    "running",
    "set_moment",
]


@dataclass(frozen=True, slots=True)
class CampaignRun:
    """A campaign as the engine runs it: the policy's campaign and its pacing settings."""

    id: int
    campaign: Campaign
    settings: CampaignSettings


def running(store: Store, names: list[str]) -> list[CampaignRun]:
    """The named campaigns with their pacing and pause (read fresh: operators change them)."""
    out = []
    for name in names:
        campaign = campaigns.get(store, name)
        ident = campaigns.campaign_id(store, name)
        if campaign is None or ident is None:
            continue
        out.append(CampaignRun(ident, campaign, campaigns.settings(store, name)))
    return out


@dataclass(frozen=True, slots=True)
class ContactRow:
    """One pending number of a campaign with what the scheduler needs to know when it is due."""

    row: int
    number: str
    priority: int
    region: str | None
    call_after: str | None
    call_before: str | None
    attempts: int
    last_at: datetime | None
    last_outcome: str | None
    abandoned_at: datetime | None


def contacts_of(store: Store, campaign_id: int) -> list[ContactRow]:
    """The campaign's numbers not yet done, with their placed attempts' count, last outcome and
    last abandoned call (for the retry spacing and the 72-hour rule)."""
    history: dict[str, tuple[int, datetime, str, datetime | None]] = {}
    for number, outcome, started, abandoned, answered in store.conn.execute(
        "SELECT number, outcome, started_at, abandoned, answered_at FROM call_attempts"
        " WHERE campaign_id = ? AND number IS NOT NULL AND outcome IS NOT NULL"
        " AND outcome != 'blocked' ORDER BY started_at, id",
        (campaign_id,),
    ):
        count, _, _, abandoned_at = history.get(number, (0, None, None, None))
        at = datetime.fromisoformat(started)
        if abandoned:
            abandoned_at = datetime.fromisoformat(answered) if answered else at
        history[number] = (count + 1, at, outcome, abandoned_at)
    out = []
    for row, number, priority, region, after, before in store.conn.execute(
        "SELECT cc.rowid, cc.number, cc.priority, ct.region, ct.call_after, ct.call_before"
        " FROM campaign_contacts cc LEFT JOIN contacts ct ON ct.number = cc.number"
        " WHERE cc.campaign_id = ? AND cc.done_at IS NULL ORDER BY cc.added_at, cc.rowid",
        (campaign_id,),
    ):
        count, last_at, last_outcome, abandoned_at = history.get(number, (0, None, None, None))
        out.append(
            ContactRow(
                int(row), number, int(priority), region, after, before, count, last_at,
                last_outcome, abandoned_at,
            )
        )  # fmt: skip
    return out


def claim(
    store: Store, campaign_id: int, number: str, owner: str, until: datetime, now: datetime
) -> bool:
    """Claim a contact for ``owner`` until ``until``; False while another live lease holds it
    (an expired one is left for :func:`reconcile`)."""
    with store.transaction() as conn:
        held = conn.execute(
            "SELECT owner, lease_until FROM claims WHERE campaign_id = ? AND number = ?",
            (campaign_id, number),
        ).fetchone()
        if held is not None and held[0] != owner:
            return False
        conn.execute(
            "INSERT INTO claims (campaign_id, number, owner, lease_until) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (campaign_id, number) DO UPDATE SET lease_until = excluded.lease_until",
            (campaign_id, number, owner, utc_text(until)),
        )
    return True


def claim_attempt(store: Store, campaign_id: int, number: str, owner: str, attempt_id: int) -> None:
    """The attempt a claim's call opened (what reconciling an expired lease resolves)."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE claims SET attempt_id = ? WHERE campaign_id = ? AND number = ? AND owner = ?",
            (attempt_id, campaign_id, number, owner),
        )


def renew(store: Store, owner: str, until: datetime) -> int:
    """Extend every claim of ``owner`` (its calls are alive); how many."""
    with store.transaction() as conn:
        return conn.execute(
            "UPDATE claims SET lease_until = ? WHERE owner = ?", (utc_text(until), owner)
        ).rowcount


def release(store: Store, campaign_id: int, number: str, owner: str) -> None:
    with store.transaction() as conn:
        conn.execute(
            "DELETE FROM claims WHERE campaign_id = ? AND number = ? AND owner = ?",
            (campaign_id, number, owner),
        )


def reconcile(store: Store, now: datetime) -> int:
    """Claims whose lease expired (their engine stopped): an attempt they left open is resolved
    from how far it got (a person may have been reached -> ``human``, else ``failed``), audited,
    and the claim is dropped; how many claims."""
    with store.transaction() as conn:
        expired = conn.execute(
            "SELECT campaign_id, number, owner, attempt_id FROM claims WHERE lease_until < ?",
            (utc_text(now),),
        ).fetchall()
        resolved: dict[str, int] = {}
        for campaign_id, number, _, attempt_id in expired:
            if attempt_id is not None:
                row = conn.execute(
                    "SELECT state FROM call_attempts WHERE id = ? AND outcome IS NULL",
                    (attempt_id,),
                ).fetchone()
                if row is not None:
                    outcome = "human" if row[0] in REACHED else "failed"
                    resolved[outcome] = resolved.get(outcome, 0) + 1
                    conn.execute(
                        "UPDATE call_attempts SET outcome = ?, ended_at = ?, detail = ?"
                        " WHERE id = ?",
                        (
                            outcome,
                            utc_text(now),
                            json.dumps({"error": "claim expired", "state": row[0]}),
                            attempt_id,
                        ),
                    )
            conn.execute(
                "DELETE FROM claims WHERE campaign_id = ? AND number = ?", (campaign_id, number)
            )
        if expired:
            audit.record(
                store,
                "claims_reconciled",
                claims=len(expired),
                owners=sorted({o for _, _, o, _ in expired}),
                outcomes=resolved,
            )
    return len(expired)


# --- what the pacer measured before this start --------------------------------------------------
@dataclass(frozen=True, slots=True)
class PacingHistory:
    """The placed calls of the last period as the pacer counts them, so that a restart neither
    forgets abandons (the rolling 3 % limit) nor falls back to progressive for want of data.

    ``events``: (instant, campaign id, kind) oldest first, kinds as :mod:`konform.engine.stats`
    names them (``dialled``, ``human``, ``machine``, ``no_answer``, ``bridged``,
    ``abandoned``); ``talks``: agents' talk durations (``in_call`` intervals of the agent log);
    ``to_person`` / ``to_other``: seconds from the dial to AMD "human" / to another outcome.
    """

    events: list[tuple[datetime, int, str]]
    talks: list[float]
    to_person: list[float]
    to_other: list[float]


_NOT_ANSWERED = ("no_answer", "busy", "failed")


def pacing_history(store: Store, campaign_ids: list[int], since: datetime) -> PacingHistory:
    """The campaigns' calls started since ``since`` (the index on campaign and start), and the
    agents' talks ended since then.

    A person counts only where AMD said human (the pacer's definition of an answered person;
    a callee who hung up during the detection does not); the instant is the answer plus the
    detector's decision time.
    """
    history = PacingHistory([], [], [], [])
    if campaign_ids:
        marks = ", ".join("?" for _ in campaign_ids)
        rows = store.conn.execute(
            "SELECT campaign_id, started_at, ended_at, outcome, answered_at, bridged_at,"
            " abandoned, detail FROM call_attempts"
            f" WHERE campaign_id IN ({marks}) AND started_at >= ? AND outcome IS NOT NULL"
            " AND outcome != 'blocked' ORDER BY started_at, id",
            (*campaign_ids, utc_text(since)),
        ).fetchall()
        for row in rows:
            _history_of_call(history, *row)
    history.events.sort(key=lambda event: event[0])
    for started, ended in store.conn.execute(
        "SELECT started_at, ended_at FROM agent_log WHERE state = 'in_call' AND ended_at >= ?"
        " ORDER BY ended_at",
        (utc_text(since),),
    ):
        talk = (datetime.fromisoformat(ended) - datetime.fromisoformat(started)).total_seconds()
        history.talks.append(max(0.0, talk))
    return history


def _history_of_call(
    history: PacingHistory,
    campaign_id: int,
    started_at: str,
    ended_at: str,
    outcome: str,
    answered_at: str | None,
    bridged_at: str | None,
    abandoned: int,
    detail_text: str | None,
) -> None:
    started, ended = datetime.fromisoformat(started_at), datetime.fromisoformat(ended_at)
    events = history.events
    events.append((started, campaign_id, "dialled"))
    detail = json.loads(detail_text) if detail_text else {}
    amd = detail.get("amd") if isinstance(detail, dict) else None
    decided = ended
    if answered_at is not None:
        decided = datetime.fromisoformat(answered_at)
        if isinstance(amd, dict) and isinstance(amd.get("at_ms"), int | float):
            decided += timedelta(milliseconds=amd["at_ms"])
    if outcome == "human" and isinstance(amd, dict) and amd.get("label") == "human":
        events.append((decided, campaign_id, "human"))
        history.to_person.append((decided - started).total_seconds())
        if bridged_at is not None:
            events.append((datetime.fromisoformat(bridged_at), campaign_id, "bridged"))
        if abandoned:
            events.append((decided, campaign_id, "abandoned"))
    elif outcome == "machine":
        events.append((decided, campaign_id, "machine"))
        history.to_other.append((decided - started).total_seconds())
    elif outcome in _NOT_ANSWERED and answered_at is None:
        events.append((ended, campaign_id, "no_answer"))
        history.to_other.append((ended - started).total_seconds())


# --- the call's moments and the agents' log -----------------------------------------------------
def set_moment(
    store: Store,
    attempt_id: int,
    *,
    answered_at: datetime | None = None,
    bridged_at: datetime | None = None,
    agent: str | None = None,
    abandoned: bool | None = None,
) -> None:
    """Write the moments given (answered, bridged with which agent, abandoned) to the attempt."""
    columns: dict[str, object] = {}
    if answered_at is not None:
        columns["answered_at"] = utc_text(answered_at)
    if bridged_at is not None:
        columns["bridged_at"] = utc_text(bridged_at)
    if agent is not None:
        columns["agent"] = agent
    if abandoned is not None:
        columns["abandoned"] = int(abandoned)
    if not columns:
        return
    assignments = ", ".join(f"{name} = ?" for name in columns)  # names from this function only
    store.conn.execute(
        f"UPDATE call_attempts SET {assignments} WHERE id = ?", (*columns.values(), attempt_id)
    )


def log_agents(store: Store, changes: list[tuple[str, str, datetime]]) -> None:
    """Agents' state changes (name, state, instant): each closes the agent's open interval and
    opens the next (the report's occupancy)."""
    with store.transaction() as conn:
        for name, state, at in changes:
            stamp = utc_text(at)
            conn.execute(
                "UPDATE agent_log SET ended_at = ? WHERE name = ? AND ended_at IS NULL",
                (stamp, name),
            )
            conn.execute(
                "INSERT INTO agent_log (name, state, started_at) VALUES (?, ?, ?)",
                (name, state, stamp),
            )


def close_agent_log(store: Store, at: datetime) -> None:
    """End every open interval (the engine stops)."""
    with store.transaction() as conn:
        conn.execute("UPDATE agent_log SET ended_at = ? WHERE ended_at IS NULL", (utc_text(at),))
