"""Checks that a downloaded model parses as its format before it enters the cache, so a
truncated or wrong file (an error page, a half transfer) is refused rather than kept."""

from __future__ import annotations

import tarfile
from pathlib import Path, PurePosixPath

from magwidgets.bundles import magentajs
from magwidgets.bundles.mag import read_bundle
from magwidgets.errors import BundleError
from magwidgets.hub.registry import MAG, MAGENTAJS, TAR, HubModel


def _check_tar(path: Path) -> None:
    """A MusicVAE checkpoint tar: readable headers, an ``.index`` and a ``.data-`` member,
    and every member's bytes present."""
    try:
        with tarfile.open(path) as tar:
            members = tar.getmembers()
    except (tarfile.TarError, OSError) as error:
        raise BundleError(f"{path}: not a readable tar ({error})") from None
    names = [PurePosixPath(m.name).name for m in members if m.isfile()]
    if not any(n.endswith(".index") for n in names) or not any(".data-" in n for n in names):
        raise BundleError(f"{path}: not a MusicVAE checkpoint tar (expected '<name>.ckpt.index' "
                          f"and '<name>.ckpt.data-*', found {', '.join(names[:5]) or 'nothing'})")
    end = max(m.offset_data + m.size for m in members)
    if end > path.stat().st_size:
        raise BundleError(f"{path}: truncated ({path.stat().st_size:,} bytes, its members "
                          f"need {end:,})")


def check(model: HubModel, path: Path) -> None:
    """Raise BundleError unless ``path`` holds a well-formed model of ``model.kind``."""
    if model.kind == MAG:
        read_bundle(path)
    elif model.kind == TAR:
        _check_tar(path)
    elif model.kind == MAGENTAJS:
        magentajs.read_checkpoint(path)
    else:
        raise BundleError(f"hub model '{model.name}' has unknown kind '{model.kind}'")
