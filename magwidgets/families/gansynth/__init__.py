"""GANSynth (Magenta ``models/gansynth``): a progressive GAN that turns a latent timbre and a
MIDI pitch into 4 s of 16 kHz audio, read from Magenta's model folder and run in NumPy."""

from __future__ import annotations

from pathlib import Path

from magwidgets.errors import BundleError
from magwidgets.families.gansynth import checkpoint
from magwidgets.families.gansynth.configs import CONFIGS
from magwidgets.families.gansynth.model import GANSynth
from magwidgets.families.registry import Family

__all__ = ["CONFIGS", "FAMILY", "GANSynth", "load", "recognizes"]


def recognizes(path: Path) -> bool:
    """Whether ``path`` is a GANSynth model folder (experiment.json + stage_* folders)."""
    return Path(path).is_dir() and checkpoint.recognizes(Path(path))


def load(path: str | Path, *, config: str | None = None, **options) -> GANSynth:
    """The GANSynth in Magenta's model folder ``path`` (it takes no options)."""
    if options:
        raise BundleError(f"a GANSynth model takes no load options, got {sorted(options)}")
    return GANSynth.from_checkpoint(path)


FAMILY = Family(
    id="gansynth", title="GANSynth", configs=CONFIGS, model=GANSynth,
    recognizes=recognizes, load=load,
    widget="magwidgets.families.gansynth.widget:GANSynthWidget",
    summary="a neural instrument: a timbre (latent vector) and a pitch make 4 s of audio")
