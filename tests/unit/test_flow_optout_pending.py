"""finding 2: an opt-out whose commit has not landed gets a goodbye, never a confirmation, and
the call stays a human contact (opt_out_pending), never a retryable failure."""

from __future__ import annotations

from ari_app.flow import (
    AgentAnswered,
    AgentGone,
    CallFlow,
    Dtmf,
    Finished,
    OptOutPending,
    Play,
    PlaybackFinished,
)
from tests.unit.test_flow import SETTINGS, kinds, last_play, to_consent_question


def test_a_pending_opt_out_says_goodbye_without_confirmation() -> None:
    flow = CallFlow(SETTINGS)
    to_consent_question(flow)
    flow.handle(Dtmf("2"))
    flow.handle(AgentAnswered("agent1"))
    flow.handle(AgentGone())
    assert kinds(flow.handle(Dtmf("9"))) == ["StopPlayback", "OptOut"]
    goodbye = last_play(flow.handle(OptOutPending()))
    assert goodbye.media == ("sound:konform/goodbye",)
    assert not flow.opted_out
    commands = flow.handle(PlaybackFinished(goodbye.token))
    finished = commands[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "human"
    assert finished.detail["opt_out_pending"] is True
    assert finished.detail["opted_out"] is False
    assert not any(
        isinstance(c, Play) and "sound:konform/optout-confirmed" in c.media for c in commands
    )
