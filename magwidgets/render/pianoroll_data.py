"""Pure functions that turn a NoteSequence into the columns a pianoroll draws.

Nothing here knows about Bokeh models or Jupyter: each function reads a
``note_seq.NoteSequence`` and returns new NumPy arrays / lists, so it can be tested alone.

Y axis: one unit per row. Pitched notes sit at ``y = pitch`` (C4 = 60). Drum notes are
grouped into Magenta's 9 drum classes and drawn on named rows in a band *below* the pitch
rows (a one-row gap between the bands, and a "sustain" row just under the lowest pitch
when the sequence has sustain-pedal changes); chord symbols get a row above the roll.
Time is in seconds; bars and beats come from the sequence's first tempo and first time
signature (120 quarters per minute and 4/4 when it has none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pretty_midi
from bokeh.palettes import Viridis256
from note_seq import constants
from note_seq.drums_encoder_decoder import DEFAULT_DRUM_TYPE_PITCHES
from note_seq.protobuf import music_pb2

from magwidgets.io.sequences import tempo_of

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
MIDDLE_C, MIDDLE_C_OCTAVE = 60, 4  # MIDI pitch 60 is named C4, so pitch 0 is C-1
MIN_PITCH, MAX_PITCH = constants.MIN_MIDI_PITCH, constants.MAX_MIDI_PITCH  # 0, 127 inclusive
MAX_VELOCITY = constants.MAX_MIDI_VELOCITY  # 127
PITCH_PADDING = 2  # empty rows shown above and below the played pitch range, in semitones
MIN_PITCH_ROWS = 13  # at least one octave, C to C, so a single note is not a giant bar
EMPTY_PITCH_RANGE = (48, 72)  # C3..C5 inclusive, shown when there are no notes at all
BAND_GAP = 1  # empty rows between the drum band and the pitch rows
DRUM_CLASS_NAMES = ("kick", "snare", "closed hat", "open hat", "low tom", "mid tom",
                    "high tom", "crash", "ride")  # the order of DEFAULT_DRUM_TYPE_PITCHES
OTHER_DRUM = "other drum"  # row for drum pitches outside Magenta's 9 classes
SUSTAIN_ROW, CHORD_ROW = "sustain", "chords"
SUSTAIN_CC = 64  # MIDI control number of the sustain (damper) pedal
PEDAL_DOWN = 64  # control values >= this press the pedal
DEFAULT_METER = (4, 4)  # numerator, denominator
SECONDS_PER_MINUTE = 60.0
QUARTERS_PER_WHOLE = 4
MAX_NOTES_DRAWN = 100_000  # notes past this (in start order) are left out; ~30 min of dense piano
MIN_ALPHA = 0.35  # opacity of a velocity-1 note; velocity 127 is opaque
TRACK_PALETTE = ("#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                 "#bcbd22", "#7f7f7f")  # Category10 without red/orange, kept for drums
DRUM_COLOR = "#e6550d"
VELOCITY_PALETTE = Viridis256[:224]  # dark blue (soft) to green-yellow (loud), no pale end
BAR_LINE_COLOR, BEAT_LINE_COLOR = "#9a9a9a", "#dedede"
BAR_LINE_WIDTH, BEAT_LINE_WIDTH = 1.2, 0.8  # pixels
BAR_SHADE_COLOR = "#000000"  # drawn at SHADE_ALPHA, so the row shading shows through
BLACK_KEY_ROW_COLOR, DRUM_ROW_COLOR = "#3a4a8a", "#e6550d"  # also drawn at SHADE_ALPHA
SHADE_ALPHA = 0.06
BLACK_KEYS = frozenset({1, 3, 6, 8, 10})  # pitch classes of C#, D#, F#, G#, A#
COLOR_MODES = ("instrument", "velocity")
TIME_TOLERANCE = 1e-6  # seconds; float noise allowed when comparing times with bar/primer ends

Columns = dict[str, np.ndarray | list[Any]]  # ColumnDataSource data: equal-length columns
_DRUM_CLASS_OF_PITCH = {pitch: index for index, pitches in enumerate(DEFAULT_DRUM_TYPE_PITCHES)
                        for pitch in pitches}


def pitch_name(pitch: int) -> str:
    """Scientific pitch name with sharps, C4 = 60: ``pitch_name(61) == "C#4"``."""
    octave = MIDDLE_C_OCTAVE + (pitch - MIDDLE_C) // len(NOTE_NAMES)
    return f"{NOTE_NAMES[pitch % len(NOTE_NAMES)]}{octave}"


def drum_class_name(pitch: int) -> str:
    """Magenta's drum class of a General MIDI drum pitch ("kick", "snare", ...)."""
    index = _DRUM_CLASS_OF_PITCH.get(pitch)
    return OTHER_DRUM if index is None else DRUM_CLASS_NAMES[index]


