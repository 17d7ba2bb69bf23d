"""A MusicVAE checkpoint ``.tar`` to ``dict[str, np.ndarray]``, with TensorFlow once.

Magenta's released MusicVAE checkpoints are tars holding ``<name>.ckpt.index`` and
``<name>.ckpt.data-*`` (a TF1 V2 checkpoint). The tar is unpacked safely into a temporary
folder, read with ``tf.train.load_checkpoint`` and the weights are cached by the tar's sha256
(``magwidgets.bundles.cache``), so later loads never import TensorFlow. The same checkpoint
unpacked (a folder, or its ``<name>.ckpt`` prefix) is read and cached alike; a Magenta.js
folder (``weights_manifest.json`` + shards) holds the same variables and is read with NumPy.
"""

from __future__ import annotations

import hashlib
import re
import tarfile
import tempfile
from pathlib import Path, PurePosixPath
from typing import Callable

import numpy as np

from magwidgets.bundles import cache, magentajs, tf_reader
from magwidgets.errors import BundleError

MAX_MEMBER_BYTES = 2 * 1024**3  # the largest released MusicVAE checkpoint is well below this
MAX_TOTAL_BYTES = 4 * 1024**3


def _safe_members(tar: tarfile.TarFile, path: Path) -> list[tarfile.TarInfo]:
    """The tar's regular files, refusing links, absolute paths, '..' and oversize files
    (each header is checked as it is read, before anything is extracted)."""
    members, total = [], 0
    try:
        for member in tar:
            _check_member(member, path)
            total += member.size
            if total > MAX_TOTAL_BYTES:
                raise BundleError(f"{path}: the tar's members add up to more than "
                                  f"{MAX_TOTAL_BYTES} bytes")
            if member.isfile():
                members.append(member)
    except tarfile.TarError as error:
        raise BundleError(f"{path}: the tar is truncated or corrupt ({error})") from None
    return members


def _check_member(member: tarfile.TarInfo, path: Path) -> None:
    """Refuse a member that is a link or device, escapes the folder, or is too large."""
    if member.isdir():
        return
    name = PurePosixPath(member.name)
    if not member.isfile():
        raise BundleError(f"{path}: tar member '{member.name}' is not a regular file "
                          "(links and devices are refused)")
    if name.is_absolute() or ".." in name.parts:
        raise BundleError(f"{path}: tar member '{member.name}' points outside the archive")
    if member.size > MAX_MEMBER_BYTES:
        raise BundleError(f"{path}: tar member '{member.name}' is too large ({member.size} "
                          f"bytes; at most {MAX_MEMBER_BYTES})")


def _checkpoint_prefix(members: list[tarfile.TarInfo], path: Path) -> str:
    indexes = [m.name for m in members if m.name.endswith(".index")]
    datas = [m.name for m in members if ".data-" in PurePosixPath(m.name).name]
    if not indexes or not datas:
        names = ", ".join(m.name for m in members[:5]) or "nothing"
        raise BundleError(f"{path}: not a MusicVAE checkpoint tar (expected '<name>.ckpt.index' "
                          f"and '<name>.ckpt.data-*' files, found {names})")
    return indexes[0][: -len(".index")]


def read_checkpoint_tar(path: Path) -> dict[str, np.ndarray]:
    """All variables of the checkpoint in the tar (needs TensorFlow)."""
    try:
        tar = tarfile.open(path)
    except (tarfile.TarError, OSError) as error:
        raise BundleError(f"{path}: not a MusicVAE checkpoint tar ({error})") from None
    with tar, tempfile.TemporaryDirectory() as folder:
        members = _safe_members(tar, path)
        prefix = _checkpoint_prefix(members, path)
        for member in members:
            target = Path(folder, *PurePosixPath(member.name).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            source = tar.extractfile(member)
            if source is None:
                raise BundleError(f"{path}: cannot read tar member '{member.name}'")
            with source, open(target, "wb") as sink:
                sink.write(source.read())
        return tf_reader.read_checkpoint_prefix(Path(folder, *PurePosixPath(prefix).parts), path)


def _prefix_in(folder: Path) -> Path:
    """The checkpoint a folder holds: its only ``*.index``, else the one its ``checkpoint``
    state file names (as TensorFlow's training writes it)."""
    indexes = sorted(folder.glob("*.index"))
    if len(indexes) == 1:
        return indexes[0].with_suffix("")
    state = folder / "checkpoint"
    named = re.search(r'^model_checkpoint_path:\s*"(.+)"', state.read_text(errors="replace"),
                      re.MULTILINE) if state.is_file() else None
    if named:
        return folder / named.group(1)
    found = ", ".join(p.name for p in indexes) or "none"
    raise BundleError(f"{folder}: expected a Magenta.js checkpoint folder (no "
                      f"{magentajs.MANIFEST}) or one TF checkpoint '<name>.ckpt.index' + "
                      f"'<name>.ckpt.data-*' (found .index files: {found})")


def _load_prefix(prefix: Path) -> dict[str, np.ndarray]:
    """A bare TF checkpoint's weights, cached by the sha256 of its index and data files."""
    return _cached(cache.checkpoint_digest(prefix),
                   lambda: tf_reader.read_checkpoint_prefix(prefix, prefix))


def _cached(digest: str, convert: Callable[[], dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    return cache.cached_weights(digest, "music_vae", convert)


def load_weights(path: str | Path) -> dict[str, np.ndarray]:
    """The checkpoint's weights from a Magenta ``.tar``, a TF checkpoint folder or prefix
    (``.../cat-mel_2bar_small.ckpt``), or a Magenta.js folder (read directly, with NumPy);
    TF checkpoints come from the cache when they were converted before."""
    path = Path(path)
    if magentajs.is_checkpoint_folder(path):
        return magentajs.read_weights(path)
    if path.is_dir():
        return _load_prefix(_prefix_in(path))
    if not path.exists() and Path(f"{path}.index").is_file():
        return _load_prefix(path)
    try:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as error:
        raise BundleError(f"{path}: cannot read the checkpoint file ({error})") from None
    return _cached(digest, lambda: read_checkpoint_tar(path))
