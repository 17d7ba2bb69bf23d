"""Probabilities -> NoteSequence, as Magenta's ``infer_util.predict_sequence`` does it
(``note_seq.sequences_lib.pianoroll_to_note_sequence``), vectorised over frames and pitches.

The rules, for each pitch: frames = (frame_probs > frame_threshold) OR onsets, minus offsets;
a note starts only at an onset frame (the first of an active run, or a rising onset edge
inside one, which ends the note before it) and ends at the first inactive frame. A threshold
of 0 switches onsets or offsets off, as in Magenta (``if not hparams.predict_*_threshold``);
without onsets every active run is a note, with velocity 0 (note-seq never sets it then).
Times are ``frame * (1 / 31.25)`` s; notes come ordered by end frame, then pitch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.errors import GenerationError
from magwidgets.families.onsets_frames.mel import FRAMES_PER_SECOND

MIN_MIDI_PITCH = 21  # pitch index 0 of the model's 88 outputs
STANDARD_PPQ = 220  # note-seq's ticks per quarter
DEFAULT_QPM = 120.0  # note-seq's default tempo


@dataclass(frozen=True)
class Decoding:
    """Magenta's decoding hparams (``predict_*_threshold``, ``velocity_scale/bias``,
    ``min_duration_ms``), with its defaults."""

    onset_threshold: float = 0.5  # onset_probs > this starts a note; 0 ignores onsets
    frame_threshold: float = 0.5  # frame_probs > this keeps a note sounding
    offset_threshold: float = 0.0  # offset_probs > this ends a note; 0 ignores offsets
    velocity_scale: float = 80.0  # MIDI velocity = int(clip(v, 0, 1) * scale + bias)
    velocity_bias: float = 10.0
    min_duration_ms: float = 0.0  # shorter notes are dropped

    def __post_init__(self) -> None:
        for field in fields(self):
            value = getattr(self, field.name)
            if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                    or not math.isfinite(value):
                raise GenerationError(f"{field.name} must be a finite number, got {value!r}")
            if field.name.endswith("threshold") and not 0.0 <= value <= 1.0:
                raise GenerationError(f"{field.name} must lie in [0, 1], got {value!r}")
        if self.min_duration_ms < 0:
            raise GenerationError(f"min_duration_ms must be >= 0, got {self.min_duration_ms!r}")


def _with_silent_frame(roll: np.ndarray) -> np.ndarray:
    return np.concatenate([roll, np.zeros((1, roll.shape[1]), bool)])


def note_events(frames: np.ndarray, onsets: np.ndarray | None,
                offsets: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pitch index, start frame, end frame) of every note of boolean rolls [T, 88]."""
    active = _with_silent_frame(frames)
    if onsets is not None:
        onset = _with_silent_frame(onsets)
        active |= onset
    if offsets is not None:
        active &= ~_with_silent_frame(offsets)
    if onsets is None:
        onset = active
    earlier = np.zeros_like(active)
    earlier[1:] = onset[:-1] & active[:-1]  # an onset in the same active run, a frame before
    start = active & onset & ~earlier
    boundary = ~active | start
    length = active.shape[0]
    # column-major positions: pitch * length + frame; every column ends with a boundary
    starts = np.flatnonzero(start.T)
    ends = np.flatnonzero(boundary.T)
    following = ends[np.searchsorted(ends, starts, side="right")]
    return starts // length, starts % length, following % length


def unscale_velocity(values: np.ndarray, decoding: Decoding) -> np.ndarray:
    """note-seq's ``_unscale_velocity`` in float64: int(clip(v, 0, 1) * scale + bias), NaN
    -> 0."""
    unscaled = np.clip(values.astype(np.float64), 0.0, 1.0) * float(decoding.velocity_scale) \
        + float(decoding.velocity_bias)
    return np.where(np.isnan(unscaled), 0, np.trunc(np.nan_to_num(unscaled))).astype(np.int64)


def probabilities_to_note_sequence(outputs: dict[str, np.ndarray],
                                   decoding: Decoding = Decoding()) -> music_pb2.NoteSequence:
    """The NoteSequence Magenta's transcribe script writes for these model outputs
    (``onset_probs``, ``frame_probs``, ``offset_probs``, ``velocity_values``, each [T, 88])."""
    frame_length = 1 / FRAMES_PER_SECOND
    frames = outputs["frame_probs"] > decoding.frame_threshold
    onsets = outputs["onset_probs"] > decoding.onset_threshold \
        if decoding.onset_threshold else None
    offsets = outputs["offset_probs"] > decoding.offset_threshold \
        if decoding.offset_threshold else None
    pitch, start, end = note_events(frames, onsets, offsets)
    if onsets is None:
        velocity = np.zeros(len(pitch), np.int64)
    else:
        velocity = unscale_velocity(outputs["velocity_values"][start, pitch], decoding)
    start_time, end_time = start * frame_length, end * frame_length
    keep = (end_time - start_time) * 1000 >= decoding.min_duration_ms
    order = np.lexsort((pitch[keep], end[keep]))
    sequence = music_pb2.NoteSequence()
    sequence.tempos.add().qpm = DEFAULT_QPM
    sequence.ticks_per_quarter = STANDARD_PPQ
    for p, v, s, e in zip(pitch[keep][order], velocity[keep][order], start_time[keep][order],
                          end_time[keep][order]):
        sequence.notes.add(pitch=int(p) + MIN_MIDI_PITCH, velocity=int(v), start_time=float(s),
                           end_time=float(e))
    sequence.total_time = (frames.shape[0] + 1) * frame_length
    return sequence
