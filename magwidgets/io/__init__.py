"""Reading music in the forms users hold it: NoteSequences, PrettyMIDI objects, files, audio."""

from magwidgets.io.sequences import SequenceLike, to_note_sequence
from magwidgets.io.waveform import AudioError, Waveform, read_audio

__all__ = ["AudioError", "SequenceLike", "Waveform", "read_audio", "to_note_sequence"]
