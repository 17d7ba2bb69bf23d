"""Magenta's MusicVAE data converters for 2-bar melodies and drums, in NumPy + note-seq.

``to_tensors`` follows ``magenta.models.music_vae.data`` (``OneHotMelodyConverter`` and
``DrumsConverter(roll_input=True)``): split on time changes, quantize at 4 steps per quarter,
extract melodies / drum tracks (1-bar gaps end them, padded to a bar), slide a 2-bar window
by one bar, dedupe. ``from_tensors`` turns decoder class indices back into NoteSequences.
"""

from __future__ import annotations

import numpy as np
import note_seq
from note_seq import drums_encoder_decoder, sequences_lib
from note_seq.protobuf import music_pb2

OUTPUT_VELOCITY = 80
PIANO_MIN_MIDI_PITCH = 21
PIANO_MAX_MIDI_PITCH = 108
MEL_PROGRAMS = range(0, 32)
DRUM_PITCH_CLASSES = drums_encoder_decoder.DEFAULT_DRUM_TYPE_PITCHES  # 9 classes


class ExtractionFailure(Exception):
    """No example could be extracted; the message says why."""


def _quantize(sequence: music_pb2.NoteSequence, steps_per_quarter: int, steps_per_bar: int):
    try:
        quantized = note_seq.quantize_note_sequence(sequence, steps_per_quarter)
    except (note_seq.BadTimeSignatureError, note_seq.NonIntegerStepsPerBarError,
            note_seq.NegativeTimeError) as error:
        raise ExtractionFailure(f"it cannot be quantized ({error})") from None
    if sequences_lib.steps_per_bar_in_quantized_sequence(quantized) != steps_per_bar:
        raise ExtractionFailure("its time signature is not 4/4 (the model needs "
                                f"{steps_per_bar} steps per bar)")
    return quantized


def _truncate(track, max_steps: int) -> None:
    if len(track) > max_steps:
        track.set_length(max_steps - max_steps % track.steps_per_bar)


def _windows(tracks, slice_steps: int, steps_per_bar: int) -> list[tuple]:
    windows = {tuple(track[i - slice_steps:i])
               for track in tracks for i in range(slice_steps, len(track) + 1, steps_per_bar)}
    return sorted(windows, key=repr)  # Magenta's set order is arbitrary; make ours stable


class _Converter:
    def from_output(self, row: np.ndarray) -> music_pb2.NoteSequence:
        """One decoder output row (class indices, or groove vectors) to a NoteSequence."""
        return self.from_indices(row)

    def __init__(self, config):
        self.steps_per_quarter = config.steps_per_quarter
        self.steps_per_bar = config.steps_per_quarter * config.quarters_per_bar
        self.slice_steps = self.steps_per_bar * config.slice_bars
        self.max_steps = self.steps_per_bar * config.max_bars

    def to_tensors(self, sequence: music_pb2.NoteSequence) -> list[np.ndarray]:
        """All distinct 2-bar input tensors in ``sequence``; ExtractionFailure when none."""
        reasons, inputs = [], []
        for part in sequences_lib.split_note_sequence_on_time_changes(sequence):
            try:
                inputs.extend(self._part_tensors(part))
            except ExtractionFailure as failure:
                reasons.append(str(failure))
        if not inputs:
            raise ExtractionFailure("; ".join(dict.fromkeys(reasons)) or "it has no notes")
        return inputs


class MelodyConverter(_Converter):
    """``OneHotMelodyConverter``: 90 classes (no event, note off, pitches 21..108)."""

    def __init__(self, config):
        super().__init__(config)
        self.encoding = note_seq.MelodyOneHotEncoding(PIANO_MIN_MIDI_PITCH,
                                                      PIANO_MAX_MIDI_PITCH + 1)
        self.input_depth = self.output_depth = self.encoding.num_classes

    def _part_tensors(self, part):
        part = music_pb2.NoteSequence.FromString(part.SerializeToString())
        notes = [n for n in part.notes if n.program in MEL_PROGRAMS
                 and PIANO_MIN_MIDI_PITCH <= n.pitch <= PIANO_MAX_MIDI_PITCH]
        del part.notes[:]
        part.notes.extend(notes)
        if not notes:
            raise ExtractionFailure("it has no notes with program 0-31 and pitch 21-108")
        if all(n.is_drum for n in notes):
            raise ExtractionFailure("it has only drum notes (is_drum); a melody needs "
                                    "pitched notes")
        quantized = _quantize(part, self.steps_per_quarter, self.steps_per_bar)
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
                melodies.append(melody)
        windows = _windows(melodies, self.slice_steps, self.steps_per_bar)
        if not windows:
            raise ExtractionFailure("no melody of at least 2 bars (a bar of silence ends "
                                    "a melody)")
        eye = np.eye(self.input_depth, dtype=np.float64)
        return [eye[[self.encoding.encode_event(e) for e in w]] for w in windows]

    def from_indices(self, indices: np.ndarray) -> music_pb2.NoteSequence:
        melody = note_seq.Melody(steps_per_bar=self.steps_per_bar,
                                 steps_per_quarter=self.steps_per_quarter)
        for index in indices:
            melody.append(self.encoding.decode_event(int(index)))
        return melody.to_sequence(velocity=OUTPUT_VELOCITY,
                                  qpm=note_seq.DEFAULT_QUARTERS_PER_MINUTE)


