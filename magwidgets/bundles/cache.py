"""A cache of converted weights, so TensorFlow is needed once per bundle, not per load.

Files are ``<cache>/weights/<sha256 of the bundle>.npz``; ``MAGWIDGETS_CACHE`` overrides the
platform's user cache folder. Writes are atomic (temporary file, then rename).
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import BinaryIO, Callable

import numpy as np
import platformdirs

from magwidgets.errors import BundleError

CACHE_FORMAT = 2  # bump when the stored layout changes; old entries are then ignored
_META_KEY = "__meta__"


def cache_dir() -> Path:
    """The root cache folder (``MAGWIDGETS_CACHE`` or the platform user cache dir)."""
    override = os.environ.get("MAGWIDGETS_CACHE")
    return Path(override) if override else Path(platformdirs.user_cache_dir("magwidgets"))


def _entry(sha256: str) -> Path:
    return cache_dir() / "weights" / f"{sha256}.npz"


def load_cached(sha256: str) -> tuple[dict[str, np.ndarray], dict] | None:
    """Weights and metadata cached for this bundle hash, or None when absent or stale."""
    path = _entry(sha256)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as archive:
            meta = json.loads(str(archive[_META_KEY]))
            if meta.get("format") != CACHE_FORMAT:
                return None
            weights = {name: archive[name] for name in archive.files if name != _META_KEY}
    except (OSError, ValueError, KeyError):
        return None  # a damaged entry is simply rebuilt
    return weights, meta


def write_atomically(path: Path, write: Callable[[BinaryIO], None]) -> None:
    """Write ``path`` through a temporary file renamed into place, so readers never see half
    an entry; a cache that cannot be written is not an error."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            write(stream)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)


def store(sha256: str, weights: dict[str, np.ndarray], meta: dict) -> None:
    """Cache the weights of the model file whose sha256 this is (atomically)."""
    stamped = json.dumps({**meta, "format": CACHE_FORMAT})
    write_atomically(_entry(sha256), lambda stream: np.savez(stream, **weights,
                                                             **{_META_KEY: stamped}))


def checkpoint_digest(prefix: Path) -> str:
    """The sha256 of a TF checkpoint's ``<prefix>.index`` and ``<prefix>.data-*`` files: its
    cache key."""
    files = [Path(f"{prefix}.index"), *sorted(prefix.parent.glob(f"{prefix.name}.data-*"))]
    digest = hashlib.sha256()
    try:
        for file in files:
            with open(file, "rb") as stream:
                for block in iter(lambda: stream.read(1 << 20), b""):
                    digest.update(block)
    except OSError as error:
        raise BundleError(f"{prefix}: cannot read the checkpoint ({error})") from None
    return digest.hexdigest()


def cached_weights(sha256: str, kind: str,
                   convert: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """The weights cached under ``sha256`` for a model of ``kind``, else ``convert()``'s
    (the only step that needs TensorFlow), stored for next time."""
    cached = load_cached(sha256)
    if cached is not None and cached[1].get("kind") == kind:
        return cached[0]
    weights = convert()
    store(sha256, weights, {"kind": kind})
    return weights
