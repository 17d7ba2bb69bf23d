"""Model families, one folder each (configs, checkpoint reading, NumPy model, widget, hub
entries), each registering one :class:`~magwidgets.families.registry.Family` record.

``load_path`` turns a checkpoint into a model of the family that recognizes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from magwidgets.families import (
    drums_rnn,
    gansynth,
    improv_rnn,
    melody_rnn,
    music_transformer,
    music_vae,
    nsynth,
    onsets_frames,
    performance_rnn,
    polyphony_rnn,
)
from magwidgets.families.event_rnn import load as load_event_rnn
from magwidgets.families.registry import (
    FAMILIES,
    Family,
    all_configs,
    family,
    family_of_config,
    family_of_model,
    register,
)

for _package in (drums_rnn, melody_rnn, polyphony_rnn, performance_rnn, improv_rnn, music_vae,
                 gansynth, nsynth, onsets_frames, music_transformer):
    register(_package.FAMILY)

EVENT_RNN_CONFIGS = all_configs("event_rnn")
"""Every event-RNN config id -> RnnConfig (the five families sharing the engine)."""


def load_path(path: str | Path, *, config: str | None = None, **options: Any) -> Any:
    """The model at ``path``: of the family whose config ``config`` is, else of the family
    that recognizes the file or folder; anything else is read as a ``.mag`` bundle, whose
    errors say what the file is instead."""
    if config is not None:
        return family_of_config(config).load(path, config=config, **options)
    for candidate in FAMILIES.values():
        if candidate.recognizes(Path(path)):
            return candidate.load(path, **options)
    return load_event_rnn(path, **options)


__all__ = ["EVENT_RNN_CONFIGS", "FAMILIES", "Family", "all_configs", "family",
           "family_of_config", "family_of_model", "load_path", "register"]
