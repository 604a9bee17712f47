"""The answering machine detector: sans-IO, fed frames of linear audio from the moment of answer.

``feed()`` takes 10 or 20 ms frames (16-bit native-endian PCM, 8 or 16 kHz) and returns None
while pending, then once the final :class:`AmdDecision`: ``human`` or ``machine``, when, and the
features that decided. It never looks ahead: every decision is made on audio already fed.

Speech is what WebRTC VAD calls speech *and* what stands clear of a noise floor tracked as the
minimum frame energy of the last two seconds (robust to line noise and level), smoothed with an
onset time and a hangover; speech far below the loudest heard so far is a voice behind the
callee's (a TV, a music bed) and neither starts nor long keeps a stretch going. Then the first
utterance decides: a short one followed by silence is a person; a long word, a long greeting,
or a steady beep is a machine. Undecided at the deadline means human, since dropping a live
person is the worse error.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import webrtcvad

from konform.amd.beep import BeepDetector
from konform.amd.config import AmdConfig

__all__ = ["AmdDecision", "Detector", "Heard", "split_frames"]

FRAME_MS = 20
FLOOR_WINDOW_MS = 2000
BED_WINDOW_MS = 3000
BED_MIN_FRAMES = 15
BED_EVERY = 10  # frames between updates of the bed's level
FOREGROUND_SMOOTH = 5  # frames (100 ms) over which the foreground's level is measured
BEHIND_MIN_FRAMES = 10  # speech frames below the foreground before they say a level
BEHIND_MIN_RUN = 3  # frames (60 ms) in a row below the foreground: another voice
DIGITAL_SILENCE_DBFS = -80.0


@dataclass(frozen=True)
class AmdDecision:
    label: Literal["human", "machine"]
    at_ms: int
    reason: str
    features: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Heard:
    """What one frame is: speech or not, its level, and a beep's frequency once one is heard."""

    speech: bool
    dbfs: float
    beep_hz: float | None


