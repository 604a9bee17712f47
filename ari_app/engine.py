"""The campaign engine's shell: paces calls to agents over a working day.

Around the sans-IO cores of :mod:`konform.engine` (scheduler, agent pool, pacer) it does the I/O:
a loop ticks every second and on every call event; it reads the running campaigns (pacing,
pause) and the operators' agent states from the store, the agents' phones from ARI (PJSIP
device state), loads the campaigns' pending contacts into the scheduler, asks the pacer how
many lines to dial, claims each picked contact in the store (owner and lease, renewed while the
call lives) and places the call through the dialer's gate (:meth:`Dialer.call_isolated`). It is
the calls' :class:`~ari_app.agents.AgentSource` (the agent reserved for a call, or the next free
one once a person answered) and their :class:`~ari_app.call.CallObserver` (the moments the
pacer measures). A campaign with a team (``konform campaign set --agents``) has its people
bridged only to its team's agents: a free agent takes the longest-waiting person it may take.

No dialling while no agent is ready. Progressive pacing at a ratio <= 1 reserves an agent before
it dials, so no answered person can lack one; otherwise the call's flow asks for an agent
``[dialer] agent_lead`` s before its question ends (the agent's ring), and the agent is reserved
then: it does not idle through the question. :meth:`Engine.stop` (SIGTERM/SIGINT) stops new
calls at once and lets live calls finish within ``[dialer] drain_timeout``, then hangs up what is
left (each outcome still written). A one-line status goes to the log every ``status_every`` s.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections import Counter
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ari_app.ari import AriError
from ari_app.call import CallResult
from ari_app.dialer import CallHooks, Dialer, new_call_id
from ari_app.prompt_length import FALLBACK_S, Question, question_length
from konform.engine import stats
from konform.engine.agents import Agent, AgentPool, AgentState
from konform.engine.hours import Callee, local_zone, next_allowed, parse_clock
from konform.engine.pacing import PERSON, RINGING, CampaignPacing, Pacer, PacingConfig
from konform.engine.scheduler import CampaignSpec, Claim, Contact, Scheduler
from konform.numbers import national_digits
from konform.policy import DEFAULT_RETRY_AFTER, Campaign
from konform.store import agent_states, call_commands, engine_store
from konform.store.calls import Attempt
from konform.store.engine_store import CampaignRun, ContactRow

__all__ = ["Engine", "EngineOptions"]

logger = logging.getLogger(__name__)

LEASE_S = 60.0  # a claim's lease in the store; renewed every third of it while the call lives
NO_ANSWER_REST_S = 30.0  # an agent whose phone rang out is given no call for this long
TEMPORARY_RETRY_S = 300.0  # the gate refused for now although the scheduler thought it due
DEVICE_POLL_S = 5.0
STORE_POLL_S = 2.0
COMMANDS_POLL_S = 1.0  # console commands for live calls (konform.store.call_commands)

_OPERATOR = {"ready": AgentState.READY, "paused": AgentState.PAUSED}


@dataclass(frozen=True)
class EngineOptions:
    """``until_done``: stop once nothing is due or in flight; ``once``: also forget every
    contact after its call (one pass over what is due now)."""

    until_done: bool = False
    once: bool = False
    reload_every: float = 60.0
    status_every: float = 10.0


@dataclass
class _Live:
    claim: Claim
    run: CampaignRun
    task: asyncio.Task[None] | None = None
    attempt: int = 0


@dataclass
class _Summary:
    outcomes: Counter[str] = field(default_factory=Counter)
    abandoned: int = 0


class Engine:
    """Paced calls for ``campaigns`` over ``dialer`` until stopped (or done, per the options)."""

    technology = "PJSIP"

    def __init__(
        self,
        dialer: Dialer,
        campaigns: list[str],
        options: EngineOptions | None = None,
        *,
        status: Callable[[str], None] | None = None,
    ) -> None:
        self.dialer = dialer
        self.names = list(campaigns)
        self.options = options or EngineOptions()
        self.status_out = status or (lambda line: logger.info("%s", line))
        cfg = dialer.config.dialer
        self.cfg = cfg
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.pool = AgentPool(wrap_up=float(cfg.wrap_up))
        self._questions: dict[str, Question] = {}  # callback digits -> the question's length
        self.pacer = Pacer(self._pacing([]), self.pool)
        self.policies: dict[str, Campaign] = {}
        self.scheduler = Scheduler(next_allowed=next_allowed(self.policies))
        self.runs: dict[str, CampaignRun] = {}
        self.live: dict[str, _Live] = {}
        self.waiters: dict[str, asyncio.Future[str]] = {}
        self.summary: dict[str, _Summary] = {name: _Summary() for name in self.names}
        self.wake = asyncio.Event()
        self.stopping = False
        self._drain_until = 0.0
        self._hung_up = False
        self._devices: dict[str, bool] = {}
        self._operators: dict[str, str] = {}
        self._rest: dict[str, float] = {}  # agent -> monotonic end of its rest after no answer
        self._logged: dict[str, tuple[str, float]] = {}
        self._writes: set[asyncio.Task[Any]] = set()
        self._due: dict[str, float] = {}  # periodic jobs: name -> next monotonic instant
        self._late: set[str] = set()  # calls whose flow asks for its agent late (agent_lead)
        self._teams: dict[str, frozenset[str]] = {}  # campaign -> its team (paused ones too)

    # --- clocks ----------------------------------------------------------------------------
    def now(self) -> float:
        """The engine's time: the dialer's clock (the policy's, simulated in demos)."""
        return self.dialer.clock().timestamp()

    @staticmethod
    def wall() -> datetime:
        """Real time, for leases."""
        return datetime.now(UTC)

    # --- the loop ----------------------------------------------------------------------------
    async def run(self) -> dict[str, _Summary]:
        """Run until stopped (or done); every live call has finished when this returns."""
        worker, store = self.dialer.worker, self.dialer.store
        await self._reconcile()
        await self._read_store()
        await self._restore_pacing()
        await self._load_contacts()
        await self._poll_devices()
        try:
            while not await self._turn():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.wake.wait(), 1.0)
                self.wake.clear()
                await self._periodic()
        finally:
            for task in list(self._writes):
                with contextlib.suppress(Exception):
                    await task
            await worker.run(engine_store.close_agent_log, store, self.dialer.clock())
        return self.summary

    def stop(self) -> None:
        """No new calls from now on; live calls finish within the drain timeout. A second stop
        hangs up the live calls at once."""
        if self.stopping:
            self._drain_until = 0.0
        else:
            self.stopping = True
            self._drain_until = time.monotonic() + self.cfg.drain_timeout
            logger.warning(
                "stopping: no new calls; %d live calls may finish within %d s",
                len(self.live),
                self.cfg.drain_timeout,
            )
        self.wake.set()

    async def _turn(self) -> bool:
        """One tick; True when the loop is over."""
        now = self.now()
        self.pool.tick(now)
        self._sync_agents(now)
        self._assign_waiters(now)
        if not self.stopping:
            try:
                self._dial(now)
            except Exception as exc:  # logged each tick; live calls go on
                logger.error("engine: dialling failed: %s: %s", type(exc).__name__, exc)
        self._log_agents()
        if self.stopping:
            return await self._drained()
        if self.options.until_done or self.options.once:
            return not self.live and not self._due_now(now)
        return False

    async def _drained(self) -> bool:
        if not self.live:
            return True
        if time.monotonic() < self._drain_until:
            return False
        if not self._hung_up:
            self._hung_up = True
            self._drain_until = time.monotonic() + 10
            logger.warning("drain timeout: hanging up %d live calls", len(self.live))
            await self.dialer.hang_up_all()
            return False
        tasks = [live.task for live in self.live.values() if live.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        return True

    def _due_now(self, now: float) -> bool:
        """A contact is due now (ready, or waiting for an instant that has passed)."""
        if self.scheduler.counts()["ready"]:
            return True
        wakeup = self.scheduler.next_wakeup()
        return wakeup is not None and wakeup <= now

    async def _periodic(self) -> None:
        mono = time.monotonic()
        jobs: tuple[tuple[str, float, Callable[[], Coroutine[Any, Any, None]]], ...] = (
            ("store", STORE_POLL_S, self._read_store),
            ("commands", COMMANDS_POLL_S, self._take_commands),
            ("devices", DEVICE_POLL_S, self._poll_devices),
            ("renew", LEASE_S / 3, self._renew),
            ("reconcile", LEASE_S, self._reconcile),
            ("status", self.options.status_every, self._status),
            ("reload", self.options.reload_every, self._reload),
        )
        for name, every, job in jobs:
            due = self._due.setdefault(name, mono + every)
            if mono >= due:
                self._due[name] = mono + every
                try:
                    await job()
                except Exception as exc:  # one failed poll never stops the engine
                    logger.error("engine %s failed: %s: %s", name, type(exc).__name__, exc)

    async def _reconcile(self) -> None:
        """Claims of engines that stopped (their lease expired): resolved and dropped."""
        dialer = self.dialer
        reconciled = await dialer.worker.run(engine_store.reconcile, dialer.store, self.wall())
        if reconciled:
            logger.warning("reconciled %d claims whose lease had expired", reconciled)

    async def _take_commands(self) -> None:
        """The console's open commands for the live calls, taken (audited) and handed to each
        call; those of calls that are over are taken without effect."""
        calls = {live.attempt: call for call, live in self.live.items() if live.attempt}
        dialer = self.dialer
        taken = await dialer.worker.run(call_commands.take_open, dialer.store, list(calls))
        for command in taken:
            call = dialer.calls.get(calls[command.attempt_id])
            if call is not None:
                call.console(command.command)

    async def _reload(self) -> None:
        if not self.options.once:
            await self._load_contacts()

    # --- campaigns and contacts ------------------------------------------------------------
    async def _read_store(self) -> None:
        worker, store = self.dialer.worker, self.dialer.store
        runs = await worker.run(engine_store.running, store, self.names)
        self._operators = await worker.run(agent_states.all, store)
        for run in runs:
            old = self.runs.get(run.campaign.name)
            if old is not None and old.settings.paused != run.settings.paused:
                logger.warning(
                    "campaign %s %s",
                    run.campaign.name,
                    "paused" if run.settings.paused else "resumed",
                )
            self.runs[run.campaign.name] = run
            self.policies[run.campaign.name] = run.campaign
            self._set_team(run.campaign.name, frozenset(run.settings.agents))
            self.scheduler.campaign(
                CampaignSpec(
                    run.campaign.name, weight=run.settings.weight, paused=run.settings.paused
                )
            )
        pacing = self._pacing(runs)
        if pacing != self.pacer.config:
            self.pacer.config = pacing
        self.pacer.campaigns = {
            run.campaign.name: CampaignPacing(
                mode="predictive" if run.settings.pacing == "predictive" else "progressive",
                ratio=run.settings.ratio,
                abandon_target=run.settings.abandon_target,
                weight=run.settings.weight,
                team=self._teams.get(run.campaign.name, frozenset()),
            )
            for run in self.runs.values()
            if not run.settings.paused
        }

    def _set_team(self, campaign: str, team: frozenset[str]) -> None:
        """The campaign's team as stored; a change is logged, with agents the team names that
        are not among ``[dialer] agents`` (they never take a call)."""
        if self._teams.get(campaign, frozenset()) == team:
            self._teams.setdefault(campaign, team)
            return
        self._teams[campaign] = team
        unknown = sorted(team - set(self.cfg.agent_list))
        logger.info("campaign %s: agents %s", campaign, ",".join(sorted(team)) or "all")
        if unknown:
            logger.warning(
                "campaign %s: team agents %s are not in [dialer] agents",
                campaign,
                ",".join(unknown),
            )

    def _team(self, campaign: str | None) -> frozenset[str] | None:
        """The agents who may take ``campaign``'s people; None: every agent."""
        return self._teams.get(campaign or "") or None

    def _team_of(self, call: str) -> frozenset[str] | None:
        live = self.live.get(call)
        return self._team(live.claim.campaign if live is not None else None)

    async def _restore_pacing(self) -> None:
        """The last 24 hours' calls into the pacer: a restart keeps the abandons it counts
        against the rolling limit, and the measurements that let predictive pacing start."""
        ids = {run.id: name for name, run in self.runs.items()}
        since = self.dialer.clock() - timedelta(seconds=stats.DAY)
        history = await self.dialer.worker.run(
            engine_store.pacing_history, self.dialer.store, list(ids), since
        )
        self.pacer.restore(
            ((at.timestamp(), ids[campaign], kind) for at, campaign, kind in history.events),
            history.talks,
            history.to_person,
            history.to_other,
        )
        humans = sum(1 for _, _, kind in history.events if kind == stats.HUMAN)
        lost = sum(1 for _, _, kind in history.events if kind == stats.ABANDONED)
        logger.info(
            "pacing restored from the last 24 h: %d people answered, %d abandoned, %d talks",
            humans,
            lost,
            len(history.talks),
        )

    def _pacing(self, runs: list[CampaignRun]) -> PacingConfig:
        """The pacer's settings for the agents all campaigns share (the question, the agents'
        ring, the trunk's lines). Each campaign's own mode, ratio, abandon target and weight
        go to :attr:`Pacer.campaigns` (:meth:`Pacer.plan`); the mode, ratio and target here
        (predictive only when every campaign is, the smallest ratio and target) serve only
        :meth:`Pacer.lines_to_dial`, which the engine does not use."""
        cfg = self.dialer.config.dialer
        active = [r for r in runs if not r.settings.paused] or runs
        predictive = bool(active) and all(r.settings.pacing == "predictive" for r in active)
        return PacingConfig(
            mode="predictive" if predictive else "progressive",
            ratio=min((r.settings.ratio for r in active), default=1.0),
            abandon_target=min((r.settings.abandon_target for r in active), default=0.03),
            hold=self._question_s(active) + cfg.consent_wait + cfg.agent_hold,
            agent_lead=float(cfg.agent_lead),
            grace=float(cfg.agent_hold),
            max_lines=cfg.max_concurrent,
        )

    def _question_s(self, runs: list[CampaignRun]) -> float:
        """The identification + callback number + consent question, measured from the prompt
        files (:mod:`ari_app.prompt_length`); the shortest among the campaigns (the callback
        number differs), since an early deadline is the safe side. Logged once per number."""
        if not runs:
            return FALLBACK_S  # before the store is read; replaced at the first read
        digits = {national_digits(r.campaign.caller_id) for r in runs}
        seconds = []
        for number in sorted(digits):
            question = self._questions.get(number)
            if question is None:
                question = question_length(self.dialer.config.language, number)
                self._questions[number] = question
                log = logger.info if question.measured else logger.warning
                log("pacing: %s", question.detail)
            seconds.append(question.seconds)
        return min(seconds)

    async def _load_contacts(self) -> None:
        """Add the campaigns' pending contacts the scheduler does not know yet."""
        worker, store = self.dialer.worker, self.dialer.store
        now = self.now()
        for run in list(self.runs.values()):
            rows = await worker.run(engine_store.contacts_of, store, run.id)
            for row in rows:
                key = f"{run.id}:{row.row}"
                if self.scheduler.where(key) is None:
                    self.scheduler.add(self._contact(key, run, row), now)

    @staticmethod
    def _contact(key: str, run: CampaignRun, row: ContactRow) -> Contact:
        campaign = run.campaign
        not_before = 0.0
        if row.last_at is not None and row.last_outcome is not None:
            spacing = _spacing(campaign, row.last_outcome)
            not_before = (row.last_at + spacing).timestamp()
        return Contact(
            key=key,
            campaign=campaign.name,
            level=row.priority,
            not_before=not_before,
            abandoned_at=row.abandoned_at.timestamp() if row.abandoned_at else None,
            call_after=parse_clock(row.call_after),
            call_before=parse_clock(row.call_before),
            zone=local_zone(row.number, row.region),
            data=Callee(run.id, row.number, row.region, row.attempts),
        )

    # --- agents -------------------------------------------------------------------------------
    async def _poll_devices(self) -> None:
        """The agents' phones as Asterisk sees them (PJSIP endpoint state)."""
        try:
            endpoints = await self.dialer.ari.get(f"/endpoints/{self.technology}") or []
        except AriError as exc:
            logger.warning("agents' device states unknown: %s", exc)
            return
        online = {e.get("resource") for e in endpoints if e.get("state") == "online"}
        self._devices = {name: name in online for name in self.cfg.agent_list}

    def _wanted(self, name: str) -> AgentState:
        if self._rest.get(name, 0.0) > time.monotonic() or not self._devices.get(name, False):
            return AgentState.LOGGED_OUT
        return _OPERATOR.get(self._operators.get(name, "ready"), AgentState.LOGGED_OUT)

    def _sync_agents(self, now: float) -> None:
        """Device and operator states onto the pool; an agent in a call, in wrap-up or
        reserved for a call keeps it (a pause takes effect after the call)."""
        for name in self.cfg.agent_list:
            agent = self._agent(name)
            if agent is not None and (
                agent.call is not None or agent.state in (AgentState.IN_CALL, AgentState.WRAP_UP)
            ):
                continue
            self.pool.set_state(name, self._wanted(name), now)

    def _agent(self, name: str) -> Agent | None:
        try:
            return self.pool.agent(name)
        except KeyError:
            return None

    def _assign_waiters(self, now: float) -> None:
        """Free agents to the people waiting for one, first come first served among the people
        each agent may take (its campaigns' teams)."""
        for call, future in list(self.waiters.items()):
            if future.done():
                del self.waiters[call]
                continue
            if not self.pool.free_count():
                return
            agent = self.pool.reserve(call, now, self._team_of(call), self.pacer.spread)
            if agent is None:
                continue  # nobody of the person's team is free: the next person's may be
            del self.waiters[call]
            future.set_result(agent)

    def _log_agents(self) -> None:
        """Each agent's state changes into the store's agent log (the report's occupancy)."""
        changes = []
        for agent in self.pool:
            state = agent.state.value
            if self._logged.get(agent.name, ("", 0.0))[0] != state:
                self._logged[agent.name] = (state, agent.since)
                changes.append((agent.name, state, datetime.fromtimestamp(agent.since, UTC)))
        if changes:
            self._write(engine_store.log_agents, changes)

    # The calls' AgentSource.
    async def acquire(self, call: str) -> str | None:
        """The agent reserved for ``call``, else the next one free of its campaign's team
        (waits for it)."""
        if call in self._late:
            self._late.discard(call)  # the first request measures the question, not a re-ring
            self.pacer.agent_requested(self.now(), call)
        agent = self.pool.reserved_for(call) or self.pool.reserve(
            call, self.now(), self._team_of(call), self.pacer.spread
        )
        if agent is not None:
            return agent
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.waiters[call] = future
        self.wake.set()
        try:
            return await future
        except asyncio.CancelledError:
            self.waiters.pop(call, None)
            if future.done() and not future.cancelled():
                self.pool.release(call)
            raise

    def release(self, agent: str, call: str) -> None:
        if self.pool.reserved_for(call) != agent:
            return
        if self.pool.agent(agent).state is AgentState.IN_CALL:
            self.talk_ended(call)
        else:
            self.pool.release(call)
        self.wake.set()

    def rang_out(self, agent: str) -> None:
        logger.warning("agent %s did not answer; no call for %d s", agent, NO_ANSWER_REST_S)
        self._rest[agent] = time.monotonic() + NO_ANSWER_REST_S
        self.pool.set_state(agent, AgentState.LOGGED_OUT, self.now())

    # The calls' CallObserver.
    def answered(self, call: str) -> None:
        pass  # the pacer counts the AMD decision, not the answer

    def human(self, call: str) -> None:
        now = self.now()
        if call in self.pacer.lines:
            self.pacer.answered_human(now, call)
        self.wake.set()

    def bridged(self, call: str, agent: str) -> None:
        now = self.now()
        if self.pool.reserved_for(call) == agent:
            self.pool.bridge(call, now)
        if call in self.pacer.lines:
            self.pacer.bridged(now, call)

    def talk_ended(self, call: str) -> None:
        now = self.now()
        self.pool.hangup(call, now)
        self.pacer.talk_ended(now, call)
        self.wake.set()

    def abandoned(self, call: str) -> None:
        if call in self.pacer.lines:
            self.pacer.abandoned(self.now(), call)
        self.pool.release(call)
        live = self.live.get(call)
        if live is not None:
            self.summary[live.claim.campaign].abandoned += 1
        self.wake.set()

    # --- dialling -----------------------------------------------------------------------------
    def _dial(self, now: float) -> None:
        """As many new calls per campaign as the pacer gives it (each campaign paced by its
        own settings), each for that campaign's next contact due. A campaign paced
        progressively at a ratio <= 1 reserves an agent before it dials."""
        due = self._due_campaigns(now)
        for campaign, lines in self.pacer.plan(now, due).items():
            reserve = self.pacer.reserves_at_dial(now, campaign)
            for _ in range(lines):
                if not self._dial_one(now, campaign, reserve=reserve):
                    break

    def _due_campaigns(self, now: float) -> set[str]:
        """Campaigns with a contact due now; with an agent reserved at dial also those whose
        only due contacts wait out the 72-hour rule (the reserved agent lifts it)."""
        due = self.scheduler.ready_campaigns(now)
        reserving = {
            c for c in self.pacer.campaigns if c not in due and self.pacer.reserves_at_dial(now, c)
        }
        if reserving:
            due |= self.scheduler.held_campaigns(now) & reserving
        return due

    def _dial_one(self, now: float, campaign: str, *, reserve: bool) -> bool:
        call = new_call_id()
        if (
            reserve
            and self.pool.reserve(call, now, self._team(campaign), self.pacer.spread) is None
        ):
            return False
        claim = self.scheduler.pick(
            now, self.owner, 86400.0, reserved_agent=reserve, campaign=campaign
        )
        if claim is None:
            self.pool.release(call)
            return False
        self.pacer.dialled(now, call, claim.campaign)
        live = _Live(claim, self.runs[claim.campaign])
        self.live[call] = live
        live.task = asyncio.create_task(self._call(call, live))
        return True

    async def _call(self, call: str, live: _Live) -> None:
        callee = live.claim.contact.data
        assert isinstance(callee, Callee)
        worker, store = self.dialer.worker, self.dialer.store
        result: CallResult | None = None
        claimed = False
        try:
            claimed = await worker.run(
                engine_store.claim,
                store,
                callee.campaign_id,
                callee.number,
                self.owner,
                self.wall() + timedelta(seconds=LEASE_S),
                self.wall(),
            )
            if claimed and not self.stopping:
                hooks = CallHooks(
                    call,
                    self,
                    self,
                    lambda a: self._admitted(live, a),
                    agent_lead=self._agent_lead(call),
                )
                result = await self.dialer.call_isolated(live.run.campaign, callee.number, hooks)
        except Exception as exc:
            logger.error("call %s: %s", call, type(exc).__name__)
        finally:
            self._done(call, live, result, claimed)

    def _agent_lead(self, call: str) -> float | None:
        """When the call's flow rings its agent: at once if an agent was reserved at dial time
        (it is held for the call anyway: the safest moment), else ``[dialer] agent_lead`` s
        before the question ends, so that the agent is not held idle through the question."""
        if self.pool.reserved_for(call) is not None:
            return None
        self._late.add(call)
        return float(self.cfg.agent_lead)

    def _admitted(self, live: _Live, attempt: Attempt) -> None:
        live.attempt = attempt.attempt_id
        callee = live.claim.contact.data
        assert isinstance(callee, Callee)
        self._write(
            engine_store.claim_attempt,
            callee.campaign_id,
            callee.number,
            self.owner,
            attempt.attempt_id,
        )

    def _done(self, call: str, live: _Live, result: CallResult | None, claimed: bool) -> None:
        """The call is over: the pacer, the agent, the scheduler and the claim hear it."""
        now = self.now()
        self.live.pop(call, None)
        self._late.discard(call)
        outcome = result.outcome if result is not None else "error"
        abandoned = bool(result and result.detail.get("abandoned"))
        line = self.pacer.lines.get(call)
        if line is not None:
            if line.state == RINGING and outcome == "machine":
                self.pacer.answered_machine(now, call)
            elif line.state == RINGING and outcome in ("no_answer", "busy", "failed"):
                self.pacer.no_answer(now, call)
            else:
                self.pacer.cancelled(call)  # refused, an error, or a person who hung up early
        agent = self.pool.reserved_for(call)
        if agent is not None:
            if self.pool.agent(agent).state is AgentState.IN_CALL:
                self.talk_ended(call)
            else:
                self.pool.release(call)
        future = self.waiters.pop(call, None)
        if future is not None and not future.done():
            future.cancel()
        self._reschedule(live, outcome, result, abandoned, now)
        if claimed:
            callee = live.claim.contact.data
            assert isinstance(callee, Callee)
            self._write(engine_store.release, callee.campaign_id, callee.number, self.owner)
        self.summary[live.claim.campaign].outcomes[outcome] += 1
        self.wake.set()

    def _reschedule(
        self, live: _Live, outcome: str, result: CallResult | None, abandoned: bool, now: float
    ) -> None:
        claim = live.claim
        callee = claim.contact.data
        assert isinstance(callee, Callee)
        campaign = live.run.campaign
        retry_in: float | None
        if result is None or outcome == "error":
            retry_in = TEMPORARY_RETRY_S
        elif outcome == "blocked":
            retry_in = TEMPORARY_RETRY_S if result.detail.get("temporary") else None
        elif outcome == "human" and not abandoned:
            retry_in = None  # reached: done for the campaign
        else:
            callee.attempts += 1
            spacing = _spacing(campaign, outcome).total_seconds()
            retry_in = spacing if callee.attempts < campaign.max_attempts else None
        retry = retry_in is not None and not self.options.once
        self.scheduler.finish(claim.key, now, retry=retry, retry_in=retry_in, abandoned=abandoned)

    # --- store writes and status ----------------------------------------------------------
    def _write(self, fn: Callable[..., Any], *args: Any) -> None:
        """A store write the engine need not wait for (its failure is logged)."""
        task = asyncio.create_task(self.dialer.worker.run(fn, self.dialer.store, *args))
        self._writes.add(task)
        task.add_done_callback(self._written)

    def _written(self, task: asyncio.Task[Any]) -> None:
        self._writes.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("engine write failed: %s", task.exception())

    async def _renew(self) -> None:
        if self.live:
            until = self.wall() + timedelta(seconds=LEASE_S)
            await self.dialer.worker.run(engine_store.renew, self.dialer.store, self.owner, until)

    async def _status(self) -> None:
        self.status_out(self.status_line())

    def status_line(self) -> str:
        """Lines in flight, people waiting for an agent, agents by state, abandon rate over the
        last hour and pacing mode in force per campaign, and the lowest headroom of the
        predictive campaigns (0: risk-free lines only). "engine predictive" when any campaign
        is paced predictively now."""
        now = self.now()
        by_state = Counter(a.state for a in self.pool)
        reserved = sum(1 for a in self.pool if a.state is AgentState.READY and a.call is not None)
        waiting = sum(
            1
            for call, line in self.pacer.lines.items()
            if line.state == PERSON and self.pool.reserved_for(call) is None
        )
        rates = []
        modes = {name: self.pacer.campaign_mode(now, name) for name in self.pacer.campaigns}
        for name in self.names:
            s = self.pacer.stats.get(name)
            humans = s.hour.count(stats.HUMAN, now) if s else 0
            lost = s.hour.count(stats.ABANDONED, now) if s else 0
            rate = lost / humans if humans else 0.0
            rates.append(f"{name} {rate:.1%} ({lost}/{humans}) {modes.get(name, 'paused')}")
        predictive = [name for name, mode in modes.items() if mode == "predictive"]
        mode = "predictive" if predictive else "progressive"
        # The predictive campaigns' smallest headroom (each campaign's own abandons).
        low = min((self.pacer.campaign_headroom(now, name) for name in predictive), default=1.0)
        guard = f"; headroom {low:.2f}" if predictive else ""
        return (
            f"engine {mode}{' draining' if self.stopping else ''}: lines {self.pacer.in_flight()},"
            f" waiting {waiting}; agents free {self.pool.free_count()}, reserved {reserved},"
            f" busy {by_state[AgentState.IN_CALL]}, wrap-up {by_state[AgentState.WRAP_UP]},"
            f" paused {by_state[AgentState.PAUSED]}, off {by_state[AgentState.LOGGED_OUT]};"
            f" abandoned last hour: {', '.join(rates)}{guard}"
        )


def _spacing(campaign: Campaign, outcome: str) -> timedelta:
    """The campaign's retry spacing after ``outcome`` (the gate's rule, konform.policy)."""
    return campaign.retry_after.get(outcome, DEFAULT_RETRY_AFTER.get(outcome, timedelta(0)))
