"""One outbound call as a state machine, sans-IO.

The shell (:mod:`ari_app.call`) turns ARI events into the events below, feeds them to
:meth:`CallFlow.handle`, and carries out the commands it returns, in order. The rules that
make a call compliant live here and only here:

- the callee hears nothing from us while the answering machine detector listens;
- a machine is hung up on at once: nothing is ever played into a mailbox;
- after a "human" the AMD guard goes on listening to the callee until an agent is bridged
  (the shell stops it then); its :class:`GuardSaysMachine` stops our prompt at once, hangs up,
  and the outcome is ``machine`` with the stage that caught it (``detail["amd"]["stage"]``);
- a person first hears who calls and the callback number, then the recording question;
- recording starts only after a "1" for *this* call has been persisted (the shell answers
  :class:`PersistConsent` with :class:`ConsentPersisted` once the audit row is committed);
- an agent is requested as soon as AMD says "human", so that it is connected while the
  identification and the recording question play - or, with ``agent_lead_s`` set (the campaign
  engine's predictive pacing), that long before the consent wait ends, so that the agent does
  not idle through the question; the person is bridged when the question is over (answered,
  declined or timed out) if the agent is there;
- no agent bridged within ``agent_hold_s`` (default 2 s) after the question: the call is
  *abandoned* (Ofcom persistent-misuse policy: an information message within 2 s), the agent
  request is cancelled, and the person hears the company and callback number again, then the
  opt-out menu: never a silent call;
- after the agent hangs up, a campaign that asks for ratings (``FlowSettings.csat``) asks the
  callee to rate the call with one key 1-5 (:class:`SaveCsat`); any other key or
  ``csat_wait_s`` of silence skips it; then, and in every other campaign at once, comes the
  opt-out menu; "9" is committed (:class:`OptOut` → :class:`OptOutCommitted`) before the
  confirmation plays; a commit that has not landed (:class:`OptOutPending`) gets a goodbye,
  never a false confirmation;
- a console command (:class:`ConsoleCommand`) moves a person into the opt-out menu
  (``optout_menu``; while talking, the agent's leg is hung up first) or ends the call with a
  goodbye (``hangup``); it is ignored while nobody is known to be a person (ringing, AMD
  listening), while the person must hear who calls (the identification, and the information
  message of an abandoned call), while a consent or opt-out is being committed, and once the
  call is leaving;
- ``mailbox`` (the agent hears a mailbox the detector took for a person) ends the call at once
  from anywhere after the bridge, with nothing more played: no opt-out menu, rating question or
  goodbye goes into the mailbox; the outcome is ``machine`` with the stage ``agent``.

How far the call got (:attr:`CallFlow.reached`) is for the shell to write to the attempt as it
changes, so that a restart after a crash knows whether a person may have been reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from konform.outcomes import CallOutcome, CallState

__all__ = [
    "AgentAnswered",
    "AgentGone",
    "AmdDecided",
    "Answered",
    "Bridge",
    "CallFlow",
    "CalleeGone",
    "CancelAgentRequest",
    "Command",
    "ConsentPersisted",
    "ConsoleCommand",
    "Dtmf",
    "Event",
    "Finished",
    "FlowSettings",
    "GuardSaysMachine",
    "Hangup",
    "HangupAgent",
    "LeaveBridge",
    "MarkAbandoned",
    "OptOut",
    "OptOutCommitted",
    "OptOutPending",
    "PersistConsent",
    "Play",
    "PlaybackFinished",
    "RequestAgent",
    "SaveCsat",
    "StartAmd",
    "StartRecording",
    "StartTimer",
    "StopAmd",
    "StopPlayback",
    "StopRecording",
    "TimerFired",
    "outcome_for_cause",
]  # fmt: skip


# --- events in -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Answered:
    pass


@dataclass(frozen=True)
class AmdDecided:
    label: Literal["human", "machine"]
    at_ms: int
    reason: str


@dataclass(frozen=True)
class GuardSaysMachine:
    """The AMD guard heard a machine after the first stage's "human" (konform.amd.guard)."""

    at_ms: int
    reason: str


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class PlaybackFinished:
    token: int


