"""MusicVAE checkpoints to a model: a Magenta ``.tar``, an unpacked TF checkpoint folder or
prefix (with its config named), or a Magenta.js MusicVAE folder (its ``config.json`` names it)."""

from __future__ import annotations

from pathlib import Path

from magwidgets.bundles import magentajs
from magwidgets.errors import BundleError
from magwidgets.families.magentajs_specs import resolve_config
from magwidgets.families.music_vae.configs import VAE_CONFIGS
from magwidgets.families.music_vae.magentajs import MAGENTAJS_TYPE
from magwidgets.families.music_vae.model import MusicVAE


def recognizes(path: Path) -> bool:
    """A Magenta.js MusicVAE folder (a ``.tar`` or TF checkpoint needs its config named)."""
    return magentajs.model_type(path) == MAGENTAJS_TYPE


def load(path: str | Path, *, config: str | None = None) -> MusicVAE:
    """The MusicVAE at ``path`` for ``config`` (a Magenta.js folder names its own)."""
    if config is not None:
        return MusicVAE.from_checkpoint(path, config)
    checkpoint = magentajs.read_checkpoint(path)
    config_id = resolve_config(checkpoint, None)
    if config_id not in VAE_CONFIGS:
        raise BundleError(f"{path}: config '{config_id}' is not a MusicVAE config")
    return MusicVAE(VAE_CONFIGS[config_id], checkpoint.weights, str(path))
