"""The two Onsets and Frames configs magwidgets reads: which one a checkpoint is follows from
its weights (bidirectional LSTMs or not)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TranscriptionConfig:
    """An Onsets and Frames configuration."""

    id: str
    description: str
    bidirectional: bool


CONFIGS = {config.id: config for config in (
    TranscriptionConfig("onsets_frames", "Onsets and Frames, MAESTRO config (bidirectional "
                        "LSTMs, Magenta's model.py)", bidirectional=True),
    TranscriptionConfig("onsets_frames_uni", "Onsets and Frames, unidirectional (Magenta's "
                        "model_tpu.py; Magenta.js's onsets_frames_uni)", bidirectional=False),
)}
