"""Magenta.js checkpoint folders: ``config.json`` + ``weights_manifest.json`` + weight shards.

The manifest lists weight groups; a group's shards, concatenated in order, hold its weights
back to back (little-endian), as float32/int32/bool or quantized — uint8/uint16 with
``value = q * scale + min`` (how TensorFlow.js dequantizes) or float16. Variable names are the
TF checkpoint names Magenta used, so reading needs NumPy only. Writing follows tensorflowjs'
``write_weights`` as Magenta.js's ``scripts/checkpoint_converter.py`` calls it: one group, 4 MB
shards ``group1-shard<i>of<n>``, optional 1-/2-byte quantization of float32 weights over a
zero-nudged [min, max] range.

``config.json`` is Magenta.js's model spec (``{"type": "MusicVAE" | "MusicRNN",
"dataConverter": {...}, ...}``); which spec each config has is the families' knowledge
(``magwidgets.families.magentajs_specs``). Exports also carry ``"magwidgetsConfig"`` (ignored by
Magenta.js) naming the exact config. This module knows only the file format.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np

from magwidgets.errors import BundleError

MANIFEST = "weights_manifest.json"
CONFIG = "config.json"
MAGWIDGETS_KEY = "magwidgetsConfig"
SHARD_BYTES = 4 * 1024 * 1024  # tensorflowjs' default: the largest file browsers cache
QUANTIZE_DTYPES = ("uint8", "uint16")

_PLAIN = {"float32": "<f4", "int32": "<i4", "bool": "|b1"}  # manifest dtype -> stored bytes
_QUANTIZED = {"uint8": "|u1", "uint16": "<u2", "float16": "<f2"}
_FOLDER_HINT = ("a Magenta.js checkpoint folder holds config.json, weights_manifest.json and "
                "the group1-shard1ofN files it names; an unpacked TF checkpoint folder loads "
                "with its MusicVAE config named, e.g. config='cat-mel_2bar_small'")


@dataclass(frozen=True)
class MagentaJsCheckpoint:
    """A Magenta.js folder's weights (Magenta's TF names) and its ``config.json``, if any."""

    folder: Path
    weights: dict[str, np.ndarray]
    spec: dict | None


@dataclass(frozen=True)
class _Entry:
    """One weight of the manifest: where its bytes are and how to turn them into values."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # the weight's own dtype
    stored: str  # NumPy dtype of the bytes on disk
    scale: float | None = None
    minimum: float | None = None

    @property
    def count(self) -> int:
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        return self.count * np.dtype(self.stored).itemsize

    def decode(self, data: bytes, offset: int) -> np.ndarray:
        raw = np.frombuffer(data, dtype=self.stored, count=self.count, offset=offset)
        if self.scale is not None:
            values = raw.astype(np.float64) * self.scale + self.minimum
            if self.dtype == "int32":
                values = np.round(values)
        else:
            values = raw
        return values.astype(self.dtype).reshape(self.shape)


def is_checkpoint_folder(path: str | Path) -> bool:
    """True for a folder holding a ``weights_manifest.json``."""
    return Path(path).is_dir() and (Path(path) / MANIFEST).is_file()


def _read_json(path: Path):
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"{path}: not readable JSON ({error})") from None


def _entry(manifest: Path, group: int, raw) -> _Entry:
    if not isinstance(raw, dict) or not {"name", "shape", "dtype"} <= raw.keys():
        raise BundleError(f"{manifest}: group {group} has a weight entry {str(raw)[:80]!r}; "
                          "expected an object with 'name', 'shape' and 'dtype'")
    name, shape, dtype = raw["name"], raw["shape"], raw["dtype"]
    if (not isinstance(shape, list)
            or not all(isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape)):
        raise BundleError(f"{manifest}: weight '{name}' has shape {shape!r}; expected a list "
                          "of non-negative integers")
    if dtype not in _PLAIN:
        raise BundleError(f"{manifest}: weight '{name}' has dtype '{dtype}'; expected one of "
                          f"{', '.join(_PLAIN)}")
    quantization = raw.get("quantization")
    if quantization is None:
        return _Entry(name, tuple(shape), dtype, _PLAIN[dtype])
    stored = quantization.get("dtype") if isinstance(quantization, dict) else None
    if stored not in _QUANTIZED:
        raise BundleError(f"{manifest}: weight '{name}' is quantized as '{stored}'; expected "
                          f"one of {', '.join(_QUANTIZED)}")
    if stored == "float16":
        return _Entry(name, tuple(shape), dtype, _QUANTIZED[stored])
    scale, minimum = quantization.get("scale"), quantization.get("min")
    if not all(isinstance(v, (int, float)) and math.isfinite(v) for v in (scale, minimum)):
        raise BundleError(f"{manifest}: weight '{name}' is quantized as {stored} without "
                          "finite numbers 'scale' and 'min'")
    return _Entry(name, tuple(shape), dtype, _QUANTIZED[stored], float(scale), float(minimum))


