"""The campaign dialer: the gate before every call, a concurrency limit per trunk, and the
router that hands each ARI event to the call it belongs to (a thin adapter: no rule lives here).

``konform serve`` paces calls with :class:`ari_app.engine.Engine`, which places each one through
:meth:`Dialer.call_isolated`; :meth:`Dialer.run_campaign` calls a list at once (the demo, and a
blast round for comparisons).

Every write goes through :class:`~konform.store.calls.CallWrites` on the store's worker thread,
never on the event loop; a contact is judged and its attempt opened in one transaction
(:func:`konform.store.calls.admit`). At start the dialer reconciles what a stopped run left:
attempts without an outcome, konform's channels and bridges on the PBX, recordings in
Asterisk's spool. One bad contact never stops a round. Numbers appear in logs only masked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ari_app.agents import AgentPool, AgentSource
from ari_app.amd_tap import AmdTap
from ari_app.ari import Ari, AriError
from ari_app.call import CallObserver, CallResult, OutboundCall, TapFactory, describe_error
from ari_app.flow import CallFlow, FlowSettings
from ari_app.originates import OriginateWindow
from konform.calling_time import holiday_name
from konform.config import Config
from konform.numbers import is_valid_german, masked, national_digits
from konform.policy import Campaign
from konform.store import attempts, campaigns, gdpr, recordings
from konform.store.calls import Attempt, CallWrites, Refused
from konform.store.database import Store
from konform.store.worker import StoreWorker

__all__ = ["CallHooks", "Dialer", "call_id_of", "new_call_id"]

logger = logging.getLogger(__name__)

# The ARI events konform's calls act on (see OutboundCall.on_ari_event and AmdTap).
EVENTS = (
    "StasisStart", "ChannelDestroyed", "ChannelDtmfReceived", "PlaybackFinished",
    "RecordingFinished", "RecordingFailed",
)  # fmt: skip


def call_id_of(event: dict[str, Any]) -> str | None:
    """The konform call an ARI event belongs to, from the ids konform gave its objects."""
    for key in ("channel", "playback", "bridge"):
        obj = event.get(key)
        ident = obj.get("id") if isinstance(obj, dict) else None
        if isinstance(ident, str):
            return ident.split("-", 1)[0]
    recording = event.get("recording")
    name = recording.get("name") if isinstance(recording, dict) else None
    if isinstance(name, str):
        return name.removeprefix("konform-").split("-", 1)[0]
    return None


@dataclass(frozen=True)
class CallHooks:
    """The campaign engine's part in one call: the call's id, where its agent comes from, who
    hears its moments, and who hears its attempt once committed (before the originate)."""

    call_id: str | None = None
    agents: AgentSource | None = None
    observer: CallObserver | None = None
    admitted: Callable[[Attempt], None] | None = None
    agent_lead: float | None = None
    """Ring the agent this long before the question ends (None: when AMD says human)."""


class Dialer:
    """Runs calls for campaigns over one ARI connection."""

    def __init__(
        self,
        ari: Ari,
        store: Store,
        config: Config,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        flow_factory: Callable[[FlowSettings], CallFlow] = CallFlow,
        tap_factory: TapFactory = AmdTap,
    ) -> None:
        """``clock`` is the instant the policy judges; only demos, tests and benchmarks set
        another, as they do ``flow_factory`` and ``tap_factory``."""
        self.clock = clock
        self.flow_factory = flow_factory
        self.tap_factory = tap_factory
        self.ari = ari
        self.store = store
        self.config = config
        self.agents = AgentPool(ari, config.dialer.agent_list)
        self.slots = asyncio.Semaphore(config.dialer.max_concurrent)
        self.worker = StoreWorker(store)
        self.writes = CallWrites(self.worker)
        self.optouts = self.writes.optouts
        self.originates = OriginateWindow()
        self.calls: dict[str, OutboundCall] = {}
        self.connected = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Dialer:
        # Build this year's holiday tables and the number patterns now, not on the first
        # call's setup path.
        holiday_name(self.clock().date(), "DE", None, self.config.language)
        is_valid_german("")
        finished = await self.worker.run(gdpr.finish_pending_deletions, self.store)
        if finished:
            logger.warning("finished %d file deletions an earlier run left journalled", finished)
        resolved = await self.worker.run(attempts.resolve_open, self.store)
        if resolved:
            logger.warning(
                "attempts of an earlier run without an outcome, resolved at restart: %s",
                ", ".join(f"{n} {outcome}" for outcome, n in sorted(resolved.items())),
            )
        self._pump = asyncio.create_task(self._route_events())
        await asyncio.wait_for(self.connected.wait(), timeout=30)
        await self._filter_events()
        await self._hang_up_leftovers()
        await self._adopt_spool()
        await self.prepare(self.config.dialer.max_concurrent)
        return self

    async def prepare(self, calls: int) -> None:
        """Before a burst of ``calls``: open the REST connections it will need (a burst that
        must connect while the PBX is busy waits on its listen queue, and a dropped SYN costs
        a second)."""
        await self.ari.warm(min(calls, self.config.dialer.max_concurrent))

    async def _filter_events(self) -> None:
        """Ask Asterisk for the events the calls use only: most of ARI's traffic per call
        (variable sets, state changes, bridge membership) would be parsed for nothing."""
        allowed = [{"type": t} for t in EVENTS]
        try:
            await self.ari.request(
                "PUT",
                f"/applications/{self.ari.app}/eventFilter",
                {"allowed": allowed, "disallowed": []},
            )
        except AriError as exc:  # older Asterisk: everything arrives, which also works
            logger.info("ARI event filter not set: %s", exc)

    async def _hang_up_leftovers(self) -> None:
        """Channels and bridges of an earlier run of this app (konform's ids start with "k")
        are ended: the serve lock makes sure no other konform is using them."""
        for kind in ("channels", "bridges"):
            for item in await self.ari.get(f"/{kind}") or []:
                ident = item.get("id", "")
                if ident.startswith("k") and call_id_of({"channel": item}) not in self.calls:
                    logger.warning("ending %s, left over from an earlier run", ident)
                    with contextlib.suppress(Exception):
                        await self.ari.delete(f"/{kind}/{ident}")

    async def _adopt_spool(self) -> None:
        """Recordings an earlier run left in Asterisk's spool: once Asterisk has finished them,
        registered with their attempt when the call's consent is on record, else deleted."""
        for _ in range(50):  # a recording of a bridge just ended is closed within moments
            try:
                live = await self.ari.get("/recordings/live") or []
            except AriError:
                live = []
            if not any(str(r.get("name", "")).startswith("konform-") for r in live):
                break
            await asyncio.sleep(0.1)
        cfg = self.config.dialer
        done = await self.worker.run(
            recordings.adopt_spool,
            self.store,
            Path(cfg.asterisk_recordings_dir),
            Path(cfg.recordings_dir),
        )
        if done.registered or done.deleted:
            logger.warning(
                "recordings left in the spool: %d registered, %d deleted (no consent on record)",
                done.registered,
                done.deleted,
            )

    async def __aexit__(self, *exc: object) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump
        await self.writes.close()
        await asyncio.to_thread(self.worker.close)

    async def _route_events(self) -> None:
        async for event in self.ari.events(self.connected):
            call = self.calls.get(call_id_of(event) or "")
            if call is not None:
                call.on_ari_event(event)
            elif event.get("type") == "StasisStart":
                # Not ours (a call that already ended): never leave a channel in Stasis.
                channel = event["channel"]["id"]
                logger.warning("channel %s entered Stasis without a call; hanging up", channel)
                with contextlib.suppress(Exception):
                    await self.ari.delete(f"/channels/{channel}")

    async def run_campaign(self, name: str, numbers: list[str] | None = None) -> list[CallResult]:
        """Call the campaign's pending numbers (or ``numbers``) once each, concurrently."""
        campaign = await self.worker.run(campaigns.get, self.store, name)
        if campaign is None:
            raise KeyError(name)
        todo = (
            numbers
            if numbers is not None
            else await self.worker.run(campaigns.pending_numbers, self.store, name)
        )
        await self.prepare(len(todo))
        return list(await asyncio.gather(*(self.call_isolated(campaign, n) for n in todo)))

    async def call_isolated(
        self, campaign: Campaign, raw_number: str, hooks: CallHooks | None = None
    ) -> CallResult:
        """:meth:`call`, where an error is this contact's alone: logged (masked) and returned
        as an ``error`` result, while the round's other calls go on."""
        try:
            return await self.call(campaign, raw_number, hooks)
        except Exception as exc:
            logger.error(
                "contact %s skipped this round: %s",
                masked(raw_number),
                describe_error(exc, raw_number),
            )
            return CallResult(raw_number, "error", 0, detail={"error": type(exc).__name__})

    async def call(
        self, campaign: Campaign, raw_number: str, hooks: CallHooks | None = None
    ) -> CallResult:
        """Gate, then place one call and see it through to its outcome (``hooks``: the
        engine's part in it)."""
        hooks = hooks or CallHooks()
        async with self.slots:
            call_id = hooks.call_id or new_call_id()
            attempt = await self.writes.admit(
                campaign,
                raw_number,
                call_id=call_id,
                at=self.clock(),
                config=self.config,
            )
            if isinstance(attempt, Refused):
                return CallResult(
                    attempt.number,
                    "blocked",
                    attempt.attempt_id,
                    detail={
                        "reasons": [r.to_dict() for r in attempt.reasons],
                        "temporary": attempt.attempt_id == 0,
                    },
                )
            if hooks.admitted is not None:
                hooks.admitted(attempt)
            call = self._new_call(attempt, campaign, hooks)
            self.calls[call_id] = call
            try:
                result = await call.run()
            finally:
                del self.calls[call_id]
            logger.info("call %s to %s: %s", call_id, masked(attempt.number), result.outcome)
            return result

    def _new_call(self, admitted: Attempt, campaign: Campaign, hooks: CallHooks) -> OutboundCall:
        cfg = self.config.dialer
        agents, observer = hooks.agents or self.agents, hooks.observer
        settings = FlowSettings(
            callback_digits=national_digits(campaign.caller_id),
            consent_wait_s=cfg.consent_wait,
            agent_hold_s=cfg.agent_hold,
            optout_wait_s=cfg.optout_wait,
            csat=admitted.asks_rating,
            agent_lead_s=hooks.agent_lead,
        )
        return OutboundCall(
            call=admitted,
            campaign=campaign,
            ari=self.ari,
            writes=self.writes,
            agents=agents,
            config=cfg,
            flow=self.flow_factory(settings),
            language=self.config.language,
            originates=self.originates,
            tap_factory=self.tap_factory,
            observer=observer,
            clock=self.clock,
        )

    async def hang_up_all(self) -> int:
        """Hang up every live call's callee (the drain's end): each call then ends through its
        flow, and its outcome is written. How many calls."""
        for call_id in list(self.calls):
            with contextlib.suppress(Exception):
                await self.ari.delete(f"/channels/{call_id}")
        return len(self.calls)


def new_call_id() -> str:
    """A call's id: every ARI object of the call starts with it (see :func:`call_id_of`)."""
    return "k" + uuid.uuid4().hex[:20]
