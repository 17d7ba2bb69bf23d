"""Event-sequence RNN models (Magenta's Drums, Melody and Polyphony RNN) on the NumPy network.

``generate`` follows Magenta's sequence generators: the primer is quantized at the config's
steps per quarter, one track is extracted from it, the RNN is primed with the whole track,
and the track is extended to the end of the requested section by sampling (beam search
when ``beam_size`` or ``branch_factor`` > 1). Magenta returns the primer as part of the
output, re-rendered from the quantized track; so do we.
"""

from __future__ import annotations

import abc
import inspect
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import note_seq
import numpy as np
from note_seq import sequences_lib
from note_seq.protobuf import music_pb2

from magwidgets.engine.lstm import LSTMNetwork, softmax, take_state
from magwidgets.errors import GenerationError, PrimerError
from magwidgets.families.event_rnn.beam import Beam, beam_search
from magwidgets.families.event_rnn.config import RnnConfig
from magwidgets.families.event_rnn.options import (
    MAX_QPM,
    MAX_TOTAL_STEPS,
    MIN_QPM,
    MIN_TEMPERATURE,
    Search,
    Section,
    split_options,
)
from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.validation import check_number

DEFAULT_BARS = 2  # generated when neither end_time nor steps is given
_STEP_EPSILON = 1e-6  # seconds or steps of float slack when comparing times
_QUANTIZATION_ERRORS = (
    sequences_lib.MultipleTempoError,
    sequences_lib.MultipleTimeSignatureError,
    sequences_lib.BadTimeSignatureError,
    sequences_lib.NegativeTimeError,
)


ExtendControls = Callable[[list[Any], Any, Any], Any]
"""Magenta's ``extend_control_events_callback``: given an entry's control events, its event
track and its control state, make the controls one longer than the track; return the state."""


def extend_controls_by_repeating(controls: list[Any], track: Any, state: Any) -> Any:
    """Magenta's default: repeat the last control event until it covers the next step."""
    while len(controls) <= len(track):
        controls.append(controls[-1])
    return state


ModifyEvents = Callable[[list[Any], list[list[list[float]]]], None]
"""Magenta's ``modify_events_callback``: after each step it may append events to the tracks,
extending each track's next-step input list with the new events' inputs."""


@dataclass(frozen=True)
class Generation:
    """What a generation run produced."""

    sequence: music_pb2.NoteSequence  # primer track + continuation
    log_likelihood: float  # of the chosen event sequence, at the sampling temperature
    primer_steps: int
    generated_steps: int
    generated_start: float  # seconds: where the continuation begins (the primer ends)


@dataclass(frozen=True)
class _Section:
    quantized_primer: music_pb2.NoteSequence
    qpm: float
    start_step: int
    end_step: int


