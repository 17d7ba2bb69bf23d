"""Audio as the models hold it: a :class:`Waveform` (mono float32 samples that know their rate),
and :func:`read_audio`, which reads a sound file or its bytes into one with clear errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, Union

import numpy as np

from magwidgets.errors import MagwidgetsError

AudioSource = Union[str, Path, bytes]


class AudioError(MagwidgetsError):
    """A sound cannot be read: not an audio file, corrupt, empty, or of an unusable shape."""


class Waveform(np.ndarray):
    """Mono float32 audio that knows its ``sample_rate`` (Hz) and ``backend`` (what made it).

    Synthesized audio lies in [-1, 1]; a neural model's samples are kept exactly as the model
    computed them (GANSynth's notes peak near ±5) and are normalised only for playback.
    """

    sample_rate: int
    backend: str

    def __new__(cls, samples: np.ndarray, sample_rate: int, backend: str) -> Waveform:
        waveform = np.asarray(samples, dtype=np.float32).view(cls)
        waveform.sample_rate, waveform.backend = sample_rate, backend
        return waveform

    def __array_finalize__(self, obj: Any) -> None:
        self.sample_rate = getattr(obj, "sample_rate", 0)
        self.backend = getattr(obj, "backend", "")

    @property
    def seconds(self) -> float:
        """The duration in seconds."""
        return len(self) / self.sample_rate if self.sample_rate else 0.0


def read_audio(source: AudioSource, *, name: str | None = None) -> Waveform:
    """A sound file (WAV, FLAC, OGG; a path or its bytes) as a mono :class:`Waveform`.

    Integer PCM is scaled as note-seq reads a WAV (int16 / 32767); several channels are
    averaged to one. ``name`` labels errors for bytes (an upload's file name).
    """
    import soundfile

    label = name or (str(source) if not isinstance(source, bytes) else "the audio data")
    if not isinstance(source, bytes) and not Path(source).is_file():
        raise AudioError(f"{label}: no such audio file")
    stream = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    try:
        info = soundfile.info(stream)
        if isinstance(stream, io.BytesIO):
            stream.seek(0)
        dtype = "int16" if info.subtype in ("PCM_16", "PCM_U8", "PCM_S8") else "float32"
        samples, rate = soundfile.read(stream, dtype=dtype, always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError, TypeError, ValueError) as error:
        reason = str(error).split(": ")[-1].strip() or type(error).__name__
        raise AudioError(f"{label}: not a readable audio file (WAV, FLAC or OGG expected; "
                         f"{reason})") from None
    if samples.size == 0:
        raise AudioError(f"{label}: the audio file holds no samples")
    mono = samples.astype(np.float32).mean(axis=1)
    if dtype == "int16":
        mono /= 32767.0
    return Waveform(mono, int(rate), "file")