@dataclass(frozen=True)
class RowLayout:
    """Which y value each row has, bottom to top, and what it is called.

    ``pitch_rows`` is the inclusive (low, high) pitch range drawn, or None without pitched
    notes; pitched notes sit at ``y = pitch``. ``drum_rows`` maps drum row names to y,
    kick lowest. ``sustain_y`` / ``chord_y`` are the pedal and chord rows, or None.
    """

    pitch_rows: tuple[int, int] | None
    drum_rows: dict[str, int]
    sustain_y: int | None
    chord_y: int | None

    @property
    def bottom(self) -> float:
        """Lower edge of the lowest row."""
        return min(self.labels()) - 0.5

    @property
    def top(self) -> float:
        """Upper edge of the highest row."""
        return max(self.labels()) + 0.5

    def labels(self) -> dict[int, str]:
        """Row name by y: note names, drum names, "sustain" and "chords"."""
        labels = {y: name for name, y in self.drum_rows.items()}
        if self.pitch_rows is not None:
            low, high = self.pitch_rows
            labels.update({p: pitch_name(p) for p in range(low, high + 1)})
        if self.sustain_y is not None:
            labels[self.sustain_y] = SUSTAIN_ROW
        if self.chord_y is not None:
            labels[self.chord_y] = CHORD_ROW
        return labels


def _has_sustain(sequence: music_pb2.NoteSequence) -> bool:
    return any(cc.control_number == SUSTAIN_CC for cc in sequence.control_changes)


def row_layout(sequence: music_pb2.NoteSequence) -> RowLayout:
    """The rows a pianoroll of ``sequence`` needs.

    Pitched rows span the played range plus ``PITCH_PADDING``, widened to ``MIN_PITCH_ROWS``.
    Drum notes get all 9 class rows (plus "other drum" when a pitch is in none of them),
    stacked below the pitch rows so that melody and beat share one time axis.
    """
    pitched = [min(max(n.pitch, MIN_PITCH), MAX_PITCH) for n in sequence.notes if not n.is_drum]
    drum_pitches = {n.pitch for n in sequence.notes if n.is_drum}
    pitch_rows: tuple[int, int] | None = None
    if pitched:
        low, high = min(pitched) - PITCH_PADDING, max(pitched) + PITCH_PADDING
        missing = MIN_PITCH_ROWS - (high - low + 1)
        if missing > 0:
            low, high = low - missing // 2, high + missing - missing // 2
        shift = max(MIN_PITCH - low, 0) - max(high - MAX_PITCH, 0)
        pitch_rows = (max(low + shift, MIN_PITCH), min(high + shift, MAX_PITCH))
    elif not drum_pitches:
        pitch_rows = EMPTY_PITCH_RANGE
    sustain_y = pitch_rows[0] - 1 if pitch_rows and pitched and _has_sustain(sequence) else None
    names = list(DRUM_CLASS_NAMES) if drum_pitches else []
    if any(drum_class_name(p) == OTHER_DRUM for p in drum_pitches):
        names.append(OTHER_DRUM)
    if pitch_rows is None:
        drum_base = 0
    else:
        lowest = pitch_rows[0] if sustain_y is None else sustain_y
        drum_base = lowest - BAND_GAP - len(names)
    drum_rows = {name: drum_base + index for index, name in enumerate(names)}
    highest = pitch_rows[1] if pitch_rows else drum_base + len(names) - 1
    chord_y = highest + 1 if chord_labels(sequence)["text"] else None
    return RowLayout(pitch_rows, drum_rows, sustain_y, chord_y)