@dataclass(frozen=True)
class TimerFired:
    name: str


@dataclass(frozen=True)
class AgentAnswered:
    agent: str


@dataclass(frozen=True)
class AgentGone:
    """The agent's channel ended: while talking (the agent hung up) or before the bridge."""


@dataclass(frozen=True)
class ConsentPersisted:
    pass


@dataclass(frozen=True)
class OptOutCommitted:
    pass


@dataclass(frozen=True)
class OptOutPending:
    """The opt-out is blocked in memory but its commit has not landed yet (it is retried): the
    caller must not hear a confirmation that is not true yet."""


@dataclass(frozen=True)
class CalleeGone:
    cause: int = 16


@dataclass(frozen=True)
class ConsoleCommand:
    """An operator's request from the console for this live call (taken by the engine from
    :mod:`konform.store.call_commands`): ``optout_menu``, ``hangup`` or ``mailbox``."""

    command: Literal["optout_menu", "hangup", "mailbox"]


Event = (
    Answered
    | AmdDecided
    | GuardSaysMachine
    | Dtmf
    | PlaybackFinished
    | TimerFired
    | AgentAnswered
    | AgentGone
    | ConsentPersisted
    | OptOutCommitted
    | OptOutPending
    | CalleeGone
    | ConsoleCommand
)


# --- commands out ----------------------------------------------------------------------------
@dataclass(frozen=True)
class StartAmd:
    pass


@dataclass(frozen=True)
class StopAmd:
    pass


@dataclass(frozen=True)
class Play:
    token: int
    media: tuple[str, ...]


@dataclass(frozen=True)
class StopPlayback:
    pass


@dataclass(frozen=True)
class StartTimer:
    name: str
    seconds: float


@dataclass(frozen=True)
class PersistConsent:
    pass


@dataclass(frozen=True)
class RequestAgent:
    pass


@dataclass(frozen=True)
class CancelAgentRequest:
    pass


@dataclass(frozen=True)
class Bridge:
    agent: str


@dataclass(frozen=True)
class StartRecording:
    pass


@dataclass(frozen=True)
class StopRecording:
    pass


@dataclass(frozen=True)
class LeaveBridge:
    """Take the callee out of the agent bridge (the agent is gone)."""


@dataclass(frozen=True)
class HangupAgent:
    pass


@dataclass(frozen=True)
class MarkAbandoned:
    """No agent in time after the question: the shell records the attempt as abandoned."""


@dataclass(frozen=True)
class OptOut:
    pass


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class SaveCsat:
    """The callee rated the call (1-5): the shell stores it on the attempt."""

    rating: int


@dataclass(frozen=True)
class Finished:
    outcome: CallOutcome
    detail: dict[str, object] = field(default_factory=dict)


Command = (
    StartAmd
    | StopAmd
    | Play
    | StopPlayback
    | StartTimer
    | PersistConsent
    | RequestAgent
    | CancelAgentRequest
    | Bridge
    | StartRecording
    | StopRecording
    | LeaveBridge
    | HangupAgent
    | MarkAbandoned
    | OptOut
    | Hangup
    | SaveCsat
    | Finished
)

State = Literal[
    "dialing", "detecting", "identifying", "asking_consent", "awaiting_consent",
    "saving_consent", "connecting", "no_agent", "talking", "csat_asking", "csat_waiting",
    "optout_menu", "optout_waiting", "opting_out", "leaving", "done",
]  # fmt: skip


_BEFORE_BRIDGE = (
    "identifying", "asking_consent", "awaiting_consent", "saving_consent", "connecting",
)  # fmt: skip
"""States in which an agent is requested (rung, or answered and waiting) but not bridged."""

