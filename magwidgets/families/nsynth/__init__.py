"""NSynth: Magenta's WaveNet autoencoder (h512_bo16 + fastgen) in NumPy."""

from __future__ import annotations

from pathlib import Path

from magwidgets.errors import BundleError
from magwidgets.families.nsynth.checkpoint import recognizes
from magwidgets.families.nsynth.configs import CONFIGS
from magwidgets.families.nsynth.model import NSynth
from magwidgets.families.registry import Family

__all__ = ["CONFIGS", "FAMILY", "NSynth", "load", "recognizes"]


def load(path: str | Path, *, config: str | None = None, **options: object) -> NSynth:
    """An :class:`NSynth` from a checkpoint folder or ``model.ckpt-N`` prefix (no options)."""
    if options:
        raise BundleError(f"NSynth takes no load options, got {sorted(options)}")
    return NSynth.from_checkpoint(path)


FAMILY = Family(
    id="nsynth", title="NSynth", configs=CONFIGS, model=NSynth, recognizes=recognizes,
    load=load, summary="encodes a sound into a timbre code and decodes codes (mixed) back to audio")
