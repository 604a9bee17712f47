"""One outbound call's shell: carries out :class:`~ari_app.flow.CallFlow` commands over ARI and
feeds ARI events back to it, in order, one at a time.

No rule lives here: what happens next is the flow's to say; this module only turns each command
into ARI requests and store writes. Every write goes through
:class:`~konform.store.calls.CallWrites` (committed on the store's worker thread, never on the
event loop), including how far the call got (:attr:`CallFlow.reached`), so that a restart after
a crash knows whether a person was reached. Numbers appear in logs only masked.

A :class:`CallObserver` (the campaign engine) hears the call's moments as they happen: answered,
a person, bridged, talk over, abandoned; the same moments are written to the attempt.

Channel, bridge, playback and recording ids all start with the call id (``<call>-snoop``,
``<call>-p3``, ``konform-<call>``), so the router can hand every event to its call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ari_app.agents import AgentSource
from ari_app.amd_tap import AmdTap
from ari_app.ari import Ari, AriError
from ari_app.flow import (
    AgentAnswered,
    AgentGone,
    AmdDecided,
    Answered,
    Bridge,
    CalleeGone,
    CallFlow,
    CancelAgentRequest,
    Command,
    ConsentPersisted,
    ConsoleCommand,
    Dtmf,
    Event,
    Finished,
    GuardSaysMachine,
    Hangup,
    HangupAgent,
    LeaveBridge,
    MarkAbandoned,
    OptOut,
    OptOutCommitted,
    OptOutPending,
    PersistConsent,
    Play,
    PlaybackFinished,
    RequestAgent,
    SaveCsat,
    StartAmd,
    StartRecording,
    StartTimer,
    StopAmd,
    StopPlayback,
    StopRecording,
    TimerFired,
)
from ari_app.originates import OriginateWindow
from konform.amd.detector import AmdDecision
from konform.config import DialerConfig
from konform.numbers import masked
from konform.outcomes import CallState
from konform.policy import Campaign
from konform.store import recordings
from konform.store.call_commands import CommandName
from konform.store.calls import Attempt, CallWrites

__all__ = ["CallObserver", "CallResult", "OutboundCall", "Tap", "TapFactory", "describe_error"]

logger = logging.getLogger(__name__)


def describe_error(exc: BaseException, number: str) -> str:
    """An error for a log line: its type, its text with the number masked, and where it was
    raised; no traceback (its text and locals could carry the plain number)."""
    text = str(exc)
    digits = number.lstrip("+")
    for form in sorted({number, digits, "0" + digits[2:]}, key=len, reverse=True):
        if len(form) >= 6:
            text = text.replace(form, masked(number))
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    return f"{type(exc).__name__}: {text}{where}"


@dataclass
class CallResult:
    number: str
    outcome: str
    attempt_id: int
    recording: str | None = None
    recording_consent: bool = False
    opted_out: bool = False
    detail: dict[str, Any] = field(default_factory=dict)


class Tap(Protocol):
    """Answering machine detection on a call's incoming audio (:class:`AmdTap`)."""

    stats: dict[str, int]

    @property
    def running(self) -> bool: ...

    def stasis_started(self, channel: str) -> None: ...

    async def start(
        self, host: str, media_format: str, on_decision: Callable[[AmdDecision], None]
    ) -> None: ...

    async def stop(self, snoop_gone: bool = False) -> None: ...

    def prompt_started(self) -> None:
        """Our first prompt started playing (the AMD guard's turn-taking counts from here)."""


TapFactory = Callable[[Ari, str, str], Tap]
"""(ari, call id, channel) -> the call's tap."""


class CallObserver(Protocol):
    """The moments of a call, as they happen (the campaign engine paces on them)."""

    def answered(self, call: str) -> None: ...

    def human(self, call: str) -> None: ...

    def bridged(self, call: str, agent: str) -> None: ...

    def talk_ended(self, call: str) -> None: ...

    def abandoned(self, call: str) -> None: ...


_Handler = Callable[["OutboundCall", Any], Awaitable[Event | None]]


