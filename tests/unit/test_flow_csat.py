"""The callee's rating after the talk and the console's commands to a live call, on the sans-IO
flow alone: the rating is asked only when the campaign asks for it, after the agent hung up and
before the opt-out menu, one key 1-5, skipped by any other key or silence; a console command
moves a person into the opt-out menu (the agent's leg hung up first) or ends the call politely,
and means nothing while no person is known to be on the line."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ari_app.flow import (
    AgentAnswered,
    AgentGone,
    Answered,
    CalleeGone,
    CallFlow,
    CancelAgentRequest,
    ConsentPersisted,
    ConsoleCommand,
    Dtmf,
    Finished,
    HangupAgent,
    LeaveBridge,
    OptOut,
    OptOutCommitted,
    PersistConsent,
    PlaybackFinished,
    SaveCsat,
    StartTimer,
    StopRecording,
    TimerFired,
)
from tests.unit.test_flow import SETTINGS, answered_human, kinds, last_play, to_consent_question

RATED = replace(SETTINGS, csat=True, csat_wait_s=4.0)


def talking(flow: CallFlow, *, consent: bool = False) -> None:
    """Answered by a person, the question answered, bridged to agent1."""
    to_consent_question(flow)
    if consent:
        assert kinds(flow.handle(Dtmf("1"))) == ["StopPlayback", "PersistConsent"]
        flow.handle(ConsentPersisted())
    else:
        flow.handle(Dtmf("2"))
    assert "Bridge" in kinds(flow.handle(AgentAnswered("agent1")))
    assert flow.state == "talking"


def asked(flow: CallFlow) -> int:
    """The agent hangs up: the rating question plays (its token)."""
    commands = flow.handle(AgentGone())
    assert kinds(commands)[-2:] == ["LeaveBridge", "Play"]
    question = last_play(commands)
    assert question.media == ("sound:konform/csat",)
    assert flow.state == "csat_asking"
    return question.token


@pytest.mark.parametrize("digit", ["1", "2", "3", "4", "5"])
def test_a_key_from_1_to_5_is_the_rating_then_the_opt_out_menu(digit: str) -> None:
    flow = CallFlow(RATED)
    talking(flow)
    asked(flow)
    commands = flow.handle(Dtmf(digit))
    assert kinds(commands) == ["StopPlayback", "SaveCsat", "Play"]
    assert commands[1] == SaveCsat(int(digit))
    assert last_play(commands).media == ("sound:konform/optout",)
    assert flow.csat == int(digit)
    assert flow.state == "optout_menu"


def test_the_rating_after_the_question_has_played() -> None:
    flow = CallFlow(RATED)
    talking(flow)
    token = asked(flow)
    assert flow.handle(PlaybackFinished(token)) == [StartTimer("csat_wait", 4.0)]
    commands = flow.handle(Dtmf("4"))
    assert kinds(commands) == ["SaveCsat", "Play"]  # nothing playing to stop
    assert commands[0] == SaveCsat(4)


@pytest.mark.parametrize("digit", ["0", "6", "9", "*", "#"])
def test_any_other_key_skips_the_rating(digit: str) -> None:
    flow = CallFlow(RATED)
    talking(flow)
    asked(flow)
    commands = flow.handle(Dtmf(digit))
    assert kinds(commands) == ["StopPlayback", "Play"]
    assert last_play(commands).media == ("sound:konform/optout",)
    assert flow.csat is None
    # the key that skipped is not taken as the opt-out: the menu has only begun
    assert not any(isinstance(c, OptOut) for c in commands)


def test_silence_skips_the_rating() -> None:
    flow = CallFlow(RATED)
    talking(flow)
    token = asked(flow)
    flow.handle(PlaybackFinished(token))
    commands = flow.handle(TimerFired("csat_wait"))
    assert last_play(commands).media == ("sound:konform/optout",)
    assert not any(isinstance(c, SaveCsat) for c in commands)
    assert flow.csat is None


def test_after_the_rating_the_opt_out_is_committed_before_its_confirmation() -> None:
    flow = CallFlow(RATED)
    talking(flow, consent=True)
    commands = flow.handle(AgentGone())
    assert kinds(commands) == ["StopRecording", "LeaveBridge", "Play"]
    flow.handle(Dtmf("5"))
    assert kinds(flow.handle(Dtmf("9"))) == ["StopPlayback", "OptOut"]
    assert not flow.opted_out
    confirmation = last_play(flow.handle(OptOutCommitted()))
    assert confirmation.media == ("sound:konform/optout-confirmed",)
    finished = flow.handle(PlaybackFinished(confirmation.token))[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "human"
    assert finished.detail["opted_out"] is True


def test_a_campaign_without_ratings_goes_straight_to_the_menu() -> None:
    flow = CallFlow(SETTINGS)
    talking(flow)
    menu = last_play(flow.handle(AgentGone()))
    assert menu.media == ("sound:konform/optout",)


def test_an_abandoned_call_is_not_asked_for_a_rating() -> None:
    """Nobody talked to the person: the apology, then the menu, as without ratings."""
    flow = CallFlow(RATED)
    to_consent_question(flow)
    flow.handle(Dtmf("2"))
    sorry = last_play(flow.handle(TimerFired("agent_hold")))
    menu = last_play(flow.handle(PlaybackFinished(sorry.token)))
    assert menu.media == ("sound:konform/optout",)


def test_keys_before_the_rating_question_do_not_rate() -> None:
    flow = CallFlow(RATED)
    talking(flow)
    assert flow.handle(Dtmf("5")) == []  # while talking to the agent
    asked(flow)
    assert flow.csat is None


def test_the_callee_hangs_up_during_the_rating_question() -> None:
    flow = CallFlow(RATED)
    talking(flow)
    asked(flow)
    commands = flow.handle(CalleeGone(16))
    assert kinds(commands) == ["Finished"]
    assert isinstance(commands[0], Finished)
    assert commands[0].outcome == "human"


def test_a_stale_csat_timer_is_ignored_in_the_menu() -> None:
    flow = CallFlow(RATED)
    talking(flow)
    asked(flow)
    flow.handle(Dtmf("3"))
    assert flow.handle(TimerFired("csat_wait")) == []
    assert flow.state == "optout_menu"


# --- console commands ----------------------------------------------------------------------------
def test_console_moves_a_talking_callee_into_the_opt_out_menu() -> None:
    flow = CallFlow(RATED)
    talking(flow, consent=True)
    commands = flow.handle(ConsoleCommand("optout_menu"))
    assert kinds(commands) == ["StopRecording", "HangupAgent", "LeaveBridge", "Play"]
    assert last_play(commands).media == ("sound:konform/optout",)  # no rating question
    assert flow.state == "optout_menu"
    assert flow.handle(AgentGone()) == [], "the agent's leg ending is expected now"
    assert kinds(flow.handle(Dtmf("9"))) == ["StopPlayback", "OptOut"]
    confirmation = last_play(flow.handle(OptOutCommitted()))
    assert confirmation.media == ("sound:konform/optout-confirmed",)
    assert flow.opted_out


def test_console_hangup_while_talking_says_goodbye_and_ends_the_call() -> None:
    flow = CallFlow(SETTINGS)
    talking(flow)
    commands = flow.handle(ConsoleCommand("hangup"))
    assert kinds(commands) == ["HangupAgent", "LeaveBridge", "Play"]
    goodbye = last_play(commands)
    assert goodbye.media == ("sound:konform/goodbye",)
    commands = flow.handle(PlaybackFinished(goodbye.token))
    assert kinds(commands) == ["Hangup", "Finished"]
    finished = commands[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "human"
    assert finished.detail["abandoned"] is False


def test_console_menu_before_the_bridge_cancels_the_agent_request() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(AgentAnswered("agent2"))  # waiting for the question to end
    commands = flow.handle(ConsoleCommand("optout_menu"))
    assert kinds(commands) == ["CancelAgentRequest", "StopPlayback", "Play"]
    assert flow.agent_ready is None
    assert flow.handle(TimerFired("consent_wait")) == []
    assert flow.handle(TimerFired("agent_hold")) == []
    assert not flow.abandoned


def test_console_menu_during_the_rating_question_skips_it() -> None:
    flow = CallFlow(RATED)
    talking(flow)
    asked(flow)
    commands = flow.handle(ConsoleCommand("optout_menu"))
    assert kinds(commands) == ["StopPlayback", "Play"]
    assert flow.state == "optout_menu"
    assert flow.handle(TimerFired("csat_wait")) == []


def test_console_hangup_in_the_menu_says_goodbye() -> None:
    flow = CallFlow(SETTINGS)
    talking(flow)
    menu = last_play(flow.handle(AgentGone()))
    flow.handle(PlaybackFinished(menu.token))
    commands = flow.handle(ConsoleCommand("hangup"))
    assert last_play(commands).media == ("sound:konform/goodbye",)
    assert flow.handle(TimerFired("optout_wait")) == []


def test_console_menu_in_the_menu_changes_nothing() -> None:
    flow = CallFlow(SETTINGS)
    talking(flow)
    flow.handle(AgentGone())
    assert flow.handle(ConsoleCommand("optout_menu")) == []
    assert flow.state == "optout_menu"


@pytest.mark.parametrize("command", ["optout_menu", "hangup"])
def test_console_commands_mean_nothing_before_a_person_is_known(command: str) -> None:
    flow = CallFlow(SETTINGS)
    assert flow.handle(ConsoleCommand(command)) == []  # type: ignore[arg-type]
    flow.handle(Answered())
    assert flow.handle(ConsoleCommand(command)) == []  # type: ignore[arg-type]
    assert flow.state == "detecting"


def test_console_commands_wait_for_a_commit_in_flight() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    assert PersistConsent() in flow.handle(Dtmf("1"))
    assert flow.handle(ConsoleCommand("hangup")) == []
    talking_flow = CallFlow(SETTINGS)
    talking(talking_flow)
    talking_flow.handle(AgentGone())
    talking_flow.handle(Dtmf("9"))
    assert talking_flow.state == "opting_out"
    assert talking_flow.handle(ConsoleCommand("hangup")) == []
    assert talking_flow.handle(ConsoleCommand("optout_menu")) == []


def test_console_after_the_call_is_over_does_nothing() -> None:
    flow = CallFlow(SETTINGS)
    talking(flow)
    flow.handle(CalleeGone(16))
    assert flow.handle(ConsoleCommand("hangup")) == []


def test_console_hangup_while_connecting_is_not_abandoned() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(Dtmf("2"))  # question over, waiting for an agent
    assert flow.state == "connecting"
    commands = flow.handle(ConsoleCommand("hangup"))
    assert commands[0] == CancelAgentRequest()
    assert HangupAgent() not in commands
    assert LeaveBridge() not in commands
    assert StopRecording() not in commands
    assert flow.handle(TimerFired("agent_hold")) == []
    assert not flow.abandoned


@pytest.mark.parametrize("command", ["optout_menu", "hangup"])
def test_console_never_cuts_short_who_calls(command: str) -> None:
    """The identification, and an abandoned call's information message, are always heard."""
    flow = CallFlow(SETTINGS)
    identification = answered_human(flow)
    assert flow.handle(ConsoleCommand(command)) == []  # type: ignore[arg-type]
    assert flow.state == "identifying"
    flow.handle(PlaybackFinished(identification.token))
    flow.handle(Dtmf("2"))
    sorry = last_play(flow.handle(TimerFired("agent_hold")))
    assert flow.handle(ConsoleCommand(command)) == []  # type: ignore[arg-type]
    assert str(flow.state) == "no_agent"  # (mypy narrowed it to the state above)
    menu = last_play(flow.handle(PlaybackFinished(sorry.token)))
    assert menu.media == ("sound:konform/optout",)
