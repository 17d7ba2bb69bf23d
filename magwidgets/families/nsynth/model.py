"""The NSynth WaveNet autoencoder as one object: encode a sound into 16-channel frames (one per
512 samples), mix two encodings, decode back to 16 kHz audio one sample at a time."""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from math import ceil
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from magwidgets.errors import GenerationCancelled, GenerationError
from magwidgets.families.nsynth import network
from magwidgets.families.nsynth.audio import SAMPLE_RATE, Audio, to_model_rate
from magwidgets.families.nsynth.checkpoint import (
    HOP_LENGTH,
    Sizes,
    read_sizes,
    read_weights,
)
from magwidgets.families.nsynth.configs import CONFIGS
from magwidgets.families.nsynth.fastgen import (
    FastDecoder,
    class_audio,
    generate,
    one_blas_thread,
)
from magwidgets.families.registry import NamedConfig
from magwidgets.io.waveform import AudioError, Waveform

Cancel = threading.Event | Callable[[], bool] | None
BACKEND = "nsynth"


class NSynth:
    """Magenta's NSynth WaveNet autoencoder (h512_bo16 or any size read from the weights).

    ``encode`` is ``fastgen.encode``; ``decode`` is ``fastgen.synthesize`` (same sampler: a
    ``seed`` gives the draws of ``np.random.seed(seed)``); ``predict_proba`` is the decoder's
    teacher-forced softmax. Weights (Magenta's names) are in ``weights_``.
    """

    sample_rate = SAMPLE_RATE
    hop_length = HOP_LENGTH

    def __init__(self, weights: dict[str, np.ndarray], sizes: Sizes, source: Path) -> None:
        self.weights_, self.sizes, self.source = weights, sizes, source
        self._fast = FastDecoder.from_weights(weights, sizes)

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> NSynth:
        """Load a checkpoint folder or ``model.ckpt-N`` prefix (TensorFlow once, then cached)."""
        weights, prefix = read_weights(path)
        return cls(weights, read_sizes(weights, prefix), prefix)

    @property
    def config(self) -> NamedConfig:
        """The released config (its sizes are read from the weights)."""
        return CONFIGS["h512_bo16"]

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines that say what this model is (``magwidgets info``)."""
        s = self.sizes
        return [("decoder", f"{s.layers} layers x {s.width} (skip {s.skip_width}), "
                            "256 mu-law classes"),
                ("encoder", f"{s.ae_layers} layers x {s.ae_width}, {s.bottleneck} numbers per "
                            f"{self.hop_length} samples at {self.sample_rate} Hz")]

    def __repr__(self) -> str:
        s = self.sizes
        return (f"NSynth({self.source.name}: decoder {s.layers}x{s.width} (skip {s.skip_width}),"
                f" encoder {s.ae_layers}x{s.ae_width}, {s.bottleneck}-channel encodings)")

    @one_blas_thread
    def encode(self, audio: Audio, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        """Encodings ``f32[frames, 16]`` of a sound (``[batch, frames, 16]`` for a batch
        ``[batch, samples]``), one frame per 512 samples; like ``fastgen.encode`` the sound is
        cut to a whole number of frames. Arrays are at ``sample_rate`` Hz; Waveforms and files
        carry their own rate. Other rates are resampled to 16 kHz (with a warning)."""
        samples = to_model_rate(audio, sample_rate)
        usable = samples.shape[-1] // HOP_LENGTH * HOP_LENGTH
        if usable == 0:
            raise AudioError(f"the audio has {samples.shape[-1]} samples at 16 kHz; NSynth "
                             f"needs at least {HOP_LENGTH} (one {HOP_LENGTH}-sample frame)"
                             + (" (a 2-D array is a batch [batch, samples])"
                                if samples.ndim == 2 else ""))
        batch = samples.reshape(-1, samples.shape[-1])[:, :usable]
        encodings = network.encode(self.weights_, self.sizes, batch)
        return encodings if samples.ndim == 2 else encodings[0]

    @one_blas_thread
    def predict_proba(self, encoding: np.ndarray, audio: Audio,
                      sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        """Teacher-forced ``f32[samples, 256]``: row t is p(mu-law class of sample t | the true
        samples before t, ``encoding[t // 512]``); ``encoding`` has ceil(samples / 512)
        frames."""
        samples = to_model_rate(audio, sample_rate)
        if samples.ndim != 1:
            raise AudioError(f"predict_proba takes one sound [samples], got shape "
                             f"{list(samples.shape)}")
        frames = self._check_encodings(encoding, single=True)
        needed = ceil(len(samples) / HOP_LENGTH)
        if len(frames) != needed:
            raise GenerationError(f"{len(samples)} samples need ceil({len(samples)} / "
                                  f"{HOP_LENGTH}) = {needed} encoding frames, got {len(frames)}")
        return network.teacher_forced(self.weights_, self.sizes, frames[None], samples[None])[0]

    def decode(self, encodings: np.ndarray, *, seed: int | None = None,
               uniforms: np.ndarray | None = None, progress: bool = True,
               cancel: Cancel = None,
               on_progress: Callable[[int, int], None] | None = None
               ) -> Waveform | list[Waveform]:
        """Audio from encodings ``[frames, 16]`` (a Waveform of frames x 512 samples), or a
        list of them for a batch ``[batch, frames, 16]``: Magenta's ``fastgen.synthesize``.

        Sample t draws class ``searchsorted(cumsum(p_t), u_t, side='left')``; the draws u come
        from ``np.random.RandomState(seed)`` as Magenta's ``np.random.seed(seed)`` gives them,
        or are replayed from ``uniforms`` (``[samples]`` or ``[batch, samples]``). ``cancel``
        (an Event or a callable returning True) is checked every 256 samples and stops the
        decode with :class:`GenerationCancelled` (its ``partial`` holds the audio so far);
        ``on_progress(done, total)`` is called as often.
        """
        batch = self._check_encodings(encodings, single=False)
        total = batch.shape[1] * HOP_LENGTH
        draws = self._uniforms(batch.shape[0], total, seed, uniforms, np.ndim(encodings) == 2)
        stop = cancel.is_set if isinstance(cancel, threading.Event) else cancel
        bar = tqdm(total=total, unit="sample", desc="NSynth decode", disable=not progress,
                   smoothing=0.1)

        def report(done: int) -> bool:
            bar.update(done - bar.n)
            if on_progress is not None:
                on_progress(done, total)
            return not (stop is not None and stop())

        with bar:
            classes, _ = generate(self._fast, batch, draws, on_progress=report)
        sounds = [Waveform(class_audio(row), SAMPLE_RATE, BACKEND) for row in classes]
        result = sounds[0] if np.ndim(encodings) == 2 else sounds
        if classes.shape[1] < total:
            raise GenerationCancelled(f"decoding cancelled after {classes.shape[1]} of {total} "
                                      "samples", partial=result)
        return result

    def interpolate(self, a: np.ndarray, b: np.ndarray, amount: float) -> np.ndarray:
        """The mix ``(1 - amount) a + amount b`` of two encodings (``amount`` in [0, 1]); the
        longer one is cut to the shorter's frames (with a warning)."""
        first, second = (self._check_encodings(e, single=False) for e in (a, b))
        if not 0.0 <= float(amount) <= 1.0:
            raise GenerationError(f"amount must be in [0, 1] (0 = a, 1 = b), got {amount}")
        frames = min(first.shape[1], second.shape[1])
        if first.shape[1] != second.shape[1]:
            warnings.warn(f"encodings of {first.shape[1]} and {second.shape[1]} frames: both "
                          f"cut to {frames}", stacklevel=2)
        mix = (np.float32(1 - amount) * first[:, :frames]
               + np.float32(amount) * second[:, :frames])
        return mix[0] if np.ndim(a) == 2 and np.ndim(b) == 2 else mix

    def _check_encodings(self, encodings: np.ndarray, single: bool) -> np.ndarray:
        """``encodings`` as ``f32[batch, frames, 16]`` (``[frames, 16]`` when ``single``)."""
        width = self.sizes.bottleneck
        shapes = f"[frames, {width}]" + ("" if single else f" or [batch, frames, {width}]")
        try:
            array = np.asarray(encodings, dtype=np.float32)
        except (TypeError, ValueError):
            raise GenerationError(f"expected encodings of shape {shapes}, got "
                                  f"{type(encodings).__name__}") from None
        if array.ndim not in ((2,) if single else (2, 3)) or array.shape[-1] != width or (
                array.shape[-2] == 0):
            raise GenerationError(f"expected encodings of shape {shapes} (at least one "
                                  f"frame), got shape {list(array.shape)}")
        if not np.all(np.isfinite(array)):
            raise GenerationError("the encodings hold NaN or infinite values")
        return array if single else array.reshape(-1, *array.shape[-2:])

    @staticmethod
    def _uniforms(batch: int, total: int, seed: int | None, uniforms: np.ndarray | None,
                  single: bool) -> np.ndarray:
        """The sampler's draws ``f64[batch, total]``: replayed, or Magenta's for ``seed``."""
        if uniforms is None:
            # Magenta: np.random.seed(seed), then np.random.rand(batch) at every step
            return np.random.RandomState(seed).rand(total, batch).T
        if seed is not None:
            raise GenerationError("give seed or uniforms, not both")
        draws = np.asarray(uniforms, np.float64)
        want = (total,) if single else (batch, total)
        if draws.shape != want:
            raise GenerationError(f"uniforms must have shape {list(want)} (one draw per "
                                  f"sample), got {list(draws.shape)}")
        if not np.all((draws >= 0) & (draws < 1)):
            raise GenerationError("uniforms must lie in [0, 1)")
        return draws.reshape(batch, total)
