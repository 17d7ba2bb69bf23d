"""Audio in and out of NSynth: 8-bit mu-law as Magenta computes it, and sounds (arrays,
Waveforms, files) brought to 16 kHz mono float32 with every conversion stated."""

from __future__ import annotations

import io
import warnings
from math import gcd
from pathlib import Path

import numpy as np

from magwidgets.io.waveform import AudioError, Waveform, read_audio

SAMPLE_RATE = 16000  # Hz, the rate NSynth was trained on
MU = 255  # mu-law parameter (256 classes)
Audio = np.ndarray | Waveform | str | Path | bytes


def mu_law(x: np.ndarray) -> np.ndarray:
    """Magenta's ``utils.mu_law`` in float32: class indices -128..127 (x = 1.0 gives 128)."""
    x = np.asarray(x, np.float32)
    scaled = np.sign(x) * np.log1p(np.float32(MU) * np.abs(x)) / np.log(np.float32(MU + 1))
    return np.floor(scaled * np.float32(128)).astype(np.int32)


def inv_mu_law(q: np.ndarray) -> np.ndarray:
    """Magenta's ``utils.inv_mu_law_numpy`` (in float32, as it runs): the sample of class q."""
    q = np.asarray(q, np.float32)
    mu = np.float32(MU)
    y = (q + np.float32(0.5)) * np.float32(2) / (mu + 1)
    # 256 ** |y| correctly rounded (as glibc's powf, which Magenta's NumPy 1.23 calls)
    power = (np.float64(MU + 1) ** np.abs(y).astype(np.float64)).astype(np.float32)
    out = np.sign(y) / mu * (power - 1)
    return np.where(q == 0, q, out).astype(np.float32)


def _file_facts(source: str | Path | bytes) -> tuple[int, str] | None:
    """(channels, subtype) of a sound file, or None when soundfile cannot tell (read_audio
    then raises the error)."""
    import soundfile

    try:
        info = soundfile.info(io.BytesIO(source) if isinstance(source, bytes) else str(source))
    except Exception:  # noqa: BLE001 - any failure is reported by read_audio below
        return None
    return info.channels, info.subtype


def to_model_rate(audio: Audio, sample_rate: int = SAMPLE_RATE,
                  name: str | None = None) -> np.ndarray:
    """A sound as NSynth takes it: float32 at 16 kHz, mono ``[samples]`` or a batch
    ``[batch, samples]``; files are read, stereo averaged, other rates resampled (each
    conversion announced with ``warnings.warn``); silence is announced too."""
    label = name or ("the audio" if not isinstance(audio, (str, Path)) else str(audio))
    if isinstance(audio, (str, Path, bytes)):
        facts = _file_facts(audio)
        wave = read_audio(audio, name=name)
        if facts and facts[0] > 1:
            warnings.warn(f"{label}: {facts[0]} channels averaged to mono", stacklevel=3)
        if facts and facts[1] in ("PCM_U8", "PCM_S8"):
            warnings.warn(f"{label}: 8-bit PCM, read at its 8-bit resolution (NSynth "
                          "quantises to 8-bit mu-law anyway)", stacklevel=3)
        samples, rate = np.asarray(wave, np.float32), wave.sample_rate
        if facts and facts[1] in ("PCM_16", "PCM_U8", "PCM_S8"):
            # read_audio scales by 1/32767 (note-seq); Magenta's librosa loader by 1/32768
            scale = 32767 * facts[0]
            samples = (np.round(samples * np.float64(scale)) / (32768 * facts[0])).astype(
                np.float32)
    else:
        rate = audio.sample_rate if isinstance(audio, Waveform) else sample_rate
        try:
            samples = np.asarray(audio, np.float32)
        except (TypeError, ValueError) as error:
            raise AudioError(f"{label}: expected audio samples (a float array), got "
                             f"{type(audio).__name__}") from error
        if samples.ndim not in (1, 2):
            raise AudioError(f"{label}: expected [samples] or a batch [batch, samples], got "
                             f"shape {list(samples.shape)} (average stereo channels first)")
    if samples.size == 0:
        raise AudioError(f"{label}: no samples")
    if not np.all(np.isfinite(samples)):
        raise AudioError(f"{label}: holds NaN or infinite samples")
    if int(rate) != SAMPLE_RATE:
        if rate <= 0:
            raise AudioError(f"{label}: sample rate {rate} Hz is not positive")
        step = gcd(int(rate), SAMPLE_RATE)
        from scipy.signal import resample_poly

        warnings.warn(f"{label}: resampled from {int(rate)} Hz to {SAMPLE_RATE} Hz (NSynth's "
                      "rate) with scipy.signal.resample_poly", stacklevel=3)
        samples = resample_poly(samples, SAMPLE_RATE // step, int(rate) // step,
                                axis=-1).astype(np.float32)
    peak = float(np.abs(samples).max())
    if peak == 0.0:
        warnings.warn(f"{label}: the sound is silent (all zeros); its encoding is the "
                      "model's encoding of silence", stacklevel=3)
    elif peak > 1.0:
        warnings.warn(f"{label}: peak {peak:.3g} is beyond ±1, clipped to [-1, 1] (mu-law's "
                      "range)", stacklevel=3)
        samples = np.clip(samples, -1.0, 1.0)
    return samples
