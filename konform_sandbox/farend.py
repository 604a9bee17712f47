"""What the simulated far end saw: its own log and mailbox recordings, read back for reports.

Nothing here comes from konform's belief about a call: caller ID, presentation, P-Asserted-
Identity and Privacy are what the far end's Asterisk logged from the SIP it received, and
"voicemail left" is measured on what the mailbox actually recorded. The numbers of the far
end's ranges for paced calls (people, mailboxes, no answer, busy) are made here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import soundfile

from konform_sandbox.sandbox import Sandbox

__all__ = [
    "RANGES",
    "RATER",
    "FarEndCall",
    "FarEndEnd",
    "far_end_calls",
    "far_end_ends",
    "range_numbers",
    "rater_numbers",
    "voiced_seconds",
]

VOICE_DBFS = -45.0

RangeKind = Literal["person", "mailbox", "no_answer", "busy"]
RANGES: dict[RangeKind, str] = {
    "person": "+4930444",
    "mailbox": "+4930445",
    "no_answer": "+4930446",
    "busy": "+4930447",
}
"""The prefixes of the paced-call ranges (``dialplan/farend/extensions.conf``): prefix, then R
(seconds the line rings before it answers), then three digits of the callee's own."""


RATER = "+4930448"
"""People who press one key again and again from 22 s after the answer: prefix, then K (the
key: 1-5 a rating after the talk, 9 the opt-out in the menu, another digit a skip), then three
digits of the callee's own."""


def rater_numbers(key: str, count: int, first: int = 0) -> list[str]:
    """``count`` distinct numbers of people who press ``key`` (one digit) after the talk."""
    if len(key) != 1 or not key.isdigit():
        raise ValueError("key must be one digit")
    if first < 0 or count < 0 or first + count > 1000:
        raise ValueError("a key has 1000 numbers")
    return [f"{RATER}{key}{i:03d}" for i in range(first, first + count)]


def range_numbers(kind: RangeKind, count: int, ring_s: int = 0, first: int = 0) -> list[str]:
    """``count`` distinct numbers of a range that ring ``ring_s`` seconds (0-9) first."""
    if not 0 <= ring_s <= 9:
        raise ValueError("ring_s must be 0 to 9 seconds")
    if first < 0 or count < 0 or first + count > 1000:
        raise ValueError("a range has 1000 numbers per ring time")
    return [f"{RANGES[kind]}{ring_s}{i:03d}" for i in range(first, first + count)]


@dataclass(frozen=True)
class FarEndCall:
    number: str
    caller_id: str
    presentation: str
    privacy: str | None
    pai: str | None
    voicemail_left: bool
    voicemail_seconds: float

    def to_dict(self) -> dict[str, object]:
        return {
            "caller_id": self.caller_id,
            "presentation": self.presentation,
            "privacy": self.privacy,
            "pai": self.pai,
            "voicemail_left": self.voicemail_left,
        }


def voiced_seconds(path: Path) -> float:
    """Seconds of a recording louder than -45 dBFS, in 20 ms frames."""
    try:
        audio, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError):
        return 0.0
    mono = audio.mean(axis=1)
    step = rate // 50
    frames = mono[: mono.size // step * step].reshape(-1, step)
    if frames.size == 0:
        return 0.0
    rms = np.sqrt(np.mean(frames**2, axis=1))
    loud = 20 * np.log10(np.maximum(rms, 1e-9)) > VOICE_DBFS
    return float(loud.sum()) * 0.02


@dataclass(frozen=True)
class FarEndEnd:
    """The end of a call of the paced-call ranges, as the far end logged it."""

    number: str
    kind: str
    answered: bool
    on_line_s: float
    cause: str


def far_end_ends(sandbox: Sandbox) -> dict[str, list[FarEndEnd]]:
    """How each call of the paced-call ranges ended, by dialled number, oldest first."""
    ends: dict[str, list[FarEndEnd]] = {}
    for entry in sandbox.farend_log():
        if entry.get("event") == "end":
            ends.setdefault(entry["number"], []).append(
                FarEndEnd(
                    number=entry["number"],
                    kind=entry.get("kind", ""),
                    answered=entry.get("answered") == "yes",
                    on_line_s=float(entry.get("on_line_s") or 0),
                    cause=entry.get("cause", ""),
                )
            )
    return ends


def far_end_calls(sandbox: Sandbox) -> dict[str, list[FarEndCall]]:
    """Every call the far end received, by dialled number, oldest first."""
    entries = sandbox.farend_log()
    mailbox = {e["uid"]: e for e in entries if e.get("event") == "mailbox_record"}
    calls: dict[str, list[FarEndCall]] = {}
    for entry in entries:
        if entry.get("event") != "call":
            continue
        seconds = 0.0
        record = mailbox.get(entry.get("uid", ""))
        if record is not None:
            seconds = voiced_seconds(sandbox.host_path(record["file"]))
        calls.setdefault(entry["number"], []).append(
            FarEndCall(
                number=entry["number"],
                caller_id=entry.get("cid_num", ""),
                presentation=entry.get("pres", ""),
                privacy=entry.get("privacy") or None,
                pai=entry.get("pai") or None,
                voicemail_left=seconds > 0.5,
                voicemail_seconds=seconds,
            )
        )
    return calls
