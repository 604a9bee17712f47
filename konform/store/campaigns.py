"""Campaigns: name, the caller ID they present, purpose, jurisdiction, window and attempt rules;
their pacing settings, team of agents and pause; the call list with each number's priority.

The policy judges a :class:`konform.policy.Campaign`; the engine paces by
:class:`CampaignSettings` (:func:`settings`, :func:`is_paused`).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal, get_args

from konform.calling_time import CallingWindow, parse_window
from konform.jurisdictions import DEFAULT
from konform.policy import DEFAULT_RETRY_AFTER, Campaign
from konform.store import audit
from konform.store.database import Store, utc_text

__all__ = [
    "DEFAULT_PRIORITY",
    "MAX_ABANDON_TARGET",
    "MAX_RATIO",
    "PACINGS",
    "PRIORITIES",
    "CampaignSettings",
    "Pacing",
    "add",
    "agents_text",
    "all_settings",
    "assign",
    "change",
    "check_priority",
    "check_settings",
    "get",
    "is_paused",
    "list_all",
    "parse_agents",
    "pause",
    "paused_since",
    "priorities_of",
    "resume",
    "set_priority",
    "settings",
    "write_changes",
]

Pacing = Literal["progressive", "predictive"]
PACINGS: tuple[Pacing, ...] = get_args(Pacing)
MAX_RATIO = 10.0
"""Most lines per free agent a progressive campaign may dial."""
MAX_ABANDON_TARGET = 0.03
"""Ofcom's persistent-misuse policy: abandoned calls at most 3 % of live calls per campaign
(the US Telemarketing Sales Rule has the same 3 %)."""
PRIORITIES = range(1, 10)
"""Priority levels of a number on a call list: level 1 is called before level 2, and so on."""
DEFAULT_PRIORITY = 5


@dataclass(frozen=True, slots=True)
class CampaignSettings:
    """How the engine paces a campaign (the policy does not pace)."""

    pacing: Pacing = "progressive"
    ratio: float = 1.0
    """Progressive: lines in flight at most free agents x ratio."""
    abandon_target: float = MAX_ABANDON_TARGET
    """Predictive: abandoned calls per person answered, over the last hour and 24 h."""
    weight: float = 1.0
    """Share of picks against other campaigns of the same priority level that share agents."""
    paused: bool = False
    """No new calls while paused; calls in progress go on."""
    agents: tuple[str, ...] = ()
    """The campaign's team: the agents (PJSIP endpoints of ``[dialer] agents``) who may take its
    answered people, sorted; empty: every agent (the shared pool)."""


_AGENT = re.compile(r"[^\s,]+")


def parse_agents(text: str) -> tuple[str, ...]:
    """``e1,e2`` -> the team, sorted and without repeats; ``all`` or empty -> () (every agent)."""
    names = {part.strip() for part in text.split(",")} - {""}
    if names == {"all"}:
        return ()
    if "all" in names:
        raise ValueError("agents: 'all' (every agent) cannot be combined with endpoint names")
    return tuple(sorted(names))


def agents_text(agents: Iterable[str]) -> str | None:
    """The team as stored: comma-separated, sorted; None for every agent (the shared pool)."""
    team = sorted(set(agents))
    return ",".join(team) if team else None


def check_settings(settings: CampaignSettings) -> None:
    """Raise ValueError (a one-line reason) unless the settings may be stored."""
    if settings.pacing not in PACINGS:
        raise ValueError(f"pacing {settings.pacing!r} must be {' or '.join(PACINGS)}")
    if not 0 < settings.ratio <= MAX_RATIO:
        raise ValueError(
            f"ratio {settings.ratio:g} must be more than 0 and at most {MAX_RATIO:g}"
            " (lines per free agent)"
        )
    target = settings.abandon_target
    if target > MAX_ABANDON_TARGET:
        raise ValueError(
            f"abandon target {target:g} is above {MAX_ABANDON_TARGET:g}: Ofcom's persistent-"
            "misuse policy allows at most 3 % abandoned calls of live calls per campaign"
        )
    if not 0 < target <= MAX_ABANDON_TARGET:
        raise ValueError(f"abandon target {target:g} must be more than 0 and at most 0.03")
    if not (settings.weight > 0 and math.isfinite(settings.weight)):
        raise ValueError(f"weight {settings.weight:g} must be a number more than 0")
    for name in settings.agents:
        if not _AGENT.fullmatch(name):
            raise ValueError(f"agent {name!r} is not an endpoint name (no spaces or commas)")


def _retry_text(retry_after: Mapping[str, timedelta]) -> str:
    return json.dumps(
        {k: int(v.total_seconds() // 60) for k, v in retry_after.items()}, sort_keys=True
    )


def add(store: Store, campaign: Campaign, pacing: CampaignSettings | None = None) -> None:
    """Create a campaign (audited); ValueError on settings :func:`check_settings` refuses."""
    pacing = pacing or CampaignSettings()
    check_settings(pacing)
    now = datetime.now(UTC)
    with store.transaction() as conn:
        conn.execute(
            "INSERT INTO campaigns (name, caller_id, purpose, calling_window, max_attempts,"
            " retry_after, created_at, jurisdiction, pacing, ratio, abandon_target, weight,"
            " paused_at, agents) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                campaign.name,
                campaign.caller_id,
                campaign.purpose,
                str(campaign.window),
                campaign.max_attempts,
                _retry_text(campaign.retry_after),
                utc_text(now),
                campaign.jurisdiction,
                pacing.pacing,
                pacing.ratio,
                pacing.abandon_target,
                pacing.weight,
                utc_text(now) if pacing.paused else None,
                agents_text(pacing.agents),
            ),
        )
        audit.record(
            store,
            "campaign_added",
            campaign=campaign.name,
            caller_id=campaign.caller_id,
            purpose=campaign.purpose,
            window=str(campaign.window),
            max_attempts=campaign.max_attempts,
            jurisdiction=campaign.jurisdiction,
            pacing=pacing.pacing,
            ratio=pacing.ratio,
            abandon_target=pacing.abandon_target,
            weight=pacing.weight,
            paused=pacing.paused,
            agents=agents_text(pacing.agents),
        )


def _from_row(row: tuple[str, str, str, str, int, str, str | None]) -> Campaign:
    name, caller_id, purpose, window, max_attempts, retry, jurisdiction = row
    retry_after = dict(DEFAULT_RETRY_AFTER)
    retry_after.update({k: timedelta(minutes=v) for k, v in json.loads(retry).items()})
    return Campaign(
        name,
        caller_id,
        purpose,
        parse_window(window),
        max_attempts,
        retry_after,
        jurisdiction=jurisdiction or DEFAULT,
    )


_COLUMNS = "name, caller_id, purpose, calling_window, max_attempts, retry_after, jurisdiction"


def get(store: Store, name: str) -> Campaign | None:
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM campaigns WHERE name = ?", (name,)).fetchone()
    return _from_row(row) if row else None


def campaign_id(store: Store, name: str) -> int | None:
    row = store.conn.execute("SELECT id FROM campaigns WHERE name = ?", (name,)).fetchone()
    return int(row[0]) if row else None


def list_all(store: Store) -> list[Campaign]:
    rows = store.conn.execute(f"SELECT {_COLUMNS} FROM campaigns ORDER BY name").fetchall()
    return [_from_row(r) for r in rows]


def assign(
    store: Store, name: str, numbers: list[str], priorities: Mapping[str, int] | None = None
) -> int:
    """Put numbers (E.164) on a campaign's call list, inside the caller's transaction; return
    how many were new. A number in ``priorities`` gets that level (also when it was on the list
    already); a new number without one gets :data:`DEFAULT_PRIORITY`."""
    cid = campaign_id(store, name)
    if cid is None:
        raise KeyError(name)
    priorities = priorities or {}
    for level in priorities.values():
        check_priority(level)
    now = utc_text(datetime.now(UTC))
    before = store.conn.total_changes
    store.conn.executemany(
        "INSERT OR IGNORE INTO campaign_contacts (campaign_id, number, added_at, priority)"
        " VALUES (?, ?, ?, ?)",
        ((cid, n, now, priorities.get(n, DEFAULT_PRIORITY)) for n in numbers),
    )
    added = store.conn.total_changes - before
    store.conn.executemany(
        "UPDATE campaign_contacts SET priority = ? WHERE campaign_id = ? AND number = ?",
        ((level, cid, n) for n, level in priorities.items()),
    )
    return added


def pending_numbers(store: Store, name: str) -> list[str]:
    """The campaign's numbers not yet done, oldest first."""
    rows = store.conn.execute(
        "SELECT cc.number FROM campaign_contacts cc JOIN campaigns c ON c.id = cc.campaign_id"
        " WHERE c.name = ? AND cc.done_at IS NULL ORDER BY cc.added_at, cc.rowid",
        (name,),
    ).fetchall()
    return [r[0] for r in rows]


