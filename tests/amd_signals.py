"""Synthetic signals for detector tests: tones, noise, speech-like bursts (no recordings)."""

from __future__ import annotations

import numpy as np

RATE = 8000


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.float32)


def tone(hz: float, seconds: float, level: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (level * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def noise(seconds: float, rng: np.random.Generator, level: float = 0.01) -> np.ndarray:
    return (level * rng.standard_normal(int(seconds * RATE))).astype(np.float32)


def syllable(seconds: float, rng: np.random.Generator, level: float = 0.25) -> np.ndarray:
    """A voiced, vowel-like burst: harmonics of a gliding pitch shaped by two formants."""
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    f0 = rng.uniform(100, 220) * (1 + 0.15 * np.sin(2 * np.pi * rng.uniform(2, 5) * t))
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    formants = (rng.uniform(400, 900), rng.uniform(1000, 2400))
    out = np.zeros(n)
    for k in range(1, 30):
        fk = k * f0.mean()
        if fk > 3800:
            break
        gain = sum(1 / (1 + ((fk - f) / 150) ** 2) for f in formants) / k**0.5
        out += gain * np.sin(k * phase)
    envelope = np.sin(np.pi * np.arange(n) / n) ** 0.5
    out *= envelope
    shaped: np.ndarray = (level * out / (np.abs(out).max() + 1e-9)).astype(np.float32)
    return shaped


def speech(seconds: float, rng: np.random.Generator, level: float = 0.25) -> np.ndarray:
    """Syllables of 120-280 ms with 30-90 ms dips, for about ``seconds``."""
    parts = []
    total = 0.0
    while total < seconds:
        length = rng.uniform(0.12, 0.28)
        gap = rng.uniform(0.03, 0.09)
        parts += [syllable(length, rng, level), silence(gap)]
        total += length + gap
    return np.concatenate(parts)


def mix(*parts: np.ndarray) -> np.ndarray:
    return np.concatenate(parts).astype(np.float32)


def under(signal: np.ndarray, bed: np.ndarray) -> np.ndarray:
    """``signal`` with ``bed`` (music, a TV) added under it from the start."""
    out = signal.copy()
    out[: bed.size] += bed[: out.size]
    return out


def with_noise(signal: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    voiced = signal[np.abs(signal) > 1e-4]
    power = float(np.mean(voiced**2)) if voiced.size else 1e-4
    sigma = np.sqrt(power / 10 ** (snr_db / 10))
    noisy: np.ndarray = (signal + sigma * rng.standard_normal(signal.size)).astype(np.float32)
    return noisy


def pcm16(signal: np.ndarray) -> np.ndarray:
    return np.clip(np.round(signal * 32767), -32768, 32767).astype(np.int16)
