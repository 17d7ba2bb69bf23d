"""Fetching a hub model into the cache: once, under a lock, verified, then renamed into place.

Layout under ``<cache>/hub/`` (``MAGWIDGETS_CACHE`` or the platform user cache folder):
``<name>.mag``, ``<name>.tar`` or the Magenta.js folder ``<name>/`` — the paths a user can
also fill by hand; ``.partial/`` holds transfers in progress (kept for resuming) and
``.locks/`` one lock file per model. ``MAGWIDGETS_HUB_MIRROR=http://host:port`` replaces the
scheme and host of every URL, keeping the path.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import urllib.parse
from pathlib import Path, PurePosixPath

from tqdm.auto import tqdm

from magwidgets.bundles.cache import cache_dir
from magwidgets.bundles.magentajs import CONFIG, MANIFEST
from magwidgets.errors import BundleError, HubError
from magwidgets.hub import verify
from magwidgets.hub.fetch import FetchError, fetch
from magwidgets.hub.lock import FileLock
from magwidgets.hub.registry import MAGENTAJS, HubModel

MIRROR_ENV = "MAGWIDGETS_HUB_MIRROR"
MAX_BYTES_ENV = "MAGWIDGETS_HUB_MAX_BYTES"
DEFAULT_MAX_BYTES = 4 * 1024**3  # above the largest release (hierdec-trio_16bar, ~2 GB)


def hub_dir() -> Path:
    """The folder holding downloaded hub models."""
    return cache_dir() / "hub"


def local_path(model: HubModel) -> Path:
    """Where ``model`` is cached (or is to be placed by hand): a file, or a folder for
    Magenta.js."""
    return hub_dir() / model.filename


def lock_path(model: HubModel) -> Path:
    """The file every process downloading ``model`` locks first."""
    return hub_dir() / ".locks" / f"{model.name}.lock"


def is_cached(model: HubModel) -> bool:
    """Whether ``model`` is in the cache (loading it then needs no network)."""
    path = local_path(model)
    return (path / MANIFEST).is_file() if model.kind == MAGENTAJS else path.is_file()


def resolve_url(url: str) -> str:
    """``url`` with its scheme and host replaced by ``MAGWIDGETS_HUB_MIRROR``, if set."""
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if not mirror:
        return url
    base = urllib.parse.urlsplit(mirror)
    if base.scheme not in ("http", "https") or not base.netloc:
        raise HubError(f"{MIRROR_ENV}={mirror!r}: expected a base URL such as "
                       "http://host:port")
    path = base.path.rstrip("/") + urllib.parse.urlsplit(url).path
    return urllib.parse.urlunsplit((base.scheme, base.netloc, path, "", ""))


def max_bytes_default() -> int:
    """The size cap: ``MAGWIDGETS_HUB_MAX_BYTES`` if set, else 4 GiB."""
    value = os.environ.get(MAX_BYTES_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_BYTES
    if not value.isdigit():
        raise HubError(f"{MAX_BYTES_ENV}={value!r}: expected a number of bytes")
    return int(value)


def _by_hand(model: HubModel) -> str:
    target = local_path(model)
    if model.kind == MAGENTAJS:
        return (f"download {CONFIG}, {MANIFEST} and the shard files it lists from "
                f"{model.url}/ into the folder {target}")
    return f"download {model.url} and save it as {target}"


def manual_instructions(model: HubModel) -> str:
    """How to install ``model`` by hand: what to download and the exact path for it."""
    return (f"To install it by hand, {_by_hand(model)}; then mw.load_model('hub:{model.name}') "
            "works with no network")


def _shard_names(manifest: Path, url: str) -> list[str]:
    """The shard files a downloaded ``weights_manifest.json`` lists (plain file names only,
    since they become paths in the cache)."""
    try:
        groups = json.loads(manifest.read_text(encoding="utf-8"))
        paths = [path for group in groups for path in group["paths"]]
    except (OSError, ValueError, TypeError, KeyError) as error:
        raise BundleError(f"{url}: not a Magenta.js weights manifest ({error})") from None
    for path in paths:
        if not isinstance(path, str) or PurePosixPath(path).name != path or path in ("", ".."):
            raise BundleError(f"{url}: shard path {path!r} is not a plain file name")
    return paths


def _fetch_model(model: HubModel, staging: Path, budget: int, bar: tqdm) -> None:
    """Every file of ``model`` into ``staging`` (a file, or a folder for Magenta.js)."""
    if model.kind != MAGENTAJS:
        fetch(resolve_url(model.url), staging, budget=budget, bar=bar)
        return
    base = resolve_url(model.url).rstrip("/")
    used = 0
    for name in (CONFIG, MANIFEST):
        used += fetch(f"{base}/{name}", staging / name, budget=budget - used, bar=bar)
    for name in _shard_names(staging / MANIFEST, f"{base}/{MANIFEST}"):
        used += fetch(f"{base}/{name}", staging / name, budget=budget - used, bar=bar)


def _remove(path: Path) -> None:
    """Delete ``path`` (a file or folder) and the ``.part`` file of its transfer."""
    if path.is_dir():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)
    path.with_name(path.name + ".part").unlink(missing_ok=True)


def download(model: HubModel, *, progress: bool = True, max_bytes: int | None = None,
             force: bool = False) -> Path:
    """Fetch ``model`` into the cache unless it is there, and return its local path.

    Raises:
        HubError: the server is unreachable or answers an error, the model is over
            ``max_bytes``, or the download does not parse (nothing is cached then); each
            message names the URL and the path where the file can be placed by hand.
    """
    target = local_path(model)
    if is_cached(model) and not force:
        return target
    budget = max_bytes_default() if max_bytes is None else max_bytes

    def waiting() -> None:
        if progress:
            print(f"{model.name}: another download of this model is running; waiting for it",
                  file=sys.stderr)

    try:
        with FileLock(lock_path(model), waiting):
            if is_cached(model) and not force:  # another kernel fetched it meanwhile
                return target
            staging = hub_dir() / ".partial" / model.filename
            _download_locked(model, staging, target, budget, progress)
    except TimeoutError as error:
        raise HubError(f"{model.name}: gave up waiting for another download of it ({error}); "
                       "if no other kernel is downloading it, try again") from None
    return target


def _download_locked(model: HubModel, staging: Path, target: Path, budget: int,
                     progress: bool) -> None:
    bar = tqdm(total=None, unit="B", unit_scale=True, unit_divisor=1024, desc=model.name,
               disable=not progress)
    with bar:
        try:
            _fetch_model(model, staging, budget, bar)
        except FetchError as error:
            raise HubError(f"{model.name}: cannot download {error.url}: {error.reason}. "
                           f"{manual_instructions(model)}.") from None
        except HubError as error:
            _remove(staging)
            raise HubError(f"{model.name}: {error}. {manual_instructions(model)}.") from None
        except BundleError as error:
            _remove(staging)
            raise HubError(f"{model.name}: {error}; nothing was cached") from None
    try:
        verify.check(model, staging)
    except BundleError as error:
        _remove(staging)
        raise HubError(f"{model.name}: the download from {resolve_url(model.url)} is not a "
                       f"valid {model.kind} model ({error}); nothing was cached. Try again, or "
                       f"{_by_hand(model)}.") from None
    _remove(target)  # a partial Magenta.js folder placed by hand, or the old copy on force
    os.replace(staging, target)
