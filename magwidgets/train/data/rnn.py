"""Event-RNN training examples: Magenta's dataset pipeline of each family, encoded by the
engine's own encoder for the config, so training and generation read music the same way.

Per family (Magenta's ``*_create_dataset`` defaults; where Magenta truncates a melody or
drum track at 512 steps, the rest becomes further 512-step examples here):

- drums: split at time changes, quantize, drum tracks (>= 7 bars, 1-bar gaps, 512 steps);
- melody: split, quantize, melodies (>= 7 bars, >= 5 pitch classes, polyphonic tracks
  dropped, 512 steps), moved into the config's range and key (``squash``);
- improv: split, quantize, chords (inferred where the piece has none), lead sheets
  (>= 7 bars, >= 3 pitch classes, 512 steps) in all 12 keys, squashed by octaves;
- polyphony: split, quantize, transposed -4..+4 semitones, one track per sequence
  (80..512 steps, one program);
- performance: sustain pedal applied, stretched by 0.95..1.05 (training only), cut into 30 s
  pieces, quantized at 100 steps per second, transposed -3..+3 (training only), one
  performance per piece (32..512 events, one program), control signals for the conditioned
  configs (the optional one twice: conditioned and not).
"""

from __future__ import annotations

from typing import Any, Iterator

import note_seq
import numpy as np
from note_seq import chord_symbols_lib, sequences_lib
from note_seq.protobuf import music_pb2

from magwidgets.families.event_rnn.config import RnnConfig
from magwidgets.families.performance_rnn.controls import SETTINGS, STEPS_PER_SECOND
from magwidgets.families.performance_rnn.controls import _control_signal as control_signal
from magwidgets.train.data import extract
from magwidgets.train.data.examples import Example, SparseRows

POLYPHONY_TRANSPOSITIONS = range(-4, 5)  # "up to a major third in either direction"
PERFORMANCE_TRANSPOSITIONS = range(-3, 4)
PERFORMANCE_STRETCHES = (0.95, 0.975, 1.0, 1.025, 1.05)
PERFORMANCE_HOP_SECONDS = 30.0
CHORD_NOT_ENCODABLE = "chord the config cannot encode"

Encodable = tuple[tuple[Any, ...], bool]  # (arguments of encoder.encode, augmented?)


class RnnPipeline:
    """Turns one piece into encoded examples for an event-RNN config."""

    def __init__(self, config: RnnConfig) -> None:
        self.config = config
        self.encoder = config.make_encoder()
        self.index_inputs = isinstance(self.encoder,
                                       note_seq.OneHotIndexEventSequenceEncoderDecoder)
        self.input_size = self.encoder.input_size
        self.output_size = self.encoder.num_classes
        self._tracks = {"drums_rnn": self._drums, "melody_rnn": self._melodies,
                        "improv_rnn": self._lead_sheets, "polyphony_rnn": self._polyphony,
                        "performance_rnn": self._performances}[config.family]

    def __call__(self, sequence: music_pb2.NoteSequence, training: bool,
                 tally: extract.Tally) -> Iterator[tuple[Example, bool]]:
        """(example, augmented?) for each track Magenta's pipeline extracts."""
        for arguments, augmented in self._tracks(sequence, training, tally):
            try:
                inputs, labels = self.encoder.encode(*arguments)
            except (note_seq.ChordEncodingError, chord_symbols_lib.ChordSymbolError):
                tally.drop(CHORD_NOT_ENCODABLE)
                continue
            yield self._example(inputs, labels), augmented

    def _example(self, inputs: list, labels: list) -> Example:
        targets = np.asarray(labels, np.int32)
        if self.index_inputs:
            return Example(np.asarray(inputs, np.int32).reshape(-1), targets)
        return Example(SparseRows(np.asarray(inputs, np.float32)), targets)

    # -- the families ---------------------------------------------------------------------
    def _quantized_parts(self, sequence: music_pb2.NoteSequence, tally: extract.Tally
                         ) -> Iterator[music_pb2.NoteSequence]:
        for part in sequences_lib.split_note_sequence_on_time_changes(sequence):
            if not part.notes:  # the stretch before a change at the start, say
                continue
            quantized = extract.quantize(part, tally,
                                         steps_per_quarter=self.config.steps_per_quarter)
            if quantized is not None:
                yield quantized

    def _drums(self, sequence, training, tally) -> Iterator[Encodable]:
        for quantized in self._quantized_parts(sequence, tally):
            for track in extract.extract_drum_tracks(quantized, tally):
                yield (track,), False

    def _melodies(self, sequence, training, tally) -> Iterator[Encodable]:
        config = self.config
        for quantized in self._quantized_parts(sequence, tally):
            for melody in extract.extract_melodies(quantized, tally):
                melody.squash(config.min_note, config.max_note, config.transpose_to_key)
                yield (melody,), False

    def _lead_sheets(self, sequence, training, tally) -> Iterator[Encodable]:
        config = self.config
        for quantized in self._quantized_parts(sequence, tally):
            extract.keep_last_chord_per_step(quantized)
            if not extract.add_inferred_chords(quantized, tally):
                continue
            for amount, sheet in extract.extract_lead_sheets(quantized, tally):
                sheet.squash(config.min_note, config.max_note, config.transpose_to_key)
                yield (sheet.chords, sheet.melody), amount != 0

    def _polyphony(self, sequence, training, tally) -> Iterator[Encodable]:
        for quantized in self._quantized_parts(sequence, tally):
            for amount, moved in extract.transpositions(quantized, POLYPHONY_TRANSPOSITIONS,
                                                        tally):
                for track in extract.extract_polyphonic_tracks(moved, tally):
                    yield (track,), amount != 0

    def _performances(self, sequence, training, tally) -> Iterator[Encodable]:
        settings = SETTINGS[self.config.id]
        sustained = sequences_lib.apply_sustain_control_changes(sequence)
        for stretch in PERFORMANCE_STRETCHES if training else (1.0,):
            stretched = sequences_lib.stretch_note_sequence(sustained, stretch)
            for piece in sequences_lib.split_note_sequence(stretched, PERFORMANCE_HOP_SECONDS):
                quantized = extract.quantize(piece, tally, steps_per_second=STEPS_PER_SECOND)
                if quantized is None:
                    continue
                amounts = PERFORMANCE_TRANSPOSITIONS if training else (0,)
                for amount, moved in extract.transpositions(quantized, amounts, tally):
                    for performance in extract.extract_performances(
                            moved, tally, num_velocity_bins=settings.num_velocity_bins):
                        for arguments, extra_copy in self._conditioned(performance):
                            yield arguments, stretch != 1.0 or amount != 0 or extra_copy

    def _conditioned(self, performance: note_seq.Performance
                     ) -> Iterator[tuple[tuple[Any, ...], bool]]:
        """The encoder's arguments for a performance, with the control signals of a
        conditioned config; the optional config trains each performance twice, with
        conditioning and without (the second is counted as an extra copy)."""
        settings = SETTINGS[self.config.id]
        if not settings.controls:
            yield (performance,), False
            return
        signals = [control_signal(name) for name in settings.controls]
        controls = list(zip(*(signal.extract(performance) for signal in signals)))
        if not settings.optional_conditioning:
            yield (controls, performance), False
            return
        for disable in (False, True):
            yield ([(disable, values) for values in controls], performance), disable
