"""The writes of one dialer call, on one path.

Everything a call writes goes through :class:`CallWrites`: its admission (the verdict audited
and the attempt opened, or the block written), how far it got, the callee's recording consent,
the recording's start and its file, the callee's rating of the call, and its outcome. Each is
a function of this module run in the group commit on the store's worker thread, so no call
waits on the event loop for SQLite and no write is visible before it is committed. The opt-out
goes through :class:`~konform.store.objection.OptOuts`: its own transaction, retried until it
lands.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

from konform import gate
from konform.config import Config
from konform.numbers import masked
from konform.outcomes import CallOutcome, CallState
from konform.policy import Campaign
from konform.reasons import TEMPORARY, Reason
from konform.store import attempts, audit, campaign_console, campaigns, engine_store, recordings
from konform.store.database import Store
from konform.store.group_commit import GroupCommit
from konform.store.objection import OptOuts
from konform.store.worker import StoreWorker

__all__ = [
    "Attempt",
    "CallWrites",
    "Refused",
    "admit",
    "consent_given",
    "finish",
    "keep_recording",
    "rate",
    "recording_started",
]

logger = logging.getLogger(__name__)

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Attempt:
    """An admitted call: the attempt it opened and the ids its writes name."""

    campaign: str
    number: str
    attempt_id: int
    call_id: str
    asks_rating: bool = False
    """The campaign asks the callee to rate the call after the talk (its setting at admission)."""


@dataclass(frozen=True, slots=True)
class Refused:
    """A contact the gate blocked. ``attempt_id`` is 0 when nothing was written: blocked only
    for now (:data:`~konform.reasons.TEMPORARY`), or no callable number."""

    number: str
    attempt_id: int
    reasons: tuple[Reason, ...]


# --- on the store's thread, inside the group's transaction -----------------------------------
def admit(
    store: Store,
    campaign: Campaign,
    raw_number: str,
    *,
    call_id: str,
    at: datetime,
    config: Config,
) -> Attempt | Refused:
    """Judge a contact right before it is called, in the same transaction as what follows.

    Blocked only for now: skipped with nothing written (it is judged again next round).
    Otherwise the verdict is audited, and either the attempt opens (``ringing``) or the block
    is written as a finished attempt and, if it is permanent, the contact is done. ``config``
    gives the reasons' language and the region of numbers without a country code."""
    verdict = gate.judge(
        store, campaign, raw_number, at, config.language, region=config.policy.default_region
    )
    number = verdict.number
    reasons = verdict.decision.reasons
    if number is not None and reasons and {r.code for r in reasons} <= TEMPORARY:
        return Refused(number, 0, reasons)
    gate.record(store, campaign, verdict, at, source="dialer")
    campaign_id = campaigns.campaign_id(store, campaign.name)
    if campaign_id is None:
        raise KeyError(campaign.name)
    if number is None or reasons:
        return _refuse(store, campaign, campaign_id, number or raw_number, reasons, at)
    attempt_id = attempts.start(store, campaign_id, number, at, channel_id=call_id, state="ringing")
    rating = campaign_console.asks_rating(store, campaign_id)
    return Attempt(campaign.name, number, attempt_id, call_id, rating)


def _refuse(
    store: Store,
    campaign: Campaign,
    campaign_id: int,
    number: str,
    reasons: tuple[Reason, ...],
    at: datetime,
) -> Refused:
    # Only permanent blocks come here (admit skips those that pass with time): done.
    attempt_id = 0
    if number.startswith("+"):
        attempt_id = attempts.start(store, campaign_id, number, at)
        attempts.finish(store, attempt_id, "blocked", at, reasons=[r.code for r in reasons])
        campaigns.mark_done(store, campaign.name, number)
    return Refused(number, attempt_id, reasons)


def consent_given(store: Store, call: Attempt) -> None:
    """The callee pressed 1: consent to recording this call (§ 201 StGB), the evidence a
    recording and its adoption after a restart rely on."""
    _record(store, call, "recording_consent", answer="yes", digit="1")


def recording_started(store: Store, call: Attempt) -> None:
    _record(store, call, "recording_started")


def _record(store: Store, call: Attempt, event: str, **detail: Any) -> None:
    audit.record(
        store,
        event,
        campaign=call.campaign,
        number=call.number,
        attempt=call.attempt_id,
        call=call.call_id,
        **detail,
    )


def rate(store: Store, call: Attempt, rating: int) -> None:
    """The callee's rating of the call (one key, 1-5), on the attempt. Not audited: the audit
    log keeps decisions, consents, opt-outs and erasures, and a rating is none of them. An
    erasure leaves it on the attempt like the outcome, beside the number's keyed hash only."""
    if isinstance(rating, bool) or rating not in range(1, 6):
        raise ValueError(f"rating {rating!r} must be 1 to 5")
    store.conn.execute("UPDATE call_attempts SET csat = ? WHERE id = ?", (rating, call.attempt_id))


