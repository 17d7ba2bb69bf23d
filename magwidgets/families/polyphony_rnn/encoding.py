"""Magenta's polyphonic event encoding (``polyphony_rnn/polyphony_lib.py`` and
``polyphony_encoder_decoder.py``), which note-seq does not ship.

A track is a stream of single-note events: START, then for every quantized step the
continued notes and new notes of that step (highest pitch first) closed by STEP_END, and a
final END. A note that is active but not continued in a step has ended.
"""

from __future__ import annotations

import collections
import copy
from enum import IntEnum
from typing import Iterator, NamedTuple

from note_seq import constants
from note_seq.encoder_decoder import OneHotEncoding
from note_seq.protobuf import music_pb2

PITCH_CLASSES = constants.MAX_MIDI_PITCH + 1  # 128 pitches, 0..127
GENERATED_VELOCITY = 100  # Magenta's to_sequence default


class EventType(IntEnum):
    """Polyphonic event types, numbered as in Magenta's ``PolyphonicEvent``."""

    START = 0
    END = 1
    STEP_END = 2
    NEW_NOTE = 3
    CONTINUED_NOTE = 4


class PolyphonicEvent(NamedTuple):
    """One event; ``pitch`` is None (or 0, when decoded by the model) for non-note events."""

    event_type: int
    pitch: int | None = None


_UNPITCHED = (EventType.START, EventType.END, EventType.STEP_END)  # class order 0, 1, 2
_PITCHED = (EventType.NEW_NOTE, EventType.CONTINUED_NOTE)  # then 128 classes each

START = PolyphonicEvent(EventType.START)
END = PolyphonicEvent(EventType.END)
STEP_END = PolyphonicEvent(EventType.STEP_END)


