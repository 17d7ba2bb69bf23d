"""Magenta's Onsets and Frames model input: audio -> log-mel spectrogram [frames, 229], in NumPy.

Follows what Magenta 2.1.4's transcribe script does to a WAV, step for step:
``librosa.util.normalize`` (peak 1.0), a truncating 16-bit re-encode ``int16(y * 32767)``, the
decode ``int16 / 32767``, librosa 0.7.2's ``melspectrogram`` (2048-point periodic Hann, hop
512, reflect padding, Slaney-normalised HTK mel filters from 30 Hz to 8 kHz, power 2) and
``power_to_db`` (1e-10 floor, 80 dB below the clip's maximum), cut to
``int(n / 16000 * 31.25)`` frames. librosa is not needed.
"""

from __future__ import annotations

import warnings
from functools import cache
from math import gcd

import numpy as np

from magwidgets.errors import MagwidgetsError

SAMPLE_RATE = 16000  # Hz, the rate the models were trained at
HOP_LENGTH = 512  # samples between frames
FRAMES_PER_SECOND = SAMPLE_RATE / HOP_LENGTH  # 31.25
N_FFT = 2048  # samples per analysis window (= win_length)
N_MELS = 229  # mel bins, the model's input width
FMIN = 30.0  # Hz, lowest mel edge
FMAX = SAMPLE_RATE / 2  # Hz, highest mel edge (librosa's default: Nyquist)
INT16_MAX = 32767  # note-seq scales PCM16 by this, both ways
AMIN = 1e-10  # power floor of power_to_db
TOP_DB = 80.0  # dB below the clip's maximum that power_to_db keeps
MIN_INPUT_RATE = 4000  # Hz; below this the mel bands up to 8 kHz hold almost nothing


class AudioInputError(MagwidgetsError):
    """Samples cannot be turned into the model input (not 1-D, not finite, bad rate)."""


def _hz_to_mel(hz):
    return 2595.0 * np.log10(1.0 + hz / 700.0)  # HTK


def _mel_to_hz(mel):
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


