"""Magenta's extraction rules (``magenta.pipelines``): from a quantized NoteSequence to the
melodies, drum tracks, lead sheets, polyphonic tracks and performances its models train on.

Each function follows Magenta's function of the same name and counts what it drops, by
reason (the texts are the constants below), in a ``Tally``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterator

import note_seq
import numpy as np
from note_seq import chord_inference, chord_symbols_lib, sequences_lib
from note_seq.protobuf import music_pb2

from magwidgets.families.polyphony_rnn.encoding import PolyphonicTrack

CHORD_SYMBOL = music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL
MULTIPLE_PROGRAMS = "more than one program (instrument sound)"
BAD_TIME_SIGNATURE = "unusable time signature"
NON_INTEGER_BAR = "bar is not a whole number of steps"
POLYPHONIC = "polyphonic track (notes start together)"
MELODY_TOO_SHORT = "melody too short"
TOO_FEW_PITCHES = "melody uses too few pitches"
DRUMS_TOO_SHORT = "drum track too short"
NO_TRACK = "no {kind} found"
COINCIDENT_CHORDS = "two chords on one step"
UNPARSEABLE_CHORD = "chord symbol note-seq cannot read"
NO_CHORDS = "no chords"
CHORD_INFERENCE_FAILED = "chords could not be inferred"
POLYPHONY_TOO_SHORT = "polyphonic track too short"
POLYPHONY_TOO_LONG = "polyphonic track too long"
PERFORMANCE_TOO_SHORT = "performance too short"
OUT_OF_RANGE = "transposition leaves the MIDI range"
ALL_KEYS = range(-6, 6)  # Magenta's all_transpositions: semitones


@dataclass
class Tally:
    """What the extraction dropped (by reason), how many long tracks it cut into several
    examples, and how many it truncated."""

    dropped: Counter = field(default_factory=Counter)
    cut_up: int = 0
    truncated: int = 0

    def drop(self, reason: str) -> None:
        self.dropped[reason] += 1


def quantize(sequence: music_pb2.NoteSequence, tally: Tally, *,
             steps_per_quarter: int | None = None,
             steps_per_second: int | None = None) -> music_pb2.NoteSequence | None:
    """Magenta's ``Quantizer``: on the beat grid or in absolute time; None (counted) when
    the sequence has no usable time signature."""
    try:
        if steps_per_second is not None:
            return sequences_lib.quantize_note_sequence_absolute(sequence, steps_per_second)
        quantized = sequences_lib.quantize_note_sequence(sequence, steps_per_quarter)
    except (sequences_lib.BadTimeSignatureError, sequences_lib.MultipleTimeSignatureError,
            sequences_lib.MultipleTempoError, sequences_lib.NegativeTimeError):
        tally.drop(BAD_TIME_SIGNATURE)
        return None
    if sequences_lib.steps_per_bar_in_quantized_sequence(quantized) % 1:
        tally.drop(NON_INTEGER_BAR)  # e.g. 3/16 at 4 steps per quarter
        return None
    return quantized


def transpositions(sequence: music_pb2.NoteSequence, amounts: range | tuple[int, ...],
                   tally: Tally) -> list[tuple[int, music_pb2.NoteSequence]]:
    """Magenta's ``TranspositionPipeline``: (amount, copy) for each amount that keeps every
    pitched note in the MIDI range (drums stay put)."""
    result = []
    for amount in amounts:
        pitched = [note.pitch + amount for note in sequence.notes if not note.is_drum]
        if pitched and not (note_seq.MIN_MIDI_PITCH <= min(pitched)
                            and max(pitched) <= note_seq.MAX_MIDI_PITCH):
            tally.drop(OUT_OF_RANGE)
            continue
        moved = copy.deepcopy(sequence)
        for note in moved.notes:
            if not note.is_drum:
                note.pitch += amount
        result.append((amount, moved))
    return result


def _successive(quantized: music_pb2.NoteSequence,
                read: Callable[[int], object]) -> Iterator:
    """Tracks read one after another: each search starts at the bar after the last ended."""
    steps_per_bar = int(sequences_lib.steps_per_bar_in_quantized_sequence(quantized))
    start = 0
    while True:
        track = read(start)
        start = track.end_step + (-track.end_step) % steps_per_bar
        if not track:
            return
        yield track


def _pieces(track, max_steps: int, min_steps: int, tally: Tally) -> list:
    """A long track as consecutive pieces of ``max_steps`` (whole bars), the last one kept
    when it has ``min_steps``. (Magenta keeps only the first piece; the Groove MIDI beats
    run to several minutes, and the rest is good training data.)"""
    if len(track) <= max_steps:
        return [track]
    tally.cut_up += 1
    size = max_steps - max_steps % track.steps_per_bar
    events = list(track)
    return [type(track)(events=events[start:start + size], start_step=track.start_step + start,
                        steps_per_bar=track.steps_per_bar,
                        steps_per_quarter=track.steps_per_quarter)
            for start in range(0, len(events), size) if len(events) - start >= min_steps]


def extract_melodies(quantized: music_pb2.NoteSequence, tally: Tally, *,
                     min_bars: int = 7, max_steps: int = 512, gap_bars: float = 1.0,
                     min_unique_pitches: int = 5,
                     ignore_polyphonic_notes: bool = False) -> list[note_seq.Melody]:
    """Magenta's ``extract_melodies``: every monophonic line of each instrument, split at
    ``gap_bars`` of silence, at least ``min_bars`` long (longer ones cut into pieces of
    ``max_steps``) with ``min_unique_pitches`` pitch classes; a track where notes start
    together is dropped unless ``ignore_polyphonic_notes`` (then the highest is kept)."""
    if all(note.is_drum for note in quantized.notes):
        tally.drop(NO_TRACK.format(kind="pitched notes"))
        return []
    melodies = []
    for instrument in sorted({note.instrument for note in quantized.notes}):
        def read(start: int) -> note_seq.Melody:
            melody = note_seq.Melody()
            melody.from_quantized_sequence(
                quantized, search_start_step=start, instrument=instrument, gap_bars=gap_bars,
                ignore_polyphonic_notes=ignore_polyphonic_notes, filter_drums=True)
            return melody

        try:
            for melody in _successive(quantized, read):
                min_steps = melody.steps_per_bar * min_bars
                if len(melody) < min_steps:
                    tally.drop(f"{MELODY_TOO_SHORT} (< {min_bars} bars)")
                    continue
                for piece in _pieces(melody, max_steps, min_steps, tally):
                    if np.count_nonzero(piece.get_note_histogram()) < min_unique_pitches:
                        tally.drop(f"{TOO_FEW_PITCHES} (< {min_unique_pitches})")
                        continue
                    melodies.append(piece)
        except note_seq.PolyphonicMelodyError:
            tally.drop(POLYPHONIC)
    return melodies


def extract_drum_tracks(quantized: music_pb2.NoteSequence, tally: Tally, *,
                        min_bars: int = 7, max_steps: int = 512,
                        gap_bars: float = 1.0) -> list[note_seq.DrumTrack]:
    """Magenta's ``extract_drum_tracks``: the drum notes (``is_drum``) of all instruments as
    one track, split at ``gap_bars`` without drums, at least ``min_bars`` long (longer ones
    cut into pieces of ``max_steps``)."""
    def read(start: int) -> note_seq.DrumTrack:
        track = note_seq.DrumTrack()
        track.from_quantized_sequence(quantized, search_start_step=start, gap_bars=gap_bars)
        return track

    if not any(note.is_drum for note in quantized.notes):
        tally.drop(NO_TRACK.format(kind="drums (is_drum notes)"))
        return []
    tracks = []
    for track in _successive(quantized, read):
        min_steps = track.steps_per_bar * min_bars
        if len(track) < min_steps:
            tally.drop(f"{DRUMS_TOO_SHORT} (< {min_bars} bars)")
            continue
        tracks.extend(_pieces(track, max_steps, min_steps, tally))
    return tracks


def add_inferred_chords(quantized: music_pb2.NoteSequence, tally: Tally) -> bool:
    """Chord symbols for a sequence that has none, by note-seq's chord inference (one or two
    chords a bar, from all its notes; one a bar in meters note-seq has no default for);
    False (counted) when inference fails."""
    if any(a.annotation_type == CHORD_SYMBOL for a in quantized.text_annotations):
        return True
    try:
        with _memoized_chord_transitions():
            try:
                chord_inference.infer_chords_for_sequence(quantized)
            except chord_inference.UncommonTimeSignatureError:  # 3/2, 9/8, 5/4 ...
                chord_inference.infer_chords_for_sequence(quantized, chords_per_bar=1)
    except chord_inference.ChordInferenceError as error:
        tally.drop(f"{CHORD_INFERENCE_FAILED} ({type(error).__name__})")
        return False
    return True


_unpatched_transition_distribution = chord_inference._key_chord_transition_distribution


@contextlib.contextmanager
def _memoized_chord_transitions() -> Iterator[None]:
    """note-seq's chord inference, its transition matrix computed once per setting."""
    chord_inference._key_chord_transition_distribution = _transition_distribution
    try:
        yield
    finally:
        chord_inference._key_chord_transition_distribution = _unpatched_transition_distribution


