"""Improv RNN (``basic_improv``, ``attention_improv``, ``chord_pitches_improv``): a melody
over backing chords.

Generation follows Magenta's ``ImprovRnnSequenceGenerator``: the primer melody is extracted
as Magenta does (one line; where notes start together the highest is kept), the backing
chords are the CHORD_SYMBOL annotations from the start of the sequence to the end of the
section, the melody is moved into the model's range by whole octaves (the chords with it),
and the RNN extends it conditioned on the chord of each next step. The output is Magenta's
lead sheet: the melody (velocity 100) with the chords rendered back as CHORD_SYMBOL
annotations at each change.

Two departures, where Magenta fails: a primer melody that starts after the first bar (or no
primer melody) and backing chords that end before the section does. Magenta trips an
assertion on both; here the RNN reads the chords from the melody's first step, the last
chord holds to the end of the section, and the output shows all the chords from time 0.
"""

from __future__ import annotations

import copy

import note_seq
import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.errors import PrimerError
from magwidgets.families.event_rnn.beam import Beam, Controls, beam_search
from magwidgets.families.event_rnn.model import Generation
from magwidgets.families.event_rnn.options import Search, Section
from magwidgets.families.improv_rnn.chords import (
    ChordsArgument,
    add_chords,
    chord_annotations,
    extract_progression,
)
from magwidgets.families.melody_rnn.model import MelodyRNN

PITCH_CHORD_CONFIGS = {"chord_pitches_improv"}  # encode any chord's pitches, not a triad class


class ImprovRNN(MelodyRNN):
    """Magenta's Improv RNN: improvises a melody over given backing chords.

    The melody side is Melody RNN's (range, transposition, rendering); the primer may hold
    chords played as notes, of which the top line is kept, as Magenta does.

    ``generate`` takes ``EventRNN.generate``'s options and ``chords``. The backing chords
    are the primer's CHORD_SYMBOL text annotations (each chord holds until the next; the
    last holds to the end of the section), unless ``chords`` is given, which replaces them:

    - a list of chord symbols, one per bar from time 0, e.g. ``["C", "Am", "F", "G7"]``;
      the progression repeats until the section ends, as a lead sheet's repeat would
      (bars follow the primer's time signature; ``"N.C."`` is a bar without a chord);
    - or a list of ``(symbol, start_time_seconds)`` pairs in time order, e.g.
      ``[("C", 0.0), ("G7", 1.5)]``; each chord holds until the next, the last to the
      end of the section, and there is no chord before the first.

    ``basic_improv`` and ``attention_improv`` encode a chord as its root and triad
    (major, minor, augmented, diminished); ``chord_pitches_improv`` takes any symbol
    note-seq parses (root, all pitch classes, bass). Returns the primer melody and its
    continuation (velocity 100) with the chords as CHORD_SYMBOL annotations.

    Raises:
        PrimerError: no backing chords (neither annotations nor ``chords``), or a
            primer chord symbol that cannot be used.
        GenerationError: a ``chords`` entry that cannot be parsed or used, or bad
            section / search arguments.
    """

    # -- family hooks ------------------------------------------------------------------
    def _check_primer(self, sequence: music_pb2.NoteSequence) -> None:
        pitched = [note for note in sequence.notes if not note.is_drum]
        instruments = sorted({note.instrument for note in pitched})
        if len(instruments) > 1:
            raise PrimerError(
                f"the primer has notes on {len(instruments)} instruments {instruments}; an "
                "improv model continues a single melody line (give the chords as CHORD_SYMBOL "
                "annotations or chords=, not as notes): pass one instrument's notes")

    def _extract_track(self, quantized: music_pb2.NoteSequence, start_step: int):
        melody = note_seq.Melody()
        instruments = {note.instrument for note in quantized.notes if not note.is_drum}
        if instruments:  # Magenta: extract_melodies(..., ignore_polyphonic_notes=True)
            melody.from_quantized_sequence(
                quantized, search_start_step=0, instrument=instruments.pop(),
                gap_bars=float("inf"), ignore_polyphonic_notes=True)
        return melody if melody else self._empty_track(note_seq.Melody, quantized, start_step)

    @property
    def _triads_only(self) -> bool:
        """Whether the chord encoding knows only triads (every config but chord pitches)."""
        return self.config.id not in PITCH_CHORD_CONFIGS

    # -- generation --------------------------------------------------------------------
    def _generate(self, sequence: music_pb2.NoteSequence, section: Section, search: Search,
                  *, chords: ChordsArgument = None) -> Generation:
        """A melody over the backing chords (``chords``, else the primer's annotations)."""
        if chords is None and not chord_annotations(sequence):
            raise PrimerError(
                "no backing chords: an improv model plays a melody over chords. Pass "
                "chords=['C', 'Am', 'F', 'G7'] (one per bar, repeated) or give the primer "
                "CHORD_SYMBOL text annotations")
        self._check_primer(sequence)
        planned = self._plan(sequence, section)
        quantized = planned.quantized_primer
        steps_per_second = note_seq.steps_per_quarter_to_steps_per_second(
            self.config.steps_per_quarter, planned.qpm)
        if chords is not None:
            add_chords(quantized, chords, planned.end_step, steps_per_second)
        progression = extract_progression(quantized, planned.end_step, self._triads_only,
                                          from_argument=chords is not None)

        rendered_chords = copy.deepcopy(progression)  # all of them, from step 0
        melody = self._extract_track(quantized, planned.start_step)
        # Chords and melody start on the same step (Magenta cuts the chords' wrong end here
        # and then fails its own assertion; the intent is to drop the steps before).
        progression.set_length(planned.end_step - melody.start_step, from_left=True)
        melody.set_length(planned.start_step - melody.start_step)
        primer_steps = len(melody)

        shift = self._to_model_range(melody)
        backing = copy.deepcopy(progression)
        backing.transpose(shift)  # by whole octaves (transpose_to_key is None): same chords
        controls = Controls(list(backing))
        inputs = np.asarray(self.encoder.get_inputs_batch(
            [controls.events], [melody], full_length=True))
        initial = Beam([melody], inputs, self.network.zero_state(1), np.zeros(1),
                       controls=[controls])
        rng = search.rng()
        best = beam_search(initial, lambda beam: self._step(beam, search.temperature, rng),
                           planned.end_step - planned.start_step, search)
        melody = best.events[0]
        self._from_model_range(melody, shift)
        return Generation(
            sequence=_lead_sheet(melody, rendered_chords, planned.qpm),
            log_likelihood=float(best.scores[0]),
            primer_steps=primer_steps,
            generated_steps=len(melody) - primer_steps,
            generated_start=planned.start_step / steps_per_second,
        )


def _lead_sheet(melody, chords, qpm: float) -> music_pb2.NoteSequence:
    """Magenta's ``LeadSheet.to_sequence``: the melody, and a CHORD_SYMBOL annotation at
    each chord change. (note-seq renders chords from time 0 whatever their start step; the
    chords here always start at step 0, where Magenta's always do.)"""
    sequence = melody.to_sequence(qpm=qpm)
    chord_sequence = chords.to_sequence(qpm=qpm)
    for annotation in chord_sequence.text_annotations:
        if annotation.annotation_type == music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL:
            sequence.text_annotations.add().CopyFrom(annotation)
    return sequence