class OutboundCall:
    """Everything about one call to one number, from originate to the last cleanup."""

    optout_commit_wait_s = 3.0
    """How long the caller waits for a failed opt-out commit's retry (OptOuts) before the flow
    says goodbye without a confirmation."""

    def __init__(
        self,
        *,
        call: Attempt,
        campaign: Campaign,
        ari: Ari,
        writes: CallWrites,
        agents: AgentSource,
        config: DialerConfig,
        flow: CallFlow,
        language: str,
        originates: OriginateWindow | None = None,
        tap_factory: TapFactory = AmdTap,
        observer: CallObserver | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """``clock``: the instants written for the call's moments (the policy's clock)."""
        self.call = call
        self.call_id = call.call_id
        self.number = call.number
        self.attempt_id = call.attempt_id
        self.campaign = campaign
        self.ari = ari
        self.writes = writes
        self.agents = agents
        self.config = config
        self.flow = flow
        self.language = language
        self.observer = observer
        self.clock = clock
        self.originates = originates or OriginateWindow()
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.result: CallResult | None = None
        self._saved_state: CallState = flow.reached
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._playback: str | None = None
        self._playback_tokens: dict[str, int] = {}
        self._agent: str | None = None
        self._agent_task: asyncio.Task[None] | None = None
        self._agent_answer: asyncio.Future[bool] | None = None
        self._agent_bridged = False
        self._agent_waiting = False  # answered, waiting in Stasis for the question to end
        self._talk_over = False
        self._recording: str | None = None
        self._recording_done: asyncio.Event | None = None
        self._recording_path: str | None = None
        self._tap = tap_factory(ari, self.call_id, self.call_id)
        # What exists on the PBX, so that cleaning up asks only for what is still there.
        self._callee_up = True
        self._agent_up = False
        self._talk_bridge_up = False

    # --- ids ---------------------------------------------------------------------------------
    @property
    def agent_channel(self) -> str:
        return f"{self.call_id}-agent"

    @property
    def talk_bridge(self) -> str:
        return f"{self.call_id}-talk"

    # --- events from the router --------------------------------------------------------------
    def on_ari_event(self, event: dict[str, Any]) -> None:
        kind = event.get("type")
        channel = (event.get("channel") or {}).get("id", "")
        if kind == "StasisStart":
            self._stasis_started(channel)
        elif kind == "ChannelDestroyed":
            self._channel_destroyed(channel, int(event.get("cause", 16)))
        elif kind == "ChannelDtmfReceived" and channel == self.call_id:
            self.queue.put_nowait(Dtmf(str(event.get("digit", ""))))
        elif kind == "PlaybackFinished":
            token = self._playback_tokens.pop((event.get("playback") or {}).get("id", ""), None)
            if token is not None:
                self.queue.put_nowait(PlaybackFinished(token))
        elif kind in ("RecordingFinished", "RecordingFailed") and self._recording_done:
            self._recording_done.set()

    def _stasis_started(self, channel: str) -> None:
        self._tap.stasis_started(channel)
        if channel == self.call_id:
            self.queue.put_nowait(Answered())
        elif channel == self.agent_channel and self._agent_answer is not None:
            with contextlib.suppress(asyncio.InvalidStateError):
                self._agent_answer.set_result(True)

    def _channel_destroyed(self, channel: str, cause: int) -> None:
        if channel == self.call_id:
            self._callee_up = False
            self.queue.put_nowait(CalleeGone(cause))
        elif channel == self.agent_channel:
            self._agent_up = False
            if self._agent_answer is not None and not self._agent_answer.done():
                self._agent_answer.set_result(False)
            elif self._agent_bridged or self._agent_waiting:
                self._agent_waiting = False
                self.queue.put_nowait(AgentGone())

    def console(self, command: CommandName) -> None:
        """A console command for this call (the engine took it from the store): the flow says
        what it means where the call is."""
        logger.info("call %s: console command %s", self.call_id, command)
        self.queue.put_nowait(ConsoleCommand(command))

    def _amd_decided(self, decision: AmdDecision) -> None:
        if decision.reason.startswith("guard_"):
            self.queue.put_nowait(GuardSaysMachine(decision.at_ms, decision.reason))
            return
        self.queue.put_nowait(AmdDecided(decision.label, decision.at_ms, decision.reason))

    # --- the run -----------------------------------------------------------------------------
    async def run(self) -> CallResult:
        """Originate, then process events until the flow has finished; always clean up."""
        try:
            await self._originate()
            while self.result is None:
                event = await self.queue.get()
                await self._dispatch(event)
        except Exception as exc:
            logger.error(
                "call %s to %s failed: %s",
                self.call_id,
                masked(self.number),
                describe_error(exc, self.number),
            )
            if self.result is None:
                await self._finish_after_error()
        finally:
            await self._cleanup()
        assert self.result is not None
        return self.result

    async def _finish_after_error(self) -> None:
        finished = self.flow.outcome_after_error()
        try:
            await self._finish(finished)
        except Exception as again:
            # The attempt stays open: it blocks further calls (call_in_progress) and the next
            # start resolves it from its state.
            logger.error(
                "call %s: outcome not stored (%s); left open",
                self.call_id,
                describe_error(again, self.number),
            )
            self.result = CallResult(
                self.number, finished.outcome, self.attempt_id, detail=dict(finished.detail)
            )

    async def _dispatch(self, event: Event) -> None:
        pending: list[Event] = [event]
        while pending:
            commands = self.flow.handle(pending.pop(0))
            if self.flow.reached != self._saved_state:
                self._saved_state = self.flow.reached
                self.writes.set_state(self.call, self.flow.reached)
                self._reached(self.flow.reached)
            for command in commands:
                follow_up = await self._execute(command)
                if follow_up is not None:
                    pending.append(follow_up)

    async def _execute(self, command: Command) -> Event | None:
        """Carry out one command; an event it yields at once (a committed write) or None."""
        handler = _HANDLERS[type(command)]
        return await handler(self, command)

    async def _ring(self, endpoint: str, role: str, channel: str, number: str, ring_s: int) -> None:
        """Originate ``endpoint`` into the application, showing ``number`` with our name."""
        name = self.config.company or self.campaign.name
        with self.originates.originating():
            # The parameters go as a JSON body (ARI takes them there too): cheaper to build
            # than a quoted query string, and a burst of originates leaves sooner.
            await self.ari.post(
                "/channels",
                {
                    "endpoint": endpoint,
                    "app": self.ari.app,
                    "appArgs": f"{role},{self.call_id}",
                    "channelId": channel,
                    "otherChannelId": f"{channel}-o",
                    "callerId": f'"{name}" <{number}>',
                    "timeout": ring_s,
                },
            )

    async def _originate(self) -> None:
        try:
            await self._ring(
                f"PJSIP/{self.number}@{self.config.trunk}",
                "callee",
                self.call_id,
                self.campaign.caller_id,
                self.config.ring_timeout,
            )
        except AriError as exc:
            self._callee_up = False
            logger.error(
                "call %s: originate to %s refused: %s",
                self.call_id,
                masked(self.number),
                describe_error(exc, self.number),
            )
            self.queue.put_nowait(CalleeGone(cause=-1))

    def _reached(self, state: CallState) -> None:
        if state == "answered":
            self.writes.moment(self.call, answered_at=self.clock())
            if self.observer is not None:
                self.observer.answered(self.call_id)
        elif state == "human" and self.observer is not None:
            self.observer.human(self.call_id)

    def _talk_ended(self) -> None:
        if self._agent_bridged and not self._talk_over:
            self._talk_over = True
            if self.observer is not None:
                self.observer.talk_ended(self.call_id)

    # --- commands ----------------------------------------------------------------------------
    async def _start_amd(self, _: StartAmd) -> None:
        cfg = self.config
        await self.originates.wait_clear()
        await self._tap.start(cfg.rtp_host, cfg.media_format, self._amd_decided)

    async def _stop_amd(self, _: StopAmd | None = None) -> None:
        amd = self.flow.amd
        if amd is not None and amd.label == "human" and not self.flow.done:
            return  # the first stage is over; the tap goes on as the guard until the bridge
        await self._stop_tap()

    async def _stop_tap(self) -> None:
        # A snoop channel ends with the channel it snoops on: nothing to ask for then.
        await self._tap.stop(snoop_gone=not self._callee_up)

    async def _play(self, command: Play) -> None:
        playback = f"{self.call_id}-p{command.token}"
        self._playback_tokens[playback] = command.token
        self._playback = playback
        await self._quiet(
            self.ari.post(
                f"/channels/{self.call_id}/play",
                media=list(command.media),
                lang=self.language,
                playbackId=playback,
            )
        )
        self._tap.prompt_started()  # the AMD guard's turn-taking counts from our first prompt

    async def _stop_playback(self, _: StopPlayback) -> None:
        if self._playback is not None:
            self._playback_tokens.pop(self._playback, None)
            # 500 "Could not stop playback": it was finishing as we asked (nothing to stop)
            await self._quiet(self.ari.delete(f"/playbacks/{self._playback}"), also=(500,))
            self._playback = None

    async def _start_timer(self, command: StartTimer) -> None:
        old = self._timers.pop(command.name, None)
        if old is not None:
            old.cancel()
        self._timers[command.name] = asyncio.get_running_loop().call_later(
            command.seconds, self.queue.put_nowait, TimerFired(command.name)
        )

    async def _persist_consent(self, _: PersistConsent) -> Event:
        await self.writes.consent_given(self.call)
        return ConsentPersisted()  # committed

    async def _opt_out(self, _: OptOut) -> Event:
        await self._wait_for_recording()
        if await self.writes.opt_out(self.call, self.optout_commit_wait_s):
            return OptOutCommitted()  # committed before the confirmation plays
        return OptOutPending()  # blocked in memory, retried: no confirmation

    async def _request_agent(self, _: RequestAgent) -> None:
        if self._agent is not None and not self._agent_bridged:
            self._release_agent()  # the waiting agent hung up: ring another
        self._agent_task = asyncio.create_task(self._ring_agents())

    async def _cancel_agent_request(self, _: CancelAgentRequest | None = None) -> None:
        if self._agent_task is not None:
            self._agent_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._agent_task
            self._agent_task = None
        if self._agent is not None and not self._agent_bridged:
            self._agent_waiting = False
            await self._quiet(self.ari.delete(f"/channels/{self.agent_channel}"))
            self._agent_up = False
            self._release_agent()

    async def _bridge(self, command: Bridge) -> None:
        if not self._callee_up:
            return  # the callee hung up meanwhile (its CalleeGone is queued): nobody to bridge
        await self.ari.post("/bridges", type="mixing", bridgeId=self.talk_bridge)
        self._talk_bridge_up = True
        await self.ari.post(
            f"/bridges/{self.talk_bridge}/addChannel",
            channel=f"{self.call_id},{self.agent_channel}",
        )
        self._agent_bridged = True
        self._agent_waiting = False
        if self._tap.running:
            await self._stop_tap()  # the AMD guard listens until an agent is bridged
        self.writes.moment(self.call, bridged_at=self.clock(), agent=command.agent)
        if self.observer is not None:
            self.observer.bridged(self.call_id, command.agent)
        logger.info("call %s: bridged with %s", self.call_id, command.agent)

    async def _mark_abandoned(self, _: MarkAbandoned) -> None:
        self.writes.moment(self.call, abandoned=True)
        if self.observer is not None:
            self.observer.abandoned(self.call_id)
        logger.info("call %s: abandoned (no agent in time)", self.call_id)

    async def _start_recording(self, _: StartRecording) -> None:
        if not (self._callee_up and self._talk_bridge_up):
            return  # no conversation to record: the callee is gone
        name = recordings.name_of(self.call_id)
        self._recording_done = asyncio.Event()
        await self.ari.post(
            f"/bridges/{self.talk_bridge}/record",
            name=name,
            format="wav",
            ifExists="overwrite",
            beep=False,
            terminateOn="none",
            maxDurationSeconds=3600,
        )
        self._recording = name
        await self.writes.recording_started(self.call)

    async def _stop_recording(self, _: StopRecording) -> None:
        if self._recording is not None:
            await self._quiet(self.ari.post(f"/recordings/live/{self._recording}/stop"))

    async def _leave_bridge(self, _: LeaveBridge) -> None:
        await self._quiet(
            self.ari.post(f"/bridges/{self.talk_bridge}/removeChannel", channel=self.call_id)
        )
        await self._quiet(self.ari.delete(f"/bridges/{self.talk_bridge}"))
        self._talk_bridge_up = False
        self._talk_ended()
        self._release_agent()

    async def _hangup_agent(self, _: HangupAgent) -> None:
        self._talk_ended()
        await self._quiet(self.ari.delete(f"/channels/{self.agent_channel}"))

    async def _hangup(self, _: Hangup) -> None:
        await self._quiet(self.ari.delete(f"/channels/{self.call_id}"))
        self._callee_up = False

    async def _save_csat(self, command: SaveCsat) -> None:
        self.writes.rate(self.call, command.rating)  # queued in order before the outcome
        logger.info("call %s: rated %d", self.call_id, command.rating)

    async def _finish(self, finished: Finished) -> None:
        if self._recording is not None:
            await self._wait_for_recording()
        detail: dict[str, Any] = {**finished.detail, "amd_media": self._tap.stats}
        await self.writes.finish(self.call, finished.outcome, detail, self.clock())
        self.result = CallResult(
            number=self.number,
            outcome=finished.outcome,
            attempt_id=self.attempt_id,
            recording=self._recording_path,
            recording_consent=self.flow.recording_consent,
            opted_out=self.flow.opted_out,
            detail=detail,
        )

    # --- agents ------------------------------------------------------------------------------
    async def _ring_agents(self) -> None:
        """Ring free agents one after another until one answers (cancelled by the flow)."""
        while True:
            agent = await self.agents.acquire(self.call_id)
            if agent is None:
                await asyncio.sleep(0.5)
                continue
            self._agent = agent
            self._agent_answer = asyncio.get_running_loop().create_future()
            self._agent_up = True
            try:
                await self._ring(
                    f"{self.agents.technology}/{agent}",
                    "agent",
                    self.agent_channel,
                    self.number,
                    self.config.agent_ring_timeout,
                )
                answered = await self._agent_answer
            except AriError as exc:
                logger.warning(
                    "call %s: agent %s could not be rung: %s",
                    self.call_id,
                    agent,
                    describe_error(exc, self.number),
                )
                answered = False
            finally:
                self._agent_answer = None
            if answered:
                self._agent_waiting = True
                self.queue.put_nowait(AgentAnswered(agent))
                return
            self.agents.rang_out(agent)
            self._release_agent()
            await asyncio.sleep(0.2)

    def _release_agent(self) -> None:
        """Give the agent back, once: released twice, it could be freed under another call."""
        if self._agent is not None:
            self.agents.release(self._agent, self.call_id)
            self._agent = None

    # --- recording ---------------------------------------------------------------------------
    async def _wait_for_recording(self) -> None:
        """Let a stopped recording land (and be registered) before anything is erased."""
        if self._recording is None or self._recording_done is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._recording_done.wait(), timeout=5)
        if self._recording_path is None:
            cfg = self.config
            self._recording_path = await self.writes.keep_recording(
                self.call, Path(cfg.asterisk_recordings_dir), Path(cfg.recordings_dir)
            )

    # --- the end -----------------------------------------------------------------------------
    async def _cleanup(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        await self._cancel_agent_request()
        if self._tap.running:
            await self._stop_tap()
        for path, up in (
            (f"/channels/{self.agent_channel}", self._agent_up),
            (f"/bridges/{self.talk_bridge}", self._talk_bridge_up),
            (f"/channels/{self.call_id}", self._callee_up),
        ):
            if up:
                await self._quiet(self.ari.delete(path))
        self._talk_ended()
        self._release_agent()

    @staticmethod
    async def _quiet(request: Awaitable[Any], also: tuple[int, ...] = ()) -> None:
        """Run an ARI request whose 404 (already gone) is expected and harmless (and the
        statuses in ``also``, logged at debug level only)."""
        try:
            await request
        except AriError as exc:
            if exc.status in also:
                logger.debug("%s", exc)
            elif exc.status not in (404, 409, 422):
                logger.warning("%s", exc)


_HANDLERS: dict[type[Command], _Handler] = {
    StartAmd: OutboundCall._start_amd,
    StopAmd: OutboundCall._stop_amd,
    Play: OutboundCall._play,
    StopPlayback: OutboundCall._stop_playback,
    StartTimer: OutboundCall._start_timer,
    PersistConsent: OutboundCall._persist_consent,
    RequestAgent: OutboundCall._request_agent,
    CancelAgentRequest: OutboundCall._cancel_agent_request,
    Bridge: OutboundCall._bridge,
    StartRecording: OutboundCall._start_recording,
    StopRecording: OutboundCall._stop_recording,
    LeaveBridge: OutboundCall._leave_bridge,
    HangupAgent: OutboundCall._hangup_agent,
    MarkAbandoned: OutboundCall._mark_abandoned,
    OptOut: OutboundCall._opt_out,
    Hangup: OutboundCall._hangup,
    SaveCsat: OutboundCall._save_csat,
    Finished: OutboundCall._finish,
}
"""Each command of the flow and the method that carries it out."""
