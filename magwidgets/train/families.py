"""Which event-RNN configs each ``magwidgets train`` family trains."""

from __future__ import annotations

from magwidgets.errors import MagwidgetsError
from magwidgets.models.configs import CONFIGS

FAMILIES = {"drums": "drums_rnn", "melody": "melody_rnn", "polyphony": "polyphony_rnn",
            "performance": "performance_rnn", "improv": "improv_rnn"}
"""CLI family name -> the family of the event-RNN configs it trains."""


def check_family(family: str, config_id: str) -> None:
    """MagwidgetsError unless ``config_id`` is an event-RNN config of ``family``."""
    if family not in FAMILIES:
        raise MagwidgetsError(f"unknown family {family!r}; expected one of {', '.join(FAMILIES)}")
    configs = sorted(c for c, config in CONFIGS.items() if config.family == FAMILIES[family])
    if config_id not in configs:
        raise MagwidgetsError(f"config {config_id!r} is not a {family} config; "
                              f"{family} configs: {', '.join(configs)}")