def keep_recording(store: Store, call: Attempt, spool: Path, folder: Path) -> str | None:
    """The call's finished recording, registered and moved from Asterisk's spool into
    ``folder`` (so an erasure finds it); None if Asterisk left no file."""
    source = spool / f"{recordings.name_of(call.call_id)}.wav"
    if not source.is_file():
        logger.error("call %s: recording %s not found", call.call_id, source.name)
        return None
    return str(recordings.keep(store, call.attempt_id, source, folder))


def finish(
    store: Store,
    call: Attempt,
    outcome: CallOutcome,
    detail: dict[str, Any],
    at: datetime | None = None,
) -> None:
    """The call's outcome; a person reached is done for the campaign, unless the call was
    abandoned (no agent in time): that person is called again, after 72 hours at the earliest
    (Ofcom persistent-misuse policy) and the campaign's spacing."""
    attempts.finish(store, call.attempt_id, outcome, at, **detail)
    amd = detail.get("amd")
    if isinstance(amd, dict) and amd.get("stage") in ("first", "guard", "agent"):
        # Which AMD stage decided (the first one, the guard while our prompts played, or the
        # agent who heard a mailbox after the bridge).
        store.conn.execute(
            "UPDATE call_attempts SET amd_stage = ? WHERE id = ?", (amd["stage"], call.attempt_id)
        )
    if outcome == "human" and not detail.get("abandoned"):
        campaigns.mark_done(store, call.campaign, call.number)


# --- on the event loop -----------------------------------------------------------------------
def _in_group(
    write: Callable[Concatenate[Store, _P], _T],
) -> Callable[Concatenate[CallWrites, _P], Awaitable[_T]]:
    """``write`` as a method of :class:`CallWrites`: run in the group commit, its result
    once committed."""

    async def run(self: CallWrites, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        store = self.store
        return await self.commits.run(lambda: write(store, *args, **kwargs))

    run.__doc__ = write.__doc__
    return run


class CallWrites:
    """The one path of the dialer's writes: the functions above, batched in the group commit
    on the store's worker thread, and opt-outs through :class:`OptOuts`."""

    def __init__(self, worker: StoreWorker, optouts: OptOuts | None = None) -> None:
        self.worker = worker
        self.store = worker.store
        self.commits = GroupCommit(worker)
        self.optouts = optouts or OptOuts(worker)

    admit = _in_group(admit)
    consent_given = _in_group(consent_given)
    recording_started = _in_group(recording_started)
    keep_recording = _in_group(keep_recording)
    finish = _in_group(finish)

    def moment(self, call: Attempt, **moments: Any) -> None:
        """The call's moments (``answered_at``, ``bridged_at``, ``agent``, ``abandoned``: see
        :func:`konform.store.engine_store.set_moment`), queued in order like :meth:`set_state`."""
        store = self.store
        job = self.commits.submit(
            lambda: engine_store.set_moment(store, call.attempt_id, **moments)
        )
        job.add_done_callback(lambda done: _log_failed_state(done, call))

    def rate(self, call: Attempt, rating: int) -> None:
        """The callee's rating (:func:`rate`), queued in order like :meth:`set_state`."""
        store = self.store
        job = self.commits.submit(lambda: rate(store, call, rating))
        job.add_done_callback(lambda done: _log_failed_state(done, call))

    def set_state(self, call: Attempt, state: CallState) -> None:
        """How far the call got: queued in order with the call's other writes, not waited for
        (a failure is logged; the attempt keeps its last state)."""
        store = self.store
        job = self.commits.submit(lambda: attempts.set_state(store, call.attempt_id, state))
        job.add_done_callback(lambda done: _log_failed_state(done, call))

    async def opt_out(self, call: Attempt, wait_s: float) -> bool:
        """The callee's objection (Art. 21 (3) GDPR); True once committed. A failed commit
        blocks the number in memory at once and is retried (:class:`OptOuts`); this waits up to
        ``wait_s`` for the retry, then says False: the caller hears no confirmation."""
        if await self.optouts.take(call.number, source="dialer IVR key 9", campaign=call.campaign):
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait_s
        while loop.time() < deadline:
            await asyncio.sleep(min(0.05, wait_s))
            if call.number not in self.store.unsaved_objections:
                return True
        logger.critical(
            "call %s: opt-out of %s not committed yet; no confirmation played",
            call.call_id,
            masked(call.number),
        )
        return False

    async def close(self) -> None:
        await self.optouts.close()


def _log_failed_state(job: asyncio.Future[None], call: Attempt) -> None:
    if not job.cancelled() and job.exception() is not None:
        logger.error("call %s: attempt state not stored: %s", call.call_id, job.exception())
