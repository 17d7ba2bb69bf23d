"""Magenta's ``TrioConverter``: 16-bar windows where a melody (programs 0-31), a bass
(programs 32-39) and drums play together, as the concatenated one-hots of the melody, bass
and 9-class drum encodings (90 + 90 + 512). Parts may rest up to ``gap_bars`` bars."""

from __future__ import annotations

import itertools
from dataclasses import replace

import note_seq
import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.families.music_vae.configs import MEL_PROGRAMS
from magwidgets.families.music_vae.converters import (
    PIANO_MAX_MIDI_PITCH,
    PIANO_MIN_MIDI_PITCH,
    DrumsConverter,
    ExtractionFailure,
    MelodyConverter,
    _Converter,
    _qpm,
    quantize,
)

BASS_PROGRAMS = range(32, 40)
ELECTRIC_BASS_PROGRAM = 33
MAX_INSTRUMENT = 127
MELODY, BASS, DRUMS, INVALID = "melody", "bass", "drums", "invalid"
PART_NAMES = {MELODY: "melody (programs 0-31)", BASS: "bass (programs 32-39)",
              DRUMS: "drums (is_drum)"}


def _instrument_sequence(sequence: music_pb2.NoteSequence, instrument: int, keep):
    """A copy of ``sequence`` holding only the notes of ``instrument`` that ``keep`` accepts."""
    part = music_pb2.NoteSequence()
    part.CopyFrom(sequence)
    del part.notes[:]
    part.notes.extend(n for n in sequence.notes if n.instrument == instrument and keep(n))
    return part


