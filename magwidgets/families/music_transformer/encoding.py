"""score2perf's encodings as the Piano Transformer Colab uses them, on note-seq.

Performance ids (vocabulary 310): PAD 0, EOS 1, then note_seq's ``PerformanceOneHotEncoding``
offset by 2: 88 NOTE_ON (21..108), 88 NOTE_OFF, 100 TIME_SHIFT (10 ms .. 1 s), 32 VELOCITY.
Melody ids (vocabulary 92): ``TextMelodyEncoderAbsolute(steps_per_second=10, 21, 108)``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import note_seq
import numpy as np
from note_seq.protobuf import music_pb2

from magwidgets.errors import GenerationError, PrimerError
from magwidgets.io.sequences import SequenceLike, to_note_sequence

PAD_ID = 0
EOS_ID = 1
NUM_RESERVED_IDS = 2  # tensor2tensor's text_encoder.NUM_RESERVED_TOKENS: PAD, EOS
STEPS_PER_SECOND = 100  # performance time grid: 10 ms
NUM_VELOCITY_BINS = 32
MIN_PITCH = 21  # A0, inclusive
MAX_PITCH = 108  # C8, inclusive
MAX_SHIFT_STEPS = STEPS_PER_SECOND  # the longest TIME_SHIFT: 1 s
MAX_PRIMER_SECONDS = 20.0  # the Colab cuts primers here
MELODY_STEPS_PER_SECOND = 10  # melody grid: 100 ms

_PERFORMANCE = note_seq.PerformanceOneHotEncoding(
    num_velocity_bins=NUM_VELOCITY_BINS, max_shift_steps=MAX_SHIFT_STEPS,
    min_pitch=MIN_PITCH, max_pitch=MAX_PITCH)
_MELODY = note_seq.MelodyOneHotEncoding(min_note=MIN_PITCH, max_note=MAX_PITCH + 1)
VOCAB_SIZE = _PERFORMANCE.num_classes + NUM_RESERVED_IDS  # 310
MELODY_VOCAB_SIZE = _MELODY.num_classes + NUM_RESERVED_IDS  # 92
_FIRST_SHIFT_ID = NUM_RESERVED_IDS + 2 * (MAX_PITCH - MIN_PITCH + 1)  # 178: a 10 ms shift


def shift_steps(ids: np.ndarray) -> np.ndarray:
    """The 10 ms steps each performance id advances time by (0 for all but TIME_SHIFT)."""
    steps = np.asarray(ids, np.int64) - _FIRST_SHIFT_ID + 1
    return np.where((steps >= 1) & (steps <= MAX_SHIFT_STEPS), steps, 0)


def check_ids(ids: Sequence[int] | np.ndarray, vocab_size: int, what: str) -> np.ndarray:
    """``ids`` as int64, or GenerationError naming the first id outside ``[0, vocab_size)``."""
    array = np.asarray(ids)
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise GenerationError(f"{what} must be integer ids, got dtype {array.dtype}")
    array = array.astype(np.int64)
    bad = (array < 0) | (array >= vocab_size)
    if bad.any():
        raise GenerationError(f"{what}: id {int(array[bad][0])} is outside the vocabulary "
                              f"0..{vocab_size - 1}")
    return array


def prepare_primer(sequence: SequenceLike, *,
                   max_seconds: float | None = MAX_PRIMER_SECONDS) -> music_pb2.NoteSequence:
    """The Colab's primer preparation: sustain applied, cut at ``max_seconds``, drums dropped,
    every note on instrument 1, program 0; notes outside 21..108 are dropped (with a warning:
    Magenta would encode them to invalid ids)."""
    ns = note_seq.apply_sustain_control_changes(to_note_sequence(sequence))
    if max_seconds is not None and ns.total_time > max_seconds:
        ns = note_seq.extract_subsequence(ns, 0.0, max_seconds)
    notes = [note for note in ns.notes if not note.is_drum]
    piano = [note for note in notes if MIN_PITCH <= note.pitch <= MAX_PITCH]
    if len(piano) < len(notes):
        warnings.warn(f"dropping {len(notes) - len(piano)} primer notes outside the piano "
                      f"range {MIN_PITCH}..{MAX_PITCH} (the performance encoding has no ids "
                      f"for them)", stacklevel=3)
    del ns.notes[:]
    ns.notes.extend(piano)
    for note in ns.notes:
        note.instrument = 1
        note.program = 0
    return ns


def encode_performance(sequence: SequenceLike, *,
                       max_seconds: float | None = MAX_PRIMER_SECONDS) -> np.ndarray:
    """The Colab's primer ids: ``MidiPerformanceEncoder.encode_note_sequence`` of the prepared
    primer, without the EOS it appends."""
    ns = prepare_primer(sequence, max_seconds=max_seconds)
    performance = note_seq.Performance(
        note_seq.quantize_note_sequence_absolute(ns, STEPS_PER_SECOND),
        num_velocity_bins=NUM_VELOCITY_BINS)
    return np.array([_PERFORMANCE.encode_event(event) + NUM_RESERVED_IDS
                     for event in performance], np.int64)


def decode_performance(ids: Sequence[int] | np.ndarray) -> music_pb2.NoteSequence:
    """``MidiPerformanceEncoder.decode_to_note_sequence`` after the Colab's cut at the first
    EOS; PAD ids are skipped (Magenta cannot decode them)."""
    array = check_ids(ids, VOCAB_SIZE, "performance ids")
    eos = np.flatnonzero(array == EOS_ID)
    if eos.size:
        array = array[:eos[0]]
    performance = note_seq.Performance(steps_per_second=STEPS_PER_SECOND,
                                       num_velocity_bins=NUM_VELOCITY_BINS)
    for i in array[array != PAD_ID]:
        performance.append(_PERFORMANCE.decode_event(int(i) - NUM_RESERVED_IDS))
    return performance.to_sequence()


def _top_line(notes: list[music_pb2.NoteSequence.Note]) -> list[music_pb2.NoteSequence.Note]:
    """Magenta's melody extraction with ``ignore_polyphonic_notes``: at each 100 ms onset the
    highest note; a note sounds until the next onset."""
    step = {id(n): round(n.start_time * MELODY_STEPS_PER_SECOND) for n in notes}
    kept: list[music_pb2.NoteSequence.Note] = []
    for note in sorted(notes, key=lambda n: (step[id(n)], -n.pitch)):
        if not kept or step[id(note)] > step[id(kept[-1])]:
            kept.append(note)
    return kept


def _is_polyphonic(notes: list[music_pb2.NoteSequence.Note]) -> bool:
    ordered = sorted(notes, key=lambda n: n.start_time)
    latest_end = -np.inf
    for note in ordered:
        if note.start_time < latest_end - 1.0 / STEPS_PER_SECOND:
            return True
        latest_end = max(latest_end, note.end_time)
    return False


def prepare_melody(sequence: SequenceLike) -> music_pb2.NoteSequence:
    """The Colab's melody preparation: one monophonic line, each note ending at the next onset.
    A melody with chords is reduced to its top line (with a warning)."""
    ns = to_note_sequence(sequence)
    notes = [note for note in ns.notes if not note.is_drum]
    if not notes:
        raise PrimerError("the melody has no (non-drum) notes")
    if _is_polyphonic(notes):
        warnings.warn("the melody has chords or overlapping notes: taking its top line (the "
                      "highest note at each onset, as Magenta's melody extraction does)",
                      stacklevel=3)
        notes = _top_line(notes)
    notes = sorted(notes, key=lambda n: n.start_time)
    out_of_range = [n.pitch for n in notes if not MIN_PITCH <= n.pitch <= MAX_PITCH]
    if out_of_range:
        raise PrimerError(f"melody pitch {out_of_range[0]} is outside the piano range "
                          f"{MIN_PITCH}..{MAX_PITCH}")
    melody = music_pb2.NoteSequence()
    melody.CopyFrom(ns)
    del melody.notes[:]
    melody.notes.extend(notes)
    for note, following in zip(melody.notes[:-1], melody.notes[1:]):
        note.end_time = following.start_time
    return melody


def encode_melody(sequence: SequenceLike) -> np.ndarray:
    """The melody model's input ids: ``TextMelodyEncoderAbsolute.encode_note_sequence`` of the
    prepared melody (100 ms grid; NOTE_OFF 2, NO_EVENT 3, pitch p -> p - 17)."""
    qns = note_seq.quantize_note_sequence_absolute(prepare_melody(sequence),
                                                   MELODY_STEPS_PER_SECOND)
    events = [note_seq.MELODY_NO_EVENT] * qns.total_quantized_steps
    for note in sorted(qns.notes, key=lambda n: n.start_time):
        events[note.quantized_start_step] = note.pitch
        if note.quantized_end_step < qns.total_quantized_steps:
            events[note.quantized_end_step] = note_seq.MELODY_NOTE_OFF
    return np.array([_MELODY.encode_event(event) + NUM_RESERVED_IDS for event in events],
                    np.int64)
