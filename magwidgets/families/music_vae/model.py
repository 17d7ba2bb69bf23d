"""``MusicVAE``: encode NoteSequences to latent vectors and decode them back, in NumPy."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import pretty_midi
from note_seq.protobuf import music_pb2

from magwidgets.engine.blas import one_blas_thread
from magwidgets.engine.lstm import COMPUTE_DTYPE
from magwidgets.errors import BundleError, GenerationError, PrimerError
from magwidgets.families.music_vae.assemble import make_converter, make_decoder, misfits
from magwidgets.families.music_vae.checkpoint import load_weights
from magwidgets.families.music_vae.configs import VAEConfig, get_config
from magwidgets.families.music_vae.converters import Example, ExtractionFailure
from magwidgets.families.music_vae.network import Encoder
from magwidgets.io.sequences import SequenceLike, tempo_of, to_note_sequence
from magwidgets.validation import check_number

MAX_LENGTH = 100_000  # steps of one decode
MAX_SAMPLES = 1_000  # sequences of one sample() call
MIN_TEMPERATURE = 1e-9  # below this the decoders' logits / temperature overflow float32


def slerp(p0: np.ndarray, p1: np.ndarray, t: float) -> np.ndarray:
    """Spherical linear interpolation, as Magenta's ``TrainedModel.interpolate`` does it."""
    omega = np.arccos(np.dot(p0 / np.linalg.norm(p0), p1 / np.linalg.norm(p1)))
    so = np.sin(omega)
    return np.sin((1.0 - t) * omega) / so * p0 + np.sin(t * omega) / so * p1


@dataclass(frozen=True)
class EncodedWindow:
    """One window of a longer sequence as the model reads it, and its latent code."""

    start_time: float  # seconds into the sequence
    end_time: float
    instruments: tuple[int, ...]  # the sequence's instruments it was read from
    inputs: np.ndarray  # the encoder input [steps, depth]
    z: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray


class MusicVAE:
    """A Magenta MusicVAE (categorical, NADE and hierarchical configs, GrooVAE) in NumPy."""

    def __init__(self, config: VAEConfig, weights: dict[str, np.ndarray], source: str = ""):
        self.config = config
        self.converter = make_converter(config)
        try:
            self.encoder = Encoder(weights)
            self.decoder = make_decoder(config, weights)
        except KeyError as missing:
            raise BundleError(f"{source}: not a MusicVAE '{config.id}' checkpoint "
                              f"(variable {missing} is missing)") from None
        problems = misfits(self.converter, self.encoder, self.decoder)
        if problems:
            raise BundleError(f"{source}: the weights do not fit config '{config.id}' "
                              f"({'; '.join(problems)})")

    @classmethod
    def from_checkpoint(cls, path: str | Path, config: str) -> "MusicVAE":
        """Load a Magenta MusicVAE checkpoint ``.tar`` for the named config."""
        vae_config = get_config(config)
        return cls(vae_config, load_weights(path), str(path))

    @property
    def z_size(self) -> int:
        return self.encoder.z_size

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines that say what this model is (``magwidgets info``)."""
        encoder = [fw.units for fw, _ in self.encoder.layers]
        return [("latent", f"{self.z_size} numbers per {self.config.slice_bars}-bar window"),
                ("encoder", f"bidirectional LSTM {encoder}, {self.encoder.input_size} inputs"),
                ("decoder", f"{self.config.decoder} ({type(self.decoder).__name__})"),
                ("encoding", f"{self.config.converter}, {self.config.steps_per_quarter} "
                             "steps per quarter")]

    def _examples(self, music: SequenceLike, name: str) -> list[Example]:
        try:
            sequence = to_note_sequence(music)
        except PrimerError as error:
            raise PrimerError(f"{name}: {error}") from None
        try:
            return self.converter.to_tensors(sequence)
        except ExtractionFailure as failure:
            raise PrimerError(f"{name} yields no {self.config.slice_bars}-bar example "
                              f"for '{self.config.id}': {failure}") from None

    def _one_example(self, sequence: SequenceLike, k: int) -> np.ndarray:
        """The single example ``encode`` needs, or a PrimerError saying why there are more."""
        examples = self._examples(sequence, f"sequence {k}")
        if len(examples) == 1:
            return examples[0].inputs
        bars = self.config.slice_bars
        instruments = sorted({e.instruments for e in examples})
        if len(instruments) > 1:
            names = ", ".join("+".join(map(str, group)) for group in instruments)
            why = (f"several instruments play at once (instruments {names} each give an "
                   "example); keep one part")
        else:
            starts = ", ".join(f"{e.start_time:g}" for e in examples[:6])
            why = f"it is longer than {bars} bars (windows start at {starts} s)"
        raise PrimerError(f"sequence {k} yields {len(examples)} different {bars}-bar examples "
                          f"for '{self.config.id}': {why}; encode needs exactly one — "
                          "encode_windows() encodes every window")

    def _encode(self, inputs: list[np.ndarray], seed: int | None):
        lengths = np.array([len(x) for x in inputs])
        batch = np.zeros((len(inputs), lengths.max(), self.converter.input_depth), COMPUTE_DTYPE)
        for b, x in enumerate(inputs):
            batch[b, :len(x)] = x
        mu, sigma = self.encoder(batch, lengths)
        z = mu + sigma * np.random.default_rng(seed).standard_normal(mu.shape)
        return z.astype(np.float32), mu.astype(np.float32), sigma.astype(np.float32)

    @one_blas_thread
    def encode(self, sequences: Sequence[SequenceLike], seed: int | None = None):
        """``(z, mu, sigma)``, each [len(sequences), z_size]; z is drawn from N(mu, sigma).
        Each sequence (NoteSequence, PrettyMIDI or MIDI file path) must hold exactly one
        example (e.g. 2 bars of one melody), as in Magenta; ``encode_windows`` takes longer
        music."""
        if isinstance(sequences, (music_pb2.NoteSequence, pretty_midi.PrettyMIDI, str, Path)):
            sequences = [sequences]
        if not sequences:
            raise PrimerError("encode needs at least one NoteSequence")
        return self._encode([self._one_example(s, k) for k, s in enumerate(sequences)], seed)

    @one_blas_thread
    def encode_windows(self, sequence: SequenceLike,
                       seed: int | None = None) -> list[EncodedWindow]:
        """Every distinct window of the config's length in ``sequence`` (a NoteSequence,
        PrettyMIDI or MIDI file path), sliding by a bar (by a whole window for GrooVAE, as
        Magenta's converters do), by start time, each with its latent code — how the book's
        chapter 4 walks a long piece."""
        examples = self._examples(sequence, "the sequence")
        z, mu, sigma = self._encode([e.inputs for e in examples], seed)
        return [EncodedWindow(e.start_time, e.end_time, e.instruments, e.inputs,
                              z[i], mu[i], sigma[i]) for i, e in enumerate(examples)]

    def _check(self, length: int | None, temperature: float) -> int:
        length = self.config.max_seq_len if length is None else length
        length = check_number("length", length, low=1, high=MAX_LENGTH, integer=True)
        bar = self.config.steps_per_bar
        if self.config.level_lengths and (length % bar or length > self.config.max_seq_len):
            raise GenerationError(f"'{self.config.id}' decodes whole bars: length must be a "
                                  f"multiple of {bar} steps up to {self.config.max_seq_len}, "
                                  f"got {length}")
        check_number("temperature", temperature, low=MIN_TEMPERATURE)
        return length

    @one_blas_thread
    def decode(self, z, length: int | None = None, temperature: float = 1.0,
               seed: int | None = None) -> list[music_pb2.NoteSequence]:
        """One NoteSequence per latent vector (``length`` steps, default the config's; the
        16-bar hierarchical configs decode whole bars, so a multiple of 16 steps)."""
        length = self._check(length, temperature)
        z = np.asarray(z, dtype=COMPUTE_DTYPE)
        if z.ndim == 1:
            z = z[None]
        if z.ndim != 2 or z.shape[1] != self.z_size:
            raise GenerationError(f"z must be [n, {self.z_size}], got shape {z.shape}")
        outputs = self.decoder(z, length, float(temperature), np.random.default_rng(seed))
        return [self.converter.from_output(row) for row in outputs]

    def sample(self, n: int, length: int | None = None, temperature: float = 1.0,
               same_z: bool = False, seed: int | None = None) -> list[music_pb2.NoteSequence]:
        """``n`` sequences decoded from z drawn from N(0, I) (one shared z with ``same_z``)."""
        check_number("n", n, low=1, high=MAX_SAMPLES, integer=True)
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((1 if same_z else n, self.z_size))
        z = np.repeat(z, n, axis=0) if same_z else z
        return self.decode(z, length, temperature, seed=rng.integers(2**32))

    def interpolate(self, a: SequenceLike, b: SequenceLike,
                    num_steps: int, length: int | None = None, temperature: float = 1.0,
                    seed: int | None = None) -> list[music_pb2.NoteSequence]:
        """``num_steps`` sequences along the slerp between the mu of ``a`` and of ``b``
        (both end points included)."""
        if not isinstance(num_steps, (int, np.integer)) or num_steps < 1:
            raise GenerationError(f"num_steps must be a positive integer, got {num_steps!r}")
        _, mu, _ = self.encode([a, b])
        mu = mu.astype(np.float64)
        z = np.array([slerp(mu[0], mu[1], t) for t in np.linspace(0, 1, num_steps)])
        return self.decode(z, length, temperature, seed=seed)

    @one_blas_thread
    def humanize(self, drums: music_pb2.NoteSequence, temperature: float = 1.0,
                 seed: int | None = None) -> music_pb2.NoteSequence:
        """Magenta Studio's Groove: encode a (quantized-sounding) drum beat with the
        ``groovae_2bar_humanize`` converter and decode it at the same length, which adds
        timing offsets and velocities. Longer beats go through in 2-bar windows (the last
        one padded with silence) joined back, at the input's tempo."""
        return self._regroove(drums, "humanize", "groovae_2bar_humanize", temperature, seed)

    @one_blas_thread
    def drumify(self, taps: music_pb2.NoteSequence, temperature: float = 1.0,
                seed: int | None = None) -> music_pb2.NoteSequence:
        """Magenta Studio's Drumify: any notes (drum or not, any pitch) are taken as taps,
        encoded with the ``groovae_2bar_tap_fixed_velocity`` converter and decoded into a
        drum beat of the same length, in 2-bar windows joined back."""
        tapped = music_pb2.NoteSequence()
        tapped.CopyFrom(taps)
        for note in tapped.notes:
            note.pitch, note.is_drum, note.instrument = 42, True, 9
        return self._regroove(tapped, "drumify", "groovae_2bar_tap_fixed_velocity",
                              temperature, seed)

    def _regroove(self, sequence, what: str, expected: str, temperature: float, seed):
        option = {"humanize": "humanize", "drumify": "tapify"}[what]
        if self.config.converter != "groove" or not getattr(self.config, option):
            raise GenerationError(f"{what} needs a GrooVAE '{expected}' model; this one is "
                                  f"'{self.config.id}'")
        if not isinstance(sequence, music_pb2.NoteSequence):
            raise PrimerError(f"{what} takes one NoteSequence, got {type(sequence).__name__}")
        self._check(None, temperature)
        try:
            inputs, _ = self.converter.full_tensors(sequence, pad_to_window=True)
        except ExtractionFailure as failure:
            raise PrimerError(f"{what}: the sequence yields no input for "
                              f"'{self.config.id}': {failure}") from None
        window = self.converter.slice_steps
        batch = inputs.reshape(-1, window, inputs.shape[1])
        mu, _ = self.encoder(batch, np.full(len(batch), window))
        outputs = self.decoder(mu, window, float(temperature), np.random.default_rng(seed))
        qpm = tempo_of(sequence)
        step_length = 60.0 / qpm / self.converter.steps_per_quarter
        result = music_pb2.NoteSequence()
        result.tempos.add(qpm=qpm)
        result.time_signatures.add(numerator=4, denominator=4)
        for k, output in enumerate(outputs):
            self.converter.add_notes(result, output, step_length, start_step=k * window)
        result.notes.sort(key=lambda n: (n.start_time, n.pitch))
        result.total_time = max([len(inputs) * step_length]
                                + [n.end_time for n in result.notes])
        return result
