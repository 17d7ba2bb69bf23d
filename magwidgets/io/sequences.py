"""Turning whatever the user passes as music into a ``note_seq.NoteSequence``."""

from __future__ import annotations

from pathlib import Path
from typing import Union

import note_seq
import pretty_midi
from google.protobuf import text_format
from note_seq.protobuf import music_pb2

from magwidgets.errors import PrimerError

DEFAULT_QPM = note_seq.DEFAULT_QUARTERS_PER_MINUTE  # 120, when a sequence states no tempo


def tempo_of(sequence: music_pb2.NoteSequence, default: float = DEFAULT_QPM) -> float:
    """The sequence's first tempo (quarters per minute), else ``default``."""
    if sequence.tempos and sequence.tempos[0].qpm > 0:
        return float(sequence.tempos[0].qpm)
    return default


SequenceLike = Union[music_pb2.NoteSequence, pretty_midi.PrettyMIDI, str, Path, None]
MIDI_SUFFIXES = (".mid", ".midi")
TEXTPROTO_SUFFIXES = (".textproto", ".pbtxt")


def _read_file(path: Path) -> music_pb2.NoteSequence:
    if not path.is_file():
        raise PrimerError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        try:
            return note_seq.midi_file_to_note_sequence(str(path))
        except note_seq.MIDIConversionError as err:
            raise PrimerError(f"{path}: not a readable MIDI file ({err})") from err
    if suffix in TEXTPROTO_SUFFIXES:
        try:
            return text_format.Parse(path.read_text(), music_pb2.NoteSequence())
        except text_format.ParseError as err:
            raise PrimerError(f"{path}: not a NoteSequence text proto ({err})") from err
    raise PrimerError(
        f"{path}: unsupported file type '{path.suffix}', expected a MIDI file "
        f"({', '.join(MIDI_SUFFIXES)}) or a NoteSequence text proto "
        f"({', '.join(TEXTPROTO_SUFFIXES)})"
    )


def to_note_sequence(music: SequenceLike) -> music_pb2.NoteSequence:
    """A copy of ``music`` as a NoteSequence; None gives an empty sequence.

    Accepts a NoteSequence, a ``pretty_midi.PrettyMIDI``, or the path of a MIDI file or a
    NoteSequence text proto.

    Raises:
        PrimerError: a missing or unreadable file, or an object of another type.
    """
    if music is None:
        return music_pb2.NoteSequence()
    if isinstance(music, music_pb2.NoteSequence):
        copy = music_pb2.NoteSequence()
        copy.CopyFrom(music)
        return copy
    if isinstance(music, pretty_midi.PrettyMIDI):
        return note_seq.midi_io.midi_to_note_sequence(music)
    if isinstance(music, (str, Path)):
        return _read_file(Path(music))
    raise PrimerError(
        f"expected a NoteSequence, a PrettyMIDI object or a MIDI file path, "
        f"got {type(music).__name__}"
    )