def _shard_path(folder: Path, manifest: Path, path) -> Path:
    """A shard named by the manifest, refused when it points outside the folder."""
    if not isinstance(path, str) or not path:
        raise BundleError(f"{manifest}: shard path {path!r} is not a file name")
    shard = folder / path
    if not shard.resolve().is_relative_to(folder.resolve()):
        raise BundleError(f"{manifest}: shard path '{path}' points outside the folder")
    return shard


def _group_bytes(folder: Path, manifest: Path, number: int, group) -> tuple[bytes, list]:
    if not isinstance(group, dict) or not isinstance(group.get("paths"), list) \
            or not isinstance(group.get("weights"), list):
        raise BundleError(f"{manifest}: group {number} is {str(group)[:80]!r}; expected an "
                          "object with 'paths' and 'weights' lists")
    parts, sizes = [], []
    for path in group["paths"]:
        shard = _shard_path(folder, manifest, path)
        try:
            parts.append(shard.read_bytes())
        except FileNotFoundError:
            raise BundleError(f"{shard}: missing; {MANIFEST} names it as a shard of group "
                              f"{number}") from None
        except OSError as error:
            raise BundleError(f"{shard}: cannot be read ({error})") from None
        sizes.append(f"{path} ({len(parts[-1])} bytes)")
    return b"".join(parts), sizes


def read_weights(folder: str | Path) -> dict[str, np.ndarray]:
    """Every weight of a Magenta.js checkpoint folder, dequantized, under its TF name.

    Raises:
        BundleError: no manifest, a malformed manifest, a missing shard, shards whose size
            does not match the weights they should hold, or an unknown dtype.
    """
    folder = Path(folder)
    manifest = folder / MANIFEST
    if not manifest.is_file():
        raise BundleError(f"{folder}: no {MANIFEST} ({_FOLDER_HINT})")
    groups = _read_json(manifest)
    if not isinstance(groups, list) or not groups:
        raise BundleError(f"{manifest}: expected a non-empty list of weight groups "
                          "({'paths': [...], 'weights': [...]})")
    weights: dict[str, np.ndarray] = {}
    for number, group in enumerate(groups, 1):
        data, sizes = _group_bytes(folder, manifest, number, group)
        entries = [_entry(manifest, number, raw) for raw in group["weights"]]
        needed = sum(entry.nbytes for entry in entries)
        if len(data) != needed:
            raise BundleError(f"{manifest}: the weights of group {number} need {needed} bytes "
                              f"but its shards hold {len(data)}: {', '.join(sizes)}")
        offset = 0
        for entry in entries:
            if entry.name in weights:
                raise BundleError(f"{manifest}: weight '{entry.name}' is listed twice")
            weights[entry.name] = entry.decode(data, offset)
            offset += entry.nbytes
    return weights


def model_type(path: str | Path) -> str | None:
    """The Magenta.js model type (``"MusicRNN"``, ``"MusicVAE"`` ...) a checkpoint folder's
    ``config.json`` states; None for anything else (a cheap test, for loaders' dispatch)."""
    if not is_checkpoint_folder(path):
        return None
    try:
        spec = read_checkpoint_spec(path)
    except BundleError:
        return None
    return spec.get("type") if spec is not None else None


def read_checkpoint_spec(folder: str | Path) -> dict | None:
    """The folder's ``config.json`` (None when it has none)."""
    folder = Path(folder)
    if not (folder / CONFIG).is_file():
        return None
    spec = _read_json(folder / CONFIG)
    if not isinstance(spec, dict):
        raise BundleError(f"{folder / CONFIG}: expected an object like "
                          '{"type": "MusicVAE", "dataConverter": {...}}')
    return spec


def read_checkpoint(folder: str | Path) -> MagentaJsCheckpoint:
    """The folder's weights and its ``config.json`` (None when it has none)."""
    folder = Path(folder)
    weights = read_weights(folder)
    return MagentaJsCheckpoint(folder, weights, read_checkpoint_spec(folder))


