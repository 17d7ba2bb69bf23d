"""Reading training sources: a folder of MIDI / ABC / MusicXML files, or a named music21
corpus, into NoteSequences. Files that cannot be read are skipped and counted, never fatal.

A folder holding an ``info.csv`` with ``midi_filename`` and ``split`` columns (the Groove
MIDI Dataset's layout) keeps that split: ``train``, ``validation`` (our ``eval``), ``test``.
"""

from __future__ import annotations

import csv
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import note_seq
import numpy as np
from note_seq import musicxml_reader
from note_seq.protobuf import music_pb2

from magwidgets.errors import DataError
from magwidgets.train.data import scores
from magwidgets.train.data.score_cache import cached_pieces

MIDI_SUFFIXES = (".mid", ".midi")
MUSICXML_SUFFIXES = (".xml", ".musicxml", ".mxl")
MUSIC21_SUFFIXES = (".abc", ".krn")  # read with music21
SUFFIXES = MIDI_SUFFIXES + MUSICXML_SUFFIXES + MUSIC21_SUFFIXES
CORPUS_PREFIX = "music21:"
SPLIT_FILE = "info.csv"
SPLIT_NAMES = {"train": "train", "validation": "eval", "eval": "eval", "test": "test"}
SPLITS = ("train", "eval", "test")

UNREADABLE = {".mid": "unreadable MIDI file", ".midi": "unreadable MIDI file",
              ".xml": "unreadable MusicXML file", ".musicxml": "unreadable MusicXML file",
              ".mxl": "unreadable MusicXML file", ".abc": "unreadable ABC file",
              ".krn": "unreadable Humdrum file"}
NO_NOTES = "no notes"


@dataclass
class Piece:
    """One piece of music: a file, or one tune of a multi-tune file (an ABC book)."""

    name: str
    sequence: music_pb2.NoteSequence
    split: str | None = None  # "train", "eval" or "test" when the data set says so


@dataclass
class SourceSet:
    """The pieces read from a source, and what could not be read."""

    source: str
    pieces: list[Piece] = field(default_factory=list)
    files_read: int = 0  # files tried, readable or not
    files_skipped: Counter = field(default_factory=Counter)  # reason -> files
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why)

    def __len__(self) -> int:
        return len(self.pieces)


def read_sources(source: str | Path, *, max_files: int | None = None) -> SourceSet:
    """Every piece in ``source``: a folder (searched recursively for .mid, .midi, .abc,
    .krn, .xml, .musicxml, .mxl files), one such file, or a named corpus
    ``music21:bach``, ``music21:folk`` or ``music21:piano``.

    ``max_files`` reads that many files spread evenly over the sorted list (a slice that
    spans the whole collection). Raises DataError for a missing folder or unknown corpus.
    """
    if max_files is not None and max_files < 1:
        raise DataError(f"max_files must be a whole number >= 1, got {max_files!r}")
    files, splits, read = _listing(str(source))
    if max_files is not None and len(files) > max_files:
        files = [files[i] for i in np.linspace(0, len(files) - 1, max_files).round().astype(int)]
    result = SourceSet(source=str(source))
    for path in files:
        result.files_read += 1
        try:
            pieces = read(path)
        except Exception as error:  # any parser failure: the file is skipped, with the cause
            _skip(result, path, UNREADABLE[path.suffix.lower()],
                  f"{type(error).__name__}: {error}")
            continue
        pieces = [(name, sequence) for name, sequence in pieces if sequence.notes]
        if not pieces:
            _skip(result, path, NO_NOTES, "no notes")
            continue
        split = splits.get(path.resolve())
        result.pieces.extend(Piece(name, sequence, split) for name, sequence in pieces)
    return result


def _listing(source: str) -> tuple[list[Path], dict[Path, str], Callable]:
    """The files of a source, their data set's splits, and the reader for them."""
    if source.startswith(CORPUS_PREFIX):
        name = source[len(CORPUS_PREFIX):]
        if name not in scores.CORPORA:
            known = "; ".join(f"{CORPUS_PREFIX}{key} ({what})"
                              for key, what in scores.CORPORA.items())
            raise DataError(f"unknown corpus {source!r}; the named corpora are: {known}")
        return scores.corpus_files(name), {}, _read_music21
    path = Path(source).expanduser()
    if path.is_file() and path.suffix.lower() in SUFFIXES:
        return [path], {}, _read_file
    if not path.is_dir():
        raise DataError(
            f"data folder '{path}' does not exist or is not a folder; expected a folder "
            f"of music files ({', '.join(SUFFIXES)}) or a named corpus "
            f"({', '.join(CORPUS_PREFIX + key for key in scores.CORPORA)})")
    files = sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    return files, _split_column(path), _read_file


def _skip(result: SourceSet, path: Path, reason: str, detail: str) -> None:
    result.files_skipped[reason] += 1
    result.skipped.append((str(path), detail[:200]))


def _read_file(path: Path) -> list[tuple[str, music_pb2.NoteSequence]]:
    suffix = path.suffix.lower()
    if suffix in MIDI_SUFFIXES:
        return [(path.name, note_seq.midi_file_to_note_sequence(str(path)))]
    if suffix in MUSICXML_SUFFIXES:
        return [(path.name, musicxml_reader.musicxml_file_to_sequence_proto(str(path)))]
    return _read_music21(path)


def _read_music21(path: Path) -> list[tuple[str, music_pb2.NoteSequence]]:
    """Every piece in a file music21 reads, cached. (The corpora are read this way:
    note-seq's MusicXML reader turns each short bar, a pickup or a chorale's fermata bar,
    into a time signature change, which would cut a chorale into fragments.)"""
    return cached_pieces(path, _parse_music21)


def _parse_music21(path: Path) -> list[tuple[str, music_pb2.NoteSequence]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # music21 warns about every odd ABC header
        return [(name, scores.score_to_sequence(score, name))
                for name, score in scores.parse_scores(path)]


def _split_column(folder: Path) -> dict[Path, str]:
    """File -> split from the folder's ``info.csv`` (Groove MIDI layout), if it has one."""
    table = folder / SPLIT_FILE
    if not table.is_file():
        return {}
    with open(table, newline="") as handle:
        rows = list(csv.DictReader(handle))
    if not rows or not {"midi_filename", "split"} <= set(rows[0]):
        return {}
    return {(folder / row["midi_filename"]).resolve(): SPLIT_NAMES[row["split"]]
            for row in rows if row["split"] in SPLIT_NAMES}