def mark_done(store: Store, name: str, number: str) -> None:
    store.conn.execute(
        "UPDATE campaign_contacts SET done_at = ? WHERE number = ? AND campaign_id ="
        " (SELECT id FROM campaigns WHERE name = ?)",
        (utc_text(datetime.now(UTC)), number, name),
    )


# --- pacing settings and pause ---------------------------------------------------------------

_SETTINGS = "pacing, ratio, abandon_target, weight, paused_at IS NOT NULL, agents"


def _settings_of(row: tuple[Pacing, float, float, float, int, str | None]) -> CampaignSettings:
    pacing, ratio, target, weight, paused, agents = row
    return CampaignSettings(
        pacing,
        float(ratio),
        float(target),
        float(weight),
        bool(paused),
        parse_agents(agents or ""),
    )


def settings(store: Store, name: str) -> CampaignSettings:
    """The campaign's pacing settings and whether it is paused; KeyError for an unknown name."""
    row = store.conn.execute(
        f"SELECT {_SETTINGS} FROM campaigns WHERE name = ?", (name,)
    ).fetchone()
    if row is None:
        raise KeyError(name)
    return _settings_of(row)


def all_settings(store: Store) -> dict[str, CampaignSettings]:
    """Every campaign's settings by name."""
    rows = store.conn.execute(f"SELECT name, {_SETTINGS} FROM campaigns ORDER BY name")
    return {r[0]: _settings_of(r[1:]) for r in rows}