_NO_CONSOLE = (
    "dialing", "detecting", "identifying", "no_agent", "saving_consent", "opting_out", "leaving",
    "done",
)  # fmt: skip
"""States in which a console command means nothing: not known to be a person yet; who calls
and the callback number being said (never cut short); a commit in flight; already leaving."""

_AFTER_BRIDGE = (
    "talking", "csat_asking", "csat_waiting", "optout_menu", "optout_waiting", "leaving",
)  # fmt: skip
"""States in which the agent has heard the callee: ``mailbox`` ends the call from these (not
while an opt-out is being committed: only a person presses 9)."""


@dataclass(frozen=True)
class FlowSettings:
    callback_digits: str
    """The callback number as it is read out, e.g. ``030555000100``."""
    consent_wait_s: float = 5.0
    agent_hold_s: float = 2.0
    """After the question, how long the person may wait for the agent before the call counts as
    abandoned (Ofcom: information message within 2 s)."""
    optout_wait_s: float = 5.0
    amd_deadline_s: float = 6.0
    """Wall-clock guard: no decision by then (no audio arrived) means human."""
    csat: bool = False
    """Ask the callee to rate the call (one key 1-5) after the agent hangs up."""
    csat_wait_s: float = 5.0
    """How long the rating question waits for a key after it has played."""
    agent_lead_s: float | None = None
    """None: the agent is requested when AMD says human. A number: it is requested this long
    before the consent wait ends (the latest end of the question; at once if the wait is
    shorter); a key that ends the question sooner requests it then. The deadline is the same
    either way: ``agent_hold_s`` after the question."""


def outcome_for_cause(cause: int) -> CallOutcome:
    """The outcome of a call that ended before it was answered, by Q.850 cause."""
    if cause == 17:
        return "busy"
    if cause in (18, 19, 0):
        return "no_answer"
    return "failed"


