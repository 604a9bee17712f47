"""The per-call flow state machine, driven event by event (no Asterisk)."""

from __future__ import annotations

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
    Finished,
    FlowSettings,
    Hangup,
    HangupAgent,
    LeaveBridge,
    OptOut,
    OptOutCommitted,
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
    outcome_for_cause,
)

SETTINGS = FlowSettings(callback_digits="030555000100")


def kinds(commands: list[Command]) -> list[str]:
    return [type(c).__name__ for c in commands]


def last_play(commands: list[Command]) -> Play:
    plays = [c for c in commands if isinstance(c, Play)]
    assert plays, commands
    return plays[-1]


def answered_human(flow: CallFlow) -> Play:
    assert kinds(flow.handle(Answered())) == ["StartAmd", "StartTimer"]
    commands = flow.handle(AmdDecided("human", 1500, "short_greeting"))
    assert isinstance(commands[0], StopAmd)
    assert RequestAgent() in commands, "the agent is rung at the human verdict"
    play = last_play(commands)
    assert play.media == ("sound:konform/identification", "digits:030555000100")
    return play


def to_consent_question(flow: CallFlow) -> Play:
    identification = answered_human(flow)
    consent = last_play(flow.handle(PlaybackFinished(identification.token)))
    assert consent.media == ("sound:konform/consent",)
    return consent


def test_machine_is_hung_up_at_once_and_hears_nothing() -> None:
    flow = CallFlow(SETTINGS)
    flow.handle(Answered())
    commands = flow.handle(AmdDecided("machine", 2100, "beep"))
    assert kinds(commands) == ["Hangup", "StopAmd", "Finished"]
    assert not any(isinstance(c, Play) for c in commands)
    finished = commands[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "machine"
    assert flow.done
    assert flow.handle(Dtmf("1")) == []


def test_unanswered_outcomes_by_cause() -> None:
    for cause, outcome in ((17, "busy"), (19, "no_answer"), (18, "no_answer"), (34, "failed")):
        flow = CallFlow(SETTINGS)
        (finished,) = flow.handle(CalleeGone(cause))
        assert isinstance(finished, Finished)
        assert finished.outcome == outcome
    assert outcome_for_cause(21) == "failed"


def test_yes_to_recording_persists_before_recording_starts() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    commands = flow.handle(Dtmf("1"))
    assert kinds(commands) == ["StopPlayback", "PersistConsent"]
    assert not flow.recording_consent  # not before the audit row is committed
    commands = flow.handle(ConsentPersisted())
    assert flow.recording_consent
    assert kinds(commands) == ["Play", "StartTimer"]
    commands = flow.handle(AgentAnswered("agent1"))
    assert kinds(commands) == ["StopPlayback", "Bridge", "StartRecording"]
    assert commands.index(Bridge("agent1")) < commands.index(StartRecording())


def test_no_key_means_no_recording() -> None:
    flow = CallFlow(SETTINGS)
    consent = to_consent_question(flow)
    commands = flow.handle(PlaybackFinished(consent.token))
    assert commands == [StartTimer("consent_wait", SETTINGS.consent_wait_s)]
    flow.handle(TimerFired("consent_wait"))
    commands = flow.handle(AgentAnswered("agent2"))
    assert StartRecording() not in commands
    assert not flow.recording_consent


def test_another_key_means_no_recording() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    commands = flow.handle(Dtmf("5"))
    assert PersistConsent() not in commands
    assert StartTimer("agent_hold", SETTINGS.agent_hold_s) in commands
    assert StartRecording() not in flow.handle(AgentAnswered("agent1"))


def test_keys_before_the_question_do_not_count() -> None:
    flow = CallFlow(SETTINGS)
    answered_human(flow)
    assert flow.handle(Dtmf("1")) == []  # during the identification
    assert not flow.recording_consent


def test_agent_hangs_up_then_opt_out_is_committed_before_confirmation() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(Dtmf("1"))
    flow.handle(ConsentPersisted())
    flow.handle(AgentAnswered("agent1"))
    commands = flow.handle(AgentGone())
    assert kinds(commands) == ["StopRecording", "LeaveBridge", "Play"]
    assert last_play(commands).media == ("sound:konform/optout",)
    commands = flow.handle(Dtmf("9"))
    assert kinds(commands) == ["StopPlayback", "OptOut"]
    assert not flow.opted_out
    commands = flow.handle(OptOutCommitted())
    confirmation = last_play(commands)
    assert confirmation.media == ("sound:konform/optout-confirmed",)
    commands = flow.handle(PlaybackFinished(confirmation.token))
    assert kinds(commands) == ["Hangup", "Finished"]
    finished = commands[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "human"
    assert finished.detail["opted_out"] is True
    assert finished.detail["recording_consent"] is True


def test_opt_out_menu_times_out_to_goodbye() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(Dtmf("2"))
    flow.handle(AgentAnswered("agent1"))
    menu = last_play(flow.handle(AgentGone()))
    assert flow.handle(PlaybackFinished(menu.token)) == [
        StartTimer("optout_wait", SETTINGS.optout_wait_s)
    ]
    goodbye = last_play(flow.handle(TimerFired("optout_wait")))
    assert goodbye.media == ("sound:konform/goodbye",)
    assert not flow.opted_out


def test_no_agent_is_never_a_silent_call() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(Dtmf("2"))
    commands = flow.handle(TimerFired("agent_hold"))
    assert CancelAgentRequest() in commands
    sorry = last_play(commands)
    assert sorry.media == ("sound:konform/no-agent", "digits:030555000100")
    menu = last_play(flow.handle(PlaybackFinished(sorry.token)))
    assert menu.media == ("sound:konform/optout",)


def test_callee_hangs_up_while_talking() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(Dtmf("1"))
    flow.handle(ConsentPersisted())
    flow.handle(AgentAnswered("agent1"))
    commands = flow.handle(CalleeGone(16))
    assert commands[:2] == [StopRecording(), HangupAgent()]
    assert isinstance(commands[-1], Finished)
    assert commands[-1].outcome == "human"


def test_no_audio_at_all_defaults_to_human() -> None:
    flow = CallFlow(SETTINGS)
    flow.handle(Answered())
    commands = flow.handle(TimerFired("amd_deadline"))
    assert flow.amd is not None
    assert flow.amd.reason == "no_audio"
    assert isinstance(commands[0], StopAmd)
    assert isinstance(commands[-1], Play)


def test_stale_playback_events_are_ignored() -> None:
    flow = CallFlow(SETTINGS)
    identification = answered_human(flow)
    flow.handle(PlaybackFinished(identification.token))
    assert flow.handle(PlaybackFinished(identification.token)) == []
    assert flow.state == "asking_consent"


def test_commands_are_plain_values() -> None:
    for command in (StartAmd(), StopPlayback(), Hangup(), LeaveBridge(), OptOut()):
        assert command == type(command)()
