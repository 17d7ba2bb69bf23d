"""Performance RNN: expressive piano performances, event by event (Magenta's ``performance_rnn``).

Generation follows Magenta's ``PerformanceRnnSequenceGenerator``: time is quantized
absolutely at 100 steps per second (not on a beat grid); the primer becomes a
``note_seq.Performance`` of NOTE-ON, NOTE-OFF, TIME-SHIFT (and VELOCITY) events; the RNN is
asked for ``ceil(4 * notes_per_second * time_steps / 100)`` events (Magenta's guess of the
events needed), and the performance is then cut, or padded with silence, to the section's
end. Notes left on longer than 5 seconds are ended, as Magenta does.

Conditioned configs take ``notes_per_second`` and/or ``pitch_class_histogram`` (and
``disable_conditioning`` for the optional one); a list of values is spread evenly over the
whole performance, primer included, as in Magenta.
"""

from __future__ import annotations

import math
from typing import Any

import note_seq
import numpy as np
from note_seq import sequences_lib
from note_seq.protobuf import music_pb2

from magwidgets.errors import GenerationError, PrimerError
from magwidgets.families.event_rnn.beam import Beam, Controls, beam_search
from magwidgets.families.event_rnn.model import (
    _QUANTIZATION_ERRORS,
    EventRNN,
    Generation,
    check_one_piano_part,
    generate_in_rounds,
    section_steps,
)
from magwidgets.families.event_rnn.options import Search, Section
from magwidgets.families.performance_rnn.controls import (
    DEFAULT_NOTE_DENSITY,
    MAX_NOTE_DURATION_SECONDS,
    SETTINGS,
    STEPS_PER_SECOND,
    ControlExtender,
    control_values,
)

DEFAULT_STEPS = 3_000  # 30 seconds: the default of Magenta's performance_rnn_generate
RNN_STEPS_PER_NOTE = 4.0  # Magenta's guess of events per note