@cache
def mel_basis() -> np.ndarray:
    """librosa 0.7.2's ``filters.mel(16000, 2048, n_mels=229, fmin=30, htk=True)`` as float32
    [229, 1025], with its rounding (float32 triangles, then the float64 Slaney factor)."""
    fft_freqs = np.linspace(0, SAMPLE_RATE / 2, 1 + N_FFT // 2, endpoint=True)
    mel_f = _mel_to_hz(np.linspace(_hz_to_mel(FMIN), _hz_to_mel(FMAX), N_MELS + 2))
    fdiff = np.diff(mel_f)
    ramps = np.subtract.outer(mel_f, fft_freqs)
    lower = -ramps[:N_MELS] / fdiff[:N_MELS, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0, np.minimum(lower, upper)).astype(np.float32)
    enorm = 2.0 / (mel_f[2:N_MELS + 2] - mel_f[:N_MELS])
    weights = (weights * enorm[:, None]).astype(np.float32)
    weights.setflags(write=False)
    return weights


def resample(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """``samples`` at ``sample_rate`` converted to 16 kHz with ``scipy.signal.resample_poly``
    (a Kaiser-windowed polyphase filter; Magenta itself uses librosa/resampy, so resampled
    input is close to, not bit-equal with, Magenta's)."""
    from scipy.signal import resample_poly

    if sample_rate == SAMPLE_RATE:
        return samples
    divisor = gcd(int(sample_rate), SAMPLE_RATE)
    return resample_poly(samples.astype(np.float64), SAMPLE_RATE // divisor,
                         int(sample_rate) // divisor).astype(np.float32)


def check_samples(samples, sample_rate) -> np.ndarray:
    """Mono float32 samples at 16 kHz, resampled from ``sample_rate`` if needed (with a
    UserWarning below 16 kHz: such audio lacks part of the band the model was trained on).

    Raises:
        AudioInputError: not 1-D, not finite, or a sample rate that is not a positive integer
            of at least 4 kHz.
    """
    array = np.asarray(samples)
    if array.ndim != 1 or not (np.issubdtype(array.dtype, np.floating)
                               or np.issubdtype(array.dtype, np.integer)):
        raise AudioInputError(f"expected 1-D audio samples (mono), got an array of shape "
                              f"{array.shape} and dtype {array.dtype}")
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, (int, np.integer)) \
            or sample_rate < MIN_INPUT_RATE:
        raise AudioInputError(
            f"sample_rate must be an integer of at least {MIN_INPUT_RATE} Hz (the model hears "
            f"up to 8 kHz and was trained at {SAMPLE_RATE} Hz), got {sample_rate!r}")
    array = array.astype(np.float32, copy=False)
    if not np.all(np.isfinite(array)):
        raise AudioInputError("the audio samples contain NaN or infinite values")
    if sample_rate < SAMPLE_RATE:
        warnings.warn(f"audio at {sample_rate} Hz is resampled to {SAMPLE_RATE} Hz; it holds "
                      f"nothing above {sample_rate // 2} Hz, so the transcription may miss "
                      "what the model would hear in full-band audio", UserWarning, stacklevel=4)
    return resample(array, int(sample_rate))


def magenta_samples(samples: np.ndarray) -> np.ndarray:
    """What Magenta's model pipeline decodes: peak-normalised (``librosa.util.normalize``),
    re-encoded to int16 by truncation and read back as int16 / 32767 (float32)."""
    x = np.asarray(samples, dtype=np.float32)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak < np.finfo(np.float32).tiny:
        peak = 1.0  # librosa leaves silence as it is
    normalised = (x.astype(np.float64) / peak).astype(np.float32)
    pcm = (normalised * np.float32(INT16_MAX)).astype(np.int16)
    return pcm.astype(np.float32) / np.float32(INT16_MAX)


def num_frames(num_samples: int) -> int:
    """Magenta's frame count for ``num_samples`` at 16 kHz: ``int(n / 16000 * 31.25)``."""
    return int(num_samples / SAMPLE_RATE * FRAMES_PER_SECOND)


def mel_power(samples: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Mel power [stop - start, 229] (float32) of frames ``start:stop`` of the centred STFT
    of ``samples`` (librosa's reflect padding at both ends), computed in float64."""
    half = N_FFT // 2
    first, last = start * HOP_LENGTH - half, (stop - 1) * HOP_LENGTH + half
    lo, hi = max(first, 0), min(last, len(samples))
    segment = samples[lo:hi].astype(np.float64)
    pad_left, pad_right = lo - first, last - hi
    if pad_left or pad_right:  # only at the clip's edges: np.pad's reflect is librosa's
        padded = np.pad(samples.astype(np.float64), half, mode="reflect")
        segment = padded[first + half:last + half]
    frames = np.lib.stride_tricks.sliding_window_view(segment, N_FFT)[::HOP_LENGTH]
    window = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(N_FFT) / N_FFT)  # periodic Hann
    spectrum = np.fft.rfft(frames * window, axis=1)
    power = (spectrum.real ** 2 + spectrum.imag ** 2).astype(np.float32)
    return power @ mel_basis().T


def power_to_db(power: np.ndarray) -> np.ndarray:
    """librosa's ``power_to_db(S)`` (ref 1.0, amin 1e-10, top_db 80 below the max), float32."""
    db = np.float32(10.0) * np.log10(np.maximum(np.float32(AMIN), power))
    if db.size:
        np.maximum(db, db.max() - np.float32(TOP_DB), out=db)
    return db


def model_input(samples: np.ndarray, block_frames: int = 2048) -> np.ndarray:
    """The model input [frames, 229] for 16 kHz samples already prepared by
    :func:`magenta_samples`. The dB floor is 80 dB below the maximum over all
    ``1 + n // 512`` STFT frames (the last of which Magenta then cuts); the STFT runs
    ``block_frames`` at a time."""
    frames = num_frames(len(samples))
    if frames == 0:
        return np.zeros((0, N_MELS), np.float32)
    stft_frames = 1 + len(samples) // HOP_LENGTH
    power = np.empty((stft_frames, N_MELS), np.float32)
    for start in range(0, stft_frames, block_frames):
        stop = min(start + block_frames, stft_frames)
        power[start:stop] = mel_power(samples, start, stop)
    return power_to_db(power)[:frames]


def mel_spectrogram(samples, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Magenta's Onsets and Frames model input, float32 [frames, 229] (dB).

    Args:
        samples: mono audio, e.g. a WAV read as note-seq does (int16 / 32767); any level, as
            Magenta normalises the peak to 1.0 first.
        sample_rate: Hz; other rates than 16000 are resampled (:func:`resample`).

    Raises:
        AudioInputError: samples that are not 1-D and finite, or an unusable sample rate.
    """
    return model_input(magenta_samples(check_samples(samples, sample_rate)))
