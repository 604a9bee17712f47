"""Copy an AMD corpus with its level and line noise changed, to check that decisions hold.

    python -m tools.vary_amd_corpus CORPUS_DIR OUT_DIR [--gain-db -15] [--snr-db 15] [--seed 1]

Every file is scaled by ``--gain-db``; with ``--snr-db``, white noise is added at that ratio to
the file's speech level (the RMS of its samples above -40 dBFS, as the corpus generator
measures it). Written as 8 kHz mu-law WAV beside a copy of ``labels.csv``.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf

from konform.amd.evaluate import CorpusError, read_labels


def vary(
    audio: np.ndarray, gain_db: float, snr_db: float | None, rng: np.random.Generator
) -> np.ndarray:
    if snr_db is not None:
        loud = np.abs(audio) > 0.01
        speech_rms = float(np.sqrt(np.mean(audio[loud] ** 2))) if loud.any() else 0.1
        noise = rng.standard_normal(audio.size)
        audio = audio + noise * speech_rms / 10 ** (snr_db / 20)
    return np.clip(audio * 10 ** (gain_db / 20), -1.0, 1.0)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("corpus", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--gain-db", type=float, default=0.0)
    parser.add_argument("--snr-db", type=float)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.out.exists():
        raise SystemExit(f"vary_amd_corpus: {args.out} exists; name a new folder")
    rng = np.random.default_rng(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{args.out.name}-", dir=args.out.parent))
    try:
        rows = read_labels(args.corpus)
        for name, _, _ in rows:
            audio, rate = sf.read(args.corpus / name, dtype="float64", always_2d=True)
            varied = vary(audio.mean(axis=1), args.gain_db, args.snr_db, rng)
            sf.write(partial / name, varied.astype(np.float32), rate, subtype="ULAW")
        shutil.copy(args.corpus / "labels.csv", partial / "labels.csv")
    except (CorpusError, sf.LibsndfileError, OSError) as exc:
        shutil.rmtree(partial)
        raise SystemExit(f"vary_amd_corpus: {exc}") from None
    partial.rename(args.out)  # the whole copy or nothing
    print(f"{len(rows)} files in {args.out}: gain {args.gain_db:+.0f} dB, SNR {args.snr_db} dB")


if __name__ == "__main__":
    main()
