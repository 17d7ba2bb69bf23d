"""The record of an event-RNN config, shared by the five event-RNN families (each family's
``configs.py`` lists its own, keyed by the generator id Magenta writes into ``.mag`` bundles).

Each entry states what Magenta's config of the same id states: the note-seq encoder, the
quantization resolution, the default attention length and, for melodies, the pitch range
and the key melodies are transposed into.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

import note_seq

DEFAULT_STEPS_PER_QUARTER = 4  # sixteenth notes
MELODY_MIN_NOTE = 48  # inclusive, C3
MELODY_MAX_NOTE = 84  # exclusive, C6
MELODY_TRANSPOSE_TO_KEY = 0  # C major / A minor


@dataclass(frozen=True)
class RnnConfig:
    """An event-RNN configuration (the non-trainable part of a model)."""

    id: str
    description: str
    make_encoder: Callable[[], Any]
    family: str = ""  # "drums_rnn", "melody_rnn", ...: set by its family's ``config_table``
    steps_per_quarter: int = DEFAULT_STEPS_PER_QUARTER
    default_attention_length: int = 0
    min_note: int = MELODY_MIN_NOTE
    max_note: int = MELODY_MAX_NOTE
    transpose_to_key: int | None = MELODY_TRANSPOSE_TO_KEY


def melody_one_hot(min_note: int = MELODY_MIN_NOTE, max_note: int = MELODY_MAX_NOTE):
    """Magenta's melody one-hot encoding over pitches [min_note, max_note)."""
    return note_seq.MelodyOneHotEncoding(min_note=min_note, max_note=max_note)


def config_table(family: str, *configs: RnnConfig) -> dict[str, RnnConfig]:
    """The configs of ``family`` keyed by id (each told its family)."""
    return {config.id: replace(config, family=family) for config in configs}
