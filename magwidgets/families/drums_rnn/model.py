"""Drums RNN (``one_drum``, ``drum_kit``): continues a drum track."""

from __future__ import annotations

import note_seq
from note_seq.protobuf import music_pb2

from magwidgets.families.event_rnn.model import EventRNN

DRUM_INSTRUMENT = 9  # General MIDI channel 10


class DrumsRNN(EventRNN):
    """Magenta's Drums RNN. Every primer note is read as a drum hit, pitched or not."""

    def _check_primer(self, sequence: music_pb2.NoteSequence) -> None:
        return None  # any notes can be read as drums, as Magenta does (ignore_is_drum)

    def _extract_track(self, quantized: music_pb2.NoteSequence, start_step: int):
        track = note_seq.DrumTrack()
        track.from_quantized_sequence(quantized, search_start_step=0, gap_bars=float("inf"),
                                      ignore_is_drum=True)
        return track if track else self._empty_track(note_seq.DrumTrack, quantized, start_step)

    def _to_model_range(self, track) -> int:
        return 0

    def _from_model_range(self, track, shift: int) -> None:
        return None

    def _to_sequence(self, track, qpm: float) -> music_pb2.NoteSequence:
        return track.to_sequence(qpm=qpm, instrument=DRUM_INSTRUMENT)
