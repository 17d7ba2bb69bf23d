"""GANSynth's mel-IF spectrogram -> waveform step, as Magenta's ``SpecgramsHelper`` runs it.

Magenta (``specgrams_helper.melspecgrams_to_waves``) maps the log-mel power back to linear
frequency with a pseudo-inverse mel matrix, integrates the instantaneous frequency (IF) into
phase, maps that phase to linear frequency too, turns it back into IF through its own
``unwrap`` and integrates again, then runs an inverse STFT. Every step is float32, in the same
order, because a tiny IF error becomes a phase drift over the whole note.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import scipy.fft

SAMPLE_RATE = 16000  # Hz
FFT_SIZE = 2048  # samples per STFT frame (frequency bins 1..1024 are the spectrogram's)
HOP = 512  # samples between frames (overlap 0.75)
MEL_BREAK_HZ = 700.0
MEL_HIGH_Q = 1127.0
LOG_EPS = 1.0e-6  # Magenta's _safe_log offset
MAX_TAPS = 2  # mel bands that overlap any one linear bin (checked when the taps are built)
_PI = np.float32(np.pi)
_TWO_PI = np.float32(2.0 * np.pi)


def _mel(hertz: np.ndarray | float) -> np.ndarray:
    return MEL_HIGH_Q * np.log(1.0 + np.asarray(hertz) / MEL_BREAK_HZ)


def _hertz(mel: np.ndarray | float) -> np.ndarray:
    return MEL_BREAK_HZ * (np.exp(np.asarray(mel) / MEL_HIGH_Q) - 1.0)


def linear_to_mel_matrix(bins: int, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """Magenta's ``spectral_ops.linear_to_mel_weight_matrix`` (float64, [bins, bins]): as
    many mel bands as linear bins over 0..Nyquist, each at least 1.5 bins wide."""
    nyquist = sample_rate / 2.0
    linear = np.linspace(0.0, nyquist, bins)[1:, np.newaxis]  # the DC bin is zeroed
    edges = np.linspace(_mel(0.0), _mel(nyquist), bins + 2)
    # Views of one array, widened in place band by band as Magenta does: widening band i
    # also moves the centre of band i-1 and the upper edge of band i-2.
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    min_width = 1.5 * nyquist / float(bins)
    for band in range(bins):
        if _hertz(upper[band]) - _hertz(lower[band]) < min_width:
            rhs = 0.5 * min_width / (_hertz(center[band]) + MEL_BREAK_HZ)
            half = MEL_HIGH_Q * np.log(rhs + np.sqrt(1.0 + rhs**2))
            lower[band], upper[band] = center[band] - half, center[band] + half
    lower_hz, center_hz, upper_hz = (_hertz(v)[np.newaxis, :] for v in (lower, center, upper))
    rising = (linear - lower_hz) / (center_hz - lower_hz)
    falling = (upper_hz - linear) / (upper_hz - center_hz)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [[1, 0], [0, 0]])


@cache
def mel_to_linear_matrix(bins: int = FFT_SIZE // 2) -> np.ndarray:
    """Magenta's ``_mel_to_linear_matrix`` as the float32 constant its graph uses
    ([mel, linear]): the transposed mel matrix with columns scaled by 1 / (M Mᵀ) row sums."""
    forward = linear_to_mel_matrix(bins)
    sums = np.sum(forward @ forward.T, axis=0)
    scale = np.array([1.0 / s if np.abs(s) > 1.0e-8 else s for s in sums])
    matrix = (forward.T * scale[np.newaxis, :]).astype(np.float32)  # = forward.T @ diag(scale)
    matrix.setflags(write=False)
    return matrix


@cache
def _mel_taps(bins: int) -> tuple[np.ndarray, np.ndarray]:
    """The mel->linear matrix as taps: each linear bin is a weighted sum of at most two mel
    bins, so ``x @ M`` is ``x[..., index[0]] * weight[0] + x[..., index[1]] * weight[1]``
    (the same terms as the dense product, 100x fewer operations)."""
    matrix = mel_to_linear_matrix(bins)
    order = np.argsort(matrix == 0, axis=0, kind="stable")[:MAX_TAPS]  # nonzero rows first
    weights = np.take_along_axis(matrix, order, axis=0)
    if np.count_nonzero(matrix) != np.count_nonzero(weights):
        raise AssertionError("a linear bin draws on more than two mel bins")
    return order, weights


def _mel_to_linear(values: np.ndarray) -> np.ndarray:
    """``values @ mel_to_linear_matrix()`` over the last axis, through the two taps."""
    index, weight = _mel_taps(values.shape[-1])
    # a fused multiply-add onto the first product, as BLAS accumulates (exact in float64)
    first = np.take(values, index[0], axis=-1) * weight[0]
    second = np.take(values, index[1], axis=-1).astype(np.float64) * weight[1]
    return (second + first).astype(np.float32)


def _unwrap(phase: np.ndarray) -> np.ndarray:
    """Magenta's ``spectral_ops.unwrap`` along time (axis 1), its quirks included: the
    ``discont`` test is computed and then ignored, so every jump is folded into (-π, π]."""
    jumps = np.diff(phase, axis=1)
    folded = np.mod(jumps + _PI, _TWO_PI) - _PI
    folded = np.where((folded == -_PI) & (jumps > 0), _PI, folded)
    correction = np.cumsum(folded - jumps, axis=1)
    return phase + np.concatenate([np.zeros_like(phase[:, :1]), correction], axis=1)


def _instantaneous_frequency(phase: np.ndarray) -> np.ndarray:
    """Magenta's ``instantaneous_frequency`` (with unwrap): the first frame's phase, then the
    frame-to-frame differences of the unwrapped phase, over π."""
    steps = np.diff(_unwrap(phase), axis=1)
    return np.concatenate([phase[:, :1], steps], axis=1) / _PI


def mel_to_linear_specgrams(mel: np.ndarray) -> np.ndarray:
    """Magenta's ``melspecgrams_to_specgrams``: [n, time, mel, 2] (log mel power, mel IF) ->
    [n, time, freq, 2] (log magnitude, IF), float32."""
    mel = np.asarray(mel, dtype=np.float32)
    power = _mel_to_linear(np.exp(mel[..., 0]))
    log_magnitude = np.float32(0.5) * np.log(power + np.float32(LOG_EPS))
    mel_phase = np.cumsum(mel[..., 1] * _PI, axis=1)
    frequency = _instantaneous_frequency(_mel_to_linear(mel_phase))
    return np.stack([log_magnitude, frequency], axis=-1)


def specgrams_to_stfts(specgrams: np.ndarray) -> np.ndarray:
    """Magenta's ``specgrams_to_stfts``: (log magnitude, IF) -> complex64 STFT bins 1..1024,
    the phase integrated along time."""
    magnitude = np.exp(specgrams[..., 0])
    phase = np.cumsum(specgrams[..., 1] * _PI, axis=1)
    return (magnitude * np.cos(phase) + 1j * (magnitude * np.sin(phase))).astype(np.complex64)


@cache
def _synthesis_window(frame_length: int = FFT_SIZE, hop: int = HOP) -> np.ndarray:
    """``tf.signal.inverse_stft_window_fn(hop)`` of the periodic Hann window."""
    hann = (0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(frame_length) / frame_length))
    hann = hann.astype(np.float32)
    overlaps = -(-frame_length // hop)
    squares = np.pad(hann**2, (0, overlaps * hop - frame_length)).reshape(overlaps, hop)
    denominator = np.tile(squares.sum(axis=0), overlaps)[:frame_length]
    window = hann / denominator
    window.setflags(write=False)
    return window


def inverse_stft(stfts: np.ndarray, audio_length: int) -> np.ndarray:
    """Magenta's ``stfts_to_waves``: zero DC bin prepended, ``tf.signal.inverse_stft``
    (frame 2048, hop 512), and the leading padding dropped: [n, frames, 1024] -> [n, samples]."""
    count, frames, _ = stfts.shape
    spectrum = np.concatenate([np.zeros_like(stfts[..., :1]), stfts], axis=-1)
    windowed = scipy.fft.irfft(spectrum, n=FFT_SIZE, axis=-1) * _synthesis_window()
    total = HOP * (frames - 1) + FFT_SIZE
    waves = np.zeros((count, total), dtype=np.float32)
    # overlap-add: frame f covers hops f .. f+3, so add four strided views of the frames
    quarters = windowed.reshape(count, frames, FFT_SIZE // HOP, HOP)
    for part in range(FFT_SIZE // HOP):
        start = part * HOP
        waves[:, start:start + frames * HOP] += quarters[:, :, part].reshape(count, -1)
    return waves[:, total - audio_length:total]


def mel_specgrams_to_waves(mel: np.ndarray, audio_length: int) -> np.ndarray:
    """Magenta's ``DataMelHelper.data_to_waves``: mel-IF spectrograms [n, time, mel, 2] ->
    float32 waveforms [n, audio_length]."""
    return inverse_stft(specgrams_to_stfts(mel_to_linear_specgrams(mel)), audio_length)
