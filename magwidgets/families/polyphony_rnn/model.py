"""Polyphony RNN (``polyphony``): continues, or harmonizes, polyphonic piano music.

Generation follows Magenta's ``PolyphonyRnnSequenceGenerator``. Two options shape it:

- ``condition_on_primer`` (Magenta's default False): prime the RNN with the primer track.
  When False the RNN starts from a blank track at the section start, and its notes are
  added to (a copy of) the primer as given.
- ``inject_primer_during_generation`` (default True): at each new step of the generated
  track, the primer's events of the matching step are appended as if the model had chosen
  them -- the primer's step k lands on step k of the section (re-played there; with
  ``condition_on_primer`` it follows the primed primer), which is how Magenta harmonizes a
  melody.

An event is one note or one step end, so a step takes a varying number of RNN steps.
Magenta asks for 5 RNN steps per step still missing, in rounds that each re-prime the RNN
with the whole track, until the track is long enough, then cuts it to the section's end.
"""

from __future__ import annotations

import collections
from typing import Any

import note_seq
import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.engine.lstm import take_state
from magwidgets.errors import GenerationError
from magwidgets.families.event_rnn.beam import Beam, beam_search
from magwidgets.families.event_rnn.model import (
    MAX_ROUNDS,
    EventRNN,
    ExtendControls,
    Generation,
    ModifyEvents,
    check_one_piano_part,
    extend_controls_by_repeating,
    generate_in_rounds,
)
from magwidgets.families.event_rnn.options import Search, Section
from magwidgets.families.polyphony_rnn.encoding import EventType, PolyphonicEvent, PolyphonicTrack

RNN_STEPS_PER_STEP = 5  # Magenta's guess of events per quantized step, per round


class _PrimerInjector:
    """Magenta's ``_inject_melody`` as a ``modify_events`` callback.

    When a track has just ended a step (or holds only START), the primer's events of step
    ``track steps - first_step`` are appended to it, each with its input.
    """

    def __init__(self, primer: PolyphonicTrack, first_step: int, encoder: Any) -> None:
        self._chunks: list[list[PolyphonicEvent]] = [[]]  # primer events, step by step
        for event in list(primer)[1:]:  # after START
            if event.event_type == EventType.STEP_END:
                self._chunks.append([])
            else:
                self._chunks[-1].append(event)
        self._first_step = first_step
        self._encoder = encoder

    def __call__(self, tracks: list[PolyphonicTrack], inputs: list[list[list[float]]]) -> None:
        for track, track_inputs in zip(tracks, inputs):
            last = track[-1].event_type if len(track) else None
            if not (len(track) == 0 or last == EventType.STEP_END
                    or (last == EventType.START and len(track) == 1)):
                continue
            step = track.num_steps - self._first_step
            if not 0 <= step < len(self._chunks):
                continue
            for event in self._chunks[step]:
                track.append(event)
                track_inputs.extend(self._encoder.get_inputs_batch([track])[0])