def _note_table(sequence: music_pb2.NoteSequence, max_notes: int) -> np.ndarray:
    """Notes as a float array [notes, 7] (pitch, velocity, start, end, instrument, program,
    is_drum), sorted by start time and cut to the first ``max_notes``; pitches outside the
    MIDI range are clipped into it."""
    table = np.array([(n.pitch, n.velocity, n.start_time, n.end_time, n.instrument, n.program,
                       n.is_drum) for n in sequence.notes], dtype=np.float64).reshape(-1, 7)
    table[:, 0] = np.clip(table[:, 0], MIN_PITCH, MAX_PITCH)
    return table[np.argsort(table[:, 2], kind="stable")[:max_notes]]


def _track_label(instrument: int, program: int, is_drum: bool) -> str:
    if is_drum:
        return f"drums (instrument {instrument})"
    return f"{pretty_midi.program_to_instrument_name(program)} (instrument {instrument})"


def notes_to_columns(sequence: music_pb2.NoteSequence, color_by: str = "instrument",
                     primer_end: float | None = None, layout: RowLayout | None = None,
                     max_notes: int = MAX_NOTES_DRAWN) -> Columns:
    """One entry per note, ready for a ColumnDataSource.

    Args:
        sequence: the music; drum notes (``is_drum``) go to their class's row.
        color_by: "instrument" (a colour per instrument/program, one colour for all drums)
            or "velocity" (a colour map from soft to loud). Velocity also sets ``alpha``.
        primer_end: seconds; notes starting before it are marked "primer", the rest
            "generated". None marks no part.
        layout: the rows (``row_layout(sequence)`` when None).
        max_notes: draw only the first this many notes by start time (memory cap).

    Returns:
        Columns ``start``, ``end``, ``y``, ``pitch``, ``velocity``, ``alpha`` (arrays),
        ``instrument``, ``program``, ``is_drum`` (arrays) and ``name``, ``color``, ``track``,
        ``part`` (lists of strings).

    Raises:
        ValueError: ``color_by`` is not one of ``COLOR_MODES``.
    """
    if color_by not in COLOR_MODES:
        raise ValueError(f"color_by must be one of {COLOR_MODES}, got {color_by!r}")
    layout = layout or row_layout(sequence)
    table = _note_table(sequence, max_notes)
    pitch = table[:, 0].astype(np.int64)
    velocity = np.clip(table[:, 1], 1, MAX_VELOCITY).astype(np.int64)
    instrument, program = table[:, 4].astype(np.int64), table[:, 5].astype(np.int64)
    is_drum = table[:, 6].astype(bool)
    drum_names = [drum_class_name(p) for p in pitch[is_drum]]
    y = pitch.copy()
    y[is_drum] = [layout.drum_rows[name] for name in drum_names]
    names = np.array([pitch_name(p) for p in range(MAX_PITCH + 1)], dtype=object)[pitch]
    names[is_drum] = [f"{name} ({p})" for name, p in zip(drum_names, pitch[is_drum])]
    track_keys = list(zip(instrument.tolist(), program.tolist(), is_drum.tolist()))
    if color_by == "velocity":
        colors = np.array(VELOCITY_PALETTE)[(velocity - 1) * (len(VELOCITY_PALETTE) - 1)
                                            // (MAX_VELOCITY - 1)].tolist()
    else:
        pitched_tracks = sorted({key for key in track_keys if not key[2]})
        rank = {key: index for index, key in enumerate(pitched_tracks)}
        colors = [DRUM_COLOR if key[2] else TRACK_PALETTE[rank[key] % len(TRACK_PALETTE)]
                  for key in track_keys]
    labels = {key: _track_label(*key) for key in set(track_keys)}
    if primer_end is None:
        part = [""] * len(table)
    else:
        part = np.where(table[:, 2] < primer_end - TIME_TOLERANCE, "primer", "generated").tolist()
    return {
        "start": table[:, 2].copy(), "end": table[:, 3].copy(), "y": y, "pitch": pitch,
        "velocity": velocity, "alpha": MIN_ALPHA + (1 - MIN_ALPHA) * velocity / MAX_VELOCITY,
        "instrument": instrument, "program": program, "is_drum": is_drum,
        "name": names.tolist(), "color": colors, "track": [labels[key] for key in track_keys],
        "part": part,
    }


def meter(sequence: music_pb2.NoteSequence) -> tuple[float, int]:
    """(seconds per beat, beats per bar) from the first tempo and time signature.

    A beat is the time signature's denominator note (a quarter in 4/4, an eighth in 6/8).
    """
    qpm = tempo_of(sequence)
    numerator, denominator = DEFAULT_METER
    if sequence.time_signatures:
        signature = sequence.time_signatures[0]
        if signature.numerator > 0 and signature.denominator > 0:
            numerator, denominator = signature.numerator, signature.denominator
    seconds_per_quarter = SECONDS_PER_MINUTE / qpm
    return float(seconds_per_quarter * QUARTERS_PER_WHOLE / denominator), numerator


def bar_seconds(sequence: music_pb2.NoteSequence) -> float:
    """Length of one bar in seconds."""
    beat, beats_per_bar = meter(sequence)
    return beat * beats_per_bar


def whole_bars_end(sequence: music_pb2.NoteSequence, min_bars: int = 1) -> float:
    """End of the last bar that the sequence reaches into (at least ``min_bars`` bars)."""
    bar = bar_seconds(sequence)
    return float(max(math.ceil((sequence.total_time - TIME_TOLERANCE) / bar), min_bars) * bar)


def grid_lines(sequence: music_pb2.NoteSequence, end_time: float) -> Columns:
    """A vertical line on every beat from 0 to ``end_time`` (inclusive); bar lines darker.

    Returns:
        Columns ``x`` (seconds), ``is_bar``, ``bar`` (1-based bar number a bar line
        starts; 0 on beats), ``color`` and ``width`` (pixels).
    """
    beat, beats_per_bar = meter(sequence)
    index = np.arange(math.floor((end_time + TIME_TOLERANCE) / beat) + 1)
    is_bar = index % beats_per_bar == 0
    return {
        "x": index * beat, "is_bar": is_bar,
        "bar": np.where(is_bar, index // beats_per_bar + 1, 0),
        "color": np.where(is_bar, BAR_LINE_COLOR, BEAT_LINE_COLOR).tolist(),
        "width": np.where(is_bar, BAR_LINE_WIDTH, BEAT_LINE_WIDTH),
    }


def bar_shading(sequence: music_pb2.NoteSequence, end_time: float) -> Columns:
    """``left``/``right`` of every second bar (bars 2, 4, ...) up to ``end_time``."""
    bar = bar_seconds(sequence)
    left = np.arange(1, math.ceil((end_time - TIME_TOLERANCE) / bar), 2) * bar
    return {"left": left, "right": np.minimum(left + bar, end_time)}


def row_shading(layout: RowLayout) -> Columns:
    """Background rows: black-key pitch rows and the drum band, as ``y`` and ``color``."""
    rows = [(y, DRUM_ROW_COLOR) for y in layout.drum_rows.values()]
    if layout.pitch_rows is not None:
        low, high = layout.pitch_rows
        rows += [(p, BLACK_KEY_ROW_COLOR) for p in range(low, high + 1) if p % 12 in BLACK_KEYS]
    return {"y": np.array([y for y, _ in rows], dtype=np.int64), "color": [c for _, c in rows]}


def chord_labels(sequence: music_pb2.NoteSequence) -> Columns:
    """CHORD_SYMBOL text annotations in time order, as ``time`` (seconds) and ``text``."""
    chords = sorted((a.time, a.text) for a in sequence.text_annotations
                    if a.annotation_type == music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL)
    return {"time": np.array([t for t, _ in chords], dtype=np.float64),
            "text": [text for _, text in chords]}


def sustain_regions(sequence: music_pb2.NoteSequence, end_time: float) -> Columns:
    """Where the sustain pedal is down, as ``left``/``right`` seconds (open pedals end at
    ``end_time``)."""
    changes = sorted((cc.time, cc.control_value >= PEDAL_DOWN) for cc in sequence.control_changes
                     if cc.control_number == SUSTAIN_CC)
    regions: list[tuple[float, float]] = []
    down_since: float | None = None
    for time, down in changes:
        if down and down_since is None:
            down_since = time
        elif not down and down_since is not None:
            regions.append((down_since, time))
            down_since = None
    if down_since is not None:
        regions.append((down_since, max(end_time, down_since)))
    return {"left": np.array([r[0] for r in regions], dtype=np.float64),
            "right": np.array([r[1] for r in regions], dtype=np.float64)}
