"""An agent who hears a mailbox the detector took for a person ends the call from the desk
(console command ``mailbox``), on the sans-IO flow alone: the callee's leg is hung up at once
and nothing more is played into it (no opt-out menu, rating question or goodbye), the outcome
is ``machine`` with the AMD stage ``agent``; before the bridge the command means nothing (the
agent has not heard the callee)."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from ari_app.flow import (
    AgentGone,
    Answered,
    CallFlow,
    ConsoleCommand,
    Dtmf,
    Finished,
    OptOutCommitted,
    Play,
)
from tests.unit.test_flow import SETTINGS, answered_human, kinds, to_consent_question
from tests.unit.test_flow_csat import RATED, asked, talking


def finished(commands: Sequence[object]) -> Finished:
    last = commands[-1]
    assert isinstance(last, Finished)
    return last


def test_mailbox_while_talking_hangs_up_both_legs_and_plays_nothing() -> None:
    flow = CallFlow(SETTINGS)
    talking(flow)
    commands = flow.handle(ConsoleCommand("mailbox"))
    assert kinds(commands) == ["HangupAgent", "LeaveBridge", "Hangup", "Finished"]
    assert not any(isinstance(c, Play) for c in commands)
    done = finished(commands)
    assert done.outcome == "machine"
    assert done.detail["amd"] == {
        "label": "machine",
        "at_ms": 1500,  # the first decision's, which it corrects
        "reason": "agent_heard_mailbox",
        "stage": "agent",
    }
    assert done.detail["abandoned"] is False
    assert flow.done
    assert flow.handle(AgentGone()) == [], "the agent's leg ending afterwards changes nothing"


def test_mailbox_stops_a_recording_first() -> None:
    flow = CallFlow(SETTINGS)
    talking(flow, consent=True)
    commands = flow.handle(ConsoleCommand("mailbox"))
    assert kinds(commands) == ["StopRecording", "HangupAgent", "LeaveBridge", "Hangup", "Finished"]


@pytest.mark.parametrize("where", ["rating question", "opt-out menu"])
def test_mailbox_after_the_agent_hung_up_cuts_the_prompt_short(where: str) -> None:
    """The agent noticed only when hanging up: the rating question or the opt-out menu already
    plays into the mailbox; it stops at once and the call ends."""
    flow = CallFlow(RATED if where == "rating question" else SETTINGS)
    talking(flow)
    if where == "rating question":
        asked(flow)
    else:
        assert kinds(flow.handle(AgentGone()))[-1] == "Play"
        assert flow.state == "optout_menu"
    commands = flow.handle(ConsoleCommand("mailbox"))
    assert kinds(commands) == ["StopPlayback", "Hangup", "Finished"]
    assert finished(commands).outcome == "machine"


@pytest.mark.parametrize("stage", ["detecting", "identifying", "asking_consent", "connecting"])
def test_mailbox_before_the_bridge_means_nothing(stage: str) -> None:
    flow = CallFlow(SETTINGS)
    if stage == "detecting":
        flow.handle(Answered())
    elif stage == "identifying":
        answered_human(flow)
    else:
        to_consent_question(flow)
        if stage == "connecting":
            flow.handle(Dtmf("2"))
    assert flow.state == stage
    assert flow.handle(ConsoleCommand("mailbox")) == []
    assert flow.state == stage


def test_mailbox_while_an_opt_out_is_committed_means_nothing() -> None:
    """Only a person presses 9: the commit and its confirmation go on."""
    flow = CallFlow(SETTINGS)
    talking(flow)
    flow.handle(AgentGone())
    assert kinds(flow.handle(Dtmf("9"))) == ["StopPlayback", "OptOut"]
    assert flow.handle(ConsoleCommand("mailbox")) == []
    assert kinds(flow.handle(OptOutCommitted())) == ["Play"]
    assert flow.opted_out