def split_frames(
    buffer: bytearray, pcm: bytes, frame_samples: int
) -> list[tuple[bytes, np.ndarray, float]]:
    """The whole frames of ``buffer + pcm`` (each: bytes, float32 samples, energy); the
    remainder is left in ``buffer`` for the next call. Energies are exact (integer sums in
    float64), so the same whichever way the audio is cut."""
    if buffer:
        buffer += pcm
        pcm = bytes(buffer)
        buffer.clear()
    size = frame_samples * 2
    whole = len(pcm) - len(pcm) % size
    if whole < len(pcm):
        buffer += pcm[whole:]
    if not whole:
        return []
    pcm16 = np.frombuffer(pcm, dtype=np.int16, count=whole // 2).reshape(-1, frame_samples)
    block = pcm16.astype(np.float32)
    exact = pcm16.astype(np.float64)
    energies = np.einsum("ij,ij->i", exact, exact).tolist()
    return [
        (pcm[index * size : (index + 1) * size], block[index], energy)
        for index, energy in enumerate(energies)
    ]


class Detector:
    """One call's detector. Not thread-safe; one per call."""

    def __init__(self, rate: int = 8000, config: AmdConfig | None = None) -> None:
        if rate not in (8000, 16000):
            raise ValueError("the detector takes 8 or 16 kHz audio")
        self.rate = rate
        self.config = config or AmdConfig()
        self.frame_samples = rate * FRAME_MS // 1000
        self.frame_bytes = self.frame_samples * 2
        self._vad = webrtcvad.Vad(self.config.vad_mode)
        self._beep = BeepDetector(rate, self.frame_samples, self.config)
        self._buffer = bytearray()
        self._t = 0  # ms of audio analysed (the rules and the deadline count this)
        self._skipped = 0  # ms of digital silence before the first audio, not analysed
        self._floors: deque[tuple[int, float]] = deque()  # (frame index, dBFS), rising minima
        self._frame_index = 0
        self._speech_run = 0  # ms of consecutive speech frames
        self._silence_run = 0  # ms of consecutive non-speech frames
        self._background_run = 0  # ms of consecutive frames without the callee's own voice
        self._in_segment = False
        self._segment_start = 0
        self._utterance_start: int | None = None
        self._last_speech = 0
        self._words = 0
        self._longest = 0
        self._speech_db = 0.0
        self._speech_frames = 0
        self._speech_levels: list[float] = []
        self._behind_levels: list[float] = []  # speech frames below the foreground
        self._behind_run: list[float] = []  # the run of them going on
        self._bed_levels = np.empty(BED_WINDOW_MS // FRAME_MS)  # a ring of frame levels
        self._bed_filled = 0
        self._bed_count = 0
        self._bed = -200.0
        self._recent: deque[float] = deque(maxlen=FOREGROUND_SMOOTH)  # frame energies (linear)
        self._foreground = -200.0  # the loudest speech so far, over FOREGROUND_SMOOTH frames
        self._segment_foreground = -200.0  # the loudest in the segment's first lead
        self.decision: AmdDecision | None = None

    @property
    def status(self) -> str:
        return self.decision.label if self.decision else "pending"

    @property
    def elapsed_ms(self) -> int:
        return self._t + self._skipped

    @property
    def analysed_ms(self) -> int:
        """Audio analysed since the line's first sound (the rules count this)."""
        return self._t

    @property
    def pending(self) -> bytearray:
        """Audio fed but not analysed yet: part of a frame, or what followed the decision
        (the guard goes on with it)."""
        return self._buffer

    def feed(self, pcm: bytes) -> AmdDecision | None:
        """Feed audio; return the decision the moment it is made (None before and after).

        Any length: the whole frames in it are analysed in order (their energies computed
        together), a remainder waits for the next call. However the audio is cut, the
        decision and its time are the same.
        """
        if self.decision is not None:
            return None
        frames = split_frames(self._buffer, pcm, self.frame_samples)
        for index, (frame, samples, energy) in enumerate(frames):
            self._frame(frame, samples, energy)
            if self.decision is not None:
                # The audio after the decision waits for the guard, which goes on from here.
                rest = b"".join(f[0] for f in frames[index + 1 :]) + bytes(self._buffer)
                self._buffer[:] = rest
                break
        return self.decision

    def finish(self) -> AmdDecision:
        """The audio ended (or the caller gives up): decide now."""
        if self.decision is None:
            self._decide("human", "deadline")
        assert self.decision is not None
        return self.decision

    # --- per frame ---------------------------------------------------------------------------

    def hear(self, frame: bytes, samples: np.ndarray, energy: float) -> Heard | None:
        """One frame through the speech/non-speech front end (noise floor, VAD, beep); None
        for digital silence before the line's first sound. The guard (:mod:`konform.amd.guard`)
        goes on with the same front end after the first decision."""
        cfg = self.config
        rms = math.sqrt(energy / self.frame_samples)
        dbfs = 20.0 * math.log10(max(rms, 1.0) / 32768.0)
        if self._t == 0 and dbfs < DIGITAL_SILENCE_DBFS:
            # Exact zeros before the line's first sound (a live tap delivers some while its
            # bridge starts): nothing to analyse yet, and not counted toward the
            # deadline, so live and offline judge the same audio. The call flow keeps its own
            # wall-clock guard for a line that never sends anything.
            self._skipped += FRAME_MS
            return None
        floor = self._track_floor(dbfs)
        loud = dbfs > floor + cfg.speech_margin_db and dbfs > cfg.min_speech_dbfs
        if cfg.bed_margin_db and loud:
            loud = dbfs > self._track_bed(dbfs, floor) + cfg.bed_margin_db
        elif cfg.bed_margin_db:
            self._track_bed(dbfs, floor)
        # The VAD hears every frame, quiet ones too: it adapts its noise model to what it is
        # fed, and fed only the loud frames it loses weak speech on noisy or quiet lines.
        speech = self._vad.is_speech(frame, self.rate) and loud
        self._t += FRAME_MS
        self._features_floor = floor
        beep_hz = self._beep.feed(samples, dbfs > cfg.min_speech_dbfs)
        return Heard(speech, dbfs, beep_hz)

    def _frame(self, frame: bytes, samples: np.ndarray, energy: float) -> None:
        heard = self.hear(frame, samples, energy)
        if heard is None:
            return
        if heard.beep_hz is not None:
            self._decide("machine", "beep", beep_hz=round(heard.beep_hz))
            return
        foreground = self._in_foreground(heard)
        if heard.speech and self._in_segment:
            self._speech_db += heard.dbfs
            self._speech_frames += 1
            self._speech_levels.append(heard.dbfs)
        self._segment(heard.speech, foreground)
        if heard.speech and not foreground and not self._in_segment:
            self._behind_run.append(heard.dbfs)
        else:
            self._end_behind_run()
        self._judge()

    def _in_foreground(self, heard: Heard) -> bool:
        """Is this speech frame the callee's own voice, not a quieter one behind it? A frame
        more than ``foreground_db`` below the loudest speech so far (over 100 ms) does not
        start a segment, and a segment ends after ``foreground_hangover_ms`` of such frames:
        a person's word ends where a TV behind them goes on, while a greeting's weak
        syllables (short dips) keep it whole. A voice that comes in that much louder over a
        stretch already going on (a TV or music heard first) starts the utterance over: what
        came before it was the background."""
        cfg = self.config
        self._recent.append(10.0 ** (heard.dbfs / 10.0))
        if not heard.speech or not cfg.foreground_db:
            return heard.speech
        level = 10.0 * math.log10(sum(self._recent) / len(self._recent))
        young = self._t - self._segment_start < cfg.foreground_lead_ms
        if self._in_segment and young:
            self._segment_foreground = max(self._segment_foreground, level)
        if level > self._foreground:
            self._foreground = level
            louder = level > self._segment_foreground + cfg.foreground_db
            if self._in_segment and not young and louder:
                self._restart(level)
        return heard.dbfs >= self._foreground - cfg.foreground_db

    def _restart(self, level: float) -> None:
        """A louder voice came in over the stretch going on: the utterance starts here."""
        self._segment_start = self._t - FOREGROUND_SMOOTH * FRAME_MS
        self._segment_foreground = level
        self._utterance_start = self._segment_start
        self._words = 1
        self._longest = FOREGROUND_SMOOTH * FRAME_MS
        self._speech_db = 0.0
        self._speech_frames = 0
        self._speech_levels.clear()

    @property
    def speaking(self) -> bool:
        """The callee is in a stretch of speech right now (onset and hangover applied)."""
        return self._in_segment

    @property
    def quiet_ms(self) -> int:
        """How long the callee has not spoken (0 while speaking; since the answer when nobody
        has spoken yet)."""
        return 0 if self._in_segment and self._speech_run else self._t - self._last_speech

    @property
    def answer_dbfs(self) -> float | None:
        """The level of the loud part of the callee's speech so far (90th percentile of its
        frames; None: nobody spoke): their own voice, even when a TV behind them filled most
        of the stretch the first stage heard."""
        if not self._speech_levels:
            return None
        return float(np.percentile(self._speech_levels, 90))

    def _end_behind_run(self) -> None:
        """Keep a run of speech frames below the foreground, between the callee's stretches,
        when it is long enough to be another voice (a TV talking on); shorter ones are the
        weak beginnings and ends of the callee's own words."""
        if len(self._behind_run) >= BEHIND_MIN_RUN:
            self._behind_levels += self._behind_run
        self._behind_run.clear()

    @property
    def behind_dbfs(self) -> float | None:
        """The level of voices heard behind the callee's own (speech more than
        ``foreground_db`` below it between their stretches, in runs of at least
        ``BEHIND_MIN_RUN`` frames: a TV, a room; 90th percentile of those frames), or None
        when there were too few (under ``BEHIND_MIN_FRAMES``)."""
        levels = self._behind_levels
        if len(self._behind_run) >= BEHIND_MIN_RUN:
            levels = levels + self._behind_run
        if len(levels) < BEHIND_MIN_FRAMES:
            return None
        return float(np.percentile(levels, 90))

    @property
    def speech_dbfs(self) -> float | None:
        """The mean level of the callee's speech so far (None: nobody spoke)."""
        return self._speech_db / self._speech_frames if self._speech_frames else None

    def _track_bed(self, dbfs: float, floor: float) -> float:
        """The level of a bed that never falls silent (music, a TV, voices in the room), or
        -200 when there is none. Of the frames of the last ``BED_WINDOW_MS``, those within
        ``bed_range_db`` of the noise floor are the bed's; when they are at least
        ``bed_share`` of all, the line sits in one band nearly all the time, and the bed's
        level is their median (updated every 200 ms). On a line with pauses (speech between
        the line's noise) the share is lower and there is no bed; under music or babble the
        floor lies in the bed's rare dips and the median in the bed itself."""
        cfg = self.config
        if dbfs >= DIGITAL_SILENCE_DBFS:
            self._bed_levels[self._bed_filled % self._bed_levels.size] = dbfs
            self._bed_filled += 1
        self._bed_count += 1
        if self._bed_count % BED_EVERY == 0 and self._bed_filled >= BED_MIN_FRAMES:
            levels = self._bed_levels[: min(self._bed_filled, self._bed_levels.size)]
            inside = levels[levels < floor + cfg.bed_range_db]
            near = np.count_nonzero(levels < floor + 2 * cfg.bed_range_db)
            if inside.size >= cfg.bed_share * near:
                self._bed = float(np.median(inside))
            else:
                self._bed = -200.0
        return self._bed

    def _track_floor(self, dbfs: float) -> float:
        index = self._frame_index
        self._frame_index += 1
        floors = self._floors
        if dbfs < DIGITAL_SILENCE_DBFS:
            # Digital silence (no line yet, or a gap filled with zeros) says nothing about the
            # line's noise: left out, so that noise starting after it is not taken for speech.
            return floors[0][1] if floors else dbfs
        while floors and floors[-1][1] >= dbfs:
            floors.pop()
        floors.append((index, dbfs))
        while floors[0][0] <= index - FLOOR_WINDOW_MS // FRAME_MS:
            floors.popleft()
        return floors[0][1]

    def _segment(self, speech: bool, foreground: bool) -> None:
        """Onset and hangover smoothing: a segment starts with ``onset_ms`` of the callee's
        own voice and ends after ``hangover_ms`` of non-speech or ``foreground_hangover_ms``
        without their voice (only a quieter one behind it)."""
        cfg = self.config
        self._silence_run = 0 if speech else self._silence_run + FRAME_MS
        if foreground:
            self._speech_run += FRAME_MS
            self._background_run = 0
        else:
            self._speech_run = 0
            self._background_run += FRAME_MS
        if not self._in_segment and self._speech_run >= cfg.onset_ms:
            self._in_segment = True
            self._segment_start = self._t - self._speech_run
            self._segment_foreground = self._foreground
            self._words += 1
            if self._utterance_start is None:
                self._utterance_start = self._segment_start
        if not self._in_segment:
            return
        if foreground:
            self._last_speech = self._t
            self._longest = max(self._longest, self._t - self._segment_start)
        else:
            behind_limit = max(cfg.hangover_ms, cfg.foreground_hangover_ms)
            if self._silence_run >= cfg.hangover_ms or self._background_run >= behind_limit:
                self._in_segment = False

    @property
    def _stretch_ms(self) -> int:
        """How long the segment going on has lasted: up to now, or while only a quieter voice
        goes on, up to a hangover after the callee's own voice stopped."""
        behind = max(0, self._background_run - self.config.hangover_ms)
        return self._t - self._segment_start - behind

    def _judge(self) -> None:
        cfg = self.config
        start = self._utterance_start
        if start is not None:
            if self._in_segment and self._stretch_ms >= cfg.max_word_ms:
                self._decide("machine", "long_word")
                return
            if cfg.guard_long_greetings:
                # Handed over at a fixed time after the answer while the greeting's turn is
                # still going (speaking, or in a pause shorter than the guard's turn gap): the
                # guard's turn-taking rule then hears whether it stops for our prompt.
                if self._t >= cfg.guard_handoff_ms and self.quiet_ms < cfg.guard_turn_gap_ms:
                    self._decide("human", "long_greeting_to_guard")
                    return
            elif self._in_segment and self._t - start >= cfg.max_human_greeting_ms:
                self._decide("machine", "long_greeting")
                return
            if self._t - self._last_speech >= cfg.end_of_greeting_ms:
                self._decide("human", "short_greeting")
                return
        elif self._speech_run == 0 and self._t >= cfg.initial_silence_ms:
            self._decide("human", "initial_silence")
            return
        if self._t >= cfg.deadline_ms:
            self._decide("human", "deadline")

    def _decide(self, label: Literal["human", "machine"], reason: str, **extra: float) -> None:
        start = self._utterance_start
        features: dict[str, float] = {
            "speech_onset_ms": float(start) if start is not None else -1.0,
            "greeting_ms": float(self._last_speech - start) if start is not None else 0.0,
            "longest_word_ms": float(self._longest),
            "words": float(self._words),
            "noise_floor_dbfs": round(getattr(self, "_features_floor", -90.0), 1),
            "leading_silence_ms": float(self._skipped),
            **extra,
        }
        self.decision = AmdDecision(label, self._t + self._skipped, reason, features)
