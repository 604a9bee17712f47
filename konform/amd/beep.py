"""Beep detection: a steady tone (a mailbox's record beep) in 20 ms frames of linear audio."""

from __future__ import annotations

import functools
import math

import numpy as np

from konform.amd.config import AmdConfig

__all__ = ["BeepDetector"]


class BeepDetector:
    """Counts consecutive tonal frames of a steady frequency and level; reports the tone once long
    enough.

    Only every other loud frame is analysed (a beep lasts hundreds of milliseconds, so nothing
    is missed). The spectrum is the frame's 256-point DFT (zero-padded, Hann window) at the bins
    of 250-3500 Hz only, taken as one matrix product with a precomputed basis: the same figures
    as an FFT of the whole frame, and cheaper on 20 ms frames.
    """

    def __init__(self, rate: int, frame_samples: int, config: AmdConfig) -> None:
        self.config = config
        self.size = 256 if rate <= 8000 else 512
        self.bin_hz = rate / self.size
        self.lo = max(1, int(config.beep_min_hz / self.bin_hz))
        self.hi = min(self.size // 2 - 1, int(config.beep_max_hz / self.bin_hz) + 1)
        self.band_lo = int(250 / self.bin_hz)
        self.band_hi = min(self.size // 2, int(3500 / self.bin_hz) + 1)
        self.basis = _basis(self.band_lo, self.band_hi, frame_samples, self.size)
        self.bins = self.band_hi - self.band_lo
        self.needed = max(1, config.beep_min_ms // 40)
        self.run = 0
        self.run_hz = 0.0
        self.run_level = 0.0
        self._skip = False

    def feed(self, samples: np.ndarray, loud: bool) -> float | None:
        """Feed one frame; return the tone's frequency when a beep has just been heard."""
        if not loud:
            self.run = 0
            return None
        self._skip = not self._skip
        if self._skip:
            return None
        spectrum = self.basis @ samples
        squares = spectrum * spectrum
        power = squares[: self.bins] + squares[self.bins :]  # power[i]: bin band_lo + i
        total = float(np.add.reduce(power))
        if total <= 0.0:
            self.run = 0
            return None
        base = self.band_lo
        k = self.lo + int(power[self.lo - base : self.hi - base].argmax())
        # Two bins either side: the Hann window's main lobe, so a tone between two bins (425 Hz
        # and 1400 Hz at 31.25 Hz a bin) counts whole and still clears the bar on a noisy line.
        tonality = float(np.add.reduce(power[k - 2 - base : k + 3 - base])) / total
        if tonality < self.config.beep_tonality:
            self.run = 0
            return None
        hz = k * self.bin_hz
        level = 10.0 * math.log10(total)
        if self.run and (
            abs(hz - self.run_hz) > self.config.beep_drift_hz
            or abs(level - self.run_level) > self.config.beep_level_db
        ):
            self.run = 0
        if self.run:
            self.run_hz = (self.run_hz * self.run + hz) / (self.run + 1)
            self.run_level = (self.run_level * self.run + level) / (self.run + 1)
        else:
            self.run_hz, self.run_level = hz, level
        self.run += 1
        return self.run_hz if self.run >= self.needed else None


@functools.cache
def _basis(first_bin: int, end_bin: int, frame_samples: int, size: int) -> np.ndarray:
    """Hann-windowed DFT rows for bins ``first_bin..end_bin-1`` of a ``size``-point transform:
    the real parts, then the imaginary parts (shared by all detectors; read-only)."""
    bins = np.arange(first_bin, end_bin)[:, np.newaxis]
    angle = 2.0 * np.pi * bins * np.arange(frame_samples) / size
    window = np.hanning(frame_samples)
    basis = np.vstack([np.cos(angle) * window, -np.sin(angle) * window]).astype(np.float32)
    basis.flags.writeable = False
    return basis
