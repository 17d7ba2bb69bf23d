"""Performance RNN's configs: time steps of 10 ms, not quarters; the settings (velocity bins,
encoding, control signals) live in ``controls``."""

from __future__ import annotations

import functools

from magwidgets.families.event_rnn.config import RnnConfig, config_table
from magwidgets.families.performance_rnn.controls import SETTINGS, performance_encoder

CONFIGS = config_table("performance_rnn", *(
    RnnConfig(id=config_id, description=settings.description,
              make_encoder=functools.partial(performance_encoder, config_id),
              transpose_to_key=None)
    for config_id, settings in SETTINGS.items()))