# writing ------------------------------------------------------------------------------------

def _quantize(data: np.ndarray, dtype: str) -> tuple[np.ndarray, dict]:
    """tensorflowjs' affine quantization: [min, max] over 2^bits - 1 steps, the range nudged
    so that 0.0 is exact when it lies inside."""
    target = np.dtype(dtype)
    values = data.astype(np.float64)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if low == high:
        return np.zeros(data.shape, target), {"min": low, "scale": 1.0}
    top = np.iinfo(target).max
    scale = (high - low) / top
    if low <= 0.0 <= high:
        low = float(-np.round(-low / scale) * scale)
        high = top * scale + low
    quantized = np.round((np.clip(values, low, high) - low) / scale).astype(target)
    return quantized, {"min": low, "scale": scale}


def _stored(name: str, value, quantize: str | None) -> tuple[bytes, dict]:
    """A weight's bytes and manifest entry (float64/int64 become float32/int32, as in
    tensorflowjs; only float32 weights are quantized)."""
    array = np.asarray(value)
    if array.dtype == np.float64:
        array = array.astype(np.float32)
    elif array.dtype == np.int64:
        array = array.astype(np.int32)
    if array.dtype.name not in _PLAIN:
        raise BundleError(f"weight '{name}' has dtype {array.dtype}; Magenta.js weights are "
                          f"{', '.join(_PLAIN)}")
    entry = {"name": name, "shape": list(array.shape), "dtype": array.dtype.name}
    if quantize and array.dtype == np.float32:
        array, metadata = _quantize(array, quantize)
        entry["quantization"] = {"dtype": quantize, **metadata}
    return array.astype(array.dtype.newbyteorder("<")).tobytes(), entry


def _remove_previous(folder: Path) -> None:
    """Delete the shards an earlier manifest in ``folder`` named, and that manifest."""
    manifest = folder / MANIFEST
    try:
        groups = json.loads(manifest.read_text(encoding="utf-8"))
        paths = [p for g in groups for p in g["paths"]]
    except (OSError, ValueError, TypeError, KeyError):
        paths = []
    for path in paths:
        try:
            shard = _shard_path(folder, manifest, path)
        except BundleError:
            continue
        if shard.is_file():
            shard.unlink()
    manifest.unlink()


def write_magentajs(weights: Mapping[str, np.ndarray], config_json: Mapping,
                    folder: str | Path, quantize: str | None = None, *,
                    overwrite: bool = False) -> Path:
    """Write a Magenta.js checkpoint folder and return its path.

    Args:
        weights: variables under Magenta's TF names, in the order to store them.
        config_json: the model spec written as ``config.json`` (``magwidgets.families.magentajs_specs.config_json_for``).
        folder: created if missing.
        quantize: None (float32), "uint8" or "uint16" (1- or 2-byte weights, as Magenta.js's
            ``checkpoint_converter.py --quantization_bytes 1|2``).
        overwrite: replace a checkpoint already in ``folder`` (its old shards are removed).

    Raises:
        BundleError: no weights, an unsupported dtype or quantization, or a checkpoint
            already in the folder without ``overwrite``.
    """
    if quantize is not None and quantize not in QUANTIZE_DTYPES:
        raise BundleError(f"quantize must be None, 'uint8' or 'uint16', got {quantize!r}")
    if not weights:
        raise BundleError("no weights to write")
    folder = Path(folder)
    if (folder / MANIFEST).exists():
        if not overwrite:
            raise BundleError(f"{folder}: already holds a Magenta.js checkpoint; pass "
                              "overwrite=True to replace it")
        _remove_previous(folder)
    stored = [_stored(name, value, quantize) for name, value in weights.items()]
    data = b"".join(part for part, _ in stored)
    count = max(1, math.ceil(len(data) / SHARD_BYTES))
    paths = [f"group1-shard{i + 1}of{count}" for i in range(count)]
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for i, path in enumerate(paths):
            (folder / path).write_bytes(data[i * SHARD_BYTES:(i + 1) * SHARD_BYTES])
        manifest = [{"paths": paths, "weights": [entry for _, entry in stored]}]
        (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
        (folder / CONFIG).write_text(json.dumps(dict(config_json), indent=2) + "\n",
                                     encoding="utf-8")
    except OSError as error:
        raise BundleError(f"{folder}: cannot write the checkpoint ({error})") from None
    return folder
