"""Magenta's MusicVAE data converters for melodies, drums and grooves, in NumPy + note-seq.

``to_tensors`` follows ``magenta.models.music_vae.data`` (``OneHotMelodyConverter``,
``DrumsConverter(roll_input=True)``, ``GrooveConverter``): split on time changes, quantize at
4 steps per quarter, extract melodies / drum tracks (1-bar gaps end them, padded to a bar),
slide a window of the config's length by one bar, dedupe. It returns every window with where
it starts, and when there is none, ``ExtractionFailure`` says why. ``from_output`` turns
decoder samples back into NoteSequences.
"""

from __future__ import annotations

from dataclasses import dataclass

import note_seq
import numpy as np
from note_seq import drums_encoder_decoder, sequences_lib
from note_seq.protobuf import music_pb2

from magwidgets.io.sequences import tempo_of

OUTPUT_VELOCITY = 80
PIANO_MIN_MIDI_PITCH = 21
PIANO_MAX_MIDI_PITCH = 108
DRUM_PITCH_CLASSES = drums_encoder_decoder.DEFAULT_DRUM_TYPE_PITCHES  # 9 classes
FULL_DRUM_PITCH_CLASSES = [[p] for p in (  # Magenta's 61 General MIDI drum classes
    36, 35, 38, 27, 28, 31, 32, 33, 34, 37, 39, 40, 56, 65, 66, 75, 85, 42, 44, 54, 68, 69, 70,
    71, 73, 78, 80, 46, 67, 72, 74, 79, 81, 45, 29, 41, 61, 64, 84, 48, 47, 60, 63, 77, 86, 87,
    50, 30, 43, 62, 76, 83, 49, 55, 57, 58, 51, 52, 53, 59, 82)]
DEFAULT_QPM = note_seq.DEFAULT_QUARTERS_PER_MINUTE


class ExtractionFailure(Exception):
    """No example could be extracted; the message says why."""


@dataclass(frozen=True)
class Example:
    """One encoder input found in a sequence: its tensor and where it was read from."""

    inputs: np.ndarray  # [steps, input_depth]
    start_time: float  # seconds from the start of the sequence
    end_time: float
    instruments: tuple[int, ...]  # the sequence's instrument numbers it holds


def quantize(sequence: music_pb2.NoteSequence, steps_per_quarter: int, steps_per_bar: int):
    """The sequence quantized to the model's grid, or ExtractionFailure saying why not."""
    try:
        quantized = note_seq.quantize_note_sequence(sequence, steps_per_quarter)
    except (note_seq.BadTimeSignatureError, note_seq.NonIntegerStepsPerBarError,
            note_seq.NegativeTimeError, note_seq.MultipleTimeSignatureError,
            note_seq.MultipleTempoError) as error:
        raise ExtractionFailure(f"it cannot be quantized ({error})") from None
    if sequences_lib.steps_per_bar_in_quantized_sequence(quantized) != steps_per_bar:
        raise ExtractionFailure("its time signature is not 4/4 (the model needs "
                                f"{steps_per_bar} steps per bar)")
    return quantized


def _truncate(track, max_steps: int) -> None:
    if len(track) > max_steps:
        track.set_length(max_steps - max_steps % track.steps_per_bar)


def _windows(tracks, slice_steps: int, steps_per_bar: int) -> list[tuple[int, tuple, tuple]]:
    """Distinct ``(start step, instruments, events)`` windows of the tracks, by time (Magenta
    keeps a set, in no order)."""
    seen, windows = set(), []
    for track, instruments in tracks:
        for i in range(slice_steps, len(track) + 1, steps_per_bar):
            events = tuple(track[i - slice_steps:i])
            if events not in seen:
                seen.add(events)
                windows.append((track.start_step + i - slice_steps, instruments, events))
    return sorted(windows, key=lambda w: (w[0], w[1]))


def _qpm(sequence: music_pb2.NoteSequence) -> float:
    return tempo_of(sequence)