def _sample(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One class index per row of ``probabilities`` [entries, classes]."""
    cdf = np.cumsum(probabilities, axis=1, dtype=np.float64)
    draws = rng.random(len(probabilities)) * cdf[:, -1]
    chosen = (cdf < draws[:, None]).sum(axis=1)
    return np.minimum(chosen, probabilities.shape[1] - 1)


class EventRNN(abc.ABC):
    """A loaded event RNN: ``generate`` music, or ``predict_proba`` for raw model inputs."""

    def __init__(self, config: RnnConfig, network: LSTMNetwork, *, source: Path,
                 description: str = "") -> None:
        self.config = config
        self.network = network
        self.source = source
        self.description = description or config.description
        self.encoder = config.make_encoder()

    def __repr__(self) -> str:
        attention = self.network.attention
        extra = f", attention={attention.length}" if attention else ""
        return (f"{type(self).__name__}(config={self.config.id!r}, "
                f"layers={self.network.layer_sizes}{extra}, source='{self.source}')")

    def describe(self) -> list[tuple[str, str]]:
        """``(label, value)`` lines that say what this model is (``magwidgets info``)."""
        network = self.network
        lines = [("layers", str(network.layer_sizes))]
        if network.attention:
            around = ("the first layer" if network.attention.wraps == "first"
                      else "the whole stack")
            lines.append(("attention", f"length {network.attention.length}, around {around}"))
        lines.append(("encoding", f"{self.encoder.input_size} inputs, "
                                  f"{self.encoder.num_classes} classes, "
                                  f"{self.config.steps_per_quarter} steps per quarter"))
        return lines

    # -- hooks for each family ---------------------------------------------------------
    @abc.abstractmethod
    def _check_primer(self, sequence: music_pb2.NoteSequence) -> None:
        """Raise PrimerError if the family cannot continue this primer."""

    @abc.abstractmethod
    def _extract_track(self, quantized: music_pb2.NoteSequence, start_step: int) -> Any:
        """The primer's event track, or ``_empty_track`` when it has none."""

    def _empty_track(self, track_type: type, quantized: music_pb2.NoteSequence,
                     start_step: int) -> Any:
        """An empty track starting one step before ``start_step``, as Magenta makes it."""
        steps_per_bar = int(note_seq.steps_per_bar_in_quantized_sequence(quantized))
        return track_type([], start_step=max(0, start_step - 1), steps_per_bar=steps_per_bar,
                          steps_per_quarter=self.config.steps_per_quarter)

    @abc.abstractmethod
    def _to_model_range(self, track: Any) -> int:
        """Move the track into the model's range in place; return the shift applied."""

    @abc.abstractmethod
    def _from_model_range(self, track: Any, shift: int) -> None:
        """Undo ``_to_model_range``."""

    @abc.abstractmethod
    def _to_sequence(self, track: Any, qpm: float) -> music_pb2.NoteSequence:
        """Render the event track as a NoteSequence."""

    # -- network -----------------------------------------------------------------------
    def _network_inputs(self, inputs: np.ndarray) -> np.ndarray:
        if isinstance(self.encoder, note_seq.OneHotIndexEventSequenceEncoderDecoder):
            indices = np.asarray(inputs)[..., 0].astype(np.intp)
            return np.eye(self.encoder.input_depth)[indices]
        return np.asarray(inputs, dtype=np.float64)

    def predict_proba(self, inputs: np.ndarray, temperature: float = 1.0) -> np.ndarray:
        """The graph's softmax for Magenta-encoded ``inputs`` [batch, time, input_size],
        run from the zero state; returns [batch, time, num_classes] probabilities."""
        inputs = np.asarray(inputs)
        expected = self.encoder.input_size
        if inputs.ndim != 3 or inputs.shape[2] != expected or inputs.shape[1] < 1:
            raise GenerationError(
                f"inputs must have shape [batch, time, {expected}] for {self.config.id}, "
                f"got {list(inputs.shape)}")
        check_number("temperature", temperature, low=MIN_TEMPERATURE)
        logits, _ = self.network.run(self._network_inputs(inputs),
                                     self.network.zero_state(inputs.shape[0]))
        return softmax(logits, temperature)

    def _log_likelihood_of_prefix(self, events: list[Any], probabilities: np.ndarray) -> np.ndarray:
        """Log-likelihood of each track's last ``probabilities.shape[1]`` events."""
        totals = np.zeros(len(events))
        length = probabilities.shape[1]
        for row, track in enumerate(events):
            start = len(track) - length
            for offset in range(length):
                label = self.encoder.events_to_label(track, start + offset)
                totals[row] += np.log(probabilities[row, offset, label])
        return totals

    def _run_network(self, beam: Beam):
        """Logits and next state for every entry, computing each distinct entry once."""
        if beam.same_as is None:
            return self.network.run(self._network_inputs(beam.inputs), beam.state)
        distinct, expand = np.unique(beam.same_as, return_inverse=True)
        logits, state = self.network.run(self._network_inputs(beam.inputs[distinct]),
                                         take_state(beam.state, distinct))
        return logits[expand], take_state(state, expand)

    def _step(self, beam: Beam, temperature: float, rng: np.random.Generator,
              modify_events: ModifyEvents | None = None,
              extend_controls: ExtendControls = extend_controls_by_repeating) -> Beam:
        logits, state = self._run_network(beam)
        probabilities = softmax(logits, temperature)
        with np.errstate(divide="ignore"):
            scores = beam.scores.copy()
            if probabilities.shape[1] > 1:  # first step: score the primer too, as Magenta
                scores += self._log_likelihood_of_prefix(beam.events, probabilities[:, :-1])
            chosen = _sample(probabilities[:, -1], rng)
            scores += np.log(probabilities[np.arange(len(chosen)), -1, chosen])
        for track, index in zip(beam.events, chosen):
            track.append(self.encoder.class_index_to_event(int(index), track))
        if beam.controls is None:
            inputs = self.encoder.get_inputs_batch(beam.events)
        else:  # conditional model: controls first grow to cover the next step
            for entry, track in zip(beam.controls, beam.events):
                entry.state = extend_controls(entry.events, track, entry.state)
            inputs = self.encoder.get_inputs_batch(
                [entry.events for entry in beam.controls], beam.events)
        if modify_events is not None:
            modify_events(beam.events, inputs)
        return Beam(beam.events, self._inputs_array(inputs), state, scores,
                    controls=beam.controls)

    def _inputs_array(self, inputs: list) -> np.ndarray:
        """The next step's inputs [entries, time, input] from the encoder's nested lists."""
        return np.asarray(inputs)

    # -- generation --------------------------------------------------------------------
    def _plan(self, sequence: music_pb2.NoteSequence, section: Section) -> _Section:
        qpm = section.qpm
        if sequence.tempos:
            primer_qpm = sequence.tempos[0].qpm
            if qpm is not None and abs(qpm - primer_qpm) > 1e-6:
                raise GenerationError(
                    f"qpm={qpm} differs from the primer's tempo ({primer_qpm} qpm); "
                    "leave qpm out to use the primer's")
            qpm = primer_qpm
        elif qpm is not None:
            sequence.tempos.add(qpm=qpm)
        qpm = note_seq.DEFAULT_QUARTERS_PER_MINUTE if qpm is None else float(qpm)
        if not MIN_QPM <= qpm <= MAX_QPM:
            raise GenerationError(f"the primer's tempo must be between {MIN_QPM} and "
                                  f"{MAX_QPM} qpm, got {qpm}")
        steps_per_second = note_seq.steps_per_quarter_to_steps_per_second(
            self.config.steps_per_quarter, qpm)
        last_end = max((note.end_time for note in sequence.notes), default=0.0)
        start_step, end_step = section_steps(
            last_end, section, steps_per_second,
            default_steps=DEFAULT_BARS * self._steps_per_bar(sequence))
        self._warn_if_not_four_four(sequence)
        try:
            quantized = note_seq.quantize_note_sequence(sequence, self.config.steps_per_quarter)
        except _QUANTIZATION_ERRORS as err:
            raise PrimerError(f"the primer cannot be quantized: {err}") from err
        return _Section(quantized, qpm, start_step, end_step)

    def _steps_per_bar(self, sequence: music_pb2.NoteSequence) -> int:
        signature = sequence.time_signatures[0] if sequence.time_signatures else None
        numerator, denominator = (signature.numerator, signature.denominator) if signature else (4, 4)
        quarters_per_bar = numerator * 4 / denominator
        return max(1, round(quarters_per_bar * self.config.steps_per_quarter))

    @staticmethod
    def _warn_if_not_four_four(sequence: music_pb2.NoteSequence) -> None:
        for signature in sequence.time_signatures:
            if (signature.numerator, signature.denominator) != (4, 4):
                warnings.warn(
                    f"the primer is in {signature.numerator}/{signature.denominator}; Magenta's "
                    "models were trained in 4/4, so expect 4/4 phrasing", stacklevel=4)
                return

    def generate(self, primer: SequenceLike = None, **options: Any) -> music_pb2.NoteSequence:
        """Continue ``primer`` (NoteSequence, PrettyMIDI, MIDI path or None) as Magenta does.

        Options: the section (``start_time``/``end_time`` in seconds, quantized as Magenta
        does, or ``steps`` steps; by default generation continues on the step where the
        primer's last note ends, for two bars; ``qpm``: the primer's tempo, else this, else
        120 -- see :class:`Section`), the search (``temperature``, ``beam_size``,
        ``branch_factor``, ``steps_per_iteration``, ``seed`` -- see :class:`Search`), and
        the family's own keywords (``family_options()``). The same seed gives the same music.
        """
        return self.generate_with_score(primer, **options).sequence

    def generate_with_score(self, primer: SequenceLike = None, **options: Any) -> Generation:
        """Like ``generate``, returning the sequence with its log-likelihood and lengths."""
        section, search, family = split_options(options, self.family_options(),
                                                type(self).__name__)
        return self._generate(to_note_sequence(primer), section, search, **family)

    def family_options(self) -> tuple[str, ...]:
        """The keywords this family's ``generate`` takes besides the section and search."""
        signature = inspect.signature(self._generate)
        return tuple(name for name, parameter in signature.parameters.items()
                     if parameter.kind is inspect.Parameter.KEYWORD_ONLY)

    def _generate(self, sequence: music_pb2.NoteSequence, section: Section,
                  search: Search) -> Generation:
        """Magenta's generation for one-event-per-step tracks (drums, melodies)."""
        self._check_primer(sequence)
        planned = self._plan(sequence, section)
        track = self._extract_track(planned.quantized_primer, planned.start_step)
        track.set_length(planned.start_step - track.start_step)
        primer_steps = len(track)
        shift = self._to_model_range(track)
        inputs = np.asarray(self.encoder.get_inputs_batch([track], full_length=True))
        initial = Beam([track], inputs, self.network.zero_state(1), np.zeros(1))
        rng = search.rng()
        best = beam_search(initial, lambda beam: self._step(beam, search.temperature, rng),
                           planned.end_step - planned.start_step, search)
        track = best.events[0]
        self._from_model_range(track, shift)
        steps_per_second = note_seq.steps_per_quarter_to_steps_per_second(
            self.config.steps_per_quarter, planned.qpm)
        return Generation(
            sequence=self._to_sequence(track, planned.qpm),
            log_likelihood=float(best.scores[0]),
            primer_steps=primer_steps,
            generated_steps=len(track) - primer_steps,
            generated_start=(track.start_step + primer_steps) / steps_per_second,
        )


MAX_ROUNDS = 100  # rounds of generation that may not fill a section before giving up


def generate_in_rounds(track: Any, total_steps: int, rnn_steps_for: Callable[[int], int],
                       run_round: Callable[[Any, int], tuple[Any, float]],
                       until_filled: bool = True) -> tuple[Any, float]:
    """Magenta's loop for models whose events are not one per time step (polyphony,
    performance): each round asks for enough RNN steps to fill the ``missing`` time steps
    and primes the network afresh, until the track spans ``total_steps`` (or after one round
    when not ``until_filled``). Returns the track and the last round's log-likelihood."""
    score = 0.0
    for _ in range(MAX_ROUNDS):
        missing = total_steps - track.num_steps
        if missing <= 0:
            break
        track, score = run_round(track, rnn_steps_for(missing))
        if not until_filled:
            break
    return track, score


def check_one_piano_part(sequence: music_pb2.NoteSequence, model_name: str) -> None:
    """Refuse a primer a one-part piano model cannot read: drums, or several programs
    (Magenta would read drum numbers as pitches, or silently ignore the primer)."""
    drums = sum(note.is_drum for note in sequence.notes)
    if drums:
        raise PrimerError(
            f"the primer has {drums} drum notes; {model_name} would read their drum numbers "
            "as piano pitches. Remove the drum notes (for drums use a drum_kit model)")
    programs = sorted({note.program for note in sequence.notes})
    if len(programs) > 1:
        raise PrimerError(
            f"the primer has notes on {len(programs)} programs {programs}; {model_name} "
            "continues a single program (Magenta would silently ignore this primer): pass "
            "one program's notes")


def section_steps(last_end: float, section: Section, steps_per_second: float,
                  default_steps: int, first_step: int = 1) -> tuple[int, int]:
    """The section to generate, ``(start_step, end_step)``, checked before any work.

    By default it starts on the step where the primer (ending at ``last_end`` seconds)
    ends; a given ``start_time`` is quantized as Magenta quantizes a section start. It ends
    ``steps`` steps later, at ``end_time`` (Magenta's quantization), or ``default_steps``
    later. ``first_step`` is the earliest start (event RNNs need one event to start from).
    """
    start_time, end_time, steps = section.start_time, section.end_time, section.steps
    if start_time is None:
        start_step = max(first_step, math.ceil(last_end * steps_per_second - _STEP_EPSILON))
        start_time = start_step / steps_per_second
    else:
        if last_end > start_time + _STEP_EPSILON:
            raise PrimerError(
                f"the primer ends at {last_end:.3f} s, after the requested start_time "
                f"{start_time:.3f} s; this model can only continue a sequence")
        start_step = max(first_step, sequences_lib.quantize_to_step(
            start_time, steps_per_second, quantize_cutoff=0.0))
    if steps is not None:
        end_step = start_step + int(steps)
    elif end_time is not None:
        if end_time <= start_time:
            raise GenerationError(
                f"end_time ({end_time} s) must be after start_time ({start_time:.3f} s)")
        end_step = sequences_lib.quantize_to_step(end_time, steps_per_second, quantize_cutoff=1.0)
    else:
        end_step = start_step + default_steps
    if end_step - start_step > MAX_TOTAL_STEPS or end_step > MAX_TOTAL_STEPS * 2:
        raise GenerationError(
            f"asked for {end_step - start_step} steps; the limit is {MAX_TOTAL_STEPS} "
            f"({MAX_TOTAL_STEPS / steps_per_second / 60:.0f} minutes at this tempo)")
    if end_step <= start_step:
        raise GenerationError(
            f"the section from {start_time} s to {end_time} s is shorter than one step "
            f"({1.0 / steps_per_second:.3f} s)")
    return start_step, end_step
