"""One outbound call's shell: carries out :class:`~ari_app.flow.CallFlow` commands over ARI and
feeds ARI events back to it, in order, one at a time.

Store work runs on the store's worker thread, never on the event loop. How far the call got is
written to its attempt as it goes (ringing, answered, human, bridged), so that a restart after a
crash knows whether a person was reached. Numbers appear in logs only masked.

Channel, bridge, playback and recording ids all start with the call id (``<call>-snoop``,
``<call>-p3``, ``konform-<call>``), so the router can hand every event to its call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ari_app.agents import AgentPool
from ari_app.amd_tap import AmdTap
from ari_app.ari import AriClient, AriError
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
    Dtmf,
    Event,
    Finished,
    Hangup,
    HangupAgent,
    LeaveBridge,
    OptOut,
    OptOutCommitted,
    OptOutPending,
    PersistConsent,
    Play,
    PlaybackFinished,
    RequestAgent,
    StartAmd,
    StartRecording,
    StartTimer,
    StopAmd,
    StopPlayback,
    StopRecording,
    TimerFired,
)
from ari_app.group_commit import GroupCommit
from ari_app.originates import OriginateWindow
from konform.amd.detector import AmdDecision
from konform.config import DialerConfig
from konform.numbers import masked
from konform.policy import Campaign
from konform.store import attempts, audit, recordings
from konform.store.objection import OptOuts
from konform.store.worker import StoreWorker

__all__ = ["CallResult", "OutboundCall", "describe_error"]

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


class OutboundCall:
    """Everything about one call to one number, from originate to the last cleanup."""

    optout_commit_wait_s = 3.0
    """How long the caller waits for a failed opt-out commit's retry (OptOuts) before the flow
    says goodbye without a confirmation."""

    def __init__(
        self,
        *,
        call_id: str,
        number: str,
        campaign: Campaign,
        attempt_id: int,
        ari: AriClient,
        worker: StoreWorker,
        commits: GroupCommit,
        optouts: OptOuts,
        agents: AgentPool,
        config: DialerConfig,
        flow: CallFlow,
        language: str,
        originates: OriginateWindow | None = None,
    ) -> None:
        self.call_id = call_id
        self.number = number
        self.campaign = campaign
        self.attempt_id = attempt_id
        self.ari = ari
        self.worker = worker
        self.store = worker.store
        self.commits = commits
        self.optouts = optouts
        self.agents = agents
        self.config = config
        self.flow = flow
        self.language = language
        self.originates = originates or OriginateWindow()
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.result: CallResult | None = None
        self._timers: dict[str, asyncio.TimerHandle] = {}
        self._playback: str | None = None
        self._playback_tokens: dict[str, int] = {}
        self._agent: str | None = None
        self._agent_task: asyncio.Task[None] | None = None
        self._agent_answer: asyncio.Future[bool] | None = None
        self._agent_bridged = False
        self._recording: str | None = None
        self._recording_done: asyncio.Event | None = None
        self._recording_path: str | None = None
        self._tap = AmdTap(ari, call_id, call_id)
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
            self._tap.stasis_started(channel)
            if channel == self.call_id:
                self.queue.put_nowait(Answered())
            elif channel == self.agent_channel and self._agent_answer is not None:
                with contextlib.suppress(asyncio.InvalidStateError):
                    self._agent_answer.set_result(True)
        elif kind == "ChannelDestroyed":
            if channel == self.call_id:
                self._callee_up = False
                self.queue.put_nowait(CalleeGone(int(event.get("cause", 16))))
            elif channel == self.agent_channel:
                self._agent_up = False
                if self._agent_answer is not None and not self._agent_answer.done():
                    self._agent_answer.set_result(False)
                elif self._agent_bridged:
                    self.queue.put_nowait(AgentGone())
        elif kind == "ChannelDtmfReceived" and channel == self.call_id:
            self.queue.put_nowait(Dtmf(str(event.get("digit", ""))))
        elif kind == "PlaybackFinished":
            token = self._playback_tokens.pop((event.get("playback") or {}).get("id", ""), None)
            if token is not None:
                self.queue.put_nowait(PlaybackFinished(token))
        elif kind in ("RecordingFinished", "RecordingFailed") and self._recording_done:
            self._recording_done.set()

    def _amd_decided(self, decision: AmdDecision) -> None:
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
                await self._finish_after_error(exc)
        finally:
            await self._cleanup()
        assert self.result is not None
        return self.result

    def _outcome_after_error(self) -> Finished:
        """The outcome of a call an internal error ended. Once the callee answered, a person may
        have been reached: ``human`` (its spacing applies), never a retryable ``failed`` (the
        side of not calling sooner, § 7 (1) UWG); a detected machine stays ``machine``."""
        detail: dict[str, object] = {"error": "internal", "state": self.flow.state}
        if self.flow.opt_out_pending:
            detail["opt_out_pending"] = True
        if self.flow.state == "dialing":
            return Finished("failed", detail)
        if self.flow.amd is not None and self.flow.amd.label == "machine":
            return Finished("machine", detail)
        return Finished("human", detail)

    async def _finish_after_error(self, exc: Exception) -> None:
        finished = self._outcome_after_error()
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

    def _set_state(self, state: str) -> None:
        """How far the call got, written on the store's thread in order, not waited for."""
        job = self.worker.submit(attempts.set_state, self.store, self.attempt_id, state)
        job.add_done_callback(self._state_written)

    def _state_written(self, job: asyncio.Future[None]) -> None:
        if not job.cancelled() and job.exception() is not None:
            logger.error("call %s: attempt state not stored: %s", self.call_id, job.exception())

    async def _ring(
        self, endpoint: str, role: str, channel: str, number: str, timeout: int
    ) -> None:
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
                    "timeout": timeout,
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

    async def _dispatch(self, event: Event) -> None:
        pending: list[Event] = [event]
        while pending:
            current = pending.pop(0)
            amd_before = self.flow.amd
            commands = self.flow.handle(current)
            if isinstance(current, Answered) and self.flow.state == "detecting":
                self._set_state("answered")
            elif (
                self.flow.amd is not amd_before
                and self.flow.amd is not None
                and self.flow.amd.label == "human"
            ):
                self._set_state("human")
            for command in commands:
                follow_up = await self._execute(command)
                if follow_up is not None:
                    pending.append(follow_up)

    async def _execute(self, command: Command) -> Event | None:
        match command:
            case StartAmd():
                await self._start_amd()
            case StopAmd():
                await self._stop_amd()
            case Play(token=token, media=media):
                playback = f"{self.call_id}-p{token}"
                self._playback_tokens[playback] = token
                self._playback = playback
                await self._quiet(
                    self.ari.post(
                        f"/channels/{self.call_id}/play",
                        media=list(media),
                        lang=self.language,
                        playbackId=playback,
                    )
                )
            case StopPlayback():
                if self._playback is not None:
                    self._playback_tokens.pop(self._playback, None)
                    await self._quiet(self.ari.delete(f"/playbacks/{self._playback}"))
                    self._playback = None
            case StartTimer(name=name, seconds=seconds):
                old = self._timers.pop(name, None)
                if old is not None:
                    old.cancel()
                loop = asyncio.get_running_loop()
                self._timers[name] = loop.call_later(
                    seconds, self.queue.put_nowait, TimerFired(name)
                )
            case PersistConsent():
                await self.worker.run(
                    audit.record,
                    self.store,
                    "recording_consent",
                    campaign=self.campaign.name,
                    number=self.number,
                    attempt=self.attempt_id,
                    call=self.call_id,
                    answer="yes",
                    digit="1",
                )
                return ConsentPersisted()  # committed: the autocommit write returned
            case RequestAgent():
                self._agent_task = asyncio.create_task(self._request_agent())
            case CancelAgentRequest():
                await self._cancel_agent_request()
            case Bridge(agent=agent):
                await self.ari.post("/bridges", type="mixing", bridgeId=self.talk_bridge)
                self._talk_bridge_up = True
                await self.ari.post(
                    f"/bridges/{self.talk_bridge}/addChannel",
                    channel=f"{self.call_id},{self.agent_channel}",
                )
                self._agent_bridged = True
                self._set_state("bridged")
                logger.info("call %s: bridged with %s", self.call_id, agent)
            case StartRecording():
                await self._start_recording()
            case StopRecording():
                if self._recording is not None:
                    await self._quiet(self.ari.post(f"/recordings/live/{self._recording}/stop"))
            case LeaveBridge():
                await self._quiet(
                    self.ari.post(
                        f"/bridges/{self.talk_bridge}/removeChannel", channel=self.call_id
                    )
                )
                await self._quiet(self.ari.delete(f"/bridges/{self.talk_bridge}"))
                self._talk_bridge_up = False
                self._release_agent()
            case HangupAgent():
                await self._quiet(self.ari.delete(f"/channels/{self.agent_channel}"))
            case OptOut():
                await self._wait_for_recording()
                if await self._opt_out():
                    return OptOutCommitted()  # committed before the confirmation plays
                return OptOutPending()  # blocked in memory, retried: no confirmation
            case Hangup():
                await self._quiet(self.ari.delete(f"/channels/{self.call_id}"))
                self._callee_up = False
            case Finished():
                await self._finish(command)
        return None

    async def _opt_out(self) -> bool:
        """Take the objection (Art. 21 (3) GDPR); True once it is committed. A failed commit
        blocks the number in memory at once and is retried (OptOuts); the caller waits a few
        seconds for the retry before the flow says goodbye without a confirmation."""
        if await self.optouts.take(
            self.number, source="dialer IVR key 9", campaign=self.campaign.name
        ):
            return True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.optout_commit_wait_s
        while loop.time() < deadline:
            await asyncio.sleep(0.1)
            if self.number not in self.store.unsaved_objections:
                return True
        logger.critical(
            "call %s: opt-out of %s not committed yet; no confirmation played",
            self.call_id,
            masked(self.number),
        )
        return False

    # --- answering machine detection ---------------------------------------------------------
    async def _start_amd(self) -> None:
        cfg = self.config
        await self.originates.wait_clear()
        await self._tap.start(cfg.rtp_host, cfg.media_format, self._amd_decided)

    async def _stop_amd(self) -> None:
        # A snoop channel ends with the channel it snoops on: nothing to ask for then.
        await self._tap.stop(snoop_gone=not self._callee_up)

    # --- agents ------------------------------------------------------------------------------
    async def _request_agent(self) -> None:
        while True:
            agent = await self.agents.acquire()
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
                self.queue.put_nowait(AgentAnswered(agent))
                return
            self._release_agent()
            await asyncio.sleep(0.2)

    async def _cancel_agent_request(self) -> None:
        if self._agent_task is not None:
            self._agent_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._agent_task
            self._agent_task = None
        if self._agent is not None and not self._agent_bridged:
            await self._quiet(self.ari.delete(f"/channels/{self.agent_channel}"))
            self._agent_up = False
            self._release_agent()

    def _release_agent(self) -> None:
        """Give the agent back, once: released twice, it could be freed under another call."""
        if self._agent is not None:
            self.agents.release(self._agent)
            self._agent = None

    # --- recording ---------------------------------------------------------------------------
    async def _start_recording(self) -> None:
        name = f"konform-{self.call_id}"
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
        await self.worker.run(
            audit.record,
            self.store,
            "recording_started",
            campaign=self.campaign.name,
            number=self.number,
            attempt=self.attempt_id,
            call=self.call_id,
        )

    async def _wait_for_recording(self) -> None:
        """Let a stopped recording land (and be registered) before anything is erased."""
        if self._recording is None or self._recording_done is None:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._recording_done.wait(), timeout=5)
        if self._recording_path is None:
            self._recording_path = await self.worker.run(self._register_recording)

    def _register_recording(self) -> str | None:
        """On the store's thread: move the file into konform's folder and register it."""
        if self._recording is None:
            return None
        source = Path(self.config.asterisk_recordings_dir) / f"{self._recording}.wav"
        if not source.is_file():
            logger.error("call %s: recording %s not found", self.call_id, source.name)
            return None
        target = recordings.move_into(source, Path(self.config.recordings_dir))
        recordings.register(self.store, self.attempt_id, target)
        return str(target)

    # --- the end -----------------------------------------------------------------------------
    async def _finish(self, finished: Finished) -> None:
        if self._recording is not None:
            await self._wait_for_recording()
        detail: dict[str, Any] = {**finished.detail, "amd_media": self._tap.stats}
        await self.commits.run(
            lambda: attempts.finish(self.store, self.attempt_id, finished.outcome, **detail)
        )
        self.result = CallResult(
            number=self.number,
            outcome=finished.outcome,
            attempt_id=self.attempt_id,
            recording=self._recording_path,
            recording_consent=self.flow.recording_consent,
            opted_out=self.flow.opted_out,
            detail=detail,
        )

    async def _cleanup(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()
        await self._cancel_agent_request()
        if self._tap.running:
            await self._stop_amd()
        for path, up in (
            (f"/channels/{self.agent_channel}", self._agent_up),
            (f"/bridges/{self.talk_bridge}", self._talk_bridge_up),
            (f"/channels/{self.call_id}", self._callee_up),
        ):
            if up:
                await self._quiet(self.ari.delete(path))
        self._release_agent()

    @staticmethod
    async def _quiet(request: Any) -> None:
        """Run an ARI request whose 404 (already gone) is expected and harmless."""
        try:
            await request
        except AriError as exc:
            if exc.status not in (404, 409, 422):
                logger.warning("%s", exc)