class _Converter:
    presplit = True  # Magenta's presplit_on_time_changes

    def __init__(self, config):
        self.steps_per_quarter = config.steps_per_quarter
        self.steps_per_bar = config.steps_per_bar
        self.slice_steps = config.max_seq_len
        self.slice_bars = config.slice_bars
        self.max_steps = self.steps_per_bar * config.max_bars

    def from_output(self, row: np.ndarray) -> music_pb2.NoteSequence:
        """One decoder output row (class indices, or groove vectors) to a NoteSequence."""
        return self.from_indices(row)

    def to_tensors(self, sequence: music_pb2.NoteSequence) -> list[Example]:
        """Every distinct window in ``sequence``, by time; ExtractionFailure when none."""
        if not self.presplit:
            return self._examples(sequence, 0.0)
        parts = sequences_lib.split_note_sequence_on_time_changes(sequence)
        reasons, examples = [], []
        for part in parts:
            try:
                examples.extend(self._examples(part, part.subsequence_info.start_time_offset))
            except ExtractionFailure as failure:
                reasons.append(str(failure))
        if examples:
            return examples
        reason = "; ".join(dict.fromkeys(reasons)) or "it has no notes"
        if len(parts) > 1:
            changes = ", ".join(f"{p.subsequence_info.start_time_offset:g} s" for p in parts[1:])
            reason = (f"it changes tempo or time signature (at {changes}) and each stretch "
                      f"between changes is read on its own: {reason}")
        raise ExtractionFailure(reason)

    def _examples(self, part: music_pb2.NoteSequence, offset: float) -> list[Example]:
        step_seconds = 60.0 / _qpm(part) / self.steps_per_quarter
        return [Example(inputs, offset + start * step_seconds,
                        offset + (start + len(inputs)) * step_seconds, instruments)
                for start, instruments, inputs in self._part_tensors(part)]


class MelodyConverter(_Converter):
    """``OneHotMelodyConverter``: 90 classes (no event, note off, pitches 21..108); chords
    keep their highest note, as in Magenta (``skip_polyphony=False``)."""

    def __init__(self, config):
        super().__init__(config)
        self.valid_programs = config.valid_programs
        self.encoding = note_seq.MelodyOneHotEncoding(PIANO_MIN_MIDI_PITCH,
                                                      PIANO_MAX_MIDI_PITCH + 1)
        self.input_depth = self.output_depth = self.encoding.num_classes

    def _melody_notes(self, part: music_pb2.NoteSequence) -> list:
        """The notes Magenta reads a melody from, or ExtractionFailure saying why none."""
        pitched = [n for n in part.notes if not n.is_drum]
        if not part.notes:
            raise ExtractionFailure("it has no notes")
        if not pitched:
            raise ExtractionFailure("it has only drum notes (is_drum); a melody needs "
                                    "pitched notes")
        if self.valid_programs is not None:
            pitched = [n for n in pitched if n.program in self.valid_programs]
            if not pitched:
                programs = sorted({n.program for n in part.notes if not n.is_drum})
                raise ExtractionFailure(
                    f"no note is on a melody program {self.valid_programs[0]}-"
                    f"{self.valid_programs[-1]} (piano, chromatic percussion, organ, guitar); "
                    f"its programs are {programs}")
        in_range = [n for n in pitched
                    if PIANO_MIN_MIDI_PITCH <= n.pitch <= PIANO_MAX_MIDI_PITCH]
        if not in_range:
            pitches = [n.pitch for n in pitched]
            raise ExtractionFailure(
                f"every note is out of the melody range {PIANO_MIN_MIDI_PITCH}-"
                f"{PIANO_MAX_MIDI_PITCH} (pitches {min(pitches)}-{max(pitches)})")
        return [n for n in part.notes
                if (self.valid_programs is None or n.program in self.valid_programs)
                and PIANO_MIN_MIDI_PITCH <= n.pitch <= PIANO_MAX_MIDI_PITCH]

    def _part_tensors(self, part):
        notes = self._melody_notes(part)
        part = music_pb2.NoteSequence.FromString(part.SerializeToString())
        del part.notes[:]
        part.notes.extend(notes)
        quantized = quantize(part, self.steps_per_quarter, self.steps_per_bar)
        melodies = []
        for instrument in sorted({n.instrument for n in quantized.notes}):
            start = 0
            while True:
                melody = note_seq.Melody()
                melody.from_quantized_sequence(
                    quantized, search_start_step=start, instrument=instrument, gap_bars=1.0,
                    ignore_polyphonic_notes=True, pad_end=True, filter_drums=True)
                start = melody.end_step + (0 - melody.end_step) % self.steps_per_bar
                if not melody:
                    break
                if len(melody) < melody.steps_per_bar:
                    continue
                _truncate(melody, self.max_steps)
                if np.count_nonzero(melody.get_note_histogram()) < 1:
                    continue
                melodies.append((melody, (instrument,)))
        windows = _windows(melodies, self.slice_steps, self.steps_per_bar)
        if not windows:
            raise ExtractionFailure(f"no melody of at least {self.slice_bars} bars (a bar of "
                                    "silence ends a melody)")
        eye = np.eye(self.input_depth, dtype=np.float64)
        return [(start, instruments, eye[[self.encoding.encode_event(e) for e in events]])
                for start, instruments, events in windows]

    def from_indices(self, indices: np.ndarray) -> music_pb2.NoteSequence:
        melody = note_seq.Melody(steps_per_bar=self.steps_per_bar,
                                 steps_per_quarter=self.steps_per_quarter)
        for index in indices:
            melody.append(self.encoding.decode_event(int(index)))
        return melody.to_sequence(velocity=OUTPUT_VELOCITY, qpm=DEFAULT_QPM)