def _transition_distribution(key_chord_distribution: np.ndarray, key_change_prob: float,
                             chord_change_prob: float) -> np.ndarray:
    """note-seq's key-chord transition matrix (1164 x 1164), which it rebuilds in Python
    loops on every call (80 % of the inference time), computed once per setting."""
    return _cached_transitions(key_chord_distribution.tobytes(), key_change_prob,
                               chord_change_prob)


@functools.lru_cache(maxsize=2)
def _cached_transitions(distribution: bytes, key_change_prob: float,
                        chord_change_prob: float) -> np.ndarray:
    shape = (note_seq.NOTES_PER_OCTAVE, -1)
    return _unpatched_transition_distribution(
        np.frombuffer(distribution).reshape(shape), key_change_prob, chord_change_prob)


def extract_lead_sheets(quantized: music_pb2.NoteSequence, tally: Tally, *, min_bars: int = 7,
                        max_steps: int = 512, min_unique_pitches: int = 3,
                        gap_bars: float = 1.0, all_transpositions: bool = True
                        ) -> list[tuple[int, note_seq.LeadSheet]]:
    """Magenta's ``extract_lead_sheet_fragments`` (require_chords): each melody with the
    chords under it, as (transposition, lead sheet) pairs; with ``all_transpositions`` in
    all 12 keys (-6..+5 semitones), else untransposed."""
    melodies = extract_melodies(quantized, tally, min_bars=min_bars, max_steps=max_steps,
                                gap_bars=gap_bars, min_unique_pitches=min_unique_pitches)
    sheets = []
    for melody in melodies:
        chords = note_seq.ChordProgression()
        try:
            chords.from_quantized_sequence(quantized, melody.start_step, melody.end_step)
        except note_seq.chords_lib.CoincidentChordsError:
            tally.drop(COINCIDENT_CHORDS)
            continue
        if all(chord == note_seq.NO_CHORD for chord in chords):
            tally.drop(NO_CHORDS)
            continue
        sheet = note_seq.LeadSheet(melody, chords)
        try:
            sheets.extend((amount, _transposed(sheet, amount))
                          for amount in (ALL_KEYS if all_transpositions else (0,)))
        except chord_symbols_lib.ChordSymbolError:
            tally.drop(UNPARSEABLE_CHORD)
    return sheets


