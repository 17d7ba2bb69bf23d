"""What a waveform view draws, as plain arrays: an amplitude envelope and a spectrogram, both
small enough to send to a browser whatever the sound's length."""

from __future__ import annotations

import numpy as np

ENVELOPE_POINTS = 2000  # columns of the amplitude plot
SPECTROGRAM_FRAMES = 400  # time columns of the spectrogram image, at most
FFT_SIZE = 1024
MIN_DB = -80.0  # the spectrogram's floor, relative to its loudest bin


def envelope(samples: np.ndarray, sample_rate: int, points: int = ENVELOPE_POINTS
             ) -> dict[str, np.ndarray]:
    """Per column of the plot: its time (s) and the lowest and highest sample in it."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size == 0:
        return {"time": np.zeros(0), "low": np.zeros(0), "high": np.zeros(0)}
    columns = min(points, samples.size)
    edges = np.linspace(0, samples.size, columns + 1).astype(int)
    low = np.minimum.reduceat(samples, edges[:-1])
    high = np.maximum.reduceat(samples, edges[:-1])
    return {"time": edges[:-1] / sample_rate, "low": low, "high": high}


def spectrogram(samples: np.ndarray, sample_rate: int, frames: int = SPECTROGRAM_FRAMES,
                fft_size: int = FFT_SIZE) -> np.ndarray:
    """Log-magnitude spectrogram [frequency bins, frames] in dB below its peak (floor
    ``MIN_DB``): Hann-windowed frames spread evenly over the sound."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.size < fft_size:
        samples = np.pad(samples, (0, fft_size - samples.size))
    count = min(frames, 1 + (samples.size - fft_size) // (fft_size // 4))
    starts = np.linspace(0, samples.size - fft_size, max(count, 1)).astype(int)
    windowed = samples[starts[:, None] + np.arange(fft_size)] * np.hanning(fft_size)
    power = np.abs(np.fft.rfft(windowed, axis=1)).T ** 2
    decibels = 10.0 * np.log10(np.maximum(power, 1e-20))
    return np.maximum(decibels - decibels.max(), MIN_DB).astype(np.float32)