class DrumsConverter(_Converter):
    """``DrumsConverter(roll_input=True)``: a roll of the drum classes + NOR bit in; out,
    one of 2^classes one-hots or (``roll_output``, for NADE) the multi-hot roll itself."""

    def __init__(self, config):
        super().__init__(config)
        self.pitch_classes = (FULL_DRUM_PITCH_CLASSES if config.drum_classes == "full"
                              else DRUM_PITCH_CLASSES)
        self.pitch_class = {p: i for i, pitches in enumerate(self.pitch_classes)
                            for p in pitches}
        self.num_classes = len(self.pitch_classes)
        self.roll_output = config.roll_output
        self.one_hot = note_seq.MultiDrumOneHotEncoding(
            drum_type_pitches=[(i,) for i in range(self.num_classes)])
        self.input_depth = self.num_classes + 1
        self.output_depth = self.num_classes if self.roll_output else self.one_hot.num_classes

    def _part_tensors(self, part):
        if not any(n.is_drum for n in part.notes):
            raise ExtractionFailure("it has no drum notes (is_drum); a drum model needs "
                                    "a drum track (MIDI channel 10)")
        quantized = quantize(part, self.steps_per_quarter, self.steps_per_bar)
        notes = []
        for note in quantized.notes:
            if note.is_drum and note.pitch in self.pitch_class:
                note.pitch = self.pitch_class[note.pitch]
                notes.append(note)
        if not notes:
            raise ExtractionFailure("none of its drum notes has a drum pitch the model knows")
        instruments = tuple(sorted({n.instrument for n in notes}))
        del quantized.notes[:]
        quantized.notes.extend(notes)
        tracks, start = [], 0
        while True:
            track = note_seq.DrumTrack()
            track.from_quantized_sequence(quantized, search_start_step=start, gap_bars=1.0,
                                          pad_end=True)
            start = track.end_step + (0 - track.end_step) % self.steps_per_bar
            if not track:
                break
            if len(track) < track.steps_per_bar:
                continue
            _truncate(track, self.max_steps)
            tracks.append((track, instruments))
        windows = _windows(tracks, self.slice_steps, self.steps_per_bar)
        if not windows:
            raise ExtractionFailure(f"no drum track of at least {self.slice_bars} bars (a bar "
                                    "without drums ends a track)")
        return [(start, instruments, self.roll(events))
                for start, instruments, events in windows]

    def roll(self, events) -> np.ndarray:
        """The encoder input for drum events: class roll + a NOR bit for silent steps."""
        roll = np.zeros((len(events), self.input_depth))
        for step, event in enumerate(events):
            roll[step, list(event)] = 1.0
        roll[:, -1] = ~roll[:, :-1].any(axis=1)
        return roll

    def from_indices(self, samples: np.ndarray) -> music_pb2.NoteSequence:
        """Class indices (one-hot output) or rolls [steps, classes] to a drum track."""
        classes = ([np.flatnonzero(step) for step in samples] if self.roll_output
                   else [self.one_hot.decode_event(int(index)) for index in samples])
        events = [frozenset(self.pitch_classes[c][0] for c in step) for step in classes]
        track = note_seq.DrumTrack(events=events, steps_per_bar=self.steps_per_bar,
                                   steps_per_quarter=self.steps_per_quarter)
        return track.to_sequence(velocity=OUTPUT_VELOCITY)


REDUCED_DRUM_PITCH_CLASSES = DRUM_PITCH_CLASSES  # what Magenta's GrooVAE uses at inference
GROOVE_QPM = 120.0  # Magenta's GrooveConverter.from_tensors always writes 120 qpm
TAP_CLASS = 3  # tapify squashes every step onto the open hi-hat channel