def _transposed(sheet: note_seq.LeadSheet, amount: int) -> note_seq.LeadSheet:
    moved = copy.deepcopy(sheet)
    moved.transpose(amount)
    return moved


def keep_last_chord_per_step(quantized: music_pb2.NoteSequence) -> int:
    """Where several chord symbols fall on one quantized step (chord changes faster than
    the grid), keep the last; returns how many were removed. (Magenta drops the whole
    melody instead, which would lose a third of OpenEWLD's lead sheets.)"""
    last = {}
    for index, annotation in enumerate(quantized.text_annotations):
        if annotation.annotation_type == CHORD_SYMBOL:
            last[annotation.quantized_step] = index
    kept = [annotation for index, annotation in enumerate(quantized.text_annotations)
            if annotation.annotation_type != CHORD_SYMBOL
            or last[annotation.quantized_step] == index]
    removed = len(quantized.text_annotations) - len(kept)
    del quantized.text_annotations[:]
    quantized.text_annotations.extend(kept)
    return removed


def one_program(quantized: music_pb2.NoteSequence, tally: Tally) -> bool:
    """Magenta's polyphony and performance extractors take sequences of one program only."""
    if len({note.program for note in quantized.notes}) > 1:
        tally.drop(MULTIPLE_PROGRAMS)
        return False
    return True


def extract_polyphonic_tracks(quantized: music_pb2.NoteSequence, tally: Tally, *,
                              min_steps: int = 80, max_steps: int = 512
                              ) -> list[PolyphonicTrack]:
    """Magenta's ``extract_polyphonic_sequences``: the whole sequence as one track, dropped
    when shorter than ``min_steps`` or longer than ``max_steps`` steps."""
    if not one_program(quantized, tally):
        return []
    track = PolyphonicTrack.from_quantized_sequence(quantized)
    if track.num_steps < min_steps:
        tally.drop(f"{POLYPHONY_TOO_SHORT} (< {min_steps} steps)")
        return []
    if track.num_steps > max_steps:
        tally.drop(f"{POLYPHONY_TOO_LONG} (> {max_steps} steps)")
        return []
    return [track]


def extract_performances(quantized: music_pb2.NoteSequence, tally: Tally, *, num_velocity_bins: int,
                         min_events: int = 32, max_events: int = 512
                         ) -> list[note_seq.Performance]:
    """Magenta's ``extract_performances``: the whole sequence as one performance, cut to
    ``max_events`` events, dropped when shorter than ``min_events``."""
    if not one_program(quantized, tally):
        return []
    performance = note_seq.Performance(quantized, num_velocity_bins=num_velocity_bins)
    if len(performance) > max_events:
        performance.truncate(max_events)
        tally.truncated += 1
    if len(performance) < min_events:
        tally.drop(f"{PERFORMANCE_TOO_SHORT} (< {min_events} events)")
        return []
    return [performance]
