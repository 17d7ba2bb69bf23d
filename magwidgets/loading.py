"""``load_model``: from a model file, a shipped starter model or a hub name to a ready model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from magwidgets import hub
from magwidgets.families import load_path
from magwidgets.starter import PREFIX as STARTER_PREFIX
from magwidgets.starter import starter_model


def load_model(path: str | Path, *, config: str | None = None, **options: Any) -> Any:
    """Load a model of any family magwidgets runs.

    ``path`` is ``"starter:<name>"`` (a shipped starter model, ``starter_models()`` lists
    them), ``"hub:<name>"`` (a published Magenta model, downloaded once), or a file or folder:
    a Magenta ``.mag`` bundle (its generator id names the config), a Magenta.js checkpoint
    folder (its ``config.json`` does), or a checkpoint with ``config`` naming its config
    (a MusicVAE ``.tar``, folder or ``.ckpt`` prefix). ``config`` overrides what the file
    says; ``options`` go to the family's loader.

    The first load of a TensorFlow checkpoint converts it (needs TensorFlow) and caches the
    weights; later loads read the cache and never import TensorFlow.

    Raises:
        BundleError: unreadable file, unknown model family, or weights that do not fit
            the config.
    """
    if isinstance(path, str) and path.startswith(STARTER_PREFIX):
        starter = starter_model(path[len(STARTER_PREFIX):])
        return load_path(starter.model_path, config=config or starter.config, **options)
    if isinstance(path, str) and path.startswith(hub.PREFIX):
        return hub.load(path[len(hub.PREFIX):], config=config)
    return load_path(path, config=config, **options)