class GrooveConverter(_Converter):
    """``GrooveConverter`` (continuous outputs, in Magenta's ``infer`` mode, so the reduced
    9 drum classes): per step and drum class a hit, a velocity / 127 and a timing offset
    (the distance from the grid step, in steps, times 2), 27 values in all. ``humanize``
    zeroes the input velocities and offsets, ``tapify`` squashes each step onto the open
    hi-hat channel (the loudest hit), ``fixed_velocities`` zeroes the input velocities,
    ``add_instruments`` removes those drum classes from the input (the model adds them)."""

    presplit = False

    def __init__(self, config):
        super().__init__(config)
        self.humanize = config.humanize
        self.tapify = config.tapify
        self.fixed_velocities = config.fixed_velocities
        self.add_instruments = list(config.add_instruments)
        self.pitch_classes = REDUCED_DRUM_PITCH_CLASSES
        self.pitch_class = {p: i for i, pitches in enumerate(self.pitch_classes)
                            for p in pitches}
        self.num_drums = len(self.pitch_classes)
        self.input_depth = self.output_depth = 3 * self.num_drums

    def full_tensors(self, sequence: music_pb2.NoteSequence, pad_to_window: bool = False):
        """(encoder inputs, target outputs) over the whole sequence, [steps, 27] each, padded
        to whole bars (to whole ``slice_bars`` windows with ``pad_to_window``)."""
        quantized = quantize(sequence, self.steps_per_quarter, self.steps_per_bar)
        notes = [n for n in quantized.notes if n.is_drum and n.pitch in self.pitch_class]
        if not notes:
            raise ExtractionFailure("it has no drum notes (is_drum) of a known drum pitch")
        qpm = tempo_of(quantized, GROOVE_QPM)
        step_length = 60.0 / qpm / self.steps_per_quarter
        max_start = max(n.quantized_start_step for n in notes)
        unit = self.slice_steps if pad_to_window else self.steps_per_bar
        steps = unit * int(np.ceil((max_start + 1) / unit))
        hits, velocities, offsets = (np.zeros((steps, self.num_drums)) for _ in range(3))
        chosen: dict[tuple[int, int], object] = {}
        for note in notes:  # the loudest note per step and drum class (first on ties)
            key = (int(note.quantized_start_step), self.pitch_class[note.pitch])
            if key not in chosen or note.velocity > chosen[key].velocity:
                chosen[key] = note
        for (step, drum), note in chosen.items():
            hits[step, drum] = 1.0
            velocities[step, drum] = note.velocity / 127.0
            offsets[step, drum] = 2 * (step_length * note.quantized_start_step
                                       - note.start_time) / step_length
        in_hits, in_velocities, in_offsets = hits.copy(), velocities.copy(), offsets.copy()
        if self.tapify:
            loudest = np.argmax(in_velocities, axis=1)
            rows = np.arange(steps)
            in_hits[:], in_velocities[:], in_offsets[:] = 0.0, 0.0, 0.0
            in_hits[:, TAP_CLASS] = hits[rows, loudest]
            in_velocities[:, TAP_CLASS] = velocities[rows, loudest]
            in_offsets[:, TAP_CLASS] = offsets[rows, loudest]
        if self.humanize:
            in_velocities[:], in_offsets[:] = 0.0, 0.0
        if self.fixed_velocities:
            in_velocities[:] = 0.0
        for part in (in_hits, in_velocities, in_offsets):
            part[:, self.add_instruments] = 0.0
        return (np.concatenate([in_hits, in_velocities, in_offsets], axis=1),
                np.concatenate([hits, velocities, offsets], axis=1))

    def _part_tensors(self, sequence):
        """Magenta's encoder inputs: the windows of ``slice_bars`` (hop one window; a last
        partial window is dropped, as Magenta does)."""
        inputs, _ = self.full_tensors(sequence)
        instruments = tuple(sorted({n.instrument for n in sequence.notes if n.is_drum}))
        windows = [(i, instruments, inputs[i:i + self.slice_steps])
                   for i in range(0, len(inputs) - self.slice_steps + 1, self.slice_steps)]
        if not windows:
            raise ExtractionFailure(f"it is shorter than {self.slice_bars} bars (the model "
                                    f"needs whole {self.slice_bars}-bar windows)")
        return windows

    def from_output(self, sample: np.ndarray, qpm: float = GROOVE_QPM,
                    start_step: int = 0) -> music_pb2.NoteSequence:
        """``GrooveConverter.from_tensors`` for one [steps, 27] decoder output."""
        sequence = music_pb2.NoteSequence()
        sequence.tempos.add(qpm=qpm)
        step_length = 60.0 / qpm / self.steps_per_quarter
        self.add_notes(sequence, sample, step_length, start_step)
        return sequence

    def add_notes(self, sequence, sample, step_length: float, start_step: int = 0) -> None:
        for i, row in enumerate(sample):
            hits, velocities, offsets = np.split(row, 3)
            for j in range(len(hits)):
                if hits[j] > 0.5:
                    offset = float(np.clip(offsets[j] / 2, -0.5, 0.5))
                    note = sequence.notes.add(
                        pitch=self.pitch_classes[j][0], instrument=9, is_drum=True,
                        velocity=int(np.clip(int(np.round(velocities[j] * 127)), 0, 127)))
                    note.start_time = (start_step + i - offset) * step_length
                    note.end_time = note.start_time + step_length
