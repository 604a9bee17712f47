"""Beep detection: a steady tone (a mailbox's record beep) in 20 ms frames of linear audio."""

from __future__ import annotations

import numpy as np

from konform.amd.config import AmdConfig

__all__ = ["BeepDetector"]


class BeepDetector:
    """Counts consecutive tonal frames of a stable frequency; reports the tone once long enough.

    Only every other frame is analysed (a beep lasts hundreds of milliseconds, so nothing is
    missed), which halves the cost of the FFT on the live path.
    """

    def __init__(self, rate: int, frame_samples: int, config: AmdConfig) -> None:
        self.config = config
        self.size = 256 if rate <= 8000 else 512
        self.bin_hz = rate / self.size
        self.window = np.hanning(frame_samples).astype(np.float32)
        self.lo = max(1, int(config.beep_min_hz / self.bin_hz))
        self.hi = min(self.size // 2 - 1, int(config.beep_max_hz / self.bin_hz) + 1)
        self.band_lo = int(250 / self.bin_hz)
        self.band_hi = min(self.size // 2, int(3500 / self.bin_hz) + 1)
        self.needed = max(1, config.beep_min_ms // 40)
        self.run = 0
        self.run_hz = 0.0
        self._skip = False

    def feed(self, samples: np.ndarray, loud: bool) -> float | None:
        """Feed one frame; return the tone's frequency when a beep has just been heard."""
        if not loud:
            self.run = 0
            return None
        self._skip = not self._skip
        if self._skip:
            return None
        power = np.abs(np.fft.rfft(samples * self.window, self.size)) ** 2
        band = power[self.band_lo : self.band_hi]
        total = float(band.sum())
        if total <= 0.0:
            self.run = 0
            return None
        k = self.lo + int(np.argmax(power[self.lo : self.hi]))
        tonality = float(power[k - 1 : k + 2].sum()) / total
        if tonality < self.config.beep_tonality:
            self.run = 0
            return None
        hz = k * self.bin_hz
        if self.run and abs(hz - self.run_hz) > self.config.beep_drift_hz:
            self.run = 0
        self.run_hz = hz if not self.run else (self.run_hz * self.run + hz) / (self.run + 1)
        self.run += 1
        return self.run_hz if self.run >= self.needed else None
