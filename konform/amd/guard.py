"""The AMD guard: the second stage, sans-IO. After the first stage said "human", it goes on
listening to the callee's direction only (the snoop's ``spy=in``: never our own prompt) while
the identification and the consent question play and until an agent is bridged, and calls the
call a machine after all when the callee does what only a recording does:

- a mailbox's record beep (not a tone far below the callee's own voice: a TV's);
- one stretch of speech longer than a spoken word (``max_word_ms``);
- not yielding the turn: still talking ``guard_turn_ms`` after our prompt started, in the
  utterance that was going on when it started, at the level of the callee's first answer (a
  person stops when talked over; a recording does not hear us);
- talking on over our prompt: an utterance (words with pauses shorter than ``guard_gap_ms``)
  longer than ``guard_utterance_ms`` at about the level of the callee's own voice, or more
  than ``guard_talk_ms`` of speech in all. An utterance going on when the guard took over
  counts from then: the callee hears our prompt from its start.

A person who says something over the prompt ("Hallo? Wer ist da?") and then listens stays
connected. Speech far below the level of the callee's own first answer (a TV, other voices
behind a person) does not count, nor speech hardly above the voices the first stage heard
behind the callee's own. The guard continues the first stage's front end (noise floor,
VAD and beep state), so its clock and its view of the line carry on from the answer.

``feed()`` returns None, or once an :class:`AmdDecision` ``machine`` with reason
``guard_<rule>`` and the time since the answer; no decision by the time an agent is bridged
means the person verdict stands.
"""

from __future__ import annotations

from konform.amd.detector import FRAME_MS, AmdDecision, Detector, split_frames

__all__ = ["Guard"]


