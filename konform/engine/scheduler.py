"""Scheduler: which contact is due, and which one to call next.

A contact is due when its campaign runs (not paused) and is open, the caller's ``next_allowed``
callable (campaign window, the person's local calling hours and holidays: konform.calling_time)
allows the instant, its retry spacing has passed, the instant lies in its own "best time to call"
window (``call_after``/``call_before``, local times of day), and it is not held by the 72-hour rule
after an abandoned call (a pick that comes with a reserved agent may take such a contact).

The next call is the due contact of the best (lowest) priority level; within a level, campaigns
share the picks by weight (stride scheduling), and a campaign's contacts go first in, first out by
due time. Contacts blocked by time sit in one heap keyed by the instant they become due and move to
their (level, campaign) heap when it passes, so waiting costs no write. Entries are invalidated
lazily by a version number, and a due contact is checked again when it is picked (a window may
have closed while it waited).

A pick returns a :class:`Claim` with an owner and a lease. A claimed contact is not picked again;
when its lease runs out, :meth:`Scheduler.expired_claims` hands it back for reconciliation (did
the call happen?) and it stays out of the heaps until :meth:`Scheduler.finish` says what follows.
A store can back the same interface later: a claim is a row with owner and expiry, taken only
where no live lease exists.

Times are POSIX seconds (``float``); the only local-time arithmetic is the contact's own window in
its ``zone``.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta, tzinfo

__all__ = [
    "ABANDON_HOLD",
    "CampaignSpec",
    "Claim",
    "Contact",
    "NextAllowed",
    "Scheduler",
    "next_in_day_window",
]

ABANDON_HOLD = 72 * 3600.0  # not called again for 72 h after an abandoned call (Ofcom)

# (contact, at) -> the first instant >= at the campaign window and the person's local hours allow,
# or None when no instant ever will.
NextAllowed = Callable[["Contact", float], "float | None"]
# (campaign, at) -> the first instant >= at the campaign may call, or None.
CampaignOpen = Callable[[str, float], "float | None"]


@dataclass(slots=True)
class Contact:
    """One number of one campaign as the scheduler sees it (``data`` is the caller's own)."""

    key: str
    campaign: str
    level: int = 1  # 1 before 2 before 3 ...
    not_before: float = 0.0  # last outcome + retry spacing
    abandoned_at: float | None = None
    call_after: time | None = None  # local time of day, in ``zone``
    call_before: time | None = None
    zone: tzinfo = UTC
    data: object = None


@dataclass(slots=True)
class CampaignSpec:
    name: str
    weight: float = 1.0  # share of picks against campaigns of the same level
    spacing: float = 3600.0  # default retry spacing in seconds
    paused: bool = False


@dataclass(frozen=True, slots=True)
class Claim:
    key: str
    campaign: str
    owner: str
    expires: float
    contact: Contact = field(compare=False)


# Where a contact is.
WAITING, READY, CLAIMED, RECONCILE, NEVER = "waiting", "ready", "claimed", "reconcile", "never"


@dataclass(slots=True)
class _Entry:
    contact: Contact
    version: int = 0
    where: str = WAITING
    claim: Claim | None = None


_Item = tuple[float, int, str, int]  # (instant, sequence, key, version)


def next_in_day_window(at: float, zone: tzinfo, after: time | None, before: time | None) -> float:
    """The first instant >= ``at`` whose local time in ``zone`` lies in ``[after, before)``.

    A window with ``after`` > ``before`` runs over midnight; a missing bound is open.
    """
    if after is None and before is None:
        return at
    start = after or time(0)
    local = datetime.fromtimestamp(at, zone)
    now = local.time().replace(tzinfo=None)
    if before is None or start < before:
        inside = start <= now and (before is None or now < before)
    else:
        inside = now >= start or now < before
    if inside:
        return at
    day = local.date()
    if now >= start:  # today's start has passed: tomorrow's
        day += timedelta(days=1)
    return datetime.combine(day, start, tzinfo=zone).timestamp()


class Scheduler:
    """Due contacts in heaps per (level, campaign) and one time-ordered heap of waiting ones.

    The shell calls :meth:`add` per contact, :meth:`pick` when the pacer asks for lines,
    :meth:`finish` when a claimed call has an outcome, :meth:`renew` to keep a long call's lease,
    and :meth:`expired_claims` on a tick to reconcile claims that outlived their lease.
    """

    def __init__(
        self,
        next_allowed: NextAllowed | None = None,
        campaign_open: CampaignOpen | None = None,
        abandon_hold: float = ABANDON_HOLD,
    ) -> None:
        self.next_allowed = next_allowed
        self.campaign_open = campaign_open
        self.abandon_hold = abandon_hold
        self.campaigns: dict[str, CampaignSpec] = {}
        self._entries: dict[str, _Entry] = {}
        self._seq = itertools.count()
        self._waiting: list[_Item] = []
        self._ready: dict[tuple[int, str], list[_Item]] = {}
        self._held: dict[int, list[tuple[float, int, str, int, str]]] = {}
        self._levels: dict[int, set[str]] = {}  # level -> campaigns with a ready heap
        self._pass: dict[str, float] = {}  # stride scheduling: a campaign's pass value
        self._vtime: dict[int, float] = {}  # a level's last granted pass
        self._leases: list[tuple[float, int, str]] = []

    # --- campaigns ------------------------------------------------------------------------------
    def campaign(self, spec: CampaignSpec) -> None:
        """Add or change a campaign (weight, spacing, paused)."""
        if spec.weight <= 0:
            raise ValueError("weight must be positive")
        self.campaigns[spec.name] = spec

    def pause(self, name: str) -> None:
        """Stop picking the campaign's contacts (they keep their places)."""
        self._spec(name).paused = True

    def resume(self, name: str) -> None:
        self._spec(name).paused = False

    def _spec(self, name: str) -> CampaignSpec:
        spec = self.campaigns.get(name)
        if spec is None:
            spec = self.campaigns[name] = CampaignSpec(name)
        return spec

    # --- contacts -------------------------------------------------------------------------------
    def add(self, contact: Contact, now: float) -> None:
        """Add a contact, or replace one with the same key that is not claimed."""
        old = self._entries.get(contact.key)
        if old is not None and old.where in (CLAIMED, RECONCILE):
            raise ValueError(f"contact {contact.key} is claimed")
        self._spec(contact.campaign)
        entry = _Entry(contact, version=old.version + 1 if old else 0)
        self._entries[contact.key] = entry
        self._place(entry, now)

    def remove(self, key: str) -> None:
        """Forget a contact (done, opted out); stale heap items are skipped later."""
        self._entries.pop(key, None)

    def set_priority(self, key: str, level: int, now: float) -> None:
        entry = self._entries[key]
        entry.contact.level = level
        if entry.where not in (CLAIMED, RECONCILE):
            entry.version += 1
            self._place(entry, now)

    def refresh(self, key: str, now: float) -> None:
        """Recompute a contact's due instant (after its windows or the rules changed)."""
        entry = self._entries[key]
        if entry.where not in (CLAIMED, RECONCILE):
            entry.version += 1
            self._place(entry, now)

    def where(self, key: str) -> str | None:
        """waiting, ready, claimed, reconcile, never (no instant allowed) or None (unknown)."""
        entry = self._entries.get(key)
        return entry.where if entry else None

    def due_at(self, contact: Contact, at: float, *, ignore_hold: bool = False) -> float | None:
        """The first instant >= ``at`` the contact may be called, or None for never."""
        t = max(at, contact.not_before)
        if not ignore_hold and contact.abandoned_at is not None:
            t = max(t, contact.abandoned_at + self.abandon_hold)
        for _ in range(16):  # the windows can push each other forward; settle on one instant
            allowed = self.next_allowed(contact, t) if self.next_allowed else t
            if allowed is None:
                return None
            own = next_in_day_window(allowed, contact.zone, contact.call_after, contact.call_before)
            if own == t:
                return t
            t = own
        return t

    def next_wakeup(self) -> float | None:
        """The earliest instant a waiting contact may become due (for the shell's timer)."""
        return self._waiting[0][0] if self._waiting else None

    def counts(self) -> dict[str, int]:
        """Contacts per place (for the status line)."""
        out = dict.fromkeys((WAITING, READY, CLAIMED, RECONCILE, NEVER), 0)
        for entry in self._entries.values():
            out[entry.where] += 1
        return out

    def _place(self, entry: _Entry, now: float) -> None:
        contact = entry.contact
        due = self.due_at(contact, now)
        if due is None:
            entry.where = NEVER
        elif due <= now:
            self._push_ready(entry, due)
        else:
            entry.where = WAITING
            heapq.heappush(self._waiting, (due, next(self._seq), contact.key, entry.version))
        held = contact.abandoned_at is not None and now < contact.abandoned_at + self.abandon_hold
        if held:
            free_at = self.due_at(contact, now, ignore_hold=True)
            if free_at is not None:
                item = (free_at, next(self._seq), contact.key, entry.version, contact.campaign)
                heapq.heappush(self._held.setdefault(contact.level, []), item)

    def _push_ready(self, entry: _Entry, due: float) -> None:
        contact = entry.contact
        entry.where = READY
        slot = (contact.level, contact.campaign)
        heap = self._ready.get(slot)
        if heap is None:
            heap = self._ready[slot] = []
        heapq.heappush(heap, (due, next(self._seq), contact.key, entry.version))
        self._levels.setdefault(contact.level, set()).add(contact.campaign)

    def _live(self, key: str, version: int) -> _Entry | None:
        entry = self._entries.get(key)
        return entry if entry is not None and entry.version == version else None

    def _promote(self, now: float) -> None:
        """Move waiting contacts whose instant has come into their ready heaps."""
        waiting = self._waiting
        while waiting and waiting[0][0] <= now:
            _, _, key, version = heapq.heappop(waiting)
            entry = self._live(key, version)
            if entry is None or entry.where != WAITING:
                continue
            entry.version += 1
            self._place(entry, now)

    # --- picking --------------------------------------------------------------------------------
    def pick(
        self,
        now: float,
        owner: str,
        lease: float,
        *,
        reserved_agent: bool = False,
        campaign: str | None = None,
    ) -> Claim | None:
        """Claim the next contact to call, or None when nothing is due.

        ``reserved_agent``: the shell holds an agent for this call, so a contact held only by the
        72-hour rule after an abandoned call may be taken (before others of its level).
        ``campaign``: only that campaign's contacts (its pacer gave it the line).
        """
        self._promote(now)
        for level in sorted(self._levels.keys() | (self._held.keys() if reserved_agent else set())):
            if reserved_agent:
                claim = self._pick_held(level, now, owner, lease, campaign)
                if claim is not None:
                    return claim
            claim = self._pick_level(level, now, owner, lease, campaign)
            if claim is not None:
                return claim
        return None

    def ready_campaigns(self, now: float) -> set[str]:
        """The campaigns with a contact due now (stale entries may still count until a pick
        skips them)."""
        self._promote(now)
        return {name for (_, name), heap in self._ready.items() if heap and self._open(name, now)}

    def held_campaigns(self, now: float) -> set[str]:
        """The campaigns with a contact held only by the 72-hour rule that a pick with a
        reserved agent could take now (stale entries may count)."""
        return {
            item[4]
            for heap in self._held.values()
            for item in heap
            if item[0] <= now and self._open(item[4], now)
        }

    def _open(self, name: str, now: float) -> bool:
        spec = self.campaigns[name]
        if spec.paused:
            return False
        if self.campaign_open is None:
            return True
        at = self.campaign_open(name, now)
        return at is not None and at <= now

    def _pick_level(
        self, level: int, now: float, owner: str, lease: float, only: str | None = None
    ) -> Claim | None:
        names = self._levels.get(level)
        if not names:
            return None
        candidates = [n for n in names if (only is None or n == only) and self._open(n, now)]
        vtime = self._vtime.get(level, 0.0)
        while candidates:
            # Stride scheduling: the campaign with the lowest pass goes next; a campaign that
            # was idle starts at the level's current pass, so it cannot hoard credit.
            name = min(candidates, key=lambda n: (max(self._pass.get(n, 0.0), vtime), n))
            heap = self._ready[(level, name)]
            entry = self._pop_due(heap, now)
            if entry is None:
                candidates.remove(name)
                if not heap:
                    del self._ready[(level, name)]
                    names.discard(name)
                continue
            granted = max(self._pass.get(name, 0.0), vtime)
            self._vtime[level] = granted
            self._pass[name] = granted + 1.0 / self.campaigns[name].weight
            return self._claim(entry, now, owner, lease)
        if not names:
            del self._levels[level]
        return None

    def _pop_due(self, heap: list[_Item], now: float) -> _Entry | None:
        """Pop the first live contact of a ready heap that is still allowed now."""
        while heap:
            _, _, key, version = heapq.heappop(heap)
            entry = self._live(key, version)
            if entry is None or entry.where != READY:
                continue
            due = self.due_at(entry.contact, now)
            if due is not None and due <= now:
                return entry
            entry.version += 1  # a window closed while it waited: back to waiting (or never)
            self._place(entry, now)
        return None

    def _pick_held(
        self, level: int, now: float, owner: str, lease: float, only: str | None = None
    ) -> Claim | None:
        heap = self._held.get(level)
        if heap is None:
            return None
        skipped: list[tuple[float, int, str, int, str]] = []  # other campaigns' stay held
        claim = None
        while claim is None and heap and heap[0][0] <= now:
            item = heapq.heappop(heap)
            _, _, key, version, campaign = item
            entry = self._live(key, version)
            if entry is None or entry.where not in (WAITING, READY):
                continue
            if only is not None and campaign != only:
                skipped.append(item)
                continue
            if not self._open(campaign, now):
                continue
            due = self.due_at(entry.contact, now, ignore_hold=True)
            if due is not None and due <= now:
                claim = self._claim(entry, now, owner, lease)
        for item in skipped:
            heapq.heappush(heap, item)
        if not heap:
            del self._held[level]
        return claim

    # --- claims ---------------------------------------------------------------------------------
    def _claim(self, entry: _Entry, now: float, owner: str, lease: float) -> Claim:
        entry.version += 1  # any other heap item of this contact is now stale
        contact = entry.contact
        claim = Claim(contact.key, contact.campaign, owner, now + lease, contact)
        entry.where, entry.claim = CLAIMED, claim
        heapq.heappush(self._leases, (claim.expires, next(self._seq), contact.key))
        return claim

    def renew(self, key: str, owner: str, now: float, lease: float) -> Claim:
        """Extend a live claim held by ``owner`` (a long call)."""
        entry = self._entries[key]
        if entry.where != CLAIMED or entry.claim is None or entry.claim.owner != owner:
            raise ValueError(f"contact {key} is not claimed by {owner}")
        if entry.claim.expires <= now:
            raise ValueError(f"the claim on {key} has expired")
        claim = Claim(key, entry.contact.campaign, owner, now + lease, entry.contact)
        entry.claim = claim
        heapq.heappush(self._leases, (claim.expires, next(self._seq), key))
        return claim

    def expired_claims(self, now: float) -> list[Claim]:
        """Claims whose lease ran out: they wait for :meth:`finish` after reconciliation."""
        out = []
        leases = self._leases
        while leases and leases[0][0] <= now:
            expires, _, key = heapq.heappop(leases)
            entry = self._entries.get(key)
            if entry is None or entry.where != CLAIMED or entry.claim is None:
                continue
            if entry.claim.expires != expires:
                continue  # renewed: a later lease item stands for it
            entry.where = RECONCILE
            out.append(entry.claim)
        return out

    def finish(
        self,
        key: str,
        now: float,
        *,
        retry: bool,
        retry_in: float | None = None,
        abandoned: bool = False,
    ) -> None:
        """A claimed (or reconciled) contact's call has ended.

        ``retry``: call again after ``retry_in`` seconds (default: the campaign's spacing), else
        forget it. ``abandoned``: the person was answered and got no agent, so the 72-hour rule
        holds the contact.
        """
        entry = self._entries.get(key)
        if entry is None or entry.where not in (CLAIMED, RECONCILE):
            raise ValueError(f"contact {key} is not claimed")
        entry.claim = None
        if not retry:
            del self._entries[key]
            return
        contact = entry.contact
        spacing = self.campaigns[contact.campaign].spacing if retry_in is None else retry_in
        contact.not_before = now + spacing
        if abandoned:
            contact.abandoned_at = now
        entry.version += 1
        self._place(entry, now)
