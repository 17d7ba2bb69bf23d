"""Backing chords for Improv RNN: parsing, checking, and the ``chords=`` convenience form.

A chord progression is note-seq's ``ChordProgression``: one chord symbol per quantized step
(``"N.C."`` for no chord), read from a quantized NoteSequence's CHORD_SYMBOL text
annotations exactly as Magenta reads them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Union

import note_seq
from note_seq import chord_symbols_lib, chords_encoder_decoder, sequences_lib
from note_seq.protobuf import music_pb2

from magwidgets.errors import GenerationError, PrimerError

NO_CHORD = note_seq.NO_CHORD  # "N.C."
CHORD_SYMBOL = music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL

ChordsArgument = Union[Sequence[str], Sequence[tuple[str, float]], None]
"""``chords=``: chord symbols one per bar (the progression repeats), or (symbol, seconds)
pairs (each chord holds until the next; the last one holds to the end)."""


def chord_annotations(sequence: music_pb2.NoteSequence) -> list[Any]:
    return [a for a in sequence.text_annotations if a.annotation_type == CHORD_SYMBOL]


def check_chord_symbol(figure: Any, triads_only: bool, error: type[Exception],
                       where: str) -> None:
    """Raise ``error`` naming ``figure`` unless it is a chord symbol the model can encode."""
    if not isinstance(figure, str) or not figure.strip():
        raise error(f"{where}: expected a chord symbol such as 'Am7', got {figure!r}")
    if figure == NO_CHORD:
        return
    try:
        chord_symbols_lib.chord_symbol_pitches(figure)
    except chord_symbols_lib.ChordSymbolError as err:
        raise error(f"{where}: cannot parse chord symbol {figure!r} ({err}); use symbols "
                    f"such as 'C', 'Am7', 'F#dim', 'Bb7/D', or {NO_CHORD!r} for no chord") from err
    if triads_only:
        try:
            chords_encoder_decoder.TriadChordOneHotEncoding().encode_event(figure)
        except chords_encoder_decoder.ChordEncodingError as err:
            raise error(
                f"{where}: chord {figure!r} has no major, minor, augmented or diminished "
                "triad, the only chords this model encodes (chord_pitches_improv takes any "
                "chord symbol)") from err


def add_chords(quantized: music_pb2.NoteSequence, chords: ChordsArgument, end_step: int,
               steps_per_second: float) -> None:
    """Replace the CHORD_SYMBOL annotations of ``quantized`` with the ``chords=`` argument.

    Plain symbols: one per bar from time 0, the progression repeated until ``end_step``.
    (symbol, seconds) pairs: each chord from its time (quantized like Magenta's
    annotations), in time order.
    """
    if isinstance(chords, str) or not isinstance(chords, Sequence) or len(chords) == 0:
        raise GenerationError(
            "chords must be a non-empty list of chord symbols, one per bar (e.g. "
            "['C', 'Am', 'F', 'G7']), or of (symbol, start_time_seconds) pairs; "
            f"got {chords!r}")
    pairs = [isinstance(item, (tuple, list)) for item in chords]
    if any(pairs) and not all(pairs):
        raise GenerationError(
            "chords mixes plain symbols and (symbol, time) pairs; use one form")
    kept = [a for a in quantized.text_annotations if a.annotation_type != CHORD_SYMBOL]
    del quantized.text_annotations[:]
    quantized.text_annotations.extend(kept)
    changes: list[tuple[str, int, float]] = []
    if all(pairs):
        for item in chords:
            if len(item) != 2:
                raise GenerationError(
                    f"chords: expected (symbol, start_time_seconds) pairs, got {item!r}")
            figure, time = item
            if isinstance(time, bool) or not isinstance(time, numbers.Real) or not time >= 0:
                raise GenerationError(
                    f"chords: the start time of {figure!r} must be a number of seconds >= 0, "
                    f"got {time!r}")
            changes.append((figure, sequences_lib.quantize_to_step(time, steps_per_second),
                            float(time)))
        times = [time for _, _, time in changes]
        if times != sorted(times):
            raise GenerationError(f"chords: the start times must be in order, got {times}")
    else:
        steps_per_bar = int(sequences_lib.steps_per_bar_in_quantized_sequence(quantized))
        bars = -(-end_step // steps_per_bar)
        for bar in range(bars):
            step = bar * steps_per_bar
            changes.append((chords[bar % len(chords)], step, step / steps_per_second))
    for figure, step, time in changes:
        check_chord_symbol(figure, False, GenerationError, "chords")
        annotation = quantized.text_annotations.add(
            text=figure, time=time, annotation_type=CHORD_SYMBOL)
        annotation.quantized_step = step


def extract_progression(quantized: music_pb2.NoteSequence, end_step: int,
                        triads_only: bool, from_argument: bool) -> note_seq.ChordProgression:
    """The backing chords from step 0 to ``end_step``, as Magenta's ``extract_chords`` reads
    a sequence trimmed at the section's end (the last chord holds to the end)."""
    error = GenerationError if from_argument else PrimerError
    where = "chords" if from_argument else "the primer's CHORD_SYMBOL annotations"
    progression = note_seq.ChordProgression()
    try:
        progression.from_quantized_sequence(quantized, 0, end_step)
    except note_seq.chords_lib.CoincidentChordsError as err:
        raise error(f"{where}: two different chords start on the same step ({err})") from err
    for figure in sorted(set(progression)):
        check_chord_symbol(figure, triads_only, error, where)
    if all(figure == NO_CHORD for figure in progression):
        raise error(
            f"{where}: no chord sounds before the end of the section; an improv model "
            "needs backing chords there")
    return progression
