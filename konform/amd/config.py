"""All AMD thresholds in one place, with the reasoning behind each default.

Times are in milliseconds of audio since the callee answered. The defaults were set from how
people and mailboxes answer (a person says a short "Hallo?" or "Firma X, Müller" and waits; a
mailbox talks on for seconds and often beeps), then checked on corpora with other voices, noise
and levels than the development corpus (see README, "Answering machine detection").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AmdConfig"]


@dataclass(frozen=True)
class AmdConfig:
    # --- speech / non-speech -----------------------------------------------------------------
    vad_mode: int = 2
    """webrtcvad aggressiveness 0-3; 2 rejects most line noise without clipping soft speech."""
    speech_margin_db: float = 9.0
    """A frame counts as speech only if it is this far above the tracked noise floor too."""
    min_speech_dbfs: float = -55.0
    """Frames quieter than this are never speech, whatever the VAD says."""
    floor_rise_db_per_s: float = 3.0
    """How fast the noise floor may climb while the line is loud (it falls at once)."""
    onset_ms: int = 60
    """Speech must last this long to start a segment (clicks and pops do not)."""
    hangover_ms: int = 140
    """A segment ends after this much non-speech (keeps words whole across short dips)."""

    # --- greeting timing -------------------------------------------------------------------------
    end_of_greeting_ms: int = 800
    """Silence that ends the callee's first utterance. Longer than the pause before a mailbox
    beep (0.2-0.6 s), so the beep is still heard before a short greeting is called human."""
    max_human_greeting_ms: int = 4000
    """A first utterance still going after this long is a recorded greeting. 4.0 s rather than
    3.6 s: people answering with a company greeting take that long, and calling them a machine
    is the worse error; it costs about 0.3 s of p90 decision time."""
    max_word_ms: int = 1500
    """One continuous stretch of speech this long is read out, not spoken to a caller."""

    # --- beep -----------------------------------------------------------------------------------
    beep_min_hz: float = 350.0
    beep_max_hz: float = 2100.0
    beep_min_ms: int = 200
    """A steady tone at least this long is the mailbox's record beep."""
    beep_tonality: float = 0.85
    """Share of a frame's energy in its strongest frequency (±1 bin) for a tone."""
    beep_drift_hz: float = 60.0
    """How far the tone's frequency may wander from frame to frame."""

    initial_silence_ms: int = 3000
    """Nobody has said anything this long after the answer: a person waiting for the caller
    (mailboxes greet at once). Deciding human early is the safe direction."""

    # --- deadline -------------------------------------------------------------------------------
    deadline_ms: int = 5000
    """Decide by now at the latest; undecided means human (dropping a person is the worse
    error)."""
