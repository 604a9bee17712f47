"""All AMD thresholds in one place, with the reasoning behind each default.

Times are in milliseconds of audio since the callee answered. The defaults were set from how
people and mailboxes answer (a person says a short "Hallo?" or "Firma X, Müller" and waits; a
mailbox talks on for seconds and often beeps). The speech/non-speech settings, the end of
greeting and the initial silence were then chosen by ``tools.tune_amd`` on corpora made from
the Allison prompts and other espeak-ng voices and phrases, and checked on held-out corpora
whose clips share nothing with those. The measurements behind each choice: docs/amd.md.
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
    -72 dBFS). Set higher, it cuts the weak parts of a quiet line's speech, which splits mailbox
    greetings into "short" ones."""
    bed_margin_db: float = 6.0
    """Speech must also stand this far above a bed under it that never falls silent (music, a
    TV, voices in the room; ``Detector._track_bed``). 0 turns the bed off."""
    bed_range_db: float = 12.0
    """Frames within this of the noise floor belong to the bed ..."""
    bed_share: float = 0.8
    """... and there is a bed when they are at least this share of the last 3 s. A line with
    pauses (speech over the line's noise) has fewer; music or babble nearly all. Chosen on the
    tuning hard-kind corpus where the development corpus did not change; a wider range or a
    lower share helps people with a TV behind them a little more but costs mailboxes over
    music and development files (docs/amd.md)."""
    foreground_db: float = 15.0
    """In the first stage, speech more than this below the loudest speech heard so far (over
    100 ms) is not the callee's own voice but one behind it (a TV, voices in the room, a
    music bed): it does not start a stretch of speech, and it keeps one going only for
    ``foreground_hangover_ms``. A person's word then ends where the TV goes on instead of
    running into it as one long "word"; a greeting over music splits at its pauses like a
    greeting on a quiet line. 0 turns it off."""
    foreground_hangover_ms: int = 400
    """A stretch of speech ends after this long with only a quieter voice behind the callee's.
    Longer than the weak syllables inside a recorded sentence, which must not split it."""
    foreground_lead_ms: int = 300
    """A voice ``foreground_db`` louder than what started a stretch of speech at least this
    long ago starts the utterance over (a TV or music was heard before the callee spoke).
    Shorter stretches are a word's own soft onset."""
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
    greeting is called human; a shorter one misses beeps that come late."""
    max_human_greeting_ms: int = 4000
    """Without ``guard_long_greetings``: a first utterance still going this long after it
    started is a recorded greeting. Not shorter: people answering with a company greeting take
    that long, and calling them a machine is the worse error, though it delays the slowest
    mailbox decisions."""
    guard_long_greetings: bool = True
    """A greeting still going at ``guard_handoff_ms`` is handed to the guard as "human"
    instead of being called a machine: the guard's turn-taking rule (``guard_turn_ms``) hangs
    up on a recording that talks on over our prompt, and a person answering with a long
    company greeting stops and stays. Costs the mailboxes whose greeting ends right when our
    prompt starts (they record us; docs/amd.md)."""
    guard_handoff_ms: int = 3900
    """With ``guard_long_greetings``: a first utterance still going this long after the answer
    (the line's first sound, on the clock of the deadline) is handed to the guard; still going:
    speaking, or paused less than ``guard_turn_gap_ms`` (between two words). Counted from
    the answer, not from the greeting's start, so that no greeting keeps the first decision
    past it: the first stage need not be sure any more, since the guard goes on listening, and
    a recording handed over sooner talks on over more of our prompt, which the turn-taking
    rule needs. Not much sooner: the person still talking their company greeting is then
    talked over sooner, and one who goes on talking is dropped. Chosen on the tuning corpora
    (docs/amd.md, "The first decision's p90")."""
    max_word_ms: int = 1500
    """One continuous stretch of speech this long is read out, not spoken to a caller."""

    # --- beep -----------------------------------------------------------------------------------
    beep_min_hz: float = 350.0
    beep_max_hz: float = 2100.0
    beep_min_ms: int = 200
    """A steady tone at least this long is the mailbox's record beep."""
    beep_tonality: float = 0.9
    """Share of a frame's energy (250-3500 Hz) within two bins of its strongest frequency for a
    tone. Two bins either side is the Hann window's main lobe, so a beep between two bins
    (425 Hz, 1400 Hz) counts whole and still clears the bar on a noisy line."""
    beep_drift_hz: float = 60.0
    """How far the tone's frequency may wander from frame to frame."""
    beep_level_db: float = 1.0
    """How far a frame's level may stray from the tone's mean so far. A beep is steady (even
    under 10 dB of line noise within about ±0.5 dB); a drawn-out vowel with one strong harmonic
    swells and fades, and the wider tonality window needs this to keep it out; a wider margin
    lets a fading low voice through."""

    initial_silence_ms: int = 1500
    """Nobody has said anything this long after the answer: a person waiting for the caller
    (mailboxes greet at once, within about half a second). Deciding human early is the safe
    direction, and shorter than app_amd's wait decides people sooner at no loss on the tuning
    corpora; not shorter still, to keep room for a mailbox that starts late."""

    # --- deadline -------------------------------------------------------------------------------
    deadline_ms: int = 5000
    """Decide by now at the latest; undecided means human (dropping a person is the worse
    error)."""

    # --- the guard (after a "human" verdict, while our prompts play; konform/amd/guard.py) -----
    guard_utterance_ms: int = 1800
    """The callee talks on over our identification this long without a pause of
    ``guard_gap_ms``: a greeting, not a person (who says "Hallo? Wer ist da?" and listens).
    Short enough that a late mailbox greeting hears at most about 2 s of the identification,
    none of it recorded (a mailbox records after its greeting)."""
    guard_gap_ms: int = 400
    """A pause at least this long ends an utterance over the prompt. Recorded greetings pause
    less between their words; people take a breath and listen."""
    guard_talk_ms: int = 3500
    """More speech than this over our prompts in all (however it pauses) is a greeting read
    out; a person who answered asks a question or two and listens."""
    guard_turn_ms: int = 1000
    """Turn-taking: a callee still talking this long after our prompt started, in the same
    utterance as when it started (no pause of ``guard_turn_gap_ms``), at the level of their
    own first answer, is a recording. A person stops within a few hundred ms of being talked
    over (docs/amd.md, "The callee's reaction")."""
    guard_turn_gap_ms: int = 250
    """A pause this long ends the callee's turn that was going on when our prompt started."""
    guard_turn_level_db: float = 10.0
    """Speech more than this below the callee's first answer does not keep their turn going
    (a TV behind a person is 13-22 dB below them in the corpora)."""
    guard_behind_db: float | None = 3.0
    """The guard does not count speech less than this above the voices the first stage heard
    behind the callee's own either (below ``foreground_db``, between the callee's stretches,
    in runs longer than a word's soft edges: a TV, a room). Without it a TV that talks on over
    our prompt makes the person a machine after all. None turns it off."""
    guard_beep_level_db: float | None = 12.0
    """A steady tone this far below the loud part of the callee's first answer is not their
    mailbox's record beep but a tone in a TV or music behind a person (a mailbox beeps at
    about its greeting's level). None: every beep counts."""
    guard_utterance_level_db: float | None = 13.0
    """An utterance over our prompt counts for ``guard_utterance_ms`` (and all talk for
    ``guard_talk_ms``) only while its median speech frame is within this of the loud part of
    the callee's first answer: a recording talks on at its own level, while a TV behind a
    person, whose loud moments may come near the person's voice, mostly stays far below it.
    Judged over the whole utterance, not frame by frame, so that a greeting's quieter words
    do not open pauses in it. None turns it off."""
    guard_level_db: float = 15.0
    """Speech this far below the level of the callee's own first answer does not count: a TV or
    other voices behind a person."""
