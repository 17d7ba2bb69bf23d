"""Reading what arrives through an ipywidgets ``FileUpload``: size first, then the content.

A file's size is checked before anything parses it, so a 50 MB mistake is refused with a
message at once instead of freezing the kernel; a file that is not MIDI is refused with its
name and what was expected.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import note_seq
import pretty_midi
from note_seq.protobuf import music_pb2

from magwidgets.errors import MagwidgetsError, PrimerError

MAX_MIDI_BYTES = 2 * 1024 * 1024  # a 30-minute piano piece is a few hundred kB
MAX_MODEL_BYTES = 512 * 1024 * 1024  # beyond this, a browser upload is impractical: load by path

UploadValue = Sequence[Mapping[str, Any]]
"""``FileUpload.value`` in ipywidgets 8: one dict per file (name, type, size, content)."""


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


def uploaded_file(value: UploadValue, *, max_bytes: int, what: str,
                  error: type[MagwidgetsError] = PrimerError) -> tuple[str, bytes]:
    """The name and bytes of the one uploaded file, refused unread when over ``max_bytes``.

    Raises:
        error: nothing or several files were uploaded, or the file is too large.
    """
    if len(value) != 1:
        raise error(f"expected one {what}, got {len(value)} files")
    item = value[0]
    name = str(item.get("name", "upload"))
    content = item.get("content", b"")
    size = int(item.get("size", len(content)))
    if size > max_bytes:
        raise error(f"{name} is {_megabytes(size)}; a {what} is at most {_megabytes(max_bytes)}")
    return name, bytes(content)


def midi_from_upload(value: UploadValue) -> music_pb2.NoteSequence:
    """The uploaded MIDI file as a NoteSequence.

    Raises:
        PrimerError: no file, several files, a file over ``MAX_MIDI_BYTES``, or one that
            is not a readable MIDI file.
    """
    name, data = uploaded_file(value, max_bytes=MAX_MIDI_BYTES, what="MIDI file")
    if not data.startswith(b"MThd"):
        raise PrimerError(f"{name} is not a MIDI file (a .mid file starts with 'MThd')")
    try:
        midi = pretty_midi.PrettyMIDI(io.BytesIO(data))
        sequence = note_seq.midi_io.midi_to_note_sequence(midi)
    except (note_seq.MIDIConversionError, ValueError, EOFError, IndexError, KeyError) as err:
        raise PrimerError(f"{name} is not a readable MIDI file ({err})") from err
    sequence.filename = name
    return sequence