def is_paused(store: Store, name: str) -> bool:
    """Whether the campaign is paused (no new calls); KeyError for an unknown name."""
    return settings(store, name).paused


def paused_since(store: Store, name: str) -> str | None:
    """When the campaign was paused (UTC ISO text), None while it runs; KeyError if unknown."""
    row = store.conn.execute("SELECT paused_at FROM campaigns WHERE name = ?", (name,)).fetchone()
    if row is None:
        raise KeyError(name)
    return row[0] if row[0] is None else str(row[0])


def _set_paused(store: Store, name: str, paused: bool) -> bool:
    with store.transaction() as conn:
        was = paused_since(store, name)
        if (was is not None) == paused:
            return False
        now = datetime.now(UTC)
        conn.execute(
            "UPDATE campaigns SET paused_at = ? WHERE name = ?",
            (utc_text(now) if paused else None, name),
        )
        if paused:
            audit.record(store, "campaign_paused", campaign=name, at=now)
        else:
            audit.record(store, "campaign_resumed", campaign=name, at=now, paused_at=was)
    return True


def pause(store: Store, name: str) -> bool:
    """Stop new calls of the campaign (audited); False if it was paused already."""
    return _set_paused(store, name, True)


def resume(store: Store, name: str) -> bool:
    """Let the campaign call again (audited); False if it was not paused."""
    return _set_paused(store, name, False)


