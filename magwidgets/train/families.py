"""Which event-RNN configs each ``magwidgets train`` family trains (the registry's ids)."""

from __future__ import annotations

from magwidgets.errors import MagwidgetsError
from magwidgets.families import FAMILIES

LEGACY_NAMES = {"drums": "drums_rnn", "melody": "melody_rnn", "polyphony": "polyphony_rnn",
                "performance": "performance_rnn", "improv": "improv_rnn"}
"""How run folders written before the registry (``run.json``) named the event-RNN families."""


def family_id(name: str) -> str:
    """A family name as a run folder may spell it, as the registry spells it."""
    return LEGACY_NAMES.get(name, name)


def trainable_families() -> list[str]:
    """The ids of the families ``magwidgets train`` can train."""
    return [family.id for family in FAMILIES.values() if family.trainer]


def check_family(family: str, config_id: str) -> None:
    """MagwidgetsError unless ``config_id`` is a config of the trainable family ``family``."""
    if family not in trainable_families():
        raise MagwidgetsError(f"unknown family {family!r}; expected one of "
                              f"{', '.join(trainable_families())}")
    configs = sorted(FAMILIES[family].configs)
    if config_id not in configs:
        raise MagwidgetsError(f"config {config_id!r} is not a {family} config; "
                              f"{family} configs: {', '.join(configs)}")