class DrumsConverter(_Converter):
    """``DrumsConverter(roll_input=True)``: 9-bit roll + NOR bit in, 512 classes out."""

    def __init__(self, config):
        super().__init__(config)
        self.pitch_class = {p: i for i, pitches in enumerate(DRUM_PITCH_CLASSES)
                            for p in pitches}
        self.num_classes = len(DRUM_PITCH_CLASSES)
        self.one_hot = note_seq.MultiDrumOneHotEncoding(
            drum_type_pitches=[(i,) for i in range(self.num_classes)])
        self.input_depth = self.num_classes + 1
        self.output_depth = self.one_hot.num_classes

    def _part_tensors(self, part):
        quantized = _quantize(part, self.steps_per_quarter, self.steps_per_bar)
        notes = []
        for note in quantized.notes:
            if note.is_drum and note.pitch in self.pitch_class:
                note.pitch = self.pitch_class[note.pitch]
                notes.append(note)
        del quantized.notes[:]
        quantized.notes.extend(notes)
        if not notes:
            raise ExtractionFailure("it has no drum notes (is_drum) of a known drum pitch")
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
            tracks.append(track)
        windows = _windows(tracks, self.slice_steps, self.steps_per_bar)
        if not windows:
            raise ExtractionFailure("no drum track of at least 2 bars (a bar without drums "
                                    "ends a track)")
        result = []
        for window in windows:
            roll = np.zeros((len(window), self.input_depth))
            for step, event in enumerate(window):
                roll[step, list(event)] = 1.0
            roll[:, -1] = ~roll[:, :-1].any(axis=1)
            result.append(roll)
        return result

    def from_indices(self, indices: np.ndarray) -> music_pb2.NoteSequence:
        events = [frozenset(DRUM_PITCH_CLASSES[c][0]
                            for c in self.one_hot.decode_event(int(index)))
                  for index in indices]
        track = note_seq.DrumTrack(events=events, steps_per_bar=self.steps_per_bar,
                                   steps_per_quarter=self.steps_per_quarter)
        return track.to_sequence(velocity=OUTPUT_VELOCITY)




ROLAND_DRUM_PITCH_CLASSES = [[36], [38, 37, 40], [42, 22, 44], [46, 26], [43, 58], [47, 45],
                             [50, 48], [49, 52, 55, 57], [51, 53, 59]]
REDUCED_DRUM_PITCH_CLASSES = DRUM_PITCH_CLASSES  # what Magenta's GrooVAE uses at inference
GROOVE_QPM = 120.0  # Magenta's GrooveConverter.from_tensors always writes 120 qpm
TAP_CLASS = 3  # tapify squashes every step onto the open hi-hat channel


class GrooveConverter(_Converter):
    """``GrooveConverter`` (continuous outputs, in Magenta's ``infer`` mode, so the reduced
    9 drum classes): per step and drum class a hit, a velocity / 127 and a timing offset
    (the distance from the grid step, in steps, times 2), 27 values in all. ``humanize``
    zeroes the input velocities and offsets, ``tapify`` squashes each step onto the open
    hi-hat channel (the loudest hit), ``fixed_velocities`` zeroes the input velocities."""

    def __init__(self, config):
        super().__init__(config)
        self.humanize = config.humanize
        self.tapify = config.tapify
        self.fixed_velocities = config.fixed_velocities
        self.pitch_classes = REDUCED_DRUM_PITCH_CLASSES
        self.pitch_class = {p: i for i, pitches in enumerate(self.pitch_classes)
                            for p in pitches}
        self.num_drums = len(self.pitch_classes)
        self.input_depth = self.output_depth = 3 * self.num_drums

    def _quantize(self, sequence):
        try:
            quantized = note_seq.quantize_note_sequence(sequence, self.steps_per_quarter)
        except (note_seq.BadTimeSignatureError, note_seq.NonIntegerStepsPerBarError,
                note_seq.NegativeTimeError, note_seq.MultipleTimeSignatureError,
                note_seq.MultipleTempoError) as error:
            raise ExtractionFailure(f"it cannot be quantized ({error})") from None
        if sequences_lib.steps_per_bar_in_quantized_sequence(quantized) != self.steps_per_bar:
            raise ExtractionFailure("its time signature is not 4/4 (the model needs "
                                    f"{self.steps_per_bar} steps per bar)")
        return quantized

    def full_tensors(self, sequence: music_pb2.NoteSequence, pad_to_window: bool = False):
        """(encoder inputs, target outputs) over the whole sequence, [steps, 27] each, padded
        to whole bars (to whole ``slice_bars`` windows with ``pad_to_window``)."""
        quantized = self._quantize(sequence)
        notes = [n for n in quantized.notes if n.is_drum and n.pitch in self.pitch_class]
        if not notes:
            raise ExtractionFailure("it has no drum notes (is_drum) of a known drum pitch")
        qpm = quantized.tempos[0].qpm if quantized.tempos else GROOVE_QPM
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
        return (np.concatenate([in_hits, in_velocities, in_offsets], axis=1),
                np.concatenate([hits, velocities, offsets], axis=1))

    def to_tensors(self, sequence: music_pb2.NoteSequence) -> list[np.ndarray]:
        """Magenta's encoder inputs: the 2-bar windows (hop 2 bars; a last partial window
        is dropped, as Magenta does)."""
        inputs, _ = self.full_tensors(sequence)
        windows = [inputs[i:i + self.slice_steps]
                   for i in range(0, len(inputs) - self.slice_steps + 1, self.slice_steps)]
        if not windows:
            raise ExtractionFailure(f"it is shorter than {self.slice_steps // self.steps_per_bar}"
                                    " bars (the model needs whole 2-bar windows)")
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


def make_converter(config):
    return {"melody": MelodyConverter, "drums": DrumsConverter,
            "groove": GrooveConverter}[config.converter](config)
