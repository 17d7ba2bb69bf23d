"""Polyphony RNN's one config, ``polyphony``."""

from __future__ import annotations

import note_seq

from magwidgets.families.event_rnn.config import RnnConfig, config_table
from magwidgets.families.polyphony_rnn.encoding import PolyphonyOneHotEncoding

CONFIGS = config_table("polyphony_rnn",
    RnnConfig(
        id="polyphony",
        description="Polyphonic RNN",
        make_encoder=lambda: note_seq.OneHotEventSequenceEncoderDecoder(
            PolyphonyOneHotEncoding()),
    ),
)