class PolyphonyOneHotEncoding(OneHotEncoding):
    """Magenta's ``PolyphonyOneHotEncoding``: 3 + 2 * 128 = 259 classes."""

    @property
    def num_classes(self) -> int:
        return len(_UNPITCHED) + len(_PITCHED) * PITCH_CLASSES

    @property
    def default_event(self) -> PolyphonicEvent:
        return PolyphonicEvent(EventType.STEP_END, 0)

    def encode_event(self, event: PolyphonicEvent) -> int:
        if event.event_type in _UNPITCHED:
            return _UNPITCHED.index(event.event_type)
        if event.event_type in _PITCHED:
            return len(_UNPITCHED) + _PITCHED.index(event.event_type) * PITCH_CLASSES + event.pitch
        raise ValueError(f"unknown polyphonic event type: {event.event_type!r}")

    def decode_event(self, index: int) -> PolyphonicEvent:
        if index < len(_UNPITCHED):
            return PolyphonicEvent(_UNPITCHED[index], 0)  # pitch 0, as Magenta decodes
        pitched = index - len(_UNPITCHED)
        if pitched < len(_PITCHED) * PITCH_CLASSES:
            return PolyphonicEvent(_PITCHED[pitched // PITCH_CLASSES], pitched % PITCH_CLASSES)
        raise ValueError(f"unknown polyphonic event index: {index}")

    def event_to_num_steps(self, event: PolyphonicEvent) -> int:
        return 1 if event.event_type == EventType.STEP_END else 0


class PolyphonicTrack:
    """A polyphonic event sequence with Magenta's ``PolyphonicSequence`` semantics.

    Events are immutable tuples, so copying ``_events`` copies the track (see
    ``beam.copy_track``).
    """

    def __init__(self, events: list[PolyphonicEvent] | None = None, *, start_step: int = 0,
                 steps_per_quarter: int) -> None:
        self._events = list(events) if events is not None else [START]
        self.start_step = start_step
        self.steps_per_quarter = steps_per_quarter

    @classmethod
    def from_quantized_sequence(cls, quantized: music_pb2.NoteSequence,
                                start_step: int = 0) -> "PolyphonicTrack":
        """Every note of ``quantized`` (drums included, as Magenta reads them) from
        ``start_step`` to the sequence's last quantized step."""
        starts: dict[int, list[int]] = collections.defaultdict(list)
        ends: dict[int, list[int]] = collections.defaultdict(list)
        for note in quantized.notes:
            if note.quantized_start_step < start_step:
                continue
            starts[note.quantized_start_step].append(note.pitch)
            ends[note.quantized_end_step].append(note.pitch)
        events = [START]
        active: list[int] = []  # a list: one pitch may sound several times
        for step in range(start_step, quantized.total_quantized_steps):
            for pitch in ends[step]:
                active.remove(pitch)
            step_events = [PolyphonicEvent(EventType.CONTINUED_NOTE, p) for p in active]
            for pitch in starts[step]:
                active.append(pitch)
                step_events.append(PolyphonicEvent(EventType.NEW_NOTE, pitch))
            events.extend(sorted(step_events, key=lambda e: e.pitch, reverse=True))
            events.append(STEP_END)
        events.append(END)
        return cls(events, start_step=start_step,
                   steps_per_quarter=quantized.quantization_info.steps_per_quarter)

    def __len__(self) -> int:
        return len(self._events)

    def __getitem__(self, index: int) -> PolyphonicEvent:
        return self._events[index]

    def __iter__(self) -> Iterator[PolyphonicEvent]:
        return iter(self._events)

    def append(self, event: PolyphonicEvent) -> None:
        self._events.append(PolyphonicEvent(*event))

    @property
    def num_steps(self) -> int:
        """Completed steps (STEP_END events)."""
        return sum(1 for event in self._events if event.event_type == EventType.STEP_END)

    def trim_trailing_end_events(self) -> None:
        while self._events and self._events[-1].event_type == EventType.END:
            del self._events[-1]

    def set_length(self, steps: int) -> None:
        """Close any open step, pad with silent steps or cut to ``steps``, then add END."""
        self.trim_trailing_end_events()
        self._events.append(STEP_END)
        have = self.num_steps
        if have < steps:
            self._events.extend([STEP_END] * (steps - have))
        elif have > steps:
            self._trim_steps(have - steps)
        self._events.append(END)

    def _trim_steps(self, num_steps: int) -> None:
        trimmed = 0
        for i in reversed(range(len(self._events))):
            if self._events[i].event_type == EventType.STEP_END:
                if trimmed == num_steps:
                    del self._events[i + 1:]
                    return
                trimmed += 1
            elif i == 0:
                self._events = [START]
                return

    def to_sequence(self, qpm: float,
                    base: music_pb2.NoteSequence | None = None) -> music_pb2.NoteSequence:
        """Render as notes (velocity 100, instrument and program 0), added to a copy of
        ``base`` when given. Call ``set_length`` first so that every note is closed."""
        seconds_per_step = 60.0 / qpm / self.steps_per_quarter
        offset = self.start_step * seconds_per_step
        if base is not None:
            sequence = copy.deepcopy(base)
        else:
            sequence = music_pb2.NoteSequence(ticks_per_quarter=constants.STANDARD_PPQ)
            sequence.tempos.add(qpm=qpm)
        step = 0
        sounding: list[tuple[int, int]] = []  # (pitch, start step), oldest first
        to_end: list[int] = []
        last = len(self._events) - 1
        for i, event in enumerate(self._events):
            kind = event.event_type
            if kind == EventType.NEW_NOTE:
                sounding.append((event.pitch, step))
            elif kind == EventType.CONTINUED_NOTE:
                if event.pitch in to_end:  # continuing a silent pitch is ignored
                    to_end.remove(event.pitch)
            elif kind == EventType.STEP_END or (kind == EventType.END and i == last):
                for pitch, start in list(sounding):
                    if pitch in to_end:
                        to_end.remove(pitch)
                        sounding.remove((pitch, start))
                        sequence.notes.add(
                            pitch=pitch, velocity=GENERATED_VELOCITY,
                            start_time=start * seconds_per_step + offset,
                            end_time=step * seconds_per_step + offset)
                step += 1
                to_end = [pitch for pitch, _ in sounding]
            # START anywhere and END before the last event are ignored, as in Magenta
        if sounding:
            raise ValueError("the track ends with notes still sounding; call set_length first")
        sequence.total_time = seconds_per_step * (step - 1) + offset
        return sequence
