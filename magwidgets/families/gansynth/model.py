"""``GANSynth``: Magenta's neural instrument in NumPy. A latent vector z (the timbre) and a MIDI
pitch become 4 s of 16 kHz audio through a generated mel-IF spectrogram; a score is played
with instruments that morph over time, as ``gansynth_generate --midi_file`` plays it."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from magwidgets.errors import GenerationError
from magwidgets.families.gansynth import checkpoint, score, spectral
from magwidgets.families.gansynth.configs import CONFIGS
from magwidgets.families.gansynth.generator import Generator
from magwidgets.families.gansynth.parallel import map_notes
from magwidgets.families.registry import NamedConfig
from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.io.waveform import Waveform

LOWEST_PITCH = 24  # label 0: Magenta's NSynth pitch classes are 24..84 (inclusive), sorted
HIGHEST_PITCH = 84
DEFAULT_SECONDS_PER_INSTRUMENT = 6.0  # gansynth_generate's --secs_per_instrument default
BACKEND = "gansynth"

ZLike = np.ndarray | Iterable[float]


class GANSynth:
    """A finished GANSynth generator. Build it with :meth:`from_checkpoint` (or
    ``mw.load_model(folder)``)."""

    def __init__(self, generator: Generator, *, latent_size: int, audio_length: int,
                 sample_rate: int, source: str = "") -> None:
        self.generator_ = generator
        self.latent_size = latent_size
        self.audio_length = audio_length
        self.sample_rate = sample_rate
        self.source = source

    @classmethod
    def from_checkpoint(cls, path: str | Path) -> GANSynth:
        """Load Magenta's model folder (experiment.json + stage_000NN/); TensorFlow reads the
        EMA weights once, later loads come from the cache."""
        info = checkpoint.locate(path)
        flags = info.flags
        latent = int(flags["latent_vector_size"])
        weights = checkpoint.load_weights(info, latent + HIGHEST_PITCH - LOWEST_PITCH + 1)
        generator = Generator.from_weights(
            weights, flags["num_resolutions"], tanh=flags["to_rgb_activation"] == "tanh",
            scale=(flags["mag_normalizer_a"], flags["p_normalizer_a"]),
            offset=(flags["mag_normalizer_b"], flags["p_normalizer_b"]))
        return cls(generator, latent_size=latent, audio_length=int(flags["audio_length"]),
                   sample_rate=int(flags["sample_rate"]), source=str(info.folder))

    @property
    def config(self) -> NamedConfig:
        """The released config these weights run as."""
        return CONFIGS["mel_prog_hires"]

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines that say what this model is (``magwidgets info``)."""
        return [("latent", f"{self.latent_size} numbers per instrument, pitches "
                           f"{LOWEST_PITCH}-{HIGHEST_PITCH}"),
                ("audio", f"{self.audio_length / self.sample_rate:g} s at "
                          f"{self.sample_rate} Hz per note")]

    def __repr__(self) -> str:
        return f"GANSynth(latent_size={self.latent_size}, source={self.source!r})"

    # ---- input checks -----------------------------------------------------------------
    def _latents(self, z: ZLike, name: str = "z") -> np.ndarray:
        try:
            array = np.asarray(z, dtype=np.float64)
        except (TypeError, ValueError):
            raise GenerationError(f"{name} must be an array of numbers, got "
                                  f"{type(z).__name__}") from None
        if array.ndim == 1:
            array = array[np.newaxis]
        if array.ndim != 2 or array.shape[1] != self.latent_size or not len(array):
            raise GenerationError(f"{name} has shape {np.shape(z)}; expected [n, "
                                  f"{self.latent_size}] with n >= 1 ({self.latent_size} is "
                                  f"this model's latent size)")
        if not np.isfinite(array).all():
            raise GenerationError(f"{name} holds NaN or infinite values")
        return array

    def _labels(self, pitches: Iterable[int], count: int) -> np.ndarray:
        values = list(np.atleast_1d(np.asarray(pitches, dtype=object)))
        if len(values) != count:
            raise GenerationError(f"expected {count} pitches (one per z), got {len(values)}")
        for pitch in values:
            if not (isinstance(pitch, (int, float, np.number)) and not isinstance(pitch, bool)
                    and float(pitch).is_integer() and LOWEST_PITCH <= pitch <= HIGHEST_PITCH):
                raise GenerationError(f"pitch {pitch!r} is not a MIDI pitch in {LOWEST_PITCH}"
                                      f"..{HIGHEST_PITCH}, the pitches GANSynth plays")
        return np.array(values, dtype=np.int64) - LOWEST_PITCH

    # ---- generation -------------------------------------------------------------------
    def random_z(self, n: int = 1, seed: int | None = None) -> np.ndarray:
        """n latent vectors ~ N(0, 1), float64 [n, latent], as Magenta's ``generate_z``
        draws them (``np.random.seed(seed)`` then ``np.random.normal`` gives the same)."""
        if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
            raise GenerationError(f"n must be a whole number >= 0, got {n!r}")
        return np.random.RandomState(seed).normal(size=[int(n), self.latent_size])

    def _inputs(self, z: ZLike, pitches: Iterable[int]) -> np.ndarray:
        """The generator's input rows: z (fed to a float32 placeholder, as Magenta does)
        then the one-hot pitch label."""
        latents = self._latents(z)
        labels = self._labels(pitches, len(latents))
        inputs = np.zeros((len(latents), self.generator_.input_size), dtype=np.float32)
        inputs[:, :self.latent_size] = latents
        inputs[np.arange(len(labels)), self.latent_size + labels] = 1.0
        return inputs

    def spectrogram(self, z: ZLike, pitches: Iterable[int]) -> np.ndarray:
        """The generator's denormalised mel-IF output, float32 [n, 128, 1024, 2]: frames x
        mel bins x (log mel power, mel instantaneous frequency)."""
        return self.generator_(self._inputs(z, pitches))

    def spectrogram_to_audio(self, spec: np.ndarray) -> np.ndarray:
        """Magenta's mel-IF -> waveform step: [n, 128, 1024, 2] -> float32 [n, 64000] (a
        single [128, 1024, 2] gives [64000])."""
        array = np.asarray(spec, dtype=np.float32)
        single = array.ndim == 3
        batch = array[np.newaxis] if single else array
        if batch.ndim != 4 or batch.shape[1:] != (*checkpoint.FINAL_SHAPE, 2) or not len(batch):
            raise GenerationError(f"spec has shape {array.shape}; expected [n, "
                                  f"{checkpoint.FINAL_SHAPE[0]}, {checkpoint.FINAL_SHAPE[1]}, 2] "
                                  f"with n >= 1")
        waves = np.concatenate(map_notes(self._waves, [batch[i:i + 1] for i in range(len(batch))]))
        return waves[0] if single else waves

    def _waves(self, spec: np.ndarray) -> np.ndarray:
        return spectral.mel_specgrams_to_waves(spec, self.audio_length)

    def _note_audio(self, inputs: np.ndarray) -> np.ndarray:
        return self._waves(self.generator_(inputs[np.newaxis]))[0]

    def generate_batch(self, z: ZLike, pitches: Iterable[int]) -> np.ndarray:
        """Waveforms float32 [n, 64000] for each (z, pitch): Magenta's
        ``generate_samples_from_z``. Notes are computed side by side, one per core."""
        return np.stack(map_notes(self._note_audio, list(self._inputs(z, pitches))))

    def generate(self, pitch: int = 60, *, z: ZLike | None = None,
                 seed: int | None = None) -> Waveform:
        """One 4 s note; a random instrument (``random_z(1, seed)``) unless ``z`` is given.
        Samples are Magenta's own (peaks near +-5): normalise only for playback."""
        latent = self.random_z(1, seed) if z is None else self._latents(z)
        if len(latent) != 1:
            raise GenerationError(f"generate plays one note; z holds {len(latent)} latents "
                                  f"(use generate_batch)")
        return Waveform(self.generate_batch(latent, [pitch])[0], self.sample_rate, BACKEND)

    # ---- scores -----------------------------------------------------------------------
    def clip_seconds(self, music: SequenceLike) -> float:
        """How long ``render`` makes the clip of ``music`` (Magenta's: the end of the last
        note it reads), which ``seconds_per_instrument`` divides into instruments."""
        return self._score(music).total_time

    def _score(self, music: SequenceLike) -> score.ScoreNotes:
        label = str(music) if isinstance(music, (str, Path)) else "the score"
        return score.score_notes(to_note_sequence(music), label)

    def _instruments(self, notes: score.ScoreNotes, z_instruments: ZLike,
                     seconds_per_instrument: float) -> tuple[np.ndarray, np.ndarray]:
        count = score.instrument_count(notes.total_time, seconds_per_instrument)
        latents = self._latents(z_instruments, "z_instruments")
        if len(latents) != count:
            raise GenerationError(
                f"z_instruments holds {len(latents)} instruments; a {notes.total_time:g} s "
                f"score at {seconds_per_instrument:g} s per instrument has int("
                f"{notes.total_time:g} / {seconds_per_instrument:g}) = {count}")
        return latents, score.instrument_times(notes.total_time, count)

    def note_latents(self, sequence: SequenceLike, z_instruments: ZLike, *,
                     seconds_per_instrument: float = DEFAULT_SECONDS_PER_INSTRUMENT
                     ) -> np.ndarray:
        """Each score note's z (float64 [notes, latent]), interpolated between the
        instruments around its start as Magenta's ``get_z_notes``; ``z_instruments`` needs
        int(clip time / seconds_per_instrument) rows."""
        notes = self._score(sequence)
        latents, times = self._instruments(notes, z_instruments, seconds_per_instrument)
        return score.note_latents(notes.start_times, latents, times)

    def render(self, sequence_or_midi_path: SequenceLike, *,
               seconds_per_instrument: float = DEFAULT_SECONDS_PER_INSTRUMENT,
               z_instruments: ZLike | None = None, seed: int | None = None) -> Waveform:
        """Play a score (NoteSequence, PrettyMIDI or MIDI path) as ``gansynth_generate
        --midi_file`` does: pitches 36..84, instruments every ``seconds_per_instrument``
        (random from ``seed`` unless ``z_instruments`` is given), each note's latent
        interpolated, notes enveloped and mixed; the clip peaks at 0.5."""
        notes = self._score(sequence_or_midi_path)
        if z_instruments is None:
            count = score.instrument_count(notes.total_time, seconds_per_instrument)
            z_instruments = self.random_z(count, seed)
        latents, times = self._instruments(notes, z_instruments, seconds_per_instrument)
        z_notes = score.note_latents(notes.start_times, latents, times)
        audio = self.generate_batch(z_notes, notes.pitches)
        clip = score.combine_notes(audio, notes, self.sample_rate)
        return Waveform(clip, self.sample_rate, BACKEND)