class Guard:
    """One call's guard, taking over the first stage's ``detector`` after its "human"."""

    def __init__(self, detector: Detector, prompt_ms: int | None = None) -> None:
        """``prompt_ms``: when our prompt started (ms since the answer, on the detector's
        clock); None: not known yet (:meth:`prompt_started` tells it; until then the
        turn-taking rule waits)."""
        if detector.decision is None or detector.decision.label != "human":
            raise ValueError("the guard starts after the first stage's human verdict")
        self.detector = detector
        self.config = detector.config
        self.started_ms = detector.elapsed_ms
        self.prompt_ms = prompt_ms
        reference = detector.speech_dbfs  # the mean: on the tuning set better than the answer
        self.min_dbfs = reference - self.config.guard_level_db if reference is not None else -200.0
        behind = detector.behind_dbfs  # voices the first stage heard behind the callee's
        if behind is not None and self.config.guard_behind_db is not None:
            self.min_dbfs = max(self.min_dbfs, behind + self.config.guard_behind_db)
        answer = detector.answer_dbfs  # the callee's own voice, not a TV behind them
        self.turn_dbfs = answer - self.config.guard_turn_level_db if answer is not None else -200.0
        beep_db = self.config.guard_beep_level_db
        self.beep_dbfs = answer - beep_db if answer is not None and beep_db is not None else -200.0
        utterance_db = self.config.guard_utterance_level_db
        self.utterance_dbfs = (
            answer - utterance_db if answer is not None and utterance_db is not None else -200.0
        )
        # The callee's turn is still going when they speak now or paused less than the turn
        # gap ago (a greeting between two words); a pause counts from our prompt's start, the
        # first moment the callee could react to it.
        self._turn_open = detector.quiet_ms < self.config.guard_turn_gap_ms
        self._turn_quiet = 0
        self._speech_run = 0
        self._silence_run = 0
        self._in_segment = False
        self._segment_start = 0
        # A greeting handed over while it goes on (the turn still open) is one utterance with
        # what follows: it counts from here, not from its next word.
        self._utterance_start: int | None = detector.analysed_ms if self._turn_open else None
        # Counted speech frames, and how many of them at the callee's level: of the utterance
        # going on, and of all talk.
        self._utterance_frames = [0, 0]
        self._talk_frames = [0, 0]
        self._talk = 0
        self.decision: AmdDecision | None = None

    def prompt_started(self, at_ms: int | None = None) -> None:
        """Our first prompt started at ``at_ms`` (default: now, on the detector's clock: the
        audio analysed so far), ms since the answer. Later prompts do not move it."""
        if self.prompt_ms is None:
            self.prompt_ms = self.detector.elapsed_ms if at_ms is None else at_ms

    @property
    def elapsed_ms(self) -> int:
        return self.detector.elapsed_ms

    def feed(self, pcm: bytes) -> AmdDecision | None:
        """Feed the callee's audio; return the machine decision the moment it is made."""
        if self.decision is not None:
            return None
        detector = self.detector
        for frame, samples, energy in split_frames(detector.pending, pcm, detector.frame_samples):
            heard = detector.hear(frame, samples, energy)
            if heard is None:
                continue
            if heard.beep_hz is not None and heard.dbfs >= self.beep_dbfs:
                self._decide("beep", beep_hz=round(heard.beep_hz))
            else:
                self._turn(heard.speech and heard.dbfs >= self.turn_dbfs)
                if self.decision is None:
                    self._track(heard.speech and heard.dbfs >= self.min_dbfs, heard.dbfs)
            if self.decision is not None:
                detector.pending.clear()
                break
        return self.decision

    def _turn(self, loud: bool) -> None:
        """Turn-taking: does the callee's turn that was going on at our prompt's start end?"""
        if not self._turn_open:
            return
        self._turn_quiet = 0 if loud else self._turn_quiet + FRAME_MS
        if self._turn_quiet >= self.config.guard_turn_gap_ms:
            self._turn_open = False
        elif (
            loud
            and self.prompt_ms is not None
            and self.detector.elapsed_ms - self.prompt_ms >= self.config.guard_turn_ms
        ):
            self._decide("talks_on", prompt_ms=float(self.prompt_ms))

    def _track(self, speech: bool, dbfs: float) -> None:
        cfg = self.config
        now = self.detector.analysed_ms
        if speech:
            near = int(dbfs >= self.utterance_dbfs)
            self._utterance_frames[0] += 1
            self._utterance_frames[1] += near
            self._talk_frames[0] += 1
            self._talk_frames[1] += near
            self._speech_run += FRAME_MS
            self._silence_run = 0
            if not self._in_segment and self._speech_run >= cfg.onset_ms:
                self._in_segment = True
                self._segment_start = now - self._speech_run
                self._talk += self._speech_run
                if self._utterance_start is None:
                    self._utterance_start = self._segment_start
            elif self._in_segment:
                self._talk += FRAME_MS
        else:
            self._silence_run += FRAME_MS
            self._speech_run = 0
            if self._in_segment and self._silence_run >= cfg.hangover_ms:
                self._in_segment = False
            if self._silence_run >= cfg.guard_gap_ms:
                self._utterance_start = None
                self._utterance_frames = [0, 0]
        if self._in_segment and now - self._segment_start >= cfg.max_word_ms:
            self._decide("long_word")
        elif (
            self._in_segment
            and self._utterance_start is not None
            and (now - self._utterance_start >= cfg.guard_utterance_ms)
            and self._callee_level(self._utterance_frames)
        ):
            self._decide("talks_over_prompt")
        elif self._talk >= cfg.guard_talk_ms and self._callee_level(self._talk_frames):
            self._decide("talk")

    @staticmethod
    def _callee_level(frames: list[int]) -> bool:
        """Is the speech counted (``[frames, frames at the callee's level]``) at the level of
        the callee's own voice? At least half of its frames (its median) within
        ``guard_utterance_level_db`` of their first answer's loud part: a recording plays at
        one level, while a TV behind a person, even when its loud moments come near the
        person's voice, mostly stays far below it. Counted, not sorted: no cost per frame."""
        return 2 * frames[1] >= frames[0]

    def _decide(self, rule: str, **extra: float) -> None:
        at = self.detector.elapsed_ms
        features: dict[str, float] = {
            "guard_started_ms": float(self.started_ms),
            "guard_talk_ms": float(self._talk),
            **extra,
        }
        self.decision = AmdDecision("machine", at, f"guard_{rule}", features)
