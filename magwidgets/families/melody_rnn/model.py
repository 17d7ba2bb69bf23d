"""Melody RNN (``basic_rnn``, ``mono_rnn``, ``lookback_rnn``, ``attention_rnn``)."""

from __future__ import annotations

from collections import Counter

import note_seq
from note_seq.protobuf import music_pb2

from magwidgets.errors import PrimerError
from magwidgets.families.event_rnn.model import EventRNN


class MelodyRNN(EventRNN):
    """Magenta's Melody RNN: continues one monophonic line (drum notes are ignored)."""

    def _check_primer(self, sequence: music_pb2.NoteSequence) -> None:
        pitched = [note for note in sequence.notes if not note.is_drum]
        instruments = sorted({note.instrument for note in pitched})
        if len(instruments) > 1:
            raise PrimerError(
                f"the primer has notes on {len(instruments)} instruments {instruments}; a melody "
                "model continues a single line: pass one instrument's notes")
        onsets = Counter(round(note.start_time, 6) for note in pitched)
        chords = sorted(time for time, count in onsets.items() if count > 1)
        if chords:
            raise PrimerError(
                f"the primer is polyphonic: {onsets[chords[0]]} notes start together at "
                f"{chords[0]:.3f} s; a melody model needs one note at a time (use a "
                "polyphony or performance model for chords)")

    def _extract_track(self, quantized: music_pb2.NoteSequence, start_step: int):
        melody = note_seq.Melody()
        instruments = {note.instrument for note in quantized.notes if not note.is_drum}
        if instruments:
            try:
                melody.from_quantized_sequence(
                    quantized, search_start_step=0, instrument=instruments.pop(),
                    gap_bars=float("inf"), ignore_polyphonic_notes=False)
            except note_seq.PolyphonicMelodyError as err:
                raise PrimerError(
                    "the primer is polyphonic once quantized to "
                    f"{self.config.steps_per_quarter} steps per quarter: two notes start on "
                    "the same step; a melody model needs one note at a time") from err
        return melody if melody else self._empty_track(note_seq.Melody, quantized, start_step)

    def _to_model_range(self, track) -> int:
        return track.squash(self.config.min_note, self.config.max_note,
                            self.config.transpose_to_key)

    def _from_model_range(self, track, shift: int) -> None:
        track.transpose(-shift)

    def _to_sequence(self, track, qpm: float) -> music_pb2.NoteSequence:
        return track.to_sequence(qpm=qpm)