class PerformanceRNN(EventRNN):
    """Magenta's Performance RNN: polyphonic piano with expressive timing and dynamics.

    ``generate``'s section is ``start_time``..``end_time`` in seconds, or ``steps`` time
    steps of 10 ms from ``start_time``; by default it starts where the primer's last note
    ends and lasts 30 s. Timing is in seconds; ``qpm``, if given, is only written into the
    output as its tempo (for bar lines). The primer is returned re-rendered from its 10 ms
    performance (velocities binned), followed by the generated notes.

    Conditioning (only for configs that have it, else GenerationError):
    ``notes_per_second`` -- a positive number or a list of them (default 15);
    ``pitch_class_histogram`` -- 12 non-negative weights C..B, or a list of such lists
    (default uniform); ``disable_conditioning`` -- True/False or a list (optional config
    only, default False). Lists are spread evenly over the performance.
    ``fill_generate_section=False`` is Magenta's bundle behaviour (one round of RNN steps,
    then pad with silence); True runs rounds until the section is filled.
    """

    @property
    def settings(self):
        return SETTINGS[self.config.id]

    # -- family hooks ------------------------------------------------------------------
    def _check_primer(self, sequence: music_pb2.NoteSequence) -> None:
        check_one_piano_part(sequence, "Performance RNN")

    def _extract_track(self, quantized: music_pb2.NoteSequence,
                       start_step: int) -> note_seq.Performance:
        """Magenta's ``extract_performances`` (one program, whole primer) or, for a primer
        without notes, an empty performance starting at ``start_step``."""
        bins = self.settings.num_velocity_bins
        if quantized.notes:
            performance = note_seq.Performance(quantized, start_step=0, num_velocity_bins=bins)
            if performance:
                return performance
        return note_seq.Performance(steps_per_second=STEPS_PER_SECOND, start_step=start_step,
                                    num_velocity_bins=bins)

    def _to_model_range(self, track: Any) -> int:
        return 0

    def _from_model_range(self, track: Any, shift: int) -> None:
        return None

    def _to_sequence(self, track: note_seq.Performance, qpm: float) -> music_pb2.NoteSequence:
        return track.to_sequence(max_note_duration=MAX_NOTE_DURATION_SECONDS)

    # -- the section, in time steps of 10 ms ---------------------------------------------
    @staticmethod
    def _plan_section(sequence: music_pb2.NoteSequence, section: Section) -> tuple[int, int]:
        last_end = max((note.end_time for note in sequence.notes), default=0.0)
        return section_steps(last_end, section, STEPS_PER_SECOND,
                             default_steps=DEFAULT_STEPS, first_step=0)

    # -- generation --------------------------------------------------------------------
    def _generate(self, sequence: music_pb2.NoteSequence, section: Section, search: Search,
                  *, notes_per_second: Any = None, pitch_class_histogram: Any = None,
                  disable_conditioning: Any = None,
                  fill_generate_section: bool = False) -> Generation:
        """A performance for the section (the log-likelihood is the last round's)."""
        if not isinstance(fill_generate_section, (bool, np.bool_)):
            raise GenerationError(
                f"fill_generate_section must be True or False, got {fill_generate_section!r}")
        values, disable = control_values(self.config.id, notes_per_second,
                                         pitch_class_histogram, disable_conditioning)
        self._check_primer(sequence)
        start_step, end_step = self._plan_section(sequence, section)
        try:
            quantized = sequences_lib.quantize_note_sequence_absolute(sequence, STEPS_PER_SECOND)
        except _QUANTIZATION_ERRORS as err:
            raise PrimerError(f"the primer cannot be quantized: {err}") from err
        track = self._extract_track(quantized, start_step)
        track.set_length(start_step - track.start_step)
        primer_steps = track.num_steps
        total_steps = track.num_steps + end_step - start_step
        if not track:  # no primer: start with (at most a second of) silence, as Magenta
            track.set_length(min(track.max_shift_steps, total_steps))

        extender = ControlExtender(values, disable, total_steps) if values else None
        density = (sum(values[0]) / len(values[0])
                   if notes_per_second is not None else DEFAULT_NOTE_DENSITY)
        rng = search.rng()
        track, score = generate_in_rounds(
            track, total_steps,
            lambda missing: int(math.ceil(
                RNN_STEPS_PER_NOTE * max(1.0, density) * missing / STEPS_PER_SECOND)),
            lambda track, rnn_steps: self._generate_round(
                track, rnn_steps, extender, search, rng),
            until_filled=fill_generate_section)
        track.set_length(total_steps)
        performed = self._to_sequence(track, note_seq.DEFAULT_QUARTERS_PER_MINUTE)
        if section.qpm is not None:  # timing is in seconds; the tempo only places bar lines
            del performed.tempos[:]
            performed.tempos.add(qpm=float(section.qpm))
        return Generation(
            sequence=performed,
            log_likelihood=score,
            primer_steps=primer_steps,
            generated_steps=end_step - start_step,
            generated_start=start_step / STEPS_PER_SECOND,
        )

    def _generate_round(self, track: note_seq.Performance, rnn_steps: int,
                        extender: ControlExtender | None, search: Search,
                        rng: np.random.Generator) -> tuple[note_seq.Performance, float]:
        """One call of Magenta's ``generate_performance``: prime from the zero state with
        the whole track (controls recomputed from step 0), extend it by ``rnn_steps``."""
        if extender is None:
            inputs = self.encoder.get_inputs_batch([track], full_length=True)
            initial = Beam([track], self._inputs_array(inputs), self.network.zero_state(1),
                           np.zeros(1))
            step = lambda beam: self._step(beam, search.temperature, rng)  # noqa: E731
        else:
            controls = Controls([extender.event(0)], (0, 0))
            controls.state = extender(controls.events, track, controls.state)
            inputs = self.encoder.get_inputs_batch([controls.events], [track],
                                                   full_length=True)
            initial = Beam([track], self._inputs_array(inputs), self.network.zero_state(1),
                           np.zeros(1), controls=[controls])
            step = lambda beam: self._step(  # noqa: E731
                beam, search.temperature, rng, extend_controls=extender)
        best = beam_search(initial, step, rnn_steps, search)
        return best.events[0], float(best.scores[0])
