"""Onsets and Frames piano transcription (Magenta's ``onsets_frames`` MAESTRO config and the
unidirectional ``onsets_frames_uni``): audio -> log-mel -> NumPy network -> NoteSequence."""

from __future__ import annotations

from pathlib import Path

from magwidgets.errors import BundleError
from magwidgets.families.onsets_frames.checkpoint import recognizes
from magwidgets.families.onsets_frames.configs import CONFIGS
from magwidgets.families.onsets_frames.mel import AudioInputError, mel_spectrogram
from magwidgets.families.onsets_frames.model import OnsetsAndFrames
from magwidgets.families.registry import Family


def load(path: str | Path, *, config: str | None = None, **options) -> OnsetsAndFrames:
    """An :class:`OnsetsAndFrames` from Magenta's ``--model_dir`` or a Magenta.js
    ``onsets_frames_uni`` folder (``options``: ``chunk_frames``, ``threads``); a named
    ``config`` must be the one the weights are."""
    model = OnsetsAndFrames.from_checkpoint(path, **options)
    if config is not None and config != model.config.id:
        raise BundleError(f"{path}: the weights are config '{model.config.id}', not '{config}'")
    return model


FAMILY = Family(
    id="onsets_frames", title="Onsets and Frames", configs=CONFIGS, model=OnsetsAndFrames,
    recognizes=recognizes, load=load, summary="transcribes piano audio into notes",
    widget="magwidgets.families.onsets_frames.widget:TranscriptionWidget")

__all__ = ["CONFIGS", "FAMILY", "AudioInputError", "OnsetsAndFrames", "load",
           "mel_spectrogram", "recognizes"]
