"""The call flow and the AMD guard: a machine found after the "human" verdict stops our prompt
at once, hangs up and is recorded as ``machine`` with the stage that caught it."""

from __future__ import annotations

from ari_app.flow import (
    AgentAnswered,
    AmdDecided,
    Answered,
    CallFlow,
    CancelAgentRequest,
    Command,
    Finished,
    FlowSettings,
    GuardSaysMachine,
    Hangup,
    PlaybackFinished,
    StopPlayback,
)


def human_call() -> CallFlow:
    flow = CallFlow(FlowSettings(callback_digits="030555000100"))
    flow.handle(Answered())
    flow.handle(AmdDecided("human", 1500, "initial_silence"))
    assert flow.state == "identifying"
    return flow


def kinds(commands: list[Command]) -> list[str]:
    return [type(c).__name__ for c in commands]


def test_guard_machine_during_the_identification_stops_the_prompt_and_hangs_up() -> None:
    flow = human_call()
    commands = flow.handle(GuardSaysMachine(3300, "guard_talks_over_prompt"))
    assert kinds(commands) == [
        "StopPlayback",
        "Hangup",
        "CancelAgentRequest",
        "StopAmd",
        "Finished",
    ]
    assert isinstance(commands[0], StopPlayback)
    assert isinstance(commands[1], Hangup)
    assert isinstance(commands[2], CancelAgentRequest)
    finished = commands[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "machine"
    assert finished.detail["amd"] == {
        "label": "machine",
        "at_ms": 3300,
        "reason": "guard_talks_over_prompt",
        "stage": "guard",
    }
    assert flow.done


def test_guard_machine_during_the_consent_question_with_an_agent_waiting() -> None:
    flow = human_call()
    flow.handle(AgentAnswered("agent1"))
    token = flow._playing
    assert token is not None
    flow.handle(PlaybackFinished(token))
    assert flow.state == "asking_consent"
    commands = flow.handle(GuardSaysMachine(9000, "guard_beep"))
    assert "Hangup" in kinds(commands)
    assert "CancelAgentRequest" in kinds(commands)  # the waiting agent is let go
    finished = commands[-1]
    assert isinstance(finished, Finished)
    assert finished.outcome == "machine"


def test_the_first_stage_is_recorded_as_such() -> None:
    flow = CallFlow(FlowSettings(callback_digits="030555000100"))
    flow.handle(Answered())
    commands = flow.handle(AmdDecided("machine", 2100, "beep"))
    finished = commands[-1]
    assert isinstance(finished, Finished)
    assert finished.detail["amd"] == {
        "label": "machine",
        "at_ms": 2100,
        "reason": "beep",
        "stage": "first",
    }


def test_guard_is_ignored_once_the_agent_is_bridged() -> None:
    flow = human_call()
    flow.handle(AgentAnswered("agent1"))
    flow.state = "talking"  # bridged: the shell has stopped the guard; a late report is moot
    assert flow.handle(GuardSaysMachine(30000, "guard_beep")) == []
    assert not flow.done