class CallFlow:
    """The state of one call. :meth:`handle` is the only entry point."""

    def __init__(self, settings: FlowSettings) -> None:
        self.settings = settings
        self.state: State = "dialing"
        self.recording_consent = False
        self.opted_out = False
        self.opt_out_pending = False
        self.agent: str | None = None
        self.agent_requested = False
        self.agent_ready: str | None = None
        """An agent who answered and waits for the question to end (not bridged yet)."""
        self.abandoned = False
        self.amd: AmdDecided | None = None
        self.amd_stage = "first"
        """Which AMD stage made the decision in :attr:`amd`: ``first``, ``guard``, or ``agent``
        (the agent heard a mailbox after the bridge)."""
        self.reached: CallState = "ringing"
        self.recording = False
        self.csat: int | None = None
        """The callee's rating of the call, once given."""
        self._token = 0
        self._playing: int | None = None

    @property
    def done(self) -> bool:
        return self.state == "done"

    def outcome_after_error(self) -> Finished:
        """The outcome of a call an internal error of the shell ended. Once the callee
        answered, a person may have been reached: ``human`` (its spacing applies), never a
        retryable ``failed`` (the side of not calling sooner, § 7 (1) UWG); a detected machine
        stays ``machine``."""
        detail: dict[str, object] = {"error": "internal", "state": self.state}
        self.state = "done"
        if self.opt_out_pending:
            detail["opt_out_pending"] = True
        if self.reached == "ringing":
            return Finished("failed", detail)
        if self.amd is not None and self.amd.label == "machine":
            return Finished("machine", detail)
        return Finished("human", detail)

    # --- helpers -----------------------------------------------------------------------------
    def _play(self, *media: str) -> Play:
        self._token += 1
        self._playing = self._token
        return Play(self._token, media)

    def _stop_playback(self) -> list[Command]:
        if self._playing is None:
            return []
        self._playing = None
        return [StopPlayback()]

    def _callback(self) -> str:
        return f"digits:{self.settings.callback_digits}"

    def _finish(self, outcome: CallOutcome, *before: Command) -> list[Command]:
        self.state = "done"
        detail: dict[str, object] = {
            "recording_consent": self.recording_consent,
            "opted_out": self.opted_out,
            "agent": self.agent,
            "abandoned": self.abandoned,
        }
        if self.opt_out_pending:
            detail["opt_out_pending"] = True
        if self.amd is not None:
            detail["amd"] = {
                "label": self.amd.label,
                "at_ms": self.amd.at_ms,
                "reason": self.amd.reason,
                "stage": self.amd_stage,
            }
        return [*before, Finished(outcome, detail)]

    def _question_over(self) -> list[Command]:
        """The consent question is over: bridge the waiting agent, else hold for one."""
        if self.agent_ready is not None:
            return [*self._stop_playback(), *self._bridge(self.agent_ready)]
        self.state = "connecting"
        commands: list[Command] = [self._play("sound:konform/connecting")]
        if not self.agent_requested:
            self.agent_requested = True
            commands.append(RequestAgent())
        return [*commands, StartTimer("agent_hold", self.settings.agent_hold_s)]

    def _bridge(self, agent: str) -> list[Command]:
        self.agent, self.agent_ready = agent, None
        self.state = "talking"
        self.reached = "bridged"
        commands: list[Command] = [Bridge(agent)]
        if self.recording_consent:
            self.recording = True
            commands.append(StartRecording())
        return commands

    def _agent_waiting(self, event: Event) -> list[Command] | None:
        """An agent answering or leaving before the question is over (None: other events)."""
        if isinstance(event, AgentAnswered):
            self.agent_ready = event.agent
            return []
        if isinstance(event, AgentGone):
            self.agent_ready = None  # hung up while waiting: ring another
            return [RequestAgent()]
        if isinstance(event, TimerFired) and event.name == "agent_request":
            return self._request_agent()
        return None

    def _request_agent(self) -> list[Command]:
        if self.agent_requested:
            return []
        self.agent_requested = True
        return [RequestAgent()]

    def _optout_menu(self) -> list[Command]:
        self.state = "optout_menu"
        return [self._play("sound:konform/optout")]

    def _leave(self, prompt: str) -> list[Command]:
        self.state = "leaving"
        return [self._play(prompt)]

    # --- the machine -------------------------------------------------------------------------
    def handle(self, event: Event) -> list[Command]:
        if self.state == "done":
            return []
        if isinstance(event, CalleeGone):
            return self._callee_gone(event)
        if isinstance(event, ConsoleCommand):
            return self._console(event)
        if isinstance(event, GuardSaysMachine):
            return self._guard_says_machine(event)
        if isinstance(event, PlaybackFinished):
            if event.token != self._playing:
                return []  # a playback we stopped or replaced
            self._playing = None
        handler = getattr(self, f"_on_{self.state}")
        result: list[Command] = handler(event)
        return result

    def _callee_gone(self, event: CalleeGone) -> list[Command]:
        if self.state == "dialing":
            return self._finish(outcome_for_cause(event.cause))
        before: list[Command] = []
        if self.state == "detecting":
            before.append(StopAmd())
        if self.recording:
            before.append(StopRecording())
            self.recording = False
        if self.agent is not None and self.state == "talking":
            before.append(HangupAgent())
        elif self.agent_requested and self.state in _BEFORE_BRIDGE:
            before.append(CancelAgentRequest())
        outcome: CallOutcome = "machine" if self.amd and self.amd.label == "machine" else "human"
        return self._finish(outcome, *before)

    def _guard_says_machine(self, event: GuardSaysMachine) -> list[Command]:
        """A machine after all: stop our prompt at once and hang up (a mailbox must record
        none of our audio). Only until an agent is bridged; the guard is stopped then."""
        if self.state not in (*_BEFORE_BRIDGE, "no_agent"):
            return []
        self.amd = AmdDecided("machine", event.at_ms, event.reason)
        self.amd_stage = "guard"
        before: list[Command] = [*self._stop_playback(), Hangup()]
        if self.agent_requested:
            before.append(CancelAgentRequest())
        return self._finish("machine", *before, StopAmd())

    def _on_dialing(self, event: Event) -> list[Command]:
        if isinstance(event, Answered):
            self.state = "detecting"
            self.reached = "answered"
            return [StartAmd(), StartTimer("amd_deadline", self.settings.amd_deadline_s)]
        return []

    def _on_detecting(self, event: Event) -> list[Command]:
        if isinstance(event, TimerFired) and event.name == "amd_deadline":
            event = AmdDecided("human", int(self.settings.amd_deadline_s * 1000), "no_audio")
        if not isinstance(event, AmdDecided):
            return []
        self.amd = event
        if event.label == "machine":
            # Hung up first: at once, and its snoop channel ends with it.
            return self._finish("machine", Hangup(), StopAmd())
        self.state = "identifying"
        self.reached = "human"
        # The agent is rung now (unless a lead is set), so that it is there when the question
        # is over.
        request = self._request_agent() if self.settings.agent_lead_s is None else []
        return [
            StopAmd(),
            *request,
            self._play("sound:konform/identification", self._callback()),
        ]

    def _on_identifying(self, event: Event) -> list[Command]:
        waiting = self._agent_waiting(event)
        if waiting is not None:
            return waiting
        if isinstance(event, PlaybackFinished):
            self.state = "asking_consent"
            return [self._play("sound:konform/consent")]
        return []

    def _consent_answer(self, event: Event) -> list[Command] | None:
        if isinstance(event, Dtmf):
            stop = self._stop_playback()
            if event.digit == "1":
                self.state = "saving_consent"
                return [*stop, PersistConsent()]
            return [*stop, *self._question_over()]
        return self._agent_waiting(event)

    def _on_asking_consent(self, event: Event) -> list[Command]:
        answered = self._consent_answer(event)
        if answered is not None:
            return answered
        if isinstance(event, PlaybackFinished):
            self.state = "awaiting_consent"
            wait = StartTimer("consent_wait", self.settings.consent_wait_s)
            lead = self.settings.agent_lead_s
            if self.agent_requested or lead is None:
                return [wait]
            delay = self.settings.consent_wait_s - lead
            if delay <= 0:
                return [wait, *self._request_agent()]
            return [wait, StartTimer("agent_request", delay)]
        return []

    def _on_awaiting_consent(self, event: Event) -> list[Command]:
        answered = self._consent_answer(event)
        if answered is not None:
            return answered
        if isinstance(event, TimerFired) and event.name == "consent_wait":
            return self._question_over()
        return []

    def _on_saving_consent(self, event: Event) -> list[Command]:
        if isinstance(event, ConsentPersisted):
            self.recording_consent = True
            return self._question_over()
        return self._agent_waiting(event) or []

    def _on_connecting(self, event: Event) -> list[Command]:
        if isinstance(event, AgentAnswered):
            return [*self._stop_playback(), *self._bridge(event.agent)]
        if isinstance(event, AgentGone):
            return [RequestAgent()]
        if isinstance(event, TimerFired) and event.name == "agent_hold":
            # Abandoned: no agent within the hold after the question (Ofcom persistent-misuse
            # policy); the person hears who called and the callback number, then the menu.
            self.state = "no_agent"
            self.abandoned = True
            return [
                CancelAgentRequest(),
                MarkAbandoned(),
                *self._stop_playback(),
                self._play("sound:konform/no-agent", self._callback()),
            ]
        return []

    def _on_no_agent(self, event: Event) -> list[Command]:
        if isinstance(event, PlaybackFinished):
            return self._optout_menu()
        return []

    def _on_talking(self, event: Event) -> list[Command]:
        if isinstance(event, AgentGone):
            commands: list[Command] = []
            if self.recording:
                commands.append(StopRecording())
                self.recording = False
            return [*commands, LeaveBridge(), *self._after_talk()]
        return []

    # --- the rating after the talk (FlowSettings.csat) -----------------------------------------
    def _after_talk(self) -> list[Command]:
        if not self.settings.csat:
            return self._optout_menu()
        self.state = "csat_asking"
        return [self._play("sound:konform/csat")]

    def _rated(self, digit: str) -> list[Command]:
        """A key during the rating question: 1-5 is the rating, any other skips it."""
        commands = self._stop_playback()
        if digit in ("1", "2", "3", "4", "5"):
            self.csat = int(digit)
            commands.append(SaveCsat(self.csat))
        return [*commands, *self._optout_menu()]

    def _on_csat_asking(self, event: Event) -> list[Command]:
        if isinstance(event, Dtmf):
            return self._rated(event.digit)
        if isinstance(event, PlaybackFinished):
            self.state = "csat_waiting"
            return [StartTimer("csat_wait", self.settings.csat_wait_s)]
        return []

    def _on_csat_waiting(self, event: Event) -> list[Command]:
        if isinstance(event, Dtmf):
            return self._rated(event.digit)
        if isinstance(event, TimerFired) and event.name == "csat_wait":
            return self._optout_menu()  # silence: no rating
        return []

    # --- console commands ----------------------------------------------------------------------
    def _console(self, event: ConsoleCommand) -> list[Command]:
        """Into the opt-out menu, or a goodbye and the end of the call, from where the call is."""
        if event.command == "mailbox":
            return self._agent_heard_mailbox()
        if self.state in _NO_CONSOLE:
            return []
        if event.command == "optout_menu" and self.state in ("optout_menu", "optout_waiting"):
            return []
        commands: list[Command] = []
        if self.state == "talking":
            if self.recording:
                commands.append(StopRecording())
                self.recording = False
            commands += [HangupAgent(), LeaveBridge()]
        elif self.state in _BEFORE_BRIDGE and self.agent_requested:
            self.agent_ready = None
            commands.append(CancelAgentRequest())
        commands += self._stop_playback()
        if event.command == "optout_menu":
            return [*commands, *self._optout_menu()]
        return [*commands, *self._leave("sound:konform/goodbye")]

    def _agent_heard_mailbox(self) -> list[Command]:
        """The agent heard a mailbox on a bridged call (the detector's miss): hang up at once,
        nothing more played into it; the outcome is ``machine`` by the stage ``agent`` (at_ms
        stays the first decision's, which it corrects)."""
        if self.state not in _AFTER_BRIDGE:
            return []
        commands: list[Command] = []
        if self.recording:
            commands.append(StopRecording())
            self.recording = False
        if self.state == "talking":
            commands += [HangupAgent(), LeaveBridge()]
        commands += [*self._stop_playback(), Hangup()]
        at_ms = self.amd.at_ms if self.amd is not None else 0
        self.amd = AmdDecided("machine", at_ms, "agent_heard_mailbox")
        self.amd_stage = "agent"
        return self._finish("machine", *commands)

    def _on_optout_menu(self, event: Event) -> list[Command]:
        if isinstance(event, Dtmf):
            stop = self._stop_playback()
            if event.digit == "9":
                self.state = "opting_out"
                return [*stop, OptOut()]
            return [*stop, *self._leave("sound:konform/goodbye")]
        if isinstance(event, PlaybackFinished):
            self.state = "optout_waiting"
            return [StartTimer("optout_wait", self.settings.optout_wait_s)]
        return []

    def _on_optout_waiting(self, event: Event) -> list[Command]:
        if isinstance(event, Dtmf | PlaybackFinished):
            return self._on_optout_menu(event)
        if isinstance(event, TimerFired) and event.name == "optout_wait":
            return self._leave("sound:konform/goodbye")
        return []

    def _on_opting_out(self, event: Event) -> list[Command]:
        if isinstance(event, OptOutCommitted):
            self.opted_out = True
            return self._leave("sound:konform/optout-confirmed")
        if isinstance(event, OptOutPending):
            self.opt_out_pending = True
            return self._leave("sound:konform/goodbye")
        return []

    def _on_leaving(self, event: Event) -> list[Command]:
        if isinstance(event, PlaybackFinished):
            return self._finish("human", Hangup())
        return []
