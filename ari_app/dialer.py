"""The campaign dialer: the gate before every call, a concurrency limit per trunk, and the
router that hands each ARI event to the call it belongs to (a thin adapter: no rule lives here).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ari_app.agents import AgentPool
from ari_app.ari import AriClient, AriError
from ari_app.call import CallResult, OutboundCall
from ari_app.flow import CallFlow, FlowSettings
from ari_app.group_commit import GroupCommit
from ari_app.originates import OriginateWindow
from konform import gate
from konform.calling_time import holiday_name
from konform.config import Config
from konform.numbers import is_valid_german, national_digits
from konform.policy import Campaign
from konform.reasons import Reason, reason
from konform.store import attempts, callerids, campaigns
from konform.store.database import Store

__all__ = ["Dialer"]

logger = logging.getLogger(__name__)

# The ARI events konform's calls act on (see OutboundCall.on_ari_event and AmdTap).
EVENTS = (
    "StasisStart", "ChannelDestroyed", "ChannelDtmfReceived", "PlaybackFinished",
    "RecordingFinished", "RecordingFailed",
)  # fmt: skip

# Reasons that pass with time; a contact blocked for any other reason is done for the campaign.
TEMPORARY = frozenset({"sunday", "public_holiday", "outside_hours", "retry_too_soon"})


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


class Dialer:
    """Runs calls for campaigns over one ARI connection."""

    def __init__(
        self,
        ari: AriClient,
        store: Store,
        config: Config,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        flow_factory: Callable[[FlowSettings], CallFlow] = CallFlow,
    ) -> None:
        """``clock`` is the instant the policy judges; only demos, tests and benchmarks set
        another, as they do ``flow_factory``."""
        self.clock = clock
        self.flow_factory = flow_factory
        self.ari = ari
        self.store = store
        self.config = config
        self.agents = AgentPool(ari, config.dialer.agent_list)
        self.slots = asyncio.Semaphore(config.dialer.max_concurrent)
        self.commits = GroupCommit(store)
        self.originates = OriginateWindow()
        self.calls: dict[str, OutboundCall] = {}
        self.connected = asyncio.Event()
        self._pump: asyncio.Task[None] | None = None

    async def __aenter__(self) -> Dialer:
        # Build this year's holiday tables and the number patterns now (about 150 ms and
        # 20 ms), not on the first call's setup path.
        holiday_name(self.clock().date(), "DE", None, self.config.language)
        is_valid_german("")
        orphans = attempts.close_orphans(self.store)
        if orphans:
            logger.warning("%d attempts of an earlier run had no outcome: marked failed", orphans)
        self._pump = asyncio.create_task(self._route_events())
        await asyncio.wait_for(self.connected.wait(), timeout=30)
        await self._filter_events()
        await self._hang_up_leftovers()
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
        """Channels of an earlier run of this app (konform's ids start with "k") are ended."""
        for channel in await self.ari.get("/channels") or []:
            ident = channel.get("id", "")
            if ident.startswith("k") and call_id_of({"channel": channel}) not in self.calls:
                logger.warning("hanging up %s, left over from an earlier run", ident)
                with contextlib.suppress(Exception):
                    await self.ari.delete(f"/channels/{ident}")

    async def __aexit__(self, *exc: object) -> None:
        if self._pump is not None:
            self._pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._pump

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
        campaign = campaigns.get(self.store, name)
        if campaign is None:
            raise KeyError(name)
        todo = numbers if numbers is not None else campaigns.pending_numbers(self.store, name)
        await self.prepare(len(todo))
        return list(await asyncio.gather(*(self.call(campaign, n) for n in todo)))

    async def call(self, campaign: Campaign, raw_number: str) -> CallResult:
        """Gate, then place one call and see it through to its outcome."""
        async with self.slots:
            admitted = await self.commits.run(lambda: self._admit(campaign, raw_number))
            if isinstance(admitted, CallResult):
                return admitted
            number, attempt_id = admitted
            call = self._new_call(campaign, number, attempt_id)
            self.calls[call.call_id] = call
            try:
                result = await call.run()
            finally:
                del self.calls[call.call_id]
            if result.outcome == "human":
                await self.commits.run(
                    lambda: campaigns.mark_done(self.store, campaign.name, number)
                )
            logger.info("call %s to %s: %s", call.call_id, number, result.outcome)
            return result

    def _admit(self, campaign: Campaign, raw_number: str) -> CallResult | tuple[str, int]:
        """The gate's verdict, audited, and the attempt it starts (or the blocked result):
        written in the caller's transaction, committed before the call goes on."""
        verdict = gate.check(
            self.store,
            campaign,
            raw_number,
            self.clock(),
            self.config.language,
            source="dialer",
            region=self.config.policy.default_region,
        )
        number = verdict.number
        reasons = list(verdict.decision.reasons)
        if (
            number is not None
            and not reasons
            and not callerids.is_owned(self.store, campaign.caller_id)
        ):  # checked again right before originating: never an unowned number
            reasons.append(
                reason("caller_id_not_owned", self.config.language, caller_id=campaign.caller_id)
            )
        campaign_id = campaigns.campaign_id(self.store, campaign.name)
        assert campaign_id is not None
        if number is None or reasons:
            return self._blocked(campaign, campaign_id, number or raw_number, reasons)
        return number, attempts.start(self.store, campaign_id, number)

    def _new_call(self, campaign: Campaign, number: str, attempt_id: int) -> OutboundCall:
        cfg = self.config.dialer
        settings = FlowSettings(
            callback_digits=national_digits(campaign.caller_id),
            consent_wait_s=cfg.consent_wait,
            agent_wait_s=cfg.agent_wait,
            optout_wait_s=cfg.optout_wait,
        )
        return OutboundCall(
            call_id="k" + uuid.uuid4().hex[:20],
            number=number,
            campaign=campaign,
            attempt_id=attempt_id,
            ari=self.ari,
            store=self.store,
            commits=self.commits,
            agents=self.agents,
            config=cfg,
            flow=self.flow_factory(settings),
            language=self.config.language,
            originates=self.originates,
        )

    def _blocked(
        self, campaign: Campaign, campaign_id: int, number: str, reasons: list[Reason]
    ) -> CallResult:
        codes = [r.code for r in reasons]
        attempt_id = 0
        if number.startswith("+"):
            attempt_id = attempts.start(self.store, campaign_id, number)
            attempts.finish(self.store, attempt_id, "blocked", reasons=codes)
            if not set(codes) <= TEMPORARY:
                campaigns.mark_done(self.store, campaign.name, number)
        return CallResult(
            number, "blocked", attempt_id, detail={"reasons": [r.to_dict() for r in reasons]}
        )
