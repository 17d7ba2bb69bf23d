"""A cache of the NoteSequences read from files with music21, which is slow (the Bach
chorales take minutes, the folk corpus ten), so a corpus is parsed once per machine.

Entries are ``<cache>/scores/<sha256 of path, size, mtime, music21 version, format>.pb``:
the file's pieces as length-prefixed serialized NoteSequences (the piece name is each
sequence's ``filename``). Writes are atomic; a damaged entry is read again from the file.
"""

from __future__ import annotations

import hashlib
import struct
from pathlib import Path
from typing import Callable

from google.protobuf.message import DecodeError
from note_seq.protobuf import music_pb2

from magwidgets.bundles.cache import cache_dir, write_atomically

SCORES_FORMAT = 1  # bump when scores.score_to_sequence changes what it writes
_LENGTH = struct.Struct("<I")

Pieces = list[tuple[str, music_pb2.NoteSequence]]


def cached_pieces(path: Path, read: Callable[[Path], Pieces]) -> Pieces:
    """``read(path)``, or what it returned the last time for this very file."""
    entry = _entry(path)
    try:
        return _unpack(entry.read_bytes())
    except (OSError, DecodeError, struct.error):
        pass
    pieces = read(path)
    _store(entry, pieces)
    return pieces


def _entry(path: Path) -> Path:
    import music21

    status = path.stat()
    key = f"{path.resolve()}|{status.st_size}|{status.st_mtime_ns}|{music21.__version__}|"
    key += str(SCORES_FORMAT)
    return cache_dir() / "scores" / f"{hashlib.sha256(key.encode()).hexdigest()}.pb"


def _unpack(data: bytes) -> Pieces:
    pieces, offset = [], 0
    while offset < len(data):
        (size,) = _LENGTH.unpack_from(data, offset)
        offset += _LENGTH.size
        if offset + size > len(data):
            raise struct.error("truncated cache entry")
        sequence = music_pb2.NoteSequence.FromString(data[offset:offset + size])
        pieces.append((sequence.filename, sequence))
        offset += size
    return pieces


def _store(entry: Path, pieces: Pieces) -> None:
    """Write the pieces as length-prefixed NoteSequences, atomically."""
    data = b"".join(_LENGTH.pack(len(blob)) + blob
                    for blob in (sequence.SerializeToString() for _, sequence in pieces))
    write_atomically(entry, lambda stream: stream.write(data))