class TrioConverter(_Converter):
    """Trio windows in; out, melody, bass and drum class indices per step ([steps, 3])."""

    def __init__(self, config):
        super().__init__(config)
        self.gap_bars = config.gap_bars
        self.melody = MelodyConverter(replace(config, converter="melody"))
        self.drums = DrumsConverter(replace(config, converter="drums", roll_output=False))
        self.output_depths = [self.melody.output_depth, self.melody.output_depth,
                              self.drums.output_depth]
        self.input_depth = self.output_depth = sum(self.output_depths)

    def _melody_part(self, sequence, instrument: int) -> np.ndarray | None:
        """One instrument's whole melody as one-hots over the whole sequence
        (``OneHotMelodyConverter(gap_bars=None, pad_to_total_time=True)``)."""
        part = _instrument_sequence(sequence, instrument, lambda n: (
            PIANO_MIN_MIDI_PITCH <= n.pitch <= PIANO_MAX_MIDI_PITCH))
        quantized = note_seq.quantize_note_sequence(part, self.steps_per_quarter)
        melody = note_seq.Melody()
        melody.from_quantized_sequence(quantized, instrument=instrument, gap_bars=float("inf"),
                                       ignore_polyphonic_notes=True, pad_end=True,
                                       filter_drums=True)
        if len(melody) < self.steps_per_bar:
            return None
        melody.set_length(len(melody) + melody.start_step, from_left=True)
        melody.set_length(quantized.total_quantized_steps)
        eye = np.eye(self.melody.output_depth)
        return eye[[self.melody.encoding.encode_event(e) for e in melody]]

    def _drum_part(self, sequence, instrument: int) -> np.ndarray | None:
        """One instrument's drum track as 512-class one-hots over the whole sequence."""
        part = _instrument_sequence(sequence, instrument, lambda n: (
            n.is_drum and n.pitch in self.drums.pitch_class))
        quantized = note_seq.quantize_note_sequence(part, self.steps_per_quarter)
        for note in quantized.notes:
            note.pitch = self.drums.pitch_class[note.pitch]
        track = note_seq.DrumTrack()
        track.from_quantized_sequence(quantized, gap_bars=float("inf"), pad_end=True)
        if len(track) < self.steps_per_bar:
            return None
        track.set_length(len(track) + track.start_step, from_left=True)
        track.set_length(quantized.total_quantized_steps)
        eye = np.eye(self.drums.output_depth)
        return eye[[self.drums.one_hot.encode_event(e) for e in track]]

    def _kinds(self, quantized, total_bars: int):
        """Each instrument's part kind, and which bars each instrument sounds in."""
        kinds: dict[int, str] = {}
        coverage = np.zeros((total_bars, MAX_INSTRUMENT + 1), bool)
        for note in quantized.notes:
            i = note.instrument
            if i > MAX_INSTRUMENT:
                continue
            kind = (DRUMS if note.is_drum else MELODY if note.program in MEL_PROGRAMS
                    else BASS if note.program in BASS_PROGRAMS else INVALID)
            kinds[i] = kind if kinds.get(i, kind) == kind else INVALID
            start_bar = note.quantized_start_step // self.steps_per_bar
            end_bar = int(np.ceil(note.quantized_end_step / self.steps_per_bar))
            if start_bar < total_bars:
                coverage[start_bar:min(end_bar, total_bars), i] = True
        return kinds, coverage

    def _part_tensors(self, part):
        quantized = quantize(part, self.steps_per_quarter, self.steps_per_bar)
        total_bars = min(int(np.ceil(quantized.total_quantized_steps / self.steps_per_bar)),
                         self.max_steps // self.steps_per_bar)
        kinds, coverage = self._kinds(quantized, total_bars)
        by_kind = {kind: sorted(i for i, k in kinds.items() if k == kind)
                   for kind in (MELODY, BASS, DRUMS)}
        missing = [PART_NAMES[kind] for kind, found in by_kind.items() if not found]
        if missing:
            raise ExtractionFailure("a trio needs a melody, a bass and drums playing together; "
                                    f"it has no {' and no '.join(missing)}")
        sequence = music_pb2.NoteSequence()
        sequence.CopyFrom(part)
        total_steps = total_bars * self.steps_per_bar
        sequence.total_time = total_steps * 60.0 / _qpm(part) / self.steps_per_quarter
        encoded = {}
        for kind, encode in ((MELODY, self._melody_part), (BASS, self._melody_part),
                             (DRUMS, self._drum_part)):
            for i in by_kind[kind]:
                tensor = encode(sequence, i)
                if tensor is None:
                    coverage[:, i] = False
                else:
                    encoded[i] = tensor
        original = coverage.copy()
        for j in range(total_bars):
            coverage[j] = original[max(0, j - self.gap_bars):j + self.gap_bars + 1].any(axis=0)
        windows = []
        for group in itertools.product(by_kind[MELODY], by_kind[BASS], by_kind[DRUMS]):
            if not all(i in encoded for i in group):
                continue
            covered = coverage[:, group].all(axis=1)
            covered[:self.gap_bars] = coverage[:self.gap_bars, group].any()
            covered[-self.gap_bars:] = coverage[-self.gap_bars:, group].any()
            for j in range(total_bars - self.slice_bars + 1):
                if covered[j:j + self.slice_bars].all():
                    start, end = j * self.steps_per_bar, (j + self.slice_bars) * self.steps_per_bar
                    windows.append((start, group, np.concatenate(
                        [encoded[i][start:end] for i in group], axis=1)))
        if not windows:
            raise ExtractionFailure(
                f"no {self.slice_bars} bars in which a melody, a bass and drums all play "
                f"(each may rest at most {self.gap_bars} bars)")
        return sorted(windows, key=lambda w: (w[0], w[1]))

    def from_indices(self, indices: np.ndarray) -> music_pb2.NoteSequence:
        """Melody (instrument 0), bass (instrument 1, electric bass) and drums (9)."""
        sequence = self.melody.from_indices(indices[:, 0])
        bass = self.melody.from_indices(indices[:, 1])
        drums = self.drums.from_indices(indices[:, 2])
        for note in bass.notes:
            note.instrument, note.program = 1, ELECTRIC_BASS_PROGRAM
        for note in drums.notes:
            note.instrument = 9
        sequence.notes.extend(bass.notes)
        sequence.notes.extend(drums.notes)
        sequence.total_time = max(sequence.total_time, bass.total_time, drums.total_time)
        return sequence
