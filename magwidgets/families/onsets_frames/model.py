"""``OnsetsAndFrames``: piano transcription, audio -> four [frames, 88] heads -> NoteSequence,
in NumPy, chunk by chunk so that memory does not grow with the recording's convolutions.

The convolutional stacks run on chunks of ``chunk_frames`` frames plus the 3 frames of
context each side that their 3x3 kernels see (as Magenta.js's ``batchInput`` does), so the
result is the whole-recording one; chunks run on ``threads`` worker threads, one BLAS thread
each. LSTMs carry their state from chunk to chunk: for the unidirectional config that is
exactly Magenta(.js)'s output with memory flat in the length; the bidirectional LSTMs need
the whole recording, as in Magenta, so they keep the fc_end outputs of the onset and offset
stacks (2 x fc_size floats a frame) and run forward and backward over all of them.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Union

import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.errors import GenerationError
from magwidgets.families.onsets_frames import checkpoint
from magwidgets.families.onsets_frames.configs import CONFIGS, TranscriptionConfig
from magwidgets.families.onsets_frames.decode import Decoding, probabilities_to_note_sequence
from magwidgets.families.onsets_frames.layers import LstmRunner, Workspace, sigmoid
from magwidgets.families.onsets_frames.mel import SAMPLE_RATE, mel_spectrogram
from magwidgets.families.onsets_frames.network import PITCHES, Network, build_network
from magwidgets.io.waveform import read_audio
from magwidgets.validation import refuse_unknown

Audio = Union[np.ndarray, str, Path, bytes]
HEADS = ("onset_probs", "offset_probs", "frame_probs", "velocity_values")
DEFAULT_CHUNK_FRAMES = 64  # frames per convolution chunk (~25 MB of im2col at full size)
MAX_THREADS = 8


def _default_threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_THREADS, cores))


def _one_blas_thread():
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=1, user_api="blas")


def _decoding(thresholds: dict) -> Decoding:
    """Decoding settings from keywords, refusing unknown ones with the nearest names."""
    refuse_unknown(thresholds, list(Decoding.__dataclass_fields__), "unknown decoding setting")
    return Decoding(**thresholds)


class OnsetsAndFrames:
    """Magenta's Onsets and Frames piano transcriber (the MAESTRO ``onsets_frames``
    bidirectional config or the unidirectional ``onsets_frames_uni``), sizes from the
    weights. Load with :meth:`from_checkpoint`."""

    def __init__(self, network: Network, source: Path, *, chunk_frames: int = DEFAULT_CHUNK_FRAMES,
                 threads: int | None = None):
        if not isinstance(chunk_frames, int) or chunk_frames < 1:
            raise GenerationError(f"chunk_frames must be a positive integer, got {chunk_frames!r}")
        self.network_ = network
        self.source = Path(source)
        self.chunk_frames = chunk_frames
        self.threads = threads or _default_threads()

    @classmethod
    def from_checkpoint(cls, path: str | Path, **options) -> OnsetsAndFrames:
        """Load Magenta's ``--model_dir`` or a Magenta.js ``onsets_frames_uni`` folder
        (``options``: ``chunk_frames``, ``threads``). TensorFlow reads a TF checkpoint once;
        later loads come from the weights cache.

        Raises:
            BundleError: no checkpoint there, or not an Onsets and Frames one.
        """
        weights = checkpoint.read_weights(path)
        return cls(build_network(weights, Path(path)), Path(path), **options)

    # what the model is --------------------------------------------------------------------

    @property
    def bidirectional(self) -> bool:
        """True for the MAESTRO config's bidirectional LSTMs."""
        return self.network_.bidirectional

    @property
    def sizes(self) -> dict:
        """Magenta's size hparams as read from the weights."""
        net = self.network_
        frame = net.stacks["frame"]
        return {"num_filters": [conv.channels for conv in frame.convs],
                "fc_size": frame.fc.kernel.shape[1],
                "onset_lstm_units": net.lstms["onsets"].units,
                "offset_lstm_units": net.lstms["offsets"].units if net.has_offsets else 0,
                "combined_lstm_units": net.lstms["frame"].units,
                "bidirectional": net.bidirectional, "offset_network": net.has_offsets}

    @property
    def config(self) -> TranscriptionConfig:
        """The config these weights are (by their LSTMs' direction)."""
        return CONFIGS["onsets_frames" if self.bidirectional else "onsets_frames_uni"]

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines that say what this model is (``magwidgets info``)."""
        sizes = self.sizes
        return [("weights", f"{self.network_.parameter_count:,}"),
                ("convs", f"{sizes['num_filters']} filters, fc {sizes['fc_size']}"),
                ("lstms", f"onsets {sizes['onset_lstm_units']}, offsets "
                          f"{sizes['offset_lstm_units']}, frames {sizes['combined_lstm_units']}"
                          f" ({'bi' if self.bidirectional else 'uni'}directional)")]

    def __repr__(self) -> str:
        kind = "bidirectional" if self.bidirectional else "unidirectional"
        return (f"OnsetsAndFrames({kind}, {self.network_.parameter_count:,} weights, "
                f"from {self.source})")

    # audio -> outputs ---------------------------------------------------------------------

    def mel_spectrogram(self, audio: Audio, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
        """The model input f32[frames, 229] for ``audio`` (see :meth:`predict`)."""
        samples, rate = self._samples(audio, sample_rate)
        return mel_spectrogram(samples, rate)

    def predict(self, audio: Audio, sample_rate: int = SAMPLE_RATE) -> dict[str, np.ndarray]:
        """The model's four heads for ``audio``, each f32[frames, 88] (pitch 0 = MIDI 21):
        ``onset_probs``, ``offset_probs`` (zeros for a checkpoint without an offset stack),
        ``frame_probs`` and ``velocity_values`` (linear, unclipped).

        Args:
            audio: mono samples (any level: Magenta normalises the peak), a sound file's
                path or bytes, or a :class:`~magwidgets.io.Waveform` (its own rate is used).
            sample_rate: of ``audio`` samples; other rates than 16000 Hz are resampled with
                ``scipy.signal.resample_poly`` (below 16 kHz with a warning: the model then
                hears less than the 8 kHz band it was trained on).

        Digital silence (every sample 0) gives zeros, so an empty transcription, without
        running the network (Magenta would run it on a constant -100 dB input).

        Raises:
            AudioError: a file that is missing, not audio or corrupt.
            AudioInputError: samples that are not 1-D and finite, or a rate below 4 kHz.
        """
        samples, rate = self._samples(audio, sample_rate)
        mel = mel_spectrogram(samples, rate)
        if not np.any(samples):  # digital silence: nothing to transcribe
            return {name: np.zeros((mel.shape[0], PITCHES), np.float32) for name in HEADS}
        return self.forward(mel)

    def transcribe(self, audio: Audio, sample_rate: int = SAMPLE_RATE,
                   **thresholds) -> music_pb2.NoteSequence:
        """The NoteSequence Magenta's transcribe script writes for ``audio`` (see
        :meth:`predict`); ``thresholds`` are Magenta's decoding hparams (see :meth:`decode`).

        Raises:
            GenerationError: an unknown keyword or a value out of range (before any work).
        """
        decoding = _decoding(thresholds)
        return probabilities_to_note_sequence(self.predict(audio, sample_rate), decoding)

    def decode(self, outputs: dict[str, np.ndarray], **thresholds) -> music_pb2.NoteSequence:
        """A NoteSequence from :meth:`predict`'s outputs, so thresholds can change without
        running the model again. Keywords (Magenta's defaults): ``onset_threshold=0.5``,
        ``frame_threshold=0.5``, ``offset_threshold=0`` (0 ignores offsets; an onset
        threshold of 0 ignores onsets), ``velocity_scale=80``, ``velocity_bias=10`` (MIDI
        velocity = int(clip(v, 0, 1) * scale + bias)), ``min_duration_ms=0``.

        Raises:
            GenerationError: an unknown keyword or a value out of range.
        """
        return probabilities_to_note_sequence(outputs, _decoding(thresholds))

    def _samples(self, audio: Audio, sample_rate: int) -> tuple[np.ndarray, int]:
        if isinstance(audio, (str, Path, bytes)):
            audio = read_audio(audio)
        return np.asarray(audio), getattr(audio, "sample_rate", None) or sample_rate

    # the network --------------------------------------------------------------------------

    def forward(self, mel: np.ndarray) -> dict[str, np.ndarray]:
        """The four heads f32[T, 88] for the model input mel f32[T, 229]."""
        net = self.network_
        frames = mel.shape[0]
        out = {name: np.zeros((frames, PITCHES), np.float32) for name in HEADS}
        if frames == 0:
            return out
        lstm_stacks = ["onsets", "offsets"] if net.has_offsets else ["onsets"]
        keep_fc = {name: np.empty((frames, net.stacks[name].fc.kernel.shape[1]), np.float32)
                   for name in lstm_stacks} if net.bidirectional else {}
        activation = np.empty((frames, PITCHES), np.float32)
        with _one_blas_thread(), ThreadPoolExecutor(max_workers=self.threads) as pool:
            # unidirectional LSTMs step in this thread while the pool computes convolutions;
            # bidirectional ones run after them, their directions spread over the pool
            runners = self._runners(lstm_stacks, pool if net.bidirectional else None)
            for start, stop, chunk in self._acoustic_chunks(mel, pool):
                out["velocity_values"][start:stop] = chunk["velocity"]
                activation[start:stop] = chunk["activation"]
                if net.bidirectional:
                    for name in lstm_stacks:
                        keep_fc[name][start:stop] = chunk[name]
                else:
                    self._recurrent(runners, lstm_stacks, chunk, activation[start:stop],
                                    out, slice(start, stop))
            if net.bidirectional:
                self._recurrent(runners, lstm_stacks, keep_fc, activation, out, slice(0, frames))
        return out

    def _runners(self, lstm_stacks: list[str],
                 pool: ThreadPoolExecutor | None) -> tuple[list[LstmRunner], LstmRunner]:
        """Runners for the onset/offset LSTMs (together when they have one shape) and the
        combined frame LSTM; ``pool`` spreads their cells over threads."""
        lstms = [self.network_.lstms[name] for name in lstm_stacks]
        shapes = {(lstm.units, len(lstm.layers), lstm.bidirectional) for lstm in lstms}
        chunk = max(self.chunk_frames, 256)
        stacked = [LstmRunner(lstms, chunk, pool)] if len(shapes) == 1 else \
            [LstmRunner([lstm], chunk, pool) for lstm in lstms]
        return stacked, LstmRunner([self.network_.lstms["frame"]], chunk, pool)

    def _recurrent(self, runners, lstm_stacks, features, activation, out, rows) -> None:
        """The LSTMs and their heads for frames ``rows``, from the stacks' fc_end outputs."""
        net = self.network_
        stacked, frame_runner = runners
        if len(stacked) == 1:
            lstm_out = stacked[0].run([features[name] for name in lstm_stacks])
        else:
            lstm_out = [runner.run([features[name]])[0]
                        for runner, name in zip(stacked, lstm_stacks)]
        probs = {name: sigmoid(net.heads[name](x)) for name, x in zip(lstm_stacks, lstm_out)}
        out["onset_probs"][rows] = probs["onsets"]
        combined = [probs["onsets"], activation]
        if net.has_offsets:
            out["offset_probs"][rows] = probs["offsets"]
            combined.append(probs["offsets"])
        frame_in = np.concatenate(combined, axis=1)
        out["frame_probs"][rows] = sigmoid(net.heads["frame"](frame_runner.run([frame_in])[0]))

    def _acoustic_chunks(self, mel: np.ndarray, pool: ThreadPoolExecutor):
        """(start, stop, conv-stack outputs) for consecutive chunks, computed ahead on the
        worker threads (at most two chunks per thread in flight)."""
        frames, size, context = mel.shape[0], self.chunk_frames, self.network_.context

        local = threading.local()

        def work(start: int) -> tuple[int, int, dict]:
            if not hasattr(local, "workspace"):
                local.workspace = Workspace()
            stop = min(start + size, frames)
            lo, hi = max(0, start - context), min(frames, stop + context)
            pad = (lo == 0, hi == frames)  # the recording's own ends are zero padded
            first = lo if pad[0] else lo + context  # the frame of the outputs' first row
            outputs = self.network_.acoustic(mel[lo:hi], pad, local.workspace)
            keep = slice(start - first, stop - first)
            return start, stop, {name: value[keep] for name, value in outputs.items()}

        starts = iter(range(0, frames, size))
        pending = deque(pool.submit(work, s) for _, s in zip(range(2 * self.threads), starts))
        while pending:
            result = pending.popleft().result()
            following = next(starts, None)
            if following is not None:
                pending.append(pool.submit(work, following))
            yield result
