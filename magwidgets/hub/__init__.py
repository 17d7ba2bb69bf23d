"""The model hub: Magenta's published models by name, downloaded once, cached and verified.

>>> import magwidgets as mw
>>> [m.name for m in mw.hub.list("drums_rnn")]
['drum_kit_rnn', 'drum_kit_rnn-js']
>>> model = mw.load_model("hub:drum_kit_rnn")   # downloads on first use, then offline

``mw.hub.download(name)`` fetches without loading; ``MAGWIDGETS_HUB_MIRROR`` points every URL
at a mirror; ``MAGWIDGETS_CACHE`` moves the cache. Without network, the error names the URL
and the exact path where a copy can be placed by hand.
"""

from __future__ import annotations

import builtins
import difflib
from collections.abc import Collection
from pathlib import Path
from typing import Any

from magwidgets.errors import HubError
from magwidgets.families import FAMILIES, load_path
from magwidgets.hub import store as _store
from magwidgets.hub.registry import MODELS, HubModel

__all__ = ["HubError", "HubModel", "choices", "download", "info", "is_cached", "list", "load",
           "local_path"]

PREFIX = "hub:"
_BY_NAME = {model.name: model for model in MODELS}


def list(family: str | None = None) -> builtins.list[HubModel]:  # noqa: A001 (mw.hub.list)
    """Every hub model, or those of one family (an id of ``mw.families.FAMILIES``:
    ``drums_rnn``, ``melody_rnn``, ``music_vae`` ...)."""
    if family is not None and family not in FAMILIES:
        raise HubError(f"unknown family '{family}'; families: {', '.join(FAMILIES)}")
    return [model for model in MODELS if family in (None, model.family)]


def info(name: str) -> HubModel:
    """The registry entry for ``name`` (HubError, with close names, if there is none)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        close = difflib.get_close_matches(name, _BY_NAME, n=3, cutoff=0.6)
        hint = f"did you mean {' or '.join(close)}? " if close else ""
        raise HubError(f"no hub model named '{name}'; {hint}`magwidgets hub list` shows "
                       "them all") from None


def local_path(name: str) -> Path:
    """Where model ``name`` is (or would be) cached: a file, or a folder for Magenta.js."""
    return _store.local_path(info(name))


def is_cached(name: str) -> bool:
    """Whether model ``name`` is in the cache, so loading it needs no network."""
    return _store.is_cached(info(name))


def download(name: str, *, progress: bool = True, max_bytes: int | None = None,
             force: bool = False) -> Path:
    """Download model ``name`` into the cache (once) and return its local path.

    Args:
        progress: show a progress bar (tqdm: notebook or terminal).
        max_bytes: refuse a model larger than this (default ``MAGWIDGETS_HUB_MAX_BYTES``
            or 4 GiB).
        force: download again even if it is cached.

    Raises:
        HubError: unknown name, unreachable server, over the cap, or a file that does not
            parse (nothing is cached then); the message says where to put a copy by hand.
    """
    return _store.download(info(name), progress=progress, max_bytes=max_bytes, force=force)


def load(name: str, *, config: str | None = None, progress: bool = True) -> Any:
    """Model ``name`` loaded (downloaded first unless cached), as ``mw.load_model("hub:…")``."""
    model = info(name)
    path = download(name, progress=progress)
    return load_path(path, config=config or model.load_config)


def choices(family: str | None = None, configs: Collection[str] | None = None
            ) -> builtins.list[tuple[str, str]]:
    """``(label, "hub:<name>")`` pairs for a model picker's dropdown: the models of one
    family and/or of the given configs (all when neither is given); cached ones are marked.
    """
    return [(f"{model.name} — {model.description}"
             f"{' (downloaded)' if _store.is_cached(model) else ''}", f"{PREFIX}{model.name}")
            for model in list(family) if configs is None or model.config in configs]
