"""Onsets and Frames piano transcription (Magenta's ``onsets_frames`` MAESTRO config and the
unidirectional ``onsets_frames_uni``): audio -> log-mel -> NumPy network -> NoteSequence."""

from __future__ import annotations

from pathlib import Path

from magwidgets.families.onsets_frames.checkpoint import recognizes
from magwidgets.families.onsets_frames.mel import AudioInputError, mel_spectrogram
from magwidgets.families.onsets_frames.model import OnsetsAndFrames


def load(path: str | Path, **options) -> OnsetsAndFrames:
    """An :class:`OnsetsAndFrames` from Magenta's ``--model_dir`` or a Magenta.js
    ``onsets_frames_uni`` folder (``options``: ``chunk_frames``, ``threads``)."""
    return OnsetsAndFrames.from_checkpoint(path, **options)


__all__ = ["AudioInputError", "OnsetsAndFrames", "load", "mel_spectrogram", "recognizes"]