class PolyphonyRNN(EventRNN):
    """Magenta's Polyphony RNN: any number of notes at a time, on one piano track.

    ``generate`` takes ``EventRNN.generate``'s options plus Magenta's two polyphony options
    (its defaults): ``condition_on_primer=False`` -- when True the RNN first reads the
    primer and the output is the primer track (velocity 100) and its continuation; when
    False the RNN starts blank and its notes are added to the primer as given.
    ``inject_primer_during_generation=True`` -- the primer's notes are replayed from the
    start of the section and the model adds notes around them (harmonization).
    """

    # -- family hooks ------------------------------------------------------------------
    def _check_primer(self, sequence: music_pb2.NoteSequence) -> None:
        check_one_piano_part(sequence, "the polyphony model")

    def _extract_track(self, quantized: music_pb2.NoteSequence,
                       start_step: int) -> PolyphonicTrack:
        return PolyphonicTrack.from_quantized_sequence(quantized)

    def _to_model_range(self, track: PolyphonicTrack) -> int:
        return 0

    def _from_model_range(self, track: PolyphonicTrack, shift: int) -> None:
        return None

    def _to_sequence(self, track: PolyphonicTrack, qpm: float) -> music_pb2.NoteSequence:
        return track.to_sequence(qpm)

    # -- ragged batches: injected events give entries inputs of different lengths ------
    def _inputs_array(self, inputs: list) -> np.ndarray:
        if len({len(rows) for rows in inputs}) <= 1:
            return np.asarray(inputs)
        ragged = np.empty(len(inputs), dtype=object)
        for entry, rows in enumerate(inputs):
            ragged[entry] = np.asarray(rows)
        return ragged

    def _step(self, beam: Beam, temperature: float, rng: np.random.Generator,
              modify_events: ModifyEvents | None = None,
              extend_controls: ExtendControls = extend_controls_by_repeating) -> Beam:
        if beam.inputs.dtype != object:
            return super()._step(beam, temperature, rng, modify_events, extend_controls)
        # Magenta cannot feed such a batch (its graph needs one length); run each length
        # as its own batch and put the entries back in order.
        groups: dict[int, list[int]] = collections.defaultdict(list)
        for entry, rows in enumerate(beam.inputs):
            groups[len(rows)].append(entry)
        order: list[int] = []
        parts: list[Beam] = []
        for entries in groups.values():
            index = np.asarray(entries, dtype=np.intp)
            part = Beam([beam.events[i] for i in entries], np.stack(list(beam.inputs[index])),
                        take_state(beam.state, index), beam.scores[index])
            parts.append(super()._step(part, temperature, rng, modify_events, extend_controls))
            order.extend(entries)
        back = np.argsort(order)
        rows = [row for part in parts for row in part.inputs]
        state = tuple(np.concatenate(pieces) for pieces in zip(*(p.state for p in parts)))
        scores = np.concatenate([part.scores for part in parts])
        return Beam(beam.events, self._inputs_array([rows[i] for i in back]),
                    take_state(state, back), scores[back])

    # -- generation --------------------------------------------------------------------
    def _generate(self, sequence: music_pb2.NoteSequence, section: Section, search: Search,
                  *, condition_on_primer: bool = False,
                  inject_primer_during_generation: bool = True) -> Generation:
        """Polyphonic music for the section (the log-likelihood is Magenta's last round's)."""
        for name, value in (("condition_on_primer", condition_on_primer),
                            ("inject_primer_during_generation", inject_primer_during_generation)):
            if not isinstance(value, (bool, np.bool_)):
                raise GenerationError(f"{name} must be True or False, got {value!r}")
        self._check_primer(sequence)
        planned = self._plan(sequence, section)
        primer_track = self._extract_track(planned.quantized_primer, planned.start_step)
        primer_track.set_length(planned.start_step - primer_track.start_step)
        primer_track.trim_trailing_end_events()
        primer_steps = primer_track.num_steps

        inject = None
        if inject_primer_during_generation:
            inject = _PrimerInjector(primer_track, primer_steps if condition_on_primer else 0,
                                     self.encoder)
        if condition_on_primer:
            track = primer_track
        else:
            track = PolyphonicTrack(start_step=planned.start_step,
                                    steps_per_quarter=self.config.steps_per_quarter)
        total_steps = track.num_steps + planned.end_step - planned.start_step
        rng = search.rng()
        track, score = generate_in_rounds(
            track, total_steps, lambda missing: RNN_STEPS_PER_STEP * missing,
            lambda track, rnn_steps: self._generate_round(track, rnn_steps, inject, search, rng))
        if track.num_steps < total_steps:
            raise GenerationError(
                f"the model ended only {track.num_steps} of {total_steps} steps in "
                f"{MAX_ROUNDS} rounds of generation; try a higher temperature")
        track.set_length(total_steps)

        base = None
        if not condition_on_primer:  # the generated notes go on top of the primer as given
            base = music_pb2.NoteSequence()
            base.CopyFrom(sequence)
            if not base.tempos:
                base.tempos.add(qpm=planned.qpm)
        steps_per_second = note_seq.steps_per_quarter_to_steps_per_second(
            self.config.steps_per_quarter, planned.qpm)
        return Generation(
            sequence=track.to_sequence(planned.qpm, base),
            log_likelihood=score,
            primer_steps=primer_steps,
            generated_steps=planned.end_step - planned.start_step,
            generated_start=planned.start_step / steps_per_second,
        )

    def _generate_round(self, track: PolyphonicTrack, rnn_steps: int, inject, search: Search,
                        rng: np.random.Generator) -> tuple[PolyphonicTrack, float]:
        """One call of Magenta's ``_generate_events``: prime from the zero state with the
        whole track, then extend it by ``rnn_steps`` beam-search steps."""
        inputs = self.encoder.get_inputs_batch([track], full_length=True)
        if inject is not None:
            inject([track], inputs)
        initial = Beam([track], self._inputs_array(inputs), self.network.zero_state(1),
                       np.zeros(1))
        best = beam_search(
            initial, lambda beam: self._step(beam, search.temperature, rng, inject), rnn_steps,
            search)
        return best.events[0], float(best.scores[0])
