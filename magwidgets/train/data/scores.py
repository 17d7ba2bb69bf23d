"""music21 scores (ABC tunes, corpus pieces) as NoteSequences, and the named music21 corpora.

A score becomes what a MIDI export of it would hold, plus what a lead sheet needs: every
pitched note (tied notes merged, grace notes dropped) on instrument = part number, program 0,
velocity 100 unless the score gives one; tempo marks (120 qpm when there are none); time
signatures; chord symbols as CHORD_SYMBOL annotations. A pickup bar is padded to a whole bar
so that bar lines fall where the time signature puts them. Repeats are not expanded.
"""

from __future__ import annotations

import bisect
import re
from pathlib import Path
from typing import Any

import note_seq
from note_seq.protobuf import music_pb2

DEFAULT_QPM = 120.0  # a score without a tempo mark, as MIDI assumes
DEFAULT_VELOCITY = 100  # a score without dynamics
CHORD_SYMBOL = music_pb2.NoteSequence.TextAnnotation.CHORD_SYMBOL
MUSIC21_FLAT = re.compile(r"(^|/)([A-G])-")  # music21 spells B flat "B-"
FOLK_COLLECTIONS = ("ryansMammoth", "oneills1850", "essenFolksong")
# The solo piano pieces of music21's core corpus (the rest of it is choral, string, folk).
PIANO_PIECES = ("joplin/maple_leaf_rag.mxl", "mozart/k545/movement1_exposition.mxl",
                "chopin/mazurka06-2.krn", "cpebach/h186.mxl",
                "beach/prayer_of_a_tired_child.musicxml",
                *(f"schumann_clara/polonaise_op1n{i}.mxl" for i in range(1, 5)))
CORPORA = {
    "bach": "the Bach chorales (349 four-part chorales)",
    "folk": "folk tunes: Ryan's Mammoth Collection, O'Neill's 1850, the Essen folk songs",
    "piano": "the solo piano scores of the music21 corpus (Joplin, Mozart, Chopin, "
             "C. P. E. Bach, Beach, Clara Schumann)",
}


def corpus_files(name: str) -> list[Path]:
    """The files of the named music21 corpus (a key of ``CORPORA``), sorted."""
    from music21 import common, corpus
    from music21.corpus import chorales

    root = Path(common.getCorpusFilePath())
    if name == "bach":  # the chorale catalogue's names, each found as .mxl or .xml
        names = set(chorales.Iterator(returnType="filename"))
        return sorted(path for n in names for path in root.glob(f"{n}.*")
                      if path.suffix in (".mxl", ".xml"))
    if name == "folk":
        return sorted(Path(p) for collection in FOLK_COLLECTIONS
                      for p in corpus.getComposer(collection) if Path(p).suffix == ".abc")
    return [root / piece for piece in PIANO_PIECES]


def parse_scores(path: Path) -> list[tuple[str, Any]]:
    """(name, music21 Score) for each piece in the file: one, or each tune of an ABC book."""
    from music21 import converter, stream

    parsed = converter.parse(str(path))
    if isinstance(parsed, stream.Opus):
        return [(f"{path.name}#{index + 1}", score)
                for index, score in enumerate(parsed.scores)]
    return [(path.name, parsed)]


def score_to_sequence(score: Any, name: str) -> music_pb2.NoteSequence:
    """One music21 Score as a NoteSequence (see the module docstring)."""
    from music21 import harmony, meter, tempo

    parts = list(score.parts) or [score]
    first = parts[0].flatten()
    measures = parts[0].getElementsByClass("Measure")
    pickup = float(measures[0].paddingLeft) if measures else 0.0
    clock = _Clock([(_shifted(mark.offset, pickup), mark.getQuarterBPM())
                    for mark in first.getElementsByClass(tempo.MetronomeMark)
                    if mark.getQuarterBPM()])
    sequence = music_pb2.NoteSequence(ticks_per_quarter=note_seq.STANDARD_PPQ,
                                      filename=name)
    sequence.source_info.parser = music_pb2.NoteSequence.SourceInfo.MUSIC21
    sequence.source_info.encoding_type = music_pb2.NoteSequence.SourceInfo.MUSIC_XML
    for offset, qpm in clock.marks:
        sequence.tempos.add(time=clock.seconds(offset), qpm=qpm)
    seen = set()
    for signature in first.getElementsByClass(meter.TimeSignature):
        time = clock.seconds(_shifted(signature.offset, pickup))
        if time not in seen:
            seen.add(time)
            sequence.time_signatures.add(time=time, numerator=signature.numerator,
                                         denominator=signature.denominator)
    for instrument, part in enumerate(parts):
        for element in part.stripTies().flatten().notes:
            start = float(element.offset) + pickup
            if isinstance(element, harmony.Harmony):
                if element.figure:
                    figure = MUSIC21_FLAT.sub(r"\1\2b", element.figure)
                    sequence.text_annotations.add(time=clock.seconds(start), text=figure,
                                                  annotation_type=CHORD_SYMBOL)
                continue
            length = float(element.duration.quarterLength)
            if length <= 0 or element.duration.isGrace:
                continue
            velocity = element.volume.velocity if element.volume.velocity else DEFAULT_VELOCITY
            for pitch in getattr(element, "pitches", ()):
                sequence.notes.add(pitch=int(pitch.midi), velocity=int(velocity),
                                   start_time=clock.seconds(start),
                                   end_time=clock.seconds(start + length),
                                   instrument=instrument, program=0)
    sequence.total_time = max((note.end_time for note in sequence.notes), default=0.0)
    return sequence


def _shifted(offset: Any, pickup: float) -> float:
    """A mark's offset once the pickup bar is padded (a mark at the start stays there)."""
    return float(offset) + pickup if offset else 0.0


class _Clock:
    """Seconds at a quarter-note offset, through the score's tempo marks."""

    def __init__(self, marks: list[tuple[float, float]]) -> None:
        marks = sorted(marks)
        if not marks or marks[0][0] > 0:
            marks.insert(0, (0.0, DEFAULT_QPM))
        self.marks = marks
        self._offsets = [offset for offset, _ in marks]
        self._starts = [0.0]
        for (offset, qpm), (next_offset, _) in zip(marks, marks[1:]):
            self._starts.append(self._starts[-1] + (next_offset - offset) * 60.0 / qpm)

    def seconds(self, offset: float) -> float:
        index = bisect.bisect_right(self._offsets, offset) - 1
        base, qpm = self.marks[index]
        return self._starts[index] + (offset - base) * 60.0 / qpm
