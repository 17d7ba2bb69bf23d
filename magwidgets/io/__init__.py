"""Reading music in the forms users hold it: NoteSequences, PrettyMIDI objects, files."""

from magwidgets.io.sequences import SequenceLike, to_note_sequence

__all__ = ["SequenceLike", "to_note_sequence"]