def change(
    store: Store,
    name: str,
    *,
    window: CallingWindow | None = None,
    max_attempts: int | None = None,
    retry_after: Mapping[str, timedelta] | None = None,
    pacing: Pacing | None = None,
    ratio: float | None = None,
    abandon_target: float | None = None,
    weight: float | None = None,
    agents: Iterable[str] | None = None,
) -> dict[str, tuple[object, object]]:
    """Change what is given (None: unchanged); ``retry_after`` replaces the spacing of the
    outcomes it names; ``agents`` is the new team (empty: every agent). Audited as one event;
    returns ``{field: (before, after)}`` of what changed. KeyError for an unknown campaign,
    ValueError (nothing written) for bad values."""
    with store.transaction():
        campaign = get(store, name)
        if campaign is None:
            raise KeyError(name)
        old = settings(store, name)
        new = CampaignSettings(
            pacing or old.pacing,
            old.ratio if ratio is None else ratio,
            old.abandon_target if abandon_target is None else abandon_target,
            old.weight if weight is None else weight,
            old.paused,
            old.agents if agents is None else tuple(sorted(set(agents))),
        )
        check_settings(new)
        if max_attempts is not None and max_attempts < 1:
            raise ValueError("max attempts must be at least 1")
        retry = dict(campaign.retry_after)
        retry.update(retry_after or {})
        columns: dict[str, tuple[object, object]] = {  # column: (before, after)
            "calling_window": (str(campaign.window), str(window or campaign.window)),
            "max_attempts": (campaign.max_attempts, max_attempts or campaign.max_attempts),
            "retry_after": (_retry_text(campaign.retry_after), _retry_text(retry)),
            "pacing": (old.pacing, new.pacing),
            "ratio": (old.ratio, new.ratio),
            "abandon_target": (old.abandon_target, new.abandon_target),
            "weight": (old.weight, new.weight),
            "agents": (agents_text(old.agents), agents_text(new.agents)),
        }
        return write_changes(store, name, columns)


def write_changes(
    store: Store, name: str, columns: dict[str, tuple[object, object]]
) -> dict[str, tuple[object, object]]:
    """Write the columns whose value changes (``{column: (before, after)}``) and audit them as
    one ``campaign_changed`` event, inside the caller's transaction; the changed ones."""
    changed = {k: (b, a) for k, (b, a) in columns.items() if b != a}
    if not changed:
        return {}
    store.conn.execute(
        f"UPDATE campaigns SET {', '.join(f'{k} = ?' for k in changed)} WHERE name = ?",
        (*(a for _, a in changed.values()), name),
    )
    audit.record(
        store,
        "campaign_changed",
        campaign=name,
        changes={k: {"before": b, "after": a} for k, (b, a) in changed.items()},
    )
    return changed


# --- priorities on the call lists ------------------------------------------------------------


def check_priority(level: int) -> None:
    """Raise ValueError unless ``level`` is a priority level (1 is called first)."""
    if isinstance(level, bool) or not isinstance(level, int) or level not in PRIORITIES:
        raise ValueError(
            f"priority {level!r} must be a whole number from {PRIORITIES[0]} to {PRIORITIES[-1]}"
            " (1 is called first)"
        )


def set_priority(store: Store, number: str, level: int, campaign: str | None = None) -> int:
    """Give ``number`` (E.164) the priority ``level`` on ``campaign``'s list, or on every list
    it is on; audited per campaign. Returns the lists changed or already at that level (0: the
    number is on none). KeyError for an unknown campaign, ValueError for a bad level."""
    check_priority(level)
    with store.transaction() as conn:
        if campaign is not None and campaign_id(store, campaign) is None:
            raise KeyError(campaign)
        rows = conn.execute(
            "SELECT c.id, c.name, cc.priority FROM campaign_contacts cc"
            " JOIN campaigns c ON c.id = cc.campaign_id"
            " WHERE cc.number = ? AND (? IS NULL OR c.name = ?) ORDER BY c.name",
            (number, campaign, campaign),
        ).fetchall()
        for cid, name, before in rows:
            if before == level:
                continue
            conn.execute(
                "UPDATE campaign_contacts SET priority = ? WHERE campaign_id = ? AND number = ?",
                (level, cid, number),
            )
            audit.record(
                store, "priority_set", campaign=name, number=number, before=before, after=level
            )
    return len(rows)


def priorities_of(store: Store, number: str) -> list[tuple[str, int, str | None]]:
    """The campaigns whose call list holds ``number``: (name, priority, done_at), by name."""
    rows = store.conn.execute(
        "SELECT c.name, cc.priority, cc.done_at FROM campaign_contacts cc"
        " JOIN campaigns c ON c.id = cc.campaign_id WHERE cc.number = ? ORDER BY c.name",
        (number,),
    ).fetchall()
    return [(str(n), int(p), d) for n, p, d in rows]
