"""Call outcomes and attempt states: the names the policy's retry spacing, the store, the
dialer's call flow and the FastAGI routes share, defined once.

An attempt in progress has a state (how far the call got); a finished one has an outcome.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["OUTCOMES", "REACHED", "STATES", "CallOutcome", "CallState", "Outcome"]

CallOutcome = Literal["human", "machine", "no_answer", "busy", "failed"]
"""How a call that was placed ended."""

Outcome = Literal["human", "machine", "no_answer", "busy", "failed", "blocked"]
"""Every outcome of an attempt: a placed call's, or ``blocked`` (judged, never placed)."""

OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

CallState = Literal["ringing", "answered", "human", "bridged"]
"""How far a call in progress got."""

STATES: tuple[CallState, ...] = get_args(CallState)

REACHED: frozenset[CallState] = frozenset({"answered", "human", "bridged"})
"""States in which a person may have been reached: an attempt left open in one of them is
resolved as ``human`` at a restart, so the human spacing applies (the side of not calling
sooner, § 7 (1) UWG)."""
